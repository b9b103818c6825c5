// Gradient averaging overlapped with backward, as PyTorch's DistributedDataParallel does it
// (LibTorch has no C++ DDP). The trainable parameters are cut into buckets of ~bucket_bytes,
// in reverse registration order (roughly the order in which backward produces their
// gradients). While armed, a hook on each parameter copies its gradient into its bucket's flat
// buffer the moment autograd produces it; when a bucket is complete its all-reduce starts
// asynchronously, so the communication of late layers runs while backward still computes the
// early ones. Buckets start strictly in index order on every rank (one that fills early waits
// for its predecessors), so the ranks' collectives always pair up. After the first step the
// buckets are rebuilt in the order the gradients really arrived (rank 0's order, broadcast),
// with parameters that got none at the end, as DDP does: otherwise one unused parameter in
// the first bucket would hold every collective back to the end. finish() starts what is left
// (a parameter that got no gradient contributes zeros), waits, and leaves the rank average in
// each .grad() (a view into its bucket).
//
// Use per optimizer step: drop the gradients; run backward on the first k−1 micro-batches as
// usual (they accumulate locally, DDP's no_sync); arm(); backward on the last; finish().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "train/distributed.h"

namespace cgdmer {

class GradientReducer {
 public:
  // `params`: the same tensors in the same order on every rank; those that do not require
  // grad are left out.
  GradientReducer(Distributed& dist, const std::vector<torch::Tensor>& params,
                  std::size_t bucket_bytes = 25u << 20);
  ~GradientReducer();  // removes the hooks
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void arm();     // the next backward's gradients are reduced
  void finish();  // after that backward: every .grad() holds the average over ranks

  std::size_t buckets() const { return buckets_.size(); }
  // Buckets of the last step whose all-reduce started inside backward, before finish():
  // the overlap (0 would mean every collective waited for the end of backward).
  int started_during_backward() const { return started_early_; }

 private:
  struct Bucket {
    torch::Tensor flat;                // 1-D, the parameters' dtype and device
    std::vector<std::size_t> members;  // indices into params_
    int pending = 0;                   // members whose gradient has not arrived this step
    std::function<void()> wait;        // set once started
  };
  void build_buckets(const std::vector<std::size_t>& order);
  void rebuild_in_arrival_order();
  void on_gradient(std::size_t i, const torch::Tensor& grad);
  void start_ready_buckets();
  torch::Tensor slot(std::size_t i);  // params_[i]'s place in its bucket, shaped like it

  Distributed& dist_;
  std::vector<torch::Tensor> params_;
  std::vector<std::size_t> bucket_of_;
  std::vector<std::int64_t> offset_of_;
  std::size_t bucket_bytes_;
  std::vector<bool> arrived_;
  std::vector<std::size_t> arrival_order_;  // of the first step, for the rebuild
  bool rebuilt_ = false;
  std::vector<unsigned> hooks_;
  std::vector<Bucket> buckets_;
  std::size_t next_to_start_ = 0;
  bool armed_ = false;
  int started_early_ = 0;
};

}  // namespace cgdmer
