// `cosmograd mock stamps`: single-galaxy stamps of a lightcone galaxy mock for generative image
// models (a StampSet, surveys/images/stamp_set.hpp): each galaxy centred with a sub-pixel
// offset, drawn as an irregular galaxy (bulge, spiral-armed disk, knots; irregular.hpp) or a
// plain bulge + disk, convolved with its own Moffat PSF, with noise at the catalogue's depth;
// conditioned on the catalogue size and magnitude as Lanusse et al. 2021 (MNRAS 504, 5543)
// condition on COSMOS catalogue sizes and magnitudes.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "sim/io/png.hpp"
#include "surveys/images/irregular.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/noise.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/images/stamp_set.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::apps {
namespace {

/// LSST dark-sky brightness per band [AB mag/arcsec^2] (Ivezic et al. 2019, as `mock images`);
/// other bands 21.2.
double lsst_sky(const std::string& band) {
  const std::pair<const char*, double> sky[] = {{"u", 22.9}, {"g", 22.3}, {"r", 21.2},
                                                {"i", 20.5}, {"z", 19.6}, {"y", 18.6}};
  for (const auto& [b, m] : sky)
    if (band == b) return m;
  return 21.2;
}

/// Moffat (1969) beta of every stamp's PSF (as `mock images` and `mock lenses`).
constexpr double kPsfBeta = 3.5;

/// How the stamps are drawn (the command's keys).
struct StampOptions {
  int count = 2000;            ///< stamps wanted (fewer when fewer galaxies pass the cuts)
  int size = 32;               ///< stamp side [pixels]
  double pixel_scale = 0.1;    ///< [arcsec]
  std::string band = "i";      ///< band of the magnitudes and the noise
  double max_mag = 23.5;       ///< galaxies brighter than this [AB mag]
  double min_re = 0.15;        ///< smallest half-light radius [arcsec]
  double max_re_pixels = 4;    ///< largest half-light radius [pixels]
  double psf_fwhm_min = 0.15;  ///< PSF FWHM range, drawn uniformly per stamp [arcsec]
  double psf_fwhm_max = 0.3;   ///< [arcsec]
  bool irregular = true;       ///< irregular galaxies (else plain bulge + disk)
  double depth_mag = 0;        ///< 5-sigma point-source depth [AB mag] (NaN: the table's M5)
  double sky = 0;              ///< sky brightness [AB mag/arcsec^2]
  double read_noise = 9;       ///< [electrons]
  std::uint64_t seed = 1;      ///< every draw keyed by it

