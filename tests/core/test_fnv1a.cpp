// core/fnv1a.h against the published FNV-1a-64 test vectors (Landon Curt Noll's test_fnv.c,
// http://www.isthe.com/chongo/tech/comp/fnv/; the same values from a three-line Python
// FNV-1a, offset basis 14695981039346656037, prime 1099511628211), incremental == one-shot,
// and the mistyped-basis variant pinned to what the pre-fix hand-written copies produced.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/fnv1a.h"

namespace cgdmer {
namespace {

struct Vector {
  std::string input;
  std::uint64_t fnv1a64;
};

const std::vector<Vector>& published_vectors() {
  static const std::vector<Vector> v = {
      {"", 0xcbf29ce484222325ull},
      {"a", 0xaf63dc4c8601ec8cull},
      {"b", 0xaf63df4c8601f1a5ull},
      {"c", 0xaf63de4c8601eff2ull},
      {"d", 0xaf63d94c8601e773ull},
      {"e", 0xaf63d84c8601e5c0ull},
      {"f", 0xaf63db4c8601ead9ull},
      {"fo", 0x08985907b541d342ull},
      {"foo", 0xdcb27518fed9d577ull},
      {"foob", 0xdd120e790c2512afull},
      {"fooba", 0xcac165afa2fef40aull},
      {"foobar", 0x85944171f73967e8ull},
      {std::string("a\0", 2), 0x089be207b544f1e4ull},
      {std::string("foobar\0", 7), 0x34531ca7168b8f38ull},
      {"chongo was here!\n", 0x46810940eff5f915ull},
  };
  return v;
}

TEST(Fnv1a64, PublishedTestVectors) {
  for (const auto& v : published_vectors()) {
    SCOPED_TRACE("input \"" + v.input + "\" (" + std::to_string(v.input.size()) + " bytes)");
    EXPECT_EQ(fnv1a64(v.input), v.fnv1a64);
    EXPECT_EQ(fnv1a64(v.input.data(), v.input.size()), v.fnv1a64);
  }
}

TEST(Fnv1a64, ConstantsAreTheRealOnes) {
  EXPECT_EQ(kFnv1a64OffsetBasis, 0xcbf29ce484222325ull);
  EXPECT_EQ(kFnv1a64Prime, 0x100000001b3ull);
  EXPECT_EQ(Fnv1a64().digest(), kFnv1a64OffsetBasis);
}

TEST(Fnv1a64, IncrementalEqualsOneShotAtEverySplit) {
  const std::string s = "chongo was here!\n and then some bytes: \x01\x7f\x80\xff";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    Fnv1a64 h;
    h.update(s.substr(0, cut)).update(s.data() + cut, s.size() - cut);
    EXPECT_EQ(h.digest(), fnv1a64(s)) << "split at " << cut;
  }
  Fnv1a64 bytewise;
  for (char c : s) bytewise.update(&c, 1);
  EXPECT_EQ(bytewise.digest(), fnv1a64(s));
}

TEST(Fnv1a64, HexIsSixteenLowerCaseDigits) {
  EXPECT_EQ(hex64(0x08985907b541d342ull), "08985907b541d342");
  EXPECT_EQ(hex64(0), "0000000000000000");
  EXPECT_EQ(fnv1a64_hex("foobar"), "85944171f73967e8");
}

// The pre-fix copies started from 1469598103934665603; values from the same Python loop with
// that basis. Pinned so old versioned files keep verifying.
TEST(Fnv1a64, MistypedBasisReproducesTheOldCopies) {
  EXPECT_EQ(kFnv1a64MistypedBasis, 1469598103934665603ull);
  EXPECT_EQ(fnv1a64_mistyped_basis(""), 0x14650fb0739d0383ull);
  EXPECT_EQ(fnv1a64_mistyped_basis("a"), 0x44bd8ad473cd9906ull);
  EXPECT_EQ(fnv1a64_mistyped_basis("foobar"), 0x88fad7c0a8ff07f2ull);
  EXPECT_NE(fnv1a64_mistyped_basis("foobar"), fnv1a64("foobar"));
  Fnv1a64 h = Fnv1a64::mistyped_basis();
  h.update("foo").update("bar");
  EXPECT_EQ(h.digest(), fnv1a64_mistyped_basis("foobar"));
}

}  // namespace
}  // namespace cgdmer
