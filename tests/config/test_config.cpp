// Config: presets load and validate, --set overrides with type checks, unknown keys and bad
// values are ConfigErrors naming them, to_toml() round-trips, model_hash() tracks shapes only.
#include <gtest/gtest.h>

#include "config/config.h"
#include "core/error.h"
#include "core/fnv1a.h"

namespace cgdmer {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

TEST(Config, AllPresetsLoadAndValidate) {
  for (const char* name : {"paper", "tiny", "variant1", "variant2", "variant3", "variant4"}) {
    SCOPED_TRACE(name);
    Config c = Config::load(name);
    EXPECT_EQ(c.name, name);
    EXPECT_NO_THROW(c.validate());
  }
}

TEST(Config, PaperPresetIsSpecSection1) {
  Config c = Config::load("paper");
  Config d;  // the struct defaults are SPEC §1
  EXPECT_EQ(c.to_toml(), d.to_toml());
  EXPECT_EQ(c.ecg_patches_per_lead(), 100);
  EXPECT_EQ(c.ecg_keep_per_lead(), 25);
  EXPECT_EQ(c.ecg.width, 768);
  EXPECT_EQ(c.ecg.depth, 8);
  EXPECT_EQ(c.text_vocab_rows(), 30522 + 100 + 1);
  EXPECT_DOUBLE_EQ(c.loss.temperature, 0.07);
}

TEST(Config, VariantsSwitchTable3Terms) {
  // Table 3: v1 cons only; v2 + e_rec; v3 + t_rec; v4 + orth; full + SigLIP.
  auto v = [](const char* n) { return Config::load(n).loss; };
  auto l1 = v("variant1"), l2 = v("variant2"), l3 = v("variant3"), l4 = v("variant4");
  EXPECT_GT(l1.lambda_cons, 0);
  EXPECT_EQ(l1.lambda_e_rec + l1.lambda_t_rec + l1.lambda_orth + l1.lambda_siglip, 0);
  EXPECT_GT(l2.lambda_e_rec, 0);
  EXPECT_EQ(l2.lambda_t_rec + l2.lambda_orth + l2.lambda_siglip, 0);
  EXPECT_GT(l3.lambda_t_rec, 0);
  EXPECT_EQ(l3.lambda_orth + l3.lambda_siglip, 0);
  EXPECT_GT(l4.lambda_orth, 0);
  EXPECT_EQ(l4.lambda_siglip, 0);
  EXPECT_EQ(Config::load("variant1").ecg.mask_ratio, 0.0);
  EXPECT_FALSE(Config::load("variant1").has_ecg_decoder());
}

TEST(Config, TinyIsSmall) {
  Config c = Config::load("tiny");
  EXPECT_EQ(c.ecg.n_samples, 1000);
  EXPECT_EQ(c.ecg_patches_per_lead(), 40);
  EXPECT_EQ(c.text.vocab_size, 30522);
  EXPECT_LE(c.ecg.width, 192);
  EXPECT_EQ(c.text.depth, 2);
}

TEST(Config, OverridesAreTypeChecked) {
  Config c = Config::load("tiny", {"ecg.depth=2", "loss.temperature=0.1", "ecg.norm_target=true",
                                   "text.freeze=first:1", "train.seed=7"});
  EXPECT_EQ(c.ecg.depth, 2);
  EXPECT_DOUBLE_EQ(c.loss.temperature, 0.1);
  EXPECT_TRUE(c.ecg.norm_target);
  EXPECT_EQ(c.text.freeze, (FreezeSpec{FreezeSpec::Kind::first, 1}));
  EXPECT_EQ(c.text.freeze.text(), "first:1");
  EXPECT_EQ(c.train.seed, 7u);
  EXPECT_NE(error_of([&] { c.apply_override("ecg.depth=two"); }).find("ecg.depth must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.apply_override("ecg.depth=2.5"); }).find("ecg.depth"), std::string::npos);
  EXPECT_NE(error_of([&] { c.apply_override("ecg.nope=1"); }).find("unknown key ecg.nope"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.apply_override("depth"); }).find("section.key=value"), std::string::npos);
  EXPECT_NE(error_of([&] { c.apply_override("train.seed=-1"); }).find("train.seed"), std::string::npos);
}

TEST(Config, UnknownKeysAreNamed) {
  std::string msg = error_of([] {
    Config::from_toml("[ecg]\nwidth = 64\nwidht = 3\n[bogus]\nx = 1\n", "my.toml");
  });
  EXPECT_NE(msg.find("my.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ecg.widht"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
}

TEST(Config, WrongTypesAndSyntaxAreNamed) {
  std::string msg = error_of([] { Config::from_toml("[ecg]\nwidth = \"wide\"\n", "a.toml"); });
  EXPECT_NE(msg.find("ecg.width (must be an integer)"), std::string::npos) << msg;
  msg = error_of([] { Config::from_toml("[ecg\nwidth = 1\n", "b.toml"); });
  EXPECT_NE(msg.find("b.toml: TOML syntax error at line 1"), std::string::npos) << msg;
  // An integer is accepted for a float field.
  EXPECT_DOUBLE_EQ(Config::from_toml("[loss]\ntemperature = 1\n", "c.toml").loss.temperature, 1.0);
}

TEST(Config, ValidateNamesEveryProblem) {
  Config c;
  c.ecg.patch_size = 33;  // 5000 % 33 != 0
  c.ecg.heads = 7;        // 768 % 7 != 0
  c.text.freeze = {FreezeSpec::Kind::first, 99};  // more layers than text.depth
  std::string msg = error_of([&] { c.validate(); });
  EXPECT_NE(msg.find("multiple of ecg.patch_size"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ecg.heads must divide"), std::string::npos) << msg;
  EXPECT_NE(msg.find("text.freeze"), std::string::npos) << msg;
  // Typed choices are parsed at the edge: a bad value is refused with the valid ones named.
  msg = error_of([] { Config::load("tiny", {"loss.siglip=maybe"}); });
  EXPECT_NE(msg.find("loss.siglip"), std::string::npos) << msg;
  EXPECT_NE(msg.find("learnable or fixed"), std::string::npos) << msg;
  msg = error_of([] { Config::from_toml("[text]\nfreeze = \"first:x\"\n", "f.toml"); });
  EXPECT_NE(msg.find("none, all or first:K"), std::string::npos) << msg;
  EXPECT_EQ(Config::load("tiny", {"loss.siglip=fixed"}).loss.siglip, SiglipMode::fixed);
  Config z;
  z.loss = {0, 0, 0, 0, 0, 0.07, SiglipMode::learnable};
  EXPECT_NE(error_of([&] { z.validate(); }).find("at least one"), std::string::npos);
}

TEST(Config, UnknownPresetAndMissingFile) {
  EXPECT_NE(error_of([] { Config::load("nosuchpreset"); }).find("nosuchpreset"), std::string::npos);
  EXPECT_THROW(Config::load("/nonexistent/dir/x.toml"), IoError);
}

TEST(Config, ToTomlRoundTrips) {
  Config c = Config::load("tiny", {"loss.temperature=0.123456789", "text.hf_weights=/a \"b\"\\c",
                                   "train.lr=3e-4", "ecg.dropout=0.1"});
  Config d = Config::from_toml(c.to_toml(), "roundtrip");
  EXPECT_EQ(c.to_toml(), d.to_toml());
  EXPECT_EQ(d.loss.temperature, 0.123456789);
  EXPECT_EQ(d.text.hf_weights, "/a \"b\"\\c");
  EXPECT_EQ(d.train.lr, 3e-4);
}

TEST(Config, ModelHashTracksShapesOnly) {
  Config a = Config::load("tiny");
  Config b = Config::load("tiny", {"train.lr=1e-3", "ecg.mask_ratio=0.5", "loss.temperature=0.2"});
  EXPECT_EQ(a.model_hash(), b.model_hash());
  Config c = Config::load("tiny", {"ecg.width=64"});
  EXPECT_NE(a.model_hash(), c.model_hash());
  Config d = Config::load("tiny", {"loss.lambda_e_rec=0"});  // no ECG decoder → other shapes
  EXPECT_NE(a.model_hash(), d.model_hash());
  EXPECT_EQ(a.model_hash().size(), 16u);
}

// model_hash() is the real FNV-1a-64 of the shape text. (Checkpoints written before the fix
// carry the mistyped-basis value; the checkpoint reader recomputes the hash of their stored
// config instead: tests/train/test_checkpoint.cpp ModelHashRecomputedFromTheStoredConfig.)
TEST(Config, ModelHashIsFnv1a64OfTheShapeText) {
  const Config tiny = Config::load("tiny");
  EXPECT_EQ(tiny.model_hash(), hex64(fnv1a64(tiny.model_shape_text())));
  EXPECT_EQ(tiny.model_shape_text().rfind("ecg.", 0), 0u) << tiny.model_shape_text();
}

TEST(Config, KeepPerLeadRounding) {
  Config c;
  c.ecg.n_samples = 5000;
  struct Case { int patch; double r; int keep; };
  // P = 100, 200, 50, 25 patches; keep = floor(P·(1 − r) + 1e-6).
  for (auto k : {Case{50, 0.9, 10}, Case{25, 0.75, 50}, Case{100, 0.25, 37}, Case{200, 0.9, 2},
                 Case{50, 0.0, 100}}) {
    c.ecg.patch_size = k.patch;
    c.ecg.mask_ratio = k.r;
    EXPECT_EQ(c.ecg_keep_per_lead(), k.keep) << k.patch << " " << k.r;
  }
}

}  // namespace
}  // namespace cgdmer
