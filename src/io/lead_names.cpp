// Lead name spellings (see lead_names.h).
#include "io/lead_names.h"

#include <cctype>

namespace cgdmer {

const std::vector<std::string>& standard_12_leads() {
  static const std::vector<std::string> k = {"I", "II", "III", "aVR", "aVL", "aVF",
                                             "V1", "V2", "V3", "V4", "V5", "V6"};
  return k;
}

namespace {
std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::string canonical_lead_name(const std::string& name) {
  const char* ws = " \t\r\n";
  const auto b = name.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  std::string t = name.substr(b, name.find_last_not_of(ws) - b + 1);
  std::string u = upper(t);
  std::string bare = u;
  if (bare.rfind("ECG ", 0) == 0 || bare.rfind("ECG_", 0) == 0) bare = bare.substr(4);
  for (const auto& s : standard_12_leads())
    if (bare == upper(s)) return s;
  return t;
}

int standard_lead_index(const std::string& name) {
  const auto& k = standard_12_leads();
  for (std::size_t i = 0; i < k.size(); ++i)
    if (k[i] == name) return int(i);
  return -1;
}

}  // namespace cgdmer
