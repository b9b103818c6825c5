// core/ordered_parallel_map.h: results arrive in index order although workers finish out of
// order, no more than `window` results wait ahead of the consumer, and exceptions from either
// side reach the caller after the workers stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ordered_parallel_map.h"

namespace cgdmer {
namespace {

// Later indices finish first inside each group of 8, so completion order is scrambled.
void scrambled_delay(std::int64_t k) { std::this_thread::sleep_for(std::chrono::microseconds(200 * (7 - k % 8))); }

TEST(OrderedParallelMap, ConsumesEveryIndexOnceInOrder) {
  for (int jobs : {1, 2, 5}) {
    std::vector<std::int64_t> seen;
    std::vector<std::string> values;
    ordered_parallel_map(
        3, 60, jobs, 4,
        [](std::int64_t k) {
          scrambled_delay(k);
          return "v" + std::to_string(k * k);
        },
        [&](std::int64_t k, std::string v) {
          seen.push_back(k);
          values.push_back(std::move(v));
        });
    ASSERT_EQ(seen.size(), 57u) << "jobs " << jobs;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i], std::int64_t(i) + 3) << "jobs " << jobs;
      EXPECT_EQ(values[i], "v" + std::to_string(seen[i] * seen[i]));
    }
  }
}

TEST(OrderedParallelMap, EmptyRangeCallsNothing) {
  int calls = 0;
  ordered_parallel_map(5, 5, 3, 4, [&](std::int64_t) { return ++calls; }, [&](std::int64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(OrderedParallelMap, AtMostWindowIndicesRunAheadOfTheConsumer) {
  const std::int64_t window = 3;
  std::atomic<std::int64_t> consumed{0}, max_ahead{0};
  ordered_parallel_map(
      0, 40, 4, window,
      [&](std::int64_t k) {
        // k is claimed only once k - window has been handed to consume (`consumed` counts
        // finished calls, so it may lag by the one running): record how far ahead it ran.
        std::int64_t ahead = k - consumed.load(), prev = max_ahead.load();
        while (ahead > prev && !max_ahead.compare_exchange_weak(prev, ahead)) {
        }
        return k;
      },
      [&](std::int64_t k, std::int64_t) {
        std::this_thread::sleep_for(std::chrono::microseconds(300));  // a slow writer
        consumed = k + 1;
      });
  EXPECT_EQ(consumed.load(), 40);
  EXPECT_LE(max_ahead.load(), window);
  EXPECT_GE(max_ahead.load(), 1);  // the workers did run ahead of the slow consumer
}

TEST(OrderedParallelMap, ProducerExceptionArrivesAtItsTurnAfterEarlierResults) {
  std::vector<std::int64_t> seen;
  try {
    ordered_parallel_map(
        0, 100, 3, 6,
        [](std::int64_t k) {
          scrambled_delay(k);
          if (k == 13) throw std::runtime_error("bad record 13");
          return k;
        },
        [&](std::int64_t k, std::int64_t) { seen.push_back(k); });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "bad record 13");
  }
  ASSERT_EQ(seen.size(), 13u);  // 0..12 consumed, nothing after the failure
  EXPECT_EQ(seen.back(), 12);
}

TEST(OrderedParallelMap, ConsumerExceptionStopsTheWorkers) {
  std::atomic<int> produced{0};
  EXPECT_THROW(ordered_parallel_map(
                   0, 100000, 2, 4,
                   [&](std::int64_t k) {
                     ++produced;
                     return k;
                   },
                   [&](std::int64_t k, std::int64_t) {
                     if (k == 5) throw std::logic_error("disk full");
                   }),
               std::logic_error);
  // Returned (workers joined) long before the range was produced: at most 6 + window + jobs.
  EXPECT_LE(produced.load(), 6 + 4 + 2);
}

}  // namespace
}  // namespace cgdmer
