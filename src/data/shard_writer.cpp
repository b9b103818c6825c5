// ShardWriter: append-only partial files + atomic commit (see shard_writer.h and the byte
// layout in shard_store_format.h).
#include "data/shard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/shard_store_format.h"

namespace cgdmer {

namespace fs = std::filesystem;
namespace sf = store_format;
using nlohmann::json;

namespace {

std::string path_in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

sf::SignalHeader make_header(const StoreLayout& l, std::uint64_t n_records) {
  sf::SignalHeader h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, sf::kMagic, 8);
  h.version = sf::kFormatVersion;
  h.dtype = sf::kDtypeInt16;
  h.n_leads = std::uint32_t(l.n_leads);
  h.n_samples = std::uint32_t(l.n_samples);
  h.fs = l.fs;
  h.n_records = n_records;
  h.record_bytes = std::uint64_t(l.n_leads) * std::uint64_t(l.n_samples) * 2;
  h.scale = sf::kScale;
  // Fits with at least one NUL (the constructor refuses longer hashes).
  std::memcpy(h.preprocessing_hash, l.preprocessing_hash.data(),
              std::min(l.preprocessing_hash.size(), sizeof h.preprocessing_hash - 1));
  return h;
}

void write_all(std::FILE* f, const void* p, std::size_t n, const std::string& path) {
  if (n && std::fwrite(p, 1, n, f) != n)
    throw IoError(path, std::string("write failed: ") + std::strerror(errno), "check free disk space");
}

}  // namespace

ShardWriter::ShardWriter(std::string dir, StoreLayout layout)
    : dir_(std::move(dir)), layout_(std::move(layout)) {
  if (layout_.n_leads <= 0 || layout_.n_samples <= 0)
    throw ConfigError("shard store: n_leads and n_samples must be positive");
  if (layout_.preprocessing_hash.size() >= sizeof(sf::SignalHeader::preprocessing_hash))
    throw ConfigError("shard store: preprocessing_hash longer than the header's 63 characters");
  if (!layout_.preprocessing_settings.empty() &&
      layout_.preprocessing_hash != sf::preprocessing_hash_for(sf::kFormatVersion, layout_.preprocessing_settings))
    throw ConfigError("shard store: preprocessing_hash " + layout_.preprocessing_hash +
                      " is not the FNV-1a-64 of the preprocessing settings");
  record_values_ = std::size_t(layout_.n_leads) * std::size_t(layout_.n_samples);
  qbuf_.resize(record_values_);
}

ShardWriter::ShardWriter(ShardWriter&& o) noexcept
    : dir_(std::move(o.dir_)),
      layout_(std::move(o.layout_)),
      record_values_(o.record_values_),
      sig_(o.sig_),
      rec_(o.rec_),
      n_processed_(o.n_processed_),
      n_written_(o.n_written_),
      skipped_(std::move(o.skipped_)),
      qbuf_(std::move(o.qbuf_)) {
  o.sig_ = o.rec_ = nullptr;
}

ShardWriter::~ShardWriter() {
  // Leaves the partial files in place: they are what a later run resumes from.
  if (sig_) std::fclose(sig_);
  if (rec_) std::fclose(rec_);
}

ShardWriter ShardWriter::create(const std::string& dir, const StoreLayout& layout) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir, "cannot create directory: " + ec.message());
  // The commit marker goes first: from here on the folder is an incomplete store.
  for (const char* name : {sf::kStoreJson, sf::kSignalsFile, sf::kMetaFile, sf::kSummaryFile})
    fs::remove(path_in(dir, name), ec);
  ShardWriter w(dir, layout);
  w.open_files(true);
  return w;
}

