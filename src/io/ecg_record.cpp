// EcgRecord helpers.
#include "io/ecg_record.h"

#include <cctype>

namespace cgdmer {

namespace {
std::string lower_key(std::string s) {
  // LUDB writes "<age>: 51"; Challenge "Age: 77"; PTB "age: 81". Compare without brackets/case.
  std::string out;
  for (char c : s)
    if (c != '<' && c != '>') out.push_back(char(std::tolower(static_cast<unsigned char>(c))));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out;
}
}  // namespace

std::string EcgRecord::comment_value(const std::string& key) const {
  const std::string want = lower_key(key);
  for (const auto& c : comments) {
    const auto colon = c.find(':');
    if (colon == std::string::npos) continue;
    if (lower_key(c.substr(0, colon)) != want) continue;
    std::size_t b = c.find_first_not_of(" \t", colon + 1);
    if (b == std::string::npos) return {};
    std::size_t e = c.find_last_not_of(" \t\r");
    return c.substr(b, e - b + 1);
  }
  return {};
}

}  // namespace cgdmer
