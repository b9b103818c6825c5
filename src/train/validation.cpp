// Implements zero_shot_validation.h with the evaluation suite's zero-shot pieces.
#include "train/zero_shot_validation.h"

#include <cmath>

#include "core/error.h"
#include "core/paths.h"
#include "eval/features.h"
#include "eval/tasks.h"
#include "eval/zero_shot.h"
#include "metrics/roc_auc.h"
#include "text/tokenizer.h"

namespace cgdmer {

ZeroShotValidation zero_shot_validation(CgDmer& model, const ShardStore& val,
                                        const std::vector<std::int64_t>& rows_in,
                                        const std::string& precision) {
  ZeroShotValidation out;
  out.mean_auc = std::nan("");
  const auto& info = val.info();
  std::vector<std::int64_t> all_rows = rows_in;
  if (all_rows.empty())
    for (std::int64_t i = 0; i < val.size(); ++i) all_rows.push_back(i);

  // Tasks this store can score, with their label columns.
  std::vector<std::pair<const TaskDef*, LabelSetMatch>> usable;
  for (const auto& task : all_tasks()) {
    if (task.dataset != info.dataset) continue;
    try {
      usable.push_back({&task, match_label_set(task, info.label_sets, val.dir())});
    } catch (const ConfigError&) {
      // the store lacks this task's classes: not part of validation
    }
  }
  if (usable.empty() || all_rows.empty()) return out;

  FeatureOptions fo;
  fo.precision = precision;
  fo.progress = false;
  fo.want_features = false;
  fo.want_shared = true;
  const EcgFeatures f = extract_features(model, val, all_rows, fo);  // (N, E)

  static const auto prompts = load_prompts(resource_path("assets/prompts/CKEPE_prompt.json"));
  static const WordPieceTokenizer tok = WordPieceTokenizer::medcpt();
  double sum = 0;
  int n_scored = 0;
  for (const auto& [task, match] : usable) {
    const auto texts = prompts_for(prompts, task->prompt_keys, "CKEPE_prompt.json");
    const auto cls = encode_class_prompts(model, tok, texts, model->config().text.max_len);
    const auto scores_t = zero_shot_scores(f.shared, cls).contiguous();  // (N, C)
    const int C = int(task->classes.size());
    std::vector<double> scores(scores_t.data_ptr<float>(), scores_t.data_ptr<float>() + scores_t.numel());
    std::vector<std::uint8_t> labels;
    labels.reserve(all_rows.size() * C);
    for (auto r : all_rows) {
      const auto l = val.labels(r, match.set);
      for (int c = 0; c < C; ++c) labels.push_back(l[std::size_t(match.column[std::size_t(c)])]);
    }
    const double auc = macro_roc_auc(scores, labels, C).macro;
    out.tasks.push_back({task->name, auc});
    if (std::isfinite(auc)) {  // NaN: no class has both positives and negatives here
      sum += auc;
      ++n_scored;
    }
  }
  if (n_scored > 0) out.mean_auc = sum / double(n_scored);
  model->train();
  return out;
}

}  // namespace cgdmer
