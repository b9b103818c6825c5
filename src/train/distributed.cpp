// c10d wrapper: TCPStore rendezvous + Gloo (or NCCL) process group, asynchronous all-reduce
// (for the gradient buckets), gather-with-local-gradient, metric reduction. See distributed.h.
#include "train/distributed.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>

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

// Backend::abort()/shutdown(): tear NCCL communicators down instead of leaving them to hang.
#define CGDMER_PG_SHUTDOWN \
  (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<PgBase> pg;
  std::chrono::milliseconds timeout{300000};
  bool failed = false;

  // After a failed collective the group is unusable (NCCL: possibly wedged on the GPU):
  // abort it so that no later call or the destructor blocks on it.
  void abort_group() {
    if (failed || !pg) return;
    failed = true;
#if CGDMER_PG_SHUTDOWN
    try {
      pg->abort();
    } catch (...) {  // already failing: the first error is the one to report
    }
#endif
  }

  c10::intrusive_ptr<c10d::Work> start(const std::function<c10::intrusive_ptr<c10d::Work>()>& f,
                                       const char* what) {
    try {
      return f();
    } catch (const std::exception& e) {
      abort_group();
      throw Error(std::string("distributed ") + what + " could not start: " + e.what(),
                  "a peer process may have died; check the other ranks' output");
    }
  }

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      work->wait(timeout);
    } catch (const std::exception& e) {
      abort_group();
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

// A clean end: NCCL's communicators are shut down explicitly (destroying a live one can hang
// or warn at exit); a group that failed was aborted already.
Distributed::~Distributed() {
#if CGDMER_PG_SHUTDOWN
  if (impl_ && impl_->pg && !impl_->failed) {
    try {
      impl_->pg->shutdown();
    } catch (...) {  // a destructor must not throw; the run's result is already decided
    }
  }
#endif
}

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

std::function<void()> Distributed::start_allreduce(torch::Tensor flat, const char* what) {
  if (world_size() == 1) return [] {};
  std::vector<torch::Tensor> v{std::move(flat)};
  auto work = impl_->start([&] { return impl_->pg->allreduce(v); }, what);
  return [this, work, what] { impl_->wait(work, what); };
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
