// Dataset dispatch and the small helpers the adapters share (dataset.h).
#include "data/dataset.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "text/report_cleaning.h"
#include "text/utf8.h"

namespace cgdmer {

namespace fs = std::filesystem;

DatasetPlan plan_dataset(const PrepareOptions& o) {
  if (!fs::is_directory(o.src)) throw IoError(o.src, "source folder not found");
  if (o.dataset == "ptbxl") return plan_ptbxl(o);
  if (o.dataset == "mimic") return plan_mimic(o);
  if (o.dataset == "cpsc2018") return plan_cpsc2018(o);
  if (o.dataset == "csn") return plan_csn(o);
  if (o.dataset == "ludb") return plan_ludb(o);
  if (o.dataset == "folder") return plan_folder(o);
  throw ConfigError("unknown dataset '" + o.dataset + "'",
                    "use one of ptbxl, mimic, cpsc2018, csn, ludb, folder");
}

std::vector<std::string> find_files_with_suffix(const std::string& root, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string p = it->path().string();
    if (p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(p);
  }
  if (ec) throw IoError(root, "cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

bool set_report(DatasetItem& it, const std::string& raw) {
  if (!is_valid_utf8(raw)) {
    it.skip_reason = "report text is not valid UTF-8";
    return false;
  }
  it.report = raw.empty() ? "" : clean_report(raw);
  return true;
}

std::string stem_of(const std::string& path) { return fs::path(path).stem().string(); }

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b <= s.size()) {
    std::size_t e = s.find(sep, b);
    if (e == std::string::npos) e = s.size();
    std::string part = s.substr(b, e - b);
    const auto l = part.find_first_not_of(" \t\r");
    const auto r = part.find_last_not_of(" \t\r");
    if (l != std::string::npos) out.push_back(part.substr(l, r - l + 1));
    b = e + 1;
  }
  return out;
}

}  // namespace cgdmer
