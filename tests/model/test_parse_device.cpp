// `--device` for the inference commands (model/model_loading.h parse_device): cpu always; cuda
// and cuda:N only where this LibTorch build and machine have the GPU, otherwise an error that
// says so; anything else refused by name.
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "core/error.h"
#include "model/model_loading.h"

using namespace cgdmer;

namespace {
std::string device_error_of(const std::string& text) {
  try {
    parse_device(text, "--device");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(ParseDevice, CpuAndMalformedNames) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_NE(device_error_of("gpu").find("must be cpu, cuda or cuda:N, not 'gpu'"), std::string::npos);
  EXPECT_NE(device_error_of("cuda:x").find("the GPU index must be a number"), std::string::npos);
  EXPECT_NE(device_error_of("cuda:").find("the GPU index must be a number"), std::string::npos);
}

TEST(ParseDevice, CudaOnlyWhereThereIsOne) {
  if (torch::cuda::is_available()) {
    EXPECT_EQ(parse_device("cuda"), torch::Device(torch::kCUDA, 0));
    EXPECT_NE(device_error_of("cuda:999").find("CUDA device(s)"), std::string::npos);
  } else {  // this CPU build or machine: a clear refusal instead of a crash later
    EXPECT_NE(device_error_of("cuda").find("has no CUDA device"), std::string::npos);
    EXPECT_NE(device_error_of("cuda:1").find("has no CUDA device"), std::string::npos);
  }
}
