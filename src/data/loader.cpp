// Loader (loader.h): batches are numbered globally in order (epoch, batch); worker threads
// claim the next number, build the batch, and park it until next() hands batches out in
// order. At most `prefetch` batches exist ahead of the consumer, which bounds memory.
#include "data/loader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/error.h"

namespace cgdmer {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Permutation of [0, n) for (seed, epoch): Fisher–Yates driven by splitmix64 with an
// unbiased bounded draw (portable: no std:: distribution, whose output differs by library).
std::vector<std::int64_t> epoch_permutation(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::uint64_t state = seed ^ (0xd1b54a32d192ed03ull * std::uint64_t(epoch + 1));
  for (std::int64_t i = n - 1; i > 0; --i) {
    const std::uint64_t bound = std::uint64_t(i) + 1;
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % bound);
    std::uint64_t r;
    do r = splitmix64(state); while (r >= limit);
    std::swap(p[std::size_t(i)], p[std::size_t(r % bound)]);
  }
  return p;
}

}  // namespace

struct Loader::Impl {
  explicit Impl(StoreSet s) : set(std::move(s)) {}
  const StoreSet set;
  LoaderOptions opt;
  std::vector<std::int64_t> pool;  // candidate store indices (subset or all)
  std::int64_t per_rank = 0;       // records per rank per epoch
  std::int64_t bpe = 0;            // batches per epoch per rank
  std::int64_t start_seq = 0;      // global batch number of the start state
  std::size_t values = 0;          // n_leads * n_samples

  std::mutex mu;
  std::condition_variable cv_work, cv_ready;
  std::int64_t next_claim = 0;     // next global batch number to build
  std::int64_t next_out = 0;       // next global batch number next() returns
  std::map<std::int64_t, Batch> ready;
  std::map<std::int64_t, std::shared_ptr<const std::vector<std::int64_t>>> perms;  // by epoch
  bool stop = false;
  std::exception_ptr error;
  LoaderState state;
  double wait_s = 0;
  std::vector<std::thread> threads;

  std::shared_ptr<const std::vector<std::int64_t>> perm_for(std::int64_t epoch) {
    // Caller holds mu. Keep only recent epochs' permutations.
    auto it = perms.find(epoch);
    if (it != perms.end()) return it->second;
    std::vector<std::int64_t> order;
    if (opt.shuffle) {
      const auto p = epoch_permutation(std::int64_t(pool.size()), opt.seed, epoch);
      order.reserve(p.size());
      for (auto k : p) order.push_back(pool[std::size_t(k)]);
    } else {
      order = pool;
    }
    auto sp = std::make_shared<const std::vector<std::int64_t>>(std::move(order));
    perms[epoch] = sp;
    while (perms.size() > 3) perms.erase(perms.begin());
    return sp;
  }

  Batch build(std::int64_t seq, const std::vector<std::int64_t>& order) const {
    Batch b;
    b.epoch = seq / bpe;
    b.index_in_epoch = seq % bpe;
    b.n_leads = set.n_leads();
    b.n_samples = set.n_samples();
    const int B = opt.batch_size;
    b.records.resize(std::size_t(B));
    b.signal.resize(std::size_t(B) * values);
    b.token_ids.resize(std::size_t(B));
    for (int k = 0; k < B; ++k) {
      // Rank r's shard of the epoch order is positions r, r + world, r + 2·world, ...
      const std::int64_t pos_in_rank = b.index_in_epoch * B + k;
      const std::int64_t pos = pos_in_rank * opt.world_size + opt.rank;
      const std::int64_t rec = order[std::size_t(pos)];
      b.records[std::size_t(k)] = rec;
      set.read_signal(rec, b.signal.data() + std::size_t(k) * values);
      b.token_ids[std::size_t(k)] = set.token_ids(rec);
    }
    return b;
  }

