// Training and held-out evaluation of the emulator (nn/emulator.hpp) on the pairs of
// nn/emulator_data.hpp.
#pragma once

#include <torch/types.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nn/emulator.hpp"
#include "nn/halo_model.hpp"
#include "nn/pgd.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "nn/train/trainer.hpp"

namespace cosmograd::nn {

/// A symmetry of the cubic lattice: axis permutation, per-axis flips, periodic shift.
struct CubeSymmetry {
  std::array<int64_t, 3> perm{0, 1, 2};  ///< new axis d is old axis perm[d]
  std::array<bool, 3> flip{};            ///< reverse new axis d (and negate component d)
  std::array<int64_t, 3> shift{};        ///< periodic roll along each new axis [cells]
};

/// Applies `s` to vector fields [B, 3 G, N, N, N] (G groups of 3 Cartesian components, e.g.
/// displacement and momentum): the grid is permuted, flipped and rolled, and within each group
/// the components are permuted and the flipped ones negated, so a particle field stays a
/// particle field of the transformed box.
torch::Tensor apply_cube_symmetry(const torch::Tensor& fields, const CubeSymmetry& s);

/// A random symmetry from `rng`: uniform axis permutation, flips and shifts in [0, n) cells.
CubeSymmetry random_cube_symmetry(std::mt19937_64& rng, int64_t n);

/// Trainer options of the field emulators: Adam, cosine schedule from `lr` to lr / 20 after a
/// warm-up of min(50, steps / 10) steps, gradients clipped to norm 1.
TrainerOptions emulator_trainer_options(int64_t steps, double lr, uint64_t seed, int64_t log_every);

/// Options of train_emulator.
struct EmulatorTrainOptions {
  int64_t steps = 2000;   ///< optimizer steps (Adam, cosine schedule to lr / 20)
  double lr = 1e-3;       ///< peak learning rate
  int64_t batch = 2;      ///< pairs per step
  uint64_t seed = 1;      ///< seed of batch order and augmentations
  int64_t log_every = 0;  ///< log a line every this many steps (0: never)
  /// Weight of the density term: MSE of the CIC density contrast on a 2N mesh, emulated vs PM,
  /// over the PM density's variance (Jamieson et al. 2022 add such an Eulerian term).
  double density_weight = 0.0;
  /// Weight of the momentum MSE relative to the displacement MSE (both normalised by the
  /// model's scales); the momentum residual of 2LPT is 3x the displacement's and, left at 1,
  /// dominates the loss while P(k) depends on the displacements.
  double momentum_weight = 1.0;
};

/// Trains `model` on a pair file (fields (S, 12, N, N, N), params (S, 3)) with MSE of the
/// normalised displacement and momentum (plus the density term), random cube symmetries as
/// augmentation. Returns the
/// training loss of every step.
std::vector<double> train_emulator(Emulator& model, const std::string& data_path,
                                   const EmulatorTrainOptions& options);

/// Held-out metrics of the emulator and of 2LPT alone against the PM targets.
struct EmulatorMetrics {
  std::vector<double> k;              ///< bin centres [h/Mpc] (up to k_Nyq of the particles)
  std::vector<double> ratio_emu;      ///< P_emu / P_pm of the CIC density on a 2N mesh
  std::vector<double> r_emu;          ///< r(k) of emulated and PM density
  std::vector<double> ratio_lpt;      ///< P_2lpt / P_pm
  std::vector<double> r_lpt;          ///< r(k) of 2LPT and PM density
  std::vector<double> ratio_pgd;      ///< P_2lpt+pgd / P_pm (empty without a PGD fit)
  std::vector<double> r_pgd;          ///< r(k) of 2LPT + PGD and PM density
  std::vector<double> mom_ratio_emu;  ///< power of the momentum field (Lagrangian), emu / PM
  std::vector<double> mom_ratio_lpt;  ///< same for 2LPT
  double k_nyq = 0;                   ///< k_Nyq of the particles pi N / L [h/Mpc]
  double disp_rmse_emu = 0;           ///< rms displacement error [Mpc/h]
  double disp_rmse_lpt = 0;           ///< same for 2LPT
  double mom_rmse_emu = 0;            ///< rms momentum error [Mpc/h]
  double mom_rmse_lpt = 0;            ///< same for 2LPT
  double emulate_seconds = 0;         ///< mean network time per box [s]
  int64_t boxes = 0;                  ///< held-out boxes
  PgdParams pgd;                      ///< the PGD baseline's fitted parameters
  int64_t pgd_fit_boxes = 0;          ///< training boxes PGD was fitted on (0: no PGD baseline)
};

/// Evaluates `model` on every pair of `data_path` (spectra summed over boxes before ratios).
/// With `pgd_fit_path`, the classical baseline 2LPT + PGD (nn/pgd.hpp) is fitted on its first
/// `pgd_fit_boxes` pairs (2LPT against PM, k <= k_Nyq / 2 of the particles, mesh 2N) and
/// evaluated on the same held-out pairs.
EmulatorMetrics evaluate_emulator(Emulator& model, const std::string& data_path,
                                  const std::string& pgd_fit_path = "", int pgd_fit_boxes = 8);

/// Positions (N^3, 3) in [0, box_size) of the particles of an N^3 lattice displaced by
/// disp [3, N, N, N] [Mpc/h] (differentiable in disp).
torch::Tensor displaced_positions(const torch::Tensor& disp, double box_size);

/// Running sums of spectra over boxes: P_aa, P_bb, P_ab summed, so ratios and r(k) are of the
/// summed spectra.
struct SpectrumSums {
  std::vector<double> k, paa, pbb, pab;  ///< bin centres [h/Mpc] and the summed spectra
  /// Adds one box's spectra (bins as the first box's).
  void add(const CrossSpectrum& c);
  /// P_a / P_b in bin i.
  double ratio(size_t i) const { return paa[i] / pbb[i]; }
  /// r(k) of the sums in bin i.
  double r(size_t i) const { return pab[i] / std::sqrt(paa[i] * pbb[i]); }
};

/// Cross spectrum of the three components of two Lagrangian vector fields [3, N, N, N], summed
/// over components (p_a, p_b the summed powers, r the summed cross over their geometric mean).
CrossSpectrum vector_cross(const torch::Tensor& a, const torch::Tensor& b, double box_size);

/// CIC density contrast of particles displaced by disp [3, N, N, N] from the lattice of a box
/// of side box_size [Mpc/h], on an n_mesh^3 mesh (differentiable in disp).
torch::Tensor lattice_density(const torch::Tensor& disp, double box_size, int n_mesh);

}  // namespace cosmograd::nn
