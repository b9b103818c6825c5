// Error types for the whole library: every failure a user can cause (bad file, bad config,
// bad checkpoint) is one of these, carries the offending path, and is printed as one line
// plus an optional hint by the CLI. Invariants of our own code use TORCH_CHECK / assert-like
// checks instead; data never goes through assert().
#pragma once

#include <stdexcept>
#include <string>

namespace cgdmer {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, std::string hint = {})
      : std::runtime_error(what), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

// A file whose contents are not what its format requires ("<path>: <problem>").
class FormatError : public Error {
 public:
  FormatError(const std::string& path, const std::string& problem, std::string hint = {})
      : Error(path + ": " + problem, std::move(hint)), path_(path), problem_(problem) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

// A file that cannot be opened, read or written (missing, permissions, disk full).
class IoError : public Error {
 public:
  IoError(const std::string& path, const std::string& problem, std::string hint = {})
      : Error(path + ": " + problem, std::move(hint)), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A configuration or command-line value that is invalid or inconsistent.
class ConfigError : public Error {
 public:
  using Error::Error;
};

}  // namespace cgdmer
