// Multi-band stamps of a photometry sample (see multiband_stamps.hpp).
#include "surveys/properties/multiband_stamps.hpp"

#include <hdf5.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/batched/batched_render.hpp"
#include "surveys/images/blend_set.hpp"
#include "surveys/images/h5_arrays.hpp"
#include "surveys/images/morphology.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {
namespace {

using detail::root_string;
using detail::write_floats;
using sim::detail::H5Id;

/// Tag XOR-ed into the seed of the noise streams ("mband"), so that they differ from other
/// users of MockStream::kPropertyStamps keyed by the same (seed, galaxy_id).
constexpr std::uint64_t kNoiseSeedTag = 0x6d62616e64ULL;

/// Largest |e| drawn [ellipticity (a - b) / (a + b)]: rarer, flatter shapes are drawn at this
/// |e| (their truncation ellipse would grow the renderer's canvas by 1 / sqrt(1 - |e|^2)).
constexpr double kMaxEllipticity = 0.8;

/// Smallest disk half-light radius drawn [pixels] (as `mock images`).
constexpr double kMinRadiusPixels = 0.1;

/// Largest disk half-light radius drawn [stamp sides]: a larger (nearby) galaxy is drawn with
/// R_e = one stamp side (it fills the stamp either way).
constexpr double kMaxRadiusStamps = 1.0;

/// Semi-major axis of the half-light ellipse [pixels] of circularised radius re [pixels] and
/// ellipticity (e1, e2): re (1 + |e|) / sqrt(1 - |e|^2) (the shear of sersic.hpp).
double major_axis(double re, double e1, double e2) {
  const double e = std::hypot(e1, e2);
  return re * (1 + e) / std::sqrt(1 - e * e);
}

/// "a,b,c" of names.
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

/// The names of "a,b,c".
std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

/// The PSF FWHM [arcsec] of `band`: the options' value, else LSST's seeing, else 0.8.
double fwhm_of(const MultibandStampOptions& o, const std::string& band) {
  for (const auto& [b, f] : o.psf_fwhm)
    if (b == band) return f;
  for (const auto& [b, f] : lsst_seeing_fwhm())
    if (b == band) return f;
  return 0.8;
}

/// Reads the 1-D int64 dataset `name` of `loc`.
std::vector<std::int64_t> read_int64s(hid_t loc, const std::string& name, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  H5Id dset = h5_open_dataset(loc, name, path);
  const std::vector<hsize_t> dims = h5_dataset_shape(dset.get(), context);
  if (dims.size() != 1)
    throw std::runtime_error(context + " has shape " + h5_shape_string(dims) +
                             ", expected 1 dimension");
  std::vector<std::int64_t> v(dims[0]);
  if (!v.empty())
    h5_check(H5Dread(dset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
             "H5Dread", context);
  return v;
}

/// A float64 tensor of values.
torch::Tensor f64(const std::vector<double>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64));
}

}  // namespace

