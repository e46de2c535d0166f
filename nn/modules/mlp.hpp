// Fully connected networks.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::nn {

/// Element-wise activation functions.
enum class Activation { identity, relu, leaky_relu, gelu, silu, tanh, softplus };

/// Applies `activation` element-wise to x (any shape, floating dtype); leaky_relu uses slope 0.2.
torch::Tensor activate(const torch::Tensor& x, Activation activation);
/// Parses "identity", "relu", "leaky_relu", "gelu", "silu", "tanh" or "softplus"; throws
/// std::invalid_argument otherwise.
Activation parse_activation(const std::string& name);

/// Options of MLP.
struct MLPOptions {
  /// Input features F_in, output features F_out, hidden layer widths.
  MLPOptions(int64_t in_features, int64_t out_features, std::vector<int64_t> hidden = {64, 64})
      : in_features_(in_features), out_features_(out_features), hidden_(std::move(hidden)) {}
  /// Input features F_in.
  TORCH_ARG(int64_t, in_features);
  /// Output features F_out.
  TORCH_ARG(int64_t, out_features);
  /// Widths of the hidden layers (empty: a single linear map).
  TORCH_ARG(std::vector<int64_t>, hidden);
  /// Activation after every hidden layer.
  TORCH_ARG(Activation, activation) = Activation::gelu;
  /// Activation after the output layer.
  TORCH_ARG(Activation, output_activation) = Activation::identity;
};

/// Multilayer perceptron: [..., F_in] -> [..., F_out] (any leading dims, floating dtype).
class MLPImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument for non-positive widths.
  explicit MLPImpl(const MLPOptions& options);
  /// x: [..., F_in].
  torch::Tensor forward(const torch::Tensor& x);

  /// The options this module was built with.
  MLPOptions options;
  /// The linear layers, hidden.size() + 1 of them.
  torch::nn::ModuleList layers;
};
/// Module holder of MLPImpl.
TORCH_MODULE(MLP);

}  // namespace cosmograd::nn
