// What a trained CG-DMER shows about one ECG, for `cgdmer plot`'s overlays (drawn by
// plot/ecg_plot.h). Units: inputs and reconstructions are on the model-input scale (the
// store's global min–max [0, 1], a.u.), (n_leads, n_samples) row-major in the config's lead
// order; masks and saliency are per patch, (n_leads, patches) row-major, patch p of lead l
// covering samples [p·patch_size, (p+1)·patch_size).
//   reconstruct_masked: the MAE path of training (tokenizer on the visible patches → encoder →
//     decoder) with a patch mask drawn from a seeded CPU generator exactly as pretraining
//     draws it (patch_masking.h). When the config trains on per-patch normalised targets
//     (ecg.norm_target, MAE's norm_pix_loss), the prediction is de-normalised with the true
//     patch's own mean and standard deviation (as MAE's visualisation does), so it can be drawn
//     over the input; this borrows each masked patch's level and spread from the original.
//   prompt_saliency: gradient × input of the zero-shot score s = cos(f_sh^ecg(x), f_sh^text(prompt))
//     with respect to the model input x; saliency of a patch = Σ over its samples of
//     |∂s/∂x · x| (≥ 0). Samples at 0 (the record's global minimum) get no saliency.
//   classifier_saliency: the same for a fine-tuned classifier's logit of one class
//     (s = z_c = w_c · pool(x) + b_c, model/classifier_head.h); the logit, not the calibrated
//     probability, so that a confident prediction's saturated sigmoid does not flatten it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/cgdmer_model.h"
#include "model/classifier_head.h"
#include "text/tokenizer.h"

namespace cgdmer {

struct ReconstructionOverlay {
  int n_leads = 0, n_samples = 0, patch_size = 0, patches = 0;  // patches per lead
  std::vector<float> reconstruction;  // (n_leads, n_samples): the decoder's prediction of every
                                      //   patch (de-normalised when norm_target), a.u.
  std::vector<std::uint8_t> mask;     // (n_leads, patches): 1 = masked (reconstructed), 0 = visible
  bool denormalised = false;          // true when norm_target was undone for display
  double loss = 0;                    // mean squared error over the masked patches, model scale
};

// `x`: (n_leads, n_samples) model input in [0, 1] (serve/serving_model.h's PreparedRecord::data).
// ConfigError when the model has no ECG decoder (L_e.rec off) or mask_ratio is 0.
ReconstructionOverlay reconstruct_masked(CgDmer& model, const std::vector<float>& x, std::uint64_t seed);

struct SaliencyOverlay {
  int n_leads = 0, patches = 0, patch_size = 0;
  std::vector<float> per_patch;  // (n_leads, patches), ≥ 0, raw (not normalised)
  double score = 0;              // the zero-shot cosine, or the classifier logit, being explained
};

// `leads`: present leads (PreparedRecord::leads; empty = all), as ecg_shared takes them.
SaliencyOverlay prompt_saliency(CgDmer& model, const WordPieceTokenizer& tok, const std::vector<float>& x,
                                const std::vector<int>& leads, const std::string& prompt);

// `class_index` into head.classes.
SaliencyOverlay classifier_saliency(CgDmer& model, const ClassifierHead& head, const std::vector<float>& x,
                                    const std::vector<int>& leads, int class_index);

}  // namespace cgdmer
