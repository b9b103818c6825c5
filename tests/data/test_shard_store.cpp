// Shard store: write → open round trip within the stated int16 quantisation, refusal of
// incomplete/corrupt stores, writer resume after an interruption, and the preprocessing hash
// by format version (2: FNV-1a-64; 1, still read: the mistyped-basis digest).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
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

namespace {

// Digests of kSettings computed outside this code base:
//   python3 -c 'h=BASIS
//   for c in b"pp1:leads=l0;fs=100;n=16;synthetic": h=((h^c)*1099511628211)%2**64
//   print("%016x"%h)'
// with BASIS 14695981039346656037 (FNV-1a-64) and 1469598103934665603 (the pre-fix copies).
const std::string kSettings = "pp1:leads=l0;fs=100;n=16;synthetic";
const std::string kSettingsFnv1a64 = "bfacba2103fa552b";
const std::string kSettingsVersion1Digest = "ce1b6ecb31cea6b1";

std::string write_store_with_settings(const std::string& dir, const std::string& hash) {
  StoreLayout l = synthetic_layout(1, 16);
  l.preprocessing_settings = kSettings;
  l.preprocessing_hash = hash;
  ShardWriter w = ShardWriter::create(dir, l);
  for (int i = 0; i < 3; ++i) append_synthetic(w, i, l);
  w.commit();
  return dir;
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_file(p.string())); }

