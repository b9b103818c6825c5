// Class lists of the downstream label sets, in the column order of MERL's split CSVs
// (reference/peers.md §7), and the code → class mappings the dataset adapters use.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cgdmer {

const std::vector<std::string>& ptbxl_super_classes();   // 5: HYP, NORM, MI, CD, STTC
const std::vector<std::string>& ptbxl_sub_classes();     // 23, val/test order
const std::vector<std::string>& ptbxl_form_classes();    // 19
const std::vector<std::string>& ptbxl_rhythm_classes();  // 12
const std::vector<std::string>& cpsc_classes();          // 9: AFIB, VPC, NORM, 1AVB, CRBBB, STE, PAC, CLBBB, STD
const std::vector<std::string>& csn_classes();           // 38 CSN acronyms

// CPSC 2018 REFERENCE.csv label number (1..9) → class name; "" for anything else.
std::string cpsc_class_of_reference_label(int label);
// SNOMED-CT code (Challenge #Dx of CPSC records) → CPSC class name, "" if not one of the 9.
std::string cpsc_class_of_snomed(const std::string& code);

// Position of `name` in `classes`, or -1.
int class_index(const std::vector<std::string>& classes, const std::string& name);

// MERL's PTB-XL names drop PTB-XL's leading/trailing underscores (ISC_ → ISC, _AVB → AVB).
std::string strip_underscores(const std::string& s);

}  // namespace cgdmer
