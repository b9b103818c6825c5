// Checkpoint file framing, (de)serialisation of model/optimizer/meta, verification, and the
// run folder's checkpoint paths. Layout documented in checkpoint_file.h.
#include "model/checkpoint_file.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include <torch/version.h>

#include "config/config.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fnv1a.h"
#include "model/adamw_state_archive.h"

namespace cgdmer {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'C', 'G', 'D', 'M', 'C', 'K', 'P', 'T'};
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8;

// Format 1 files carry the checksum computed from the mistyped offset basis.
std::uint64_t payload_checksum(std::uint32_t format_version, const char* p, std::size_t n) {
  return format_version == 1 ? fnv1a64_mistyped_basis(std::string_view(p, n)) : fnv1a64(p, n);
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
  nlohmann::json j{{"format_version", kCheckpointFormatVersion},
                   {"config_toml", m.config_toml},
                   {"model_hash", m.model_hash},
                   {"store_version", m.store_version},
                   {"store_hash", m.store_hash},
                   {"store_records", m.store_records},
                   {"torch_version", m.torch_version},
                   {"state", m.train_state}};
  if (!m.training_data.is_null()) j["training_data"] = m.training_data;
  if (!m.classifier.is_null()) j["classifier"] = m.classifier;
  return j;
}

CheckpointMeta meta_from_json(const nlohmann::json& j, std::uint32_t file_version) {
  CheckpointMeta m;
  m.format_version = file_version;
  m.config_toml = j.at("config_toml");
  m.model_hash = j.at("model_hash");
  m.store_version = j.at("store_version");
  m.store_hash = j.at("store_hash");
  m.store_records = j.at("store_records");
  m.torch_version = j.value("torch_version", "");
  m.train_state = j.value("state", nlohmann::json());
  m.training_data = j.value("training_data", nlohmann::json());
  m.classifier = j.value("classifier", nlohmann::json());
  return m;
}

struct Payload {
  std::uint32_t version = 0;
  std::string bytes;  // the zip archive
};

// Reads the file and returns the verified payload.
Payload read_payload(const std::string& path) {
  const std::string raw = read_file(path);
  if (raw.size() < kHeaderBytes || std::memcmp(raw.data(), kMagic, 8) != 0)
    throw FormatError(path, "not a cgdmer checkpoint (bad magic or shorter than its header)");
  const auto version = get<std::uint32_t>(raw, 8);
  if (version < 1 || version > kCheckpointFormatVersion)
    throw FormatError(path, "checkpoint format version " + std::to_string(version) +
                                " is not supported (this build reads 1 to " +
                                std::to_string(kCheckpointFormatVersion) + ")",
                      "a newer cgdmer wrote it: load it with that version");
  const auto size = get<std::uint64_t>(raw, 16);
  if (raw.size() != kHeaderBytes + size + 8)
    throw FormatError(path, "truncated or padded checkpoint: header promises " +
                                std::to_string(kHeaderBytes + size + 8) + " bytes, file has " +
                                std::to_string(raw.size()),
                      "the file was cut short (disk full or copied partially); use an earlier "
                      "checkpoint");
  const auto sum = get<std::uint64_t>(raw, kHeaderBytes + size);
  if (sum != payload_checksum(version, raw.data() + kHeaderBytes, size))
    throw FormatError(path, "checkpoint checksum mismatch (file corrupted)");
  return {version, raw.substr(kHeaderBytes, size)};
}

