// How well a painted field reproduces its target: binned power ratio and cross-correlation,
// and the classical baseline every painter is compared with, "target = mean relation of the
// dark-matter density" (the mean of the target in bins of the dark-matter density, measured on
// the training boxes).
#pragma once

#include <vector>

#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// Binned spectra of a painted field against its target (linear bins of width 2 pi / L).
struct PaintSpectra {
  std::vector<double> k;        ///< mean |k| per bin [h/Mpc]
  std::vector<double> painted;  ///< P_painted(k) [field unit^2 (Mpc/h)^3]
  std::vector<double> target;   ///< P_target(k)
  std::vector<double> cross;    ///< Re P_painted,target(k)
  std::vector<double> modes;    ///< modes per bin (k and -k both counted)

  /// P_painted / P_target per bin.
  std::vector<double> ratio() const;
  /// r(k) = P_cross / sqrt(P_painted P_target) per bin.
  std::vector<double> correlation() const;
};

/// Spectra of the mean-subtracted `painted` and `target` (same serial mesh, box side `box`
/// [Mpc/h]) up to k_max [h/Mpc] (0: the mesh Nyquist), CIC-window uncorrected (both sides
/// carry the same mesh).
PaintSpectra paint_spectra(const Field<double>& painted, const Field<double>& target, double box,
                           double k_max = 0, int threads = 1);

/// The baseline painter: target = mean of the target in bins of ln(rho_dm + 1e-3), rho_dm = 1 +
/// delta of the dark matter, with equal-count bins measured on training pairs.
class MeanRelation {
 public:
  /// Measures the relation on (dark-matter density, target) pairs of one mesh size, in `bins`
  /// equal-count bins of the density (>= 2). Throws std::invalid_argument on mismatched input.
  MeanRelation(const std::vector<const Field<double>*>& dm,
               const std::vector<const Field<double>*>& target, int bins = 64);
  /// The relation applied to a dark-matter density (any mesh): each cell gets its bin's mean
  /// (linear interpolation between bin centres in ln rho).
  Field<double> apply(const Field<double>& dm) const;
  /// Bin centres in ln(rho_dm + 1e-3).
  const std::vector<double>& centres() const { return centres_; }
  /// Mean target per bin.
  const std::vector<double>& means() const { return means_; }

 private:
  std::vector<double> centres_, means_;
};

/// Standard deviation of the target in each bin of `edges` (ln(rho_dm + 1e-3), increasing):
/// the scatter at fixed dark matter the stochastic painter must reproduce. Bins without cells
/// get 0; `counts` (when not null) receives the cells per bin.
std::vector<double> scatter_in_density_bins(const std::vector<const Field<double>*>& dm,
                                            const std::vector<const Field<double>*>& field,
                                            const std::vector<double>& edges,
                                            std::vector<double>* counts = nullptr);

}  // namespace cosmograd::sim
