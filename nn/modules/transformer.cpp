#include "nn/modules/transformer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace cosmograd::nn {

torch::Tensor time_encoding(const torch::Tensor& t, int64_t d, double max_period) {
  const int64_t half = d / 2;
  // frequencies 1 / max_period^(2i/d), i = 0 .. d/2 - 1
  const torch::Tensor i = torch::arange(half, t.options());
  const torch::Tensor freq = torch::exp(-std::log(max_period) * 2.0 * i / static_cast<double>(d));
  const torch::Tensor arg = t.unsqueeze(-1) * freq;  // [B, T, d/2]
  torch::Tensor enc = torch::cat({torch::sin(arg), torch::cos(arg)}, -1);
  if (enc.size(-1) < d)
    enc = torch::nn::functional::pad(enc, torch::nn::functional::PadFuncOptions({0, 1}));
  return enc;
}

SequenceTransformerImpl::SequenceTransformerImpl(const SequenceTransformerOptions& o) : options(o) {
  if (o.in_features() < 1 || o.out_features() < 1 || o.d_model() < 2 || o.heads() < 1 ||
      o.layers() < 1 || o.d_model() % o.heads() != 0) {
    throw std::invalid_argument(
        "SequenceTransformer: d_model = " + std::to_string(o.d_model()) +
        ", heads = " + std::to_string(o.heads()) +
        " (allowed: positive sizes, d_model divisible by heads, d_model >= 2, layers >= 1)");
  }
  input = register_module("input", torch::nn::Linear(o.in_features(), o.d_model()));
  auto layer = torch::nn::TransformerEncoderLayer(
      torch::nn::TransformerEncoderLayerOptions(o.d_model(), o.heads())
          .dim_feedforward(o.feedforward())
          .dropout(o.dropout()));
  encoder = register_module(
      "encoder",
      torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, o.layers())));
  head = register_module("head", torch::nn::Linear(o.d_model(), o.out_features()));
}

torch::Tensor SequenceTransformerImpl::encode(const torch::Tensor& x, const torch::Tensor& t,
                                              const torch::Tensor& padding) {
  if (x.dim() != 3 || x.size(2) != options.in_features()) {
    throw std::invalid_argument("SequenceTransformer: x must be [B, T, " +
                                std::to_string(options.in_features()) + "]");
  }
  const torch::Tensor times =
      t.defined()
          ? t
          : torch::arange(x.size(1), x.options()).unsqueeze(0).expand({x.size(0), x.size(1)});
  torch::Tensor h = input(x) + time_encoding(times, options.d_model(), options.max_period());
  // LibTorch's encoder takes [T, B, d].
  h = encoder->forward(h.transpose(0, 1), /*src_mask=*/torch::Tensor(),
                       padding.defined() ? padding : torch::Tensor());
  return h.transpose(0, 1);
}

torch::Tensor SequenceTransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& t,
                                               const torch::Tensor& padding) {
  const torch::Tensor h = encode(x, t, padding);
  torch::Tensor pooled;
  if (padding.defined()) {
    const torch::Tensor valid = (~padding).to(h.dtype()).unsqueeze(-1);  // [B, T, 1]
    pooled = (h * valid).sum(1) / valid.sum(1).clamp_min(1.0);
  } else {
    pooled = h.mean(1);
  }
  return head(pooled);
}

}  // namespace cosmograd::nn
