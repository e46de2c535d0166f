// The neural baryon painter: a periodic 3D U-Net from the dark-matter density to per-voxel
// features (Thiele et al. 2020: U-Net from dark matter to electron pressure), and a Gaussian
// mixture per voxel over the range-compressed target y = ln(1 + T / s) (a mixture density
// network, Bishop 1994). The mixture's mean E[T] is the deterministic U-Net painter; samples
// drawn voxel by voxel are the stochastic painter (repeated paintings of one dark-matter field
// scatter like the target at fixed dark matter; Troster et al. 2019 paint with a conditional
// generative model for the same reason). Trained by the negative log-likelihood, which weights
// every voxel by how well it is predicted, so the dense regions that carry the power are not
// washed out by the many empty voxels.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/mdn.hpp"
#include "nn/modules/unet.hpp"
#include "nn/train/model_file.hpp"
#include "sim/mesh/field.hpp"

namespace cosmograd::nn {

/// Architecture and normalisation of a BaryonPainter.
struct BaryonPainterOptions {
  int64_t depth = 2;        ///< U-Net downsamplings
  int64_t channels = 16;    ///< U-Net channels at the finest level (= per-voxel features)
  int64_t components = 3;   ///< Gaussians per voxel
  double input_mean = 0;    ///< mean of ln(rho_dm + 1e-3) over the training voxels
  double input_std = 1;     ///< its standard deviation
  double target_scale = 1;  ///< s of y = ln(1 + T / s): the training targets' mean [target unit]
};

/// U-Net features and a per-voxel Gaussian mixture over y = ln(1 + T / s).
class BaryonPainterImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument on non-positive sizes.
  explicit BaryonPainterImpl(const BaryonPainterOptions& options);
  /// Per-voxel mixture for dark-matter densities rho (N, D, H, W) (1 + delta, float32): rows
  /// in (N, D, H, W) order.
  MixtureParams mixture(const torch::Tensor& rho);
  /// Mean negative log-likelihood per voxel of targets T (N, D, H, W) [target unit].
  torch::Tensor nll(const torch::Tensor& rho, const torch::Tensor& target);
  /// The mixture's mean E[T] = s (sum_k w_k exp(mu_k + sigma_k^2 / 2) - 1), (N, D, H, W).
  torch::Tensor mean_field(const torch::Tensor& rho);
  /// n independent paintings, voxel by voxel, (n, N, D, H, W) [target unit].
  torch::Tensor sample_fields(const torch::Tensor& rho, int64_t n);

  BaryonPainterOptions options;  ///< the options it was built with

 private:
  torch::Tensor input(const torch::Tensor& rho) const;
  UNet3d unet_{nullptr};
  MixtureDensityHead head_{nullptr};
};
/// Module holder of BaryonPainterImpl.
TORCH_MODULE(BaryonPainter);

/// The painter described by a model header (type "baryon_painter").
BaryonPainter build_baryon_painter(const ModelHeader& header);
/// Saves a painter of `target` ("bcm_matter", ...) with the keys of `extra` (atomic).
void save_baryon_painter(const std::string& path, const BaryonPainter& model,
                         const std::string& target, ModelHeader extra = ModelHeader());

/// How train_baryon_painter runs.
struct BaryonPainterTraining {
  int steps = 1500;   ///< Adam steps (cosine schedule to lr / 20)
  int batch = 1;      ///< boxes per step
  double lr = 2e-3;   ///< peak learning rate
  uint64_t seed = 1;  ///< seed of the weights, crops and symmetries
};

/// Trains `model` on (dark-matter density, target) pairs of fields (meshes a multiple of
/// 2^depth), each step on whole boxes randomly shifted (periodically), with random axis
/// permutations and flips; returns the loss of every step.
/// Sets the model's input normalisation and target scale from the pairs first.
std::vector<double> train_baryon_painter(BaryonPainter& model,
                                         const std::vector<const sim::Field<double>*>& dm,
                                         const std::vector<const sim::Field<double>*>& target,
                                         const BaryonPainterTraining& training);

/// A serial field as a float32 tensor (n, n, n).
torch::Tensor field_to_tensor(const sim::Field<double>& f);
/// A tensor (n, n, n) as a serial field.
sim::Field<double> tensor_to_field(const torch::Tensor& t);

}  // namespace cosmograd::nn