void MultibandStampOptions::validate() const {
  sim::require(size >= 5 && size <= 255 && size % 2 == 1, "size", size,
               "odd, in [5, 255] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(psf_beta > 1 && std::isfinite(psf_beta), "psf_beta", psf_beta, "> 1");
  for (const auto& [band, f] : psf_fwhm)
    sim::require(sim::positive(f), "psf_fwhm[" + band + "]", f, "> 0 [arcsec]");
  sim::require(oversample >= 1 && oversample <= 16, "oversample", oversample, "in [1, 16]");
  sim::require(batch >= 1 && batch <= 65536, "batch", batch, "in [1, 65536] [galaxies]");
}

void MultibandStamps::validate() const {
  const std::size_t n = count(), nb = band_count();
  const auto need = [](const std::string& field, std::size_t have, std::size_t want,
                       const std::string& what) {
    sim::require(have == want, field + ".size()", static_cast<double>(have),
                 std::to_string(want) + " (" + what + ")");
  };
  sim::require(nb >= 1, "bands.size()", static_cast<double>(nb), ">= 1");
  sim::require(size >= 1 && size % 2 == 1, "size", size, "odd, >= 1 [pixels]");
  sim::require(psf_size >= 1 && psf_size <= size && psf_size % 2 == 1, "psf_size", psf_size,
               "odd, in [1, size = " + std::to_string(size) + "] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  const std::size_t px = static_cast<std::size_t>(size) * size,
                    pp = static_cast<std::size_t>(psf_size) * psf_size;
  const std::string nstr = "N = " + std::to_string(n) + " galaxies x B = " + std::to_string(nb);
  need("images", images.size(), n * nb * px, nstr + " bands x size^2");
  need("noise_sigma", noise_sigma.size(), n * nb, nstr + " bands");
  need("psfs", psfs.size(), nb * pp, "B x psf_size^2");
  need("psf_fwhm", psf_fwhm.size(), nb, "one per band");
  need("m5", m5.size(), nb, "one per band");
  need("half_light_radius", half_light_radius.size(), n, "one per galaxy");
  need("bulge_fraction", bulge_fraction.size(), n, "one per galaxy");
  for (std::size_t b = 0; b < nb; ++b) {
    const double sum = std::accumulate(psfs.begin() + b * pp, psfs.begin() + (b + 1) * pp, 0.0);
    sim::require(std::fabs(sum - 1) <= 1e-3, "sum of psfs[" + bands[b] + "]", sum, "1 within 1e-3");
  }
  for (std::size_t i = 0; i < noise_sigma.size(); ++i)
    sim::require(noise_sigma[i] >= 0 && std::isfinite(noise_sigma[i]),
                 "noise_sigma[" + std::to_string(i) + "]", noise_sigma[i],
                 ">= 0 and finite [nJy per pixel]");
}

double depth_noise_sigma(double m5, const std::vector<double>& psf) {
  sim::require(std::isfinite(m5), "m5", m5, "finite [AB mag]");
  double sum = 0, sum2 = 0;
  for (double p : psf) sum += p;
  sim::require(sim::positive(sum), "sum of psf", sum, "> 0");
  for (double p : psf) sum2 += (p / sum) * (p / sum);
  // N_eff = 1 / sum p^2 for a PSF normalised to 1, the PSF's effective number of pixels (King
  // 1983, PASP 95, 163): a PSF-optimal flux has variance sigma_b^2 N_eff.
  const double n_eff = 1.0 / sum2;
  return mag_to_njy(m5) / (5.0 * std::sqrt(n_eff));
}

MultibandStamps render_multiband_stamps(const PhotometrySample& sample,
                                        const MultibandStampOptions& o) {
  o.validate();
  const std::size_t n = sample.count(), nb = sample.band_count();
  sim::require(nb >= 1, "sample.bands.size()", static_cast<double>(nb), ">= 1");
  sim::require(sample.m5.size() == nb, "sample.m5.size()", static_cast<double>(sample.m5.size()),
               std::to_string(nb) + " (one per band)");
  const int s = o.size;
  const std::size_t px = static_cast<std::size_t>(s) * s;

  MultibandStamps out;
  out.bands = sample.bands;
  out.size = s;
  out.pixel_scale = o.pixel_scale;
  out.psf_beta = o.psf_beta;
  out.seed = o.seed;
  out.m5 = sample.m5;
  out.galaxy_id = sample.galaxy_id;
  // PSFs: side 2 ceil(2.5 FWHM_max / pixel) + 1 (the Moffat beyond 2.5 FWHM holds ~1% of the
  // light at beta 3.5), at most the stamp; normalised to 1 over P x P, exactly what convolves.
  double fwhm_max = 0;
  for (const std::string& b : sample.bands) {
    out.psf_fwhm.push_back(fwhm_of(o, b));
    fwhm_max = std::max(fwhm_max, out.psf_fwhm.back());
  }
  out.psf_size = std::min(s, 2 * static_cast<int>(std::ceil(2.5 * fwhm_max / o.pixel_scale)) + 1);
  std::vector<double> sigma(nb);
  std::vector<torch::Tensor> psf_tensors;
  for (std::size_t b = 0; b < nb; ++b) {
    const Image psf = moffat_psf(out.psf_fwhm[b] / o.pixel_scale, o.psf_beta, out.psf_size);
    for (double v : psf.values) out.psfs.push_back(static_cast<float>(v));
    sigma[b] = o.noise ? depth_noise_sigma(sample.m5[b], psf.values) : 0.0;
    psf_tensors.push_back(f64(psf.values).view({out.psf_size, out.psf_size}));
  }

  // Shapes: the mock's morphology draws (keyed by its seed and the galaxy id).
  sim::CosmologyParams params = sim::planck2015();
  params.Omega_m = sample.omega_m;
  params.h = sample.hubble;
  const sim::Cosmology cosmo(params);
  std::vector<double> re_px(n), bt(n), e1(n), e2(n), flux(n * nb);
  out.half_light_radius.resize(n);
  out.bulge_fraction.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::string at =
        "[" + std::to_string(k) + "] (galaxy_id " + std::to_string(sample.galaxy_id[k]) + ")";
    sim::require(sample.redshift[k] > 0 && std::isfinite(sample.redshift[k]), "redshift" + at,
                 sample.redshift[k], "> 0 and finite");
    for (std::size_t b = 0; b < nb; ++b) {
      const double m = sample.mag_true[k * nb + b];
      sim::require(std::isfinite(m), "mag_true" + at + "[" + sample.bands[b] + "]", m,
                   "finite [AB mag]");
      flux[k * nb + b] = mag_to_njy(m);
    }
    const double z = sample.redshift[k];
    const double d_a = cosmo.angular_diameter_distance(1.0 / (1.0 + z)) / sample.hubble;
    const Morphology m =
        draw_morphology(std::pow(10.0, sample.log_stellar_mass[k]), sample.quenched[k] != 0, z, d_a,
                        true, sample.e1[k], sample.e2[k], sample.mock_seed,
                        static_cast<std::uint64_t>(sample.galaxy_id[k]));
    re_px[k] = std::clamp(m.re_arcsec / o.pixel_scale, kMinRadiusPixels, kMaxRadiusStamps * s);
    bt[k] = m.bulge_fraction;
    const double e = std::hypot(m.e1, m.e2);
    const double shrink = e > kMaxEllipticity ? kMaxEllipticity / e : 1.0;
    e1[k] = m.e1 * shrink;
    e2[k] = m.e2 * shrink;
    out.half_light_radius[k] = static_cast<float>(m.re_arcsec);
    out.bulge_fraction[k] = static_cast<float>(m.bulge_fraction);
  }

  // Render in batches of similar extent (the canvas of a batch holds its largest profile).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> extent(n);
  for (std::size_t k = 0; k < n; ++k) extent[k] = major_axis(re_px[k], e1[k], e2[k]);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return extent[a] < extent[b]; });
  out.images.assign(n * nb * px, 0.0f);
  const double centre = 0.5 * s;  // the centre of the central pixel (s odd)
  const std::size_t chunk = static_cast<std::size_t>(o.batch);
  for (std::size_t b0 = 0; b0 < n; b0 += chunk) {
    const std::size_t nk = std::min(chunk, n - b0);
    torch::Tensor unit;  // (nk, s, s), unit total flux before the stamp's edge
    if (o.point_sources) {
      unit = torch::zeros({static_cast<int64_t>(nk), s, s}, torch::kFloat64);
      unit.index_put_({torch::indexing::Slice(), s / 2, s / 2}, 1.0);
    } else {
      std::vector<double> fl, r, nn, pe1, pe2, c;
      for (std::size_t j = 0; j < nk; ++j) {  // bulges, then disks
        const std::size_t k = order[b0 + j];
        fl.push_back(bt[k]);
        r.push_back(0.5 * re_px[k]);
        nn.push_back(4.0);
        pe1.push_back(e1[k]);
        pe2.push_back(e2[k]);
        c.push_back(centre);
      }
      for (std::size_t j = 0; j < nk; ++j) {
        const std::size_t k = order[b0 + j];
        fl.push_back(1 - bt[k]);
        r.push_back(re_px[k]);
        nn.push_back(1.0);
        pe1.push_back(e1[k]);
        pe2.push_back(e2[k]);
        c.push_back(centre);
      }
      SersicBatch batch{f64(fl), f64(r), f64(nn), f64(pe1), f64(pe2), f64(c), f64(c)};
      // Truncation: the renderer's 8 R_e, but only as far as one stamp side along the major
      // axis of the batch's largest disk (at least 1.5 R_e), which the stamp's corners
      // (0.71 sides from the centre) never reach: the renderer samples the whole truncated
      // profile to normalise it, and 8 R_e of a nearby galaxy would be a canvas of 100s of
      // pixels. The in-stamp light is unchanged to the truncation's renormalisation.
      const double widest = extent[order[b0 + nk - 1]];
      const double truncation = std::clamp(s / widest, 1.5, kSersicDefaultTruncation);
      torch::NoGradGuard no_grad;
      const torch::Tensor both = render_sersic_batch(batch, s, s, o.oversample, truncation);
      unit = both.narrow(0, 0, static_cast<int64_t>(nk)) +
             both.narrow(0, static_cast<int64_t>(nk), static_cast<int64_t>(nk));
    }
    if ((b0 / chunk) % 50 == 49)
      sim::log_info("multiband stamps: ", b0 + nk, " of ", n, " galaxies rendered");
    for (std::size_t b = 0; b < nb; ++b) {
      torch::NoGradGuard no_grad;
      const torch::Tensor conv =
          convolve_psf_batch(unit, psf_tensors[b]).clamp_min(0.0).contiguous();  // FFT rounding
      const double* v = conv.data_ptr<double>();
      for (std::size_t j = 0; j < nk; ++j) {
        const std::size_t k = order[b0 + j];
        const double f = flux[k * nb + b];
        float* dst = out.images.data() + (k * nb + b) * px;
        for (std::size_t p = 0; p < px; ++p) dst[p] = static_cast<float>(f * v[j * px + p]);
      }
    }
  }

  // Background noise, one stream per galaxy (bands in order, pixels row-major).
  out.noise_sigma.resize(n * nb);
  for (std::size_t k = 0; k < n; ++k) {
    MockRng rng(o.seed ^ kNoiseSeedTag, MockStream::kPropertyStamps,
                static_cast<std::uint64_t>(sample.galaxy_id[k]));
    for (std::size_t b = 0; b < nb; ++b) {
      out.noise_sigma[k * nb + b] = static_cast<float>(sigma[b]);
      if (!o.noise) continue;
      float* dst = out.images.data() + (k * nb + b) * px;
      for (std::size_t p = 0; p < px; ++p) dst[p] += static_cast<float>(sigma[b] * rng.normal());
    }
  }
  std::ostringstream src;
  src << "cosmograd multiband stamps of " << sample.source << " (" << n << " galaxies, "
      << (o.point_sources ? "point sources" : "bulge + disk") << ", " << s << " x " << s
      << " pixels of " << o.pixel_scale << " arcsec, Moffat beta " << o.psf_beta << ", "
      << (o.noise ? "noise seed " + std::to_string(o.seed) : std::string("noiseless")) << ")";
  out.source = src.str();
  out.validate();
  return out;
}

