// Galaxy shapes for images from catalogue properties: half-light radii from the van der Wel
// et al. 2014 (ApJ 788, 28) size-mass relations of early- and late-type galaxies with their
// redshift evolution and scatter; bulge + disk (Sersic n = 4 and n = 1) with a bulge fraction by
// type; the catalogue's lensed ellipticity or an intrinsic one.
#pragma once

#include <cstdint>

namespace cosmograd::surveys {

/// The shape parameters of one galaxy's image.
struct Morphology {
  double re_kpc = 0;          ///< half-light radius (circularised) [physical kpc]
  double re_arcsec = 0;       ///< the same on the sky [arcsec]
  double bulge_fraction = 0;  ///< bulge (n = 4) share of the flux; the rest is an n = 1 disk
  double e1 = 0, e2 = 0;      ///< ellipticity (a - b)/(a + b) of the disk; the bulge has half
};

/// van der Wel et al. 2014, Table 1 and eq. 2: log10(R_e / kpc) = log A + alpha log10(M* /
/// 5e10 Msun) + beta log10((1 + z) / 1.25) with scatter sigma (early type, i.e. quenched: log A
/// 0.60, alpha 0.75, beta -1.48, sigma 0.10 dex; late type: 0.86, 0.25, -0.75, 0.16 dex), the
/// z = 0.25 fit and its (1 + z) evolution. Returns the median (no scatter) [kpc].
double vdw14_median_re_kpc(double stellar_mass, bool quenched, double z);

/// A galaxy's morphology: size from vdw14 with its scatter, bulge fraction 0.7 (quenched) or
/// 0.1 (star-forming) with +-0.1 uniform scatter, the given ellipticity (e.g. the catalogue's
/// lensed e1, e2) or, when `have_shape` is false, an intrinsic one of sigma 0.26 per component;
/// d_a_mpc: angular-diameter distance [Mpc, no h]. Draws keyed by (seed, galaxy id).
Morphology draw_morphology(double stellar_mass, bool quenched, double z, double d_a_mpc,
                           bool have_shape, double e1, double e2, std::uint64_t seed,
                           std::uint64_t galaxy_id);

}  // namespace cosmograd::surveys
