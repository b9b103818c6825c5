// Batched, cached feature extraction (see features.h).
#include "eval/features.h"

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fnv1a.h"
#include "core/progress.h"
#include "data/preprocess.h"
#include "data/preprocess_contract.h"
#include "model/compat.h"
#include "model/precision.h"

namespace cgdmer {
namespace {

// Cache file: "CGDMFEAT" | i64 N | i64 D | N·D float32 (little-endian, this machine's order).
void save_tensor(const std::string& path, const torch::Tensor& t) {
  auto c = t.to(torch::kFloat32).contiguous();
  AtomicFile f(path);
  const std::int64_t dims[2] = {c.size(0), c.size(1)};
  f.write("CGDMFEAT", 8);
  f.write(dims, sizeof dims);
  f.write(c.data_ptr<float>(), std::size_t(c.numel()) * sizeof(float));
  f.commit();
}

torch::Tensor load_tensor(const std::string& path, std::int64_t expect_rows) {
  const std::string s = read_file(path);
  std::int64_t dims[2];
  if (s.size() < 24 || s.compare(0, 8, "CGDMFEAT") != 0)
    throw FormatError(path, "not a cgdmer feature cache file");
  std::memcpy(dims, s.data() + 8, sizeof dims);
  if (dims[0] != expect_rows || dims[1] <= 0 ||
      s.size() != 24 + std::size_t(dims[0] * dims[1]) * sizeof(float))
    throw FormatError(path, "feature cache has the wrong size");
  auto t = torch::empty({dims[0], dims[1]}, torch::kFloat32);
  std::memcpy(t.data_ptr<float>(), s.data() + 24, std::size_t(t.numel()) * sizeof(float));
  return t;
}

}  // namespace

std::string model_file_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw IoError(path, "cannot stat model file");
  return std::filesystem::absolute(path).string() + "|" + std::to_string(st.st_size) + "|" +
         std::to_string(std::int64_t(st.st_mtime));
}

