// prepare_dataset (prepare.h): adapter plan → worker threads (read + preprocess + tokenize)
// → one writer appending in source order → atomic commit. Memory is bounded by a window of
// at most 4·jobs records in flight, whatever the dataset size; with a lazy plan (PTB-XL) the
// per-record metadata is read on the workers too, so nothing is held per record but the skip
// list (summary.json's) — bench_data_pipeline --rss-sweep measures it.
#include "data/prepare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/progress.h"
#include "data/dataset.h"
#include "data/preprocess.h"
#include "data/shard_store_format.h"
#include "data/shard_writer.h"
#include "io/ecg_readers.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace cgdmer {

namespace fs = std::filesystem;
namespace sf = store_format;
using nlohmann::json;

namespace {

struct Outcome {
  bool ok = false;
  std::string path;             // the record's file (for the skip entry)
  std::vector<std::int16_t> q;  // (n_leads, n_samples) quantised signal
  StoreRecordMeta meta;
  std::string skip_reason;
};

// Everything that decides the store's content: a resume only continues a run with equal text.
std::string options_fingerprint(const PrepareOptions& o, const PreprocessOptions& pp, std::size_t n_items) {
  std::error_code ec;
  const auto src = fs::weakly_canonical(o.src, ec).string();
  json j = {{"dataset", o.dataset}, {"src", src},         {"rate", o.rate},
            {"seconds", o.seconds}, {"max_text_len", o.max_text_len},
            {"min_words", o.min_words}, {"cpsc_first_2500", o.cpsc_first_2500},
            {"csn_substring_labels", o.csn_substring_labels}, {"labels_csv", o.labels_csv},
            {"vocab", o.vocab}, {"preprocessing", pp.settings_text()}, {"n_items", n_items},
            {"format_version", sf::kFormatVersion}};
  return j.dump();
}

}  // namespace

