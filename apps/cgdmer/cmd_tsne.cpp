// `cgdmer tsne`: exact t-SNE of the frozen encoder's features of a store's records, drawn as
// a PNG scatter coloured by class (paper Fig. 3). Records are coloured by their single label
// in the chosen label set (records with none or several are left out, so colours mean one
// thing); at most --max-points of them, drawn at random with --seed. Beside the PNG,
// <out>.json holds the figures: points, feature width, the features' effective rank (a
// collapsed representation has rank ≈ 1), KL, trustworthiness.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "command.h"
#include "core/error.h"
#include "data/shard_store.h"
#include "core/atomic_file.h"
#include "eval/embedding_quality.h"
#include "eval/features.h"
#include "eval/linear_probe.h"
#include "eval/tsne.h"
#include "metrics/trustworthiness.h"
#include "model/model_loading.h"
#include "plot/chart.h"

namespace cgdmer::cli::cmd_tsne {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct TsneArgs {
  std::string model, random_config, data, labels = "super", out, which = "features";
  TsneOptions t;
  int max_points = 2000;
  std::uint64_t seed = 0;
};

int run(const TsneArgs& a) {
  if (a.model.empty() && a.random_config.empty())
    throw ConfigError("tsne: pass --model CKPT or --random-init-config PRESET");
  auto store = ShardStore::open(a.data);
  const auto& sets = store.info().label_sets;
  auto it = sets.find(a.labels);
  if (it == sets.end()) {
    std::string have;
    for (auto& [k, v] : sets) have += " " + k;
    throw ConfigError(a.data + ": no label set '" + a.labels + "'", "this store has:" + have);
  }
  const auto& classes = it->second;
  std::vector<std::int64_t> rows;
  std::vector<int> cls;
  for (std::int64_t i = 0; i < store.size(); ++i) {
    const auto y = store.labels(i, a.labels);
    if (std::count(y.begin(), y.end(), 1) != 1) continue;
    rows.push_back(i);
    cls.push_back(int(std::find(y.begin(), y.end(), 1) - y.begin()));
  }
  if (rows.size() < 10) throw ConfigError(a.data + ": fewer than 10 single-label records in '" + a.labels + "'");
  if (int(rows.size()) > a.max_points) {
    std::vector<std::size_t> idx(rows.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::mt19937_64 rng(a.seed);
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(a.max_points);
    std::sort(idx.begin(), idx.end());
    std::vector<std::int64_t> r2;
    std::vector<int> c2;
    for (auto k : idx) r2.push_back(rows[k]), c2.push_back(cls[k]);
    rows.swap(r2);
    cls.swap(c2);
  }
  CgDmer model = a.model.empty() ? random_init_model(Config::load(a.random_config), a.seed)
                                 : load_model_for_inference(a.model, nullptr);
  FeatureOptions fo;
  fo.want_features = a.which == "features";
  fo.want_shared = a.which == "shared";
  const auto f = extract_features(model, store, rows, fo);
  const auto& F = fo.want_features ? f.features : f.shared;
  const double erank = effective_rank(F);
  const auto X = to_doubles(F);
  const int n = int(rows.size()), d = int(X.size() / rows.size());
  TsneOptions t = a.t;
  t.seed = a.seed;
  spdlog::info("t-SNE of {} × {} features (exact, perplexity {})", n, d, t.perplexity);
  const auto r = tsne(X, n, d, t);
  const double tw = trustworthiness(X, d, r.embedding, 2, std::min(10, n / 2 - 1));
  std::vector<Series> groups(classes.size());
  for (std::size_t c = 0; c < classes.size(); ++c) groups[c].name = classes[c];
  for (int i = 0; i < n; ++i) {
    groups[cls[i]].x.push_back(r.embedding[2 * i]);
    groups[cls[i]].y.push_back(r.embedding[2 * i + 1]);
  }
  groups.erase(std::remove_if(groups.begin(), groups.end(), [](const Series& s) { return s.x.empty(); }),
               groups.end());
  ChartOptions o;
  o.title = "t-SNE of " + a.which + " · " + a.labels + " · " + std::to_string(n) + " ECGs";
  o.x_label = "t-SNE 1";
  o.y_label = "t-SNE 2";
  o.width = 900;
  o.height = 760;
  save_scatter(a.out, groups, o);
  const nlohmann::json stats{{"points", n},          {"dims", d},
                             {"features", a.which},  {"effective_rank", erank},
                             {"kl", r.kl},           {"trustworthiness_at_10", tw},
                             {"iterations", r.iterations}};
  write_file_atomic(a.out + ".json", stats.dump(2) + "\n");
  std::printf("wrote %s (%d points, %d-wide features of effective rank %.1f, KL %.4f, "
              "trustworthiness@10 %.4f, %d iterations) and %s.json\n",
              a.out.c_str(), n, d, erank, r.kl, tw, r.iterations, a.out.c_str());
  return 0;
}

Runner setup(CLI::App& app) {
  auto a = std::make_shared<TsneArgs>();
  app.add_option("--model", a->model, "checkpoint");
  app.add_option("--random-init-config", a->random_config, "preset for a random-init encoder instead");
  app.add_option("--data", a->data, "shard store")->required();
  app.add_option("--labels", a->labels, "label set of the store to colour by (e.g. super)");
  app.add_option("--features", a->which, "features (LP features) | shared (f_sh^ecg)")
      ->check(CLI::IsMember({"features", "shared"}));
  app.add_option("--perplexity", a->t.perplexity, "t-SNE perplexity");
  app.add_option("--iterations", a->t.n_iter, "t-SNE iterations (≥ 250)");
  app.add_option("--init", a->t.init, "pca | random")->check(CLI::IsMember({"pca", "random"}));
  app.add_option("--seed", a->seed, "subsampling / random-init seed");
  app.add_option("--max-points", a->max_points, "subsample to at most this many records (exact t-SNE is O(N²))")
      ->check(CLI::Range(10, 20000));
  app.add_option("--out", a->out, "PNG path")->required();
  return [a]() { return run(*a); };
}

RegisterCommand reg{{"tsne", "t-SNE scatter PNG of encoder features coloured by class (paper Fig. 3)", 45, setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_tsne
