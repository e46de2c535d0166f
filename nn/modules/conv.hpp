// Convolutions with periodic (circular) boundary conditions, for fields on a periodic box.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace cosmograd::nn {

/// Pads the last `spatial_dims` dimensions of `x` by `pad` cells on each side with periodic
/// wrap; x is [N, C, *spatial] (any floating dtype), each padded size must be >= `pad`.
torch::Tensor periodic_pad(const torch::Tensor& x, int64_t pad, int64_t spatial_dims);

/// Options of PeriodicConv2d and PeriodicConv3d.
struct PeriodicConvOptions {
  /// Channel counts in and out; kernel_size must be odd (the kernel is centred on each cell).
  PeriodicConvOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size = 3)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  /// Input channels C_in.
  TORCH_ARG(int64_t, in_channels);
  /// Output channels C_out.
  TORCH_ARG(int64_t, out_channels);
  /// Cubic (square) kernel edge in cells; odd.
  TORCH_ARG(int64_t, kernel_size);
  /// 1 (same size) or 2 (downsampling by 2; every spatial size must then be even).
  TORCH_ARG(int64_t, stride) = 1;
  /// Whether to add a learned per-channel bias.
  TORCH_ARG(bool, bias) = true;
};

/// 3D convolution with periodic padding: [N, C_in, D, H, W] -> [N, C_out, D/s, H/s, W/s];
/// commutes with periodic shifts by multiples of the stride s.
class PeriodicConv3dImpl : public torch::nn::Module {
 public:
  /// Builds the convolution; throws std::invalid_argument for an even kernel or stride not 1, 2.
  explicit PeriodicConv3dImpl(const PeriodicConvOptions& options);
  /// x: [N, C_in, D, H, W] floating (any device, dtype of the parameters).
  torch::Tensor forward(const torch::Tensor& x);
  /// Re-initialises weight and bias (LibTorch's default Conv3d initialisation).
  void reset_parameters();

  /// The options this module was built with.
  PeriodicConvOptions options;
  /// The wrapped unpadded convolution: weight [C_out, C_in, k, k, k], bias [C_out].
  torch::nn::Conv3d conv{nullptr};
};
/// Module holder of PeriodicConv3dImpl.
TORCH_MODULE(PeriodicConv3d);

/// 2D convolution with periodic padding: [N, C_in, H, W] -> [N, C_out, H/s, W/s].
class PeriodicConv2dImpl : public torch::nn::Module {
 public:
  /// Builds the convolution; throws std::invalid_argument for an even kernel or stride not 1, 2.
  explicit PeriodicConv2dImpl(const PeriodicConvOptions& options);
  /// x: [N, C_in, H, W] floating.
  torch::Tensor forward(const torch::Tensor& x);
  /// Re-initialises weight and bias (LibTorch's default Conv2d initialisation).
  void reset_parameters();

  /// The options this module was built with.
  PeriodicConvOptions options;
  /// The wrapped unpadded convolution: weight [C_out, C_in, k, k], bias [C_out].
  torch::nn::Conv2d conv{nullptr};
};
/// Module holder of PeriodicConv2dImpl.
TORCH_MODULE(PeriodicConv2d);

/// Options of StyleConv3d.
struct StyleConv3dOptions {
  /// Channel counts, odd kernel edge and style-vector length S.
  StyleConv3dOptions(int64_t in_channels, int64_t out_channels, int64_t style_size,
                     int64_t kernel_size = 3)
      : in_channels_(in_channels),
        out_channels_(out_channels),
        style_size_(style_size),
        kernel_size_(kernel_size) {}
  /// Input channels C_in.
  TORCH_ARG(int64_t, in_channels);
  /// Output channels C_out.
  TORCH_ARG(int64_t, out_channels);
  /// Length S of the conditioning (style) vector, e.g. cosmological parameters.
  TORCH_ARG(int64_t, style_size);
  /// Cubic kernel edge in cells; odd.
  TORCH_ARG(int64_t, kernel_size);
  /// Whether to demodulate (normalise each sample's weight per output channel to unit L2 norm).
  TORCH_ARG(bool, demodulate) = true;
  /// Whether to add a learned per-channel bias after the convolution.
  TORCH_ARG(bool, bias) = true;
  /// Added to the squared weight norm before demodulation (avoids division by zero).
  TORCH_ARG(double, eps) = 1e-8;
};

/// Style-modulated 3D convolution with periodic padding (StyleGAN2, Karras et al. 2020, eqs. 1-3;
/// map2map, Jamieson et al. 2022): per sample n, w'_{oikkk} = w_{oikkk} s_{ni} with
/// s_n = affine(style_n), then w'' = w' / sqrt(sum_{ikkk} w'^2 + eps).
/// [N, C_in, D, H, W] x [N, S] -> [N, C_out, D, H, W]. A zero style gives s = 1 at
/// initialisation (the affine bias starts at one), i.e. a plain conv with demodulated weight.
class StyleConv3dImpl : public torch::nn::Module {
 public:
  /// Builds the module; throws std::invalid_argument for an even kernel or non-positive sizes.
  explicit StyleConv3dImpl(const StyleConv3dOptions& options);
  /// x: [N, C_in, D, H, W], style: [N, S], same floating dtype and device.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style);
  /// The per-sample modulated (and, if enabled, demodulated) weight [N, C_out, C_in, k, k, k].
  torch::Tensor modulated_weight(const torch::Tensor& style);
  /// Re-initialises all parameters (Kaiming-uniform weight, affine bias one, conv bias zero).
  void reset_parameters();

  /// The options this module was built with.
  StyleConv3dOptions options;
  /// Shared base weight [C_out, C_in, k, k, k].
  torch::Tensor weight;
  /// Per-channel bias [C_out] (undefined when options.bias() is false).
  torch::Tensor bias;
  /// Affine map from the style [N, S] to the per-input-channel scales [N, C_in].
  torch::nn::Linear affine{nullptr};
};
/// Module holder of StyleConv3dImpl.
TORCH_MODULE(StyleConv3d);

}  // namespace cosmograd::nn
