// Implements config.h: one table of every field (section, key, member) drives TOML
// reading, --set overrides, printing and hashing, so a new field is added in one place.
#include "config/config.h"

#include <cerrno>
#include <functional>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <variant>

#include <toml++/toml.h>

#include "core/error.h"
#include "core/fnv1a.h"
#include "core/paths.h"
#include "config/pretrained_text.h"

namespace cgdmer {
namespace {

// A typed choice (enum or small struct) that the table reads and prints as text.
struct Coded {
  std::function<std::string()> text;
  std::function<bool(const std::string&)> parse;  // false: not a valid value
  const char* what;                               // the valid values, for messages
};

using FieldRef =
    std::variant<int*, double*, bool*, std::string*, std::int64_t*, std::uint64_t*, Coded>;

Coded coded(FreezeSpec* f) {
  return {[f] { return f->text(); },
          [f](const std::string& s) {
            try {
              *f = FreezeSpec::parse(s);
              return true;
            } catch (const ConfigError&) {
              return false;
            }
          },
          "none, all or first:K"};
}

Coded coded(SiglipMode* m) {
  return {[m] { return std::string(*m == SiglipMode::fixed ? "fixed" : "learnable"); },
          [m](const std::string& s) {
            if (s != "learnable" && s != "fixed") return false;
            *m = s == "fixed" ? SiglipMode::fixed : SiglipMode::learnable;
            return true;
          },
          "learnable or fixed"};
}

struct Field {
  const char* section;
  const char* key;
  FieldRef ref;
  bool shape;  // decides parameter shapes → part of model_hash()
};

// Every configurable field, in printing order. `shape` marks what a checkpoint must match.
std::vector<Field> fields_of(Config& c) {
  auto& e = c.ecg;
  auto& t = c.text;
  auto& h = c.head;
  auto& l = c.loss;
  auto& r = c.train;
  return {
      {"ecg", "n_leads", &e.n_leads, true},
      {"ecg", "n_samples", &e.n_samples, true},
      {"ecg", "patch_size", &e.patch_size, true},
      {"ecg", "tokenizer_channels", &e.tokenizer_channels, true},
      {"ecg", "width", &e.width, true},
      {"ecg", "depth", &e.depth, true},
      {"ecg", "heads", &e.heads, true},
      {"ecg", "mlp_ratio", &e.mlp_ratio, true},
      {"ecg", "dropout", &e.dropout, false},
      {"ecg", "temporal_embedding", &e.temporal_embedding, true},
      {"ecg", "tokenizer_norm", &e.tokenizer_norm, false},  // hashed by model_hash() when not "patch"
      {"ecg", "mask_ratio", &e.mask_ratio, false},
      {"ecg", "decoder_width", &e.decoder_width, true},
      {"ecg", "decoder_depth", &e.decoder_depth, true},
      {"ecg", "decoder_heads", &e.decoder_heads, true},
      {"ecg", "norm_target", &e.norm_target, false},
      {"text", "vocab_size", &t.vocab_size, true},
      {"text", "width", &t.width, true},
      {"text", "depth", &t.depth, true},
      {"text", "heads", &t.heads, true},
      {"text", "intermediate", &t.intermediate, true},
      {"text", "max_len", &t.max_len, false},
      {"text", "max_position", &t.max_position, true},
      {"text", "dropout", &t.dropout, false},
      // Not in model_hash (hashes of existing checkpoints stay valid); a checkpoint of another
      // type_vocab is still refused, by the token_type_embeddings shape when loading.
      {"text", "layer_norm_eps", &t.layer_norm_eps, false},
      {"text", "type_vocab", &t.type_vocab, false},
      {"text", "hf_weights", &t.hf_weights, false},
      {"text", "freeze", coded(&t.freeze), false},
      {"text", "pooling", &t.pooling, false},
      {"text", "reconstruction", &t.reconstruction, true},
      {"text", "mask_ratio", &t.mask_ratio, false},
      {"text", "mean_span", &t.mean_span, false},
      {"text", "n_sentinels", &t.n_sentinels, true},
      {"text", "decoder_width", &t.decoder_width, true},
      {"text", "decoder_depth", &t.decoder_depth, true},
      {"text", "decoder_heads", &t.decoder_heads, true},
      {"text", "decoder_max_len", &t.decoder_max_len, true},
      {"head", "dim", &h.dim, true},
      {"head", "hidden", &h.hidden, true},
      {"loss", "lambda_cons", &l.lambda_cons, false},
      {"loss", "lambda_e_rec", &l.lambda_e_rec, false},
      {"loss", "lambda_t_rec", &l.lambda_t_rec, false},
      {"loss", "lambda_orth", &l.lambda_orth, false},
      {"loss", "lambda_siglip", &l.lambda_siglip, false},
      {"loss", "temperature", &l.temperature, false},
      {"loss", "siglip", coded(&l.siglip), true},
      {"loss", "cons_targets", &l.cons_targets, false},
      {"train", "batch_size", &r.batch_size, false},
      {"train", "epochs", &r.epochs, false},
      {"train", "max_steps", &r.max_steps, false},
      {"train", "lr", &r.lr, false},
      {"train", "weight_decay", &r.weight_decay, false},
      {"train", "warmup_fraction", &r.warmup_fraction, false},
      {"train", "min_lr_fraction", &r.min_lr_fraction, false},
      {"train", "grad_clip", &r.grad_clip, false},
      {"train", "grad_accum", &r.grad_accum, false},
      {"train", "precision", &r.precision, false},
      {"train", "tf32", &r.tf32, false},
      {"train", "seed", &r.seed, false},
      {"train", "log_every", &r.log_every, false},
      {"train", "save_every", &r.save_every, false},
      {"train", "keep_last", &r.keep_last, false},
      {"train", "val_every", &r.val_every, false},
      {"train", "diagnose_every", &r.diagnose_every, false},
      {"train", "max_bad_steps", &r.max_bad_steps, false},
      {"train", "loader_workers", &r.loader_workers, false},
  };
}

const char* kSections[] = {"ecg", "text", "head", "loss", "train"};

std::string format_double(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
  char buf[64];
  for (int prec = 15; prec <= 17; ++prec) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stay a TOML float
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') { out += "\\n"; continue; }
    out += ch;
  }
  return out + "\"";
}

std::string value_text(const FieldRef& ref) {
  struct V {
    std::string operator()(int* p) const { return std::to_string(*p); }
    std::string operator()(double* p) const { return format_double(*p); }
    std::string operator()(bool* p) const { return *p ? "true" : "false"; }
    std::string operator()(std::string* p) const { return quote(*p); }
    std::string operator()(std::int64_t* p) const { return std::to_string(*p); }
    std::string operator()(std::uint64_t* p) const { return std::to_string(*p); }
    std::string operator()(const Coded& c) const { return quote(c.text()); }
  };
  return std::visit(V{}, ref);
}

const char* type_name(const FieldRef& ref) {
  struct V {
    const char* operator()(int*) const { return "an integer"; }
    const char* operator()(double*) const { return "a number"; }
    const char* operator()(bool*) const { return "true or false"; }
    const char* operator()(std::string*) const { return "a string"; }
    const char* operator()(std::int64_t*) const { return "an integer"; }
    const char* operator()(std::uint64_t*) const { return "a non-negative integer"; }
    const char* operator()(const Coded& c) const { return c.what; }
  };
  return std::visit(V{}, ref);
}

// Sets a field from a TOML node; returns false when the node's type does not fit.
bool set_from_node(const FieldRef& ref, const toml::node& node) {
  struct V {
    const toml::node& n;
    bool operator()(int* p) const {
      auto v = n.value_exact<std::int64_t>();
      if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
        return false;
      *p = int(*v);
      return true;
    }
    bool operator()(double* p) const {
      if (auto v = n.value_exact<double>()) { *p = *v; return true; }
      if (auto v = n.value_exact<std::int64_t>()) { *p = double(*v); return true; }
      return false;
    }
    bool operator()(bool* p) const {
      auto v = n.value_exact<bool>();
      if (!v) return false;
      *p = *v;
      return true;
    }
    bool operator()(std::string* p) const {
      auto v = n.value_exact<std::string>();
      if (!v) return false;
      *p = *v;
      return true;
    }
    bool operator()(std::int64_t* p) const {
      auto v = n.value_exact<std::int64_t>();
      if (!v) return false;
      *p = *v;
      return true;
    }
    bool operator()(std::uint64_t* p) const {
      auto v = n.value_exact<std::int64_t>();
      if (!v || *v < 0) return false;
      *p = std::uint64_t(*v);
      return true;
    }
    bool operator()(const Coded& c) const {
      auto v = n.value_exact<std::string>();
      return v && c.parse(*v);
    }
  };
  return std::visit(V{node}, ref);
}

// Sets a field from command-line text; returns false when the text does not parse.
bool set_from_text(const FieldRef& ref, std::string text) {
  auto parse_int = [](const std::string& s, long long& out) {
    if (s.empty()) return false;
    errno = 0;
    char* end = nullptr;
    out = std::strtoll(s.c_str(), &end, 10);
    return errno == 0 && end == s.c_str() + s.size();
  };
  struct V {
    std::string s;
    decltype(parse_int)& pi;
    bool operator()(int* p) const {
      long long v;
      if (!pi(s, v) || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        return false;
      *p = int(v);
      return true;
    }
    bool operator()(double* p) const {
      if (s.empty()) return false;
      errno = 0;
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (errno != 0 || end != s.c_str() + s.size()) return false;
      *p = v;
      return true;
    }
    bool operator()(bool* p) const {
      if (s == "true" || s == "1") { *p = true; return true; }
      if (s == "false" || s == "0") { *p = false; return true; }
      return false;
    }
    bool operator()(std::string* p) const {
      std::string v = s;
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
      *p = v;
      return true;
    }
    bool operator()(std::int64_t* p) const {
      long long v;
      if (!pi(s, v)) return false;
      *p = v;
      return true;
    }
    bool operator()(std::uint64_t* p) const {
      long long v;
      if (!pi(s, v) || v < 0) return false;
      *p = std::uint64_t(v);
      return true;
    }
    bool operator()(const Coded& c) const {
      std::string v = s;
      if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
        v = v.substr(1, v.size() - 2);
      return c.parse(v);
    }
  };
  return std::visit(V{std::move(text), parse_int}, ref);
}

Field* find_field(std::vector<Field>& fs, const std::string& section, const std::string& key) {
  for (auto& f : fs)
    if (section == f.section && key == f.key) return &f;
  return nullptr;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open config file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
  for (const char* o : options)
    if (v == o) return true;
  return false;
}

}  // namespace

Config Config::from_toml(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ": TOML syntax error at line " << e.source().begin.line << ", column "
        << e.source().begin.column << ": " << e.description();
    throw ConfigError(msg.str());
  }
  Config c;
  auto fs = fields_of(c);
  std::vector<std::string> unknown, bad;
  for (auto&& [k, node] : root) {
    const std::string key(k.str());
    if (key == "name") {
      if (auto v = node.value_exact<std::string>()) c.name = *v;
      else bad.push_back("name (must be a string)");
      continue;
    }
    auto* table = node.as_table();
    bool is_section = false;
    for (const char* s : kSections) is_section |= key == s;
    if (!is_section || !table) {
      unknown.push_back(key);
      continue;
    }
    for (auto&& [k2, value] : *table) {
      const std::string sub(k2.str());
      Field* f = find_field(fs, key, sub);
      if (!f) {
        unknown.push_back(key + "." + sub);
        continue;
      }
      if (!set_from_node(f->ref, value))
        bad.push_back(key + "." + sub + " (must be " + type_name(f->ref) + ")");
    }
  }
  if (!unknown.empty() || !bad.empty()) {
    std::string msg = origin + ":";
    if (!unknown.empty()) {
      msg += " unknown key(s):";
      for (auto& u : unknown) msg += " " + u;
      msg += ";";
    }
    if (!bad.empty()) {
      msg += " wrong type:";
      for (auto& b : bad) msg += " " + b;
      msg += ";";
    }
    msg.pop_back();
    throw ConfigError(msg, "see src/config/config.h or configs/paper.toml for every key");
  }
  return c;
}

