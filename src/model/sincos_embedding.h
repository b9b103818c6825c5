// Fixed 1-D sine–cosine position table (MAE's get_1d_sincos_pos_embed_from_grid):
// row n = [sin(n·ω_0..ω_{D/2-1}), cos(n·ω_0..ω_{D/2-1})], ω_i = 10000^(−i/(D/2)).
#pragma once

#include <torch/torch.h>

namespace cgdmer {

// (n, dim) float32; dim must be even.
torch::Tensor sincos_embedding_1d(int64_t n, int64_t dim);

}  // namespace cgdmer
