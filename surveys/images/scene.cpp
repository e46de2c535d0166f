#include "surveys/images/scene.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {
namespace {

bool has_column(const Table& t, const std::string& name) {
  return std::any_of(t.columns.begin(), t.columns.end(),
                     [&](const Column& c) { return c.name == name; });
}

double numeric_meta(const Table& t, const std::string& key) {
  for (const auto& [k, v] : t.numeric_meta)
    if (k == key) return v;
  throw std::invalid_argument("table '" + t.name + "' has no metadata '" + key +
                              "' (a galaxy mock of `cosmograd mock catalog` has it)");
}

/// The bands to draw: the requested ones, else every mag_true_<band> column.
std::vector<std::string> tile_bands(const Table& t, const std::vector<std::string>& requested) {
  std::vector<std::string> bands = requested;
  if (bands.empty())
    for (const Column& c : t.columns)
      if (c.name.rfind("mag_true_", 0) == 0) bands.push_back(c.name.substr(9));
  if (bands.empty()) throw std::invalid_argument("tile: the galaxy table has no mag_true_<band>");
  for (const auto& b : bands)
    if (!has_column(t, "mag_true_" + b))
      throw std::invalid_argument("tile: band '" + b + "' has no column mag_true_" + b);
  return bands;
}

double psf_fwhm_of(const TileOptions& o, const std::string& band) {
  for (const auto& [b, f] : o.psf_fwhm_band)
    if (b == band) return f;
  return o.psf_fwhm_arcsec;
}

double sky_of(const TileOptions& o, const std::string& band) {
  for (const auto& [b, m] : o.sky_mag)
    if (b == band) return m;
  return 21.2;
}

}  // namespace

void paint_bulge_disk(Image& stamp, const GalaxyDraw& g, double cx, double cy) {
  const double re_px = std::max(0.1, g.morph.re_arcsec / g.pixel_scale);
  add_bulge_disk(stamp, make_bulge_disk(1.0, g.morph.bulge_fraction, 0.5 * re_px, re_px, cx, cy,
                                        g.morph.e1, g.morph.e2));
}

std::vector<PlacedStamp> render_galaxy_stamps(const GalaxyDraw& g, double x, double y,
                                              const std::vector<Image>& psfs,
                                              const GalaxyPainter& painter) {
  int psf_half = 0;
  for (const Image& psf : psfs) psf_half = std::max({psf_half, psf.nx / 2, psf.ny / 2});
  const double re_px = std::max(0.1, g.morph.re_arcsec / g.pixel_scale);
  const int half = std::clamp(static_cast<int>(std::ceil(8.0 * re_px)) + psf_half, 8, 160);
  const int ox = static_cast<int>(std::floor(x)) - half,
            oy = static_cast<int>(std::floor(y)) - half;
  Image stamp = Image::zeros(2 * half + 1, 2 * half + 1);
  (painter ? painter : paint_bulge_disk)(stamp, g, x - ox, y - oy);
  std::vector<PlacedStamp> out;
  for (const Image& psf : psfs) {
    PlacedStamp p{convolve(stamp, psf), ox, oy};
    for (double& v : p.image.values) v = std::max(0.0, v);  // FFT rounding leaves -1e-17s
    out.push_back(std::move(p));
  }
  return out;
}

PlacedStamp render_galaxy_stamp(const GalaxyDraw& g, double x, double y, const Image& psf,
                                const GalaxyPainter& painter) {
  return render_galaxy_stamps(g, x, y, {psf}, painter).front();
}

void TileOptions::validate() const {
  sim::require(nx >= 16 && nx <= 16384, "nx", nx, "in [16, 16384] [pixels]");
  sim::require(ny >= 16 && ny <= 16384, "ny", ny, "in [16, 16384] [pixels]");
  sim::require(sim::positive(wcs.pixel_scale_arcsec), "pixel_scale", wcs.pixel_scale_arcsec,
               "> 0 [arcsec]");
  sim::require(sim::positive(psf_fwhm_arcsec), "psf_fwhm", psf_fwhm_arcsec, "> 0 [arcsec]");
  for (const auto& [band, f] : psf_fwhm_band)
    sim::require(sim::positive(f), "psf_fwhm_band " + band, f, "> 0 [arcsec]");
  sim::require(psf_beta > 1.0 && psf_beta <= 20.0, "psf_beta", psf_beta, "in (1, 20]");
  sim::require(read_noise_electrons >= 0, "read_noise", read_noise_electrons, ">= 0");
  sim::require(segmentation_sigma > 0, "segmentation_sigma", segmentation_sigma, "> 0");
}

