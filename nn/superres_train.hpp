// Training and held-out evaluation of super-resolution (nn/superres.hpp) on the pairs of
// nn/superres_data.hpp: power spectra, FoF halo mass functions and stacked halo profiles of
// the generated high-resolution particles against the real high-resolution run.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/superres.hpp"

namespace cosmograd::nn {

/// Options of train_superres.
struct SuperResTrainOptions {
  int64_t steps = 1000;   ///< optimizer steps (Adam, cosine schedule to lr / 20)
  double lr = 1e-3;       ///< peak learning rate
  int64_t batch = 1;      ///< pairs per step
  uint64_t seed = 1;      ///< seed of batch order, augmentations and injected noise
  int64_t log_every = 0;  ///< log a line every this many steps (0: never)
  /// Weight of the density term: MSE of the CIC density contrast of the generated and the real
  /// high-resolution particles on an f N mesh (painted with the engine's painter, gradient by
  /// its vjp), over the real density's variance.
  double density_weight = 1.0;
  /// Weight of the power-spectrum term: mean over |k| bins (fundamental-wide, up to the mesh
  /// Nyquist frequency) of (ln P_SR(k) - ln P_HR(k))^2 of the same painted densities. Unlike
  /// the MSE terms it does not reward smoothing, so the injected noise can supply the
  /// small-scale power the coarse run lacks.
  double power_weight = 0.0;
  /// Weight of the momentum MSE relative to the displacement MSE (both normalised).
  double momentum_weight = 0.25;
  /// Inject noise during training (else the injection layers see none).
  bool noise = true;
};

/// ln P(k) of a real field delta [m, m, m] in fundamental-wide |k| bins 1..m/2 (shell
/// averages of |delta_k|^2 over the rfft half space, no normalisation): the power term's
/// summary, differentiable in delta.
torch::Tensor binned_log_power(const torch::Tensor& delta);

/// Trains `model` on a super-resolution pair file with MSE of the normalised displacement and
/// momentum plus the density and power terms, random cube symmetries as augmentation (the same on
/// both lattices). Returns the training loss of every step.
std::vector<double> train_superres(SuperRes& model, const std::string& data_path,
                                   const SuperResTrainOptions& options);

/// Held-out metrics of super-resolution and its baselines against the real high-resolution run.
struct SuperResMetrics {
  std::vector<double> k;              ///< bin centres [h/Mpc] up to k_Nyq of the fine lattice
  std::vector<double> ratio_sr;       ///< P_SR / P_HR of the CIC density on a 2 f N mesh
  std::vector<double> r_sr;           ///< r(k) of SR and HR density
  std::vector<double> ratio_interp;   ///< P / P_HR of the low-resolution run interpolated
  std::vector<double> r_interp;       ///< r(k) of the interpolated run and HR
  std::vector<double> ratio_lpt;      ///< P / P_HR of 2LPT at high resolution
  std::vector<double> r_lpt;          ///< r(k) of high-resolution 2LPT and HR
  std::vector<double> mom_ratio_sr;   ///< momentum-field power (Lagrangian), SR / HR
  std::vector<double> mom_ratio_int;  ///< same for the interpolated run
  double k_nyq = 0;                   ///< k_Nyq of the fine lattice pi f N / L [h/Mpc]
  /// FoF (b = 0.2) halo counts summed over boxes in bins of member count [edge_i, edge_i+1)
  /// (fine-lattice particles; the last bin is open).
  std::vector<int64_t> hmf_edges;
  std::vector<int64_t> hmf_hr, hmf_sr, hmf_interp, hmf_lpt;  ///< counts per bin
  double particle_mass = 0;  ///< fine-lattice particle mass [Msun/h]
  /// Stacked profiles of the `profile_halos` most massive halos (by m200m) of each box:
  /// mean rho / rho_mean in shells of r / r200m (each catalogue's own centres and r200m).
  std::vector<double> profile_edges;                            ///< shell edges in r / r200m
  std::vector<double> prof_hr, prof_sr, prof_interp, prof_lpt;  ///< per shell
  int profile_halos = 20;                                       ///< halos stacked per box
  double disp_rmse_sr = 0, disp_rmse_interp = 0;                ///< rms displacement error [Mpc/h]
  double mom_rmse_sr = 0, mom_rmse_interp = 0;                  ///< rms momentum error [Mpc/h]
  double sr_seconds = 0;                                        ///< mean network time per box [s]
  int64_t boxes = 0;                                            ///< held-out boxes
};

/// Evaluates `model` on every pair of `data_path` (spectra and counts summed over boxes), with
/// injected noise from `noise_seed` (no noise when negative). HMF bins start at `min_members`
/// fine particles and double.
SuperResMetrics evaluate_superres(SuperRes& model, const std::string& data_path,
                                  int64_t noise_seed = 0, int min_members = 50,
                                  int profile_halos = 20);

/// Stacked density profile of the `halos` most massive halos (by m200m) of a catalogue of fine
/// particles disp [3, n, n, n]: mean over halos of the particle density / mean density in
/// shells [edges_i, edges_i+1) of r / r200m around each halo's so_pos; also returns the halo
/// member-count histogram. Helper of evaluate_superres, public for tests.
struct HaloStats {
  std::vector<int64_t> counts;  ///< halos per member-count bin
  std::vector<double> profile;  ///< summed rho / rho_mean per shell
  int64_t profiled = 0;         ///< halos in the profile sum
};
/// FoF (b = 0.2, min_members) halos of fine particles [6, n, n, n] in a box of side box_size
/// [Mpc/h] at a = 1 with Omega_m; counts in member bins `edges` and the summed profiles of the
/// `halos` most massive in shells `shells` of r / r200m.
HaloStats halo_stats(const torch::Tensor& fields, double box_size, double omega_m,
                     const std::vector<int64_t>& edges, const std::vector<double>& shells,
                     int halos);

}  // namespace cosmograd::nn
