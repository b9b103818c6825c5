// ShardStore: opens a committed store folder (layout and versions in shard_store_format.h):
// checks store.json (and the preprocessing hash its version prescribes), memory-maps
// signals.bin after checking its size and header, and loads meta.jsonl into flat tables.
#include "data/shard_store.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/shard_store_format.h"

namespace cgdmer {

namespace fs = std::filesystem;
namespace sf = store_format;
using nlohmann::json;

namespace {

// meta.jsonl in flat tables, one entry (or row) per record.
struct MetaTables {
  std::vector<std::string> ids, paths, reports;
  std::vector<int> folds;
  std::vector<double> seconds;               // duration before crop/pad; 0 = not recorded
  std::vector<std::int32_t> tokens;          // all records' token ids, concatenated
  std::vector<std::int64_t> token_offsets;   // (n_records + 1)
  // Per label set: (n_records, n_classes) multi-hot, row-major.
  std::map<std::string, std::vector<std::uint8_t>> labels;
};

}  // namespace

struct ShardStore::Impl {
  std::string dir;
  StoreInfo info;
  // mmap of signals.bin
  void* map = nullptr;
  std::size_t map_bytes = 0;
  std::size_t record_values = 0;  // n_leads * n_samples
  MetaTables meta;

  ~Impl() {
    if (map) ::munmap(map, map_bytes);
  }
};

namespace {

std::string file_in(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

// Maps the whole file read-only after checking its size; returns (address, bytes).
std::pair<void*, std::size_t> map_signals(const std::string& path, std::uint64_t expect_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw IoError(path, std::string("cannot stat: ") + std::strerror(errno));
  }
  const std::uint64_t size = std::uint64_t(st.st_size);
  if (size != expect_bytes) {
    ::close(fd);
    throw FormatError(path, "size " + std::to_string(size) + " bytes, store.json says " +
                                std::to_string(expect_bytes) + " (truncated or foreign file)");
  }
  if (size < sf::kSignalHeaderBytes) {
    ::close(fd);
    throw FormatError(path, "shorter than its 4096-byte header");
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) throw IoError(path, std::string("mmap failed: ") + std::strerror(errno));
  return {p, std::size_t(size)};
}

// Integer JSON value as T, or FormatError: it must be a JSON integer within T's range.
// nlohmann's get<T>() static_casts a float such as 1e30 to the integer type, which is
// undefined behaviour (found by fuzz/fuzz_shard_store).
template <class T>
T json_int(const json& v, const std::string& path, const std::string& what) {
  using L = std::numeric_limits<T>;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= std::uint64_t(L::max())) return T(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= std::int64_t(L::min()) && (i < 0 || std::uint64_t(i) <= std::uint64_t(L::max()))) return T(i);
  }
  throw FormatError(path, what + ": " + v.dump().substr(0, 40) + " is not an integer in range");
}

// store.json of `dir` parsed; a missing one says whether the store is incomplete or foreign.
json read_store_json(const std::string& dir) {
  const std::string path = file_in(dir, sf::kStoreJson);
  if (!fs::is_directory(dir)) throw IoError(dir, "not a directory (expected a shard store)");
  if (!fs::exists(path)) {
    const bool partial = fs::exists(fs::path(dir) / sf::kJournal) ||
                         fs::exists(fs::path(dir) / sf::kSignalsPartial);
    throw FormatError(path,
                      partial ? "missing: the store is incomplete (prepare was interrupted)"
                              : "missing: not a cgdmer shard store",
                      "run `cgdmer prepare ... --out " + dir + "` (it resumes an interrupted run)");
  }
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
}

// The store.json fields StoreInfo holds, checked for type, version and sane counts.
StoreInfo parse_store_info(const json& j, const std::string& path) {
  StoreInfo info;
  try {
    if (j.value("format", std::string()) != sf::kFormatName)
      throw FormatError(path, "not a cgdmer shard store (format field)");
    info.version = json_int<std::uint32_t>(j.at("version"), path, "version");
    if (info.version < sf::kOldestReadableVersion || info.version > sf::kFormatVersion)
      throw FormatError(path, "store format version " + std::to_string(info.version) +
                                  ", this build reads versions " + std::to_string(sf::kOldestReadableVersion) +
                                  " to " + std::to_string(sf::kFormatVersion),
                        "re-run cgdmer prepare");
    info.n_records = json_int<std::int64_t>(j.at("n_records"), path, "n_records");
    info.n_leads = json_int<int>(j.at("n_leads"), path, "n_leads");
    info.n_samples = json_int<int>(j.at("n_samples"), path, "n_samples");
    info.fs = j.at("fs").get<double>();
    info.dataset = j.at("dataset").get<std::string>();
    info.preprocessing_hash = j.at("preprocessing_hash").get<std::string>();
    if (info.version >= 2) info.preprocessing_settings = j.at("preprocessing_settings").get<std::string>();
    info.lead_names = j.at("lead_names").get<std::vector<std::string>>();
    for (auto& [k, v] : j.at("label_sets").items()) info.label_sets[k] = v.get<std::vector<std::string>>();
    info.tokenizer = j.value("tokenizer", std::string());
    if (j.contains("max_text_len")) info.max_text_len = json_int<int>(j.at("max_text_len"), path, "max_text_len");
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("bad field: ") + e.what());
  }
  if (info.n_records < 0 || info.n_leads <= 0 || info.n_samples <= 0) throw FormatError(path, "bad counts");
  return info;
}

