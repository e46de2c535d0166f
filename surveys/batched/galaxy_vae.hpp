// A PSF-aware variational autoencoder of galaxy stamps with a conditional normalising-flow
// prior on its latent space (Lanusse, Mandelbaum, Ravanbakhsh et al. 2021, MNRAS 504, 5543:
// "Deep generative models for galaxy image simulations"). The decoder draws the galaxy's light
// before the PSF; the likelihood compares it, convolved with each stamp's own PSF, with the
// noisy stamp (Gaussian, the stamp's background sigma), so the model learns deconvolved
// galaxies from stamps of any PSF. A flow q(z | log10 R_e, mag) fitted to the encoder's
// posterior samples then replaces the N(0, 1) prior (the paper's "latent flow"), so samples
// follow the aggregate posterior and are conditioned on size and magnitude.
//
// Decoder output: exp(log F(z)) softmax(logits(z)) over the S x S pixels: positive light whose
// total flux F is one head and whose unit-flux shape is the other, so a sample drawn into a
// scene with a catalogue flux uses the shape alone.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "nn/modules/flows.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/images/scene.hpp"

namespace cosmograd::surveys {

/// Architecture and data conventions of a GalaxyVae (model-file header keys, prefix vae_).
struct GalaxyVaeConfig {
  int64_t size = 32;         ///< stamp side S [pixels], a multiple of 8, >= 16 (vae_size)
  int64_t latent = 16;       ///< latent dimension (vae_latent)
  int64_t channels = 16;     ///< channels of the first convolution, doubling per level
  int64_t flow_layers = 4;   ///< rational-quadratic spline flow layers (vae_flow_layers)
  int64_t flow_hidden = 64;  ///< hidden width of each flow conditioner (vae_flow_hidden)
  double pixel_scale = 0.2;  ///< of the training stamps [arcsec] (vae_pixel_scale)
  double zero_point = 31.4;  ///< mag = zero_point - 2.5 log10(flux [unit]) (vae_zero_point)
  double flux_scale = 1;     ///< image unit per model unit: the median noise sigma [unit]
  std::string band;          ///< band of the training stamps (vae_band)
  std::string unit = "nJy";  ///< image unit (vae_unit)
  /// Mean and standard deviation of the conditions (log10 R_e [pixels], mag) over training.
  std::array<double, 2> cond_mean{0, 22}, cond_std{1, 1};
  /// Their training range; samples clamp conditions into it (no extrapolation).
  std::array<double, 2> cond_lo{-1, 15}, cond_hi{2, 30};
  void validate() const;  ///< throws std::invalid_argument naming the field
};

/// The encoder, decoder and latent flow.
class GalaxyVaeImpl : public torch::nn::Module {
 public:
  /// Builds the modules of `config` (validated).
  explicit GalaxyVaeImpl(GalaxyVaeConfig config);
  /// Noisy stamps [B, S, S] in model units (image / flux_scale) -> (mu, log_var) [B, latent];
  /// the input is asinh-compressed.
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& stamps);
  /// z [B, latent] -> (log of the unit-flux shape [B, S, S] (log-softmax), log F [B]).
  std::pair<torch::Tensor, torch::Tensor> decode(const torch::Tensor& z);
  /// z -> the light before the PSF [B, S, S] in model units.
  torch::Tensor light(const torch::Tensor& z);
  /// (R_e [pixels], mag) [B, 2] -> the flow's standardised, clamped context [B, 2].
  torch::Tensor context(const torch::Tensor& conditions) const;
  /// One latent sample per row of conditions (R_e [pixels], mag) [B, 2] -> [B, latent]: the
  /// flow's inverse of N(0, 1) draws from `generator` (none: torch's default).
  torch::Tensor sample_latent(const torch::Tensor& conditions,
                              std::optional<at::Generator> generator = std::nullopt);
  /// Header keys that rebuild this architecture (model = galaxy_vae).
  nn::ModelHeader header() const;
  /// The architecture.
  const GalaxyVaeConfig& config() const { return config_; }
  /// Sets the flux head's bias to the mean log F [model units] of the training stamps.
  void set_flux_prior(double mean_log_flux);
  /// The encoder and decoder parameters (the first training phase).
  std::vector<torch::Tensor> autoencoder_parameters();

  nn::SplineFlow flow{nullptr};  ///< q(z | context)

 private:
  GalaxyVaeConfig config_;
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
  torch::nn::Linear to_latent_{nullptr}, from_latent_{nullptr};
  torch::nn::Sequential flux_head_{nullptr};
};
/// Module holder of GalaxyVaeImpl.
TORCH_MODULE(GalaxyVae);

/// The GalaxyVaeConfig of a header written with GalaxyVaeImpl::header() keys.
GalaxyVaeConfig galaxy_vae_config_from(const nn::ModelHeader& header);
/// Loads a model file (model = galaxy_vae) in eval mode; throws std::runtime_error naming the
/// file otherwise.
GalaxyVae load_galaxy_vae(const std::string& path, nn::ModelHeader* header = nullptr);

/// A scene painter drawing each galaxy as a sample of `model` conditioned on its disk R_e and
/// its magnitude in column mag_true_<model band> of the galaxy table (conditions clamped into
/// the training range), drawn by a generator seeded with (seed, galaxy_id), shifted to the
/// centre by bilinear interpolation and scaled to unit flux. Throws std::invalid_argument when
/// the scene's pixel scale differs from the model's by more than 1%.
GalaxyPainter vae_painter(GalaxyVae model, std::uint64_t seed);

}  // namespace cosmograd::surveys