  void worker() {
    for (;;) {
      std::int64_t seq;
      std::shared_ptr<const std::vector<std::int64_t>> order;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_work.wait(lk, [&] { return stop || next_claim < next_out + opt.prefetch; });
        if (stop) return;
        seq = next_claim++;
        order = perm_for(seq / bpe);
      }
      Batch b;
      try {
        b = build(seq, *order);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!error) error = std::current_exception();
        cv_ready.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lk(mu);
      ready.emplace(seq, std::move(b));
      cv_ready.notify_all();
    }
  }
};

Loader::Loader(const ShardStore& store, LoaderOptions opt, LoaderState start)
    : Loader(StoreSet({&store}), std::move(opt), start) {}

Loader::Loader(const StoreSet& stores, LoaderOptions opt, LoaderState start)
    : impl_(std::make_unique<Impl>(stores)) {
  Impl& s = *impl_;
  const StoreSet& store = s.set;
  s.opt = opt;
  if (opt.batch_size <= 0) throw ConfigError("loader: batch_size must be positive");
  if (opt.world_size <= 0 || opt.rank < 0 || opt.rank >= opt.world_size)
    throw ConfigError("loader: need 0 <= rank < world_size");
  if (opt.subset.empty()) {
    s.pool.resize(std::size_t(store.size()));
    std::iota(s.pool.begin(), s.pool.end(), 0);
  } else {
    for (auto i : opt.subset)
      if (i < 0 || i >= store.size())
        throw ConfigError("loader: subset index " + std::to_string(i) + " outside the store (" +
                          std::to_string(store.size()) + " records)");
    s.pool = opt.subset;
  }
  // Equal-length shards: the epoch's last (pool % world) records are left out for every rank.
  s.per_rank = std::int64_t(s.pool.size()) / opt.world_size;
  s.bpe = s.per_rank / opt.batch_size;
  if (s.bpe == 0)
    throw ConfigError("loader: " + std::to_string(s.pool.size()) + " records over " +
                      std::to_string(opt.world_size) + " rank(s) cannot fill one batch of " +
                      std::to_string(opt.batch_size) + " (" + store.describe() + ")");
  if (start.epoch < 0 || start.next_batch < 0 || start.next_batch > s.bpe)
    throw ConfigError("loader: resume position (epoch " + std::to_string(start.epoch) + ", batch " +
                      std::to_string(start.next_batch) + ") outside an epoch of " +
                      std::to_string(s.bpe) + " batches");
  s.values = std::size_t(store.n_leads()) * std::size_t(store.n_samples());
  s.opt.prefetch = std::max(1, opt.prefetch);
  s.start_seq = start.epoch * s.bpe + start.next_batch;
  s.next_claim = s.next_out = s.start_seq;
  s.state = start;
  if (s.state.next_batch == s.bpe) s.state = {start.epoch + 1, 0};
  const int n_threads = std::max(1, opt.workers);
  for (int t = 0; t < n_threads; ++t) s.threads.emplace_back([&s] { s.worker(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv_work.notify_all();
  for (auto& t : impl_->threads) t.join();
}

Batch Loader::next() {
  Impl& s = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lk(s.mu);
  s.cv_ready.wait(lk, [&] { return s.error || s.ready.count(s.next_out) > 0; });
  if (s.error && !s.ready.count(s.next_out)) std::rethrow_exception(s.error);
  auto node = s.ready.extract(s.next_out);
  ++s.next_out;
  Batch b = std::move(node.mapped());
  s.state = {b.epoch, b.index_in_epoch + 1};
  if (s.state.next_batch == s.bpe) s.state = {b.epoch + 1, 0};
  s.wait_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  lk.unlock();
  s.cv_work.notify_all();
  return b;
}

LoaderState Loader::state() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->state;
}

std::int64_t Loader::batches_per_epoch() const { return impl_->bpe; }

double Loader::wait_seconds() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->wait_s;
}

}  // namespace cgdmer
