// The synthetic shard store and tiny model config shared by the pretraining tests of this
// binary (test_engine.cpp, test_faults.cpp). Worker children of the binary (spawn_self.h)
// get the parent's store through CGDMER_TEST_STORE instead of writing their own.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "data/prepare.h"
#include "data/shard_store_format.h"
#include "data/shard_writer.h"

namespace cgdmer::testing {

// A store of `n` records, 12 leads × 200 samples, smooth random signals; every report reads
// "synthetic" but its stored ids are 6–20 random ones, so the ids alone tell records apart.
// `folded`: record r is in fold 1 + r % 4; otherwise no record has a fold (as LUDB).
// `tokenizer`: the fingerprint store.json names ("" = none, taken as MedCPT's).
// `preprocessing`: the settings text store.json names ("" = none, as a hand-made store).
inline void write_train_store(const std::string& dir, const std::string& dataset, int n, bool folded,
                              std::uint64_t seed, const std::string& tokenizer = "",
                              const std::string& preprocessing = "") {
  std::filesystem::remove_all(dir);
  StoreLayout lay;
  lay.dataset = dataset;
  lay.n_leads = 12;
  lay.n_samples = 200;
  lay.fs = 100;
  lay.preprocessing_hash = "synthetic";
  if (!preprocessing.empty()) {
    lay.preprocessing_settings = preprocessing;
    lay.preprocessing_hash = store_format::preprocessing_hash_for(store_format::kFormatVersion, preprocessing);
  }
  for (const char* n : {"I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"})
    lay.lead_names.push_back(n);
  lay.max_text_len = 32;
  lay.tokenizer = tokenizer;
  auto w = ShardWriter::create(dir, lay);
  std::mt19937_64 rng(seed);
  std::vector<float> sig(12 * 200);
  for (int r = 0; r < n; ++r) {
    for (int l = 0; l < 12; ++l)
      for (int s = 0; s < 200; ++s)
        sig[size_t(l * 200 + s)] =
            0.5f + 0.4f * float(std::sin(0.05 * s * (1 + r % 5) + l)) * float(rng() % 100) / 100.f;
    StoreRecordMeta m;
    m.id = "r" + std::to_string(r);
    m.path = m.id;
    m.fold = folded ? 1 + r % 4 : -1;
    m.report = "synthetic";
    m.tokens.push_back(101);
    const int k = 6 + int(rng() % 15);
    for (int i = 0; i < k; ++i) m.tokens.push_back(200 + int(rng() % 200));
    m.tokens.push_back(102);
    w.append(sig.data(), m);
  }
  w.commit();
}

inline std::string temp_store_dir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()))).string();
}

// 40 records in folds 1–4 (dataset "folder"), written once per process.
inline std::string synthetic_store() {
  static std::string dir;
  if (!dir.empty()) return dir;
  if (const char* shared = std::getenv("CGDMER_TEST_STORE")) return dir = shared;  // a child
  dir = temp_store_dir("cgdmer_test_train_store");
  write_train_store(dir, "folder", 40, true, 7);
  std::atexit([] { std::filesystem::remove_all(dir); });
  return dir;
}

// 16 records without folds, dataset "ludb": a second pretraining store beside synthetic_store().
inline std::string unfolded_store() {
  static std::string dir;
  if (!dir.empty()) return dir;
  dir = temp_store_dir("cgdmer_test_train_ludb");
  write_train_store(dir, "ludb", 16, false, 11);
  std::atexit([] { std::filesystem::remove_all(dir); });
  return dir;
}

// The embedded real sample (600 PTB-XL records at 100 Hz, folds 1–9, reports and labels)
// prepared into `dir`, cut to 2 s (200 samples per lead: the tiny test model's input).
inline bool prepare_sample_store(const std::string& dir) {
  PrepareOptions p;
  p.dataset = "ptbxl";
  p.src = std::string(CGDMER_SOURCE_DIR) + "/data/sample/ptbxl";
  p.out = dir;
  p.rate = 100;
  p.seconds = 2;
  p.jobs = 1;
  p.progress = false;
  return prepare_dataset(p).complete;
}

inline std::vector<std::string> tiny_overrides() {
  return {"ecg.n_samples=200", "ecg.patch_size=20", "ecg.tokenizer_channels=8",
          "ecg.width=32", "ecg.depth=1", "ecg.heads=2", "ecg.decoder_width=16",
          "ecg.decoder_depth=1", "ecg.decoder_heads=2", "text.vocab_size=512",
          "text.width=32", "text.depth=1", "text.heads=2", "text.intermediate=64",
          "text.max_len=24", "text.max_position=32", "text.dropout=0.1",
          "text.n_sentinels=8", "text.decoder_width=16", "text.decoder_depth=1",
          "text.decoder_heads=2", "text.decoder_max_len=16", "head.dim=16", "head.hidden=16",
          "train.batch_size=4", "train.lr=1e-3", "train.log_every=1", "train.keep_last=2",
          "train.loader_workers=1"};
}

}  // namespace cgdmer::testing
