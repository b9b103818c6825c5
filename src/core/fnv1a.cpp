// Hex formatting for FNV-1a-64 digests (the hash itself is inline in fnv1a.h).
#include "core/fnv1a.h"

#include <cstdio>

namespace cgdmer {

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace cgdmer
