// Helpers shared by the io tests: paths to shared data and fixtures, temp dirs, byte I/O.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace cgdmer::test {

inline std::string shared_data(const std::string& rel) {
  return std::string(CGDMER_SHARED_DIR) + "/data/" + rel;
}
inline std::string fixture(const std::string& rel) {
  return std::string(CGDMER_SOURCE_DIR) + "/tests/fixtures/io/" + rel;
}

inline const nlohmann::json& golden() {
  static const nlohmann::json g = [] {
    std::ifstream in(fixture("golden_samples.json"));
    return nlohmann::json::parse(in);
  }();
  return g;
}

inline std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_file(const std::string& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("cgdmer_io_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Copies a record's .hea and its signal file into `dir`; returns the new .hea path.
inline std::string copy_record(const std::string& hea, const std::string& signal_ext,
                               const TempDir& dir) {
  namespace fs = std::filesystem;
  const fs::path h(hea);
  const std::string stem = h.stem().string();
  fs::copy_file(h, dir / (stem + ".hea"));
  fs::copy_file(h.parent_path() / (stem + signal_ext), dir / (stem + signal_ext));
  return dir / (stem + ".hea");
}

}  // namespace cgdmer::test
