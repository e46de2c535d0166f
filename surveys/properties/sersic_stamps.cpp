// Single-Sersic stamps of a lightcone mock: drawing, selection and the HDF5 file.
#include "surveys/properties/sersic_stamps.hpp"

#include <hdf5.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/batched/batched_render.hpp"
#include "surveys/images/h5_arrays.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/noise.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {
namespace {

using detail::root_string;
using sim::detail::H5Id;

/// Keys the Sersic stamps' streams apart from the other property stamps' (same purpose).
constexpr std::uint64_t kSersicStreamTag = 0x5e45ULL << 48;

/// Throws std::invalid_argument "<field>.size() = <size>: must be <n> (...)" unless equal.
void require_length(const std::string& field, std::size_t size, std::size_t n) {
  sim::require(size == n, field + ".size()", static_cast<double>(size),
               std::to_string(n) + " (one per stamp, or per pixel of every stamp)");
}

/// Writes `data` as dataset `name` of shape `dims` (file type float32 for float, float64 for
/// double, int64 for int64).
template <class T>
void write_array(hid_t loc, const std::string& name, const std::vector<T>& data,
                 const std::vector<hsize_t>& dims, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  hid_t file_type = H5T_STD_I64LE;
  if constexpr (std::is_floating_point_v<T>) file_type = h5_file_float_type<T>();
  H5Id space = h5_dataspace(dims, context);
  H5Id dset = h5_create_dataset(loc, name, file_type, space.get(), context);
  if (!data.empty())
    h5_check(H5Dwrite(dset.get(), h5_native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
             "H5Dwrite", context);
  dset.close("H5Dclose", context);
}

/// Reads the 1-D dataset `name` of N values as T; errors name the file and the dataset.
template <class T>
std::vector<T> read_column(hid_t loc, const std::string& name, hsize_t n, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  H5Id dset = h5_open_dataset(loc, name, path);
  const std::vector<hsize_t> dims = h5_dataset_shape(dset.get(), context);
  detail::require_shape(path, name, dims, {n});
  std::vector<T> v(static_cast<std::size_t>(n));
  if (n > 0)
    h5_check(H5Dread(dset.get(), h5_native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
             "H5Dread", context);
  return v;
}

/// A galaxy passing the magnitude and size cuts, with its draws.
struct Draw {
  std::size_t row = 0;
  double re_px = 0, n = 0, e1 = 0, e2 = 0, dx = 0, dy = 0, fwhm_px = 0, flux = 0, mag = 0;
};

}  // namespace

void SersicStampSet::validate() const {
  sim::require(size >= 8 && size <= 1024, "size", size, "in [8, 1024] [pixels]");
  sim::require(psf_size >= 1 && psf_size <= size && psf_size % 2 == 1, "psf_size", psf_size,
               "odd, in [1, size = " + std::to_string(size) + "] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(std::isfinite(zero_point), "zero_point", zero_point, "finite [mag]");
  sim::require(truncation >= 1.5 && truncation <= 100, "truncation", truncation,
               "in [1.5, 100] [R_e]");
  sim::require(oversample >= 1 && oversample <= 16, "oversample", oversample, "in [1, 16]");
  if (band.empty()) throw std::invalid_argument("band = '': must be a band name (e.g. i)");
  const std::size_t n_ = count(), px = static_cast<std::size_t>(size) * size,
                    pp = static_cast<std::size_t>(psf_size) * psf_size;
  require_length("images", images.size(), n_ * px);
  require_length("psfs", psfs.size(), n_ * pp);
  for (const auto* v :
       {&noise_sigma, &half_light_radius, &n, &q, &pa, &x0, &y0, &mag, &psf_fwhm, &snr, &redshift})
    require_length("truth column", v->size(), n_);
  require_length("galaxy_id", galaxy_id.size(), n_);
  for (std::size_t k = 0; k < n_; ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    sim::require(sim::positive(noise_sigma[k]), "noise_sigma" + at, noise_sigma[k],
                 "> 0 [nJy per pixel]");
    sim::require(sim::positive(flux[k]), "flux" + at, flux[k], "> 0 [nJy]");
    sim::require(sim::positive(half_light_radius[k]), "half_light_radius" + at,
                 half_light_radius[k], "> 0 [pixels]");
    sim::require(n[k] >= 0.3 && n[k] <= 6.2, "n" + at, n[k], "in [0.3, 6.2]");
    sim::require(q[k] > 0 && q[k] <= 1, "q" + at, q[k], "in (0, 1]");
    sim::require(std::isfinite(pa[k]) && std::fabs(pa[k]) <= M_PI, "pa" + at, pa[k],
                 "in [-pi, pi] [rad]");
    sim::require(std::isfinite(x0[k]) && std::isfinite(y0[k]), "x0, y0" + at, x0[k] + y0[k],
                 "finite [pixels]");
  }
  for (std::size_t i = 0; i < images.size(); ++i)
    if (!std::isfinite(images[i]))
      sim::require(false, "images[" + std::to_string(i) + "]", images[i], "finite [nJy]");
}

SersicStampSet SersicStampSet::subset(const std::vector<std::size_t>& rows) const {
  SersicStampSet out;
  out.size = size;
  out.psf_size = psf_size;
  out.pixel_scale = pixel_scale;
  out.zero_point = zero_point;
  out.truncation = truncation;
  out.oversample = oversample;
  out.band = band;
  out.source = source;
  const std::size_t px = static_cast<std::size_t>(size) * size,
                    pp = static_cast<std::size_t>(psf_size) * psf_size;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t k = rows[i];
    sim::require(k < count(), "rows[" + std::to_string(i) + "]", static_cast<double>(k),
                 "< N = " + std::to_string(count()));
    out.images.insert(out.images.end(), images.begin() + static_cast<std::ptrdiff_t>(k * px),
                      images.begin() + static_cast<std::ptrdiff_t>((k + 1) * px));
    out.psfs.insert(out.psfs.end(), psfs.begin() + static_cast<std::ptrdiff_t>(k * pp),
                    psfs.begin() + static_cast<std::ptrdiff_t>((k + 1) * pp));
    out.noise_sigma.push_back(noise_sigma[k]);
    out.flux.push_back(flux[k]);
    out.half_light_radius.push_back(half_light_radius[k]);
    out.n.push_back(n[k]);
    out.q.push_back(q[k]);
    out.pa.push_back(pa[k]);
    out.x0.push_back(x0[k]);
    out.y0.push_back(y0[k]);
    out.mag.push_back(mag[k]);
    out.psf_fwhm.push_back(psf_fwhm[k]);
    out.snr.push_back(snr[k]);
    out.redshift.push_back(redshift[k]);
    out.galaxy_id.push_back(galaxy_id[k]);
  }
  return out;
}

void SersicStampOptions::validate() const {
  sim::require(count >= 1 && count <= 10000000, "count", count, "in [1, 1e7]");
  sim::require(size >= 8 && size <= 1024, "size", size, "in [8, 1024] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(std::isfinite(max_mag), "max_mag", max_mag, "finite [mag]");
  sim::require(min_snr >= 0 && std::isfinite(min_snr), "min_snr", min_snr, ">= 0");
  sim::require(sim::positive(min_re_pixels), "min_re_pixels", min_re_pixels, "> 0 [pixels]");
  sim::require(std::isfinite(max_re_pixels) && max_re_pixels >= min_re_pixels, "max_re_pixels",
               max_re_pixels, ">= min_re_pixels = " + std::to_string(min_re_pixels) + " [pixels]");
  sim::require(n_min >= 0.3 && n_min <= 6.2, "n_min", n_min, "in [0.3, 6.2] (the renderer's)");
  sim::require(n_max >= n_min && n_max <= 6.2, "n_max", n_max,
               "in [n_min = " + std::to_string(n_min) + ", 6.2]");
  sim::require(max_ellipticity > 0 && max_ellipticity < 0.99, "max_ellipticity", max_ellipticity,
               "in (0, 0.99)");
  sim::require(sim::positive(psf_fwhm_min), "psf_fwhm_min", psf_fwhm_min, "> 0 [arcsec]");
  sim::require(std::isfinite(psf_fwhm_max) && psf_fwhm_max >= psf_fwhm_min, "psf_fwhm_max",
               psf_fwhm_max, ">= psf_fwhm_min = " + std::to_string(psf_fwhm_min) + " [arcsec]");
  sim::require(std::isnan(depth_mag) || std::isfinite(depth_mag), "depth_mag", depth_mag,
               "NaN (the sample's m5) or finite [mag]");
  sim::require(std::isfinite(sky), "sky", sky, "finite [mag/arcsec^2]");
  sim::require(read_noise >= 0 && std::isfinite(read_noise), "read_noise", read_noise,
               ">= 0 [electrons]");
  sim::require(oversample >= 1 && oversample <= 16, "oversample", oversample, "in [1, 16]");
  sim::require(truncation >= 1.5 && truncation <= 100, "truncation", truncation,
               "in [1.5, 100] [R_e]");
}

SersicStampSet make_sersic_stamps(const PhotometrySample& sample, const std::string& band,
                                  const SersicStampOptions& o) {
  o.validate();
  const std::size_t b = sample.band_index(band), nb = sample.band_count();
  sim::CosmologyParams params = sim::planck2015();
  params.Omega_m = sample.omega_m;
  params.h = sample.hubble;
  const sim::Cosmology cosmo(params);
  const double depth = std::isnan(o.depth_mag) ? sample.m5[b] : o.depth_mag;

  SersicStampSet set;
  set.size = o.size;
  // PSF side: odd, 2 ceil(2.5 FWHM_max) + 1 (as `mock stamps`: ~1% of a beta 3.5 Moffat's light
  // lies beyond 2.5 FWHM; the stamp PSF is normalised over P x P and is what convolved it).
  const int largest = o.size % 2 ? o.size : o.size - 1;
  set.psf_size = std::clamp(
      2 * static_cast<int>(std::ceil(2.5 * o.psf_fwhm_max / o.pixel_scale)) + 1, 3, largest);
  set.pixel_scale = o.pixel_scale;
  set.truncation = o.truncation;
  set.oversample = o.oversample;
  set.band = band;
  std::ostringstream src;
  src << "cosmograd properties structure data of " << sample.source << " (single Sersic, n "
      << "log-uniform in [" << o.n_min << ", " << o.n_max << "], depth " << depth << " mag, sky "
      << o.sky << " mag/arcsec^2, seed " << o.seed << ")";
  set.source = src.str();

  // Candidates in a seeded random order; each galaxy's draws keyed by (seed, its id).
  std::vector<std::size_t> order(sample.count());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  MockRng shuffle(o.seed, MockStream::kPropertyStamps, kSersicStreamTag - 1);
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[static_cast<std::size_t>(shuffle.uniform() * i) % i]);
  std::size_t n_mag = 0, n_size = 0, n_tried = 0;
  std::vector<Draw> batch;
  const int s = o.size, p = set.psf_size;
  const std::size_t px = static_cast<std::size_t>(s) * s;
  BandNoise bn;
  bn.m5 = depth;
  bn.sky_mag_per_arcsec2 = o.sky;
  bn.pixel_scale_arcsec = o.pixel_scale;
  bn.read_noise_electrons = o.read_noise;
  bn.validate();

  // Renders `batch`, keeps the stamps passing the S/N cut (until count).
  const auto flush = [&]() {
    if (batch.empty()) return;
    const auto nbatch = static_cast<int64_t>(batch.size());
    const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
    std::vector<double> f, re, nn, e1, e2, x0, y0;
    torch::Tensor psfs = torch::empty({nbatch, p, p}, opt);
    std::vector<Image> psf_images;
    for (int64_t k = 0; k < nbatch; ++k) {
      const Draw& d = batch[static_cast<std::size_t>(k)];
      f.push_back(d.flux);
      re.push_back(d.re_px);
      nn.push_back(d.n);
      e1.push_back(d.e1);
      e2.push_back(d.e2);
      x0.push_back(0.5 * s + d.dx);
      y0.push_back(0.5 * s + d.dy);
      psf_images.push_back(moffat_psf(d.fwhm_px, kSersicStampPsfBeta, p));
      std::copy(psf_images.back().values.begin(), psf_images.back().values.end(),
                psfs[k].data_ptr<double>());
    }
    const auto t = [&](const std::vector<double>& v) { return torch::tensor(v, opt); };
    const SersicBatch sb{t(f), t(re), t(nn), t(e1), t(e2), t(x0), t(y0)};
    torch::NoGradGuard no_grad;
    const torch::Tensor clean =
        convolve_psf_batch(render_sersic_batch(sb, s, s, o.oversample, o.truncation), psfs)
            .clamp_min(0)
            .contiguous();
    for (int64_t k = 0; k < nbatch; ++k) {
      if (set.count() >= static_cast<std::size_t>(o.count)) break;
      const Draw& d = batch[static_cast<std::size_t>(k)];
      const NoiseModel model = noise_model(bn, psf_images[static_cast<std::size_t>(k)].values);
      const double sigma = model.sigma_background;
      const double* c = clean[k].data_ptr<double>();
      double sum2 = 0;
      for (std::size_t i = 0; i < px; ++i) sum2 += c[i] * c[i];
      const double snr = std::sqrt(sum2) / sigma;
      if (!(snr >= o.min_snr)) continue;
      const auto id = sample.galaxy_id[d.row];
      MockRng noise(o.seed, MockStream::kImageNoise,
                    kSersicStreamTag ^ static_cast<std::uint64_t>(id));
      for (std::size_t i = 0; i < px; ++i)
        set.images.push_back(static_cast<float>(c[i] + sigma * noise.normal()));
      for (double v : psf_images[static_cast<std::size_t>(k)].values)
        set.psfs.push_back(static_cast<float>(v));
      const double e = std::hypot(d.e1, d.e2);
      set.noise_sigma.push_back(sigma);
      set.flux.push_back(d.flux);
      set.half_light_radius.push_back(d.re_px);
      set.n.push_back(d.n);
      set.q.push_back(axis_ratio_of(e));
      set.pa.push_back(0.5 * std::atan2(d.e2, d.e1));
      set.x0.push_back(x0[static_cast<std::size_t>(k)]);
      set.y0.push_back(y0[static_cast<std::size_t>(k)]);
      set.mag.push_back(d.mag);
      set.psf_fwhm.push_back(d.fwhm_px);
      set.snr.push_back(snr);
      set.redshift.push_back(sample.redshift[d.row]);
      set.galaxy_id.push_back(id);
    }
    batch.clear();
  };

  for (std::size_t i : order) {
    if (set.count() >= static_cast<std::size_t>(o.count)) break;
    const double mag = sample.mag_true[i * nb + b], z = sample.redshift[i];
    if (!(mag <= o.max_mag) || !(z > 0)) continue;
    ++n_mag;
    const auto id = static_cast<std::uint64_t>(sample.galaxy_id[i]);
    const double d_a = cosmo.angular_diameter_distance(1.0 / (1.0 + z)) / sample.hubble;
    const Morphology m =
        draw_morphology(std::pow(10.0, sample.log_stellar_mass[i]), sample.quenched[i] != 0, z, d_a,
                        true, sample.e1[i], sample.e2[i], o.seed, id);
    Draw d;
    d.row = i;
    d.re_px = m.re_arcsec / o.pixel_scale;
    if (!(d.re_px >= o.min_re_pixels && d.re_px <= o.max_re_pixels)) continue;
    if (!(std::hypot(m.e1, m.e2) <= o.max_ellipticity)) continue;
    ++n_size;
    MockRng rng(o.seed, MockStream::kPropertyStamps, kSersicStreamTag ^ id);
    d.n = o.n_min * std::pow(o.n_max / o.n_min, rng.uniform());
    d.e1 = m.e1;
    d.e2 = m.e2;
    d.dx = rng.uniform() - 0.5;
    d.dy = rng.uniform() - 0.5;
    d.fwhm_px =
        (o.psf_fwhm_min + (o.psf_fwhm_max - o.psf_fwhm_min) * rng.uniform()) / o.pixel_scale;
    d.mag = mag;
    d.flux = mag_to_njy(mag);
    batch.push_back(d);
    ++n_tried;
    if (batch.size() == 32) flush();
  }
  flush();
  if (set.count() == 0) {
    std::ostringstream msg;
    msg << "properties structure data: no galaxy of " << sample.source << " passes the cuts ("
        << sample.count() << " galaxies; " << n_mag << " with mag_true_" << band
        << " <= max_mag = " << o.max_mag << "; " << n_size << " of those with R_e in ["
        << o.min_re_pixels << ", " << o.max_re_pixels << "] pixels and |e| <= " << o.max_ellipticity
        << "; none of those with S/N >= min_snr = " << o.min_snr << ")";
    throw std::invalid_argument(msg.str());
  }
  return set;
}

void write_sersic_stamps(const std::string& path, const SersicStampSet& set) {
  using namespace sim::detail;
  set.validate();
  const auto n = static_cast<hsize_t>(set.count()), s = static_cast<hsize_t>(set.size),
             p = static_cast<hsize_t>(set.psf_size);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kSersicStampFormat, path);
    h5_write_string_attribute(root.get(), "band", set.band, path);
    h5_write_string_attribute(root.get(), "unit", "nJy", path);
    h5_write_string_attribute(root.get(), "source", set.source, path);
    h5_write_attribute(root.get(), "pixel_scale", set.pixel_scale, path);
    h5_write_attribute(root.get(), "zero_point", set.zero_point, path);
    h5_write_attribute(root.get(), "psf_beta", kSersicStampPsfBeta, path);
    h5_write_attribute(root.get(), "truncation", set.truncation, path);
    h5_write_attribute(root.get(), "oversample", static_cast<std::int32_t>(set.oversample), path);
    write_array(root.get(), "images", set.images, {n, s, s}, path);
    write_array(root.get(), "psfs", set.psfs, {n, p, p}, path);
    write_array(root.get(), "noise_sigma", set.noise_sigma, {n}, path);
    write_array(root.get(), "flux", set.flux, {n}, path);
    write_array(root.get(), "half_light_radius", set.half_light_radius, {n}, path);
    write_array(root.get(), "n", set.n, {n}, path);
    write_array(root.get(), "q", set.q, {n}, path);
    write_array(root.get(), "pa", set.pa, {n}, path);
    write_array(root.get(), "x0", set.x0, {n}, path);
    write_array(root.get(), "y0", set.y0, {n}, path);
    write_array(root.get(), "mag", set.mag, {n}, path);
    write_array(root.get(), "psf_fwhm", set.psf_fwhm, {n}, path);
    write_array(root.get(), "snr", set.snr, {n}, path);
    write_array(root.get(), "redshift", set.redshift, {n}, path);
    write_array(root.get(), "galaxy_id", set.galaxy_id, {n}, path);
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

SersicStampSet read_sersic_stamps(const std::string& path) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = root_string(root.get(), "format", path);
  if (format != kSersicStampFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kSersicStampFormat + "' (not a Sersic stamp file)");
  SersicStampSet set;
  set.band = root_string(root.get(), "band", path);
  set.source = root_string(root.get(), "source", path);
  set.pixel_scale = h5_read_scalar_attribute<double>(root.get(), "pixel_scale", path);
  set.zero_point = h5_read_scalar_attribute<double>(root.get(), "zero_point", path);
  set.truncation = h5_read_scalar_attribute<double>(root.get(), "truncation", path);
  set.oversample = h5_read_scalar_attribute<std::int32_t>(root.get(), "oversample", path);
  std::vector<hsize_t> dims;
  set.images = detail::read_floats(root.get(), "images", 3, dims, path);
  const hsize_t n = dims[0], s = dims[1];
  detail::require_shape(path, "images", dims, {n, s, s});
  set.size = static_cast<int>(s);
  set.psfs = detail::read_floats(root.get(), "psfs", 3, dims, path);
  const hsize_t p = dims[1];
  detail::require_shape(path, "psfs", dims, {n, p, p});
  set.psf_size = static_cast<int>(p);
  set.noise_sigma = read_column<double>(root.get(), "noise_sigma", n, path);
  set.flux = read_column<double>(root.get(), "flux", n, path);
  set.half_light_radius = read_column<double>(root.get(), "half_light_radius", n, path);
  set.n = read_column<double>(root.get(), "n", n, path);
  set.q = read_column<double>(root.get(), "q", n, path);
  set.pa = read_column<double>(root.get(), "pa", n, path);
  set.x0 = read_column<double>(root.get(), "x0", n, path);
  set.y0 = read_column<double>(root.get(), "y0", n, path);
  set.mag = read_column<double>(root.get(), "mag", n, path);
  set.psf_fwhm = read_column<double>(root.get(), "psf_fwhm", n, path);
  set.snr = read_column<double>(root.get(), "snr", n, path);
  set.redshift = read_column<double>(root.get(), "redshift", n, path);
  set.galaxy_id = read_column<std::int64_t>(root.get(), "galaxy_id", n, path);
  try {
    set.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return set;
}

}  // namespace cosmograd::surveys
