// train_test_split with numpy-legacy randomness, and MERL split-CSV reading (splits.h).
#include "data/splits.h"

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "io/csv.h"

namespace cgdmer {

LegacyRandomState::LegacyRandomState(std::uint32_t seed) : mt_(seed) {}

std::uint32_t LegacyRandomState::next_uint32() { return std::uint32_t(mt_()); }

std::uint64_t LegacyRandomState::next_uint64() {
  const std::uint64_t hi = next_uint32();
  return (hi << 32) | next_uint32();
}

// numpy/random/src/legacy/legacy-distributions.c + distributions.c: random_interval.
std::uint64_t LegacyRandomState::random_interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  std::uint64_t value;
  if (max <= 0xffffffffull) {
    while ((value = (next_uint32() & mask)) > max) {
    }
  } else {
    while ((value = (next_uint64() & mask)) > max) {
    }
  }
  return value;
}

// RandomState.permutation(n) = shuffle(arange(n)); the legacy shuffle walks i = n-1 .. 1 and
// swaps x[i] with x[random_interval(i)].
std::vector<std::int64_t> LegacyRandomState::permutation(std::int64_t n) {
  std::vector<std::int64_t> x(std::size_t(std::max<std::int64_t>(n, 0)));
  std::iota(x.begin(), x.end(), 0);
  for (std::int64_t i = n - 1; i >= 1; --i) {
    const auto j = std::int64_t(random_interval(std::uint64_t(i)));
    std::swap(x[std::size_t(i)], x[std::size_t(j)]);
  }
  return x;
}

SplitIndices train_test_split(std::int64_t n, std::optional<double> train_size,
                              std::optional<double> test_size, std::uint32_t random_state) {
  // sklearn/model_selection/_split.py: _validate_shuffle_split (1.2.1).
  if (n <= 0) throw ConfigError("train_test_split: no samples");
  if (!train_size && !test_size) test_size = 0.25;
  auto check = [&](std::optional<double> s, const char* what) {
    if (!s) return;
    const double v = *s;
    const bool frac = v > 0 && v < 1;
    const bool count = v >= 1 && v == std::floor(v) && v <= double(n);
    if (!frac && !count)
      throw ConfigError(std::string("train_test_split: ") + what + "=" + std::to_string(v) +
                        " must be a fraction in (0,1) or a count in [1, n=" + std::to_string(n) + "]");
  };
  check(train_size, "train_size");
  check(test_size, "test_size");
  double n_test = 0, n_train = 0;
  if (test_size) n_test = *test_size < 1 ? std::ceil(*test_size * double(n)) : *test_size;
  if (train_size) n_train = *train_size < 1 ? std::floor(*train_size * double(n)) : *train_size;
  if (!train_size) n_train = double(n) - n_test;
  else if (!test_size) n_test = double(n) - n_train;
  if (n_train + n_test > double(n))
    throw ConfigError("train_test_split: train + test sizes exceed the " + std::to_string(n) + " samples");
  if (n_train == 0)
    throw ConfigError("train_test_split: with n=" + std::to_string(n) + " the training set would be empty");
  const auto ntr = std::int64_t(n_train), nte = std::int64_t(n_test);
  // ShuffleSplit._iter_indices: test = perm[:n_test], train = perm[n_test : n_test + n_train].
  LegacyRandomState rs(random_state);
  const auto perm = rs.permutation(n);
  SplitIndices out;
  out.test.assign(perm.begin(), perm.begin() + nte);
  out.train.assign(perm.begin() + nte, perm.begin() + nte + ntr);
  return out;
}

SplitTable read_merl_split_csv(const std::string& path, int label_offset) {
  const CsvTable t = CsvTable::read(path);
  const auto& h = t.header();
  if (label_offset < 0) {
    if (!h.empty() && h[0] == "ecg_path") label_offset = 3;
    else if (h.size() > 6 && h[4] == "filename_hr") label_offset = 6;
    else label_offset = 7;
  }
  if (int(h.size()) <= label_offset)
    throw FormatError(path, "header has " + std::to_string(h.size()) + " columns, labels expected from column " +
                                std::to_string(label_offset));
  SplitTable out;
  out.header = h;
  out.class_names.assign(h.begin() + label_offset, h.end());
  for (std::size_t r = 0; r < t.n_rows(); ++r) {
    const auto& row = t.row(r);
    if (row.size() != h.size())
      throw FormatError(path, "row " + std::to_string(r + 2) + " has " + std::to_string(row.size()) +
                                  " fields, header has " + std::to_string(h.size()));
    std::vector<std::uint8_t> lab;
    for (std::size_t c = std::size_t(label_offset); c < row.size(); ++c) {
      char* end = nullptr;
      const double v = std::strtod(row[c].c_str(), &end);
      if (row[c].empty() || end == row[c].c_str() || *end != '\0')
        throw FormatError(path, "row " + std::to_string(r + 2) + ", column " + h[c] + ": label '" + row[c] +
                                    "' is not a number");
      lab.push_back(v != 0 ? 1 : 0);
    }
    out.keys.push_back(row[0]);
    out.rows.push_back(row);
    out.labels.push_back(std::move(lab));
  }
  return out;
}

}  // namespace cgdmer
