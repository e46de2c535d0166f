// Multi-band galaxy images as FITS files with a gnomonic (TAN) WCS (Calabretta & Greisen 2002,
// A&A 395, 1077), readable by astropy.wcs, ds9 and SExtractor, and asinh colour composites as
// PNG (Lupton et al. 2004, PASP 116, 133).
//
// Pixel convention: array pixel (ix, iy), 0-based, holds values[iy * nx + ix]; its centre is at
// 0-based pixel coordinates (x, y) = (ix, iy), which is FITS pixel (ix + 1, iy + 1) (FITS pixels
// are 1-based: NAXIS1 = nx runs along x, NAXIS2 = ny along y). This is astropy's origin = 0
// (wcs.wcs_pix2world(x, y, 0)) and numpy's data[iy, ix]. Pixel (ix, iy) covers
// [ix - 0.5, ix + 0.5] x [iy - 0.5, iy + 0.5].
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/sky/healpix_fits.hpp"

namespace cosmograd::surveys {

/// One band of an image: nx * ny values, row-major, values[iy * nx + ix] at pixel (ix, iy).
struct BandImage {
  std::string band;            ///< band name (EXTNAME and FILTER): printable, 1 to 68 characters
  int nx = 0;                  ///< pixels along x (NAXIS1), 1 to 65535
  int ny = 0;                  ///< pixels along y (NAXIS2), 1 to 65535
  std::vector<double> values;  ///< nx * ny values, values[iy * nx + ix] (NaN: no data)
  std::string unit;            ///< BUNIT, e.g. "nJy" or "adu" ("": none written)
  /// Keywords for this band's HDU only (e.g. ZEROPT, GAIN); written, not read back.
  std::vector<sim::FitsKeyword> keywords;
};

/// A TAN WCS with square pixels: north up and east left when rotation_deg = 0.
struct TanWcs {
  double ra_deg = 0;   ///< CRVAL1: right ascension of the reference pixel [deg], finite
  double dec_deg = 0;  ///< CRVAL2: declination of the reference pixel [deg], in [-90, 90]
  /// CRPIX1, CRPIX2: FITS 1-based reference pixel (0-based x = crpix1 - 1); NaN (the default):
  /// the image centre ((nx + 1) / 2, (ny + 1) / 2), filled in by resolve_reference_pixel.
  double crpix1 = std::numeric_limits<double>::quiet_NaN();
  double crpix2 = std::numeric_limits<double>::quiet_NaN();  ///< see crpix1
  double pixel_scale_arcsec = 0.2;  ///< pixel side at the reference pixel [arcsec], > 0
  /// Position angle of the +y axis [deg], from north through east; +x is 90 deg clockwise of it
  /// on the sky (east left, as seen on the sky). CROTA2 = -rotation_deg.
  double rotation_deg = 0;
};

/// FITS BITPIX of the written images.
enum class FitsBitpix { kFloat32 = -32, kFloat64 = -64 };

/// `wcs` with an unset (NaN) crpix1 / crpix2 replaced by the centre of an nx x ny image,
/// (nx + 1) / 2 and (ny + 1) / 2 (FITS 1-based), i.e. 0-based (nx - 1) / 2, (ny - 1) / 2.
TanWcs resolve_reference_pixel(TanWcs wcs, int nx, int ny);

/// The CD matrix [deg / pixel] of `wcs`, {CD1_1, CD1_2, CD2_1, CD2_2} = s {-cos r, sin r, sin r,
/// cos r} with s the pixel scale [deg] and r = rotation_deg.
std::array<double, 4> cd_matrix(const TanWcs& wcs);

/// (RA, Dec) [deg] of 0-based pixel coordinates (x, y) (FITS pixel (x + 1, y + 1)), gnomonic
/// projection with LONPOLE = 180 (Calabretta & Greisen 2002, eqs. 2, 54); RA in [0, 360).
/// The reference pixel maps to (ra_deg, dec_deg) exactly. Throws std::invalid_argument naming
/// the field for a bad or unresolved WCS.
std::array<double, 2> pixel_to_sky(const TanWcs& wcs, double x, double y);

/// 0-based pixel coordinates (x, y) of (ra_deg, dec_deg), the inverse of pixel_to_sky; {NaN,
/// NaN} for points 90 deg or more from the reference point (not on the tangent plane).
std::array<double, 2> sky_to_pixel(const TanWcs& wcs, double ra_deg, double dec_deg);

/// Writes `bands` (at least one; unique names ignoring case; all the same nx x ny) to `path`
/// atomically (temporary "<path>.tmp.<pid>", then rename; missing directories are created): an
/// empty primary HDU with NBANDS and `keywords` / `strings`, then one IMAGE extension per band
/// (SExtractor: file.fits[1], ...) with EXTNAME = FILTER = band, BUNIT, the TAN WCS (CTYPE,
/// CUNIT, CRVAL, CRPIX, CD matrix, LONPOLE 180, RADESYS 'ICRS', EQUINOX 2000), `keywords` and
/// `strings` again (e.g. GAIN, so SExtractor finds them) and the band's own keywords. An unset
/// crpix is the image centre. Throws std::invalid_argument naming a bad band, WCS or keyword
/// (before anything is written), CallError naming the file when the OS or cfitsio fails.
void write_image_fits(const std::string& path, const std::vector<BandImage>& bands,
                      const TanWcs& wcs, const std::vector<sim::FitsKeyword>& keywords = {},
                      const std::vector<sim::FitsStringKeyword>& strings = {},
                      FitsBitpix bitpix = FitsBitpix::kFloat32);

/// Writes one band as a plain 2D primary-HDU image (FILTER = band, no EXTNAME), the simplest
/// form for SExtractor; otherwise as write_image_fits.
void write_single_image_fits(const std::string& path, const BandImage& band, const TanWcs& wcs,
                             const std::vector<sim::FitsKeyword>& keywords = {},
                             const std::vector<sim::FitsStringKeyword>& strings = {},
                             FitsBitpix bitpix = FitsBitpix::kFloat32);

/// Reads the bands of a file written by write_image_fits (each IMAGE extension) or
/// write_single_image_fits (the primary image): band = EXTNAME (else FILTER, else ""), unit =
/// BUNIT, values as double (exact for -64 files, the float values for -32); keywords are not
/// read. When `wcs` is given it receives the common WCS (CD matrix, or CDELT with optional PC),
/// rotation_deg in (-180, 180]. Throws CallError naming the file and cfitsio's message, or
/// std::runtime_error naming the file, the HDU and the problem (not a 2D image, not RA---TAN /
/// DEC--TAN, pixels not square or mirrored, LONPOLE not 180, bands with different WCS).
std::vector<BandImage> read_image_fits(const std::string& path, TanWcs* wcs = nullptr);

/// The Lupton et al. (2004) asinh colour composite of three bands of the same size as 8-bit RGB:
/// with c = band - minimum and I = (c_r + c_g + c_b) / 3, each channel is c * F(I) / I with
/// F(I) = asinh(q I / stretch) / q, negative channels are set to 0 and a pixel whose largest
/// channel exceeds 1 is divided by it (keeping its colour), then scaled to 0..255 (rounded).
/// Pixels with I <= 0 or not finite are black. Returns nx * ny * 3 bytes, rows from the top:
/// north up, so PNG row 0 is iy = ny - 1 and pixel (ix, iy) is at byte 3 * ((ny-1-iy) nx + ix).
/// Throws std::invalid_argument for bad bands, stretch <= 0, q <= 0, or non-finite values.
std::vector<std::uint8_t> lupton_rgb(const BandImage& r, const BandImage& g, const BandImage& b,
                                     double stretch, double q, double minimum = 0);

/// Writes lupton_rgb(r, g, b, stretch, q, minimum) as an 8-bit RGB PNG, atomically.
void write_rgb_png(const std::string& path, const BandImage& r, const BandImage& g,
                   const BandImage& b, double stretch, double q, double minimum = 0);

}  // namespace cosmograd::surveys
