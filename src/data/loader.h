// Training loader over a ShardStore or a StoreSet (several stores as one): seeded shuffle reshuffled every epoch, sharded by
// rank/world (disjoint, equal-length shards), batched, prefetched by background threads,
// resumable at an exact (epoch, batch) position. Endless: crossing an epoch boundary starts
// the next epoch's permutation; Batch::epoch says which epoch a batch belongs to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/shard_store.h"
#include "data/store_set.h"

namespace cgdmer {

struct LoaderOptions {
  int batch_size = 32;      // per rank
  std::uint64_t seed = 42;  // permutation of epoch e uses (seed, e)
  bool shuffle = true;
  int rank = 0, world_size = 1;
  int prefetch = 4;  // batches prepared ahead
  int workers = 2;   // background threads
  std::vector<std::int64_t> subset;  // restrict to these record indices (empty = all)
                                     // (of the set, for a StoreSet)
};

struct Batch {
  std::int64_t epoch = 0;
  std::int64_t index_in_epoch = 0;  // batch number within the epoch (this rank)
  std::vector<std::int64_t> records;  // (B) store (or set) indices
  int n_leads = 0, n_samples = 0;
  std::vector<float> signal;                          // (B, n_leads, n_samples) in [0,1]
  std::vector<std::vector<std::int32_t>> token_ids;   // (B) × variable length
  int size() const { return int(records.size()); }
};

struct LoaderState {
  std::int64_t epoch = 0;
  std::int64_t next_batch = 0;  // first batch (within epoch) not yet handed out
};

class Loader {
 public:
  Loader(const ShardStore& store, LoaderOptions opt, LoaderState start = {});
  // Several stores: the set's records are shuffled together, so a batch mixes datasets.
  Loader(const StoreSet& stores, LoaderOptions opt, LoaderState start = {});
  ~Loader();
  Batch next();                 // blocks until the next batch is ready
  LoaderState state() const;    // position after the last batch returned by next()
  std::int64_t batches_per_epoch() const;  // per rank; last partial batch dropped
  double wait_seconds() const;  // total time next() spent blocked (data starvation)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cgdmer
