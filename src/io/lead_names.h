// Standard 12-lead names as the readers write them into EcgRecord::lead_names ("I", "II",
// "III", "aVR", "aVL", "aVF", "V1"…"V6"), and the mapping from the spellings vendor formats
// use ("AVR", "avr", "MDC_ECG_LEAD_AVR" after its prefix is removed, "ECG V1").
#pragma once

#include <string>
#include <vector>

namespace cgdmer {

// I, II, III, aVR, aVL, aVF, V1–V6 (the CPSC / PTB-XL order).
const std::vector<std::string>& standard_12_leads();

// The standard spelling of a 12-lead name, matched case-insensitively after trimming white
// space and an optional "ECG " / "ECG_" prefix; any other name comes back trimmed, unchanged.
std::string canonical_lead_name(const std::string& name);

// Index of `name` (already canonical) in standard_12_leads(), or -1.
int standard_lead_index(const std::string& name);

}  // namespace cgdmer
