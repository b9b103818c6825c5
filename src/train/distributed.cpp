// c10d wrapper: TCPStore rendezvous + Gloo (or NCCL) process group, bucketed gradient
// averaging, gather-with-local-gradient, metric reduction. See distributed.h.
#include "train/distributed.h"

#include <chrono>
#include <cstdint>
#include <cstdio>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/version.h>

#include "core/error.h"

namespace cgdmer {

// 1.13: the Gloo/NCCL groups derive from ProcessGroup; 2.x: from Backend. Both expose the
// collectives used here with the same signatures.
#if TORCH_VERSION_MAJOR >= 2
using PgBase = c10d::Backend;
#else
using PgBase = c10d::ProcessGroup;
#endif

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<PgBase> pg;
  std::chrono::milliseconds timeout{300000};

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      work->wait(timeout);
    } catch (const std::exception& e) {
      // Say which it was: a lost connection fails at once, a silent peer at the timeout.
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      char when[96];
      std::snprintf(when, sizeof when, " failed after %.1f s (collective timeout %lld s): ",
                    waited, (long long)(timeout.count() / 1000));
      throw Error(std::string("distributed ") + what + when + e.what(),
                  "a peer process may have died or stalled; check the other ranks' output");
    }
  }
};

Distributed::Distributed(const DistOptions& opt) : opt_(opt), impl_(std::make_unique<Impl>()) {
  if (opt.world_size < 1 || opt.rank < 0 || opt.rank >= opt.world_size)
    throw ConfigError("invalid rank " + std::to_string(opt.rank) + " for world size " +
                      std::to_string(opt.world_size));
  if (opt.world_size == 1) return;
  if (opt.master_port <= 0 || opt.master_port > 65535)
    throw ConfigError("invalid master port " + std::to_string(opt.master_port));
  impl_->timeout = std::chrono::milliseconds(std::int64_t(opt.timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = std::uint16_t(opt.master_port);
    so.isServer = opt.rank == 0;
    so.numWorkers = std::size_t(opt.world_size);
    so.waitWorkers = true;
    so.timeout = impl_->timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(opt.master_addr, so);
    impl_->store = c10::make_intrusive<c10d::PrefixStore>("cgdmer", tcp);
    std::string backend = opt.backend;
    if (backend == "auto") backend = opt.device.is_cuda() ? "nccl" : "gloo";
    if (backend == "nccl") {
#ifdef USE_C10D_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = impl_->timeout;
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, opt.rank,
                                                              opt.world_size, o);
#else
      throw ConfigError("this LibTorch build has no NCCL; use --dist-backend gloo");
#endif
    } else if (backend == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(impl_->timeout);
      // Loopback when the master is local, else the interface that reaches this hostname.
      const bool local = opt.master_addr == "127.0.0.1" || opt.master_addr == "localhost";
      o->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                 : c10d::ProcessGroupGloo::createDefaultDevice());
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, opt.rank,
                                                              opt.world_size, o);
    } else {
      throw ConfigError("unknown distributed backend '" + backend + "' (gloo, nccl, auto)");
    }
    backend_ = backend;
  } catch (const cgdmer::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("distributed init (rank " + std::to_string(opt.rank) + "/" +
                    std::to_string(opt.world_size) + ", master " + opt.master_addr + ":" +
                    std::to_string(opt.master_port) + ") failed: " + e.what(),
                "check that every rank uses the same master address/port and world size, "
                "and that the port is free");
  }
}

Distributed::~Distributed() = default;

