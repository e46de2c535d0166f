// The lightcone objective of `cosmograd gradcheck`: a Born convergence loss on the flat-sky
// maps of an on-the-fly lightcone, J = sum_pixels (kappa - kappa_0)^2 / 2 with kappa_0 a fixed
// random map, differentiated through the crossings, the simulation and the Born weights.
#pragma once

#include <cstdint>

#include "sim/pm/gradcheck.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::sim {

/// The kappa loss J after `sim` ran forward from w with `lc` subscribed (bound here to sim's
/// cosmology); with `gradients`, also dJ/dw and dJ/dtheta (crossings, steps, Born weights).
template <class T>
double flat_kappa_loss(DifferentiableSim<T>& sim, Lightcone<T>& lc, const SourceDistribution& src,
                       const std::vector<double>& kappa0, const Field<T>& w,
                       SimGradients<T>* gradients = nullptr);

/// gradient_check() with the flat kappa loss of `lc` (its flat field must be set) for sources
/// `src`; kappa_0 is drawn from `seed` with rms 0.01.
template <class T>
GradcheckReport lightcone_gradient_check(const SimSpec& c, const LightconeSpec& lc,
                                         const SourceDistribution& src, GradientMode mode,
                                         int directions, double eps_noise, double eps_param,
                                         std::uint32_t seed = 1);

}  // namespace cosmograd::sim
