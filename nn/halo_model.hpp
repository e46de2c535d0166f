// The neural halo model (Modi, Feng & Seljak 2018; Charnock et al. 2019): a periodic CNN that
// maps the final dark-matter density contrast on a mesh to the halo mass field (FoF halo masses
// painted at their centres with CIC), trained on FoF catalogues of cosmograd simulations.
// Differentiable in its input, so a density from nn::simulate_density passes gradients to the
// white noise and the cosmological parameters.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/unet.hpp"
#include "nn/train/model_file.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::nn {

/// Options of HaloModel (all stored in the model file's header).
struct HaloModelOptions {
  /// Box side L [Mpc/h] the input mesh covers (sets the smoothing scales in cells).
  TORCH_ARG(double, box_size) = 128.0;
  /// Cells per side n of the input mesh the model was trained on.
  TORCH_ARG(int64_t, grid) = 32;
  /// Gaussian smoothing radius of the second input channel [Mpc/h].
  TORCH_ARG(double, r1) = 4.0;
  /// Gaussian smoothing radius of the third input channel [Mpc/h].
  TORCH_ARG(double, r2) = 8.0;
  /// Mass scale M0 of the target log(1 + M / M0) [Msun/h].
  TORCH_ARG(double, m0) = 1e13;
  /// U-Net depth (shift equivariance holds for shifts by multiples of 2^depth cells).
  TORCH_ARG(int64_t, depth) = 2;
  /// U-Net channels at the finest level.
  TORCH_ARG(int64_t, base_channels) = 8;
};

/// delta [D, H, W] or [N, D, H, W] -> [N, 3, D, H, W] features log(1 + delta_c / 2) of the
/// channels c = (delta, delta * G(R1), delta * G(R2)), G a periodic Gaussian of radius R in a
/// box of side box_size [Mpc/h] applied in Fourier space; delta >= -1 keeps the log finite.
torch::Tensor halo_model_features(const torch::Tensor& delta, double box_size, double r1,
                                  double r2);

/// Neural halo model: delta [N, D, H, W] (or [D, H, W]) -> predicted log(1 + M / M0)
/// per cell, same shape as delta (D, H, W multiples of 2^depth), M the FoF halo mass painted
/// with CIC [Msun/h]. Gaussian features (halo_model_features) then a periodic UNet3d.
class HaloModelImpl : public torch::nn::Module {
 public:
  /// Builds the model; throws std::invalid_argument for non-positive sizes or radii.
  explicit HaloModelImpl(const HaloModelOptions& options = {});
  /// delta: density contrast [N, D, H, W] or [D, H, W] (dtype of the parameters);
  /// returns log(1 + M / M0) of the same shape.
  torch::Tensor forward(const torch::Tensor& delta);
  /// The halo mass per cell M = M0 (exp(y) - 1), y = forward(delta) clamped at 0 [Msun/h];
  /// same shape as delta.
  torch::Tensor predict_mass_field(const torch::Tensor& delta);
  /// The header keys (model = halo_model and every option) that load_halo_model rebuilds from.
  ModelHeader header() const;

  /// The options this module was built with.
  HaloModelOptions options;

 private:
  UNet3d unet_{nullptr};
};
/// Module holder of HaloModelImpl.
TORCH_MODULE(HaloModel);

/// Writes `model` with nn::save_model; `extra` keys (training metadata) are added to the header.
void save_halo_model(const std::string& path, HaloModel& model, ModelHeader extra = ModelHeader());
/// An untrained HaloModel with the architecture of a model file's header (the builder of the
/// "halo_model" type, nn/train/model_types.cpp).
HaloModel build_halo_model(const ModelHeader& header);
/// Loads a halo model file through nn::load_model (float32, eval mode); throws
/// std::runtime_error naming the file when it holds another type. With `header`, the file's
/// header (training domain keys included) is copied there.
HaloModel load_halo_model(const std::string& path, ModelHeader* header = nullptr);

/// One training sample: the density contrast and the FoF halo mass field of one simulation.
struct HaloSample {
  /// CIC density contrast of the particles, (n, n, n), float32.
  torch::Tensor delta;
  /// FoF halo masses painted at their centres of mass with CIC, (n, n, n), float32 [Msun/h].
  torch::Tensor mass;
  /// Number of FoF halos.
  int64_t num_halos = 0;
  /// Total FoF halo mass [Msun/h].
  double total_mass = 0;
  /// Mass of one particle [Msun/h].
  double particle_mass = 0;
};

/// Runs the simulation `config` (seed config.seed, to a = 1 on config.time_grid(), float32,
/// no files), finds FoF halos (linking length 0.2, min_members) and paints both fields on an
/// (n, n, n) mesh.
HaloSample make_halo_sample(const sim::SimSpec& config, int64_t n, int min_members = 20);

/// A SimSpec for halo-model training data: planck2015, Eisenstein & Hu, 2LPT from a = 0.1,
/// `steps` linear steps to a = 1, no outputs, no progress bar.
sim::SimSpec halo_sim_config(int particles, int mesh, double box_size, int steps,
                             std::uint64_t seed);

/// Options of train_halo_model.
struct HaloTrainOptions {
  /// Optimizer steps (one step = the whole set, randomly flipped and transposed).
  int64_t steps = 400;
  /// Peak learning rate (Adam, cosine decay to lr / 20).
  double lr = 3e-3;
  /// Samples per step (<= 0: all).
  int64_t batch = 0;
  /// Seed of the trainer (batch draws and augmentations).
  uint64_t seed = 1;
  /// Log a line every this many steps (0: never).
  int64_t log_every = 0;
};

/// Trains `model` on `samples` with nn::Trainer, MSE on log(1 + M / M0), random cube
/// symmetries (axis flips and permutations) as augmentation. Returns the training loss at
/// each step.
std::vector<double> train_halo_model(HaloModel& model, const std::vector<HaloSample>& samples,
                                     const HaloTrainOptions& options);

/// Mean MSE of log(1 + M / M0) of `model` over `samples` (no gradients).
double halo_model_loss(HaloModel& model, const std::vector<HaloSample>& samples);

/// Power spectra binned in |k| of two real (n, n, n) fields in a box of side L.
struct CrossSpectrum {
  /// Mean |k| of each bin [h/Mpc].
  std::vector<double> k;
  /// Cross correlation coefficient r(k) = P_ab / sqrt(P_aa P_bb).
  std::vector<double> r;
  /// Power spectrum P_aa of a [(Mpc/h)^3 times a's unit squared].
  std::vector<double> p_a;
  /// Power spectrum P_bb of b.
  std::vector<double> p_b;
  /// Modes per bin (counting the rfft half space).
  std::vector<int64_t> modes;
};

/// r(k) of fields a and b ((n, n, n) each) in a box of side box_size [Mpc/h], bins of width
/// the fundamental 2 pi / L from k = 0 to the Nyquist frequency; mean removed.
CrossSpectrum cross_correlation(const torch::Tensor& a, const torch::Tensor& b, double box_size);

}  // namespace cosmograd::nn