PrepareSummary prepare_dataset(const PrepareOptions& o) {
  if (o.out.empty()) throw ConfigError("prepare: --out STORE_DIR is required");
  if (!(o.rate > 0) || !(o.seconds > 0)) throw ConfigError("prepare: --rate and --seconds must be positive");
  if (o.max_text_len < 2) throw ConfigError("prepare: --max-text-len must be at least 2 ([CLS] and [SEP])");
  const auto t0 = std::chrono::steady_clock::now();

  DatasetPlan plan = plan_dataset(o);
  PreprocessOptions pp;
  pp.target_fs = o.rate;
  pp.target_samples = std::llround(o.rate * o.seconds);
  if (plan.keep_seconds > 0) pp.keep_samples = std::llround(o.rate * plan.keep_seconds);
  if (pp.target_samples <= 0) throw ConfigError("prepare: --rate × --seconds gives no samples");

  StoreLayout layout;
  layout.dataset = o.dataset;
  layout.n_leads = int(pp.lead_order.size());
  layout.n_samples = int(pp.target_samples);
  layout.fs = o.rate;
  layout.preprocessing_settings = pp.settings_text();
  layout.preprocessing_hash = pp.settings_digest();
  layout.lead_names = pp.lead_order;
  layout.label_sets = plan.label_sets;
  layout.max_text_len = o.max_text_len;

  const WordPieceTokenizer tok = o.vocab.empty() ? WordPieceTokenizer::medcpt() : WordPieceTokenizer::load(o.vocab);

  // Resume only a run with the same fingerprint; anything else starts afresh.
  const std::string journal_path = (fs::path(o.out) / sf::kJournal).string();
  const std::string fingerprint = options_fingerprint(o, pp, std::size_t(plan.size()));
  bool resumed = false;
  std::optional<ShardWriter> writer;
  if (fs::exists(journal_path)) {
    std::string prev;
    try {
      prev = json::parse(read_file(journal_path)).value("fingerprint", "");
    } catch (const std::exception&) {
    }
    if (prev == fingerprint) {
      writer.emplace(ShardWriter::resume(o.out, layout));
      resumed = writer->n_processed() > 0;
    }
  }
  if (!writer) {
    writer.emplace(ShardWriter::create(o.out, layout));
    write_file_atomic(journal_path, json{{"fingerprint", fingerprint}}.dump() + "\n");
  }
  ShardWriter& w = *writer;

  const std::int64_t n_items = plan.size();
  const std::int64_t start = std::min<std::int64_t>(w.n_processed(), n_items);
  const std::int64_t end = o.stop_after >= 0 ? std::min(n_items, std::max(start, o.stop_after)) : n_items;
  const int jobs = std::max(1, o.jobs > 0 ? o.jobs : int(std::thread::hardware_concurrency()));
  const std::int64_t window = 4 * std::int64_t(jobs);
  const std::size_t values = std::size_t(layout.n_leads) * std::size_t(layout.n_samples);

  auto process = [&](std::int64_t k) {
    Outcome out;
    DatasetItem it;
    try {
      // Lazy plans (PTB-XL) read the item's metadata row here, on the worker.
      it = plan.item(k);
    } catch (const std::exception& e) {
      out.path = "record " + std::to_string(k + 1) + " of the dataset listing";
      out.skip_reason = e.what();
      return out;
    }
    out.path = it.path;
    if (!it.skip_reason.empty()) {
      out.skip_reason = it.skip_reason;
      return out;
    }
    try {
      EcgRecord rec = it.format == RecordFormat::kCpscMat ? read_cpsc_mat(it.path)
                      : it.format == RecordFormat::kWfdb  ? read_wfdb_record(it.path)
                                                          : read_any_record(it.path);
      if (plan.from_record) plan.from_record(rec, it);
      if (!is_valid_utf8(it.report)) throw SkipRecord("report text is not valid UTF-8");
      const std::vector<float> x = preprocess_record(rec, pp);
      if (x.size() != values) throw SkipRecord("preprocessing returned an unexpected size");
      out.q.resize(values);
      for (std::size_t v = 0; v < values; ++v) out.q[v] = sf::quantize(x[v]);
      out.meta.id = it.id;
      out.meta.path = it.path;
      out.meta.fold = it.fold;
      out.meta.report = it.report;
      if (!it.report.empty()) out.meta.tokens = tok.encode(it.report, o.max_text_len, false).ids;
      out.meta.labels = std::move(it.labels);
      out.ok = true;
    } catch (const std::exception& e) {
      out.skip_reason = e.what();
    } catch (...) {
      out.skip_reason = "unknown error";
    }
    return out;
  };

  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::int64_t next_claim = start, next_write = start;
  std::map<std::int64_t, Outcome> done;
  bool stop = false;
  std::vector<std::thread> threads;
  auto stop_workers = [&] {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv_work.notify_all();
    for (auto& t : threads) t.join();
    threads.clear();
  };
  for (int t = 0; t < jobs; ++t)
    threads.emplace_back([&] {
      for (;;) {
        std::int64_t k;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv_work.wait(lk, [&] { return stop || next_claim >= end || next_claim < next_write + window; });
          if (stop || next_claim >= end) return;
          k = next_claim++;
        }
        Outcome r = process(k);
        std::lock_guard<std::mutex> lk(mu);
        done.emplace(k, std::move(r));
        cv_done.notify_all();
      }
    });

  std::optional<Progress> progress;
  if (o.progress) {
    progress.emplace("prepare " + o.dataset, n_items, "records");
    progress->set(start);
  }
  try {
    for (std::int64_t k = start; k < end; ++k) {
      Outcome r;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_done.wait(lk, [&] { return done.count(k) > 0; });
        r = std::move(done.extract(k).mapped());
        next_write = k + 1;
      }
      cv_work.notify_all();
      if (r.ok) w.append_quantized(r.q.data(), r.meta);
      else w.skip(r.path, r.skip_reason);
      if (progress) progress->advance(1, std::to_string(w.skipped().size()) + " skipped");
    }
  } catch (...) {
    stop_workers();
    throw;
  }
  stop_workers();
  w.flush();

  PrepareSummary s;
  s.store_dir = o.out;
  s.resumed = resumed;
  s.records_seen = w.n_processed();
  s.records_written = w.n_written();
  s.records_skipped = std::int64_t(w.skipped().size());
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.records_per_s = s.seconds > 0 ? double(end - start) / s.seconds : 0;
  if (w.n_processed() < n_items) {
    if (progress) progress->finish("stopped; re-run to resume");
    return s;  // interrupted on purpose (stop_after): partial files stay for the resume
  }
  json extra = {{"dataset", o.dataset},
                {"src", o.src},
                {"rate_hz", o.rate},
                {"seconds", o.seconds},
                {"n_samples", layout.n_samples},
                {"preprocessing", pp.settings_text()},
                {"jobs", jobs},
                {"resumed", resumed},
                {"elapsed_s_last_run", s.seconds},
                {"records_per_s_last_run", s.records_per_s}};
  w.commit(extra.dump());
  s.complete = true;
  if (progress)
    progress->finish(std::to_string(s.records_written) + " written, " + std::to_string(s.records_skipped) +
                     " skipped");
  return s;
}

}  // namespace cgdmer
