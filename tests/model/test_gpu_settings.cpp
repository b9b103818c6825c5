// GPU settings that every build carries (model/gpu.h, model/precision.h): the TF32 switch reads
// back what was set, `precision = "auto"` picks bf16 on a CUDA device only when its compute
// capability is 8.0 or more (on a machine without a GPU: never), and train.tf32 parses.
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "config/config.h"
#include "model/gpu.h"
#include "model/precision.h"

using namespace cgdmer;

TEST(GpuSettings, Tf32SwitchReadsBack) {
  const bool before = tf32_enabled();
  set_tf32(true);
  EXPECT_TRUE(tf32_enabled());
  set_tf32(false);
  EXPECT_FALSE(tf32_enabled());
  set_tf32(before);
}

TEST(GpuSettings, Tf32IsAConfigKeyOffByDefault) {
  EXPECT_FALSE(Config::load("paper").train.tf32);
  EXPECT_FALSE(Config::load("tiny").train.tf32);
  EXPECT_TRUE(Config::load("tiny", {"train.tf32=true"}).train.tf32);
  EXPECT_NE(Config::load("paper", {"train.tf32=true"}).to_toml().find("tf32 = true"),
            std::string::npos);
}

TEST(GpuSettings, AutoPrecisionOnCudaFollowsComputeCapability) {
  const c10::Device cuda(c10::kCUDA, 0);
  EXPECT_EQ(resolve_precision(Precision::fp32, cuda), Precision::fp32);
  EXPECT_EQ(resolve_precision(Precision::bf16, cuda), Precision::bf16);
  if (!torch::cuda::is_available()) {
    // No GPU (or a CPU-only LibTorch): nothing to ask, and auto must not claim bf16.
    EXPECT_FALSE(cuda_device_has_bf16(cuda));
    EXPECT_EQ(cuda_device_description(cuda), "");
    EXPECT_EQ(cuda_peak_allocated_bytes(cuda), 0);
  }
  // With a GPU: whatever this device says, auto follows it (gpu_check.sh runs this on one).
  EXPECT_EQ(resolve_precision(Precision::automatic, cuda),
            cuda_device_has_bf16(cuda) ? Precision::bf16 : Precision::fp32);
  EXPECT_FALSE(cuda_device_has_bf16(c10::Device(c10::kCPU)));
}