CheckpointMeta meta_from_archive(torch::serialize::InputArchive& ar, const std::string& path,
                                 std::uint32_t version) {
  c10::IValue v;
  if (!ar.try_read("meta", v) || !v.isString())
    throw FormatError(path, "checkpoint has no meta record");
  try {
    return meta_from_json(nlohmann::json::parse(v.toStringRef()), version);
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

// The stored config's hash as this build computes it ("" when the text is not a config).
std::string recomputed_model_hash(const CheckpointMeta& m, const std::string& path) {
  try {
    return Config::from_toml(m.config_toml, path).model_hash();
  } catch (const Error&) {
    return "";
  }
}

}  // namespace

std::vector<std::string> TrainingData::record_ids_of(const std::string& dataset) const {
  std::vector<std::string> ids;
  for (const auto& s : stores)
    if (s.dataset == dataset) ids.insert(ids.end(), s.record_ids.begin(), s.record_ids.end());
  return ids;
}

nlohmann::json to_json(const TrainingData& d) {
  nlohmann::json stores = nlohmann::json::array();
  for (const auto& s : d.stores)
    stores.push_back({{"store", s.store},
                      {"dataset", s.dataset},
                      {"preprocessing_hash", s.preprocessing_hash},
                      {"store_records", s.store_records},
                      {"record_ids", s.record_ids}});
  return {{"stores", stores},
          {"preprocessing_settings", d.preprocessing_settings},
          {"folds", d.folds},
          {"val_store", d.val_store},
          {"val_folds", d.val_folds}};
}

TrainingData training_data_from_json(const nlohmann::json& j, const std::string& path) {
  TrainingData d;
  const auto store_of = [](const nlohmann::json& s) {
    TrainingStore t;
    t.store = s.at("store");
    t.dataset = s.at("dataset");
    t.preprocessing_hash = s.at("preprocessing_hash");
    t.store_records = s.at("store_records");
    t.record_ids = s.at("record_ids").get<std::vector<std::string>>();
    return t;
  };
  try {
    if (j.contains("stores")) {
      for (const auto& s : j.at("stores")) d.stores.push_back(store_of(s));
      if (d.stores.empty()) throw FormatError(path, "recorded training data names no store");
    } else {
      d.stores.push_back(store_of(j));  // one store, written before 2026-12-07
    }
    d.preprocessing_settings = j.value("preprocessing_settings", "");
    d.folds = j.at("folds").get<std::vector<int>>();
    d.val_store = j.value("val_store", "");
    d.val_folds = j.value("val_folds", std::vector<int>{});
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("recorded training data is invalid: ") + e.what());
  }
  return d;
}

bool training_data_of(const CheckpointMeta& meta, TrainingData* out, const std::string& path) {
  if (meta.training_data.is_null()) return false;
  *out = training_data_from_json(meta.training_data, path);
  return true;
}

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* opt, const CheckpointMeta& meta,
                     const torch::Tensor& torch_rng_state, OptimizerLayout layout) {
  torch::serialize::OutputArchive ar;
  torch::serialize::OutputArchive model_ar;
  // Saved as CPU tensors, so a GPU run's checkpoint loads anywhere.
  for (const auto& kv : model.named_parameters())
    model_ar.write("p." + kv.key(), kv.value().detach().to(torch::kCPU));
  for (const auto& kv : model.named_buffers())
    model_ar.write("b." + kv.key(), kv.value().to(torch::kCPU), true);
  ar.write("model", model_ar);
  if (opt) {
    torch::serialize::OutputArchive opt_ar;
    if (layout == OptimizerLayout::torch_archive) {
      opt->save(opt_ar);
      ar.write("optim", opt_ar);
    } else {
      write_adamw_state(opt_ar, *opt);
      ar.write("optimizer", opt_ar);
    }
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
  put<std::uint32_t>(head, kCheckpointFormatVersion);
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
  const Payload payload = read_payload(path);
  archive_->load_from(payload.bytes.data(), payload.bytes.size());
  meta_ = meta_from_archive(*archive_, path, payload.version);
}

CheckpointReader::~CheckpointReader() = default;
CheckpointReader::CheckpointReader(CheckpointReader&&) noexcept = default;

void CheckpointReader::load(torch::nn::Module& model, torch::optim::Optimizer* opt,
                            const std::string& expect_model_hash,
                            torch::Tensor* torch_rng_state) {
  const std::string& path = path_;
  auto& ar = *archive_;
  if (!expect_model_hash.empty() && meta_.model_hash != expect_model_hash &&
      recomputed_model_hash(meta_, path) != expect_model_hash)
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
      if (ar.try_read("optimizer", opt_ar))
        read_adamw_state(opt_ar, *opt, path);
      else if (ar.try_read("optim", opt_ar))  // torch's own archive, cgdmer before 2026-12
        read_torch_adamw_state(opt_ar, *opt, path);
      else
        throw FormatError(path, "checkpoint has no optimizer state (an inference export?)");
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

std::string classifier_model_path(const std::string& run_dir) {
  return (fs::path(run_dir) / "classifier.ckpt").string();
}

std::string resolve_checkpoint(const std::string& ckpt_or_run_dir) {
  if (!fs::is_directory(ckpt_or_run_dir)) return ckpt_or_run_dir;
  std::string path = classifier_model_path(ckpt_or_run_dir);
  if (fs::exists(path)) return path;
  path = best_checkpoint_path(ckpt_or_run_dir);
  if (!fs::exists(path)) path = latest_checkpoint(ckpt_or_run_dir);
  if (path.empty())
    throw IoError(ckpt_or_run_dir, "run folder has no checkpoint (checkpoints/*.ckpt)");
  return path;
}

}  // namespace cgdmer
