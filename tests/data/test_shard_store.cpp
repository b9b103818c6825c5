// Shard store: write → open round trip within the stated int16 quantisation, refusal of
// incomplete/corrupt stores, and writer resume after an interruption.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/shard_store.h"
#include "data/shard_store_format.h"
#include "synthetic_store.h"

namespace fs = std::filesystem;
using namespace cgdmer;
using namespace cgdmer::testing;

namespace {
// int16 quantisation of [0,1]: q = round(v·32767), so |v − q/32767| ≤ 0.5/32767 (+ float rounding).
constexpr float kQuantTol = 0.5f / 32767.0f + 1e-7f;

void expect_record(const ShardStore& s, std::int64_t i) {
  const auto& info = s.info();
  std::vector<float> buf(std::size_t(info.n_leads) * info.n_samples);
  s.read_signal(i, buf.data());
  for (int l = 0; l < info.n_leads; ++l)
    for (int t = 0; t < info.n_samples; ++t)
      ASSERT_NEAR(buf[std::size_t(l) * info.n_samples + t], synthetic_value(i, l, t), kQuantTol)
          << "record " << i << " lead " << l << " t " << t;
  EXPECT_EQ(s.record_id(i), "rec" + std::to_string(i));
  EXPECT_EQ(s.token_ids(i), (std::vector<std::int32_t>{101, std::int32_t(i), 102}));
  EXPECT_EQ(s.fold(i), int(i % 10) + 1);
  EXPECT_EQ(s.report(i), "report " + std::to_string(i));
  auto lab = s.labels(i, "parity");
  ASSERT_EQ(lab.size(), 2u);
  EXPECT_EQ(lab[i % 2], 1);
  EXPECT_EQ(lab[1 - i % 2], 0);
}
}  // namespace

TEST(ShardStore, RoundTripWithinQuantisation) {
  const auto dir = write_synthetic_store(temp_dir("roundtrip"), 37, 12, 50);
  ShardStore s = ShardStore::open(dir);
  EXPECT_EQ(s.size(), 37);
  EXPECT_EQ(s.info().n_leads, 12);
  EXPECT_EQ(s.info().n_samples, 50);
  EXPECT_EQ(s.info().fs, 100);
  EXPECT_EQ(s.info().preprocessing_hash, "synthetic");
  EXPECT_EQ(s.info().label_sets.at("parity"), (std::vector<std::string>{"even", "odd"}));
  for (std::int64_t i = 0; i < s.size(); ++i) expect_record(s, i);
  EXPECT_THROW(s.labels(0, "nope"), FormatError);
  EXPECT_THROW(s.read_signal(37, nullptr), std::out_of_range);
  // signals.bin is exactly header + records.
  EXPECT_EQ(fs::file_size(fs::path(dir) / "signals.bin"), 4096u + 37u * 12u * 50u * 2u);
  fs::remove_all(dir);
}

TEST(ShardStore, QuantisationClampsAndRounds) {
  using namespace store_format;
  EXPECT_EQ(quantize(0.0f), 0);
  EXPECT_EQ(quantize(1.0f), 32767);
  EXPECT_EQ(quantize(1.5f), 32767);
  EXPECT_EQ(quantize(-0.2f), 0);
  EXPECT_EQ(quantize(std::nanf("")), 0);
  EXPECT_EQ(quantize(0.5f), 16384);  // 16383.5 rounds up
}

TEST(ShardStore, IncompleteStoreRefused) {
  const auto dir = temp_dir("incomplete");
  const StoreLayout l = synthetic_layout(12, 16);
  {
    ShardWriter w = ShardWriter::create(dir, l);
    for (int i = 0; i < 5; ++i) append_synthetic(w, i, l);
    w.flush();
  }  // destroyed without commit: an interrupted prepare
  try {
    ShardStore::open(dir);
    FAIL() << "incomplete store opened";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("store.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("incomplete"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(ShardStore, CorruptStoresRefused) {
  const auto dir = write_synthetic_store(temp_dir("corrupt"), 6, 12, 16);
  // Truncated signals.bin.
  fs::resize_file(fs::path(dir) / "signals.bin", 4096 + 5 * 12 * 16 * 2);
  EXPECT_THROW(ShardStore::open(dir), FormatError);
  write_synthetic_store(dir, 6, 12, 16);
  // meta.jsonl missing a line.
  {
    std::ifstream in(fs::path(dir) / "meta.jsonl");
    std::string all, line;
    std::getline(in, line);
    while (std::getline(in, line)) all += line + "\n";
    in.close();
    std::ofstream(fs::path(dir) / "meta.jsonl") << all;
  }
  EXPECT_THROW(ShardStore::open(dir), FormatError);
  // Not a store at all.
  const auto empty = temp_dir("empty");
  EXPECT_THROW(ShardStore::open(empty), FormatError);
  EXPECT_THROW(ShardStore::open(empty + "/does-not-exist"), IoError);
  fs::remove_all(dir);
  fs::remove_all(empty);
}

TEST(ShardWriter, ResumeDropsTornTailAndContinues) {
  const auto dir = temp_dir("resume");
  const StoreLayout l = synthetic_layout(12, 16);
  {
    ShardWriter w = ShardWriter::create(dir, l);
    for (int i = 0; i < 4; ++i) append_synthetic(w, i, l);
    w.skip("/bad/one", "corrupt");
    append_synthetic(w, 4, l);
    w.flush();
  }
  // Simulate a kill mid-write: a torn journal line and half a record of signal bytes.
  {
    std::ofstream(fs::path(dir) / "records.jsonl.partial", std::ios::app) << "{\"id\":\"rec5\",\"pa";
    std::ofstream(fs::path(dir) / "signals.bin.partial", std::ios::app | std::ios::binary) << "garbage";
  }
  ShardWriter w = ShardWriter::resume(dir, l);
  EXPECT_EQ(w.n_processed(), 6);
  EXPECT_EQ(w.n_written(), 5);
  ASSERT_EQ(w.skipped().size(), 1u);
  EXPECT_EQ(w.skipped()[0].reason, "corrupt");
  for (int i = 5; i < 9; ++i) append_synthetic(w, i, l);
  w.commit();
  ShardStore s = ShardStore::open(dir);
  ASSERT_EQ(s.size(), 9);
  for (int i = 0; i < 9; ++i) expect_record(s, i);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "records.jsonl.partial"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "summary.json"));
  // Resuming with a different layout starts over.
  ShardWriter w2 = ShardWriter::resume(dir, synthetic_layout(12, 32));
  EXPECT_EQ(w2.n_processed(), 0);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "store.json"));  // no longer looks complete
  fs::remove_all(dir);
}
