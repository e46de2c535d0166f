// write_density_map_png (viz/plot.hpp): an image of a projected field with a colour bar.
#include <plplot.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "viz/colormap.hpp"
#include "viz/detail/layout.hpp"
#include "viz/detail/page.hpp"
#include "viz/plot.hpp"

namespace cosmograd::viz {
namespace {

/// The p-th percentile (0..100) of v with linear interpolation between order statistics (as
/// numpy.percentile's default); reorders v, which must not be empty.
double percentile(std::vector<double>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const std::size_t k = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(k);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (frac <= 0.0 || k + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + frac * (b - a);
}

/// `column` (nx * ny, C order) averaged over blocks of f x f cells (smaller at the far
/// edges); non-finite cells are left out of the averages (a block of them stays NaN).
std::vector<double> block_average(const std::vector<double>& column, int nx, int ny, int f, int* bx,
                                  int* by) {
  *bx = (nx + f - 1) / f;
  *by = (ny + f - 1) / f;
  std::vector<double> sum(static_cast<std::size_t>(*bx) * *by, 0.0);
  std::vector<int> count(sum.size(), 0);
  for (int ix = 0; ix < nx; ++ix) {
    for (int iy = 0; iy < ny; ++iy) {
      const double v = column[static_cast<std::size_t>(ix) * ny + iy];
      if (!std::isfinite(v)) continue;
      const std::size_t b = static_cast<std::size_t>(ix / f) * *by + iy / f;
      sum[b] += v;
      ++count[b];
    }
  }
  for (std::size_t b = 0; b < sum.size(); ++b) {
    sum[b] = count[b] > 0 ? sum[b] / count[b] : std::numeric_limits<double>::quiet_NaN();
  }
  return sum;
}

}  // namespace

void validate(const DensityMapSpec& spec, const std::vector<double>& column, int nx, int ny) {
  const detail::Check check("DensityMapSpec");
  if (nx < 1 || ny < 1) {
    throw std::invalid_argument("write_density_map_png: nx = " + std::to_string(nx) +
                                ", ny = " + std::to_string(ny) + ": both must be >= 1");
  }
  if (column.size() != static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny)) {
    throw std::invalid_argument(
        "write_density_map_png: column has " + std::to_string(column.size()) +
        " values, not nx * ny = " + std::to_string(static_cast<std::size_t>(nx) * ny));
  }
  check.size(spec.width, spec.height);
  check.in_range("font_scale", spec.font_scale, 0.5, 3.0);
  constexpr double kHuge = std::numeric_limits<double>::max();
  check.in_range("extent_x", spec.extent_x, 0.0, kHuge, /*open_lo=*/true);
  check.in_range("extent_y", spec.extent_y, 0.0, kHuge, /*open_lo=*/true);
  check.in_range("redshift", spec.redshift, 0.0, kHuge);
  check.in_range("slab_depth", spec.slab_depth, 0.0, kHuge, /*open_lo=*/true);
  check.in_range("lower_percentile", spec.lower_percentile, 0.0, 100.0);
  check.in_range("upper_percentile", spec.upper_percentile, spec.lower_percentile, 100.0,
                 /*open_lo=*/true);
  for (const auto& [name, bound] : {std::pair{"vmin", spec.vmin}, std::pair{"vmax", spec.vmax}}) {
    if (bound && (!std::isfinite(*bound) || (spec.log_scale && !(*bound > 0.0)))) {
      check.fail(name, detail::format(*bound),
                 spec.log_scale ? "finite and > 0 with log_scale" : "finite");
    }
  }
  if (spec.vmin && spec.vmax && !(*spec.vmin < *spec.vmax)) {
    check.fail("vmin", detail::format(*spec.vmin), "< vmax = " + detail::format(*spec.vmax));
  }
}

void write_density_map_png(const std::string& path, const std::vector<double>& column, int nx,
                           int ny, const DensityMapSpec& spec) {
  validate(spec, column, nx, ny);
  char what[160];
  std::snprintf(what, sizeof what, " at z = %.2f, averaged over a %s Mpc/h slab", spec.redshift,
                detail::format(spec.slab_depth).c_str());
  detail::PngPage page(path, spec.width, spec.height);
  // Room on the right for the colour bar: gap, bar, tick labels and its label.
  const double c0 = detail::base_height(page, spec.font_scale);
  const detail::Frame frame =
      detail::plot_frame(page, spec.font_scale, spec.title + what, !spec.xlabel.empty(),
                         detail::tick_label_width(0.0, spec.extent_y, false), 9.5 * c0);
  // The largest map of the right aspect in the frame, centred.
  const double fw = frame.right - frame.left;
  const double fh = frame.top - frame.bottom;
  const double scale = std::min(fw / spec.extent_x, fh / spec.extent_y);
  const double mw = spec.extent_x * scale;
  const double mh = spec.extent_y * scale;
  const double left = frame.left + 0.5 * (fw - mw);
  const double top = frame.bottom + 0.5 * (fh + mh);
  plsvpa(left, left + mw, top - mh, top);
  plwind(0.0, spec.extent_x, 0.0, spec.extent_y);

  // Cells no smaller than a pixel: average blocks of a map finer than the image.
  const int f =
      std::max(1, static_cast<int>(std::ceil(std::max(nx / (mw * page.pixels_per_mm()),
                                                      ny / (mh * page.pixels_per_mm())))));
  int bx = nx;
  int by = ny;
  std::vector<double> cells = f > 1 ? block_average(column, nx, ny, f, &bx, &by) : column;
  const auto transform = [&spec](double v) {
    if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
    if (!spec.log_scale) return v;
    return v > 0.0 ? std::log10(v) : -std::numeric_limits<double>::infinity();
  };
  std::vector<double> finite;
  for (double& v : cells) {
    v = transform(v);
    if (std::isfinite(v)) finite.push_back(v);
  }
  double lo = spec.vmin ? transform(*spec.vmin)
                        : (finite.empty() ? 0.0 : percentile(finite, spec.lower_percentile));
  double hi = spec.vmax ? transform(*spec.vmax)
                        : (finite.empty() ? 1.0 : percentile(finite, spec.upper_percentile));
  if (!(hi > lo)) {  // a constant map: its value in the middle of the colour map
    lo -= 0.5;
    hi += 0.5;
  }
  for (double& v : cells) v = std::isnan(v) ? lo : std::clamp(v, lo, hi);
  std::vector<const PLFLT*> rows(static_cast<std::size_t>(bx));
  for (int ix = 0; ix < bx; ++ix)
    rows[static_cast<std::size_t>(ix)] = &cells[static_cast<std::size_t>(ix) * by];

  PLINT r[256], g[256], b[256];
  for (int i = 0; i < 256; ++i) {
    const sim::RGB col = sim::colormap_inferno(i / 255.0);
    r[i] = col.r;
    g[i] = col.g;
    b[i] = col.b;
  }
  plscmap1(r, g, b, 256);
  plimagefr(rows.data(), bx, by, 0.0, spec.extent_x, 0.0, spec.extent_y, lo, hi, lo, hi, nullptr,
            nullptr);

  const double h = frame.base_height;
  plcol0(detail::kBlack);
  plwidth(1.0);
  plschr(h, detail::kTickScale);
  plbox("bcnst", 0.0, 0, "bcnstv", 0.0, 0);
  plschr(h, 1.0);
  detail::frame_text(frame, spec.xlabel, spec.ylabel);

  // The colour bar: decade labels when the range spans one, else log10 values.
  const bool decades = spec.log_scale && std::floor(hi) - std::ceil(lo) >= 1.0;
  const std::string label =
      (spec.log_scale && !decades) ? "log#d10#u(" + spec.colorbar_label + ")" : spec.colorbar_label;
  const char* labels[1] = {label.c_str()};
  const PLINT label_opts[1] = {PL_COLORBAR_LABEL_RIGHT};
  const std::string axis = decades ? "bcvtml" : "bcvtm";
  const char* axis_opts[1] = {axis.c_str()};
  const PLFLT ticks[1] = {0.0};
  const PLINT sub_ticks[1] = {0};
  const PLINT n_values[1] = {2};
  const PLFLT range[2] = {lo, hi};
  const PLFLT* values[1] = {range};
  PLFLT bar_w = 0, bar_h = 0;
  plschr(h, detail::kTickScale);
  plcolorbar(&bar_w, &bar_h, PL_COLORBAR_IMAGE,
             PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_VIEWPORT, 1.2 * h / mw, 0.0,
             1.4 * h / mw, 1.0, detail::kWhite, detail::kBlack, 1, 0.0, 0.0, 0, 0.0, 1, label_opts,
             labels, 1, axis_opts, ticks, sub_ticks, n_values, values);
  plschr(h, 1.0);
  page.finish();
}

}  // namespace cosmograd::viz
