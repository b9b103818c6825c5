// AdamW state in checkpoints by position and on the CPU (see adamw_state_archive.h).
#include "model/adamw_state_archive.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "model/compat.h"

namespace cgdmer {
namespace {

std::string slot(std::size_t g, std::size_t i) {
  return "adamw/g" + std::to_string(g) + "/p" + std::to_string(i) + "/";
}

std::int64_t read_int(torch::serialize::InputArchive& ar, const std::string& key,
                      const std::string& path) {
  c10::IValue v;
  if (!ar.try_read(key, v) || !v.isInt())
    throw FormatError(path, "optimizer state has no integer '" + key + "'");
  return v.toInt();
}

// Moment tensor t (saved as `key`) of parameter p, on the CPU, checked against p's shape.
torch::Tensor checked_moment(const torch::Tensor& t, const std::string& key, const torch::Tensor& p,
                             const std::string& path) {
  if (t.sizes() != p.sizes())
    throw FormatError(path, "optimizer state '" + key + "' has shape " +
                                c10::str(t.sizes()) + ", its parameter has " +
                                c10::str(p.sizes()));
  return t.to(torch::kCPU, torch::kFloat);
}

// The moment tensor `key` of parameter p: checked_moment of what the archive holds.
torch::Tensor read_moment(torch::serialize::InputArchive& ar, const std::string& key,
                          const torch::Tensor& p, const std::string& path) {
  torch::Tensor t;
  if (!ar.try_read(key, t, /*is_buffer=*/true))
    throw FormatError(path, "optimizer state has no tensor '" + key + "'");
  return checked_moment(t, key, p, path);
}

void check_group_sizes(const torch::optim::Optimizer& opt,
                       const std::vector<std::int64_t>& saved, const std::string& path) {
  const auto& groups = opt.param_groups();
  if (saved.size() != groups.size())
    throw FormatError(path, "optimizer state has " + std::to_string(saved.size()) +
                                " parameter groups, this model's optimizer has " +
                                std::to_string(groups.size()));
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (saved[g] != std::int64_t(groups[g].params().size()))
      throw FormatError(path, "optimizer state's parameter group " + std::to_string(g) +
                                  " has " + std::to_string(saved[g]) +
                                  " parameters, this model's has " +
                                  std::to_string(groups[g].params().size()));
}

void put_state(torch::optim::Optimizer& opt, const torch::Tensor& p,
               std::unique_ptr<torch::optim::AdamWParamState> st) {
  opt.state()[optimizer_state_key(p)] = std::move(st);
}

}  // namespace

void write_adamw_state(torch::serialize::OutputArchive& ar, const torch::optim::Optimizer& opt) {
  const auto& groups = opt.param_groups();
  const auto& state = opt.state();
  ar.write("adamw/groups", c10::IValue(std::int64_t(groups.size())));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& params = groups[g].params();
    ar.write("adamw/g" + std::to_string(g) + "/size", c10::IValue(std::int64_t(params.size())));
    for (std::size_t i = 0; i < params.size(); ++i) {
      auto it = state.find(optimizer_state_key(params[i]));
      if (it == state.end()) continue;  // never stepped
      const auto* st = dynamic_cast<const torch::optim::AdamWParamState*>(it->second.get());
      if (!st) throw std::invalid_argument("write_adamw_state: optimizer is not AdamW");
      const std::string k = slot(g, i);
      ar.write(k + "step", c10::IValue(st->step()));
      ar.write(k + "exp_avg", st->exp_avg().detach().to(torch::kCPU), true);
      ar.write(k + "exp_avg_sq", st->exp_avg_sq().detach().to(torch::kCPU), true);
      if (st->max_exp_avg_sq().defined())
        ar.write(k + "max_exp_avg_sq", st->max_exp_avg_sq().detach().to(torch::kCPU), true);
    }
  }
}

