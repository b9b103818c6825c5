// Zero-shot classification (paper Table 2; MERL utils/zeroshot_val.py): each class's prompt
// (MERL CKEPE JSON: class → one description string) is lower-cased, WordPiece-tokenized with
// [CLS]/[SEP], truncated/padded to max_len, encoded to f_sh^text (L2-normalised); ECGs to
// f_sh^ecg (L2-normalised); the score of (ECG, class) is their cosine, used raw; macro AUC.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "metrics/roc_auc.h"
#include "model/cgdmer_model.h"
#include "text/tokenizer.h"

namespace cgdmer {

// Reads a prompt JSON (flat object of string → string). FormatError naming the file when it
// is not one; IoError when unreadable.
std::map<std::string, std::string> load_prompts(const std::string& path);

// Prompt texts for the classes in order; ConfigError naming the missing keys and the file.
std::vector<std::string> prompts_for(const std::map<std::string, std::string>& prompts,
                                     const std::vector<std::string>& keys,
                                     const std::string& prompt_file);

// (C, E) L2-normalised class embeddings. Runs in eval mode without gradients.
torch::Tensor encode_class_prompts(CgDmer& model, const WordPieceTokenizer& tok,
                                   const std::vector<std::string>& texts, int max_len = 256);

// (N, C) cosine scores from (N, E) normalised ECG embeddings and (C, E) class embeddings.
torch::Tensor zero_shot_scores(const torch::Tensor& ecg_shared, const torch::Tensor& class_emb);

// One task scored zero-shot, the single path that evaluation and pretraining validation share:
// the class prompts are encoded, every ECG is scored against them, and the macro ROC-AUC is
// taken against its labels.
//   ecg_shared (N, E): the ECGs' f_sh^ecg, L2-normalised; labels: N·C multi-hot, row-major.
struct ZeroShotTaskScore {
  std::vector<double> scores;  // N·C cosine scores, row-major
  MultiLabelAuc auc;
};
ZeroShotTaskScore score_zero_shot_task(CgDmer& model, const WordPieceTokenizer& tok,
                                       const std::vector<std::string>& class_prompts,
                                       const torch::Tensor& ecg_shared,
                                       const std::vector<std::uint8_t>& labels);

}  // namespace cgdmer
