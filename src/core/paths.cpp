// Implements paths.h.
#include "core/paths.h"

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"

#ifndef CGDMER_SOURCE_DIR_FOR_LIB
#define CGDMER_SOURCE_DIR_FOR_LIB ""
#endif

namespace fs = std::filesystem;

namespace cgdmer {

static bool looks_like_home(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p / "assets", ec) && fs::exists(p / "configs", ec);
}

std::string resource_dir() {
  if (const char* env = std::getenv("CGDMER_HOME")) {
    if (looks_like_home(env)) return env;
    throw ConfigError(std::string("CGDMER_HOME=") + env + " has no assets/ and configs/",
                      "unset CGDMER_HOME or point it at the cgdmer source tree");
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path()) {
      if (looks_like_home(d)) return d.string();
      if (looks_like_home(d / "share" / "cgdmer")) return (d / "share" / "cgdmer").string();
    }
  }
  if (looks_like_home(CGDMER_SOURCE_DIR_FOR_LIB)) return CGDMER_SOURCE_DIR_FOR_LIB;
  throw ConfigError("cannot find cgdmer's assets (assets/, configs/)",
                    "set CGDMER_HOME to the cgdmer source tree");
}

std::string resource_path(const std::string& relative) {
  fs::path p = fs::path(resource_dir()) / relative;
  if (!fs::exists(p)) throw IoError(p.string(), "bundled resource is missing");
  return p.string();
}

}  // namespace cgdmer
