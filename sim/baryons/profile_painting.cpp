#include "sim/baryons/profile_painting.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::sim {
namespace {

int wrap(long long i, int n) {
  const long long m = i % n;
  return static_cast<int>(m < 0 ? m + n : m);
}

}  // namespace

void ProfilePaintOptions::validate() const {
  require(min_subsamples >= 1, "ProfilePaintOptions::min_subsamples", min_subsamples, ">= 1");
  require(max_subsamples >= min_subsamples && max_subsamples <= 256,
          "ProfilePaintOptions::max_subsamples", max_subsamples, "in [min_subsamples, 256]");
  require(samples_per_scale > 0.0 && std::isfinite(samples_per_scale),
          "ProfilePaintOptions::samples_per_scale", samples_per_scale, "finite and > 0");
  require(near_scales >= 0.0 && std::isfinite(near_scales), "ProfilePaintOptions::near_scales",
          near_scales, "finite and >= 0");
}

int ProfilePaintOptions::subsamples(double cell, double distance, double scale) const {
  double n = min_subsamples;
  if (distance <= near_scales * scale) n = std::max(n, std::ceil(samples_per_scale * cell / scale));
  return static_cast<int>(std::min(n, static_cast<double>(max_subsamples)));
}

double paint_profile(Field<double>& mesh, double box_size, const std::array<double, 3>& centre,
                     double r_max, double r_scale, const RadialProfile& f,
                     const ProfilePaintOptions& options) {
  options.validate();
  require(box_size > 0.0 && std::isfinite(box_size), "box_size [Mpc/h]", box_size,
          "finite and > 0");
  require(r_max > 0.0 && std::isfinite(r_max), "r_max [Mpc/h]", r_max, "finite and > 0");
  require(r_scale > 0.0 && std::isfinite(r_scale), "r_scale [Mpc/h]", r_scale, "finite and > 0");
  for (const double c : centre) require(std::isfinite(c), "centre [Mpc/h]", c, "finite");
  const double total = spherical_integral(f, r_max);
  if (total == 0.0) return 0.0;

  const int n = mesh.n();
  const double dx = box_size / n;
  // Unwrapped cell indices whose cells [(i - 1/2) dx, (i + 1/2) dx) can overlap the sphere;
  // each is one (cell, image) pair, so a large sphere visits a cell once per image.
  std::array<long long, 3> lo{};
  std::array<int, 3> m{};
  for (int d = 0; d < 3; ++d) {
    lo[d] = static_cast<long long>(std::floor((centre[d] - r_max) / dx + 0.5));
    const auto hi = static_cast<long long>(std::floor((centre[d] + r_max) / dx + 0.5));
    m[d] = static_cast<int>(hi - lo[d] + 1);
  }
  const double num_cells = static_cast<double>(m[0]) * m[1] * m[2];
  require(num_cells <= 1.0e9, "r_max [Mpc/h]", r_max,
          "small enough that the sphere's bounding box holds <= 1e9 cells");
  std::vector<double> cells(static_cast<std::size_t>(num_cells), 0.0);
  const double r_max2 = r_max * r_max;
  const long long rows = static_cast<long long>(m[0]) * m[1];

  // Each (x, y) row of cells is filled by one thread in a fixed order: deterministic.
#pragma omp parallel for schedule(dynamic, 1)
  for (long long row = 0; row < rows; ++row) {
    const int a = static_cast<int>(row / m[1]);
    const int b = static_cast<int>(row % m[1]);
    const double ux = (lo[0] + a) * dx - centre[0];
    const double uy = (lo[1] + b) * dx - centre[1];
    const double gx = std::max(0.0, std::abs(ux) - 0.5 * dx);
    const double gy = std::max(0.0, std::abs(uy) - 0.5 * dx);
    for (int c = 0; c < m[2]; ++c) {
      const double uz = (lo[2] + c) * dx - centre[2];
      const double gz = std::max(0.0, std::abs(uz) - 0.5 * dx);
      const double d_min = std::sqrt(gx * gx + gy * gy + gz * gz);
      if (d_min >= r_max) continue;
      const int ns = options.subsamples(dx, d_min, r_scale);
      const double h = dx / ns;
      const double r_floor = 0.5 * h;
      double sum = 0.0;
      for (int sx = 0; sx < ns; ++sx) {
        const double px = ux - 0.5 * dx + (sx + 0.5) * h;
        for (int sy = 0; sy < ns; ++sy) {
          const double py = uy - 0.5 * dx + (sy + 0.5) * h;
          const double pxy = px * px + py * py;
          if (pxy > r_max2) continue;
          for (int sz = 0; sz < ns; ++sz) {
            const double pz = uz - 0.5 * dx + (sz + 0.5) * h;
            const double r2 = pxy + pz * pz;
            if (r2 > r_max2) continue;
            sum += f(std::max(std::sqrt(r2), r_floor));
          }
        }
      }
      cells[static_cast<std::size_t>(row) * m[2] + c] = sum * h * h * h;
    }
  }

  double painted = 0.0;
  for (const double v : cells) painted += v;

  const Decomposition& dec = mesh.decomp();
  const auto deposit = [&](int gx, int gy, int gz, double v) {
    const int xl = gx - dec.x_begin();
    if (xl >= 0 && xl < dec.nx_local()) mesh.at(xl, gy, gz) += v;
  };
  if (painted == 0.0) {
    // Smaller than the sub-sampling: everything into the cell of the nearest mesh point.
    deposit(wrap(std::llround(centre[0] / dx), n), wrap(std::llround(centre[1] / dx), n),
            wrap(std::llround(centre[2] / dx), n), total);
    return total;
  }
  const double scale = total / painted;
  for (int a = 0; a < m[0]; ++a) {
    const int gx = wrap(lo[0] + a, n);
    if (gx - dec.x_begin() < 0 || gx - dec.x_begin() >= dec.nx_local()) continue;
    for (int b = 0; b < m[1]; ++b) {
      const int gy = wrap(lo[1] + b, n);
      const std::size_t base = (static_cast<std::size_t>(a) * m[1] + b) * m[2];
      for (int c = 0; c < m[2]; ++c) {
        const double v = cells[base + c];
        if (v != 0.0) deposit(gx, gy, wrap(lo[2] + c, n), v * scale);
      }
    }
  }
  return total;
}

}  // namespace cosmograd::sim
