// prepare_dataset (prepare.h), as its steps: check the options → plan the dataset and the
// store layout → open the store, resuming an interrupted run with the same options (the
// journal) → read + preprocess + tokenize records on worker threads while one writer appends
// them in source order (core/ordered_parallel_map.h) → summary → atomic commit. Memory is
// bounded by the map's window of 4·jobs records in flight, whatever the dataset size; with a
// lazy plan (PTB-XL) the per-record metadata is read on the workers too, so nothing is held
// per record but the skip list (summary.json's) — bench_data_pipeline --rss-sweep measures it.
#include "data/prepare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ordered_parallel_map.h"
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

// One record after the workers: its quantised signal and metadata, or why it is skipped.
struct Outcome {
  bool ok = false;
  std::string path;             // the record's file (for the skip entry)
  std::vector<std::int16_t> q;  // (n_leads, n_samples) quantised signal
  StoreRecordMeta meta;
  std::string skip_reason;
};

// What a worker needs to turn item k into an Outcome (all read-only, shared by the workers).
struct RecordContext {
  const DatasetPlan& plan;
  const PreprocessOptions& pp;
  const WordPieceTokenizer& tok;
  int max_text_len;
  std::size_t values;  // n_leads * n_samples
};

void check_options(const PrepareOptions& o) {
  if (o.out.empty()) throw ConfigError("prepare: --out STORE_DIR is required");
  if (!(o.rate > 0) || !(o.seconds > 0)) throw ConfigError("prepare: --rate and --seconds must be positive");
  if (o.max_text_len < 2) throw ConfigError("prepare: --max-text-len must be at least 2 ([CLS] and [SEP])");
}

PreprocessOptions preprocessing_for(const PrepareOptions& o, const DatasetPlan& plan) {
  PreprocessOptions pp;
  pp.target_fs = o.rate;
  pp.target_samples = std::llround(o.rate * o.seconds);
  if (plan.keep_seconds > 0) pp.keep_samples = std::llround(o.rate * plan.keep_seconds);
  pp.normalisation = parse_normalisation(o.norm);
  if (pp.normalisation == Normalisation::none)
    throw ConfigError("prepare: --norm none would store values outside the store's [0, 1] range", "minmax or mv");
  if (pp.target_samples <= 0) throw ConfigError("prepare: --rate × --seconds gives no samples");
  return pp;
}

StoreLayout layout_for(const PrepareOptions& o, const PreprocessOptions& pp, const DatasetPlan& plan) {
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
  return layout;
}

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

// Resume journaling: the partial store in o.out is continued when the journal there holds the
// same fingerprint; otherwise the store starts afresh and the journal records this run's.
// `resumed` says whether records of an earlier run were kept.
std::optional<ShardWriter> open_or_resume_store(const std::string& out, const StoreLayout& layout,
                                                const std::string& fingerprint, bool& resumed) {
  const std::string journal_path = (fs::path(out) / sf::kJournal).string();
  resumed = false;
  std::optional<ShardWriter> writer;
  if (fs::exists(journal_path)) {
    std::string prev;
    try {
      prev = json::parse(read_file(journal_path)).value("fingerprint", "");
    } catch (const std::exception&) {
    }
    if (prev == fingerprint) {
      writer.emplace(ShardWriter::resume(out, layout));
      resumed = writer->n_processed() > 0;
    }
  }
  if (!writer) {
    writer.emplace(ShardWriter::create(out, layout));
    write_file_atomic(journal_path, json{{"fingerprint", fingerprint}}.dump() + "\n");
  }
  return writer;
}

// Item k read, preprocessed, quantised and tokenized; never throws (a failure is a skip).
Outcome process_item(std::int64_t k, const RecordContext& c) {
  Outcome out;
  DatasetItem it;
  try {
    it = c.plan.item(k);  // lazy plans (PTB-XL) read the item's metadata row here, on the worker
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
    if (c.plan.from_record) c.plan.from_record(rec, it);
    if (!is_valid_utf8(it.report)) throw SkipRecord("report text is not valid UTF-8");
    const std::vector<float> x = preprocess_record(rec, c.pp);
    if (x.size() != c.values) throw SkipRecord("preprocessing returned an unexpected size");
    out.q.resize(c.values);
    for (std::size_t v = 0; v < c.values; ++v) out.q[v] = sf::quantize(x[v]);
    out.meta.id = it.id;
    out.meta.path = it.path;
    out.meta.fold = it.fold;
    out.meta.seconds = double(rec.n_samples) / rec.fs;
    out.meta.report = it.report;
    if (!it.report.empty()) out.meta.tokens = c.tok.encode(it.report, c.max_text_len, false).ids;
    out.meta.labels = std::move(it.labels);
    out.ok = true;
  } catch (const std::exception& e) {
    out.skip_reason = e.what();
  } catch (...) {
    out.skip_reason = "unknown error";
  }
  return out;
}

