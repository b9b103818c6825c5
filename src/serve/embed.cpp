// Implements embed.h.
#include "serve/embed.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/progress.h"
#include "model/compat.h"
#include "model/model_loading.h"
#include "serve/npy.h"
#include "serve/serving_model.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

// One ECG to embed: a store row or a record file.
struct Item {
  int store = -1;         // index into stores, or -1 for a file
  std::int64_t row = 0;
  std::string path;
};

void write_csv(const std::string& path, const std::vector<std::string>& ids, const torch::Tensor& m) {
  AtomicFile f(path);
  std::string line = "id";
  for (std::int64_t j = 0; j < m.size(1); ++j) line += ",f" + std::to_string(j);
  line += "\n";
  f.write(line.data(), line.size());
  const float* p = m.data_ptr<float>();
  char buf[32];
  for (std::int64_t i = 0; i < m.size(0); ++i) {
    line = ids[size_t(i)];
    for (std::int64_t j = 0; j < m.size(1); ++j) {
      std::snprintf(buf, sizeof buf, ",%.9g", p[i * m.size(1) + j]);
      line += buf;
    }
    line += "\n";
    f.write(line.data(), line.size());
  }
  f.commit();
}

}  // namespace

std::string npy_stem(const std::string& out) {
  if (out.size() > 4 && out.compare(out.size() - 4, 4, ".npy") == 0) return out.substr(0, out.size() - 4);
  return out;
}

void ecg_pooled_and_shared(CgDmer& model, const torch::Tensor& ecg, torch::Tensor* pooled,
                           torch::Tensor* shared, const std::vector<int>& leads) {
  // One encoder pass for both, where the model lives; results on the CPU.
  const ModalityEmbeddings e = model->ecg_embeddings(ecg.to(model_device(model)), leads);
  if (pooled) *pooled = e.pooled.to(torch::kCPU, torch::kFloat32);
  if (shared) {
    namespace F = torch::nn::functional;
    *shared = F::normalize(e.shared.to(torch::kFloat32), F::NormalizeFuncOptions().dim(1)).to(torch::kCPU);
  }
}