// signals.bin's size as store.json states it ("signals_bytes", else implied by the counts).
std::uint64_t stated_signals_bytes(const json& j, const StoreInfo& info, std::uint64_t record_bytes,
                                   const std::string& path) {
  // Counts large enough to wrap the byte size around 2^64 could match a small file and then
  // size the tables below (found by fuzz/fuzz_shard_store).
  if (std::uint64_t(info.n_records) > (UINT64_MAX - sf::kSignalHeaderBytes) / record_bytes)
    throw FormatError(path, "bad counts: n_records x record size overflows");
  const std::uint64_t implied = sf::kSignalHeaderBytes + record_bytes * std::uint64_t(info.n_records);
  try {  // a non-numeric value would otherwise escape as a JSON exception (fuzz_shard_store)
    return j.contains("signals_bytes") ? json_int<std::uint64_t>(j["signals_bytes"], path, "signals_bytes")
                                       : implied;
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("bad field: ") + e.what());
  }
}

// The mapped signals.bin header must agree with store.json.
void check_signal_header(const void* map, const StoreInfo& info, std::uint64_t record_bytes,
                         const std::string& sig_path) {
  sf::SignalHeader h;
  std::memcpy(&h, map, sizeof h);
  if (std::memcmp(h.magic, sf::kMagic, 8) != 0) throw FormatError(sig_path, "bad magic");
  if (h.version != info.version || h.dtype != sf::kDtypeInt16 ||
      h.n_leads != std::uint32_t(info.n_leads) || h.n_samples != std::uint32_t(info.n_samples) ||
      h.n_records != std::uint64_t(info.n_records) || h.record_bytes != record_bytes)
    throw FormatError(sig_path, "header disagrees with store.json");
}

// Version 1 kept the settings text only in summary.json, as "<settings>;fnv1a64=<hash>"
// (shard_store_format.h); "" when summary.json or that field is absent.
std::string version1_settings_from_summary(const std::string& dir) {
  const std::string path = file_in(dir, sf::kSummaryFile);
  if (!fs::exists(path)) return "";
  std::string text;
  try {
    text = json::parse(read_file(path)).value("preprocessing", std::string());
  } catch (const json::exception& e) {
    throw FormatError(path, std::string("not valid JSON: ") + e.what());
  }
  const auto p = text.rfind(";fnv1a64=");
  return p == std::string::npos ? "" : text.substr(0, p);
}

// A store's preprocessing_hash must be the digest its version prescribes of its settings text
// (store.json's in version 2, summary.json's in version 1); nothing to check without a text.
void verify_preprocessing_hash(const std::string& dir, StoreInfo& info) {
  const bool v1 = info.version == 1;
  if (v1) info.preprocessing_settings = version1_settings_from_summary(dir);
  if (info.preprocessing_settings.empty()) return;
  const std::string want = sf::preprocessing_hash_for(info.version, info.preprocessing_settings);
  if (info.preprocessing_hash != want)
    throw FormatError(file_in(dir, v1 ? sf::kSummaryFile : sf::kStoreJson),
                      "store format version " + std::to_string(info.version) + ": preprocessing_hash " +
                          info.preprocessing_hash + " is not the " +
                          (v1 ? "version-1 (mistyped-basis FNV) digest" : "FNV-1a-64") +
                          " of the preprocessing settings (" + want + ")",
                      "the store was edited or damaged; re-run cgdmer prepare");
}

// Appends record i's meta.jsonl object to the tables (labels: rows already sized).
void add_meta_line(const json& m, std::size_t i, const StoreInfo& info, const std::string& path,
                   MetaTables& t) {
  t.ids.push_back(m.at("id").get<std::string>());
  t.paths.push_back(m.value("path", std::string()));
  t.reports.push_back(m.value("report", std::string()));
  t.folds.push_back(m.contains("fold") ? json_int<int>(m["fold"], path, "fold") : -1);
  if (m.contains("seconds") && !m["seconds"].is_number())
    throw FormatError(path, "line " + std::to_string(i + 1) + ": seconds is not a number");
  t.seconds.push_back(m.value("seconds", 0.0));
  if (m.contains("tokens"))
    for (auto& tok : m["tokens"]) t.tokens.push_back(json_int<std::int32_t>(tok, path, "token id"));
  t.token_offsets.push_back(std::int64_t(t.tokens.size()));
  if (!m.contains("labels")) return;
  for (auto& [set, pos] : m["labels"].items()) {
    auto it = info.label_sets.find(set);
    if (it == info.label_sets.end())
      throw FormatError(path, "line " + std::to_string(i + 1) + ": unknown label set " + set);
    const std::size_t c = it->second.size();
    for (auto& p : pos) {
      const int k = json_int<int>(p, path, "label index");
      if (k < 0 || std::size_t(k) >= c)
        throw FormatError(path, "line " + std::to_string(i + 1) + ": label index out of range");
      t.labels[set][i * c + std::size_t(k)] = 1;
    }
  }
}

