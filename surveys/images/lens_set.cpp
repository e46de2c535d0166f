#include "surveys/images/lens_set.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/core/settings.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/images/h5_arrays.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/noise.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/images/strong_lens.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// The columns a lens set reads, looked up once.
struct Galaxies {
  const std::vector<std::int64_t>* id;
  const std::vector<double>*z, *ms;
  const std::vector<bool>* quenched;
  std::vector<const std::vector<double>*> mags;
  std::size_t detection = 0;  ///< band of max_source_mag: r when present, else the middle one
};

/// One drawn lens system (or a lone deflector).
struct System {
  std::size_t lens = 0, source = 0;
  bool is_lens = false;
  double sigma = 0, theta_e = 0;
  SieLens sie;
  double beta_x = 0, beta_y = 0;
  Morphology lens_morph, source_morph;
};

double d_a_mpc(const sim::Cosmology& c, double z) {
  return c.angular_diameter_distance(1.0 / (1.0 + z)) / c.params().h;
}

/// Einstein radius [arcsec] of a deflector (sigma, z_l) for a source at z_s (flat universe:
/// D_ls = (chi_s - chi_l) / (1 + z_s)).
double theta_e_of(const sim::Cosmology& c, double sigma, double z_l, double z_s) {
  const double chi_l = c.chi(1.0 / (1.0 + z_l)), chi_s = c.chi(1.0 / (1.0 + z_s));
  return sis_einstein_radius_arcsec(sigma, (chi_s - chi_l) / (1.0 + z_s), chi_s / (1.0 + z_s));
}

/// Draws stamp k's system: a deflector, and for lenses a source behind it with theta_E large
/// enough, a position inside 0.8 theta_E, the SIE from the deflector's shape, external shear.
System draw_system(std::size_t k, const Galaxies& g, const std::vector<std::size_t>& deflectors,
                   const sim::Cosmology& cosmo, const LensSetOptions& o) {
  MockRng rng(o.seed, MockStream::kLensSet, k);
  System s;
  s.is_lens = k % 2 == 0;
  // Lenses and non-lenses select their deflector alike (one that has a bright enough source
  // behind it with theta_E >= min_theta_e), so the deflectors alone cannot tell them apart.
  for (int attempt = 0; attempt < 2000 && s.theta_e == 0; ++attempt) {
    s.lens = deflectors[static_cast<std::size_t>(rng.uniform() * deflectors.size())];
    s.sigma = deflector_sigma_kms((*g.ms)[s.lens]);
    const double z_l = (*g.z)[s.lens];
    s.source = static_cast<std::size_t>(rng.uniform() * g.z->size());
    const double z_s = (*g.z)[s.source];
    if (!(z_s >= z_l + o.source_dz) || !((*g.mags[g.detection])[s.source] <= o.max_source_mag))
      continue;
    const double theta_e = theta_e_of(cosmo, s.sigma, z_l, z_s);
    if (theta_e >= o.min_theta_e) s.theta_e = theta_e;
  }
  if (s.theta_e == 0)
    throw std::invalid_argument(
        "lens set: no source brighter than max_source_mag behind the deflectors gives theta_E "
        ">= min_theta_e = " +
        std::to_string(o.min_theta_e) +
        " arcsec (lower it, raise max_source_mag or use a deeper mock)");
  if (!s.is_lens) s.theta_e = 0;
  const auto lens_id = static_cast<std::uint64_t>((*g.id)[s.lens]);
  s.lens_morph = draw_morphology((*g.ms)[s.lens], true, (*g.z)[s.lens],
                                 d_a_mpc(cosmo, (*g.z)[s.lens]), false, 0, 0, o.seed, lens_id);
  const double e = std::hypot(s.lens_morph.e1, s.lens_morph.e2);
  s.sie.theta_e = std::max(s.theta_e, 1e-6);
  s.sie.q = (1.0 - e) / (1.0 + e);
  s.sie.phi_deg = 0.5 * std::atan2(s.lens_morph.e2, s.lens_morph.e1) * 180.0 / kPi;
  s.sie.gamma_ext = 0.05 * rng.uniform();
  s.sie.phi_ext_deg = 180.0 * rng.uniform();
  if (s.is_lens) {
    const double r = 0.8 * s.theta_e * std::sqrt(rng.uniform()), a = 2.0 * kPi * rng.uniform();
    s.beta_x = r * std::cos(a);
    s.beta_y = r * std::sin(a);
    const double z_s = (*g.z)[s.source];
    s.source_morph = draw_morphology((*g.ms)[s.source], false, z_s, d_a_mpc(cosmo, z_s), false, 0,
                                     0, o.seed, static_cast<std::uint64_t>((*g.id)[s.source]));
  }
  return s;
}

}  // namespace