Config Config::load(const std::string& preset_or_path, const std::vector<std::string>& overrides) {
  namespace fs = std::filesystem;
  std::string path;
  std::error_code ec;
  if (preset_or_path.find('/') != std::string::npos || fs::exists(preset_or_path, ec)) {
    path = preset_or_path;
  } else {
    try {
      path = resource_path("configs/" + preset_or_path + ".toml");
    } catch (const IoError&) {
      throw ConfigError("unknown config preset '" + preset_or_path + "'",
                        "use paper, tiny, variant1..variant4, or a path to a .toml file");
    }
  }
  Config c = from_toml(read_file(path), path);
  for (const auto& o : overrides) c.apply_override(o);
  resolve_pretrained_text(c);  // text.hf_weights = HF folder → its config.json decides the shape
  c.validate();
  return c;
}

void Config::apply_override(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos)
    throw ConfigError("--set " + assignment + ": expected section.key=value");
  std::string lhs = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  if (lhs == "name") {
    name = value;
    return;
  }
  auto dot = lhs.find('.');
  if (dot == std::string::npos)
    throw ConfigError("--set " + assignment + ": expected section.key=value");
  auto fs = fields_of(*this);
  Field* f = find_field(fs, lhs.substr(0, dot), lhs.substr(dot + 1));
  if (!f) throw ConfigError("--set " + assignment + ": unknown key " + lhs);
  if (!set_from_text(f->ref, value))
    throw ConfigError("--set " + assignment + ": " + lhs + " must be " + type_name(f->ref));
}

