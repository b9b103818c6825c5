// Tests for model/weights.h: torch tensors ↔ safetensors (all dtypes, exact), module save →
// load by name, and strict loading errors that name the missing / unexpected / mis-shaped key.
#include <filesystem>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "model/weights.h"
#include "scratch_dir.h"

namespace fs = std::filesystem;
using namespace cgdmer;

namespace {

std::string scratch_file(const std::string& name) { return cgdmer::testing::scratch_path(name); }

struct TinyImpl : torch::nn::Module {
  TinyImpl(int in = 3, int out = 2) {
    fc = register_module("fc", torch::nn::Linear(in, out));
    ln = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({out})));
    steps = register_buffer("steps", torch::tensor({7}, torch::kInt64));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::LayerNorm ln{nullptr};
  torch::Tensor steps;
};
TORCH_MODULE(Tiny);

std::string load_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Weights, TensorRoundTripAllDTypes) {
  torch::manual_seed(0);
  std::map<std::string, torch::Tensor> in{
      {"f64", torch::randn({2, 3}, torch::kFloat64)},
      {"f32", torch::randn({4}, torch::kFloat32)},
      {"f16", torch::randn({3, 1}).to(torch::kFloat16)},
      {"bf16", torch::randn({5}).to(torch::kBFloat16)},
      {"i64", torch::arange(-3, 3, torch::kInt64)},
      {"i32", torch::arange(6, torch::kInt32).reshape({2, 3})},
      {"u8", torch::arange(4, torch::kUInt8)},
      {"b", torch::tensor({true, false})},
      {"nc", torch::randn({3, 4}).t()},  // non-contiguous source
      {"scalar", torch::tensor(3.5)},
  };
  const auto path = scratch_file("all.safetensors");
  save_safetensors(path, in);
  auto out = load_safetensors(path);
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [k, t] : in) {
    ASSERT_TRUE(out.count(k)) << k;
    EXPECT_EQ(out[k].scalar_type(), t.scalar_type()) << k;
    EXPECT_EQ(out[k].sizes(), t.sizes()) << k;
    EXPECT_TRUE(torch::equal(out[k], t)) << k;
  }
  EXPECT_EQ(SafetensorsFile::open(path).metadata().at("format"), "pt");
}

TEST(Weights, ModuleSaveLoadByName) {
  torch::manual_seed(1);
  Tiny a, b;
  {
    torch::NoGradGuard ng;
    a->steps.fill_(11);
  }
  const auto path = scratch_file("tiny.safetensors");
  save_module(*a, path);
  auto names = load_safetensors(path);
  EXPECT_EQ(names.size(), 5u);  // fc.weight fc.bias ln.weight ln.bias steps
  EXPECT_TRUE(names.count("fc.weight") && names.count("ln.bias") && names.count("steps"));
  EXPECT_FALSE(torch::equal(a->fc->weight, b->fc->weight));
  auto rep = load_module(*b, path);
  EXPECT_EQ(rep.loaded.size(), 5u);
  EXPECT_TRUE(torch::equal(a->fc->weight, b->fc->weight));
  EXPECT_TRUE(torch::equal(a->ln->bias, b->ln->bias));
  EXPECT_EQ(b->steps.item<int64_t>(), 11);
  // Prefixed save → prefixed load.
  save_module(*a, path, "text_encoder.");
  Tiny c;
  LoadStateOptions prefixed;
  prefixed.prefix = "text_encoder.";
  load_module(*c, path, prefixed);
  EXPECT_TRUE(torch::equal(a->fc->bias, c->fc->bias));
}

TEST(Weights, StrictLoadNamesTheProblem) {
  Tiny a(3, 2), wide(4, 2);
  const auto path = scratch_file("strict.safetensors");
  save_module(*wide, path);
  auto before = a->fc->weight.clone();
  auto msg = load_error_of([&] { load_module(*a, path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("fc.weight (file [2, 4], model [2, 3])"), std::string::npos) << msg;
  EXPECT_TRUE(torch::equal(before, a->fc->weight)) << "a refused file must not modify the model";

  auto st = module_state(*a);
  st.erase("ln.weight");
  st["extra.thing"] = torch::zeros({1});
  msg = load_error_of([&] { load_state(*a, st, "mem"); });
  EXPECT_NE(msg.find("missing tensors: ln.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected tensors: extra.thing"), std::string::npos) << msg;

  LoadStateOptions lenient;
  lenient.allow_missing = lenient.allow_unexpected = true;
  auto rep = load_state(*a, st, "mem", lenient);
  EXPECT_EQ(rep.missing, std::vector<std::string>{"ln.weight"});
  EXPECT_EQ(rep.unexpected, std::vector<std::string>{"extra.thing"});
  LoadStateOptions ign;
  ign.allow_missing = true;
  ign.ignore = {"extra.thing"};
  EXPECT_NO_THROW(load_state(*a, st, "mem", ign));

  // Integer into a float parameter is refused; f16 → f32 is converted.
  st = module_state(*a);
  st["fc.bias"] = torch::zeros({2}, torch::kInt64);
  msg = load_error_of([&] { load_state(*a, st, "mem"); });
  EXPECT_NE(msg.find("fc.bias (file dtype Long"), std::string::npos) << msg;
  st["fc.bias"] = torch::full({2}, 0.5, torch::kFloat16);
  load_state(*a, st, "mem");
  EXPECT_TRUE(torch::allclose(a->fc->bias, torch::full({2}, 0.5)));
}
