// `cosmograd mock images`: a survey tile of a lightcone galaxy mock: multi-band FITS images with
// a TAN WCS (noisy and noiseless), a segmentation map, the truth table and a colour composite.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "surveys/images/lens_set.hpp"
#include "surveys/images/scene.hpp"

namespace cosmograd::apps {
namespace {

namespace fs = std::filesystem;

/// The mean direction of the galaxies [deg] (the default tile centre).
std::array<double, 2> mean_direction(const surveys::Table& t) {
  const auto& ra = t.column("ra").as<double>();
  const auto& dec = t.column("dec").as<double>();
  double x = 0, y = 0, z = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const double a = ra[i] * M_PI / 180, d = dec[i] * M_PI / 180;
    x += std::cos(d) * std::cos(a);
    y += std::cos(d) * std::sin(a);
    z += std::sin(d);
  }
  double r = std::atan2(y, x) * 180 / M_PI;
  if (r < 0) r += 360;
  return {r, std::atan2(z, std::hypot(x, y)) * 180 / M_PI};
}

std::string tile_summary(const surveys::Tile& tile) {
  const auto& t = tile.truth;
  const auto& blended = t.column("blended").as<bool>();
  std::size_t n_blended = 0;
  for (bool b : blended) n_blended += b;
  std::ostringstream s;
  s << "# cosmograd mock images\ngalaxies " << t.rows() << "\nblended " << n_blended
    << "\n# band sigma_background[nJy/pixel] electrons_per_nJy sky[nJy/pixel] n_eff[pixels]\n";
  for (std::size_t b = 0; b < tile.noise.size(); ++b)
    s << tile.noisy[b].band << " " << tile.noise[b].sigma_background << " "
      << tile.noise[b].electrons_per_njy << " " << tile.noise[b].sky_njy << " "
      << tile.noise[b].n_eff << "\n";
  return s.str();
}

/// A 4 x 4 grid of colour stamps: the first 8 lenses on the top two rows, the first 8
/// non-lenses below, each pixel drawn 2 x 2. Returns whether it was written (>= 3 bands).
bool lens_grid_png(const std::string& path, const surveys::LensSet& set) {
  const auto& is_lens = set.truth.column("is_lens").as<bool>();
  std::vector<std::size_t> lenses, others;
  for (std::size_t k = 0; k < is_lens.size(); ++k) (is_lens[k] ? lenses : others).push_back(k);
  std::vector<std::size_t> cells(16, is_lens.size());  // past the end: a black cell
  for (std::size_t i = 0; i < 8; ++i) {
    if (i < lenses.size()) cells[i] = lenses[i];
    if (i < others.size()) cells[8 + i] = others[i];
  }
  return write_stamp_grid_png(path, set.images, set.bands.size(), set.size, cells, 2);
}

}  // namespace

int mock_lenses(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"count", "", "200", "stamps, half lenses (even)"},
      {"size", "pixels", "64", "stamp side"},
      {"pixel_scale", "arcsec", "0.2", "pixel side"},
      {"psf_fwhm", "arcsec", "0.7", "Moffat PSF full width at half maximum"},
      {"min_stellar_mass", "Msun", "1e11", "deflectors: quenched galaxies above this mass"},
      {"min_theta_e", "arcsec", "0.6", "smallest Einstein radius of a lens"},
      {"source_dz", "", "0.3", "sources at least this far behind the deflector"},
      {"min_z_lens", "", "0.2", "deflectors at this redshift or beyond"},
      {"max_source_mag", "mag", "23.5", "sources brighter than this in r"},
      {"seed", "", "1", "random seed"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "lenses", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "mock lenses",
      "usage: cosmograd mock lenses [config.ini] --galaxies DIR/galaxies.h5 [--count 200] "
      "[--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty()) throw std::invalid_argument("cosmograd mock lenses: give --galaxies FILE");
  surveys::LensSetOptions o;
  o.count = static_cast<int>(s.get_int("count"));
  o.size = static_cast<int>(s.get_int("size"));
  o.pixel_scale = s.get_double("pixel_scale");
  o.psf_fwhm = s.get_double("psf_fwhm");
  o.min_stellar_mass = s.get_double("min_stellar_mass");
  o.min_theta_e = s.get_double("min_theta_e");
  o.source_dz = s.get_double("source_dz");
  o.min_z_lens = s.get_double("min_z_lens");
  o.max_source_mag = s.get_double("max_source_mag");
  o.seed = seed_setting(s);
  o.validate();
  const surveys::Table galaxies = read_galaxy_table(path);
  const surveys::LensSet set = surveys::make_lens_set(galaxies, mock_cosmology(galaxies), o);

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  std::vector<std::string> files = {dir + "/lens_stamps.h5"};
  surveys::write_lens_stamps(files[0], set, o.pixel_scale);
  for (const auto& f : write_mock_tables(dir + "/truth", {set.truth}, "both")) files.push_back(f);
  if (lens_grid_png(dir + "/lens_examples.png", set)) files.push_back(dir + "/lens_examples.png");
  const auto& theta = set.truth.column("theta_e").as<double>();
  const auto& mu = set.truth.column("magnification").as<double>();
  std::vector<double> th, m;
  for (std::size_t k = 0; k < theta.size(); ++k)
    if (theta[k] > 0) {
      th.push_back(theta[k]);
      m.push_back(mu[k]);
    }
  std::sort(th.begin(), th.end());
  std::sort(m.begin(), m.end());
  std::ostringstream sum;
  sum << "# cosmograd mock lenses\nstamps " << theta.size() << "\nlenses " << th.size()
      << "\ntheta_e_median_arcsec " << (th.empty() ? 0 : th[th.size() / 2])
      << "\ntheta_e_range_arcsec " << (th.empty() ? 0 : th.front()) << " "
      << (th.empty() ? 0 : th.back()) << "\nmagnification_median "
      << (m.empty() ? 0 : m[m.size() / 2]) << "\n";
  finish_mock_dir(out, files, sum.str(), s, "cosmograd mock lenses");
  sim::log_info("mock lenses: ", theta.size(), " stamps (", th.size(), " lenses) in ", dir);
  return 0;
}

