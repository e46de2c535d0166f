// The network of the Recurrent Inference Machine for initial conditions (Putzky & Welling
// 2017; CosmicRIM, Modi et al. 2021): two ConvLSTM cells, one at full and one at
// half resolution, fed the current estimate and the preconditioned gradient of the log
// posterior, returning an update of the estimate. Periodic convolutions throughout.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <utility>

#include "nn/modules/conv.hpp"
#include "nn/modules/recurrent.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::nn {

/// Hidden and cell states of the two ConvLSTM cells; undefined tensors mean zeros.
struct RimState {
  torch::Tensor h_full, c_full;  ///< full resolution, [B, C, n, n, n]
  torch::Tensor h_half, c_half;  ///< half resolution, [B, C, n/2, n/2, n/2]
};

/// The RIM update network.
class RimNetImpl : public torch::nn::Module {
 public:
  /// `channels` hidden channels of each cell (CosmicRIM: 8) and odd kernel edge `kernel`
  /// (CosmicRIM: 5); throws std::invalid_argument for channels < 1 or an even kernel.
  RimNetImpl(int64_t channels, int64_t kernel);
  /// One update: input [B, 2, n, n, n] (estimate, preconditioned gradient; n even) and the
  /// state -> (update of the estimate [B, 1, n, n, n], the next state).
  std::pair<torch::Tensor, RimState> forward(const torch::Tensor& input, const RimState& state);
  /// Number of trainable parameters.
  int64_t num_parameters() const;
  /// Header keys that rebuild this architecture: model = rim, rim_channels, rim_kernel.
  ModelHeader header() const;

  int64_t channels;  ///< hidden channels of each cell
  int64_t kernel;    ///< kernel edge of the convolutions
  PeriodicConv3d encode{nullptr}, down{nullptr}, decode{nullptr}, out{nullptr};
  ConvLSTM3d full{nullptr}, half{nullptr};
};
/// Module holder of RimNetImpl.
TORCH_MODULE(RimNet);

/// The network of a header written by save_model with RimNetImpl::header() keys.
RimNet build_rim(const ModelHeader& header);
/// Loads a RIM model file (model = rim); throws std::runtime_error naming the file otherwise.
RimNet load_rim(const std::string& path, ModelHeader* header = nullptr);

}  // namespace cosmograd::nn
