// Checkpoint file framing, (de)serialisation of model/optimizer/meta, and the run folder's
// keep-last-k / best bookkeeping. Layout documented in checkpoint.h.
#include "train/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'C', 'G', 'D', 'M', 'C', 'K', 'P', 'T'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8;

std::uint64_t fnv1a64(const char* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= std::uint8_t(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
T get(const std::string& in, std::size_t off) {
  T v;
  std::memcpy(&v, in.data() + off, sizeof v);
  return v;
}

nlohmann::json meta_to_json(const CheckpointMeta& m) {
  const auto& s = m.state;
  return {{"format_version", m.format_version},
          {"config_toml", m.config_toml},
          {"model_hash", m.model_hash},
          {"store_version", m.store_version},
          {"store_hash", m.store_hash},
          {"store_records", m.store_records},
          {"torch_version", m.torch_version},
          {"state",
           {{"step", s.step},
            {"epoch", s.epoch},
            {"loader_epoch", s.loader.epoch},
            {"loader_next_batch", s.loader.next_batch},
            {"shuffle_seed", s.shuffle_seed},
            {"seed", s.seed},
            {"world_size", s.world_size},
            {"bad_steps_in_row", s.bad_steps_in_row},
            // JSON has no -inf: null = no validation yet.
            {"best_val", std::isfinite(s.best_val) ? nlohmann::json(s.best_val) : nullptr},
            {"best_step", s.best_step},
            {"text_rng_state", s.text_rng_state}}}};
}

CheckpointMeta meta_from_json(const nlohmann::json& j) {
  CheckpointMeta m;
  m.format_version = j.at("format_version");
  m.config_toml = j.at("config_toml");
  m.model_hash = j.at("model_hash");
  m.store_version = j.at("store_version");
  m.store_hash = j.at("store_hash");
  m.store_records = j.at("store_records");
  m.torch_version = j.value("torch_version", "");
  const auto& s = j.at("state");
  m.state.step = s.at("step");
  m.state.epoch = s.at("epoch");
  m.state.loader.epoch = s.at("loader_epoch");
  m.state.loader.next_batch = s.at("loader_next_batch");
  m.state.shuffle_seed = s.at("shuffle_seed");
  m.state.seed = s.at("seed");
  m.state.world_size = s.at("world_size");
  m.state.bad_steps_in_row = s.at("bad_steps_in_row");
  m.state.best_val = s.at("best_val").is_null() ? -std::numeric_limits<double>::infinity()
                                                : s.at("best_val").get<double>();
  m.state.best_step = s.at("best_step");
  m.state.text_rng_state = s.at("text_rng_state");
  return m;
}

// Reads the file and returns the validated payload (the zip archive bytes).
std::string read_payload(const std::string& path) {
  std::string raw;
  try {
    raw = read_file(path);
  } catch (const IoError&) {
    throw;
  }
  if (raw.size() < kHeaderBytes || std::memcmp(raw.data(), kMagic, 8) != 0)
    throw FormatError(path, "not a cgdmer checkpoint (bad magic or shorter than its header)");
  const auto version = get<std::uint32_t>(raw, 8);
  if (version != kFormatVersion)
    throw FormatError(path, "checkpoint format version " + std::to_string(version) +
                                " is not supported (this build reads " +
                                std::to_string(kFormatVersion) + ")");
  const auto size = get<std::uint64_t>(raw, 16);
  if (raw.size() != kHeaderBytes + size + 8)
    throw FormatError(path, "truncated or padded checkpoint: header promises " +
                                std::to_string(kHeaderBytes + size + 8) + " bytes, file has " +
                                std::to_string(raw.size()),
                      "the file was cut short (disk full or copied partially); use an earlier "
                      "checkpoint");
  const auto sum = get<std::uint64_t>(raw, kHeaderBytes + size);
  if (sum != fnv1a64(raw.data() + kHeaderBytes, size))
    throw FormatError(path, "checkpoint checksum mismatch (file corrupted)");
  return raw.substr(kHeaderBytes, size);
}

CheckpointMeta meta_from_archive(torch::serialize::InputArchive& ar, const std::string& path) {
  c10::IValue v;
  if (!ar.try_read("meta", v) || !v.isString())
    throw FormatError(path, "checkpoint has no meta record");
  try {
    return meta_from_json(nlohmann::json::parse(v.toStringRef()));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("checkpoint meta is invalid: ") + e.what());
  }
}

// Copies every parameter and buffer by name, checking shape and dtype (Module::load would
// silently resize a parameter to the stored shape).
void load_model_tensors(torch::serialize::InputArchive& ar, torch::nn::Module& model,
                        const std::string& path) {
  torch::NoGradGuard ng;
  auto copy_one = [&](const std::string& key, torch::Tensor dst, bool buffer) {
    torch::Tensor src;
    if (!ar.try_read(key, src, buffer))
      throw FormatError(path, "checkpoint lacks tensor '" + key.substr(2) + "'");
    if (src.sizes() != dst.sizes() || src.scalar_type() != dst.scalar_type())
      throw FormatError(path, "tensor '" + key.substr(2) + "' has shape " +
                                  c10::str(src.sizes()) + " in the checkpoint, the model has " +
                                  c10::str(dst.sizes()));
    dst.copy_(src);
  };
  std::set<std::string> expected;
  for (const auto& kv : model.named_parameters()) {
    copy_one("p." + kv.key(), kv.value(), false);
    expected.insert("p." + kv.key());
  }
  for (const auto& kv : model.named_buffers()) {
    copy_one("b." + kv.key(), kv.value(), true);
    expected.insert("b." + kv.key());
  }
  // Tensors the model does not have mean the checkpoint was made by a different model
  // (e.g. more layers than its config says): refuse instead of silently dropping weights.
  for (const auto& key : ar.keys())
    if (!expected.count(key))
      throw FormatError(path, "checkpoint has tensor '" + key.substr(key.size() > 2 ? 2 : 0) +
                                  "' that the model (built from its config) lacks");
}

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* opt, const CheckpointMeta& meta,
                     const torch::Tensor& torch_rng_state) {
  torch::serialize::OutputArchive ar;
  torch::serialize::OutputArchive model_ar;
  for (const auto& kv : model.named_parameters()) model_ar.write("p." + kv.key(), kv.value());
  for (const auto& kv : model.named_buffers()) model_ar.write("b." + kv.key(), kv.value(), true);
  ar.write("model", model_ar);
  if (opt) {
    torch::serialize::OutputArchive opt_ar;
    opt->save(opt_ar);
    ar.write("optim", opt_ar);
  }
  CheckpointMeta m = meta;
  m.torch_version = TORCH_VERSION;
  ar.write("meta", c10::IValue(meta_to_json(m).dump()));
  if (torch_rng_state.defined()) ar.write("rng.torch", torch_rng_state);
  std::ostringstream os;
  ar.save_to(os);
  const std::string payload = os.str();

  std::string head;
  head.append(kMagic, 8);
  put<std::uint32_t>(head, kFormatVersion);
  put<std::uint32_t>(head, 0);
  put<std::uint64_t>(head, payload.size());
  std::string tail;
  put<std::uint64_t>(tail, fnv1a64(payload.data(), payload.size()));

  fs::create_directories(fs::path(path).parent_path().empty() ? fs::path(".")
                                                              : fs::path(path).parent_path());
  AtomicFile f(path);
  f.write(head);
  f.write(payload);
  f.write(tail);
  f.commit();
}