ShardWriter ShardWriter::resume(const std::string& dir, const StoreLayout& layout) {
  std::error_code ec;
  fs::remove(path_in(dir, sf::kStoreJson), ec);
  const std::string sig_path = path_in(dir, sf::kSignalsPartial);
  const std::string rec_path = path_in(dir, sf::kRecordsPartial);
  if (!fs::exists(sig_path) || !fs::exists(rec_path)) return create(dir, layout);
  ShardWriter w(dir, layout);

  // Check the partial signal header is for this layout.
  {
    std::ifstream in(sig_path, std::ios::binary);
    sf::SignalHeader h{};
    in.read(reinterpret_cast<char*>(&h), sizeof h);
    const sf::SignalHeader want = make_header(layout, 0);
    if (!in || std::memcmp(&h, &want, sizeof h) != 0) return create(dir, layout);
  }
  const std::uint64_t rb = std::uint64_t(w.record_values_) * 2;
  const std::uint64_t sig_bytes = fs::file_size(sig_path);
  const std::uint64_t sig_records =
      sig_bytes < sf::kSignalHeaderBytes ? 0 : (sig_bytes - sf::kSignalHeaderBytes) / rb;

  // Keep complete lines whose records have their signal bytes; stop at the first one that
  // does not (the signal is written before its line, so at most the tail is affected).
  std::ifstream in(rec_path, std::ios::binary);
  std::string line;
  std::uint64_t keep_bytes = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no trailing '\n': torn write
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      break;
    }
    if (j.contains("skip")) {
      w.skipped_.push_back({j["skip"].value("path", ""), j["skip"].value("reason", "")});
    } else {
      if (std::uint64_t(w.n_written_) >= sig_records) break;
      ++w.n_written_;
    }
    ++w.n_processed_;
    keep_bytes += line.size() + 1;
  }
  in.close();
  fs::resize_file(rec_path, keep_bytes, ec);
  if (ec) throw IoError(rec_path, "cannot truncate: " + ec.message());
  fs::resize_file(sig_path, sf::kSignalHeaderBytes + rb * std::uint64_t(w.n_written_), ec);
  if (ec) throw IoError(sig_path, "cannot truncate: " + ec.message());
  w.open_files(false);
  return w;
}

void ShardWriter::open_files(bool fresh) {
  const std::string sig_path = path_in(dir_, sf::kSignalsPartial);
  const std::string rec_path = path_in(dir_, sf::kRecordsPartial);
  sig_ = std::fopen(sig_path.c_str(), fresh ? "wb" : "ab");
  if (!sig_) throw IoError(sig_path, std::string("cannot open: ") + std::strerror(errno));
  rec_ = std::fopen(rec_path.c_str(), fresh ? "wb" : "ab");
  if (!rec_) throw IoError(rec_path, std::string("cannot open: ") + std::strerror(errno));
  if (fresh) {
    std::vector<char> header(sf::kSignalHeaderBytes, 0);
    const sf::SignalHeader h = make_header(layout_, 0);
    std::memcpy(header.data(), &h, sizeof h);
    write_all(sig_, header.data(), header.size(), sig_path);
    flush();
  }
}

void ShardWriter::append(const float* signal, const StoreRecordMeta& meta) {
  for (std::size_t k = 0; k < record_values_; ++k) qbuf_[k] = sf::quantize(signal[k]);
  append_quantized(qbuf_.data(), meta);
}

void ShardWriter::append_quantized(const std::int16_t* q, const StoreRecordMeta& meta) {
  write_all(sig_, q, record_values_ * sizeof(std::int16_t), path_in(dir_, sf::kSignalsPartial));
  json j;
  j["id"] = meta.id;
  j["path"] = meta.path;
  j["fold"] = meta.fold;
  if (meta.seconds > 0) j["seconds"] = meta.seconds;
  j["report"] = meta.report;
  j["tokens"] = meta.tokens;
  json labels = json::object();
  for (auto& [set, pos] : meta.labels) labels[set] = pos;
  j["labels"] = labels;
  // Invalid UTF-8 in a report must not abort the run: replace it (prepare validates earlier).
  const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  // Signal bytes reach the file before the line that refers to them (resume relies on it).
  if (std::fflush(sig_) != 0)
    throw IoError(path_in(dir_, sf::kSignalsPartial), std::string("write failed: ") + std::strerror(errno));
  write_all(rec_, line.data(), line.size(), path_in(dir_, sf::kRecordsPartial));
  ++n_written_;
  ++n_processed_;
}

void ShardWriter::skip(const std::string& path, const std::string& reason) {
  json j;
  j["skip"] = {{"path", path}, {"reason", reason}};
  const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  write_all(rec_, line.data(), line.size(), path_in(dir_, sf::kRecordsPartial));
  skipped_.push_back({path, reason});
  ++n_processed_;
}

