// `cgdmer classify`: class scores of one ECG record, ranked, in one of two modes.
//   classifier  a model from `cgdmer finetune` (it carries a head, model/classifier_head.h),
//               without --prompts/--labels: the head's calibrated probabilities of its named
//               classes, each with its validation-chosen threshold and whether it is reached.
//   zero-shot   any CG-DMER model: prompts against the ECG (paper §3.3, as eval/zero_shot.h:
//               prompt → f_sh^text, ECG → f_sh^ecg, score = cosine). Prompts come from a JSON
//               file (class → description, MERL CKEPE format), from a list of labels (each
//               label is its own prompt), or by default from the bundled CKEPE prompts for
//               default_classify_classes() (PTB-XL's 5 super classes + 6 common rhythms).
// Any lead subset and any length (windows, aggregated); many records at once as one table.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/ecg_readers.h"
#include "model/precision.h"

namespace cgdmer {

struct ClassifyOptions {
  std::string model;                // checkpoint or run folder
  std::string record;               // one ECG record file
  std::string prompts_file;         // "" = bundled CKEPE prompts (default classes)
  std::vector<std::string> labels;  // used as prompts when non-empty (excludes prompts_file)
  bool zero_shot = false;           // a classifier model scored with prompts instead of its head
  int top_k = 0;                    // 0 = all classes
  // A record longer than the model's window is scored on each window (serving_model.h
  // prepare_record_windows) and the per-window cosines are aggregated per class:
  // "mean" (default), "max", or "first" (the first window only, what `prepare` crops to).
  std::string aggregate = "mean";
  double window_stride_seconds = 0;  // 0 = the window length (no overlap)
  RecordReadOptions read;            // a .csv record's rate (csv_fs) and unit
  Precision precision = Precision::fp32;
  std::string device = "cpu";        // cpu | cuda | cuda:N (model/model_loading.h parse_device)
};

struct ClassScore {
  std::string label, prompt;  // prompt: zero-shot only
  // zero-shot: cosine of f_sh^ecg and f_sh^text, in [-1, 1]; classifier: calibrated
  // probability in [0, 1]; aggregated over windows.
  double score = 0;
  std::vector<double> per_window;  // the score in each window (one entry for one window)
  // Classifier only: the class's threshold (on the probability; +inf = never positive) and
  // whether the score reaches it.
  double threshold = 0;
  bool positive = false;
};

struct ClassifyResult {
  std::string mode;  // "classifier" | "zero-shot"
  std::string record_id, record_path, prompt_source;  // prompt_source: the head's task in classifier mode
  std::vector<std::string> leads;  // the leads the record held (only these were encoded)
  std::vector<double> window_starts;  // seconds; one entry for a record within one window
  std::string aggregate;
  std::vector<ClassScore> ranked;  // descending score
  double load_ms = 0;              // model load
  double infer_ms = 0;             // record read + preprocess + ECG + prompt encoding + scoring
};

// The default class keys of the bundled prompt file (assets/prompts/CKEPE_prompt.json).
const std::vector<std::string>& default_classify_classes();

ClassifyResult run_classify(const ClassifyOptions& o);

// Many records at once (files of any supported format, folders searched recursively): one
// model load, one table. A record that cannot be read or used is listed in `failed` with the
// reason, and the others go on. o.record is ignored; o.top_k does not apply (every class is
// scored).
struct ClassifyTable {
  struct Row {
    std::string path, id;
    std::vector<std::string> leads;
    int windows = 1;
    std::vector<double> scores;  // per class, in `classes` order
    std::string top;             // the best-scoring class
    std::vector<std::string> positive;  // classifier: classes whose probability reaches the threshold
  };
  std::string mode;  // "classifier" | "zero-shot"
  std::vector<std::string> classes;
  std::vector<double> thresholds;  // classifier only
  std::string prompt_source, aggregate;
  std::vector<Row> rows;
  std::vector<std::pair<std::string, std::string>> failed;  // (path, reason)
};
ClassifyTable run_classify_batch(const ClassifyOptions& o, const std::vector<std::string>& inputs,
                                 bool progress = true);
// FILE.json (classes, records with named scores, failed) and FILE.csv beside it
// (path,id,leads,windows,top,<one column per class>).
void write_classify_table(const ClassifyTable& t, const std::string& out_json);
std::string classify_json(const ClassifyResult& r);  // pretty JSON, see cmd_classify.cpp

}  // namespace cgdmer