Tile render_tile(const Table& galaxies, const sim::Cosmology& cosmo, const TileOptions& o) {
  o.validate();
  for (const char* c : {"galaxy_id", "ra", "dec", "redshift_true", "stellar_mass", "quenched"})
    if (!has_column(galaxies, c))
      throw std::invalid_argument(std::string("tile: the galaxy table has no column '") + c +
                                  "' (a lightcone mock has it)");
  const std::vector<std::string> bands = tile_bands(galaxies, o.bands);
  Tile tile;
  tile.wcs = resolve_reference_pixel(o.wcs, o.nx, o.ny);
  const double scale = tile.wcs.pixel_scale_arcsec;

  // A Moffat PSF per band, truncated at 4 FWHM and held whole by its stamp.
  std::vector<Image> psfs;
  std::vector<double> fwhm;
  int psf_half = 0;
  for (const auto& b : bands) {
    fwhm.push_back(psf_fwhm_of(o, b));
    const double fwhm_px = fwhm.back() / scale;
    const int half = static_cast<int>(std::ceil(4.0 * fwhm_px));
    psfs.push_back(moffat_psf(fwhm_px, o.psf_beta, 2 * half + 1, 4.0));
    psf_half = std::max(psf_half, half);
  }
  for (const auto& b : bands) {
    const Image& psf = psfs[tile.noise.size()];
    BandNoise bn;
    bn.m5 = numeric_meta(galaxies, "M5_" + b);
    bn.sky_mag_per_arcsec2 = sky_of(o, b);
    bn.pixel_scale_arcsec = scale;
    bn.read_noise_electrons = o.read_noise_electrons;
    tile.noise.push_back(noise_model(bn, psf.values));
    BandImage img;
    img.band = b;
    img.nx = o.nx;
    img.ny = o.ny;
    img.unit = "nJy";
    img.values.assign(static_cast<std::size_t>(o.nx) * o.ny, 0.0);
    tile.noiseless.push_back(img);
  }
  const double threshold = o.segmentation_sigma * tile.noise.front().sigma_background;

  const auto& id = galaxies.column("galaxy_id").as<std::int64_t>();
  const auto& ra = galaxies.column("ra").as<double>();
  const auto& dec = galaxies.column("dec").as<double>();
  const auto& zt = galaxies.column("redshift_true").as<double>();
  const auto& ms = galaxies.column("stellar_mass").as<double>();
  const auto& quenched = galaxies.column("quenched").as<bool>();
  const bool have_shape = has_column(galaxies, "e1") && has_column(galaxies, "e2");
  std::vector<const std::vector<double>*> mags;
  for (const auto& b : bands) mags.push_back(&galaxies.column("mag_true_" + b).as<double>());
  const double h = cosmo.params().h;

  std::vector<double> seg_best(tile.noiseless.front().values.size(), 0.0);
  std::vector<std::int32_t> seg_count(seg_best.size(), 0);
  tile.segmentation.assign(seg_best.size(), 0);
  std::vector<std::vector<std::size_t>> above;  // per drawn galaxy: its pixels over threshold
  std::vector<std::int64_t> t_id;
  std::vector<double> t_x, t_y, t_ra, t_dec, t_z, t_re, t_bt, t_e1, t_e2;
  std::vector<std::vector<double>> t_flux(bands.size());
  for (std::size_t i = 0; i < galaxies.rows(); ++i) {
    const auto pix = sky_to_pixel(tile.wcs, ra[i], dec[i]);
    if (!std::isfinite(pix[0])) continue;
    const double x = pix[0] + 0.5, y = pix[1] + 0.5;  // image coordinates: pixel centres at +0.5
    const double margin = 3.0 * psf_half;
    if (x < -margin || y < -margin || x > o.nx + margin || y > o.ny + margin) continue;
    double brightest = 99;
    for (const auto* m : mags) brightest = std::min(brightest, (*m)[i]);
    if (!(brightest <= o.max_mag) || !(zt[i] > 0)) continue;
    const double d_a = cosmo.angular_diameter_distance(1.0 / (1.0 + zt[i])) / h;
    const Morphology morph =
        draw_morphology(ms[i], quenched[i], zt[i], d_a, have_shape,
                        have_shape ? galaxies.column("e1").as<double>()[i] : 0.0,
                        have_shape ? galaxies.column("e2").as<double>()[i] : 0.0, o.seed,
                        static_cast<std::uint64_t>(id[i]));
    // Painted once, convolved with each band's PSF (all on one stamp).
    const std::vector<PlacedStamp> placed = render_galaxy_stamps(
        {id[i], morph, (*mags[0])[i], scale, &galaxies, i}, x, y, psfs, o.painter);
    const int ox = placed[0].ox, oy = placed[0].oy;
    const std::size_t row = t_id.size();
    std::vector<std::size_t> mine;
    for (int sy = 0; sy < placed[0].image.ny; ++sy) {
      const int ty = oy + sy;
      if (ty < 0 || ty >= o.ny) continue;
      for (int sx = 0; sx < placed[0].image.nx; ++sx) {
        const int tx = ox + sx;
        if (tx < 0 || tx >= o.nx) continue;
        const std::size_t p = static_cast<std::size_t>(ty) * o.nx + tx;
        for (std::size_t b = 0; b < bands.size(); ++b) {
          const double f = mag_to_njy((*mags[b])[i]);
          if (std::isfinite(f)) tile.noiseless[b].values[p] += f * placed[b].image.at(sx, sy);
        }
        const double v0 = placed[0].image.at(sx, sy) * mag_to_njy((*mags[0])[i]);
        if (v0 > threshold) {
          mine.push_back(p);
          ++seg_count[p];
          if (v0 > seg_best[p]) {
            seg_best[p] = v0;
            tile.segmentation[p] = static_cast<std::int32_t>(row + 1);
          }
        }
      }
    }
    above.push_back(std::move(mine));
    t_id.push_back(id[i]);
    t_x.push_back(x);
    t_y.push_back(y);
    t_ra.push_back(ra[i]);
    t_dec.push_back(dec[i]);
    t_z.push_back(zt[i]);
    t_re.push_back(morph.re_arcsec);
    t_bt.push_back(morph.bulge_fraction);
    t_e1.push_back(morph.e1);
    t_e2.push_back(morph.e2);
    for (std::size_t b = 0; b < bands.size(); ++b) t_flux[b].push_back(mag_to_njy((*mags[b])[i]));
  }

  std::vector<std::int32_t> seg_pixels(t_id.size(), 0);
  std::vector<bool> blended(t_id.size(), false);
  for (std::size_t p = 0; p < tile.segmentation.size(); ++p)
    if (tile.segmentation[p] > 0) ++seg_pixels[static_cast<std::size_t>(tile.segmentation[p] - 1)];
  for (std::size_t g = 0; g < above.size(); ++g)
    for (std::size_t p : above[g])
      if (seg_count[p] > 1) {
        blended[g] = true;
        break;
      }

  for (std::size_t b = 0; b < bands.size(); ++b) {
    BandImage noisy = tile.noiseless[b];
    noisy.values = add_noise(tile.noiseless[b].values, tile.noise[b], o.seed, b);
    const sim::FitsKeyword gain{"GAIN", tile.noise[b].electrons_per_njy,
                                "electrons per image unit (nJy), for SExtractor"};
    const sim::FitsKeyword zp{"MAGZERO", 31.4, "AB zero point of nJy"};
    const sim::FitsKeyword sig{"SKYSIG", tile.noise[b].sigma_background,
                               "background rms per pixel [nJy]"};
    noisy.keywords = {gain, zp, sig};
    tile.noiseless[b].keywords = {zp};
    tile.noisy.push_back(std::move(noisy));
  }

  Table& t = tile.truth;
  t.name = "truth";
  t.description = "galaxies drawn into the tile (true positions, shapes and fluxes)";
  t.add("galaxy_id", "", "galaxy_id in the galaxy mock", t_id)
      .add("x", "pix", "centre along x, pixel (ix, iy) centred at (ix + 0.5, iy + 0.5)", t_x)
      .add("y", "pix", "centre along y", t_y)
      .add("ra", "deg", "right ascension", t_ra)
      .add("dec", "deg", "declination", t_dec)
      .add("redshift_true", "", "cosmological redshift", t_z)
      .add("re", "arcsec", "half-light radius of the disk (bulge: half of it), circularised", t_re)
      .add("bulge_fraction", "", "bulge (n = 4) share of the flux; disk n = 1", t_bt)
      .add("e1", "", "ellipticity (a - b)/(a + b) along x", t_e1)
      .add("e2", "", "ellipticity along the diagonal x = y", t_e2);
  for (std::size_t b = 0; b < bands.size(); ++b)
    t.add("flux_" + bands[b], "nJy", "true flux in " + bands[b], t_flux[b]);
  t.add("segment_pixels", "", "pixels of its segment (the brightest galaxy of each pixel)",
        seg_pixels)
      .add("blended", "", "its above-threshold pixels overlap another galaxy's", blended);
  t.numeric_meta = {{"PixelScale", scale},           {"PsfFwhm", o.psf_fwhm_arcsec},
                    {"PsfBeta", o.psf_beta},         {"CenterRA", tile.wcs.ra_deg},
                    {"CenterDec", tile.wcs.dec_deg}, {"SegmentationThreshold", threshold}};
  for (std::size_t b = 0; b < bands.size(); ++b) {
    t.numeric_meta.emplace_back("PsfFwhm_" + bands[b], fwhm[b]);
    t.numeric_meta.emplace_back("SigmaBg_" + bands[b], tile.noise[b].sigma_background);
    t.numeric_meta.emplace_back("ElectronsPerNjy_" + bands[b], tile.noise[b].electrons_per_njy);
  }
  return tile;
}

}  // namespace cosmograd::surveys
