// read_any_record: picks the reader from the path (see ecg_readers.h for the rules). An .xml
// file is parsed once here to see its root element, then again by the reader it names
// (clinical XML files are well under 1 MB; simplicity wins over the second parse).
#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/xml_doc.h"

namespace cgdmer {

namespace fs = std::filesystem;

EcgRecord read_any_record(const std::string& path, const RecordReadOptions& options) {
  std::error_code ec;
  const fs::path p(path);
  std::string ext = p.extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".hea") return read_wfdb_record(path);
  fs::path hea = p;
  hea.replace_extension(".hea");
  if (ext == ".mat") {
    if (fs::is_regular_file(hea, ec)) return read_wfdb_record(hea.string());  // Challenge
    return read_cpsc_mat(path);
  }
  if (ext == ".dat" && fs::is_regular_file(hea, ec)) return read_wfdb_record(hea.string());
  if (ext == ".edf") return read_edf(path);
  if (ext == ".dcm") return read_dicom_ecg(path);
  if (ext == ".scp") return read_scp_ecg(path);
  if (ext == ".csv") {
    if (!(options.csv_fs > 0))
      throw FormatError(path, "a CSV record carries no sample rate: give it (RecordReadOptions::csv_fs)");
    return read_csv_record(path, options.csv_fs, options.csv_units);
  }
  if (ext == ".xml") {
    const std::string root = xml_root_name(path);
    if (root == "RestingECG") return read_muse_xml(path);
    if (root == "AnnotatedECG") return read_hl7_aecg(path);
    if (root == "restingecgdata") return read_philips_xml(path);
    throw FormatError(path, "unrecognised XML ECG: root element <" + root +
                                ">, expected <RestingECG> (GE MUSE), <AnnotatedECG> (HL7 aECG) or <restingecgdata> (Philips)");
  }
  if (fs::is_regular_file(path + ".hea", ec)) return read_wfdb_record(path + ".hea");
  if (!fs::exists(p, ec)) throw IoError(path, "no such record (no file, and no .hea beside it)");
  throw FormatError(path, "unrecognised record file: expected .hea, .mat, .edf, .dcm, .scp, .xml (MUSE / HL7 aECG) or .csv");
}

}  // namespace cgdmer