void Config::validate() const {
  std::vector<std::string> p;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) p.push_back(what);
  };
  const auto& e = ecg;
  need(e.n_leads >= 1, "ecg.n_leads must be >= 1");
  need(e.n_samples >= 1 && e.patch_size >= 1, "ecg.n_samples and ecg.patch_size must be >= 1");
  need(e.patch_size >= 1 && e.n_samples % std::max(1, e.patch_size) == 0,
       "ecg.n_samples must be a multiple of ecg.patch_size");
  need(e.tokenizer_channels >= 1, "ecg.tokenizer_channels must be >= 1");
  need(e.width >= 2 && e.width % 2 == 0, "ecg.width must be even (sin-cos embedding)");
  need(e.heads >= 1 && e.width % std::max(1, e.heads) == 0, "ecg.heads must divide ecg.width");
  need(e.depth >= 1 && e.mlp_ratio >= 1, "ecg.depth and ecg.mlp_ratio must be >= 1");
  need(e.dropout >= 0 && e.dropout < 1, "ecg.dropout must be in [0, 1)");
  need(one_of(e.temporal_embedding, {"sincos", "learned"}),
       "ecg.temporal_embedding must be sincos or learned");
  need(one_of(e.tokenizer_norm, {"patch", "post", "stats"}),
       "ecg.tokenizer_norm must be patch, post or stats");
  need(e.mask_ratio >= 0 && e.mask_ratio < 1, "ecg.mask_ratio must be in [0, 1)");
  need(e.decoder_width >= 2 && e.decoder_width % 2 == 0, "ecg.decoder_width must be even");
  need(e.decoder_heads >= 1 && e.decoder_width % std::max(1, e.decoder_heads) == 0,
       "ecg.decoder_heads must divide ecg.decoder_width");
  need(e.decoder_depth >= 1, "ecg.decoder_depth must be >= 1");
  if (has_ecg_decoder() && e.patch_size >= 1 && e.n_samples % e.patch_size == 0)
    need(ecg_keep_per_lead() < ecg_patches_per_lead(),
         "ecg.mask_ratio masks no patch, but L_e.rec (loss.lambda_e_rec > 0) needs masked patches");

  const auto& t = text;
  need(t.vocab_size >= 2, "text.vocab_size must be >= 2");
  need(t.width >= 1 && t.heads >= 1 && t.width % std::max(1, t.heads) == 0,
       "text.heads must divide text.width");
  need(t.depth >= 1 && t.intermediate >= 1, "text.depth and text.intermediate must be >= 1");
  need(t.max_len >= 2 && t.max_len <= t.max_position,
       "text.max_len must be in [2, text.max_position]");
  need(t.dropout >= 0 && t.dropout < 1, "text.dropout must be in [0, 1)");
  need(t.layer_norm_eps > 0 && t.type_vocab >= 1, "text.layer_norm_eps must be > 0, text.type_vocab >= 1");
  need(t.freeze.kind != FreezeSpec::Kind::first || t.freeze.layers <= t.depth,
       "text.freeze first:K needs K <= text.depth");
  need(one_of(t.reconstruction, {"sentinel", "mlm"}), "text.reconstruction must be sentinel or mlm");
  need(t.mask_ratio > 0 && t.mask_ratio < 1, "text.mask_ratio must be in (0, 1)");
  need(t.mean_span >= 1, "text.mean_span must be >= 1");
  need(t.n_sentinels >= 1, "text.n_sentinels must be >= 1");
  need(t.decoder_width >= 1 && t.decoder_heads >= 1 &&
           t.decoder_width % std::max(1, t.decoder_heads) == 0,
       "text.decoder_heads must divide text.decoder_width");
  need(t.decoder_depth >= 1 && t.decoder_max_len >= 2,
       "text.decoder_depth must be >= 1 and text.decoder_max_len >= 2");

  need(head.dim >= 1 && head.hidden >= 1, "head.dim and head.hidden must be >= 1");

  const auto& l = loss;
  for (double w : {l.lambda_cons, l.lambda_e_rec, l.lambda_t_rec, l.lambda_orth, l.lambda_siglip})
    need(std::isfinite(w) && w >= 0, "loss.lambda_* must be finite and >= 0");
  need(l.lambda_cons + l.lambda_e_rec + l.lambda_t_rec + l.lambda_orth + l.lambda_siglip > 0,
       "at least one loss.lambda_* must be > 0");
  need(l.temperature > 0, "loss.temperature must be > 0");
  need(one_of(text.pooling, {"cls", "mean"}), "text.pooling must be cls or mean");
  need(one_of(l.cons_targets, {"diagonal", "report"}),
       "loss.cons_targets must be diagonal or report");

  const auto& r = train;
  need(r.batch_size >= 1 && r.epochs >= 1, "train.batch_size and train.epochs must be >= 1");
  need(r.max_steps >= 0, "train.max_steps must be >= 0");
  need(r.lr > 0 && r.weight_decay >= 0, "train.lr must be > 0 and train.weight_decay >= 0");
  need(r.warmup_fraction >= 0 && r.warmup_fraction <= 1, "train.warmup_fraction must be in [0, 1]");
  need(r.min_lr_fraction >= 0 && r.min_lr_fraction <= 1, "train.min_lr_fraction must be in [0, 1]");
  need(r.grad_clip >= 0, "train.grad_clip must be >= 0");
  need(r.grad_accum >= 1, "train.grad_accum must be >= 1");
  need(one_of(r.precision, {"fp32", "bf16", "auto"}), "train.precision must be fp32, bf16 or auto");
  need(r.log_every >= 1 && r.save_every >= 1 && r.keep_last >= 1,
       "train.log_every, train.save_every and train.keep_last must be >= 1");
  need(r.val_every >= 0 && r.diagnose_every >= 0 && r.max_bad_steps >= 1 && r.loader_workers >= 0,
       "train.val_every >= 0, train.diagnose_every >= 0, train.max_bad_steps >= 1, train.loader_workers >= 0");

  if (!p.empty()) {
    std::string msg = "config '" + name + "' is invalid:";
    for (auto& s : p) msg += " " + s + ";";
    msg.pop_back();
    throw ConfigError(msg);
  }
}