void LensSetOptions::validate() const {
  sim::require(count >= 2 && count % 2 == 0 && count <= 1000000, "count", count,
               "even, in [2, 1e6]");
  sim::require(size >= 16 && size <= 512, "size", size, "in [16, 512] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(sim::positive(psf_fwhm), "psf_fwhm", psf_fwhm, "> 0 [arcsec]");
  sim::require(psf_beta > 1.0, "psf_beta", psf_beta, "> 1");
  sim::require(sim::positive(min_stellar_mass), "min_stellar_mass", min_stellar_mass, "> 0");
  sim::require(source_dz > 0, "source_dz", source_dz, "> 0");
  sim::require(min_theta_e > 0, "min_theta_e", min_theta_e, "> 0 [arcsec]");
  sim::require(min_z_lens >= 0, "min_z_lens", min_z_lens, ">= 0");
  sim::require(std::isfinite(max_source_mag), "max_source_mag", max_source_mag, "finite [mag]");
}

double deflector_sigma_kms(double stellar_mass) {
  sim::require(sim::positive(stellar_mass), "stellar mass [Msun]", stellar_mass, "> 0");
  return 250.0 * std::pow(stellar_mass / 2e11, 0.3);
}

LensSet make_lens_set(const Table& galaxies, const sim::Cosmology& cosmo, const LensSetOptions& o) {
  o.validate();
  Galaxies g{&galaxies.column("galaxy_id").as<std::int64_t>(),
             &galaxies.column("redshift_true").as<double>(),
             &galaxies.column("stellar_mass").as<double>(),
             &galaxies.column("quenched").as<bool>(),
             {}};
  LensSet set;
  set.size = o.size;
  set.pixel_scale = o.pixel_scale;
  std::vector<NoiseModel> noise;
  const double fwhm_px = o.psf_fwhm / o.pixel_scale;
  const int psf_half = static_cast<int>(std::ceil(4.0 * fwhm_px));
  const Image psf = moffat_psf(fwhm_px, o.psf_beta, 2 * psf_half + 1, 4.0);
  for (const Column& c : galaxies.columns) {
    if (c.name.rfind("mag_true_", 0) != 0) continue;
    set.bands.push_back(c.name.substr(9));
    g.mags.push_back(&c.as<double>());
    BandNoise bn;
    bn.m5 = std::nan("");
    for (const auto& [key, v] : galaxies.numeric_meta)
      if (key == "M5_" + set.bands.back()) bn.m5 = v;
    if (std::isnan(bn.m5))
      throw std::invalid_argument("lens set: the galaxy table has no metadata M5_" +
                                  set.bands.back());
    bn.sky_mag_per_arcsec2 = o.sky_mag;
    bn.pixel_scale_arcsec = o.pixel_scale;
    bn.read_noise_electrons = o.read_noise;
    noise.push_back(noise_model(bn, psf.values));
  }
  if (set.bands.empty()) throw std::invalid_argument("lens set: no mag_true_<band> columns");
  g.detection = static_cast<std::size_t>(std::find(set.bands.begin(), set.bands.end(), "r") -
                                         set.bands.begin());
  if (g.detection == set.bands.size()) g.detection = set.bands.size() / 2;
  std::vector<std::size_t> deflectors;
  for (std::size_t i = 0; i < galaxies.rows(); ++i)
    if ((*g.quenched)[i] && (*g.ms)[i] >= o.min_stellar_mass && (*g.z)[i] >= o.min_z_lens)
      deflectors.push_back(i);
  if (deflectors.empty())
    throw std::invalid_argument("lens set: no quenched galaxy above min_stellar_mass = " +
                                std::to_string(o.min_stellar_mass) + " Msun at z >= min_z_lens");

  const std::size_t nb = set.bands.size(), px = static_cast<std::size_t>(o.size) * o.size;
  set.images.assign(static_cast<std::size_t>(o.count) * nb * px, 0.0f);
  std::vector<std::int64_t> stamp, lens_id, source_id;
  std::vector<bool> is_lens;
  std::vector<double> z_l, z_s, sigma, theta_e, q, phi, gamma, bx, by, src_re, mu, in_stamp;
  std::vector<std::vector<double>> lens_flux(nb), src_flux(nb);
  for (std::size_t k = 0; k < static_cast<std::size_t>(o.count); ++k) {
    const System s = draw_system(k, g, deflectors, cosmo, o);
    const double c = 0.5 * o.size;  // the deflector at the stamp centre
    Image light = Image::zeros(o.size, o.size);
    const double re = std::max(0.1, s.lens_morph.re_arcsec / o.pixel_scale);
    add_bulge_disk(light, make_bulge_disk(1.0, s.lens_morph.bulge_fraction, 0.5 * re, re, c, c,
                                          s.lens_morph.e1, s.lens_morph.e2));
    const Image light_psf = convolve(light, psf);
    Image arcs = Image::zeros(o.size, o.size);
    double magnification = 0;
    if (s.is_lens) {
      SersicProfile src;  // in arcsec about the optical axis
      src.n = 1.0;
      src.half_light_radius = std::max(0.02, s.source_morph.re_arcsec);
      src.e1 = s.source_morph.e1;
      src.e2 = s.source_morph.e2;
      src.x0 = s.beta_x;
      src.y0 = s.beta_y;
      arcs.values = ray_shoot(
          s.sie, [&](double x, double y) { return sersic_intensity(src, x, y); }, o.size, o.size,
          o.pixel_scale, 4);
      magnification = arcs.sum();
      arcs = convolve(arcs, psf);
    }
    for (std::size_t b = 0; b < nb; ++b) {
      const double fl = mag_to_njy((*g.mags[b])[s.lens]);
      const double fs = s.is_lens ? mag_to_njy((*g.mags[b])[s.source]) : 0.0;
      std::vector<double> clean(px);
      for (std::size_t p = 0; p < px; ++p)
        clean[p] = std::max(0.0, (std::isfinite(fl) ? fl * light_psf.values[p] : 0.0) +
                                     (std::isfinite(fs) ? fs * arcs.values[p] : 0.0));
      const auto noisy = add_noise(clean, noise[b], o.seed, 1000000 + k * nb + b);
      std::copy(noisy.begin(), noisy.end(),
                set.images.begin() + static_cast<std::ptrdiff_t>((k * nb + b) * px));
      lens_flux[b].push_back(fl);
      src_flux[b].push_back(fs);
    }
    stamp.push_back(static_cast<std::int64_t>(k));
    is_lens.push_back(s.is_lens);
    lens_id.push_back((*g.id)[s.lens]);
    source_id.push_back(s.is_lens ? (*g.id)[s.source] : -1);
    z_l.push_back((*g.z)[s.lens]);
    z_s.push_back(s.is_lens ? (*g.z)[s.source] : 0.0);
    sigma.push_back(s.sigma);
    theta_e.push_back(s.theta_e);
    q.push_back(s.sie.q);
    phi.push_back(s.sie.phi_deg);
    gamma.push_back(s.sie.gamma_ext);
    bx.push_back(s.beta_x);
    by.push_back(s.beta_y);
    src_re.push_back(s.is_lens ? s.source_morph.re_arcsec : 0.0);
    mu.push_back(magnification);
    in_stamp.push_back(light_psf.sum());
  }
  Table& t = set.truth;
  t.name = "truth";
  t.description = "one row per stamp: lens or not, the deflector, the source and the geometry";
  t.add("stamp", "", "index into /images", stamp)
      .add("is_lens", "", "a lensed background galaxy is in the stamp", is_lens)
      .add("lens_galaxy_id", "", "deflector's galaxy_id in the mock", lens_id)
      .add("z_lens", "", "deflector redshift", z_l)
      .add("sigma_v", "km/s", "deflector velocity dispersion (Zahid et al. 2016 slope)", sigma)
      .add("theta_e", "arcsec", "Einstein radius (0: not a lens)", theta_e)
      .add("q", "", "SIE axis ratio (the deflector light's)", q)
      .add("phi", "deg", "SIE major-axis angle from +x towards +y", phi)
      .add("gamma_ext", "", "external shear", gamma)
      .add("source_galaxy_id", "", "source's galaxy_id (-1: none)", source_id)
      .add("z_source", "", "source redshift (0: none)", z_s)
      .add("beta_x", "arcsec", "source position relative to the deflector", bx)
      .add("beta_y", "arcsec", "source position relative to the deflector", by)
      .add("source_re", "arcsec", "source half-light radius (exponential disk)", src_re)
      .add("magnification", "", "lensed / unlensed source flux within the stamp", mu)
      .add("lens_stamp_fraction", "", "share of the deflector's light inside the stamp", in_stamp);
  for (std::size_t b = 0; b < nb; ++b) {
    t.add("lens_flux_" + set.bands[b], "nJy", "deflector flux in " + set.bands[b], lens_flux[b]);
    t.add("source_flux_" + set.bands[b], "nJy", "unlensed source flux in " + set.bands[b],
          src_flux[b]);
  }
  t.numeric_meta = {{"PixelScale", o.pixel_scale},
                    {"PsfFwhm", o.psf_fwhm},
                    {"Seed", static_cast<double>(o.seed)}};
  return set;
}

void write_lens_stamps(const std::string& path, const LensSet& set, double pixel_scale) {
  using namespace sim::detail;
  const std::size_t nb = set.bands.size(), px = static_cast<std::size_t>(set.size) * set.size;
  const hsize_t count = nb && px ? set.images.size() / (nb * px) : 0;
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id space =
        h5_dataspace({count, nb, static_cast<hsize_t>(set.size), static_cast<hsize_t>(set.size)},
                     path + "/images");
    H5Id dset = h5_create_dataset(file.get(), "images", H5T_IEEE_F32LE, space.get(), path);
    if (!set.images.empty())
      h5_check(
          H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.images.data()),
          "H5Dwrite", path + "/images");
    std::string bands;
    for (const auto& b : set.bands) bands += (bands.empty() ? "" : ",") + b;
    h5_write_string_attribute(dset.get(), "bands", bands, path);
    h5_write_string_attribute(dset.get(), "unit", "nJy", path);
    h5_write_attribute(dset.get(), "pixel_scale", pixel_scale, path);
    dset.close("H5Dclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

LensSet read_lens_set(const std::string& dir) {
  using namespace sim::detail;
  const std::string path = dir + "/lens_stamps.h5";
  H5Id file = h5_open_file(path);
  LensSet set;
  std::vector<hsize_t> dims;
  set.images = detail::read_floats(file.get(), "images", 4, dims, path);
  const hsize_t n = dims[0], nb = dims[1], s = dims[2];
  detail::require_shape(path, "images", dims, {n, nb, s, s});
  set.size = static_cast<int>(s);
  H5Id dset = h5_open_dataset(file.get(), "images", path);
  set.bands = sim::split_list(h5_read_string_attribute(dset.get(), "bands", path));
  if (set.bands.size() != nb)
    throw std::runtime_error(path + ": attribute bands names " + std::to_string(set.bands.size()) +
                             " bands, /images has " + std::to_string(nb));
  set.pixel_scale = h5_read_scalar_attribute<double>(dset.get(), "pixel_scale", path);
  const std::vector<Table> tables = read_tables_hdf5(dir + "/truth.h5");
  if (tables.empty() || tables[0].name != "truth" || tables[0].rows() != n)
    throw std::runtime_error(dir + "/truth.h5: expected a table 'truth' with one row per stamp (" +
                             std::to_string(n) + ")");
  set.truth = tables[0];
  return set;
}

}  // namespace cosmograd::surveys
