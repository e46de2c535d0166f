#include "surveys/mocks/shear_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "sim/core/require.hpp"
#include "sim/sky/healpix_interpolation.hpp"

namespace cosmograd::surveys {
namespace {

/// Bilinear value of a flat map at grid coordinates (gx, gy) = pixel-centre units; pixels
/// beyond the edge take the edge value.
double flat_bilinear(const sim::FlatMap& m, double gx, double gy) {
  const int n = m.n;
  const double cx = std::clamp(gx, 0.0, n - 1.0), cy = std::clamp(gy, 0.0, n - 1.0);
  const int ix = std::min(static_cast<int>(cx), n - 2 < 0 ? 0 : n - 2);
  const int iy = std::min(static_cast<int>(cy), n - 2 < 0 ? 0 : n - 2);
  const double tx = n > 1 ? cx - ix : 0.0, ty = n > 1 ? cy - iy : 0.0;
  auto at = [&](int x, int y) {
    return m.values[static_cast<std::size_t>(std::min(y, n - 1)) * static_cast<std::size_t>(n) +
                    static_cast<std::size_t>(std::min(x, n - 1))];
  };
  return (1 - tx) * (1 - ty) * at(ix, iy) + tx * (1 - ty) * at(ix + 1, iy) +
         (1 - tx) * ty * at(ix, iy + 1) + tx * ty * at(ix + 1, iy + 1);
}

}  // namespace

bool sample_plane(const SourcePlane& plane, const std::array<double, 3>& r, Lensing& out) {
  out = Lensing{};
  if (plane.kappa.nside > 0) {
    const double rho = std::hypot(r[0], r[1]);
    const auto w =
        sim::healpix_bilinear(plane.kappa.nside, std::atan2(rho, r[2]), std::atan2(r[1], r[0]));
    for (int i = 0; i < 4; ++i) {
      const auto p = static_cast<std::size_t>(w.pixel[i]);
      out.kappa += w.weight[i] * plane.kappa.values[p];
      out.gamma1 += w.weight[i] * plane.shear.gamma1.values[p];
      out.gamma2 += w.weight[i] * plane.shear.gamma2.values[p];
    }
    return true;
  }
  const sim::FlatMap& k = plane.flat_kappa;
  if (!(r[2] > 0.0) || k.n <= 0) return false;
  const double half = 0.5 * k.field_deg * M_PI / 180.0;
  const double xi = r[0] / r[2], eta = r[1] / r[2];
  if (std::fabs(xi) > half || std::fabs(eta) > half) return false;
  const double d = k.pixel_rad();
  const double gx = xi / d + 0.5 * k.n - 0.5, gy = eta / d + 0.5 * k.n - 0.5;
  out.kappa = flat_bilinear(k, gx, gy);
  out.gamma1 = flat_bilinear(plane.flat_shear.gamma1, gx, gy);
  out.gamma2 = flat_bilinear(plane.flat_shear.gamma2, gx, gy);
  return true;
}

bool lensing_at(const std::vector<SourcePlane>& planes, const std::array<double, 3>& r, double z,
                Lensing& out, bool* beyond) {
  out = Lensing{};
  if (beyond) *beyond = false;
  if (planes.empty() || !(z > 0.0)) return true;
  std::size_t hi = 0;
  while (hi < planes.size() && planes[hi].z < z) ++hi;
  if (hi == planes.size()) {
    if (beyond) *beyond = true;
    return sample_plane(planes.back(), r, out);
  }
  Lensing upper, lower;
  if (!sample_plane(planes[hi], r, upper)) return false;
  const double z_lo = hi == 0 ? 0.0 : planes[hi - 1].z;
  if (hi > 0 && !sample_plane(planes[hi - 1], r, lower)) return false;
  const double t = (z - z_lo) / (planes[hi].z - z_lo);
  out.kappa = lower.kappa + t * (upper.kappa - lower.kappa);
  out.gamma1 = lower.gamma1 + t * (upper.gamma1 - lower.gamma1);
  out.gamma2 = lower.gamma2 + t * (upper.gamma2 - lower.gamma2);
  return true;
}

Ellipticity draw_intrinsic_ellipticity(double sigma_e, MockRng& rng) {
  sim::require(sigma_e >= 0.0 && sigma_e <= 0.7, "shape_noise (sigma_e per component)", sigma_e,
               "in [0, 0.7]");
  for (;;) {
    const Ellipticity e{sigma_e * rng.normal(), sigma_e * rng.normal()};
    if (e.e1 * e.e1 + e.e2 * e.e2 < 0.99 * 0.99) return e;
  }
}

Ellipticity lens_ellipticity(const Ellipticity& intrinsic, const Lensing& lensing) {
  using C = std::complex<double>;
  const C es(intrinsic.e1, intrinsic.e2);
  const C g = C(lensing.gamma1, lensing.gamma2) / (1.0 - lensing.kappa);
  const C e = std::norm(g) <= 1.0 ? (es + g) / (1.0 + std::conj(g) * es)
                                  : (1.0 + g * std::conj(es)) / (std::conj(es) + std::conj(g));
  return {e.real(), e.imag()};
}

}  // namespace cosmograd::surveys
