// Evaluation features of records longer than the model's window: a store prepared with 60-s
// rows (real CPSC 2018 records of 10–54 s) is encoded through windows over each record's
// recorded duration (never over its zero padding), each window min–max'ed alone, features
// averaged; a record that fits one window matches the same record in a 10-s store.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "data/prepare.h"
#include "data/preprocess.h"
#include "data/shard_store.h"
#include "eval/features.h"
#include "model/model_loading.h"
#include "scratch_dir.h"
#include "shared_data.h"

namespace cgdmer {
namespace {

std::string prepare_cpsc(const std::string& dir, double seconds) {
  PrepareOptions o;
  o.dataset = "folder";
  o.src = cgdmer::testing::shared_data("cpsc2018");
  o.out = dir + "/cpsc_" + std::to_string(int(seconds)) + "s";
  o.rate = 100;
  o.seconds = seconds;
  o.jobs = 2;
  o.progress = false;
  prepare_dataset(o);
  return o.out;
}

std::int64_t row_of(const ShardStore& s, const std::string& id) {
  for (std::int64_t i = 0; i < s.size(); ++i)
    if (s.record_id(i) == id) return i;
  ADD_FAILURE() << "no record " << id;
  return 0;
}

TEST(WindowedFeatures, LongRecordsAreAveragedOverTheirWindows) {
  cgdmer::testing::TempDir tmp("windowed_features");
  const ShardStore long_store = ShardStore::open(prepare_cpsc(tmp.path().string(), 60));
  const ShardStore short_store = ShardStore::open(prepare_cpsc(tmp.path().string(), 10));
  ASSERT_EQ(long_store.info().n_samples, 6000);
  const std::int64_t r88 = row_of(long_store, "A1988"), r80 = row_of(long_store, "A1980");
  EXPECT_NEAR(long_store.record_seconds(r88), 54.314, 1e-9);  // recorded before padding
  EXPECT_NEAR(long_store.record_seconds(r80), 10.0, 1e-9);

  CgDmer model = random_init_model(Config::load("tiny"), 3);
  FeatureOptions fo;
  fo.progress = false;
  fo.want_shared = true;
  fo.precision = Precision::fp32;  // the hand computation below is fp32
  const EcgFeatures f = extract_features(model, long_store, {r88, r80}, fo);
  ASSERT_EQ(f.features.size(0), 2);

  // A1988 by hand: windows at 0, 10, 20, 30, 40 and 44.314 s, each re-normalised.
  std::vector<float> full(12 * 6000);
  long_store.read_signal(r88, full.data());
  const auto starts = window_starts(54.314, 10, 0);
  ASSERT_EQ(starts.size(), 6u);
  auto x = torch::empty({6, 12, 1000});
  std::vector<int> all(12);
  for (int l = 0; l < 12; ++l) all[std::size_t(l)] = l;
  for (int k = 0; k < 6; ++k) {
    const auto first = std::llround(starts[std::size_t(k)] * 100);
    float* dst = x.data_ptr<float>() + k * 12000;
    for (int l = 0; l < 12; ++l) std::copy(&full[std::size_t(l * 6000 + first)], &full[std::size_t(l * 6000 + first + 1000)], dst + l * 1000);
    restrict_to_leads(dst, 12, 1000, all, Normalisation::minmax);
  }
  torch::NoGradGuard ng;
  model->eval();
  EXPECT_LT((f.features[0] - model->ecg_features(x).mean(0)).abs().max().item<float>(), 1e-4);
  EXPECT_NEAR(f.shared[0].norm().item<float>(), 1.0f, 1e-5);

  // A 10-s record is one window: the same features as in a store of 10-s rows (up to the two
  // stores' int16 grids, about 3e-5 of the range).
  const EcgFeatures g = extract_features(model, short_store, {row_of(short_store, "A1980")}, fo);
  EXPECT_LT((f.features[1] - g.features[0]).abs().max().item<float>(), 2e-2);
  EXPECT_GT(torch::nn::functional::cosine_similarity(f.features[1].unsqueeze(0), g.features[0].unsqueeze(0)).item<float>(), 0.999f);
}

}  // namespace
}  // namespace cgdmer
