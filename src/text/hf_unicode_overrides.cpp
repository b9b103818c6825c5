// Lookup in the generated HF-vs-utf8proc override table (see hf_unicode_overrides.h).
#include "text/hf_unicode_overrides.h"

#include <algorithm>
#include <iterator>

namespace cgdmer {
namespace {

constexpr HfOverride kOverrides[] = {
#include "text/hf_unicode_overrides.inc"
};

}  // namespace

const HfOverride* find_hf_override(char32_t cp) {
  if (cp < kOverrides[0].cp) return nullptr;
  const auto* it = std::lower_bound(std::begin(kOverrides), std::end(kOverrides), cp,
                                    [](const HfOverride& o, char32_t c) { return o.cp < c; });
  return it != std::end(kOverrides) && it->cp == cp ? it : nullptr;
}

}  // namespace cgdmer
