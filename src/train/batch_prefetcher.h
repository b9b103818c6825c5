// The training micro-batches, ready on the device: read from the loader, collated, patch
// masks drawn, and copied to the device. On CUDA the host tensors are pinned and the next
// micro-batch is read and its host→device copy started (non-blocking, on the current stream)
// while the current one trains; on the CPU nothing is read ahead (the loader's threads already
// prepare host batches in the background).
//
// position() is the loader position after the last batch handed out by take(), not after the
// one read ahead: a checkpoint taken between steps resumes at exactly the batch that the
// read-ahead would have trained next.
#pragma once

#include <cstdint>
#include <optional>

#include <torch/torch.h>

#include "config/config.h"
#include "data/loader.h"
#include "model/cgdmer_model.h"
#include "train/collate.h"

namespace cgdmer {

struct DeviceBatch {
  Batch host;             // the loader's batch (report tokens, epoch, record indices)
  CgDmerInputs inputs;    // collated, on the device
  torch::Tensor ids_keep; // (B, L·K) visible patch indices on the device; undefined = no masking
  LoaderState after;      // loader position after this batch
};

class BatchPrefetcher {
 public:
  BatchPrefetcher(Loader& loader, const Config& cfg, const CollateOptions& collate,
                  std::uint64_t seed, const torch::Device& device);
  DeviceBatch take();  // the next micro-batch (read now, or the one read ahead)
  void read_ahead();   // CUDA: prepare the next one while the device works; CPU: nothing
  LoaderState position() const { return position_; }

 private:
  DeviceBatch prepare();

  Loader& loader_;
  const Config& cfg_;
  const CollateOptions& collate_;
  std::uint64_t seed_;
  torch::Device device_;
  std::optional<DeviceBatch> ahead_;
  LoaderState position_;
};

}  // namespace cgdmer
