// Neural posterior estimation of cosmological parameters (Papamakarios & Murray 2016; Greenberg
// et al. 2019; sbi): an ensemble of conditional normalising flows q(theta | s) on summaries s,
// weighted by their validation log-probability (ltu-ili), optionally behind a 3D CNN compressor
// of the density field (Jeffrey, Alsing & Lanusse 2021). theta lives in a prior box; the flows
// model u = logit((theta - lo) / (hi - lo)), so every sample lies inside the prior.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "nn/modules/conv.hpp"
#include "nn/modules/flows.hpp"
#include "nn/modules/mlp.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::nn {

/// A periodic 3D CNN from a density field [B, 1, n, n, n] to `outputs` summaries: four
/// (periodic 3^3 convolution, GELU) blocks with average pooling by 2 after the first three,
/// global averaging, then a two-layer MLP. The input is log(1 + delta + 0.05), standardised by
/// two scalar buffers set from the training fields.
class FieldCompressorImpl : public torch::nn::Module {
 public:
  /// `channels` in the first block (doubling, at most 4x), `outputs` summaries; n % 8 == 0.
  FieldCompressorImpl(int64_t channels, int64_t outputs);
  /// delta [B, 1, n, n, n] -> summaries [B, outputs].
  torch::Tensor forward(const torch::Tensor& delta);
  /// The input transform log(1 + delta + 0.05) before standardisation.
  static torch::Tensor transform(const torch::Tensor& delta);

  torch::Tensor input_mean, input_std;  ///< buffers: standardisation of transform(delta)
  std::vector<PeriodicConv3d> convs;    ///< the four convolutions
  MLP head{nullptr};                    ///< channels -> 64 -> outputs
};
/// Module holder of FieldCompressorImpl.
TORCH_MODULE(FieldCompressor);

/// Architecture of an NpeNet (its model-file header keys, prefix npe_).
struct NpeConfig {
  std::vector<std::string> parameters;  ///< names of theta's components (npe_parameters)
  std::vector<double> lo, hi;           ///< the prior box (npe_lo, npe_hi)
  std::string summary = "power";        ///< density, power or power_bispectrum (npe_summary)
  int64_t summary_dim = 0;  ///< length of a summary vector (vector summaries; npe_summary_dim)
  int64_t field_mesh = 0;   ///< cells per side of the density field (density; npe_field_mesh)
  double k_max = 0;         ///< summaries use k <= k_max [h/Mpc] (0: all; npe_k_max)
  int64_t compressor_channels = 8;  ///< first-block channels (npe_compressor_channels)
  int64_t compressed = 0;           ///< compressor outputs (0: theta's dimension)
  std::string flow = "nsf";         ///< nsf (rational-quadratic spline) or maf (npe_flow)
  int64_t flow_layers = 4;          ///< flow layers (npe_flow_layers)
  int64_t flow_hidden = 64;         ///< hidden width of each conditioner (npe_flow_hidden)
  int64_t members = 4;              ///< ensemble members (npe_members)
};

/// The NPE network: standardisation (or the compressor), the ensemble of flows and its weights.
class NpeNetImpl : public torch::nn::Module {
 public:
  /// Builds the modules of `config`; throws std::invalid_argument naming a bad field.
  explicit NpeNetImpl(NpeConfig config);
  /// The flows' context of observations: standardised summaries [B, d] or fields [B, 1, n, n,
  /// n] through the compressor -> [B, C].
  torch::Tensor context(const torch::Tensor& x);
  /// log q_k(theta | context) of member k, theta [B, p] inside the box -> [B] (Jacobian of the
  /// logit included).
  torch::Tensor member_log_prob(int64_t k, const torch::Tensor& theta, const torch::Tensor& ctx);
  /// log sum_k w_k q_k(theta | context) -> [B].
  torch::Tensor log_prob(const torch::Tensor& theta, const torch::Tensor& ctx);
  /// n samples [n, p] of the ensemble for one observation's context [1, C] (members drawn by
  /// weight with torch's default generator).
  torch::Tensor sample(int64_t n, const torch::Tensor& ctx);
  /// theta [B, p] -> u = logit((theta - lo) / (hi - lo)) and log|du/dtheta| [B].
  std::pair<torch::Tensor, torch::Tensor> to_unbounded(const torch::Tensor& theta) const;
  /// Header keys that rebuild this architecture (model = npe).
  ModelHeader header() const;
  /// The architecture.
  const NpeConfig& config() const { return config_; }
  /// The member flows' parameters only (training a member leaves the others alone).
  std::vector<torch::Tensor> member_parameters(int64_t k);

  torch::Tensor summary_mean, summary_std;  ///< buffers: standardisation of vector summaries
  torch::Tensor summary_scale;  ///< buffer: per-entry asinh scale of bispectrum entries (0: none)
  torch::Tensor log_weights;    ///< buffer: log w_k of the members (sum of w_k = 1)
  FieldCompressor compressor{nullptr};  ///< density summaries only

 private:
  NpeConfig config_;
  torch::Tensor lo_, hi_;  // buffers: the prior box
  std::vector<SplineFlow> nsf_;
  std::vector<MAF> maf_;
};
/// Module holder of NpeNetImpl.
TORCH_MODULE(NpeNet);

/// The NpeConfig of a header written by save_model with NpeNetImpl::header() keys.
NpeConfig npe_config_from(const ModelHeader& header);
/// Loads an NPE model file (model = npe); throws std::runtime_error naming the file otherwise.
NpeNet load_npe(const std::string& path, ModelHeader* header = nullptr);

}  // namespace cosmograd::nn
