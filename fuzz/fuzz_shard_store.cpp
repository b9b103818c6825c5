// Fuzz target: opening a shard store (ShardStore::open) whose files are attacker-controlled:
// store.json, meta.jsonl and the signals.bin header (layout: data/shard_store_format.h).
// Input sections (joined by "\n=====\n"):
//   0 store.json text   1 meta.jsonl text   2 signals.bin header bytes (first <= 4096 bytes,
//   zero-padded to the 4096-byte header)   3 record bytes appended after the header.
// A store that opens must serve every record without reading outside its mapping.
#include <cstdint>
#include <string>
#include <vector>

#include "data/shard_store.h"
#include "data/shard_store_format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fz = cgdmer::fuzz;
  namespace sf = cgdmer::store_format;
  const auto parts = fz::sections(data, size, 4);
  fz::clear_scratch();
  fz::write_scratch(sf::kStoreJson, parts[0]);
  fz::write_scratch(sf::kMetaFile, parts[1]);
  std::string signals(sf::kSignalHeaderBytes, '\0');
  signals.replace(0, std::min(parts[2].size(), signals.size()),
                  parts[2].substr(0, sf::kSignalHeaderBytes));
  signals.append(parts[3]);
  fz::write_scratch(sf::kSignalsFile, signals);
  fz::expect_clean([&] {
    const auto store = cgdmer::ShardStore::open(fz::scratch_dir().string());
    const auto& info = store.info();
    // Only small stores are exercised record by record (the fuzzer's files are small anyway).
    const std::size_t values = std::size_t(info.n_leads) * std::size_t(info.n_samples);
    if (values * std::size_t(store.size()) * 2 > signals.size()) __builtin_trap();
    std::vector<float> buf(values);
    for (std::int64_t i = 0; i < store.size(); ++i) {
      store.read_signal(i, buf.data());
      (void)store.record_id(i).size();
      (void)store.source_path(i).size();
      (void)store.report(i).size();
      (void)store.token_ids(i);
      (void)store.fold(i);
      for (const auto& [set, classes] : info.label_sets)
        if (store.labels(i, set).size() != classes.size()) __builtin_trap();
    }
  });
  return 0;
}
