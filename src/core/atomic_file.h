// Crash-safe file writing: data goes to "<path>.tmp.<pid>", is flushed and fsync'ed, then
// renamed over <path>. A reader therefore sees either the old complete file or the new
// complete file, never a half-written one (checkpoints, stores, summaries, results).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace cgdmer {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // not committed → temporary removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);  // throws IoError (e.g. disk full)
  void write(const std::string& s) { write(s.data(), s.size()); }
  void commit();  // flush + fsync + rename + fsync(dir); throws IoError
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// Convenience: the whole content at once.
void write_file_atomic(const std::string& path, const std::string& content);

// Whole file into memory; throws IoError naming the path.
std::string read_file(const std::string& path);

}  // namespace cgdmer
