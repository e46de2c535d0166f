// A neural emulator of the parametric SED model's broad-band magnitudes (surveys/mocks/sed.hpp
// + photometry.hpp), in the spirit of speculator (Alsing et al. 2020, ApJS 249, 5), which
// emulates stellar population synthesis; like their photometry emulator it maps the SED
// parameters straight to magnitudes (no PCA of spectra) with a dense network.
//
// Parametrisation. parametric_sed is linear in (M*, SFR) at fixed specific SFR: the evolved
// continuum scales with M*, the young continuum and the lines with SFR. A magnitude therefore
// splits exactly into
//   m_b = t_b(log10 sSFR, age, A_V, Z, z) - 2.5 log10(M* / Msun) + 5 log10(d_L / 10 pc),
// where t_b is the observed-frame band-b magnitude of one solar mass of the model at redshift z
// seen from a luminosity distance of 10 pc (the K-correction and the (1 + z) bandwidth term
// included, Hogg et al. 2002, astro-ph/0210394, eq. 13). The emulator learns t_b, the direct
// calculation is ab_magnitudes(parametric_sed({1 Msun, sSFR, age, A_V, Z}), z, 1e-5 Mpc).
//
// Network: x = (log10 sSFR, log10 age, A_V, log10 Z, z), each mapped linearly from its prior
// range to [-1, 1], into an nn::MLP whose outputs are the magnitudes standardised per band
// (mean and standard deviation of the training set). Loss: mean squared standardised error.
//
// Prior of the training and held-out draws (SedPrior): independent, uniform in log10 sSFR,
// log10 age, A_V, log10 Z and z over the stated ranges (it spans the mock catalogue's
// galaxies: quenched sSFR ~1e-12, main sequence ~1e-10 to 1e-9, ages 0.1 to 10 Gyr, A_V 0 to 3).
//
// Model file (nn/train/model_file.hpp): model = sed_emulator, sed_filter_set, sed_bands,
// sed_hidden, sed_activation, the prior ranges sed_prior_*, the output standardisation
// sed_output_mean / sed_output_std, and the training record sed_train_*.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/mlp.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/mocks/filters.hpp"

namespace cosmograd::surveys {

/// One point of the emulator's input space.
struct SedPoint {
  double log_ssfr;     ///< log10 specific star formation rate SFR / M* [log10 1/yr]
  double age_gyr;      ///< age of the evolved population [Gyr], in [0.1, 13.8]
  double dust_av;      ///< V-band attenuation of the stars [mag]
  double metallicity;  ///< metal mass fraction Z, in [1e-4, 0.05]
  double z;            ///< redshift, >= 0
};

/// Number of emulator inputs (log10 sSFR, log10 age, A_V, log10 Z, z).
inline constexpr int64_t kSedEmulatorInputs = 5;

/// Ranges of the prior the emulator is trained on (uniform in each listed coordinate).
struct SedPrior {
  double log_ssfr_min = -13.5;  ///< lowest log10 sSFR [log10 1/yr]
  double log_ssfr_max = -8.0;   ///< highest log10 sSFR [log10 1/yr]
  double age_min_gyr = 0.1;     ///< youngest age [Gyr] (uniform in log10 age)
  double age_max_gyr = 13.8;    ///< oldest age [Gyr]
  double dust_min = 0.0;        ///< least A_V [mag] (uniform in A_V)
  double dust_max = 3.0;        ///< most A_V [mag]
  double metal_min = 2e-3;      ///< least Z (uniform in log10 Z)
  double metal_max = 0.05;      ///< most Z
  double z_min = 0.0;           ///< lowest redshift (uniform in z)
  double z_max = 1.6;           ///< highest redshift
  /// Throws std::invalid_argument naming the field unless every range is ordered and inside
  /// parametric_sed's domain (age [0.1, 13.8] Gyr, A_V [0, 10], Z [1e-4, 0.05], z in [0, 5]).
  void validate() const;
  /// Whether p lies inside the ranges (boundaries included, 1e-9 slack).
  bool contains(const SedPoint& p) const;
};

/// n independent draws from the prior (std::mt19937_64 seeded with `seed`).
std::vector<SedPoint> draw_sed_points(const SedPrior& prior, std::size_t n, std::uint64_t seed);

/// The direct calculation: t_b [AB mag] of each point in each filter (N * B, row-major), i.e.
/// ab_magnitudes(parametric_sed({1 Msun, 10^log_ssfr Msun/yr, age, A_V, Z}), z, 1e-5 Mpc).
/// OpenMP-parallel over points when `parallel` (each point is independent).
std::vector<double> direct_sed_magnitudes(const std::vector<SedPoint>& points,
                                          const std::vector<Filter>& filters,
                                          bool parallel = false);

/// m_b = t_b - 2.5 log10(stellar_mass / Msun) + 5 log10(d_L / 10 pc) [AB mag] for stellar_mass
/// [Msun] > 0 and luminosity distance [Mpc] > 0 (exact; see the file comment).
double apparent_magnitude(double template_magnitude, double stellar_mass,
                          double luminosity_distance_mpc);

/// Architecture and scaling of a SedEmulator (model-file header keys).
struct SedEmulatorConfig {
  std::string filter_set = "lsst";                ///< builtin_filters set (sed_filter_set)
  std::vector<std::string> bands;                 ///< its band names, the output order (sed_bands)
  std::vector<int64_t> hidden = {128, 128, 128};  ///< hidden widths (sed_hidden)
  std::string activation = "silu";                ///< nn::parse_activation name (sed_activation)
  SedPrior prior;                                 ///< input ranges (sed_prior_*)
  std::vector<double> output_mean;                ///< per-band mean of t_b [mag] (sed_output_mean)
  std::vector<double> output_std;                 ///< per-band std of t_b [mag] (sed_output_std)
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// The emulator network with its configuration.
class SedEmulatorImpl : public torch::nn::Module {
 public:
  /// Builds an untrained network; validates the configuration.
  explicit SedEmulatorImpl(SedEmulatorConfig config);
  /// Standardised magnitudes [N, B] of normalised inputs x [N, 5] (float32).
  torch::Tensor forward(const torch::Tensor& x);
  /// Normalised float32 inputs [N, 5] of `points` (the prior range of each coordinate mapped to
  /// [-1, 1]).
  torch::Tensor encode(const std::vector<SedPoint>& points) const;
  /// t_b [AB mag] of each point (N * B, row-major, band order config().bands), without
  /// gradients, in batches of `batch` points; points outside the prior are extrapolated.
  std::vector<double> predict(const std::vector<SedPoint>& points, int64_t batch = 65536);
  /// The configuration.
  const SedEmulatorConfig& config() const { return config_; }
  /// Header keys of the architecture and scaling (model = sed_emulator).
  nn::ModelHeader header() const;

