// Survey tiles from a lightcone galaxy mock: every galaxy inside a TAN field rendered as a
// bulge + disk (morphology.hpp) in each band with its catalogue flux, convolved with the
// band's PSF, summed into multi-band images with noise consistent with the catalogue's depths
// (noise.hpp), plus a segmentation map and a truth table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/images/image_fits.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/noise.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// One galaxy to draw: what a painter may use.
struct GalaxyDraw {
  std::int64_t galaxy_id = 0;    ///< galaxy_id in the mock (keys random draws)
  Morphology morph;              ///< size, bulge fraction, ellipticity
  double mag = 0;                ///< AB magnitude in the first drawn band [mag]
  double pixel_scale = 0.2;      ///< of the image [arcsec]
  const Table* table = nullptr;  ///< the galaxy table it comes from (any column), or none
  std::size_t row = 0;           ///< its row in `table`
};

/// Adds a galaxy's unit-flux light before the PSF to `stamp` (zeros on entry, odd sides) with
/// its centre at (cx, cy) [pixels, image coordinates]. The default draws the bulge + disk.
using GalaxyPainter =
    std::function<void(Image& stamp, const GalaxyDraw& galaxy, double cx, double cy)>;

/// The bulge (n = 4, half the disk's radius) + disk (n = 1) painter of the morphology.
void paint_bulge_disk(Image& stamp, const GalaxyDraw& galaxy, double cx, double cy);

/// A galaxy's PSF-convolved unit-flux image on a square stamp about its centre.
struct PlacedStamp {
  Image image;  ///< odd side; negative FFT rounding clipped to 0
  int ox = 0;   ///< image column of the stamp's pixel (0, 0)
  int oy = 0;   ///< image row of the stamp's pixel (0, 0)
};

/// Renders `galaxy` centred at (x, y) [pixels, image coordinates] on a stamp holding 8 R_e plus
/// the PSF's half side (between 8 and 160 pixels each side), painted by `painter` (empty:
/// paint_bulge_disk) and convolved with `psf` (odd sides).
PlacedStamp render_galaxy_stamp(const GalaxyDraw& galaxy, double x, double y, const Image& psf,
                                const GalaxyPainter& painter = {});

/// The same for several PSFs (e.g. one per band): the galaxy is painted once on a stamp sized
/// for the widest PSF and convolved with each; one PlacedStamp per PSF, all the same stamp.
std::vector<PlacedStamp> render_galaxy_stamps(const GalaxyDraw& galaxy, double x, double y,
                                              const std::vector<Image>& psfs,
                                              const GalaxyPainter& painter = {});

/// How a tile is drawn.
struct TileOptions {
  int nx = 1024, ny = 1024;        ///< tile size [pixels]
  TanWcs wcs;                      ///< sky position, pixel scale [arcsec], rotation
  std::vector<std::string> bands;  ///< bands to draw (columns mag_true_<band>; empty: all)
  double psf_fwhm_arcsec = 0.7;    ///< Moffat PSF full width at half maximum [arcsec]
  /// Per-band FWHM [arcsec] overriding psf_fwhm_arcsec for the bands listed.
  std::vector<std::pair<std::string, double>> psf_fwhm_band;
  double psf_beta = 3.5;  ///< Moffat beta
  /// Sky brightness per band [AB mag/arcsec^2]; bands not listed get 21.2 (LSST dark r sky).
  std::vector<std::pair<std::string, double>> sky_mag;
  double read_noise_electrons = 9.0;  ///< read noise per pixel [electrons]
  double max_mag = 30.0;              ///< galaxies fainter than this in every band are skipped
  double segmentation_sigma = 1.0;    ///< segment threshold in background sigma of the first band
  std::uint64_t seed = 1;             ///< noise and shape draws
  GalaxyPainter painter;              ///< galaxy light before the PSF (empty: bulge + disk)
  void validate() const;              ///< throws std::invalid_argument naming the option
};

/// A rendered tile.
struct Tile {
  TanWcs wcs;                              ///< its WCS (reference pixel resolved)
  std::vector<BandImage> noisy;            ///< per band, nJy per pixel, sky-subtracted
  std::vector<BandImage> noiseless;        ///< the same without noise
  std::vector<NoiseModel> noise;           ///< per band
  std::vector<std::int32_t> segmentation;  ///< nx * ny: 0 background, else truth row + 1
  Table truth;                             ///< one row per drawn galaxy
};

/// Draws the galaxies of `galaxies` (a lightcone mock's table: ra, dec, redshift_true,
/// stellar_mass, quenched, mag_true_<band>, optionally e1, e2; metadata M5_<band> for the
/// depths) that fall inside the tile. Throws std::invalid_argument naming a missing column,
/// band or depth.
Tile render_tile(const Table& galaxies, const sim::Cosmology& cosmo, const TileOptions& options);

}  // namespace cosmograd::surveys
