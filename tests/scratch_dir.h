// A per-process scratch folder for tests that write files, removed after the binary's last
// test (shared by the test files that used to carry their own copy).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace cgdmer::testing {

inline std::filesystem::path scratch_dir() {
  return std::filesystem::temp_directory_path() /
         ("cgdmer_test_scratch_" + std::to_string(::getpid()));
}

struct RemoveScratchDir : ::testing::Environment {
  void TearDown() override { std::filesystem::remove_all(scratch_dir()); }
};
inline auto* const remove_scratch_dir =
    ::testing::AddGlobalTestEnvironment(new RemoveScratchDir);

// scratch_dir()/name, the folder created if needed.
inline std::string scratch_path(const std::string& name) {
  std::filesystem::create_directories(scratch_dir());
  return (scratch_dir() / name).string();
}

}  // namespace cgdmer::testing
