// ordered_parallel_map: produce(k) for every k in [begin, end) on `jobs` worker threads,
// consume(k, result) on the calling thread in increasing k, whatever order the workers finish
// in. Index k is claimed only after k - window has been handed to consume, so at most
// `window` results (besides the one being consumed) are held, however long the range is
// (prepare streams a whole dataset through it).
//
// Errors: an exception thrown by produce(k) is carried to the calling thread and rethrown when
// k's turn to be consumed comes (results before k are consumed first); one thrown by consume
// is rethrown as is. Either way the workers are stopped and joined before it leaves.
// Header-only (a template); torch-free.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace cgdmer {

template <class Produce, class Consume>
void ordered_parallel_map(std::int64_t begin, std::int64_t end, int jobs, std::int64_t window,
                          Produce&& produce, Consume&& consume) {
  using Result = std::decay_t<std::invoke_result_t<Produce&, std::int64_t>>;
  struct Slot {
    std::optional<Result> value;
    std::exception_ptr error;
  };
  jobs = std::max(1, jobs);
  window = std::max<std::int64_t>(1, window);

  std::mutex mu;
  std::condition_variable cv_work, cv_done;
  std::int64_t next_claim = begin, next_consume = begin;
  std::map<std::int64_t, Slot> done;  // produced, not yet consumed
  bool stop = false;

  auto worker = [&] {
    for (;;) {
      std::int64_t k;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_work.wait(lk, [&] { return stop || next_claim >= end || next_claim < next_consume + window; });
        if (stop || next_claim >= end) return;
        k = next_claim++;
      }
      Slot slot;
      try {
        slot.value.emplace(produce(k));
      } catch (...) {
        slot.error = std::current_exception();
      }
      std::lock_guard<std::mutex> lk(mu);
      done.emplace(k, std::move(slot));
      cv_done.notify_all();
    }
  };
  std::vector<std::thread> threads;
  auto stop_workers = [&] {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv_work.notify_all();
    for (auto& t : threads) t.join();
  };

  try {
    for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (std::int64_t k = begin; k < end; ++k) {
      Slot slot;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_done.wait(lk, [&] { return done.count(k) > 0; });
        slot = std::move(done.extract(k).mapped());
        next_consume = k + 1;
      }
      cv_work.notify_all();
      if (slot.error) std::rethrow_exception(slot.error);
      consume(k, std::move(*slot.value));
    }
  } catch (...) {
    stop_workers();
    throw;
  }
  stop_workers();
}

}  // namespace cgdmer
