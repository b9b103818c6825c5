// Report text cleaning and assembly as MERL does it (MERL-ICML2024 pretrain/preprocess.ipynb,
// see reference/peers.md §2a): join non-empty report_0..17 with ". ", EKG→ECG, the strip
// chain strip(' ***').strip('*** ').strip('***').strip('=-').strip('=') (character sets,
// not substrings), lower-case, \n\r\t → space, append '.', empty → "empty".
#pragma once

#include <string>
#include <vector>

namespace cgdmer {

std::string join_report_parts(const std::vector<std::string>& parts);  // skips empty parts
std::string clean_report(const std::string& text);
int count_words(const std::string& text);  // whitespace-separated, as Python's str.split()

}  // namespace cgdmer
