// Halo data for reconstruction: the FoF halo-mass field of a simulation (Davis et al. 1985 halos
// painted with their masses), and the bias model the halo likelihood uses, fitted by least
// squares on a calibration run (delta_h = b1 S delta + b2 ((S delta)^2 - <(S delta)^2>) + noise;
// the Eulerian expansion of McDonald & Roy 2009 to second order, without tidal terms).
#pragma once

#include <cstddef>

#include "inference/data_model.hpp"
#include "sim/measure/fof.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::inference {

/// The halo-mass density contrast M(x) / <M> - 1 on a mesh^3 mesh (CIC, mesh point i at
/// i L / mesh) of the FoF halos of final particles `p` of `spec` (at spec.a_final()); the halo
/// count goes to `halos` when given. Throws std::runtime_error when no halo is found.
sim::Field<double> halo_mass_field(const sim::Particles<double>& p, const sim::SimSpec& spec,
                                   int mesh, const sim::FofOptions& fof,
                                   std::size_t* halos = nullptr);

/// What fit_halo_bias found.
struct BiasFit {
  double b1 = 0;           ///< linear bias
  double b2 = 0;           ///< quadratic bias
  double noise_power = 0;  ///< residual variance times the cell volume [(Mpc/h)^3]
};

/// Least-squares b1, b2 of `halo_field` against the matter field of `p` as `model` sees it
/// (its line of sight, its bias smoothing), and the residual's white-noise power.
BiasFit fit_halo_bias(const DataModel& model, const sim::Particles<double>& p,
                      const sim::Field<double>& halo_field);

}  // namespace cosmograd::inference
