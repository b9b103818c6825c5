// Paths into the team's shared data folder (../shared beside the repository: real ECG
// datasets, reference tokenizer files) and into the repository itself. A test that needs a
// shared file and does not find it fails with a message that says so, instead of a
// confusing read error.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace cgdmer::testing {

// CGDMER_SHARED_DIR/rel; throws (the test fails with this message) when neither it nor its
// folder exists (a WFDB record is named without its extension).
inline std::string shared_path(const std::string& rel) {
  const std::string p = std::string(CGDMER_SHARED_DIR) + "/" + rel;
  if (!std::filesystem::exists(p) && !std::filesystem::exists(std::filesystem::path(p).parent_path()))
    throw std::runtime_error("this test needs the team's shared data: " + p +
                             " is missing (../shared must lie beside the repository, as in CI)");
  return p;
}
// shared_path("data/" + rel): a file of the shared ECG datasets.
inline std::string shared_data(const std::string& rel) { return shared_path("data/" + rel); }

inline std::string source_path(const std::string& rel) {
  return std::string(CGDMER_SOURCE_DIR) + "/" + rel;
}

}  // namespace cgdmer::testing
