// Flat-sky maps as FITS images (primary HDU, BITPIX -64) with a gnomonic (TAN) WCS
// (Calabretta & Greisen 2002, A&A 395, 1077), readable by astropy.wcs and ds9.
#pragma once

#include <string>
#include <vector>

#include "sim/sky/healpix_fits.hpp"
#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// How write_flat_fits describes the field.
struct FlatFitsOptions {
  double ra_deg = 0;   ///< CRVAL1, right ascension of the field centre [deg], in [0, 360)
  double dec_deg = 0;  ///< CRVAL2, declination of the field centre [deg], in [-90, 90]
  std::string unit;    ///< BUNIT when not empty
  std::vector<FitsKeyword> keywords;               ///< extra numeric keywords
  std::vector<FitsStringKeyword> string_keywords;  ///< extra string keywords
};

/// What read_flat_fits found besides the values.
struct FlatFitsInfo {
  double ra_deg = 0;   ///< CRVAL1 [deg]
  double dec_deg = 0;  ///< CRVAL2 [deg]
  std::string unit;    ///< BUNIT ("" when absent)
};

/// Writes `map` to `path` atomically (temporary "<path>.tmp.<pid>", then rename) as a 2D
/// BITPIX -64 image, NAXIS1 = NAXIS2 = n, values[iy * n + ix] at FITS pixel (ix+1, iy+1),
/// with CTYPE1 = 'RA---TAN', CTYPE2 = 'DEC--TAN', CRPIX1 = CRPIX2 = n/2 + 0.5, CRVAL = the
/// options' centre, CDELT1 = -pixel [deg], CDELT2 = +pixel [deg], CUNIT 'deg', RADESYS 'ICRS'.
/// Throws std::invalid_argument for a bad map or option (naming it), CallError naming the file
/// and cfitsio's message when writing fails.
void write_flat_fits(const std::string& path, const FlatMap& map,
                     const FlatFitsOptions& options = {});

/// Reads a square 2D FITS image written by write_flat_fits (or any square image with
/// |CDELT2| or |CD2_2| giving the pixel side in degrees): field_deg = n |CDELT2|. Throws
/// CallError naming the file and cfitsio's message, or std::runtime_error naming the file and
/// the problem (not 2D, not square, no pixel scale).
FlatMap read_flat_fits(const std::string& path, FlatFitsInfo* info = nullptr);

}  // namespace cosmograd::sim