// meta.jsonl: exactly info.n_records objects (blank lines ignored).
MetaTables load_meta(const std::string& path, const StoreInfo& info) {
  std::ifstream in(path);
  if (!in) throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  const auto n = std::size_t(info.n_records);
  MetaTables t;
  t.ids.reserve(n);
  t.paths.reserve(n);
  t.reports.reserve(n);
  t.folds.reserve(n);
  t.token_offsets.reserve(n + 1);
  t.token_offsets.push_back(0);
  for (auto& [set, classes] : info.label_sets) t.labels[set].assign(n * classes.size(), 0);
  std::string line;
  std::size_t i = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (i >= n) throw FormatError(path, "more lines than n_records in store.json");
    try {
      add_meta_line(json::parse(line), i, info, path, t);
    } catch (const json::exception& e) {
      throw FormatError(path, "line " + std::to_string(i + 1) + ": " + e.what());
    }
    ++i;
  }
  if (i != n) throw FormatError(path, std::to_string(i) + " records, store.json says " + std::to_string(n));
  return t;
}

}  // namespace

ShardStore::ShardStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ShardStore::ShardStore(ShardStore&&) noexcept = default;
ShardStore& ShardStore::operator=(ShardStore&&) noexcept = default;
ShardStore::~ShardStore() = default;

ShardStore ShardStore::open(const std::string& dir) {
  const std::string store_json = file_in(dir, sf::kStoreJson);
  const json j = read_store_json(dir);
  auto s = std::make_unique<Impl>();
  s->dir = dir;
  s->info = parse_store_info(j, store_json);
  verify_preprocessing_hash(dir, s->info);

  const std::string sig_path = file_in(dir, sf::kSignalsFile);
  s->record_values = std::size_t(s->info.n_leads) * std::size_t(s->info.n_samples);
  const std::uint64_t record_bytes = s->record_values * sizeof(std::int16_t);
  const std::uint64_t signals_bytes = stated_signals_bytes(j, s->info, record_bytes, store_json);
  std::tie(s->map, s->map_bytes) = map_signals(sig_path, signals_bytes);
  if (signals_bytes != sf::kSignalHeaderBytes + record_bytes * std::uint64_t(s->info.n_records))
    throw FormatError(store_json, "signals_bytes disagrees with the record counts");
  check_signal_header(s->map, s->info, record_bytes, sig_path);

  s->meta = load_meta(file_in(dir, sf::kMetaFile), s->info);
  return ShardStore(std::move(s));
}

const StoreInfo& ShardStore::info() const { return impl_->info; }
const std::string& ShardStore::dir() const { return impl_->dir; }

void ShardStore::read_signal(std::int64_t i, float* out) const {
  if (i < 0 || i >= impl_->info.n_records)
    throw std::out_of_range("ShardStore::read_signal: index " + std::to_string(i));
  const std::size_t n = impl_->record_values;
  const auto* q = reinterpret_cast<const std::int16_t*>(
      static_cast<const char*>(impl_->map) + sf::kSignalHeaderBytes +
      std::size_t(i) * n * sizeof(std::int16_t));
  for (std::size_t k = 0; k < n; ++k) out[k] = sf::dequantize(q[k]);
}

const std::string& ShardStore::record_id(std::int64_t i) const { return impl_->meta.ids.at(std::size_t(i)); }
const std::string& ShardStore::source_path(std::int64_t i) const {
  return impl_->meta.paths.at(std::size_t(i));
}
const std::string& ShardStore::report(std::int64_t i) const { return impl_->meta.reports.at(std::size_t(i)); }
int ShardStore::fold(std::int64_t i) const { return impl_->meta.folds.at(std::size_t(i)); }
double ShardStore::record_seconds(std::int64_t i) const { return impl_->meta.seconds.at(std::size_t(i)); }

std::vector<std::int32_t> ShardStore::token_ids(std::int64_t i) const {
  const auto& off = impl_->meta.token_offsets;
  const std::size_t k = std::size_t(i);
  if (k + 1 >= off.size()) throw std::out_of_range("ShardStore::token_ids: index " + std::to_string(i));
  return std::vector<std::int32_t>(impl_->meta.tokens.begin() + off[k], impl_->meta.tokens.begin() + off[k + 1]);
}

std::vector<std::uint8_t> ShardStore::labels(std::int64_t i, const std::string& set) const {
  auto it = impl_->info.label_sets.find(set);
  if (it == impl_->info.label_sets.end())
    throw FormatError((fs::path(impl_->dir) / sf::kStoreJson).string(), "no label set '" + set + "'");
  const std::size_t c = it->second.size();
  const auto& flat = impl_->meta.labels.at(set);
  const std::size_t k = std::size_t(i);
  if (k >= std::size_t(impl_->info.n_records))
    throw std::out_of_range("ShardStore::labels: index " + std::to_string(i));
  return std::vector<std::uint8_t>(flat.begin() + k * c, flat.begin() + (k + 1) * c);
}

}  // namespace cgdmer
