// A small Transformer encoder for sequences (e.g. light curves), built on LibTorch's
// TransformerEncoder (Vaswani et al. 2017) with sinusoidal time encodings.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/transformercoder.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace cosmograd::nn {

/// Options of SequenceTransformer.
struct SequenceTransformerOptions {
  /// Features per time step F_in and output features F_out of the pooled head.
  SequenceTransformerOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Features per time step F_in (e.g. flux, error, band).
  TORCH_ARG(int64_t, in_features);
  /// Output features F_out.
  TORCH_ARG(int64_t, out_features);
  /// Model width d (divisible by heads).
  TORCH_ARG(int64_t, d_model) = 64;
  /// Attention heads.
  TORCH_ARG(int64_t, heads) = 4;
  /// Encoder layers.
  TORCH_ARG(int64_t, layers) = 2;
  /// Width of each layer's feed-forward block.
  TORCH_ARG(int64_t, feedforward) = 128;
  /// Dropout in the encoder layers (0: deterministic).
  TORCH_ARG(double, dropout) = 0.0;
  /// Longest time scale of the sinusoidal encoding [same unit as the times].
  TORCH_ARG(double, max_period) = 1000.0;
};

/// Encodes irregularly sampled sequences: x [B, T, F_in] observed at times t [B, T] (any
/// unit; undefined t: 0, 1, 2, ...) -> per-step features [B, T, d] (encode) or a pooled
/// prediction [B, F_out] (forward, masked mean over the valid steps). `padding` [B, T]
/// (bool, true = padded step) may be undefined.
class SequenceTransformerImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument when d_model % heads != 0.
  explicit SequenceTransformerImpl(const SequenceTransformerOptions& options);
  /// Per-step encodings [B, T, d].
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& t = {},
                       const torch::Tensor& padding = {});
  /// Pooled prediction [B, F_out].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t = {},
                        const torch::Tensor& padding = {});

  /// The options this module was built with.
  SequenceTransformerOptions options;
  /// Input projection F_in -> d.
  torch::nn::Linear input{nullptr};
  /// The encoder stack.
  torch::nn::TransformerEncoder encoder{nullptr};
  /// Output head d -> F_out.
  torch::nn::Linear head{nullptr};
};
/// Module holder of SequenceTransformerImpl.
TORCH_MODULE(SequenceTransformer);

/// Sinusoidal encoding of times t [B, T] into [B, T, d] (Vaswani et al. 2017, §3.5, with
/// continuous times): sin / cos of t / max_period^(2i/d).
torch::Tensor time_encoding(const torch::Tensor& t, int64_t d, double max_period);

}  // namespace cosmograd::nn
