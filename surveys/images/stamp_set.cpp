#include "surveys/images/stamp_set.hpp"

#include <hdf5.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/images/h5_arrays.hpp"

namespace cosmograd::surveys {
namespace {

using detail::read_floats;
using detail::require_shape;
using detail::root_string;
using detail::write_floats;
using sim::detail::H5Id;

/// Throws std::invalid_argument "<field> = <size>: must be <n> (<what>)" unless size == n.
void require_length(const std::string& field, std::size_t size, std::size_t n,
                    const std::string& what) {
  sim::require(size == n, field + ".size()", static_cast<double>(size),
               std::to_string(n) + " (" + what + ")");
}

/// Throws unless every value of `v` is finite, naming the first bad element.
void require_finite(const std::string& field, const std::vector<float>& v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    sim::require(std::isfinite(v[i]), field + "[" + std::to_string(i) + "]", v[i], "finite");
}

}  // namespace

void StampSet::validate() const {
  sim::require(size >= 8 && size <= 8192, "size", size, "in [8, 8192] [pixels]");
  sim::require(psf_size >= 1 && psf_size <= size && psf_size % 2 == 1, "psf_size", psf_size,
               "odd, in [1, size = " + std::to_string(size) + "] [pixels]");
  if (band.empty()) throw std::invalid_argument("band = '': must be a band name (e.g. i)");
  if (unit.empty()) throw std::invalid_argument("unit = '': must be a unit (e.g. nJy)");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(std::isfinite(zero_point), "zero_point", zero_point, "finite [mag]");
  if (size_kind != "intrinsic" && size_kind != "observed")
    throw std::invalid_argument("size_kind = '" + size_kind +
                                "': must be intrinsic (before the PSF) or observed");
  const std::size_t n = count(), px = static_cast<std::size_t>(size) * size,
                    pp = static_cast<std::size_t>(psf_size) * psf_size;
  const std::string nstr = "N = " + std::to_string(n);
  require_length("images", images.size(), n * px, nstr + " stamps x size^2");
  if (!noiseless.empty())
    require_length("noiseless", noiseless.size(), n * px, "empty or " + nstr + " x size^2");
  if (!intrinsic.empty())
    require_length("intrinsic", intrinsic.size(), n * px, "empty or " + nstr + " x size^2");
  require_length("psfs", psfs.size(), n * pp, nstr + " x psf_size^2");
  require_length("half_light_radius", half_light_radius.size(), n, nstr + ", one per stamp");
  require_length("mag", mag.size(), n, nstr + ", one per stamp");
  require_finite("images", images);
  require_finite("noiseless", noiseless);
  require_finite("intrinsic", intrinsic);
  require_finite("psfs", psfs);
  for (std::size_t k = 0; k < n; ++k) {
    const std::string at = "[" + std::to_string(k) + "]";
    sim::require(sim::positive(noise_sigma[k]), "noise_sigma" + at, noise_sigma[k],
                 "> 0 and finite [unit per pixel]");
    sim::require(sim::positive(half_light_radius[k]), "half_light_radius" + at,
                 half_light_radius[k], "> 0 and finite [pixels]");
    sim::require(std::isfinite(mag[k]), "mag" + at, mag[k], "finite [AB mag]");
    double sum = 0;
    for (std::size_t p = 0; p < pp; ++p) sum += psfs[k * pp + p];
    sim::require(std::fabs(sum - 1.0) <= 1e-3, "sum of psfs" + at, sum, "1 within 1e-3");
  }
}

StampSet StampSet::subset(const std::vector<std::size_t>& rows) const {
  const std::size_t n = count(), px = static_cast<std::size_t>(size) * size,
                    pp = static_cast<std::size_t>(psf_size) * psf_size;
  StampSet out;
  out.size = size;
  out.psf_size = psf_size;
  out.band = band;
  out.unit = unit;
  out.source = source;
  out.pixel_scale = pixel_scale;
  out.zero_point = zero_point;
  out.size_kind = size_kind;
  const bool have_noiseless = !noiseless.empty();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t k = rows[i];
    sim::require(k < n, "rows[" + std::to_string(i) + "]", static_cast<double>(k),
                 "< N = " + std::to_string(n));
    const auto copy = [&](const std::vector<float>& from, std::vector<float>& to,
                          std::size_t width) {
      to.insert(to.end(), from.begin() + static_cast<std::ptrdiff_t>(k * width),
                from.begin() + static_cast<std::ptrdiff_t>((k + 1) * width));
    };
    copy(images, out.images, px);
    if (have_noiseless) copy(noiseless, out.noiseless, px);
    if (!intrinsic.empty()) copy(intrinsic, out.intrinsic, px);
    copy(psfs, out.psfs, pp);
    out.noise_sigma.push_back(noise_sigma[k]);
    out.half_light_radius.push_back(half_light_radius[k]);
    out.mag.push_back(mag[k]);
  }
  return out;
}

