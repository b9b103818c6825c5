// Loader over a self-describing synthetic store (record i encodes i): epoch coverage,
// rank sharding, per-epoch reshuffle, exact resume, and that the data in a batch is record i's;
// and over two stores read as one (StoreSet).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "data/loader.h"
#include "synthetic_store.h"

using namespace cgdmer;
using namespace cgdmer::testing;

namespace {
class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(write_synthetic_store(temp_dir("loader"), 103, 12, 20));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
};
std::string* LoaderTest::dir_ = nullptr;

std::vector<std::int64_t> epoch_records(Loader& L) {
  std::vector<std::int64_t> out;
  for (std::int64_t b = 0; b < L.batches_per_epoch(); ++b) {
    Batch batch = L.next();
    out.insert(out.end(), batch.records.begin(), batch.records.end());
  }
  return out;
}
}  // namespace

TEST_F(LoaderTest, EveryEpochVisitsEachRecordOnceAndReshuffles) {
  ShardStore s = ShardStore::open(*dir_);
  LoaderOptions o;
  o.batch_size = 1;  // 103 batches: every record
  o.workers = 3;
  Loader L(s, o);
  ASSERT_EQ(L.batches_per_epoch(), 103);
  auto e0 = epoch_records(L);
  auto e1 = epoch_records(L);
  EXPECT_NE(e0, e1);  // a different order each epoch
  for (auto* e : {&e0, &e1}) {
    std::vector<std::int64_t> sorted = *e;
    std::sort(sorted.begin(), sorted.end());
    for (std::int64_t i = 0; i < 103; ++i) ASSERT_EQ(sorted[std::size_t(i)], i);
  }
  EXPECT_EQ(L.state().epoch, 2);
  EXPECT_EQ(L.state().next_batch, 0);
}

TEST_F(LoaderTest, BatchContentIsTheRecordItNames) {
  ShardStore s = ShardStore::open(*dir_);
  LoaderOptions o;
  o.batch_size = 8;
  Loader L(s, o);
  EXPECT_EQ(L.batches_per_epoch(), 12);  // 103 / 8, last partial dropped
  for (int b = 0; b < 5; ++b) {
    Batch batch = L.next();
    ASSERT_EQ(batch.size(), 8);
    EXPECT_EQ(batch.index_in_epoch, b);
    ASSERT_EQ(batch.signal.size(), 8u * 12u * 20u);
    for (int k = 0; k < 8; ++k) {
      const auto i = batch.records[std::size_t(k)];
      EXPECT_EQ(batch.token_ids[std::size_t(k)][1], i);
      for (int l = 0; l < 12; ++l)
        for (int t = 0; t < 20; ++t)
          ASSERT_NEAR(batch.signal[(std::size_t(k) * 12 + l) * 20 + t], synthetic_value(i, l, t), 2e-5);
    }
  }
}

TEST_F(LoaderTest, RanksAreDisjointEqualAndCover) {
  ShardStore s = ShardStore::open(*dir_);
  const int R = 4;
  std::vector<std::vector<std::int64_t>> per_rank;
  for (int r = 0; r < R; ++r) {
    LoaderOptions o;
    o.batch_size = 5;
    o.rank = r;
    o.world_size = R;
    o.seed = 7;
    Loader L(s, o);
    EXPECT_EQ(L.batches_per_epoch(), 5);  // 103/4 = 25 per rank → 5 batches of 5
    per_rank.push_back(epoch_records(L));
  }
  std::set<std::int64_t> all;
  for (auto& v : per_rank) {
    EXPECT_EQ(v.size(), 25u);
    for (auto i : v) EXPECT_TRUE(all.insert(i).second) << "record " << i << " on two ranks";
  }
  EXPECT_EQ(all.size(), 100u);  // 103 − 3 left over for equal shards
}

