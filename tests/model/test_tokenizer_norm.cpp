// ecg.tokenizer_norm: does a token keep a patch's amplitude and baseline? Two patches that
// differ only by a per-patch scale a (> 0) or only by an offset b must give different tokens
// under "post" and "stats", and give the same token under the original "patch" order
// (conv → GroupNorm → GELU), whose exact invariance is the defect; that last assertion is
// what shows the test can fail. Also: the modes' parameters, the config key, the hash.
#include <gtest/gtest.h>

#include "config/config.h"
#include "model/ecg_tokenizer.h"

namespace cgdmer {
namespace {

// One lead, two patches of 25 samples: patch 1 = a·patch 0 + b. Returns the two W·patch
// tokens (no lead/temporal embedding, which differ by position anyway).
std::pair<torch::Tensor, torch::Tensor> two_tokens(EcgTokenizer& tok, double a, double b) {
  torch::manual_seed(3);
  // A QRS-sized swing around the baseline (std 0.2): large enough that GroupNorm's eps (1e-5)
  // is negligible next to the conv outputs' variance, so "patch" is invariant to 1e-3. (For
  // flat patches eps breaks the invariance slightly: that is all the amplitude "patch" keeps.)
  auto x = 0.5 + 0.2 * torch::randn({25});
  auto ecg = torch::cat({x, a * x + b}).view({1, 1, 50});
  auto t = tok->patch_tokens(ecg);  // (1, 1, 2, D)
  return {t[0][0][0], t[0][0][1]};
}

EcgTokenizer make(const std::string& norm) {
  torch::manual_seed(11);
  return EcgTokenizer(EcgTokenizerOptions().n_leads(1).n_samples(50).patch_size(25).channels(16)
                          .width(32).norm(norm));
}

double rel_diff(const std::pair<torch::Tensor, torch::Tensor>& t) {
  return ((t.first - t.second).norm() / t.first.norm()).item<double>();
}

TEST(TokenizerNorm, PatchOrderIsBlindToScaleAndOffset) {
  auto tok = make("patch");
  torch::NoGradGuard ng;
  EXPECT_LT(rel_diff(two_tokens(tok, 3.0, 0.0)), 1e-3);   // scale only
  EXPECT_LT(rel_diff(two_tokens(tok, 1.0, 0.2)), 1e-3);   // offset only
  EXPECT_LT(rel_diff(two_tokens(tok, 0.5, -0.1)), 1e-3);  // both
}

TEST(TokenizerNorm, PostAndStatsSeeScaleAndOffset) {
  for (const char* mode : {"post", "stats"}) {
    SCOPED_TRACE(mode);
    auto tok = make(mode);
    torch::NoGradGuard ng;
    // "stats" starts at zero (= "patch"); give it the weights training would.
    for (auto& p : tok->named_parameters())
      if (p.key().rfind("stats.", 0) == 0) p.value().normal_(0, 0.1);
    EXPECT_GT(rel_diff(two_tokens(tok, 3.0, 0.0)), 2e-2);
    EXPECT_GT(rel_diff(two_tokens(tok, 1.0, 0.2)), 2e-2);
    EXPECT_GT(rel_diff(two_tokens(tok, 0.5, -0.1)), 2e-2);
    // A patch still maps to itself (the check above is not noise).
    EXPECT_LT(rel_diff(two_tokens(tok, 1.0, 0.0)), 1e-6);
  }
}

TEST(TokenizerNorm, UntrainedStatsEqualsPatch) {
  auto patch = make("patch"), stats = make("stats");  // same seed: same convs, norm, proj
  torch::NoGradGuard ng;
  torch::manual_seed(9);
  auto ecg = torch::rand({2, 1, 50});
  EXPECT_TRUE(torch::allclose(patch->patch_tokens(ecg), stats->patch_tokens(ecg), 0, 0));
  auto w = stats->named_parameters()["stats.weight"];
  EXPECT_EQ(w.abs().sum().item<float>(), 0.f);
}

TEST(TokenizerNorm, StatsModeAddsOnlyItsLinearAndKeepsVisiblePath) {
  auto patch = make("patch"), stats = make("stats");
  auto names = [](EcgTokenizer& t) {
    std::vector<std::string> n;
    for (auto& p : t->named_parameters()) n.push_back(p.key());
    return n;
  };
  auto a = names(patch), b = names(stats);
  EXPECT_EQ(b.size(), a.size() + 2);
  EXPECT_NE(std::find(b.begin(), b.end(), "stats.weight"), b.end());
  // forward_visible = forward().gather for the new term too (non-zero stats weights).
  torch::NoGradGuard ng;
  stats->named_parameters()["stats.weight"].normal_(0, 0.1);
  torch::manual_seed(5);
  auto ecg = torch::rand({2, 1, 50});
  auto ids = torch::tensor({{1}, {0}}, torch::kInt64);
  auto full = stats->forward(ecg);
  auto vis = stats->forward_visible(ecg, ids);
  EXPECT_TRUE(torch::allclose(vis, full.gather(1, ids.unsqueeze(-1).expand({2, 1, 32})), 1e-5, 1e-6));
}

TEST(TokenizerNorm, ConfigKeyValidatedAndHashedOnlyWhenNew) {
  Config c;
  const auto old_hash = c.model_hash();
  EXPECT_EQ(c.ecg.tokenizer_norm, "patch");
  c.apply_override("ecg.tokenizer_norm=stats");
  EXPECT_NE(c.model_hash(), old_hash);
  c.apply_override("ecg.tokenizer_norm=post");
  EXPECT_NE(c.model_hash(), old_hash);
  c.apply_override("ecg.tokenizer_norm=patch");
  EXPECT_EQ(c.model_hash(), old_hash);  // checkpoints from before the key keep their hash
  c.ecg.tokenizer_norm = "nonsense";
  EXPECT_ANY_THROW(c.validate());
}

TEST(TokenizerNorm, OtherNewKeysValidatedAndNotHashed) {
  Config c;
  const auto h = c.model_hash();
  c.apply_override("text.pooling=mean");
  c.apply_override("loss.cons_targets=report");
  EXPECT_EQ(c.model_hash(), h);  // no parameter changes shape or meaning
  EXPECT_NO_THROW(c.validate());
  c.text.pooling = "max";
  EXPECT_ANY_THROW(c.validate());
  c.text.pooling = "mean";
  c.loss.cons_targets = "labels";
  EXPECT_ANY_THROW(c.validate());
}

}  // namespace
}  // namespace cgdmer
