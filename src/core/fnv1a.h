// FNV-1a, 64-bit (Fowler–Noll–Vo; http://www.isthe.com/chongo/tech/comp/fnv/): the one
// implementation of the hash the project uses for checksums and settings digests.
//   offset basis 14695981039346656037 (0xcbf29ce484222325), prime 1099511628211 (0x100000001b3);
//   for each byte b: h ^= b; h *= prime (mod 2^64).
// fnv1a64("") = 0xcbf29ce484222325, fnv1a64("a") = 0xaf63dc4c8601ec8c (tests/core/test_fnv1a.cpp
// checks the published test vectors).
//
// Files written before this header existed (shard store format 1, checkpoints and model hashes
// of the same age) used a hand-written copy whose offset basis lost its last digit:
// 1469598103934665603. That is NOT FNV-1a-64; Fnv1a64::mistyped_basis() reproduces it, and
// exists only so readers can verify those old, versioned files. Never write it anew.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cgdmer {

inline constexpr std::uint64_t kFnv1a64OffsetBasis = 14695981039346656037ull;
inline constexpr std::uint64_t kFnv1a64Prime = 1099511628211ull;
// The mistyped basis of the pre-fix copies (see the file comment). Legacy reading only.
inline constexpr std::uint64_t kFnv1a64MistypedBasis = 1469598103934665603ull;

// Incremental hasher: update() any number of times, then digest(); equal to fnv1a64() of the
// concatenated bytes.
class Fnv1a64 {
 public:
  Fnv1a64() = default;
  // The variant with the mistyped offset basis, for verifying files written before the fix.
  static Fnv1a64 mistyped_basis() { return Fnv1a64(kFnv1a64MistypedBasis); }

  Fnv1a64& update(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= kFnv1a64Prime;
    }
    return *this;
  }
  Fnv1a64& update(std::string_view s) { return update(s.data(), s.size()); }
  std::uint64_t digest() const { return h_; }

 private:
  explicit Fnv1a64(std::uint64_t basis) : h_(basis) {}
  std::uint64_t h_ = kFnv1a64OffsetBasis;
};

// One-shot FNV-1a-64.
inline std::uint64_t fnv1a64(const void* data, std::size_t n) { return Fnv1a64().update(data, n).digest(); }
inline std::uint64_t fnv1a64(std::string_view s) { return fnv1a64(s.data(), s.size()); }

// One-shot hash with the mistyped basis: only to verify files written before the fix.
inline std::uint64_t fnv1a64_mistyped_basis(std::string_view s) {
  return Fnv1a64::mistyped_basis().update(s).digest();
}

// 16 lower-case hex digits, zero-padded ("cbf29ce484222325").
std::string hex64(std::uint64_t v);
// hex64(fnv1a64(s)): the digest text written into settings hashes and headers.
inline std::string fnv1a64_hex(std::string_view s) { return hex64(fnv1a64(s)); }

}  // namespace cgdmer