EcgFeatures extract_features(CgDmer& model, const ShardStore& store,
                             const std::vector<std::int64_t>& rows_in, const FeatureOptions& opt) {
  std::vector<std::int64_t> rows = rows_in;
  if (rows.empty())
    for (std::int64_t i = 0; i < store.size(); ++i) rows.push_back(i);
  const std::int64_t N = std::int64_t(rows.size());
  const auto& info = store.info();
  EcgFeatures out;

  std::string feat_path, shared_path;
  if (!opt.cache_dir.empty() && !opt.model_key.empty()) {
    std::string key = opt.model_key + "|" + std::filesystem::absolute(store.dir()).string() + "|" +
                      info.preprocessing_hash + "|" + std::to_string(info.n_records) + "|";
    if (opt.window_stride_seconds != 0) key += "stride:" + std::to_string(opt.window_stride_seconds) + "|";
    if (!opt.leads.empty()) {  // a lead subset is other features (the full set keeps old keys)
      key += "leads";
      for (int l : opt.leads) key += ":" + std::to_string(l);
      key += opt.zero_fill_absent ? "|zero-filled|" : "|tokens|";
    }
    Fnv1a64 h;
    h.update(key);
    for (auto r : rows) h.update(std::to_string(r) + ",");
    const std::string hex = hex64(h.digest());
    std::filesystem::create_directories(opt.cache_dir);
    feat_path = opt.cache_dir + "/features-" + hex + ".bin";
    shared_path = opt.cache_dir + "/shared-" + hex + ".bin";
    const bool have_f = !opt.want_features || std::filesystem::exists(feat_path);
    const bool have_s = !opt.want_shared || std::filesystem::exists(shared_path);
    if (have_f && have_s) {
      if (opt.want_features) out.features = load_tensor(feat_path, N);
      if (opt.want_shared) out.shared = load_tensor(shared_path, N);
      out.from_cache = true;
      return out;
    }
  }

  const auto& cfg = model->config();
  const bool windowed = info.n_samples > cfg.ecg.n_samples;
  if (info.n_leads != cfg.ecg.n_leads || info.n_samples < cfg.ecg.n_samples)
    throw ConfigError(store.dir() + ": records are " + std::to_string(info.n_leads) + " × " +
                      std::to_string(info.n_samples) + " but the model expects " +
                      std::to_string(cfg.ecg.n_leads) + " × " + std::to_string(cfg.ecg.n_samples));
  torch::NoGradGuard ng;
  model->eval();
  // Runs where the model lives (CPU, or a GPU during pretraining validation); results on CPU.
  const torch::Device device = model->parameters().front().device();
  const bool bf16 = uses_bf16(opt.precision, device);
  const int L = info.n_leads, S = info.n_samples;
  const bool subset = !opt.leads.empty() && int(opt.leads.size()) < L;
  // The store's scaling decides what a window is re-scaled to and what an absent lead holds.
  const Normalisation norm = info.preprocessing_settings.empty()
                                 ? Normalisation::minmax
                                 : parse_preprocess_settings(info.preprocessing_settings, store.dir()).normalisation;
  std::vector<torch::Tensor> feats, shared;
  Progress prog("features", N, "ECGs");
  const auto t0 = std::chrono::steady_clock::now();
  namespace F = torch::nn::functional;
  if (windowed) {  // one record at a time: its windows form the batch
    const std::int64_t W = cfg.ecg.n_samples, Sfull = info.n_samples;
    std::vector<int> all_leads(static_cast<std::size_t>(L));
    for (int l = 0; l < L; ++l) all_leads[std::size_t(l)] = l;
    std::vector<float> full(std::size_t(L * Sfull));
    for (std::int64_t n = 0; n < N; ++n) {
      store.read_signal(rows[std::size_t(n)], full.data());
      const double recorded = store.record_seconds(rows[std::size_t(n)]);
      const double seconds = recorded > 0 ? std::min(recorded, double(Sfull) / info.fs) : double(Sfull) / info.fs;
      const auto starts = window_starts(seconds, double(W) / info.fs, opt.window_stride_seconds);
      const std::int64_t K = std::int64_t(starts.size());
      auto x = torch::empty({K, L, W}, torch::kFloat32);
      for (std::int64_t k = 0; k < K; ++k) {
        const std::int64_t first = std::min<std::int64_t>(std::llround(starts[std::size_t(k)] * info.fs), Sfull - W);
        float* dst = x.data_ptr<float>() + k * L * W;
        for (int l = 0; l < L; ++l)
          std::copy(full.data() + l * Sfull + first, full.data() + l * Sfull + first + W, dst + l * W);
        restrict_to_leads(dst, L, W, subset ? opt.leads : all_leads, norm);  // min–max: over the window
      }
      x = x.to(device);
      AutocastGuard ac(bf16, device);
      const ModalityEmbeddings e =
          model->ecg_embeddings(x, subset && !opt.zero_fill_absent ? opt.leads : std::vector<int>{});
      if (opt.want_features) feats.push_back(e.pooled.to(torch::kCPU, torch::kFloat32).mean(0, true));
      if (opt.want_shared) {
        const auto h = F::normalize(e.shared.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1)).mean(0, true);
        shared.push_back(F::normalize(h, F::NormalizeFuncOptions().dim(1)).to(torch::kCPU));
      }
      if (opt.progress) prog.advance(1);
    }
  }
  for (std::int64_t s = 0; !windowed && s < N; s += opt.batch_size) {
    const std::int64_t B = std::min<std::int64_t>(opt.batch_size, N - s);
    auto x = torch::empty({B, L, S}, torch::kFloat32);  // (B, L, S) in [0, 1]
    for (std::int64_t i = 0; i < B; ++i) {
      float* dst = x.data_ptr<float>() + i * L * S;
      store.read_signal(rows[s + i], dst);
      if (subset) restrict_to_leads(dst, L, S, opt.leads, norm);
    }
    x = x.to(device);
    AutocastGuard ac(bf16, device);
    // One encoder pass for both: the shared embedding is the f_sh head on the pooled features.
    const ModalityEmbeddings e =
        model->ecg_embeddings(x, subset && !opt.zero_fill_absent ? opt.leads : std::vector<int>{});
    if (opt.want_features) feats.push_back(e.pooled.to(torch::kCPU, torch::kFloat32));
    if (opt.want_shared)
      shared.push_back(torch::nn::functional::normalize(
                           e.shared.to(torch::kFloat32), torch::nn::functional::NormalizeFuncOptions().dim(1))
                           .to(torch::kCPU));
    if (opt.progress) prog.advance(B);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (opt.progress) prog.finish();
  if (opt.want_features) out.features = torch::cat(feats, 0);
  if (opt.want_shared) out.shared = torch::cat(shared, 0);
  if (!feat_path.empty()) {
    if (opt.want_features) save_tensor(feat_path, out.features);
    if (opt.want_shared) save_tensor(shared_path, out.shared);
  }
  return out;
}

}  // namespace cgdmer
