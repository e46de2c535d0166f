// Convolutional recurrent cells with periodic padding (ConvLSTM: Shi et al. 2015;
// ConvGRU: Ballas et al. 2016), for time-stepping fields on a periodic box.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <tuple>

#include "nn/modules/conv.hpp"

namespace cosmograd::nn {

/// Options of ConvGRU3d and ConvLSTM3d.
struct ConvRecurrentOptions {
  /// Input channels C_in and hidden channels C_h.
  ConvRecurrentOptions(int64_t input_channels, int64_t hidden_channels)
      : input_channels_(input_channels), hidden_channels_(hidden_channels) {}
  /// Input channels C_in.
  TORCH_ARG(int64_t, input_channels);
  /// Hidden (and cell) state channels C_h.
  TORCH_ARG(int64_t, hidden_channels);
  /// Odd kernel edge of the gate convolutions.
  TORCH_ARG(int64_t, kernel_size) = 3;
};

/// Convolutional GRU cell (Ballas et al. 2016, eq. 5) with periodic convolutions:
/// r = sigmoid(W_r * [x, h]), z = sigmoid(W_z * [x, h]), n = tanh(W_n * [x, r h]),
/// h' = (1 - z) n + z h. x: [N, C_in, D, H, W], h and h': [N, C_h, D, H, W].
class ConvGRU3dImpl : public torch::nn::Module {
 public:
  /// Builds the cell.
  explicit ConvGRU3dImpl(const ConvRecurrentOptions& options);
  /// One step: returns h' [N, C_h, D, H, W]; an undefined h means zeros.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& h = {});
  /// One step returning (h', r, z); r and z are [N, C_h, D, H, W] in (0, 1).
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward_with_gates(
      const torch::Tensor& x, const torch::Tensor& h = {});
  /// Zero hidden state [N, C_h, D, H, W] matching x's batch, grid, dtype and device.
  torch::Tensor initial_state(const torch::Tensor& x) const;

  /// The options this module was built with.
  ConvRecurrentOptions options;
  /// Reset and update gates: [C_in + C_h] -> [2 C_h].
  PeriodicConv3d gates{nullptr};
  /// Candidate state: [C_in + C_h] -> [C_h].
  PeriodicConv3d candidate{nullptr};
};
/// Module holder of ConvGRU3dImpl.
TORCH_MODULE(ConvGRU3d);

/// Convolutional LSTM cell (Shi et al. 2015, eq. 3, without peepholes) with periodic
/// convolutions: (i, f, o, g) from W * [x, h]; c' = f c + i g; h' = o tanh(c').
/// x: [N, C_in, D, H, W]; state (h, c): both [N, C_h, D, H, W].
class ConvLSTM3dImpl : public torch::nn::Module {
 public:
  /// Builds the cell (forget-gate bias initialised to one).
  explicit ConvLSTM3dImpl(const ConvRecurrentOptions& options);
  /// One step: returns (h', c'), each [N, C_h, D, H, W].
  std::tuple<torch::Tensor, torch::Tensor> forward(
      const torch::Tensor& x, const std::tuple<torch::Tensor, torch::Tensor>& state);
  /// One step from the zero state.
  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);
  /// Zero state (h, c), each [N, C_h, D, H, W] matching x's batch, grid, dtype and device.
  std::tuple<torch::Tensor, torch::Tensor> initial_state(const torch::Tensor& x) const;

  /// The options this module was built with.
  ConvRecurrentOptions options;
  /// Input, forget, output and candidate gates: [C_in + C_h] -> [4 C_h].
  PeriodicConv3d gates{nullptr};
};
/// Module holder of ConvLSTM3dImpl.
TORCH_MODULE(ConvLSTM3d);

}  // namespace cosmograd::nn