void read_adamw_state(torch::serialize::InputArchive& ar, torch::optim::Optimizer& opt,
                      const std::string& path) {
  const std::int64_t n_groups = read_int(ar, "adamw/groups", path);
  std::vector<std::int64_t> sizes;
  for (std::int64_t g = 0; g < n_groups; ++g)
    sizes.push_back(read_int(ar, "adamw/g" + std::to_string(g) + "/size", path));
  check_group_sizes(opt, sizes, path);
  opt.state().clear();
  for (std::size_t g = 0; g < sizes.size(); ++g) {
    const auto params = opt.param_groups()[g].params();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const std::string k = slot(g, i);
      c10::IValue step;
      if (!ar.try_read(k + "step", step)) continue;  // never stepped when saved
      if (!step.isInt()) throw FormatError(path, "optimizer state '" + k + "step' is not an integer");
      auto st = std::make_unique<torch::optim::AdamWParamState>();
      st->step(step.toInt());
      st->exp_avg(read_moment(ar, k + "exp_avg", params[i], path));
      st->exp_avg_sq(read_moment(ar, k + "exp_avg_sq", params[i], path));
      torch::Tensor mx;
      if (ar.try_read(k + "max_exp_avg_sq", mx, true))  // amsgrad only
        st->max_exp_avg_sq(checked_moment(mx, k + "max_exp_avg_sq", params[i], path));
      put_state(opt, params[i], std::move(st));
    }
  }
}

void read_torch_adamw_state(torch::serialize::InputArchive& ar, torch::optim::Optimizer& opt,
                            const std::string& path) {
  // Layout of torch/optim/serialize.h (LibTorch 1.5 – 2.x): "state/<key>" per parameter,
  // "param_groups/<g>" holding "params/<i>" = that parameter's key.
  torch::serialize::InputArchive state_ar, groups_ar;
  if (!ar.try_read("state", state_ar) || !ar.try_read("param_groups", groups_ar))
    throw FormatError(path, "torch optimizer state has no 'state' or 'param_groups'");
  torch::Tensor n_groups_t;
  if (!groups_ar.try_read("param_groups/size", n_groups_t))
    throw FormatError(path, "torch optimizer state has no 'param_groups/size'");
  std::vector<std::vector<std::string>> keys(n_groups_t.item<std::int64_t>());
  std::vector<std::int64_t> sizes;
  for (std::size_t g = 0; g < keys.size(); ++g) {
    torch::serialize::InputArchive group_ar;
    if (!groups_ar.try_read("param_groups/" + std::to_string(g), group_ar))
      throw FormatError(path, "torch optimizer state has no parameter group " + std::to_string(g));
    torch::Tensor n_t;
    if (!group_ar.try_read("params/size", n_t))
      throw FormatError(path, "torch optimizer state's group " + std::to_string(g) + " has no size");
    for (std::int64_t i = 0; i < n_t.item<std::int64_t>(); ++i) {
      c10::IValue k;
      if (!group_ar.try_read("params/" + std::to_string(i), k) || !k.isString())
        throw FormatError(path, "torch optimizer state's group " + std::to_string(g) +
                                    " has no key for parameter " + std::to_string(i));
      keys[g].push_back(k.toStringRef());
    }
    sizes.push_back(std::int64_t(keys[g].size()));
  }
  check_group_sizes(opt, sizes, path);
  const auto saved = state_ar.keys();
  opt.state().clear();
  for (std::size_t g = 0; g < keys.size(); ++g) {
    const auto params = opt.param_groups()[g].params();
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (std::find(saved.begin(), saved.end(), keys[g][i]) == saved.end()) continue;
      torch::serialize::InputArchive param_ar;
      state_ar.read(keys[g][i], param_ar);
      auto st = std::make_unique<torch::optim::AdamWParamState>();
      st->serialize(param_ar);  // torch's own reader of "step", "exp_avg", ...
      for (auto* t : {&st->exp_avg(), &st->exp_avg_sq()})
        if (t->sizes() != params[i].sizes())
          throw FormatError(path, "torch optimizer state of group " + std::to_string(g) +
                                      " parameter " + std::to_string(i) + " has shape " +
                                      c10::str(t->sizes()) + ", the parameter has " +
                                      c10::str(params[i].sizes()));
      put_state(opt, params[i], std::move(st));
    }
  }
}

}  // namespace cgdmer
