// Helpers shared by the io tests: fixture paths, golden values, byte I/O, record copies
// (shared data paths: shared_data.h; temp folders: scratch_dir.h).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "scratch_dir.h"
#include "shared_data.h"

namespace cgdmer::testing {

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

}  // namespace cgdmer::testing
