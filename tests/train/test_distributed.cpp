// c10d wrapper on 2 Gloo processes over loopback: the test process is rank 0 and re-runs
// itself (DistWorker.*) as rank 1. Checks metric sums, bucketed gradient averaging (tiny
// buckets force several collectives), rank-0 broadcast, and the gather whose gradient
// reaches only the local slice (scaled by world size). Exact equality: small integers.
#include <gtest/gtest.h>

#include "core/error.h"
#include "spawn_self.h"
#include "train/distributed.h"

using namespace cgdmer;

namespace {

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

  // Gradient averaging over several buckets (bucket of 16 bytes = 4 floats).
  torch::nn::Linear lin(3, 2);
  for (auto& p : lin->parameters()) p.mutable_grad() = torch::full_like(p, double(rank + 1));
  d.allreduce_gradients(lin->parameters(), 16);
  for (auto& p : lin->parameters())
    EXPECT_TRUE(torch::equal(p.grad(), torch::full_like(p, 1.5)));

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
