// Readers for the ECG file formats cgdmer accepts. Each throws FormatError (naming the file
// and the problem) for malformed input and IoError for unreadable files; none ever reads
// out of bounds on a bad file. Byte layouts are documented where they are decoded.
//   WFDB:        <rec>.hea + signal file(s), formats 16 and 212 (checksums verified)
//   Challenge:   <rec>.hea + <rec>.mat (MAT v4 int16 matrix "val", header says "16+24")
//   CPSC 2018:   original MATLAB v5 <rec>.mat (zlib), struct ECG with .data (12 × n, mV)
//   GE MUSE XML: <RestingECG>, Rhythm waveform, base64 int16; III/aVR/aVL/aVF derived
//   HL7 aECG:    <AnnotatedECG>, RHYTHM series, SLIST_PQ digits × scale + origin
//   Philips XML: <restingecgdata> (SierraECG 1.03 / PhilipsECG 1.04), XLI-compressed or raw
//   DICOM:       12-lead ECG waveform object (DCMTK), the ORIGINAL multiplex group
//   SCP-ECG:     sections 0/2/3/6, default or one custom Huffman table, 0/1/2 differences
//   EDF / EDF+C: int16 data records, header scaling (physical min/max over digital min/max)
//   CSV:         header row of lead names, one column per lead; rate and unit from the caller
// Every reader returns samples in mV (units "mV"), lead-major (see ecg_record.h). Leads a file
// does not hold are simply absent from lead_names (never zero-filled); docs/formats.md has
// the per-format details.
#pragma once

#include <string>

#include "io/ecg_record.h"

namespace cgdmer {

// Reads the record described by a .hea file (WFDB or Challenge .mat signal files alike).
// `hea_path` may be given with or without the ".hea" suffix.
EcgRecord read_wfdb_record(const std::string& hea_path);

// Reads an original CPSC 2018 MAT v5 file. CPSC files carry no rate: fs is 500 Hz.
EcgRecord read_cpsc_mat(const std::string& mat_path, double fs = 500.0);

// Reads a GE MUSE XML export: the Rhythm waveform in mV; 8 stored leads (I, II, V1–V6) come
// out as 12, the missing limb leads derived from I and II (see muse_xml.cpp).
EcgRecord read_muse_xml(const std::string& path);

// Reads an HL7 aECG (FDA annotated ECG) file: the first RHYTHM series, leads in file order, mV.
EcgRecord read_hl7_aecg(const std::string& path);

// Reads an EDF or EDF+C file: every non-annotation signal (all at one rate), in mV when the
// physical dimension is uV/mV/V. No Debian library decodes EDF: the reader is our own.
EcgRecord read_edf(const std::string& path);

// Reads a Philips SierraECG / PhilipsECG XML file: parsedwaveforms (XLI or uncompressed), mV,
// with the limb leads III, aVR, aVL, aVF reconstructed from their stored residuals.
EcgRecord read_philips_xml(const std::string& path);

// Reads a DICOM ECG waveform object (via DCMTK): the first ORIGINAL multiplex group, in mV.
EcgRecord read_dicom_ecg(const std::string& path);

// Reads an SCP-ECG file (hand-written): the rhythm data of section 6, in mV. Reference-beat
// subtraction and bimodal compression are refused.
EcgRecord read_scp_ecg(const std::string& path);

// Plain CSV: the numbers' unit (the file cannot say).
enum class CsvUnits { kMillivolts, kMicrovolts };
class CsvTable;
// Reads a CSV ECG: header row of lead names, one column per lead, one row per sample; fs (Hz)
// must be given (> 0) since CSV has no rate; values in `units`, returned in mV.
EcgRecord read_csv_record(const std::string& path, double fs, CsvUnits units = CsvUnits::kMillivolts);
// The same from an already parsed table (used by read_csv_record and the fuzz target).
EcgRecord csv_record_from_table(const CsvTable& table, double fs, CsvUnits units);

// What read_any_record needs for formats that do not describe themselves (CSV).
struct RecordReadOptions {
  double csv_fs = 0;  // Hz; 0 = not given: a .csv path is then refused
  CsvUnits csv_units = CsvUnits::kMillivolts;
};

// Dispatch on the path: ".hea" (or a record name with a .hea beside it) → WFDB/Challenge;
// ".mat" with a .hea beside it → Challenge; ".mat" without → CPSC MAT v5; ".edf" → EDF;
// ".dcm" → DICOM waveform; ".scp" → SCP-ECG;
// ".csv" → CSV (options.csv_fs required); ".xml" → by root element: <RestingECG> MUSE,
// <AnnotatedECG> HL7 aECG, <restingecgdata> Philips.
EcgRecord read_any_record(const std::string& path, const RecordReadOptions& options = {});

}  // namespace cgdmer
