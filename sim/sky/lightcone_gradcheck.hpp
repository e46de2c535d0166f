// The lightcone objective of `cosmograd gradcheck`: a Born convergence loss on the maps of an
// on-the-fly lightcone, J = sum over pixels of (kappa - kappa_0)^2 / 2 on the flat field and
// on the (bilinear) HEALPix maps, with kappa_0 fixed random maps, differentiated through the
// crossings, the simulation and the Born weights.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/pm/gradcheck.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::sim {

/// The kappa_0 maps of the loss: one value per pixel of the flat and of the HEALPix maps
/// (empty where the lightcone has none).
struct KappaTargets {
  std::vector<double> flat;     ///< flat-field pixels, values[iy * n + ix]
  std::vector<double> healpix;  ///< HEALPix pixels, RING order
};

/// The kappa loss J after `sim` ran forward from w with `lc` subscribed (bound here to sim's
/// cosmology); with `gradients`, also dJ/dw and dJ/dtheta (crossings, steps, Born weights).
/// The HEALPix term needs lc's healpix_bilinear.
template <class T>
double kappa_loss(DifferentiableSim<T>& sim, Lightcone<T>& lc, const SourceDistribution& src,
                  const KappaTargets& kappa0, const Field<T>& w,
                  SimGradients<T>* gradients = nullptr);

/// gradient_check() with the kappa loss of `lc` (a flat field, or bilinear HEALPix shells, or
/// both) for sources `src`; the kappa_0 maps are drawn from `seed` with rms 0.01.
template <class T>
GradcheckReport lightcone_gradient_check(const SimSpec& c, const LightconeSpec& lc,
                                         const SourceDistribution& src, GradientMode mode,
                                         int directions, double eps_noise, double eps_param,
                                         std::uint32_t seed = 1);

}  // namespace cosmograd::sim
