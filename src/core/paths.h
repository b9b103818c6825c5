// Where the program finds its bundled assets (MedCPT vocabulary, prompts, presets, the
// embedded sample): $CGDMER_HOME if set, else the source tree the binary was built from,
// else <binary dir>/../share/cgdmer.
#pragma once

#include <string>

namespace cgdmer {

// Directory holding assets/, configs/ and data/sample/. Throws ConfigError if none found.
std::string resource_dir();
// resource_dir() + "/" + relative, checked to exist.
std::string resource_path(const std::string& relative);

}  // namespace cgdmer
