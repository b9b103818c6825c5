// Helpers shared by the libFuzzer targets: a per-process scratch folder for readers that only
// take paths, byte/section helpers, and the exception policy.
//
// Policy: a reader may reject any input, but only with cgdmer::Error (FormatError / IoError /
// ConfigError). Every other exception (std::out_of_range, nlohmann::json::exception,
// std::bad_alloc, ...) escapes LLVMFuzzerTestOneInput and libFuzzer reports it as a crash,
// as it does for ASan/UBSan findings.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace cgdmer::fuzz {

// Scratch folder, one per process (libFuzzer -jobs/-workers run several processes), in
// /dev/shm when available so the file round trip costs no disk I/O.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : std::filesystem::temp_directory_path();
    auto d = base / ("cgdmer_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code e;
      std::filesystem::remove_all(scratch_dir(), e);
    });
    return d;
  }();
  return dir;
}

// Empties the scratch folder (a target that writes a varying set of files calls this first).
inline void clear_scratch() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir(), ec))
    std::filesystem::remove_all(e.path(), ec);
}

inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::string p = (scratch_dir() / name).string();
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  return p;
}

// Splits the input at every occurrence of kSeparator: multi-file inputs (a .hea and its .dat;
// store.json, meta.jsonl and signals.bin) are written as sections joined by it, which keeps
// seeds readable and lets the mutator change each file's length independently.
inline constexpr std::string_view kSeparator = "\n=====\n";
inline std::vector<std::string_view> sections(const std::uint8_t* data, std::size_t size,
                                              std::size_t max_sections) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_sections) {
    const auto p = in.find(kSeparator);
    if (p == std::string_view::npos) break;
    out.push_back(in.substr(0, p));
    in.remove_prefix(p + kSeparator.size());
  }
  out.push_back(in);
  while (out.size() < max_sections) out.push_back({});
  return out;
}

// Runs `f`, swallowing only the library's own error types (see the policy above).
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const cgdmer::Error&) {
  }
}

}  // namespace cgdmer::fuzz
