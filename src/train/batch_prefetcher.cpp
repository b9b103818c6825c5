// Implements batch_prefetcher.h.
#include "train/batch_prefetcher.h"

#include <utility>

namespace cgdmer {

BatchPrefetcher::BatchPrefetcher(Loader& loader, const Config& cfg,
                                 const CollateOptions& collate, std::uint64_t seed,
                                 const torch::Device& device)
    : loader_(loader), cfg_(cfg), collate_(collate), seed_(seed), device_(device),
      position_(loader.state()) {}

namespace {
// Pinned host memory lets the copy run asynchronously with respect to the host; from
// pageable memory a "non-blocking" copy is staged synchronously.
torch::Tensor to_device_async(const torch::Tensor& t, const torch::Device& d) {
  if (!t.defined() || d.is_cpu()) return t;
  return t.pin_memory().to(d, /*non_blocking=*/true);
}
}  // namespace

DeviceBatch BatchPrefetcher::prepare() {
  DeviceBatch b;
  b.host = loader_.next();
  b.after = loader_.state();
  b.inputs = collate(b.host, collate_, seed_);
  for (torch::Tensor* t : {&b.inputs.ecg, &b.inputs.text_ids, &b.inputs.text_mask,
                           &b.inputs.dec_input, &b.inputs.dec_target, &b.inputs.mlm_labels})
    *t = to_device_async(*t, device_);
  if (cfg_.ecg.mask_ratio > 0)
    b.ids_keep = to_device_async(sample_patch_masks(b.host, cfg_, seed_), device_);
  return b;
}

DeviceBatch BatchPrefetcher::take() {
  DeviceBatch b;
  if (ahead_) {
    b = std::move(*ahead_);
    ahead_.reset();
  } else {
    b = prepare();
  }
  position_ = b.after;
  return b;
}

void BatchPrefetcher::read_ahead() {
  if (device_.is_cuda() && !ahead_) ahead_ = prepare();
}

}  // namespace cgdmer
