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

namespace detail {

// The shared state of one ordered_parallel_map call: which index is claimed next, which the
// consumer waits for, and the results produced in between.
template <class Result>
class OrderedResults {
 public:
  struct Slot {
    std::optional<Result> value;
    std::exception_ptr error;
  };

  OrderedResults(std::int64_t begin, std::int64_t end, std::int64_t window)
      : end_(end), window_(window), next_claim_(begin), next_take_(begin) {}

  // Worker side: the next index to produce, once it is within the window; false when the
  // range is exhausted or stop() was called.
  bool claim(std::int64_t& k) {
    std::unique_lock<std::mutex> lk(mu_);
    cv_work_.wait(lk, [&] { return stop_ || next_claim_ >= end_ || next_claim_ < next_take_ + window_; });
    if (stop_ || next_claim_ >= end_) return false;
    k = next_claim_++;
    return true;
  }
  void deliver(std::int64_t k, Slot slot) {
    std::lock_guard<std::mutex> lk(mu_);
    done_.emplace(k, std::move(slot));
    cv_done_.notify_all();
  }

  // Consumer side: waits for k's result (k = the previous take + 1) and widens the window.
  Slot take(std::int64_t k) {
    Slot slot;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, [&] { return done_.count(k) > 0; });
      slot = std::move(done_.extract(k).mapped());
      next_take_ = k + 1;
    }
    cv_work_.notify_all();
    return slot;
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_work_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::int64_t end_, window_;
  std::int64_t next_claim_, next_take_;
  std::map<std::int64_t, Slot> done_;  // produced, not yet taken
  bool stop_ = false;
};

}  // namespace detail

template <class Produce, class Consume>
void ordered_parallel_map(std::int64_t begin, std::int64_t end, int jobs, std::int64_t window,
                          Produce&& produce, Consume&& consume) {
  using Result = std::decay_t<std::invoke_result_t<Produce&, std::int64_t>>;
  using Queue = detail::OrderedResults<Result>;
  Queue queue(begin, end, std::max<std::int64_t>(1, window));
  auto worker = [&] {
    for (std::int64_t k; queue.claim(k);) {
      typename Queue::Slot slot;
      try {
        slot.value.emplace(produce(k));
      } catch (...) {
        slot.error = std::current_exception();
      }
      queue.deliver(k, std::move(slot));
    }
  };
  std::vector<std::thread> threads;
  auto stop_workers = [&] {
    queue.stop();
    for (auto& t : threads) t.join();
  };
  try {
    for (int t = 0; t < std::max(1, jobs); ++t) threads.emplace_back(worker);
    for (std::int64_t k = begin; k < end; ++k) {
      typename Queue::Slot slot = queue.take(k);
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
