// A balanced strong-lens / non-lens stamp set from a lightcone galaxy mock, for lens finders
// (the Metcalf et al. 2019 challenge's task): deflectors are massive quenched galaxies whose
// velocity dispersion follows their stellar mass, each paired with a bright background galaxy
// of the mock that it would lens with theta_E >= min_theta_e; in half the stamps (even
// indices) that source is drawn lensed by the deflector's SIE + external shear
// (strong_lens.hpp), in the other half it is left out, so lenses and non-lenses have the same
// deflector population. Every stamp is PSF-convolved with noise at the catalogue depths.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// How the stamps are drawn.
struct LensSetOptions {
  int count = 200;                 ///< stamps (half lenses, half not), even, >= 2
  int size = 64;                   ///< stamp side [pixels]
  double pixel_scale = 0.2;        ///< [arcsec]
  double psf_fwhm = 0.7;           ///< Moffat FWHM [arcsec]
  double psf_beta = 3.5;           ///< Moffat beta
  double min_stellar_mass = 1e11;  ///< deflectors: quenched galaxies above this [Msun]
  double source_dz = 0.3;          ///< sources lie at least this far behind the deflector
  double min_theta_e = 0.6;        ///< lenses need an Einstein radius of at least [arcsec]
  double min_z_lens = 0.2;         ///< deflectors at z >= this (lens samples: z_l ~ 0.2-0.8)
  double max_source_mag = 23.5;    ///< sources brighter than this in r (or the middle band)
  double sky_mag = 21.2;           ///< sky brightness in every band [AB mag/arcsec^2]
  double read_noise = 9.0;         ///< [electrons]
  std::uint64_t seed = 1;          ///< draws keyed by (seed, stamp index)
  void validate() const;           ///< throws std::invalid_argument naming the option
};

/// The stamps and their truth.
struct LensSet {
  std::vector<std::string> bands;  ///< band order of the images
  int size = 0;                    ///< stamp side [pixels]
  double pixel_scale = 0.2;        ///< [arcsec]
  /// count x bands x size x size values [nJy per pixel], stamp-major, rows iy then ix.
  std::vector<float> images;
  Table truth;  ///< one row per stamp (table "truth")
};

/// The velocity dispersion [km/s] of a deflector of stellar mass [Msun]: sigma = 250 (M* /
/// 2e11)^0.3, the slope of the stellar mass - velocity dispersion relation of SDSS galaxies
/// above 2e10 Msun (Zahid et al. 2016, ApJ 832, 203), normalised to SLACS lenses (Auger et al.
/// 2010: sigma ~ 250 km/s at M* ~ 2e11 Msun).
double deflector_sigma_kms(double stellar_mass);

/// Draws the set from a lightcone galaxy table (ra, dec, redshift_true, stellar_mass,
/// quenched, mag_true_<band>, metadata M5_<band>). Throws std::invalid_argument when the table
/// has no deflector or no source behind one that gives theta_E >= min_theta_e.
LensSet make_lens_set(const Table& galaxies, const sim::Cosmology& cosmo,
                      const LensSetOptions& options);

/// Writes the stamps to `path` (HDF5, atomic): dataset /images (count, bands, size, size,
/// float32, unit nJy) with attributes bands (comma-separated) and pixel_scale [arcsec].
void write_lens_stamps(const std::string& path, const LensSet& set, double pixel_scale);

/// Reads the set `cosmograd mock lenses` wrote to `dir` (lens_stamps.h5 and the truth table in
/// truth.h5, one row per stamp); throws std::runtime_error naming the file and the missing or
/// malformed object.
LensSet read_lens_set(const std::string& dir);

}  // namespace cosmograd::surveys