EmbedResult run_embed(const EmbedOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.kind != "pooled" && o.kind != "shared" && o.kind != "both")
    throw ConfigError("--kind must be pooled, shared or both, not '" + o.kind + "'");
  if (o.batch_size <= 0) throw ConfigError("--batch must be positive");
  if (o.inputs.empty()) throw ConfigError("embed: no inputs", "give record files, folders or stores");
  if (o.out.empty()) throw ConfigError("embed: --out is required");
  const torch::Device device = parse_device(o.device);
  const bool bf16 = uses_bf16(o.precision, device);
  Config cfg;
  std::string contract;
  CgDmer model = load_serving_model(o.model, &cfg, &contract);
  model->to(device);
  const int L = cfg.ecg.n_leads, S = cfg.ecg.n_samples;

  // Expand the inputs into one ordered list of ECGs.
  std::vector<ShardStore> stores;
  std::vector<Item> items;
  for (const auto& in : o.inputs) {
    std::error_code ec;
    if (is_store_dir(in)) {
      stores.push_back(open_store_for_model(in, cfg, contract));
      for (std::int64_t r = 0; r < stores.back().size(); ++r) items.push_back({int(stores.size()) - 1, r, {}});
    } else if (fs::is_directory(in, ec)) {
      const auto files = find_record_files(in);
      if (files.empty())
        throw FormatError(in, "folder holds no ECG records (.hea or CPSC .mat files)",
                          "point embed at record files, a folder of them, or a store from `cgdmer prepare`");
      for (const auto& f : files) items.push_back({-1, 0, f});
    } else if (fs::exists(in, ec)) {
      items.push_back({-1, 0, in});
    } else {
      // read_any_record accepts a WFDB record name without ".hea".
      fs::path hea = in + ".hea";
      if (!fs::exists(hea, ec))
        throw IoError(in, "no such record file, folder or store", "check the path");
      items.push_back({-1, 0, in});
    }
  }

  if (o.aggregate != "mean" && o.aggregate != "first")
    throw ConfigError("embed --aggregate must be mean or first, not '" + o.aggregate + "'");
  WindowOptions wo;
  wo.stride_seconds = o.window_stride_seconds;
  wo.first_only = o.aggregate == "first";
  const bool want_pooled = o.kind != "shared", want_shared = o.kind != "pooled";
  const std::int64_t N = std::int64_t(items.size());
  EmbedResult res;
  std::vector<torch::Tensor> pooled, shared, inputs;
  torch::NoGradGuard ng;
  model->eval();
  Progress prog("embed", N, "ECGs");
  for (std::int64_t s = 0; s < N; s += o.batch_size) {
    const std::int64_t B = std::min<std::int64_t>(o.batch_size, N - s);
    auto x = torch::empty({B, L, S}, torch::kFloat32);  // (B, L, S) in [0, 1]
    std::map<std::vector<int>, std::vector<std::int64_t>> by_leads;  // lead subset → batch rows
    std::map<std::int64_t, std::vector<PreparedRecord>> long_records;  // batch row → its windows
    std::vector<std::int64_t> good_rows;  // rows that were read (the others are dropped below)
    for (std::int64_t i = 0; i < B; ++i) {
      const Item& it = items[size_t(s + i)];
      float* dst = x.data_ptr<float>() + i * L * S;
      if (it.store >= 0) {
        stores[size_t(it.store)].read_signal(it.row, dst);
        res.ids.push_back(stores[size_t(it.store)].record_id(it.row));
        by_leads[{}].push_back(i);
        good_rows.push_back(i);
      } else {
        std::vector<PreparedRecord> windows;
        try {
          windows = prepare_record_windows(it.path, cfg, contract, wo, o.read);
        } catch (const Error& e) {  // listed in res.failed; the batch goes on without it
          res.failed.push_back({it.path, e.what()});
          std::fill(dst, dst + L * S, 0.0f);
          continue;
        }
        good_rows.push_back(i);
        const PreparedRecord& rec = windows.front();
        std::copy(rec.data.begin(), rec.data.end(), dst);
        res.ids.push_back(rec.id);
        if (windows.size() > 1) {
          long_records[i] = std::move(windows);
        } else {
          by_leads[rec.leads].push_back(i);
        }
      }
    }
    const auto e0 = std::chrono::steady_clock::now();
    torch::Tensor p, h;
    {
      AutocastGuard ac(bf16, device);
      if (by_leads.empty()) {
        // every row of this batch is a long record, encoded below
      } else if (by_leads.size() == 1 && long_records.empty()) {
        ecg_pooled_and_shared(model, x, want_pooled ? &p : nullptr, want_shared ? &h : nullptr,
                              by_leads.begin()->first);
      } else {  // records with different lead subsets: one pass per subset, rows put back
        for (const auto& [leads, rows] : by_leads) {
          const auto idx = torch::tensor(rows, torch::kLong);
          torch::Tensor pg, hg;
          ecg_pooled_and_shared(model, x.index_select(0, idx), want_pooled ? &pg : nullptr,
                                want_shared ? &hg : nullptr, leads);
          if (want_pooled) {
            if (!p.defined()) p = torch::empty({B, pg.size(1)}, torch::kFloat32);
            p.index_copy_(0, idx, pg.to(torch::kFloat32));
          }
          if (want_shared) {
            if (!h.defined()) h = torch::empty({B, hg.size(1)}, torch::kFloat32);
            h.index_copy_(0, idx, hg.to(torch::kFloat32));
          }
        }
      }
    }
    // Long records: their windows in one pass each, averaged (the shared mean re-normalised).
    for (const auto& [i, windows] : long_records) {
      const std::int64_t K = std::int64_t(windows.size());
      auto xw = torch::empty({K, L, S}, torch::kFloat32);
      for (std::int64_t k = 0; k < K; ++k)
        std::copy(windows[std::size_t(k)].data.begin(), windows[std::size_t(k)].data.end(),
                  xw.data_ptr<float>() + k * L * S);
      torch::Tensor pw, hw;
      {
        AutocastGuard ac(bf16, device);
        ecg_pooled_and_shared(model, xw, want_pooled ? &pw : nullptr, want_shared ? &hw : nullptr,
                              windows.front().leads);
      }
      namespace F = torch::nn::functional;
      if (want_pooled) {
        if (!p.defined()) p = torch::empty({B, pw.size(1)}, torch::kFloat32);
        p[i] = pw.to(torch::kFloat32).mean(0);
      }
      if (want_shared) {
        if (!h.defined()) h = torch::empty({B, hw.size(1)}, torch::kFloat32);
        h[i] = F::normalize(hw.to(torch::kFloat32).mean(0, true), F::NormalizeFuncOptions().dim(1))[0];
      }
    }
    res.encoder_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    if (good_rows.empty()) continue;
    if (o.progress) prog.advance(std::int64_t(good_rows.size()));  // ECGs embedded
    if (std::int64_t(good_rows.size()) < B) {  // drop the rows of records that could not be read
      const auto keep = torch::tensor(good_rows, torch::kLong);
      if (want_pooled) p = p.index_select(0, keep);
      if (want_shared) h = h.index_select(0, keep);
      x = x.index_select(0, keep);
    }
    if (want_pooled) pooled.push_back(p.contiguous());
    if (want_shared) shared.push_back(h.contiguous());
    if (!o.dump_input.empty()) inputs.push_back(x);
  }
  if (o.progress && !res.ids.empty()) prog.finish();
  if (res.ids.empty())
    throw FormatError(res.failed.front().first,
                      "no input could be read (" + std::to_string(res.failed.size()) + " failed; first: " +
                          res.failed.front().second + ")",
                      "give ECG record files (WFDB .hea, CPSC .mat, MUSE/HL7/Philips XML, EDF, DICOM, "
                      "SCP-ECG), folders of them, or stores from `cgdmer prepare`");
  if (want_pooled) res.pooled = torch::cat(pooled, 0).contiguous();
  if (want_shared) res.shared = torch::cat(shared, 0).contiguous();

  // Outputs.
  const std::string stem = npy_stem(o.out);
  const fs::path parent = fs::path(o.out).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  auto emit = [&](const torch::Tensor& m, const std::string& npy, const std::string& csv) {
    write_npy_f32(npy, m.data_ptr<float>(), {m.size(0), m.size(1)});
    res.files.push_back(npy);
    if (o.csv) {
      write_csv(csv, res.ids, m);
      res.files.push_back(csv);
    }
  };
  if (o.kind == "both") {
    emit(res.pooled, stem + ".pooled.npy", stem + ".pooled.csv");
    emit(res.shared, stem + ".shared.npy", stem + ".shared.csv");
  } else {
    emit(o.kind == "pooled" ? res.pooled : res.shared, o.out, stem + ".csv");
  }
  {
    AtomicFile f(stem + ".ids.txt");
    for (const auto& id : res.ids) {
      f.write(id.data(), id.size());
      f.write("\n", 1);
    }
    f.commit();
    res.files.push_back(stem + ".ids.txt");
  }
  if (!res.failed.empty()) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& [path, why] : res.failed) j.push_back({{"path", path}, {"reason", why}});
    write_file_atomic(stem + ".failed.json", j.dump(2) + "\n");
    res.files.push_back(stem + ".failed.json");
  }
  if (!o.dump_input.empty()) {
    auto all = torch::cat(inputs, 0).contiguous();
    write_npy_f32(o.dump_input, all.data_ptr<float>(), {all.size(0), all.size(1), all.size(2)});
    res.files.push_back(o.dump_input);
  }
  res.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace cgdmer
