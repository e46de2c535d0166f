// Image arrays of the mock sets as LibTorch tensors and the input scaling every vision
// network uses.
#pragma once

#include <torch/types.h>

#include <vector>

namespace cosmograd::surveys {

/// A float32 tensor of `shape` holding a copy of `values` (row-major); throws
/// std::invalid_argument when the sizes differ.
torch::Tensor tensor_from(const std::vector<float>& values, torch::IntArrayRef shape);

/// The networks' input scaling: asinh(image / (soften sigma)), linear (image / (soften sigma))
/// within a few sigma of the background and logarithmic for bright cores (Lupton et al. 1999,
/// AJ 118, 1406). images: [N, C, H, W]; sigma: the background rms per image and channel,
/// [N, C], [C] or a scalar tensor (same units as images); soften > 0.
torch::Tensor asinh_scale(const torch::Tensor& images, const torch::Tensor& sigma,
                          double soften = 3.0);

}  // namespace cosmograd::surveys
