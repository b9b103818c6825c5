// Invariants every EcgRecord a reader accepts must satisfy (used by the clinical-format fuzz
// targets): a reader bug here would hand later stages (preprocessing, the shard writer) a
// buffer shorter than they index. A violation traps, which libFuzzer records as a crash.
#pragma once

#include "fuzz_util.h"
#include "io/ecg_record.h"

namespace cgdmer::fuzz {

inline void check_record(const cgdmer::EcgRecord& r) {
  if (r.n_leads <= 0 || r.n_samples <= 0) __builtin_trap();
  if (r.data.size() != std::size_t(r.n_leads) * std::size_t(r.n_samples)) __builtin_trap();
  if (r.lead_names.size() != std::size_t(r.n_leads) || r.units.size() != r.lead_names.size()) __builtin_trap();
  if (!(r.fs > 0)) __builtin_trap();
}

}  // namespace cgdmer::fuzz