void Distributed::broadcast(std::vector<torch::Tensor> tensors) {
  if (world_size() == 1 || tensors.empty()) return;
  torch::NoGradGuard ng;
  // Flatten into one buffer per dtype-homogeneous run: one collective instead of hundreds.
  std::vector<torch::Tensor> group;
  auto flush = [&] {
    if (group.empty()) return;
    std::vector<torch::Tensor> flat{torch::cat([&] {
      std::vector<torch::Tensor> v;
      for (auto& t : group) v.push_back(t.detach().reshape({-1}));
      return v;
    }())};
    c10d::BroadcastOptions bo;
    bo.rootRank = 0;
    impl_->wait(impl_->pg->broadcast(flat, bo), "broadcast");
    std::int64_t off = 0;
    for (auto& t : group) {
      t.copy_(flat[0].narrow(0, off, t.numel()).view_as(t));
      off += t.numel();
    }
    group.clear();
  };
  for (auto& t : tensors) {
    if (!group.empty() && group.back().scalar_type() != t.scalar_type()) flush();
    group.push_back(t);
  }
  flush();
}

void Distributed::broadcast_module(torch::nn::Module& module) {
  std::vector<torch::Tensor> ts;
  for (auto& p : module.parameters()) ts.push_back(p);
  for (auto& b : module.buffers()) ts.push_back(b);
  broadcast(ts);
}

void Distributed::allreduce_gradients(const std::vector<torch::Tensor>& params,
                                      std::size_t bucket_bytes) {
  if (world_size() == 1) return;
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> bucket;
  std::size_t bytes = 0;
  const double inv = 1.0 / world_size();
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flats;
    for (auto& g : bucket) flats.push_back(g.reshape({-1}));
    std::vector<torch::Tensor> flat{torch::cat(flats)};
    impl_->wait(impl_->pg->allreduce(flat), "gradient all-reduce");
    flat[0].mul_(inv);
    std::int64_t off = 0;
    for (auto& g : bucket) {
      g.copy_(flat[0].narrow(0, off, g.numel()).view_as(g));
      off += g.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  // Every rank sees the same params in the same order; a param whose grad is undefined on
  // one rank but not another would desynchronise buckets, so undefined grads become zeros.
  for (const auto& p : params) {
    if (!p.requires_grad()) continue;
    auto g = p.mutable_grad();
    if (!g.defined()) {
      p.mutable_grad() = torch::zeros_like(p);
      g = p.mutable_grad();
    }
    if (!bucket.empty() && bucket.back().scalar_type() != g.scalar_type()) flush();
    bucket.push_back(g);
    bytes += std::size_t(g.numel()) * g.element_size();
    if (bytes >= bucket_bytes) flush();
  }
  flush();
}

namespace {

// Output = the gathered tensor; gradient = local slice × world (see header).
struct GatherSlice : public torch::autograd::Function<GatherSlice> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x,
                               torch::Tensor gathered, std::int64_t rank, std::int64_t world) {
    ctx->saved_data["rank"] = rank;
    ctx->saved_data["world"] = world;
    ctx->saved_data["n"] = x.size(0);
    return gathered;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto rank = ctx->saved_data["rank"].toInt();
    const auto world = ctx->saved_data["world"].toInt();
    const auto n = ctx->saved_data["n"].toInt();
    auto g = grads[0].narrow(0, rank * n, n) * double(world);
    return {g, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor Distributed::all_gather_with_local_grad(const torch::Tensor& x) {
  if (world_size() == 1) return x;
  std::vector<torch::Tensor> in{x.detach().contiguous()};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < world_size(); ++r) out[0].push_back(torch::empty_like(in[0]));
  impl_->wait(impl_->pg->allgather(out, in), "all-gather");
  auto gathered = torch::cat(out[0], 0);
  return GatherSlice::apply(x, gathered, std::int64_t(rank()), std::int64_t(world_size()));
}

std::vector<double> Distributed::allreduce_sum(std::vector<double> values) {
  if (world_size() == 1 || values.empty()) return values;
  auto t = torch::tensor(values, torch::kFloat64);
  if (opt_.device.is_cuda()) t = t.to(opt_.device);
  std::vector<torch::Tensor> v{t};
  impl_->wait(impl_->pg->allreduce(v), "metric all-reduce");
  auto c = v[0].cpu();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = c[std::int64_t(i)].item<double>();
  return values;
}

void Distributed::barrier() {
  if (world_size() == 1) return;
  // An all-reduce of one element: works on every backend and honours the timeout.
  allreduce_sum({0.0});
}

}  // namespace cgdmer