// Patches signals.bin's header as shard_store_format.h lays it out: u32 version at 8, the
// 64-byte hash field at 52.
void patch_signal_header(const std::string& dir, std::uint32_t version, const std::string& hash) {
  std::fstream f(fs::path(dir) / "signals.bin", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(8);
  f.write(reinterpret_cast<const char*>(&version), 4);
  std::string field(64, '\0');
  field.replace(0, hash.size(), hash);
  f.seekp(52);
  f.write(field.data(), 64);
}

// Rewrites a store the way a version-1 build wrote it: no preprocessing_settings in store.json,
// the mistyped-basis digest as hash, and summary.json's "preprocessing" = "<settings>;fnv1a64=<hash>".
void make_version1(const std::string& dir, const std::string& hash) {
  auto st = read_json(fs::path(dir) / "store.json");
  st["version"] = 1;
  st.erase("preprocessing_settings");
  st["preprocessing_hash"] = hash;
  write_file_atomic((fs::path(dir) / "store.json").string(), st.dump(2) + "\n");
  auto summary = read_json(fs::path(dir) / "summary.json");
  summary["preprocessing"] = kSettings + ";fnv1a64=" + hash;
  write_file_atomic((fs::path(dir) / "summary.json").string(), summary.dump(2) + "\n");
  patch_signal_header(dir, 1, hash);
}

void expect_format_error(const std::string& dir, const std::vector<std::string>& parts) {
  try {
    ShardStore::open(dir);
    ADD_FAILURE() << "store opened";
  } catch (const FormatError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ShardStoreVersion, NewStoreIsVersion2WithTheRealFnv1a64OfItsSettings) {
  const auto dir = write_store_with_settings(temp_dir("v2"), kSettingsFnv1a64);
  const auto st = read_json(fs::path(dir) / "store.json");
  EXPECT_EQ(st["version"], 2);
  EXPECT_EQ(st["preprocessing_settings"], kSettings);
  EXPECT_EQ(st["preprocessing_hash"], kSettingsFnv1a64);
  const ShardStore s = ShardStore::open(dir);
  EXPECT_EQ(s.info().version, 2u);
  EXPECT_EQ(s.info().preprocessing_settings, kSettings);
  EXPECT_EQ(s.info().preprocessing_hash, kSettingsFnv1a64);
  for (int i = 0; i < 3; ++i) expect_record(s, i);
  // The header carries the same version and hash.
  std::ifstream in(fs::path(dir) / "signals.bin", std::ios::binary);
  store_format::SignalHeader h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);
  EXPECT_EQ(h.version, 2u);
  EXPECT_EQ(std::string(h.preprocessing_hash), kSettingsFnv1a64);
  fs::remove_all(dir);
}

TEST(ShardStoreVersion, WriterRefusesAHashThatIsNotTheSettingsDigest) {
  const auto dir = temp_dir("v2_bad_layout");
  EXPECT_THROW(write_store_with_settings(dir, kSettingsVersion1Digest), ConfigError);
  fs::remove_all(dir);
}

TEST(ShardStoreVersion, EditedVersion2HashIsRefusedNamingFileAndVersion) {
  const auto dir = write_store_with_settings(temp_dir("v2_edited"), kSettingsFnv1a64);
  auto st = read_json(fs::path(dir) / "store.json");
  st["preprocessing_hash"] = kSettingsVersion1Digest;  // the old digest under the new version
  write_file_atomic((fs::path(dir) / "store.json").string(), st.dump(2) + "\n");
  expect_format_error(dir, {"store.json", "store format version 2", kSettingsVersion1Digest});
  fs::remove_all(dir);
}

TEST(ShardStoreVersion, Version1StoreStillOpensVerifiedWithTheOldBasis) {
  const auto dir = write_store_with_settings(temp_dir("v1"), kSettingsFnv1a64);
  make_version1(dir, kSettingsVersion1Digest);
  const ShardStore s = ShardStore::open(dir);
  EXPECT_EQ(s.info().version, 1u);
  EXPECT_EQ(s.info().preprocessing_hash, kSettingsVersion1Digest);
  EXPECT_EQ(s.info().preprocessing_settings, kSettings);
  ASSERT_EQ(s.size(), 3);
  for (int i = 0; i < 3; ++i) expect_record(s, i);
  fs::remove_all(dir);
}

TEST(ShardStoreVersion, Version1WithTheNewDigestOrAnUnknownVersionIsRefused) {
  const auto dir = write_store_with_settings(temp_dir("v1_wrong"), kSettingsFnv1a64);
  make_version1(dir, kSettingsFnv1a64);  // a version-1 store never had the real digest
  expect_format_error(dir, {"summary.json", "store format version 1"});
  write_store_with_settings(dir, kSettingsFnv1a64);
  auto st = read_json(fs::path(dir) / "store.json");
  st["version"] = 3;
  write_file_atomic((fs::path(dir) / "store.json").string(), st.dump(2) + "\n");
  expect_format_error(dir, {"store.json", "store format version 3", "versions 1 to 2"});
  fs::remove_all(dir);
}

// The fuzz seeds are committed stores of both versions (fuzz/make_seeds.py; sections joined by
// "\n=====\n": store.json, meta.jsonl, signals.bin header, record bytes). Unpacked, each opens.
std::string unpack_fuzz_store_seed(const std::string& name) {
  std::ifstream in(std::string(CGDMER_SOURCE_DIR) + "/fuzz/corpus/fuzz_shard_store/" + name, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (std::size_t at; (at = bytes.find("\n=====\n", from)) != std::string::npos; from = at + 7)
    parts.push_back(bytes.substr(from, at - from));
  parts.push_back(bytes.substr(from));
  EXPECT_EQ(parts.size(), 4u) << name;
  parts.resize(4);
  const auto dir = temp_dir("seed_" + name);
  std::ofstream(fs::path(dir) / "store.json", std::ios::binary) << parts[0];
  std::ofstream(fs::path(dir) / "meta.jsonl", std::ios::binary) << parts[1];
  parts[2].resize(4096, '\0');
  std::ofstream(fs::path(dir) / "signals.bin", std::ios::binary) << parts[2] << parts[3];
  return dir;
}

TEST(ShardStoreVersion, CommittedSeedStoresOfBothVersionsOpen) {
  const auto v1 = unpack_fuzz_store_seed("valid_2x2x4");
  const ShardStore s1 = ShardStore::open(v1);
  EXPECT_EQ(s1.info().version, 1u);
  EXPECT_EQ(s1.info().preprocessing_hash, "pp1:test");  // v1 seed: free-form, no summary to verify
  EXPECT_EQ(s1.size(), 2);
  EXPECT_EQ(s1.record_id(1), "r2");
  const auto v2 = unpack_fuzz_store_seed("valid_v2_2x2x4");
  const ShardStore s2 = ShardStore::open(v2);
  EXPECT_EQ(s2.info().version, 2u);
  EXPECT_EQ(s2.info().preprocessing_settings, "pp1:test");
  EXPECT_EQ(s2.info().preprocessing_hash, "3029ec4bc7562aca");  // FNV-1a-64 of "pp1:test", from Python
  EXPECT_EQ(s2.size(), 2);
  std::vector<float> sig(8);
  s2.read_signal(0, sig.data());
  EXPECT_FLOAT_EQ(sig[2], 1.0f);  // q = 32767
  fs::remove_all(v1);
  fs::remove_all(v2);
}
