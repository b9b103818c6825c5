// A bit-exact fingerprint of a model's parameters and its AdamW state (FNV-1a-64 of each
// tensor's float bytes, and each step count), in the order of the optimizer's parameter
// groups. Written beside the checkpoint compatibility fixture by make_checkpoint_fixture.cpp
// and compared by test_checkpoint_compat.cpp.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/fnv1a.h"
#include "model/compat.h"

namespace cgdmer::testing {

inline std::string tensor_fingerprint(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  return hex64(fnv1a64(c.data_ptr<float>(), std::size_t(c.numel()) * sizeof(float)));
}

inline nlohmann::json adamw_fingerprint(const torch::optim::Optimizer& opt) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& group : opt.param_groups()) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : group.params()) {
      nlohmann::json e{{"param", tensor_fingerprint(p)}, {"shape", p.sizes().vec()}};
      auto it = opt.state().find(optimizer_state_key(p));
      if (it != opt.state().end()) {
        const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        e["step"] = st.step();
        e["exp_avg"] = tensor_fingerprint(st.exp_avg());
        e["exp_avg_sq"] = tensor_fingerprint(st.exp_avg_sq());
      }
      params.push_back(e);
    }
    groups.push_back(params);
  }
  return groups;
}

}  // namespace cgdmer::testing