double psf_weighted_flux(const MultibandStamps& st, std::size_t k, std::size_t b) {
  sim::require(k < st.count(), "galaxy", static_cast<double>(k),
               "< N = " + std::to_string(st.count()));
  sim::require(b < st.band_count(), "band", static_cast<double>(b),
               "< B = " + std::to_string(st.band_count()));
  const int s = st.size, p = st.psf_size, off = (s - p) / 2;
  const float* d = st.stamp(k, b);
  const float* psf = st.psfs.data() + b * static_cast<std::size_t>(p) * p;
  double num = 0, den = 0;
  for (int y = 0; y < p; ++y)
    for (int x = 0; x < p; ++x) {
      const double w = psf[y * p + x];
      num += w * d[(y + off) * s + x + off];
      den += w * w;
    }
  return num / den;
}

void write_multiband_stamps(const std::string& path, const MultibandStamps& st) {
  using namespace sim::detail;
  st.validate();
  const auto n = static_cast<hsize_t>(st.count()), nb = static_cast<hsize_t>(st.band_count()),
             s = static_cast<hsize_t>(st.size), p = static_cast<hsize_t>(st.psf_size);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kMultibandStampsFormat, path);
    h5_write_string_attribute(root.get(), "bands", join(st.bands), path);
    h5_write_string_attribute(root.get(), "source", st.source, path);
    h5_write_attribute(root.get(), "pixel_scale", st.pixel_scale, path);
    h5_write_attribute(root.get(), "psf_beta", st.psf_beta, path);
    h5_write_attribute(root.get(), "seed", static_cast<std::uint64_t>(st.seed), path);
    h5_write_string_attribute(root.get(), "cut_band", st.cuts.band, path);
    h5_write_attribute(root.get(), "max_mag", st.cuts.max_mag, path);
    h5_write_attribute(root.get(), "z_max", st.cuts.z_max, path);
    write_floats(root.get(), "images", st.images, {n, nb, s, s}, path);
    write_floats(root.get(), "noise_sigma", st.noise_sigma, {n, nb}, path);
    write_floats(root.get(), "psfs", st.psfs, {nb, p, p}, path);
    write_floats(root.get(), "half_light_radius", st.half_light_radius, {n}, path);
    write_floats(root.get(), "bulge_fraction", st.bulge_fraction, {n}, path);
    h5_write_dataset(root.get(), "psf_fwhm", H5T_IEEE_F64LE, st.psf_fwhm, 0, path + ":");
    h5_write_dataset(root.get(), "m5", H5T_IEEE_F64LE, st.m5, 0, path + ":");
    h5_write_dataset(root.get(), "galaxy_id", H5T_STD_I64LE, st.galaxy_id, 0, path + ":");
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

