// How close a reconstruction is to the truth: the cross-correlation coefficient
// r(k) = P_xt / sqrt(P_xx P_tt) and the transfer function T(k) = sqrt(P_xx / P_tt) of the
// reconstructed and the true linear fields (Seljak et al. 2017; Modi et al. 2021).
#pragma once

#include <vector>

#include "sim/mesh/field.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::inference {

/// r(k) and T(k) in bins of width k_F = 2 pi / L up to the Nyquist frequency.
struct TransferComparison {
  std::vector<double> k;         ///< mean |k| of each bin [h/Mpc]
  std::vector<double> r;         ///< cross-correlation coefficient
  std::vector<double> transfer;  ///< T(k) = sqrt(P_estimate / P_truth)
  std::vector<double> modes;     ///< modes in each bin
};

/// r(k) and T(k) of two real-space serial fields on the same n^3 mesh in a box of side
/// `box_size` [Mpc/h]; throws std::invalid_argument when the meshes differ.
TransferComparison compare_fields(const sim::Field<double>& estimate,
                                  const sim::Field<double>& truth, double box_size, int threads);

/// The linear density contrast at a = 1 (real space, particle grid) of white noise `w` for
/// `spec`'s cosmology and transfer function (sim/pm/lpt.hpp's normalisation).
sim::Field<double> linear_field(const sim::SimSpec& spec, const sim::Field<double>& w, int threads);

}  // namespace cosmograd::inference