void ShardWriter::flush() {
  if (sig_ && std::fflush(sig_) != 0)
    throw IoError(path_in(dir_, sf::kSignalsPartial), std::string("flush failed: ") + std::strerror(errno));
  if (rec_ && std::fflush(rec_) != 0)
    throw IoError(path_in(dir_, sf::kRecordsPartial), std::string("flush failed: ") + std::strerror(errno));
}

namespace {

// meta.jsonl = the record lines of prepare's journal (skip lines dropped), in order.
void write_meta_from_journal(const std::string& journal_path, const std::string& meta_path) {
  AtomicFile meta(meta_path);
  std::ifstream in(journal_path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("{\"skip\"", 0) == 0) continue;
    line += '\n';
    meta.write(line);
  }
  meta.commit();
}

// summary.json: the caller's fields (a JSON object text) + counts + the skip list.
json summary_json(const std::string& extra_json, std::int64_t n_processed, std::int64_t n_written,
                  const std::vector<SkipEntry>& skipped) {
  json summary;
  try {
    summary = json::parse(extra_json);
  } catch (const json::exception&) {
    summary = json::object();
  }
  summary["records_seen"] = n_processed;
  summary["records_written"] = n_written;
  json sk = json::array();
  for (auto& s : skipped) sk.push_back({{"path", s.path}, {"reason", s.reason}});
  summary["skipped"] = sk;
  return summary;
}

// store.json as shard_store_format.h lays it out.
json store_json(const StoreLayout& l, std::int64_t n_written, std::uint64_t signals_bytes) {
  json st;
  st["format"] = sf::kFormatName;
  st["version"] = sf::kFormatVersion;
  st["dataset"] = l.dataset;
  st["n_records"] = n_written;
  st["n_leads"] = l.n_leads;
  st["n_samples"] = l.n_samples;
  st["fs"] = l.fs;
  st["dtype"] = "int16";
  st["scale"] = sf::kScale;
  st["preprocessing_settings"] = l.preprocessing_settings;
  st["preprocessing_hash"] = l.preprocessing_hash;
  st["lead_names"] = l.lead_names;
  st["label_sets"] = l.label_sets;
  st["max_text_len"] = l.max_text_len;
  if (!l.tokenizer.empty()) st["tokenizer"] = l.tokenizer;
  st["signals_bytes"] = signals_bytes;
  return st;
}

}  // namespace

std::uint64_t ShardWriter::finish_signals() {
  const std::string sig_partial = path_in(dir_, sf::kSignalsPartial);
  flush();
  const sf::SignalHeader h = make_header(layout_, std::uint64_t(n_written_));
  // "ab" mode always appends, so reopen for the header update.
  std::fclose(sig_);
  sig_ = std::fopen(sig_partial.c_str(), "r+b");
  if (!sig_) throw IoError(sig_partial, std::string("cannot reopen: ") + std::strerror(errno));
  write_all(sig_, &h, sizeof h, sig_partial);
  if (std::fflush(sig_) != 0 || ::fsync(::fileno(sig_)) != 0)
    throw IoError(sig_partial, std::string("flush failed: ") + std::strerror(errno));
  std::fclose(sig_);
  sig_ = nullptr;
  std::fclose(rec_);
  rec_ = nullptr;
  const std::uint64_t sig_bytes = fs::file_size(sig_partial);
  fs::rename(sig_partial, path_in(dir_, sf::kSignalsFile));
  return sig_bytes;
}

void ShardWriter::commit(const std::string& summary_extra_json) {
  const std::string rec_partial = path_in(dir_, sf::kRecordsPartial);
  const std::uint64_t sig_bytes = finish_signals();
  write_meta_from_journal(rec_partial, path_in(dir_, sf::kMetaFile));
  write_file_atomic(path_in(dir_, sf::kSummaryFile),
                    summary_json(summary_extra_json, n_processed_, n_written_, skipped_)
                            .dump(2, ' ', false, json::error_handler_t::replace) +
                        "\n");
  // The commit point: after this rename the store is complete.
  write_file_atomic(path_in(dir_, sf::kStoreJson), store_json(layout_, n_written_, sig_bytes).dump(2) + "\n");
  std::error_code ec;
  fs::remove(rec_partial, ec);
  fs::remove(path_in(dir_, sf::kJournal), ec);
}

}  // namespace cgdmer