CheckpointReader::CheckpointReader(const std::string& path)
    : path_(path), archive_(std::make_unique<torch::serialize::InputArchive>()) {
  const std::string payload = read_payload(path);
  archive_->load_from(payload.data(), payload.size());
  meta_ = meta_from_archive(*archive_, path);
}

CheckpointReader::~CheckpointReader() = default;
CheckpointReader::CheckpointReader(CheckpointReader&&) noexcept = default;

void CheckpointReader::load(torch::nn::Module& model, torch::optim::Optimizer* opt,
                            const std::string& expect_model_hash,
                            torch::Tensor* torch_rng_state) {
  const std::string& path = path_;
  auto& ar = *archive_;
  if (!expect_model_hash.empty() && meta_.model_hash != expect_model_hash)
    throw ConfigError(path + ": checkpoint is of another model configuration (model_hash " +
                          meta_.model_hash + ", this config has " + expect_model_hash + ")",
                      "resume/load with the config the checkpoint was trained with (its "
                      "config.toml), or start a new run folder");
  try {
    torch::serialize::InputArchive model_ar;
    if (!ar.try_read("model", model_ar)) throw FormatError(path, "checkpoint has no model");
    load_model_tensors(model_ar, model, path);
    if (opt) {
      torch::serialize::InputArchive opt_ar;
      if (!ar.try_read("optim", opt_ar))
        throw FormatError(path, "checkpoint has no optimizer state (an inference export?)");
      opt->load(opt_ar);
    }
    if (torch_rng_state) {
      torch::Tensor t;
      if (ar.try_read("rng.torch", t)) *torch_rng_state = t;
    }
  } catch (const cgdmer::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw FormatError(path, std::string("checkpoint does not fit the model: ") +
                                e.what_without_backtrace());
  }
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  return CheckpointReader(path).meta();
}

CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model,
                               torch::optim::Optimizer* opt,
                               const std::string& expect_model_hash,
                               torch::Tensor* torch_rng_state) {
  CheckpointReader reader(path);
  reader.load(model, opt, expect_model_hash, torch_rng_state);
  return reader.meta();
}

std::string checkpoint_dir(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints").string();
}

std::string checkpoint_path(const std::string& run_dir, std::int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "step-%08lld.ckpt", static_cast<long long>(step));
  return (fs::path(checkpoint_dir(run_dir)) / name).string();
}

std::string best_checkpoint_path(const std::string& run_dir) {
  return (fs::path(checkpoint_dir(run_dir)) / "best.ckpt").string();
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  std::vector<std::string> out;
  const fs::path dir = checkpoint_dir(run_dir);
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    // Final names only: "step-NNNNNNNN.ckpt" (a temporary is "….ckpt.tmp.<pid>").
    if (n.size() == 18 && n.rfind("step-", 0) == 0 && n.substr(13) == ".ckpt")
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());  // zero-padded step: lexical = numeric
  return out;
}

std::string latest_checkpoint(const std::string& run_dir) {
  auto all = list_checkpoints(run_dir);
  return all.empty() ? std::string() : all.back();
}

void prune_checkpoints(const std::string& run_dir, int keep) {
  const fs::path dir = checkpoint_dir(run_dir);
  if (!fs::is_directory(dir)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.find(".tmp.") != std::string::npos) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
  if (keep <= 0) return;
  auto all = list_checkpoints(run_dir);
  for (std::size_t i = 0; i + std::size_t(keep) < all.size(); ++i) {
    std::error_code ec;
    fs::remove(all[i], ec);
  }
}

void mark_best_checkpoint(const std::string& run_dir, const std::string& ckpt) {
  const std::string best = best_checkpoint_path(run_dir);
  const std::string tmp = best + ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove(tmp, ec);
  // A hard link costs nothing and survives pruning of the step file; rename is atomic.
  fs::create_hard_link(ckpt, tmp, ec);
  if (ec) {
    fs::copy_file(ckpt, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw IoError(best, "cannot write best checkpoint: " + ec.message());
  }
  fs::rename(tmp, best, ec);
  if (ec) throw IoError(best, "cannot rename best checkpoint into place: " + ec.message());
}

}  // namespace cgdmer