  /// Throws std::invalid_argument naming the key, the value and what is allowed.
  void validate() const {
    sim::require(count >= 1 && count <= 10000000, "count", count, "in [1, 1e7]");
    sim::require(size >= 8 && size <= 1024, "size", size, "in [8, 1024] [pixels]");
    sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
    sim::require(std::isfinite(max_mag), "max_mag", max_mag, "finite [mag]");
    sim::require(min_re >= 0 && std::isfinite(min_re), "min_re", min_re, ">= 0 [arcsec]");
    sim::require(sim::positive(max_re_pixels), "max_re_pixels", max_re_pixels, "> 0 [pixels]");
    sim::require(sim::positive(psf_fwhm_min), "psf_fwhm_min", psf_fwhm_min, "> 0 [arcsec]");
    sim::require(std::isfinite(psf_fwhm_max) && psf_fwhm_max >= psf_fwhm_min, "psf_fwhm_max",
                 psf_fwhm_max, ">= psf_fwhm_min = " + std::to_string(psf_fwhm_min) + " [arcsec]");
    sim::require(std::isnan(depth_mag) || std::isfinite(depth_mag), "depth_mag", depth_mag,
                 "empty or finite [mag]");
    sim::require(std::isfinite(sky), "sky", sky, "finite [mag/arcsec^2]");
    sim::require(read_noise >= 0 && std::isfinite(read_noise), "read_noise", read_noise,
                 ">= 0 [electrons]");
  }
};

/// The PSF side P [pixels]: odd, 2 ceil(2.5 FWHM_max) + 1 (the Moffat beyond 2.5 FWHM holds ~1%
/// of the light at beta 3.5; the stamp PSF is normalised to 1 over P x P and is exactly what
/// convolved the stamp), at least 3 and at most the stamp.
int psf_side(const StampOptions& o) {
  const int largest = o.size % 2 ? o.size : o.size - 1;
  const int p = 2 * static_cast<int>(std::ceil(2.5 * o.psf_fwhm_max / o.pixel_scale)) + 1;
  return std::clamp(p, 3, largest);
}

/// A galaxy that passed the cuts.
struct Candidate {
  std::size_t row = 0;
  surveys::Morphology morph;
};

/// 8 x 8 grid of the first 64 noisy stamps, grey with an asinh stretch (softening one
/// background sigma, white at the stamp's brightest pixel), each pixel drawn 2 x 2.
void stamp_grid_png(const std::string& path, const surveys::StampSet& set) {
  const int s = set.size, zoom = 2, cells = 8, gap = 2;
  const int cell = s * zoom + gap;
  const std::size_t px = static_cast<std::size_t>(s) * s;
  sim::Image grid(cells * cell + gap, cells * cell + gap, sim::RGB{40, 40, 40});
  for (std::size_t k = 0; k < std::min<std::size_t>(64, set.count()); ++k) {
    const float* v = &set.images[k * px];
    const double soft = set.noise_sigma[k];
    const double top = std::asinh(std::max(*std::max_element(v, v + px) / soft, 1.0));
    const int ox = gap + static_cast<int>(k % cells) * cell,
              oy = gap + static_cast<int>(k / cells) * cell;
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const double t = std::asinh(v[static_cast<std::size_t>(y) * s + x] / soft) / top;
        const auto g = static_cast<std::uint8_t>(std::lround(255.0 * std::clamp(t, 0.0, 1.0)));
        // Row iy = 0 at the bottom, as astronomical images are displayed.
        for (int dy = 0; dy < zoom; ++dy)
          for (int dx = 0; dx < zoom; ++dx)
            grid.set(ox + zoom * x + dx, oy + zoom * (s - 1 - y) + dy, sim::RGB{g, g, g});
      }
  }
  sim::write_png(path, grid);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int mock_stamps(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"count", "", "2000", "stamps (fewer when fewer galaxies pass the cuts)"},
      {"size", "pixels", "32", "stamp side"},
      {"pixel_scale", "arcsec", "0.1", "pixel side"},
      {"band", "", "i", "band of the magnitudes (mag_true_<band>) and of the noise"},
      {"max_mag", "mag", "23.5", "galaxies brighter than this in the band"},
      {"min_re", "arcsec", "0.15", "galaxies with a half-light radius at least this"},
      {"max_re_pixels", "pixels", "4", "skip galaxies whose disk R_e exceeds this"},
      {"psf_fwhm_min", "arcsec", "0.15",
       "each stamp's Moffat (beta 3.5) FWHM is uniform in [psf_fwhm_min, psf_fwhm_max]"},
      {"psf_fwhm_max", "arcsec", "0.3", "the upper end of the PSF FWHM range"},
      {"irregular", "", "true", "bulge + spiral-armed disk + knots (false: plain bulge + disk)"},
      {"depth_mag", "mag", "", "5-sigma point-source depth (empty: the table's M5_<band>)"},
      {"sky", "mag/arcsec^2", "",
       "sky brightness (empty: LSST dark sky of the band, u:22.9,g:22.3,r:21.2,i:20.5,z:19.6,"
       "y:18.6; others 21.2)"},
      {"read_noise", "electrons", "9", "read noise per pixel"},
      {"seed", "", "1", "random seed (order, offsets, PSFs, shapes, structure, noise)"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "stamps", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "mock stamps",
      "usage: cosmograd mock stamps [config.ini] --galaxies DIR/galaxies.h5 [--count 2000] "
      "[--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty()) throw std::invalid_argument("cosmograd mock stamps: give --galaxies FILE");
  StampOptions o;
  o.count = static_cast<int>(s.get_int("count"));
  o.size = static_cast<int>(s.get_int("size"));
  o.pixel_scale = s.get_double("pixel_scale");
  o.band = s.get_string("band");
  o.max_mag = s.get_double("max_mag");
  o.min_re = s.get_double("min_re");
  o.max_re_pixels = s.get_double("max_re_pixels");
  o.psf_fwhm_min = s.get_double("psf_fwhm_min");
  o.psf_fwhm_max = s.get_double("psf_fwhm_max");
  o.irregular = s.get_bool("irregular");
  o.depth_mag = s.get_string("depth_mag").empty() ? std::nan("") : s.get_double("depth_mag");
  o.sky = s.get_string("sky").empty() ? lsst_sky(o.band) : s.get_double("sky");
  o.read_noise = s.get_double("read_noise");
  o.seed = seed_setting(s);
  o.validate();

  const surveys::Table galaxies = read_galaxy_table(path);
  const sim::Cosmology cosmo = mock_cosmology(galaxies);
  const std::string mag_column = "mag_true_" + o.band;
  const bool have_band = std::any_of(galaxies.columns.begin(), galaxies.columns.end(),
                                     [&](const auto& c) { return c.name == mag_column; });
  if (!have_band) {
    std::string bands;
    for (const auto& c : galaxies.columns)
      if (c.name.rfind("mag_true_", 0) == 0)
        bands += (bands.empty() ? "" : ", ") + c.name.substr(9);
    sim::bad_setting("band", o.band,
                     "has no column " + mag_column + " in " + path + " (bands: " + bands + ")");
  }
  if (std::isnan(o.depth_mag)) {
    for (const auto& [key, v] : galaxies.numeric_meta)
      if (key == "M5_" + o.band) o.depth_mag = v;
    if (std::isnan(o.depth_mag))
      sim::bad_setting("depth_mag", "", path + " has no metadata M5_" + o.band + "; give a depth");
  }
  const auto& id = galaxies.column("galaxy_id").as<std::int64_t>();
  const auto& zt = galaxies.column("redshift_true").as<double>();
  const auto& ms = galaxies.column("stellar_mass").as<double>();
  const auto& quenched = galaxies.column("quenched").as<bool>();
  const auto& mag = galaxies.column(mag_column).as<double>();
  const bool have_shape = std::any_of(galaxies.columns.begin(), galaxies.columns.end(),
                                      [](const auto& c) { return c.name == "e1"; }) &&
                          std::any_of(galaxies.columns.begin(), galaxies.columns.end(),
                                      [](const auto& c) { return c.name == "e2"; });
  const double h = cosmo.params().h;

  // The cuts, counted one after another for the error message and the summary.
  std::vector<Candidate> pass;
  std::size_t n_mag = 0, n_min_re = 0;
  for (std::size_t i = 0; i < galaxies.rows(); ++i) {
    if (!(mag[i] <= o.max_mag) || !(zt[i] > 0)) continue;
    ++n_mag;
    const double d_a = cosmo.angular_diameter_distance(1.0 / (1.0 + zt[i])) / h;
    Candidate c{i,
                surveys::draw_morphology(ms[i], quenched[i], zt[i], d_a, have_shape,
                                         have_shape ? galaxies.column("e1").as<double>()[i] : 0.0,
                                         have_shape ? galaxies.column("e2").as<double>()[i] : 0.0,
                                         o.seed, static_cast<std::uint64_t>(id[i]))};
    if (!(c.morph.re_arcsec >= o.min_re)) continue;
    ++n_min_re;
    if (!(c.morph.re_arcsec / o.pixel_scale <= o.max_re_pixels)) continue;
    if (!(std::hypot(c.morph.e1, c.morph.e2) < 0.99)) continue;
    pass.push_back(c);
  }
  if (pass.empty()) {
    std::ostringstream msg;
    msg << "cosmograd mock stamps: no galaxy of " << path << " passes the cuts (" << galaxies.rows()
        << " galaxies; " << n_mag << " with " << mag_column << " <= max_mag = " << o.max_mag << "; "
        << n_min_re << " of those with R_e >= min_re = " << o.min_re
        << " arcsec; none of those with R_e <= max_re_pixels = " << o.max_re_pixels << " x "
        << o.pixel_scale << " arcsec and |e| < 0.99): raise max_mag or max_re_pixels, or lower "
        << "min_re";
    throw std::invalid_argument(msg.str());
  }
  // A seeded random order (Fisher-Yates on the stream (seed, kStampSet, 0)), the first count.
  surveys::MockRng order(o.seed, surveys::MockStream::kStampSet, 0);
  for (std::size_t i = pass.size() - 1; i > 0; --i)
    std::swap(pass[i], pass[static_cast<std::size_t>(order.uniform() * (i + 1))]);
  const std::size_t n = std::min(pass.size(), static_cast<std::size_t>(o.count));
  if (n < static_cast<std::size_t>(o.count))
    sim::log_warn("mock stamps: only ", pass.size(), " galaxies pass the cuts; ", n,
                  " stamps instead of count = ", o.count);

  surveys::StampSet set;
  set.size = o.size;
  set.psf_size = psf_side(o);
  set.band = o.band;
  set.unit = "nJy";
  set.pixel_scale = o.pixel_scale;
  set.zero_point = 31.4;
  set.source = "cosmograd mock stamps of " + path + " (" +
               (o.irregular ? "irregular" : "bulge + disk") + " galaxies, seed " +
               std::to_string(o.seed) + ")";
  surveys::BandNoise bn;
  bn.m5 = o.depth_mag;
  bn.sky_mag_per_arcsec2 = o.sky;
  bn.pixel_scale_arcsec = o.pixel_scale;
  bn.read_noise_electrons = o.read_noise;
  bn.validate();

  const std::size_t px = static_cast<std::size_t>(o.size) * o.size;
  std::vector<std::int64_t> t_id, t_stamp;
  std::vector<std::int32_t> t_arms, t_knots;
  std::vector<bool> t_quenched;
  std::vector<double> t_z, t_ms, t_mag, t_re, t_bt, t_e1, t_e2, t_fwhm, t_amp, t_pitch, t_kf, t_dx,
      t_dy, t_frac;
  for (std::size_t k = 0; k < n; ++k) {
    const Candidate& c = pass[k];
    const std::size_t i = c.row;
    surveys::MockRng rng(o.seed, surveys::MockStream::kStampSet, k + 1);
    const double dx = rng.uniform() - 0.5, dy = rng.uniform() - 0.5;
    const double fwhm = o.psf_fwhm_min + (o.psf_fwhm_max - o.psf_fwhm_min) * rng.uniform();
    const surveys::Image psf = surveys::moffat_psf(fwhm / o.pixel_scale, kPsfBeta, set.psf_size);
    const double x0 = 0.5 * o.size + dx, y0 = 0.5 * o.size + dy;
    const double flux = surveys::mag_to_njy(mag[i]);
    const double re_px = std::max(0.1, c.morph.re_arcsec / o.pixel_scale);
    surveys::Image light = surveys::Image::zeros(o.size, o.size);
    surveys::IrregularGalaxy g;
    if (o.irregular) {
      g = surveys::draw_irregular_galaxy(c.morph, o.pixel_scale, x0, y0, quenched[i], o.seed,
                                         static_cast<std::uint64_t>(id[i]));
      g.flux = flux;
      surveys::add_irregular_galaxy(light, g);
    } else {
      surveys::add_bulge_disk(
          light, surveys::make_bulge_disk(flux, c.morph.bulge_fraction, 0.5 * re_px, re_px, x0, y0,
                                          c.morph.e1, c.morph.e2));
    }
    const surveys::Image conv = surveys::convolve(light, psf);
    std::vector<double> clean(px);
    double in_stamp = 0;
    for (std::size_t p = 0; p < px; ++p) {
      clean[p] = std::max(0.0, conv.values[p]);  // FFT rounding leaves -1e-17s
      in_stamp += clean[p];
    }
    const surveys::NoiseModel model = surveys::noise_model(bn, psf.values);
    const std::vector<double> noisy = surveys::add_noise(clean, model, o.seed, k);
    for (std::size_t p = 0; p < px; ++p) {
      set.images.push_back(static_cast<float>(noisy[p]));
      set.noiseless.push_back(static_cast<float>(clean[p]));
      set.intrinsic.push_back(static_cast<float>(light.values[p]));
    }
    for (double v : psf.values) set.psfs.push_back(static_cast<float>(v));
    set.noise_sigma.push_back(static_cast<float>(model.sigma_background));
    // The condition: the catalogue size (the morphology's disk R_e in pixels), as Lanusse et
    // al. 2021 condition on COSMOS catalogue sizes, not one measured on the stamp.
    set.half_light_radius.push_back(static_cast<float>(c.morph.re_arcsec / o.pixel_scale));
    set.mag.push_back(static_cast<float>(mag[i]));

    t_stamp.push_back(static_cast<std::int64_t>(k));
    t_id.push_back(id[i]);
    t_z.push_back(zt[i]);
    t_ms.push_back(ms[i]);
    t_quenched.push_back(quenched[i]);
    t_mag.push_back(mag[i]);
    t_re.push_back(c.morph.re_arcsec);
    t_bt.push_back(c.morph.bulge_fraction);
    t_e1.push_back(c.morph.e1);
    t_e2.push_back(c.morph.e2);
    t_fwhm.push_back(fwhm);
    t_arms.push_back(g.arms);
    t_amp.push_back(g.arm_amplitude);
    t_pitch.push_back(o.irregular && g.arms > 0 ? g.pitch_deg : 0.0);
    t_knots.push_back(static_cast<std::int32_t>(g.knots.size()));
    t_kf.push_back(g.knot_fraction);
    t_dx.push_back(dx);
    t_dy.push_back(dy);
    t_frac.push_back(in_stamp / flux);
  }
  surveys::Table t;
  t.name = "truth";
  t.description = "one row per stamp of stamps.h5, in its order";
  t.add("stamp", "", "index into stamps.h5", t_stamp)
      .add("galaxy_id", "", "galaxy_id in the galaxy mock", t_id)
      .add("redshift_true", "", "cosmological redshift", t_z)
      .add("stellar_mass", "solMass", "stellar mass", t_ms)
      .add("quenched", "", "quenched (early type)", t_quenched)
      .add("mag", "mag", "AB magnitude mag_true_" + o.band + " (the stamp's condition)", t_mag)
      .add("re_arcsec", "arcsec", "disk half-light radius (van der Wel et al. 2014)", t_re)
      .add("bulge_fraction", "", "bulge (n = 4) share of the non-knot flux", t_bt)
      .add("e1", "", "ellipticity (a - b)/(a + b) along x", t_e1)
      .add("e2", "", "ellipticity (a - b)/(a + b) along the diagonal", t_e2)
      .add("psf_fwhm", "arcsec", "the stamp's Moffat (beta 3.5) FWHM", t_fwhm)
      .add("arms", "", "spiral arms (0: none)", t_arms)
      .add("arm_amplitude", "", "spiral modulation amplitude A", t_amp)
      .add("pitch", "deg", "spiral pitch angle (0: no arms)", t_pitch)
      .add("knots", "", "star-forming knots", t_knots)
      .add("knot_fraction", "", "share of the flux in knots", t_kf)
      .add("dx", "pixel", "galaxy centre minus the stamp centre along x", t_dx)
      .add("dy", "pixel", "galaxy centre minus the stamp centre along y", t_dy)
      .add("stamp_fraction", "", "share of the galaxy's PSF-convolved flux inside the stamp",
           t_frac);
  t.numeric_meta = {{"PixelScale", o.pixel_scale},
                    {"PsfBeta", kPsfBeta},
                    {"DepthMag", o.depth_mag},
                    {"SkyMag", o.sky},
                    {"ReadNoise", o.read_noise},
                    {"ZeroPoint", set.zero_point},
                    {"Seed", static_cast<double>(o.seed)}};
  t.string_meta = {{"Band", o.band}, {"Renderer", o.irregular ? "irregular" : "bulge_disk"}};

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  std::vector<std::string> files = {dir + "/stamps.h5"};
  surveys::write_stamp_set(files[0], set);
  for (const auto& f : write_mock_tables(dir + "/truth", {t}, "both")) files.push_back(f);
  stamp_grid_png(dir + "/stamps_examples.png", set);
  files.push_back(dir + "/stamps_examples.png");

  std::vector<double> sig(set.noise_sigma.begin(), set.noise_sigma.end());
  std::size_t with_arms = 0, fits = 0;
  for (std::size_t k = 0; k < n; ++k) {
    with_arms += t_arms[k] > 0;
    fits += t_frac[k] >= 0.98;
  }
  std::ostringstream sum;
  sum << "# cosmograd mock stamps\nstamps " << n << "\nrequested " << o.count << "\npassing_cuts "
      << pass.size() << "\n";
  if (n < static_cast<std::size_t>(o.count))
    sum << "# fewer galaxies pass the cuts than count: every one of them is used\n";
  sum << "band " << o.band << "\nsize_pixels " << o.size << "\npsf_size_pixels " << set.psf_size
      << "\npixel_scale_arcsec " << o.pixel_scale << "\ndepth_mag " << o.depth_mag
      << "\nsky_mag_per_arcsec2 " << o.sky << "\nrenderer "
      << (o.irregular ? "irregular" : "bulge_disk") << "\nwith_arms " << with_arms
      << "\nnoise_sigma_median_nJy " << median(sig) << "\nre_median_arcsec " << median(t_re)
      << "\nmag_median " << median(t_mag) << "\nstamp_fraction_above_0.98 " << fits << "\n";
  finish_mock_dir(out, files, sum.str(), s, "cosmograd mock stamps");
  sim::log_info("mock stamps: ", n, " stamps of ", o.size, " x ", o.size, " pixels in ", dir);
  return 0;
}

}  // namespace cosmograd::apps