void write_stamp_set(const std::string& path, const StampSet& set) {
  using namespace sim::detail;
  set.validate();
  const auto n = static_cast<hsize_t>(set.count()), s = static_cast<hsize_t>(set.size),
             p = static_cast<hsize_t>(set.psf_size);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kStampSetFormat, path);
    h5_write_string_attribute(root.get(), "band", set.band, path);
    h5_write_string_attribute(root.get(), "unit", set.unit, path);
    h5_write_string_attribute(root.get(), "source", set.source, path);
    h5_write_attribute(root.get(), "pixel_scale", set.pixel_scale, path);
    h5_write_attribute(root.get(), "zero_point", set.zero_point, path);
    h5_write_string_attribute(root.get(), "size_kind", set.size_kind, path);
    write_floats(root.get(), "images", set.images, {n, s, s}, path);
    if (!set.noiseless.empty())
      write_floats(root.get(), "noiseless", set.noiseless, {n, s, s}, path);
    if (!set.intrinsic.empty())
      write_floats(root.get(), "intrinsic", set.intrinsic, {n, s, s}, path);
    write_floats(root.get(), "psfs", set.psfs, {n, p, p}, path);
    write_floats(root.get(), "noise_sigma", set.noise_sigma, {n}, path);
    write_floats(root.get(), "half_light_radius", set.half_light_radius, {n}, path);
    write_floats(root.get(), "mag", set.mag, {n}, path);
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

StampSet read_stamp_set(const std::string& path) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = root_string(root.get(), "format", path);
  if (format != kStampSetFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kStampSetFormat + "' (not a stamp-set file)");
  StampSet set;
  set.band = root_string(root.get(), "band", path);
  set.unit = root_string(root.get(), "unit", path);
  set.source = root_string(root.get(), "source", path);
  set.pixel_scale = h5_read_scalar_attribute<double>(root.get(), "pixel_scale", path);
  set.zero_point = h5_read_scalar_attribute<double>(root.get(), "zero_point", path);
  set.size_kind = root_string(root.get(), "size_kind", path);

  std::vector<hsize_t> dims;
  set.images = read_floats(root.get(), "images", 3, dims, path);
  const hsize_t n = dims[0], s = dims[1];
  require_shape(path, "images", dims, {n, s, s});
  set.size = static_cast<int>(s);
  if (h5_has_link(root.get(), "noiseless", path)) {
    set.noiseless = read_floats(root.get(), "noiseless", 3, dims, path);
    require_shape(path, "noiseless", dims, {n, s, s});
  }
  if (h5_has_link(root.get(), "intrinsic", path)) {
    set.intrinsic = read_floats(root.get(), "intrinsic", 3, dims, path);
    require_shape(path, "intrinsic", dims, {n, s, s});
  }
  set.psfs = read_floats(root.get(), "psfs", 3, dims, path);
  const hsize_t p = dims[1];
  require_shape(path, "psfs", dims, {n, p, p});
  set.psf_size = static_cast<int>(p);
  set.noise_sigma = read_floats(root.get(), "noise_sigma", 1, dims, path);
  require_shape(path, "noise_sigma", dims, {n});
  set.half_light_radius = read_floats(root.get(), "half_light_radius", 1, dims, path);
  require_shape(path, "half_light_radius", dims, {n});
  set.mag = read_floats(root.get(), "mag", 1, dims, path);
  require_shape(path, "mag", dims, {n});
  try {
    set.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return set;
}

}  // namespace cosmograd::surveys
