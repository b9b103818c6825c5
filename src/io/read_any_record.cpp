// read_any_record: picks the reader from the path (see ecg_readers.h for the rules).
#include <filesystem>

#include "core/error.h"
#include "io/ecg_readers.h"

namespace cgdmer {

namespace fs = std::filesystem;

EcgRecord read_any_record(const std::string& path) {
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
  if (fs::is_regular_file(path + ".hea", ec)) return read_wfdb_record(path + ".hea");
  if (!fs::exists(p, ec)) throw IoError(path, "no such record (no file, and no .hea beside it)");
  throw FormatError(path, "unrecognised record file: expected a .hea, a .mat or a WFDB record name");
}

}  // namespace cgdmer
