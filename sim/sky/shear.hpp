// Weak-lensing shear from convergence and back: flat-sky Kaiser-Squires (Kaiser & Squires
// 1993, ApJ 404, 441) with FFTW, and its full-sky spin-2 form on HEALPix with healpix_cxx.
#pragma once

#include <string>

#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// The two shear components on a flat map (dimensionless).
struct FlatShear {
  FlatMap gamma1;  ///< gamma_1: stretch along the map's first axis (ix) minus along iy
  FlatMap gamma2;  ///< gamma_2: stretch along the diagonal ix = iy
};

/// The two shear components on HEALPix maps (dimensionless, RING order).
struct HealpixShear {
  HealpixMap gamma1;  ///< gamma_1 = Q: stretch along e_theta (north-south) minus along e_phi
  HealpixMap gamma2;  ///< gamma_2 = U in HEALPix's convention (see healpix_kappa_to_shear)
};

/// Flat-sky Kaiser-Squires (Kaiser & Squires 1993, eq. 2.1.11 in Fourier form):
/// gamma1 + i gamma2 = IFFT[D(l) FFT(kappa)], D = ((l1^2 - l2^2) + 2 i l1 l2) / |l|^2, with l1
/// conjugate to ix and l2 to iy (the map's own axes; the TAN field's xi, eta), D(0) = 0 (the
/// mean of kappa does not shear). The field is treated as periodic. Throws
/// std::invalid_argument for n < 2, a bad field or a wrong number of values.
FlatShear flat_kappa_to_shear(const FlatMap& kappa);

/// Inverse Kaiser-Squires: kappa_E + i kappa_B = IFFT[conj(D) FFT(gamma1 + i gamma2)]; returns
/// kappa_E (zero mean) and stores kappa_B in `kappa_b` when given. For a zero-mean kappa,
/// flat_shear_to_kappa(flat_kappa_to_shear(kappa)) = kappa to rounding. Throws
/// std::invalid_argument when the two maps differ in n or field.
FlatMap flat_shear_to_kappa(const FlatShear& shear, FlatMap* kappa_b = nullptr);

/// Full-sky shear of a convergence map (spin-weighted lensing, Castro, Heavens & Kitching 2005,
/// PRD 72, 023516: kappa = ethbar eth psi / 2, gamma = eth eth psi / 2): kappa_lm from map2alm_iter
/// (`iterations` Jacobi iterations, unit ring weights) up to `lmax`; E_lm = +sqrt((l+2)(l-1) /
/// (l(l+1))) kappa_lm for l >= 2, B_lm = 0; then HEALPix's spin-2 synthesis (alm2map_spin, the Q/U
/// of alm2map_pol) gives gamma1 = Q, gamma2 = U. In HEALPix's convention Q + iU = -sum (E + iB)
/// _2Y_lm, so the spin-2 coefficients are gamma_lm = -E_lm = -sqrt((l+2)(l-1) / (l(l+1))) kappa_lm
/// (the form often quoted). The sign is fixed by physics and tested: a positive convergence peak
/// gives tangential shear (gamma1 < 0 north and south of it, > 0 east and west), and gamma2 has the
/// sign of flat Kaiser-Squires in the local frame (x, y) = (e_theta, e_phi) (see the test).
/// Throws std::invalid_argument for lmax outside 2..3 nside or iterations outside 0..10.
HealpixShear healpix_kappa_to_shear(const HealpixMap& kappa, int lmax, int iterations = 3);

/// Inverse of healpix_kappa_to_shear: spin-2 analysis of (gamma1, gamma2) (map2alm_spin with
/// `iterations` Jacobi iterations) to E_lm, B_lm, then kappa_lm = E_lm / sqrt((l+2)(l-1) /
/// (l(l+1))) for 2 <= l <= lmax (l = 0, 1 are not recoverable and set to 0), synthesised at
/// the maps' nside; the B-mode convergence goes to `kappa_b` when given. Throws
/// std::invalid_argument for mismatched maps, lmax outside 2..3 nside, iterations outside 0..10.
HealpixMap healpix_shear_to_kappa(const HealpixShear& shear, int lmax, int iterations = 3,
                                  HealpixMap* kappa_b = nullptr);

}  // namespace cosmograd::sim