TEST_F(LoaderTest, ResumeMidEpochYieldsTheSameRemainder) {
  ShardStore s = ShardStore::open(*dir_);
  LoaderOptions o;
  o.batch_size = 6;
  o.seed = 123;
  std::vector<std::vector<std::int64_t>> full, resumed;
  LoaderState at;
  {
    Loader L(s, o);
    for (int b = 0; b < 40; ++b) {  // crosses two epoch boundaries (17 batches/epoch)
      if (b == 23) at = L.state();
      full.push_back(L.next().records);
    }
  }
  EXPECT_EQ(at.epoch, 1);
  EXPECT_EQ(at.next_batch, 6);
  {
    Loader L(s, o, at);
    for (int b = 23; b < 40; ++b) resumed.push_back(L.next().records);
  }
  EXPECT_EQ(std::vector<std::vector<std::int64_t>>(full.begin() + 23, full.end()), resumed);
  // Same seed, fresh loader → same sequence; other seed → different.
  Loader A(s, o);
  EXPECT_EQ(A.next().records, full[0]);
  o.seed = 124;
  Loader B(s, o);
  EXPECT_NE(B.next().records, full[0]);
}

TEST_F(LoaderTest, SubsetAndBadOptions) {
  ShardStore s = ShardStore::open(*dir_);
  LoaderOptions o;
  o.batch_size = 2;
  o.subset = {5, 9, 11, 40};
  o.shuffle = false;
  Loader L(s, o);
  EXPECT_EQ(L.next().records, (std::vector<std::int64_t>{5, 9}));
  EXPECT_EQ(L.next().records, (std::vector<std::int64_t>{11, 40}));
  EXPECT_EQ(L.next().epoch, 1);
  o.subset = {500};
  EXPECT_THROW(Loader(s, o), ConfigError);
  o.subset.clear();
  o.batch_size = 1000;
  EXPECT_THROW(Loader(s, o), ConfigError);
}

// Two stores read as one: the set's record i is store A's record i, then store B's from
// A's size on; one epoch covers both, and a batch's data is the record it names.
TEST(StoreSetLoader, TwoStoresShuffleTogetherAndReadTheirOwnRecords) {
  const std::string a_dir = write_synthetic_store(temp_dir("set_a"), 10, 12, 20);
  const std::string b_dir = write_synthetic_store(temp_dir("set_b"), 6, 12, 20);
  const ShardStore a = ShardStore::open(a_dir), b = ShardStore::open(b_dir);
  const StoreSet set({&a, &b});
  ASSERT_EQ(set.size(), 16);
  EXPECT_EQ(set.locate(9), (std::pair<std::size_t, std::int64_t>{0, 9}));
  EXPECT_EQ(set.locate(10), (std::pair<std::size_t, std::int64_t>{1, 0}));
  EXPECT_EQ(set.locate(15), (std::pair<std::size_t, std::int64_t>{1, 5}));
  EXPECT_THROW(set.locate(16), ConfigError);

  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 3;
  Loader L(set, o);
  ASSERT_EQ(L.batches_per_epoch(), 4);
  std::set<std::int64_t> seen;
  bool mixed = false;  // some batch holds records of both stores
  for (int k = 0; k < 4; ++k) {
    const Batch batch = L.next();
    int from_b = 0;
    for (int j = 0; j < batch.size(); ++j) {
      const std::int64_t rec = batch.records[std::size_t(j)];
      seen.insert(rec);
      const std::int64_t local = rec < 10 ? rec : rec - 10;  // both stores encode their own index
      from_b += rec >= 10;
      const float* x = batch.signal.data() + std::size_t(j) * 12 * 20;
      EXPECT_NEAR(x[5], synthetic_value(local, 0, 5), 2e-5) << "set record " << rec;  // 16-bit storage
      EXPECT_EQ(batch.token_ids[std::size_t(j)][1], std::int32_t(local));
    }
    mixed = mixed || (from_b > 0 && from_b < batch.size());
  }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_TRUE(mixed);
  std::filesystem::remove_all(a_dir);
  std::filesystem::remove_all(b_dir);
}

TEST(StoreSetLoader, StoresOfOtherInputOrTheSameStoreTwiceAreRefused) {
  const std::string a_dir = write_synthetic_store(temp_dir("set_c"), 4, 12, 20);
  const std::string b_dir = write_synthetic_store(temp_dir("set_d"), 4, 12, 40);
  const ShardStore a = ShardStore::open(a_dir), b = ShardStore::open(b_dir), a2 = ShardStore::open(a_dir);
  try {
    StoreSet({&a, &b});
    ADD_FAILURE() << "stores of 20 and 40 samples per lead were read as one";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(b_dir), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("same input"), std::string::npos) << e.what();
  }
  try {
    StoreSet({&a, &a2});
    ADD_FAILURE() << "one store given twice was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("given twice"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(a_dir);
  std::filesystem::remove_all(b_dir);
}
