// c10d wrapper on 2 Gloo processes over loopback: the test process is rank 0 and re-runs
// itself (DistWorker.*) as rank 1. Checks metric sums, the overlapped bucketed gradient
// all-reduce against one process holding the whole batch, rank-0 broadcast, and the gather
// whose gradient reaches only the local slice (scaled by world size). Exact equality where
// the values are small integers; 1e-6 where float sums are taken in another order.
#include <gtest/gtest.h>

#include "core/error.h"
#include "spawn_self.h"
#include "train/distributed.h"
#include "train/gradient_reducer.h"

using namespace cgdmer;

namespace {

// A 3-layer MLP plus a layer that forward never uses, the same weights on every rank.
struct Mlp : torch::nn::Module {
  torch::nn::Linear a{nullptr}, b{nullptr}, c{nullptr}, unused{nullptr};
  Mlp() {
    torch::manual_seed(7);
    a = register_module("a", torch::nn::Linear(5, 16));
    b = register_module("b", torch::nn::Linear(16, 16));
    c = register_module("c", torch::nn::Linear(16, 3));
    unused = register_module("unused", torch::nn::Linear(4, 4));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return c(torch::tanh(b(torch::tanh(a(x)))));
  }
};

torch::Tensor batch_of_8() {
  return torch::linspace(-2, 2, 8 * 5).reshape({8, 5}) * torch::arange(1, 6).to(torch::kFloat);
}
torch::Tensor loss_of(Mlp& m, const torch::Tensor& x) { return m.forward(x).pow(2).mean(); }

// Each rank takes its 4 rows as 2 micro-batches of 2 (accumulated without communication, then
// the overlapped all-reduce on the last), with 64-byte buckets so that several collectives
// start during backward (from the second step on, once the buckets follow the arrival order).
// The averaged gradients must equal one process's on all 8 rows, and the unused layer's must
// be zeros.
void reducer_matches_one_process(Distributed& d, int rank) {
  Mlp ref;
  loss_of(ref, batch_of_8()).backward();

  Mlp m;
  GradientReducer reducer(d, m.parameters(), 64);
  ASSERT_GE(reducer.buckets(), 4u);
  for (int step = 0; step < 2; ++step) {  // twice: the reducer is reused across steps
    for (auto& p : m.parameters()) p.mutable_grad() = torch::Tensor();
    const auto mine = batch_of_8().narrow(0, 4 * rank, 4);
    (loss_of(m, mine.narrow(0, 0, 2)) / 2).backward();
    reducer.arm();
    (loss_of(m, mine.narrow(0, 2, 2)) / 2).backward();
    if (step == 1) {  // after the rebuild in arrival order, the unused layer's bucket is last
      EXPECT_GE(reducer.started_during_backward(), 2) << "no all-reduce overlapped backward";
    }
    reducer.finish();
    const auto got = m.named_parameters(), want = ref.named_parameters();
    for (const auto& kv : got) {
      const auto& g = kv.value().grad();
      ASSERT_TRUE(g.defined()) << kv.key();
      const auto& w = want[kv.key()].grad();
      if (kv.key().rfind("unused", 0) == 0) {
        EXPECT_FALSE(w.defined());
        EXPECT_TRUE(torch::equal(g, torch::zeros_like(g))) << kv.key();
      } else {
        EXPECT_TRUE(torch::allclose(g, w, 1e-6, 1e-6))
            << kv.key() << " max diff " << (g - w).abs().max().item<double>();
      }
    }
  }
}

void dist_body(int rank, int port) {
  DistOptions o;
  o.rank = rank;
  o.world_size = 2;
  o.master_port = port;
  o.timeout_s = 60;
  Distributed d(o);
  EXPECT_EQ(d.backend(), "gloo");

  auto s = d.allreduce_sum({double(rank + 1), 10.0, 0.5});
  EXPECT_EQ(s, (std::vector<double>{3.0, 20.0, 1.0}));

  reducer_matches_one_process(d, rank);

  // Broadcast: rank 1's different init is replaced by rank 0's.
  torch::manual_seed(100 + rank);
  torch::nn::Linear a(4, 3);
  d.broadcast_module(*a);
  torch::manual_seed(100);
  torch::nn::Linear ref(4, 3);
  EXPECT_TRUE(torch::equal(a->weight, ref->weight));
  EXPECT_TRUE(torch::equal(a->bias, ref->bias));

  // Gather: rank r contributes rows filled with r+1.
  auto x = torch::full({2, 3}, double(rank + 1)).requires_grad_();
  auto g = d.all_gather_with_local_grad(x);
  ASSERT_EQ(g.sizes(), (std::vector<std::int64_t>{4, 3}));
  EXPECT_TRUE(torch::equal(g.narrow(0, 0, 2), torch::full({2, 3}, 1.0)));
  EXPECT_TRUE(torch::equal(g.narrow(0, 2, 2), torch::full({2, 3}, 2.0)));
  auto w = torch::arange(12, torch::kFloat32).reshape({4, 3});
  (g * w).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), w.narrow(0, 2 * rank, 2) * 2.0));
  d.barrier();
}

}  // namespace

TEST(Distributed, SingleProcessIsIdentity) {
  Distributed d(DistOptions{});
  EXPECT_EQ(d.world_size(), 1);
  auto x = torch::randn({3, 2});
  EXPECT_TRUE(torch::equal(d.all_gather_with_local_grad(x), x));
  EXPECT_EQ(d.allreduce_sum({1.5}), std::vector<double>{1.5});
}

TEST(Distributed, InvalidRankIsRefused) {
  DistOptions o;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_THROW({ Distributed d(o); }, cgdmer::ConfigError);
}

TEST(Distributed, TwoGlooProcessesOnLoopback) {
  const int port = cgdmer::testing::free_port_guess();
  pid_t child = cgdmer::testing::spawn_self(
      "DistWorker.DISABLED_Rank1", {"CGDMER_TEST_DIST_PORT=" + std::to_string(port)});
  ASSERT_GT(child, 0);
  dist_body(0, port);
  EXPECT_EQ(cgdmer::testing::wait_child(child), 0) << "rank 1 reported failures";
}

// Runs only as the child spawned above.
TEST(DistWorker, DISABLED_Rank1) {
  const char* port = std::getenv("CGDMER_TEST_DIST_PORT");
  ASSERT_NE(port, nullptr) << "a worker body: run only by spawn_self(), which sets its environment";
  dist_body(1, std::atoi(port));
}
