// Data parallelism over torch's c10d process groups (LibTorch has no C++ DDP): rendezvous
// through a TCPStore, Gloo on CPU (NCCL on CUDA builds that have it), parameters broadcast
// from rank 0, asynchronous all-reduces for gradient buckets (train/gradient_reducer.h
// overlaps them with backward), embeddings gathered for the contrastive losses, and metric
// sums/counts reduced (never means).
// With world_size 1 no process group is created and every call is a cheap identity.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace cgdmer {

struct DistOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // rank on this machine: the GPU it drives (train/launch_env.h)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 300;  // rendezvous and every collective; exceeded → cgdmer::Error
  std::string backend = "auto";  // "gloo" | "nccl" | "auto" (nccl for CUDA where built)
  torch::Device device = torch::kCPU;
};

class Distributed {
 public:
  explicit Distributed(const DistOptions& opt);  // blocks until all ranks joined
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return opt_.rank; }
  int world_size() const { return opt_.world_size; }
  bool is_main() const { return opt_.rank == 0; }
  const std::string& backend() const { return backend_; }

  // Every parameter and buffer of `module` takes rank 0's values (same init everywhere).
  void broadcast_module(torch::nn::Module& module);
  void broadcast(std::vector<torch::Tensor> tensors);  // in place, from rank 0

  // (B_local, ...) → (B_local·world, ...) in rank order. Autograd: the gradient of the
  // local slice flows back to `x`, scaled by world_size so that, after gradient averaging,
  // it equals the gradient of one process holding the whole batch (all ranks compute the
  // identical loss on the identical gathered tensor). Every rank must use the same B_local.
  torch::Tensor all_gather_with_local_grad(const torch::Tensor& x);

  // Starts an in-place sum of `flat` over ranks and returns at once; the returned callable
  // waits for it (a failure or the collective timeout → cgdmer::Error naming `what`). With
  // world_size 1 nothing is started. Every rank must start the same collectives in the same
  // order.
  std::function<void()> start_allreduce(torch::Tensor flat, const char* what);

  // Element-wise sum over ranks (metric sums and counts).
  std::vector<double> allreduce_sum(std::vector<double> values);
  void barrier();

 private:
  struct Impl;
  DistOptions opt_;
  std::string backend_ = "none";
  std::unique_ptr<Impl> impl_;
};

}  // namespace cgdmer