MultibandStamps read_multiband_stamps(const std::string& path) {
  using namespace sim::detail;
  using detail::read_floats;
  using detail::require_shape;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = root_string(root.get(), "format", path);
  if (format != kMultibandStampsFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kMultibandStampsFormat + "' (not a multi-band stamp file)");
  MultibandStamps st;
  st.file = path;
  st.bands = split_names(root_string(root.get(), "bands", path));
  st.source = root_string(root.get(), "source", path);
  st.pixel_scale = h5_read_scalar_attribute<double>(root.get(), "pixel_scale", path);
  st.psf_beta = h5_read_scalar_attribute<double>(root.get(), "psf_beta", path);
  st.seed = h5_read_scalar_attribute<std::uint64_t>(root.get(), "seed", path);
  st.cuts.band = root_string(root.get(), "cut_band", path);
  st.cuts.max_mag = h5_read_scalar_attribute<double>(root.get(), "max_mag", path);
  st.cuts.z_max = h5_read_scalar_attribute<double>(root.get(), "z_max", path);
  std::vector<hsize_t> dims;
  st.images = read_floats(root.get(), "images", 4, dims, path);
  const hsize_t n = dims[0], nb = dims[1], s = dims[2];
  require_shape(path, "images", dims, {n, static_cast<hsize_t>(st.bands.size()), s, s});
  st.size = static_cast<int>(s);
  st.noise_sigma = read_floats(root.get(), "noise_sigma", 2, dims, path);
  require_shape(path, "noise_sigma", dims, {n, nb});
  st.psfs = read_floats(root.get(), "psfs", 3, dims, path);
  const hsize_t p = dims[1];
  require_shape(path, "psfs", dims, {nb, p, p});
  st.psf_size = static_cast<int>(p);
  st.half_light_radius = read_floats(root.get(), "half_light_radius", 1, dims, path);
  require_shape(path, "half_light_radius", dims, {n});
  st.bulge_fraction = read_floats(root.get(), "bulge_fraction", 1, dims, path);
  require_shape(path, "bulge_fraction", dims, {n});
  st.psf_fwhm = h5_read_doubles(root.get(), "psf_fwhm", path, &dims);
  require_shape(path, "psf_fwhm", dims, {nb});
  st.m5 = h5_read_doubles(root.get(), "m5", path, &dims);
  require_shape(path, "m5", dims, {nb});
  st.galaxy_id = read_int64s(root.get(), "galaxy_id", path);
  require_shape(path, "galaxy_id", {static_cast<hsize_t>(st.galaxy_id.size())}, {n});
  try {
    st.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return st;
}

void require_aligned(const PhotometrySample& sample, const MultibandStamps& st) {
  const std::string stamps = st.file.empty() ? st.source : st.file;
  const std::string head =
      "multi-band stamps " + stamps + " do not match the galaxy sample " + sample.source + ": ";
  const std::string fix =
      " (allowed: stamps rendered by `cosmograd properties stamps` from the same galaxies file "
      "with the same cuts)";
  if (st.bands != sample.bands)
    throw std::invalid_argument(head + "stamp bands " + join(st.bands) + ", sample bands " +
                                join(sample.bands) + fix);
  if (st.count() != sample.count())
    throw std::invalid_argument(head + "galaxy count " + std::to_string(st.count()) +
                                " in the stamps, " + std::to_string(sample.count()) +
                                " in the sample" + fix);
  for (std::size_t k = 0; k < st.count(); ++k)
    if (st.galaxy_id[k] != sample.galaxy_id[k])
      throw std::invalid_argument(head + "row " + std::to_string(k) + " has galaxy_id " +
                                  std::to_string(st.galaxy_id[k]) + " in the stamps, " +
                                  std::to_string(sample.galaxy_id[k]) + " in the sample" + fix);
}

}  // namespace cosmograd::surveys
