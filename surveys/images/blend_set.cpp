#include "surveys/images/blend_set.hpp"

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
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {
namespace {

/// Noise streams of blend stamps (stamp k, band b: kNoiseBase + k B + b), clear of those of
/// `mock images` (band index) and `mock lenses` (1e6 + k B + b).
constexpr std::uint64_t kNoiseBase = std::uint64_t{1} << 32;

/// Throws std::invalid_argument "<field> = '<value>': must be <allowed>" unless ok.
void require_text(bool ok, const std::string& field, const std::string& value,
                  const std::string& allowed) {
  if (!ok) throw std::invalid_argument(field + " = '" + value + "': must be " + allowed);
}

bool has_column(const Table& t, const std::string& name) {
  return std::any_of(t.columns.begin(), t.columns.end(),
                     [&](const Column& c) { return c.name == name; });
}

double value_of(const BandValues& values, const std::string& band, double fallback) {
  for (const auto& [b, v] : values)
    if (b == band) return v;
  return fallback;
}

void check_band_values(const BandValues& values, const std::string& key, bool positive_only) {
  for (const auto& [b, v] : values) {
    require_text(!b.empty(), key, b, "BAND:VALUE pairs with a band name");
    sim::require(positive_only ? sim::positive(v) : std::isfinite(v), key + "_" + b, v,
                 positive_only ? "> 0 and finite" : "finite");
  }
}

/// One stamp's draws: galaxies (table rows) and their centres [pixels].
struct Draw {
  std::vector<std::size_t> rows;
  std::vector<double> x, y;
};

/// Stamp k's galaxy count, galaxies (distinct when the pool allows) and offsets.
Draw draw_stamp(std::size_t k, const std::vector<std::size_t>& pool, const BlendSetOptions& o) {
  MockRng rng(o.seed, MockStream::kBlendSet, k);
  const int span = o.max_blend - o.min_blend + 1;
  const int n = o.min_blend + std::min(span - 1, static_cast<int>(rng.uniform() * span));
  Draw d;
  const double c = 0.5 * o.size, shift_px = o.max_shift / o.pixel_scale;
  for (int slot = 0; slot < n; ++slot) {
    std::size_t row = 0;
    for (int attempt = 0; attempt < 100; ++attempt) {
      row = pool[std::min(pool.size() - 1, static_cast<std::size_t>(rng.uniform() * pool.size()))];
      if (pool.size() < static_cast<std::size_t>(n) ||
          std::find(d.rows.begin(), d.rows.end(), row) == d.rows.end())
        break;
    }
    d.rows.push_back(row);
    d.x.push_back(c + (2.0 * rng.uniform() - 1.0) * shift_px);
    d.y.push_back(c + (2.0 * rng.uniform() - 1.0) * shift_px);
  }
  return d;
}

}  // namespace

BandValues lsst_seeing_fwhm() {
  return {{"u", 0.92}, {"g", 0.87}, {"r", 0.83}, {"i", 0.80}, {"z", 0.78}, {"y", 0.76}};
}

BandValues lsst_sky_mag() {
  return {{"u", 22.9}, {"g", 22.3}, {"r", 21.2}, {"i", 20.5}, {"z", 19.6}, {"y", 18.6}};
}

double BlendSetOptions::fwhm_of(const std::string& band) const {
  return value_of(psf_fwhm, band, 0.8);
}

double BlendSetOptions::sky_of(const std::string& band) const {
  return value_of(sky_mag, band, 21.2);
}

void BlendSetOptions::validate() const {
  sim::require(count >= 1 && count <= 1000000, "count", count, "in [1, 1e6]");
  sim::require(size >= 16 && size <= 1024, "size", size, "in [16, 1024] [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(min_blend >= 1 && min_blend <= 32, "min_blend", min_blend, "in [1, 32]");
  sim::require(max_blend >= min_blend && max_blend <= 32, "max_blend", max_blend,
               "in [min_blend = " + std::to_string(min_blend) + ", 32]");
  const double half = 0.5 * size * pixel_scale;
  sim::require(max_shift >= 0 && max_shift < half, "max_shift", max_shift,
               "in [0, half the stamp side = " + std::to_string(half) + ") [arcsec]");
  require_text(!ref_band.empty(), "ref_band", ref_band, "a band name");
  sim::require(std::isfinite(max_mag), "max_mag", max_mag, "finite [AB mag]");
  for (std::size_t b = 0; b < bands.size(); ++b) {
    require_text(!bands[b].empty(), "bands", bands[b], "non-empty band names");
    require_text(std::count(bands.begin(), bands.end(), bands[b]) == 1, "bands", bands[b],
                 "listed once");
  }
  if (!bands.empty())
    require_text(std::find(bands.begin(), bands.end(), ref_band) != bands.end(), "ref_band",
                 ref_band, "one of the drawn bands");
  check_band_values(psf_fwhm, "psf_fwhm", true);
  check_band_values(sky_mag, "sky", false);
  sim::require(psf_beta > 1.0 && psf_beta <= 20.0, "psf_beta", psf_beta, "in (1, 20]");
  sim::require(read_noise >= 0 && std::isfinite(read_noise), "read_noise", read_noise,
               ">= 0 [electrons]");
  sim::require(sim::positive(segmentation_sigma), "segmentation_sigma", segmentation_sigma, "> 0");
}

BlendSet make_blend_set(const Table& galaxies, const sim::Cosmology& cosmo,
                        const BlendSetOptions& o) {
  o.validate();
  for (const char* c : {"galaxy_id", "redshift_true", "stellar_mass", "quenched"})
    require_text(has_column(galaxies, c), "galaxy table column", c, "present (a lightcone mock)");
  BlendSet set;
  set.bands = o.bands;
  if (set.bands.empty())
    for (const Column& c : galaxies.columns)
      if (c.name.rfind("mag_true_", 0) == 0) set.bands.push_back(c.name.substr(9));
  require_text(!set.bands.empty(), "bands", "", "given, or mag_true_<band> columns in the table");
  for (const auto& b : set.bands)
    require_text(has_column(galaxies, "mag_true_" + b), "band", b,
                 "a band with a mag_true_<band> column");
  const auto ref_it = std::find(set.bands.begin(), set.bands.end(), o.ref_band);
  std::string drawn;
  for (const auto& b : set.bands) drawn += (drawn.empty() ? "" : ", ") + b;
  require_text(ref_it != set.bands.end(), "ref_band", o.ref_band, "a drawn band (" + drawn + ")");
  const auto ref = static_cast<std::size_t>(ref_it - set.bands.begin());
  set.ref_band = o.ref_band;
  set.size = o.size;
  set.pixel_scale = o.pixel_scale;
  set.max_blend = o.max_blend;

  // One Moffat PSF per band, truncated at 4 of its FWHM, all on the widest one's stamp.
  const std::size_t nb = set.bands.size();
  double widest = 0;
  for (const auto& b : set.bands) widest = std::max(widest, o.fwhm_of(b) / o.pixel_scale);
  set.psf_size = 2 * static_cast<int>(std::ceil(4.0 * widest)) + 1;
  std::vector<Image> psf;
  std::vector<NoiseModel> noise;
  for (const auto& b : set.bands) {
    psf.push_back(moffat_psf(o.fwhm_of(b) / o.pixel_scale, o.psf_beta, set.psf_size, 4.0));
    for (double v : psf.back().values) set.psfs.push_back(static_cast<float>(v));
    BandNoise bn;
    bn.m5 = std::nan("");
    for (const auto& [key, v] : galaxies.numeric_meta)
      if (key == "M5_" + b) bn.m5 = v;
    require_text(!std::isnan(bn.m5), "galaxy table metadata", "M5_" + b,
                 "present (the band's 5-sigma depth)");
    bn.sky_mag_per_arcsec2 = o.sky_of(b);
    bn.pixel_scale_arcsec = o.pixel_scale;
    bn.read_noise_electrons = o.read_noise;
    noise.push_back(noise_model(bn, psf.back().values));
    set.sigma.push_back(noise.back().sigma_background);
  }
  const double threshold = o.segmentation_sigma * set.sigma[ref];

  const auto& id = galaxies.column("galaxy_id").as<std::int64_t>();
  const auto& zt = galaxies.column("redshift_true").as<double>();
  const auto& ms = galaxies.column("stellar_mass").as<double>();
  const auto& quenched = galaxies.column("quenched").as<bool>();
  const bool have_shape = has_column(galaxies, "e1") && has_column(galaxies, "e2");
  std::vector<const std::vector<double>*> mags;
  for (const auto& b : set.bands) mags.push_back(&galaxies.column("mag_true_" + b).as<double>());
  std::vector<std::size_t> pool;
  for (std::size_t i = 0; i < galaxies.rows(); ++i)
    if ((*mags[ref])[i] <= o.max_mag && zt[i] > 0) pool.push_back(i);
  if (pool.empty())
    throw std::invalid_argument("max_mag = " + std::to_string(o.max_mag) +
                                ": no galaxy at z > 0 has mag_true_" + o.ref_band +
                                " <= max_mag (raise it or use a deeper mock)");

  const std::size_t n_stamps = static_cast<std::size_t>(o.count), m = o.max_blend;
  const std::size_t px = static_cast<std::size_t>(o.size) * o.size;
  set.images.assign(n_stamps * nb * px, 0.0f);
  set.isolated.assign(n_stamps * m * nb * px, 0.0f);
  set.segmentation.assign(n_stamps * px, 0);
  std::vector<std::int64_t> t_stamp, t_slot, t_id, t_pixels;
  std::vector<double> t_x, t_y, t_z, t_re, t_bt, t_e1, t_e2, t_blend, t_snr;
  std::vector<std::vector<double>> t_flux(nb), t_in(nb);
  for (std::size_t k = 0; k < n_stamps; ++k) {
    const Draw d = draw_stamp(k, pool, o);
    const std::size_t n = d.rows.size();
    set.n_galaxies.push_back(static_cast<std::int32_t>(n));
    float* iso = &set.isolated[k * m * nb * px];  // this stamp's slots
    for (std::size_t slot = 0; slot < n; ++slot) {
      const std::size_t i = d.rows[slot];
      const double z = zt[i],
                   d_a = cosmo.angular_diameter_distance(1.0 / (1.0 + z)) / cosmo.params().h;
      const Morphology morph =
          draw_morphology(ms[i], quenched[i], z, d_a, have_shape,
                          have_shape ? galaxies.column("e1").as<double>()[i] : 0.0,
                          have_shape ? galaxies.column("e2").as<double>()[i] : 0.0, o.seed,
                          static_cast<std::uint64_t>(id[i]));
      // Painted once, convolved with each band's PSF.
      const std::vector<PlacedStamp> placed =
          render_galaxy_stamps({id[i], morph, (*mags[0])[i], o.pixel_scale, &galaxies, i},
                               d.x[slot], d.y[slot], psf, o.painter);
      for (std::size_t b = 0; b < nb; ++b) {
        const double flux = mag_to_njy((*mags[b])[i]);
        t_flux[b].push_back(std::isfinite(flux) ? flux : 0.0);
        double in_stamp = 0;
        if (std::isfinite(flux) && flux > 0) {
          const PlacedStamp& g = placed[b];
          float* out = iso + (slot * nb + b) * px;
          for (int sy = 0; sy < g.image.ny; ++sy) {
            const int ty = g.oy + sy;
            if (ty < 0 || ty >= o.size) continue;
            for (int sx = 0; sx < g.image.nx; ++sx) {
              const int tx = g.ox + sx;
              if (tx < 0 || tx >= o.size) continue;
              const float v = static_cast<float>(flux * g.image.at(sx, sy));
              out[static_cast<std::size_t>(ty) * o.size + tx] = v;
              in_stamp += v;
            }
          }
        }
        t_in[b].push_back(in_stamp);
      }
      t_stamp.push_back(static_cast<std::int64_t>(k));
      t_slot.push_back(static_cast<std::int64_t>(slot));
      t_id.push_back(id[i]);
      t_x.push_back(d.x[slot]);
      t_y.push_back(d.y[slot]);
      t_z.push_back(z);
      t_re.push_back(morph.re_arcsec);
      t_bt.push_back(morph.bulge_fraction);
      t_e1.push_back(morph.e1);
      t_e2.push_back(morph.e2);
    }

    // The noisy blend: the sum of the isolated images (as stored) plus noise.
    for (std::size_t b = 0; b < nb; ++b) {
      std::vector<double> clean(px, 0.0);
      for (std::size_t slot = 0; slot < n; ++slot) {
        const float* g = iso + (slot * nb + b) * px;
        for (std::size_t p = 0; p < px; ++p) clean[p] += g[p];
      }
      const auto noisy = add_noise(clean, noise[b], o.seed, kNoiseBase + k * nb + b);
      std::transform(noisy.begin(), noisy.end(),
                     set.images.begin() + static_cast<std::ptrdiff_t>((k * nb + b) * px),
                     [](double v) { return static_cast<float>(v); });
    }

    // Reference band: blendedness 1 - sum I_i^2 / sum I_i I_all (Bosch et al. 2018, PASJ 70,
    // S5, the HSC pipeline; BTK's get_blendedness), matched-filter S/N sqrt(sum I_i^2) / sigma,
    // and the segmentation: each pixel to the brightest galaxy above the threshold there.
    std::vector<double> all(px, 0.0);
    for (std::size_t slot = 0; slot < n; ++slot)
      for (std::size_t p = 0; p < px; ++p) all[p] += iso[(slot * nb + ref) * px + p];
    std::int32_t* seg = &set.segmentation[k * px];
    std::vector<double> best(px, 0.0);
    for (std::size_t slot = 0; slot < n; ++slot) {
      const float* g = iso + (slot * nb + ref) * px;
      double self = 0, cross = 0;
      for (std::size_t p = 0; p < px; ++p) {
        self += static_cast<double>(g[p]) * g[p];
        cross += g[p] * all[p];
        if (g[p] > threshold && g[p] > best[p]) {
          best[p] = g[p];
          seg[p] = static_cast<std::int32_t>(slot + 1);
        }
      }
      t_blend.push_back(cross > 0 ? std::clamp(1.0 - self / cross, 0.0, 1.0) : 0.0);
      t_snr.push_back(std::sqrt(self) / set.sigma[ref]);
    }
    std::vector<std::int64_t> pixels(n, 0);
    for (std::size_t p = 0; p < px; ++p)
      if (seg[p] > 0) ++pixels[static_cast<std::size_t>(seg[p] - 1)];
    t_pixels.insert(t_pixels.end(), pixels.begin(), pixels.end());
  }

  Table& t = set.truth;
  t.name = "truth";
  t.description = "one row per galaxy of each blend stamp: position, shape, fluxes, blendedness";
  t.add("stamp", "", "index into /images", t_stamp)
      .add("slot", "", "index into the stamp's /isolated slots", t_slot)
      .add("galaxy_id", "", "galaxy_id in the galaxy mock", t_id)
      .add("x", "pix", "centre along x, pixel (ix, iy) centred at (ix + 0.5, iy + 0.5)", t_x)
      .add("y", "pix", "centre along y", t_y)
      .add("redshift_true", "", "cosmological redshift", t_z)
      .add("re", "arcsec", "half-light radius of the disk (bulge: half of it), circularised", t_re)
      .add("bulge_fraction", "", "bulge (n = 4) share of the flux; disk n = 1", t_bt)
      .add("e1", "", "ellipticity (a - b)/(a + b) along x", t_e1)
      .add("e2", "", "ellipticity along the diagonal x = y", t_e2);
  for (std::size_t b = 0; b < nb; ++b) {
    t.add("flux_" + set.bands[b], "nJy", "true total flux in " + set.bands[b], t_flux[b]);
    t.add("flux_in_stamp_" + set.bands[b], "nJy",
          "sum of its isolated image in " + set.bands[b] + " (PSF-convolved, inside the stamp)",
          t_in[b]);
  }
  t.add("blendedness", "", "1 - sum I_i^2 / sum I_i I_all in " + o.ref_band + " (noiseless)",
        t_blend)
      .add("snr", "", "matched-filter S/N sqrt(sum I_i^2) / sigma_bg in " + o.ref_band, t_snr)
      .add("segment_pixels", "", "pixels where it is the brightest above the threshold", t_pixels);
  t.numeric_meta = {{"PixelScale", o.pixel_scale},
                    {"MaxShift", o.max_shift},
                    {"MaxMag", o.max_mag},
                    {"PsfBeta", o.psf_beta},
                    {"SegmentationThreshold", threshold},
                    {"Seed", static_cast<double>(o.seed)}};
  for (std::size_t b = 0; b < nb; ++b) {
    t.numeric_meta.emplace_back("PsfFwhm_" + set.bands[b], o.fwhm_of(set.bands[b]));
    t.numeric_meta.emplace_back("SigmaBg_" + set.bands[b], set.sigma[b]);
  }
  t.string_meta = {{"RefBand", o.ref_band}};
  return set;
}

void write_blend_set(const std::string& path, const BlendSet& set, double pixel_scale) {
  using namespace sim::detail;
  const hsize_t n = set.count(), m = static_cast<hsize_t>(set.max_blend), nb = set.bands.size();
  const hsize_t s = static_cast<hsize_t>(set.size), p = static_cast<hsize_t>(set.psf_size);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    // Writes `data` (native type `mem`) as dataset `name` of shape `dims` and file type
    // `type`; chunked per stamp and compressed when `compress` and HDF5 has deflate.
    auto write = [&](const char* name, hid_t type, hid_t mem, const void* data,
                     const std::vector<hsize_t>& dims, bool compress) {
      const std::string where = path + "/" + name;
      H5Id space = h5_dataspace(dims, where);
      H5Id dcpl = h5_untimed_plist(H5P_DATASET_CREATE, where);
      if (compress && dims[0] > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        std::vector<hsize_t> chunk = dims;
        chunk[0] = 1;
        h5_check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                 "H5Pset_chunk", where);
        // Byte shuffle first: float images compress about twice as well (HDF5 shuffle filter).
        h5_check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", where);
        h5_check(H5Pset_deflate(dcpl.get(), 4), "H5Pset_deflate", where);
      }
      H5Id dset(h5_check(H5Dcreate2(file.get(), name, type, space.get(), H5P_DEFAULT, dcpl.get(),
                                    H5P_DEFAULT),
                         "H5Dcreate2", where),
                H5Dclose);
      if (data != nullptr)
        h5_check(H5Dwrite(dset.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", where);
      dset.close("H5Dclose", where);
    };
    auto ptr = [](const auto& v) -> const void* { return v.empty() ? nullptr : v.data(); };
    write("images", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ptr(set.images), {n, nb, s, s}, false);
    write("isolated", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ptr(set.isolated), {n, m, nb, s, s}, true);
    write("segmentation", H5T_STD_I32LE, H5T_NATIVE_INT32, ptr(set.segmentation), {n, s, s}, false);
    write("n_galaxies", H5T_STD_I32LE, H5T_NATIVE_INT32, ptr(set.n_galaxies), {n}, false);
    write("psfs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ptr(set.psfs), {nb, p, p}, false);
    std::string bands;
    for (const auto& b : set.bands) bands += (bands.empty() ? "" : ",") + b;
    h5_write_string_attribute(file.get(), "bands", bands, path);
    h5_write_string_attribute(file.get(), "unit", "nJy", path);
    h5_write_string_attribute(file.get(), "ref_band", set.ref_band, path);
    h5_write_attribute(file.get(), "pixel_scale", pixel_scale, path);
    h5_write_attribute(file.get(), "sigma", set.sigma, path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

BlendSet read_blend_set(const std::string& dir, bool with_isolated) {
  using namespace sim::detail;
  const std::string path = dir + "/blends.h5";
  H5Id file = h5_open_file(path);
  BlendSet set;
  std::vector<hsize_t> dims;
  set.images = detail::read_floats(file.get(), "images", 4, dims, path);
  const hsize_t n = dims[0], nb = dims[1], s = dims[2];
  detail::require_shape(path, "images", dims, {n, nb, s, s});
  set.size = static_cast<int>(s);
  const std::vector<int> seg = detail::read_ints(file.get(), "segmentation", 3, dims, path);
  detail::require_shape(path, "segmentation", dims, {n, s, s});
  set.segmentation.assign(seg.begin(), seg.end());
  const std::vector<int> ng = detail::read_ints(file.get(), "n_galaxies", 1, dims, path);
  detail::require_shape(path, "n_galaxies", dims, {n});
  set.n_galaxies.assign(ng.begin(), ng.end());
  set.psfs = detail::read_floats(file.get(), "psfs", 3, dims, path);
  detail::require_shape(path, "psfs", dims, {nb, dims[1], dims[1]});
  set.psf_size = static_cast<int>(dims[1]);
  {
    H5Id iso = h5_open_dataset(file.get(), "isolated", path);
    dims = h5_dataset_shape(iso.get(), path + ": /isolated");
    if (dims.size() != 5)
      throw std::runtime_error(path + ": /isolated has shape " + h5_shape_string(dims) +
                               ", expected (N, M, B, S, S)");
    set.max_blend = static_cast<int>(dims[1]);
  }
  if (with_isolated) {
    set.isolated = detail::read_floats(file.get(), "isolated", 5, dims, path);
    detail::require_shape(path, "isolated", dims,
                          {n, static_cast<hsize_t>(set.max_blend), nb, s, s});
  }
  set.bands = sim::split_list(h5_read_string_attribute(file.get(), "bands", path));
  if (set.bands.size() != nb)
    throw std::runtime_error(path + ": attribute bands names " + std::to_string(set.bands.size()) +
                             " bands, /images has " + std::to_string(nb));
  set.ref_band = h5_read_string_attribute(file.get(), "ref_band", path);
  set.pixel_scale = h5_read_scalar_attribute<double>(file.get(), "pixel_scale", path);
  set.sigma = h5_read_attribute<double>(file.get(), "sigma", nb, path);
  const std::vector<Table> tables = read_tables_hdf5(dir + "/truth.h5");
  if (tables.empty() || tables[0].name != "truth")
    throw std::runtime_error(dir + "/truth.h5: no table 'truth'");
  set.truth = tables[0];
  return set;
}

}  // namespace cosmograd::surveys