// Items [start, end) processed on `jobs` threads, appended to `w` in source order.
void write_records(ShardWriter& w, const RecordContext& c, std::int64_t start, std::int64_t end, int jobs,
                   Progress* progress) {
  ordered_parallel_map(
      start, end, jobs, /*window=*/4 * std::int64_t(jobs), [&](std::int64_t k) { return process_item(k, c); },
      [&](std::int64_t, Outcome r) {
        if (r.ok) w.append_quantized(r.q.data(), r.meta);
        else w.skip(r.path, r.skip_reason);
        if (progress) progress->advance(1, std::to_string(w.skipped().size()) + " skipped");
      });
}

// The writer's totals and this run's speed (n_run records processed since t0).
void count_run(PrepareSummary& s, const ShardWriter& w, std::int64_t n_run,
               std::chrono::steady_clock::time_point t0) {
  s.records_seen = w.n_processed();
  s.records_written = w.n_written();
  s.records_skipped = std::int64_t(w.skipped().size());
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.records_per_s = s.seconds > 0 ? double(n_run) / s.seconds : 0;
}

// summary.json's fields beyond the writer's counts and skip list.
json summary_extra(const PrepareOptions& o, const PreprocessOptions& pp, const StoreLayout& layout, int jobs,
                   const PrepareSummary& s) {
  return {{"dataset", o.dataset},
          {"src", o.src},
          {"rate_hz", o.rate},
          {"seconds", o.seconds},
          {"n_samples", layout.n_samples},
          {"preprocessing", pp.settings_text()},
          {"jobs", jobs},
          {"resumed", s.resumed},
          {"elapsed_s_last_run", s.seconds},
          {"records_per_s_last_run", s.records_per_s}};
}

}  // namespace

PrepareSummary prepare_dataset(const PrepareOptions& o) {
  check_options(o);
  const auto t0 = std::chrono::steady_clock::now();
  const DatasetPlan plan = plan_dataset(o);
  const PreprocessOptions pp = preprocessing_for(o, plan);
  const WordPieceTokenizer tok = o.vocab.empty() ? WordPieceTokenizer::medcpt() : WordPieceTokenizer::load(o.vocab);
  StoreLayout layout = layout_for(o, pp, plan);
  layout.tokenizer = tok.fingerprint();

  PrepareSummary s;
  s.store_dir = o.out;
  const std::int64_t n_items = plan.size();
  std::optional<ShardWriter> writer =
      open_or_resume_store(o.out, layout, options_fingerprint(o, pp, std::size_t(n_items)), s.resumed);
  ShardWriter& w = *writer;

  const std::int64_t start = std::min<std::int64_t>(w.n_processed(), n_items);
  const std::int64_t end = o.stop_after >= 0 ? std::min(n_items, std::max(start, o.stop_after)) : n_items;
  const int jobs = std::max(1, o.jobs > 0 ? o.jobs : int(std::thread::hardware_concurrency()));
  std::optional<Progress> progress;
  if (o.progress) {
    progress.emplace("prepare " + o.dataset, n_items, "records");
    progress->set(start);
  }
  const RecordContext context{plan, pp, tok, o.max_text_len,
                              std::size_t(layout.n_leads) * std::size_t(layout.n_samples)};
  write_records(w, context, start, end, jobs, progress ? &*progress : nullptr);
  w.flush();

  count_run(s, w, end - start, t0);
  if (w.n_processed() < n_items) {
    if (progress) progress->finish("stopped; re-run to resume");
    return s;  // interrupted on purpose (stop_after): partial files stay for the resume
  }
  w.commit(summary_extra(o, pp, layout, jobs, s).dump());
  s.complete = true;
  if (progress)
    progress->finish(std::to_string(s.records_written) + " written, " + std::to_string(s.records_skipped) +
                     " skipped");
  return s;
}

}  // namespace cgdmer
