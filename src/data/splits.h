// Data splits as MERL draws them: sklearn's train_test_split (numpy legacy RandomState =
// MT19937 + its bounded-integer shuffle, reproduced bit-exactly) and MERL's split-CSV layout
// (finetune/data_split/*: PTB-XL labels from column 6, ICBEB from 7, CSN from 3).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace cgdmer {

// numpy.random.RandomState(seed) for the parts MERL uses: the MT19937 stream and permutation.
class LegacyRandomState {
 public:
  explicit LegacyRandomState(std::uint32_t seed);
  std::uint32_t next_uint32();
  std::uint64_t next_uint64();  // numpy: (hi << 32) | lo, two 32-bit draws
  // numpy's legacy random_interval: uniform in [0, max] by masked rejection.
  std::uint64_t random_interval(std::uint64_t max);
  std::vector<std::int64_t> permutation(std::int64_t n);  // RandomState.permutation(n)

 private:
  std::mt19937 mt_;  // the standard MT19937 with init_genrand seeding = numpy's mt19937_seed
};

struct SplitIndices {
  std::vector<std::int64_t> train, test;  // in sklearn's order (permutation order)
};

// sklearn.model_selection.train_test_split(range(n), train_size=..., test_size=...,
// random_state=seed, shuffle=True) of sklearn 1.2: a float size in (0,1) is a fraction
// (train: floor(r·n), test: ceil(r·n)), a value >= 1 is an absolute count; a missing side is
// the complement; with neither, test_size = 0.25. Throws ConfigError on impossible sizes.
SplitIndices train_test_split(std::int64_t n, std::optional<double> train_size,
                              std::optional<double> test_size = std::nullopt,
                              std::uint32_t random_state = 42);

// One MERL split CSV (e.g. ptbxl_super_class_train.csv): the record key column(s) and the
// multi-hot label columns starting at `label_offset`.
struct SplitTable {
  std::vector<std::string> header;      // whole header row
  std::vector<std::string> class_names; // header[label_offset..]
  std::vector<std::string> keys;        // per row: the first column (ecg_id / ecg_path)
  std::vector<std::vector<std::string>> rows;  // per row: all fields
  std::vector<std::vector<std::uint8_t>> labels;  // per row: (n_classes) 0/1
};

// label_offset < 0 picks MERL's offset from the header: "ecg_path" first → 3 (CSN),
// a "filename_hr" column at 4 and 6+ columns → 6 (PTB-XL), else 7 (ICBEB).
SplitTable read_merl_split_csv(const std::string& path, int label_offset = -1);

}  // namespace cgdmer
