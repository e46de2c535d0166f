#include "nn/modules/recurrent.hpp"

#include <stdexcept>
#include <string>

namespace cosmograd::nn {

namespace {

void check_step(const torch::Tensor& x, const torch::Tensor& h, const ConvRecurrentOptions& o,
                const char* who) {
  if (x.dim() != 5 || x.size(1) != o.input_channels()) {
    throw std::invalid_argument(std::string(who) + ": expected input [N, " +
                                std::to_string(o.input_channels()) + ", D, H, W]");
  }
  if (h.dim() != 5 || h.size(0) != x.size(0) || h.size(1) != o.hidden_channels() ||
      h.size(2) != x.size(2) || h.size(3) != x.size(3) || h.size(4) != x.size(4)) {
    throw std::invalid_argument(std::string(who) + ": expected state [N, " +
                                std::to_string(o.hidden_channels()) +
                                ", D, H, W] matching the input's batch and grid");
  }
}

torch::Tensor zeros_state(const torch::Tensor& x, int64_t channels) {
  return torch::zeros({x.size(0), channels, x.size(2), x.size(3), x.size(4)}, x.options());
}

}  // namespace

ConvGRU3dImpl::ConvGRU3dImpl(const ConvRecurrentOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.input_channels() < 1 || o.hidden_channels() < 1) {
    throw std::invalid_argument("ConvGRU3d: channel counts must be positive");
  }
  const int64_t c = o.input_channels() + o.hidden_channels();
  gates = register_module(
      "gates", PeriodicConv3d(PeriodicConvOptions(c, 2 * o.hidden_channels(), o.kernel_size())));
  candidate = register_module(
      "candidate", PeriodicConv3d(PeriodicConvOptions(c, o.hidden_channels(), o.kernel_size())));
}

torch::Tensor ConvGRU3dImpl::initial_state(const torch::Tensor& x) const {
  return zeros_state(x, options.hidden_channels());
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> ConvGRU3dImpl::forward_with_gates(
    const torch::Tensor& x, const torch::Tensor& h_in) {
  const torch::Tensor h = h_in.defined() ? h_in : initial_state(x);
  check_step(x, h, options, "ConvGRU3d");
  const auto rz = torch::sigmoid(gates->forward(torch::cat({x, h}, 1))).chunk(2, 1);
  const auto& r = rz[0];
  const auto& z = rz[1];
  const auto n = torch::tanh(candidate->forward(torch::cat({x, r * h}, 1)));
  return {(1 - z) * n + z * h, r, z};
}

torch::Tensor ConvGRU3dImpl::forward(const torch::Tensor& x, const torch::Tensor& h) {
  return std::get<0>(forward_with_gates(x, h));
}

ConvLSTM3dImpl::ConvLSTM3dImpl(const ConvRecurrentOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.input_channels() < 1 || o.hidden_channels() < 1) {
    throw std::invalid_argument("ConvLSTM3d: channel counts must be positive");
  }
  const int64_t c = o.input_channels() + o.hidden_channels();
  gates = register_module(
      "gates", PeriodicConv3d(PeriodicConvOptions(c, 4 * o.hidden_channels(), o.kernel_size())));
  torch::NoGradGuard no_grad;
  // Forget-gate bias one (Jozefowicz et al. 2015) so the cell starts by remembering.
  gates->conv->bias.narrow(0, o.hidden_channels(), o.hidden_channels()).fill_(1.0);
}

std::tuple<torch::Tensor, torch::Tensor> ConvLSTM3dImpl::initial_state(
    const torch::Tensor& x) const {
  return {zeros_state(x, options.hidden_channels()), zeros_state(x, options.hidden_channels())};
}

std::tuple<torch::Tensor, torch::Tensor> ConvLSTM3dImpl::forward(
    const torch::Tensor& x, const std::tuple<torch::Tensor, torch::Tensor>& state) {
  const auto& [h, c] = state;
  check_step(x, h, options, "ConvLSTM3d");
  check_step(x, c, options, "ConvLSTM3d");
  const auto g = gates->forward(torch::cat({x, h}, 1)).chunk(4, 1);
  const auto i = torch::sigmoid(g[0]);
  const auto f = torch::sigmoid(g[1]);
  const auto o = torch::sigmoid(g[2]);
  const auto cand = torch::tanh(g[3]);
  auto c_next = f * c + i * cand;
  auto h_next = o * torch::tanh(c_next);
  return {h_next, c_next};
}

std::tuple<torch::Tensor, torch::Tensor> ConvLSTM3dImpl::forward(const torch::Tensor& x) {
  return forward(x, initial_state(x));
}

}  // namespace cosmograd::nn