 private:
  SedEmulatorConfig config_;
  nn::MLP mlp_{nullptr};
};
/// Module holder of SedEmulatorImpl.
TORCH_MODULE(SedEmulator);

/// The configuration stored in a model header; throws std::runtime_error naming the file and
/// the key.
SedEmulatorConfig sed_emulator_config_from(const nn::ModelHeader& h);

/// Loads a sed_emulator model file (eval mode); *header receives its header when non-null.
SedEmulator load_sed_emulator(const std::string& path, nn::ModelHeader* header = nullptr);

/// Options of train_sed_emulator.
struct SedEmulatorTrainOptions {
  std::vector<int64_t> hidden = {128, 128, 128};  ///< hidden widths
  std::string activation = "silu";                ///< activation name
  int64_t steps = 20000;                          ///< optimiser steps (cosine schedule length)
  int64_t batch = 512;                            ///< draws per step
  double lr = 2e-3;                               ///< Adam learning rate (cosine decay to 1/20)
  double validation_fraction = 0.05;  ///< draws held out for model selection, in (0, 0.5]
  int64_t validate_every = 500;       ///< steps between validations (the best model is kept)
  double max_seconds = 0;             ///< stop training after this wall time [s] (0: no limit)
  std::uint64_t seed = 1;             ///< initialisation and batch seed
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// What train_sed_emulator did.
struct SedEmulatorTrainReport {
  int64_t steps_done = 0;                 ///< optimiser steps taken
  int64_t best_step = 0;                  ///< step of the kept model
  double seconds = 0;                     ///< training wall time [s]
  double initial_loss = 0;                ///< validation loss before training (standardised MSE)
  double best_loss = 0;                   ///< validation loss of the kept model
  double validation_mean_abs = 0;         ///< mean |Delta m| of the kept model on validation [mag]
  std::size_t train = 0, validation = 0;  ///< draws in each part
};

/// Trains an emulator on `points` with their direct magnitudes `magnitudes` (N * B, band order
/// of builtin_filters(filter_set)); the last validation_fraction of the draws select the model.
SedEmulator train_sed_emulator(const std::vector<SedPoint>& points,
                               const std::vector<double>& magnitudes, const SedPrior& prior,
                               const std::string& filter_set, const SedEmulatorTrainOptions& o,
                               SedEmulatorTrainReport* report);

}  // namespace cosmograd::surveys
