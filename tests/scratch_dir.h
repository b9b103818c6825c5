// The one temp-folder helper of the tests: a per-process scratch folder removed after the
// binary's last test, named paths inside it, and TempDir, a fresh folder of its own that is
// removed when the object dies.
#pragma once

#include <unistd.h>

#include <atomic>
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

// A fresh, empty folder under scratch_dir(), removed (with its contents) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "tmp") {
    static std::atomic<int> counter{0};
    path_ = scratch_dir() / (tag + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cgdmer::testing
