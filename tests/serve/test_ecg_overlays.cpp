// Tests of serve/ecg_overlays (the model overlays of `cgdmer plot`) on a random-init tiny
// CG-DMER and the PTB-XL sample record 00001_lr: the reconstruction has the input's shape and
// masks ratio × patches per lead (the same mask for the same seed, another for another seed);
// the saliency has one non-negative value per patch and depends on the prompt.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "core/error.h"
#include "model/model_loading.h"
#include "model/text_tokenizer.h"
#include "serve/ecg_overlays.h"
#include "serve/serving_model.h"

using namespace cgdmer;

namespace {

const std::string kRecord = std::string(CGDMER_SOURCE_DIR) + "/data/sample/ptbxl/records100/00000/00001_lr.hea";

Config tiny() {
  Config cfg = Config::load("tiny");
  cfg.text.hf_weights.clear();
  return cfg;
}

}  // namespace

TEST(EcgOverlay, ReconstructionHasInputShapeAndMasksRatioOfPatches) {
  const Config cfg = tiny();
  CgDmer model = random_init_model(cfg, 1);
  const PreparedRecord rec = prepare_record_for_model(kRecord, cfg);
  const auto r = reconstruct_masked(model, rec.data, 3);
  const int L = cfg.ecg.n_leads, S = cfg.ecg.n_samples, P = cfg.ecg_patches_per_lead();
  EXPECT_EQ(r.n_leads, L);
  EXPECT_EQ(r.n_samples, S);
  EXPECT_EQ(r.patches, P);
  ASSERT_EQ(r.reconstruction.size(), rec.data.size());
  ASSERT_EQ(r.mask.size(), std::size_t(L) * P);
  for (float v : r.reconstruction) ASSERT_TRUE(std::isfinite(v));
  const int masked_per_lead = int(std::lround(cfg.ecg.mask_ratio * P));  // 0.75 × 40 = 30
  EXPECT_EQ(masked_per_lead, P - cfg.ecg_keep_per_lead());
  for (int l = 0; l < L; ++l) {
    int n = 0;
    for (int p = 0; p < P; ++p) n += r.mask[std::size_t(l) * P + p];
    EXPECT_EQ(n, masked_per_lead) << "lead " << l;
  }
  EXPECT_GT(r.loss, 0);
  EXPECT_FALSE(r.denormalised);  // tiny trains on raw targets
  // The mask is the seed's: same seed → same mask and prediction, another seed → another mask.
  const auto again = reconstruct_masked(model, rec.data, 3);
  EXPECT_EQ(again.mask, r.mask);
  EXPECT_EQ(again.reconstruction, r.reconstruction);
  EXPECT_NE(reconstruct_masked(model, rec.data, 4).mask, r.mask);
}

TEST(EcgOverlay, ReconstructionDenormalisesPerPatchTargets) {
  Config cfg = tiny();
  cfg.ecg.norm_target = true;
  CgDmer model = random_init_model(cfg, 1);
  const PreparedRecord rec = prepare_record_for_model(kRecord, cfg);
  const auto r = reconstruct_masked(model, rec.data, 3);
  EXPECT_TRUE(r.denormalised);
  // De-normalised predictions live near the input's [0, 1] range, not around 0 ± 1 per patch.
  double mean_rec = 0, mean_in = 0;
  for (std::size_t i = 0; i < rec.data.size(); ++i) mean_rec += r.reconstruction[i], mean_in += rec.data[i];
  EXPECT_NEAR(mean_rec / rec.data.size(), mean_in / rec.data.size(), 0.1);
}

TEST(EcgOverlay, NoDecoderIsAConfigError) {
  Config cfg = tiny();
  cfg.loss.lambda_e_rec = 0;
  CgDmer model = random_init_model(cfg, 1);
  const PreparedRecord rec = prepare_record_for_model(kRecord, cfg);
  EXPECT_THROW(reconstruct_masked(model, rec.data, 0), ConfigError);
  EXPECT_THROW(reconstruct_masked(model, std::vector<float>(5, 0.f), 0), ConfigError);
}

TEST(EcgOverlay, SaliencyIsNonNegativePerPatchAndDependsOnThePrompt) {
  const Config cfg = tiny();
  CgDmer model = random_init_model(cfg, 1);
  const PreparedRecord rec = prepare_record_for_model(kRecord, cfg);
  const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
  const auto a = prompt_saliency(model, tok, rec.data, rec.leads, "atrial fibrillation");
  const auto b = prompt_saliency(model, tok, rec.data, rec.leads, "normal sinus rhythm with left ventricular hypertrophy");
  const int L = cfg.ecg.n_leads, P = cfg.ecg_patches_per_lead();
  ASSERT_EQ(a.per_patch.size(), std::size_t(L) * P);
  ASSERT_EQ(b.per_patch.size(), std::size_t(L) * P);
  EXPECT_EQ(a.patches, P);
  double sum = 0, diff = 0;
  for (std::size_t i = 0; i < a.per_patch.size(); ++i) {
    ASSERT_TRUE(std::isfinite(a.per_patch[i]));
    EXPECT_GE(a.per_patch[i], 0.f);
    EXPECT_GE(b.per_patch[i], 0.f);
    sum += a.per_patch[i];
    diff += std::abs(a.per_patch[i] - b.per_patch[i]);
  }
  EXPECT_GT(sum, 0);
  EXPECT_GT(diff, 1e-3 * sum) << "saliency did not change with the prompt";
  EXPECT_NE(a.score, b.score);
  EXPECT_GE(a.score, -1.0001);
  EXPECT_LE(a.score, 1.0001);
  // Deterministic for the same prompt.
  EXPECT_EQ(prompt_saliency(model, tok, rec.data, rec.leads, "atrial fibrillation").per_patch, a.per_patch);
  EXPECT_THROW(prompt_saliency(model, tok, rec.data, rec.leads, "  "), ConfigError);
}
