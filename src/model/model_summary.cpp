// Implements model_summary.h.
#include "model/model_summary.h"

#include <cstdio>

namespace cgdmer {
namespace {

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace

std::vector<PartCount> parameter_counts(const CgDmerImpl& model) {
  std::vector<PartCount> rows;
  PartCount total{"total"};
  auto count = [&](PartCount& row, const torch::Tensor& p) {
    row.params += p.numel();
    if (p.requires_grad()) row.trainable += p.numel();
  };
  for (const auto& child : model.named_children()) {
    PartCount row{child.key()};
    for (const auto& p : child.value()->parameters()) count(row, p);
    rows.push_back(row);
  }
  for (const auto& p : model.named_parameters(/*recurse=*/false)) {
    PartCount row{p.key()};
    count(row, p.value());
    rows.push_back(row);
  }
  for (const auto& r : rows) total.params += r.params, total.trainable += r.trainable;
  rows.push_back(total);
  return rows;
}

std::string describe(const CgDmerImpl& model) {
  const Config& c = model.config();
  std::string s = "# resolved config\n" + c.to_toml() + "\n# model hash " + c.model_hash() + "\n";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "# ECG: %d leads x %d patches of %d samples = %d tokens, %d visible per lead\n",
                c.ecg.n_leads, c.ecg_patches_per_lead(), c.ecg.patch_size,
                c.ecg.n_leads * c.ecg_patches_per_lead(),
                c.ecg.mask_ratio > 0 ? c.ecg_keep_per_lead() : c.ecg_patches_per_lead());
  s += buf;
  s += "# loss terms:";
  const auto& l = c.loss;
  auto term = [&](const char* name, double w) {
    std::snprintf(buf, sizeof buf, " %s=%s", name, w > 0 ? std::to_string(w).substr(0, 4).c_str() : "off");
    s += buf;
  };
  term("cons", l.lambda_cons);
  term("e_rec", l.lambda_e_rec);
  term("t_rec", l.lambda_t_rec);
  term("orth", l.lambda_orth);
  term("siglip", l.lambda_siglip);
  s += "\n# text encoder: " +
       (c.text.hf_weights.empty()
            ? std::string(c.name == "paper" ? "RANDOMLY INITIALISED (WARNING: the paper starts from "
                                              "pretrained MedCPT; set text.hf_weights)"
                                            : "randomly initialised")
            : "pretrained from " + c.text.hf_weights) +
       ", freeze " + c.text.freeze.text() + "\n";
  s += "# parameters\n";
  std::snprintf(buf, sizeof buf, "%-18s %15s %15s\n", "part", "params", "trainable");
  s += buf;
  for (const auto& r : parameter_counts(model)) {
    std::snprintf(buf, sizeof buf, "%-18s %15s %15s\n", r.part.c_str(), with_commas(r.params).c_str(),
                  with_commas(r.trainable).c_str());
    s += buf;
  }
  return s;
}

}  // namespace cgdmer
