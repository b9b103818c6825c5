// Stratified bootstrap confidence intervals for any metric: each resample draws, with
// replacement, as many rows from every stratum as the stratum holds, so stratum sizes are the
// same in every resample (seeded std::mt19937_64: reproducible); percentile interval with
// numpy's linear interpolation (percentile() of bootstrap.h). Torch-free.
//
// Strata:
//  - per-class metric: strata_by_label — positives and negatives resampled separately, so
//    every resample has the original numbers of both (AUROC, AP, F1 always defined);
//  - macro metric over multi-label rows: strata_by_pattern — rows move whole (the classes of a
//    row stay together, keeping their correlation, which per-class-independent resampling
//    would drop and so misstate the macro's spread), grouped by their label-combination
//    pattern, so every class keeps its prevalence exactly for common patterns. Patterns with
//    fewer than min_size rows are pooled into one stratum: a stratum of one row would be
//    copied unchanged into every resample and its variance lost (with many classes most
//    patterns are unique). A class whose positives all sit in the pooled stratum can lose
//    them in a resample; the metric then returns NaN for it and the macro leaves it out,
//    as the point estimate would.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "metrics/bootstrap.h"

namespace cgdmer {

// Row indices per stratum; together they must list every row 0..N−1 exactly once.
using Strata = std::vector<std::vector<std::size_t>>;

// labels: (N) 0/1 → {negatives, positives}, empty strata left out.
Strata strata_by_label(const std::vector<std::uint8_t>& labels);

// labels: (N, C) row-major → one stratum per label pattern with ≥ min_size rows, in order of
// first appearance, then (if any) one pooled stratum of the rarer patterns' rows.
Strata strata_by_pattern(const std::vector<std::uint8_t>& labels, int n_classes,
                         std::size_t min_size = 5);

// One resample: (N) row indices, stratum by stratum.
std::vector<std::size_t> stratified_resample(const Strata& strata, std::mt19937_64& rng);

// metric(rows) → K values for the rows given (rows may repeat). NaN = undefined on those rows:
// that value is left out of its percentile (n_resamples counts the finite ones); an interval
// with no finite resample, or a NaN point, is NaN. Point = metric(0..N−1). → (K) intervals.
using RowMetric = std::function<std::vector<double>(const std::vector<std::size_t>& rows)>;
std::vector<BootstrapCi> stratified_bootstrap(const Strata& strata, const RowMetric& metric,
                                              int n_resamples = 1000, double level = 0.95,
                                              std::uint64_t seed = 0);

}  // namespace cgdmer