int mock_images(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"nx", "pixels", "1024", "tile width"},
      {"ny", "pixels", "1024", "tile height"},
      {"pixel_scale", "arcsec", "0.2", "pixel side"},
      {"ra", "deg", "", "tile centre (empty: the galaxies' mean direction)"},
      {"dec", "deg", "", "tile centre (empty: the galaxies' mean direction)"},
      {"rotation", "deg", "0", "position angle of +y from north through east"},
      {"bands", "", "", "bands to draw (empty: every mag_true_<band> of the table)"},
      {"psf_fwhm", "arcsec", "0.7", "Moffat PSF full width at half maximum"},
      {"psf_fwhm_band", "arcsec", "",
       "per-band FWHM overriding psf_fwhm, e.g. u:0.92,g:0.87,r:0.83,i:0.80,z:0.78,y:0.76 (LSST "
       "delivered seeing, Ivezic et al. 2019); empty: psf_fwhm in every band"},
      {"psf_beta", "", "3.5", "Moffat beta"},
      {"sky", "mag/arcsec^2", "u:22.9,g:22.3,r:21.2,i:20.5,z:19.6,y:18.6",
       "sky brightness per band (LSST dark sky, Ivezic et al. 2019); others 21.2"},
      {"read_noise", "electrons", "9", "read noise per pixel"},
      {"max_mag", "mag", "30", "skip galaxies fainter than this in every band"},
      {"segmentation_sigma", "", "1",
       "segment threshold in background sigma of the first band (noiseless PSF-convolved flux)"},
      generative_model_key(),
      {"seed", "", "1", "noise and shape seed"},
      {"threads", "", "0", "OpenMP threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier tile in --out"},
      {"out", "", "images", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "mock images",
      "usage: cosmograd mock images [config.ini] --galaxies DIR/galaxies.h5 [--key value ...] "
      "[--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty()) throw std::invalid_argument("cosmograd mock images: give --galaxies FILE");
  surveys::TileOptions o;  // threads: set by parse_command
  o.nx = static_cast<int>(s.get_int("nx"));
  o.ny = static_cast<int>(s.get_int("ny"));
  o.wcs.pixel_scale_arcsec = s.get_double("pixel_scale");
  o.wcs.rotation_deg = s.get_double("rotation");
  o.bands = sim::split_list(s.get_string("bands"));
  o.psf_fwhm_arcsec = s.get_double("psf_fwhm");
  o.psf_fwhm_band = band_values(s, "psf_fwhm_band");
  o.psf_beta = s.get_double("psf_beta");
  o.sky_mag = band_values(s, "sky");
  o.read_noise_electrons = s.get_double("read_noise");
  o.max_mag = s.get_double("max_mag");
  o.segmentation_sigma = s.get_double("segmentation_sigma");
  o.seed = seed_setting(s);
  o.validate();
  o.painter = generative_painter(s, o.seed);

  const surveys::Table galaxies = read_galaxy_table(path);
  const auto centre = mean_direction(galaxies);
  o.wcs.ra_deg = s.get_string("ra").empty() ? centre[0] : s.get_double("ra");
  o.wcs.dec_deg = s.get_string("dec").empty() ? centre[1] : s.get_double("dec");
  const surveys::Tile tile = surveys::render_tile(galaxies, mock_cosmology(galaxies), o);

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  std::vector<std::string> files = {dir + "/tile.fits", dir + "/tile_noiseless.fits",
                                    dir + "/segmentation.fits"};
  surveys::write_image_fits(files[0], tile.noisy, tile.wcs);
  surveys::write_image_fits(files[1], tile.noiseless, tile.wcs);
  surveys::BandImage seg;
  seg.band = "segmentation";
  seg.nx = o.nx;
  seg.ny = o.ny;
  seg.values.assign(tile.segmentation.begin(), tile.segmentation.end());
  surveys::write_single_image_fits(files[2], seg, tile.wcs);
  for (const auto& f : write_mock_tables(dir + "/truth", {tile.truth}, "both")) files.push_back(f);
  if (tile.noisy.size() >= 3) {
    const std::size_t n = tile.noisy.size();
    const std::size_t r = n >= 4 ? 3 : n - 1, g = r - 1, b = r - 2;  // i, r, g of ugrizy
    const double stretch = 5.0 * tile.noise[r].sigma_background;
    surveys::write_rgb_png(dir + "/tile_rgb.png", tile.noisy[r], tile.noisy[g], tile.noisy[b],
                           stretch, 8.0);
    files.push_back(dir + "/tile_rgb.png");
  }
  finish_mock_dir(out, files, tile_summary(tile), s, "cosmograd mock images");
  sim::log_info("mock images: ", tile.truth.rows(), " galaxies in a ", o.nx, " x ", o.ny,
                " tile in ", dir);
  return 0;
}

}  // namespace cosmograd::apps
