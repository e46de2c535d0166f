#include "nn/modules/mlp.hpp"

#include <torch/nn/modules/linear.h>

#include <stdexcept>

namespace cosmograd::nn {

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::identity:
      return x;
    case Activation::relu:
      return torch::relu(x);
    case Activation::leaky_relu:
      return torch::leaky_relu(x, 0.2);
    case Activation::gelu:
      return torch::gelu(x);
    case Activation::silu:
      return torch::silu(x);
    case Activation::tanh:
      return torch::tanh(x);
    case Activation::softplus:
      return torch::softplus(x);
  }
  throw std::invalid_argument("activate: unknown activation");
}

Activation parse_activation(const std::string& name) {
  if (name == "identity") return Activation::identity;
  if (name == "relu") return Activation::relu;
  if (name == "leaky_relu") return Activation::leaky_relu;
  if (name == "gelu") return Activation::gelu;
  if (name == "silu") return Activation::silu;
  if (name == "tanh") return Activation::tanh;
  if (name == "softplus") return Activation::softplus;
  throw std::invalid_argument("unknown activation '" + name +
                              "'; use identity, relu, leaky_relu, gelu, silu, tanh or softplus");
}

MLPImpl::MLPImpl(const MLPOptions& options_) : options(options_) {
  int64_t in = options.in_features();
  std::vector<int64_t> widths = options.hidden();
  widths.push_back(options.out_features());
  for (const int64_t w : widths) {
    if (in < 1 || w < 1) throw std::invalid_argument("MLP: all widths must be positive");
    layers->push_back(torch::nn::Linear(in, w));
    in = w;
  }
  register_module("layers", layers);
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != options.in_features()) {
    throw std::invalid_argument("MLP: expected input [..., " +
                                std::to_string(options.in_features()) + "]");
  }
  torch::Tensor h = x;
  const size_t n = layers->size();
  for (size_t i = 0; i < n; ++i) {
    h = layers->ptr<torch::nn::LinearImpl>(i)->forward(h);
    h = activate(h, i + 1 < n ? options.activation() : options.output_activation());
  }
  return h;
}

}  // namespace cosmograd::nn
