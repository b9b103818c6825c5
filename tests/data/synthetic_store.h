// Test helper: writes a small self-describing shard store in which record i's signal encodes
// i (value at (lead l, sample t) = ((i * 7 + l * 3 + t) % 1000) / 1000) and its tokens are
// {101, i, 102}, so any read can be checked against its index.
#pragma once

#include <cstdint>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/shard_writer.h"

namespace cgdmer::testing {

inline float synthetic_value(std::int64_t i, int l, int t) {
  return float((i * 7 + l * 3 + t) % 1000) / 1000.0f;
}

inline StoreLayout synthetic_layout(int n_leads = 12, int n_samples = 64) {
  StoreLayout l;
  l.dataset = "folder";
  l.n_leads = n_leads;
  l.n_samples = n_samples;
  l.fs = 100;
  l.preprocessing_hash = "synthetic";
  for (int k = 0; k < n_leads; ++k) l.lead_names.push_back("L" + std::to_string(k));
  l.label_sets["parity"] = {"even", "odd"};
  l.max_text_len = 8;
  return l;
}

inline StoreRecordMeta synthetic_meta(std::int64_t i) {
  StoreRecordMeta m;
  m.id = "rec" + std::to_string(i);
  m.path = "/synthetic/" + m.id;
  m.fold = int(i % 10) + 1;
  m.report = "report " + std::to_string(i);
  m.tokens = {101, std::int32_t(i), 102};
  m.labels["parity"] = {int(i % 2)};
  return m;
}

inline void append_synthetic(ShardWriter& w, std::int64_t i, const StoreLayout& l) {
  std::vector<float> sig(std::size_t(l.n_leads) * std::size_t(l.n_samples));
  for (int c = 0; c < l.n_leads; ++c)
    for (int t = 0; t < l.n_samples; ++t) sig[std::size_t(c) * l.n_samples + t] = synthetic_value(i, c, t);
  w.append(sig.data(), synthetic_meta(i));
}

inline std::string write_synthetic_store(const std::string& dir, std::int64_t n, int n_leads = 12,
                                         int n_samples = 64) {
  std::filesystem::remove_all(dir);
  const StoreLayout l = synthetic_layout(n_leads, n_samples);
  ShardWriter w = ShardWriter::create(dir, l);
  for (std::int64_t i = 0; i < n; ++i) append_synthetic(w, i, l);
  w.commit();
  return dir;
}

inline std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("cgdmer_test_data_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace cgdmer::testing