std::string Config::to_toml() const {
  Config copy = *this;  // fields_of needs mutable references
  auto fs = fields_of(copy);
  std::string out = "name = " + quote(name) + "\n";
  std::string section;
  for (auto& f : fs) {
    if (section != f.section) {
      section = f.section;
      out += "\n[" + section + "]\n";
    }
    out += std::string(f.key) + " = " + value_text(f.ref) + "\n";
  }
  return out;
}

std::string Config::model_shape_text() const {
  Config copy = *this;
  auto fs = fields_of(copy);
  std::string canon;
  for (auto& f : fs)
    if (f.shape) canon += std::string(f.section) + "." + f.key + "=" + value_text(f.ref) + "\n";
  // The tokenizer's norm placement changes what the weights mean (and "stats" adds a layer):
  // hashed, but only when it differs from the behaviour every older checkpoint has, so those
  // keep their hash and still load.
  if (ecg.tokenizer_norm != "patch") canon += "ecg.tokenizer_norm=" + ecg.tokenizer_norm + "\n";
  canon += "has_ecg_decoder=" + std::to_string(has_ecg_decoder()) + "\n";
  canon += "has_text_reconstruction=" + std::to_string(has_text_reconstruction()) + "\n";
  canon += "has_specific_heads=" + std::to_string(has_specific_heads()) + "\n";
  canon += "has_siglip_params=" + std::to_string(has_siglip_params()) + "\n";
  return canon;
}

std::string Config::model_hash() const { return fnv1a64_hex(model_shape_text()); }

int Config::text_vocab_rows() const {
  if (has_text_reconstruction() && text.reconstruction == "sentinel")
    return text.vocab_size + text.n_sentinels + 1;
  return text.vocab_size;
}

int Config::ecg_keep_per_lead() const {
  const int p = ecg_patches_per_lead();
  const int keep = int(std::floor(p * (1.0 - ecg.mask_ratio) + 1e-6));
  return std::max(1, std::min(p, keep));
}

FreezeSpec FreezeSpec::parse(const std::string& text, const std::string& what) {
  FreezeSpec f;
  if (text == "none") return f;
  if (text == "all") {
    f.kind = Kind::all;
    return f;
  }
  const std::string k = text.rfind("first:", 0) == 0 ? text.substr(6) : "";
  if (k.empty() || k.size() > 6 || k.find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError(what + " must be none, all or first:K (got '" + text + "')");
  f.kind = Kind::first;
  f.layers = std::stoi(k);
  return f;
}

std::string FreezeSpec::text() const {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::all: return "all";
    case Kind::first: return "first:" + std::to_string(layers);
  }
  return "none";
}

}  // namespace cgdmer
