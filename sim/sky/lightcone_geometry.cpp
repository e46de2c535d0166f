#include "sim/sky/lightcone_geometry.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/units.hpp"

namespace cosmograd::sim {

template <class S>
DriftChi<S> drift_chi(const CosmologyT<S>& c, double a0, double a1) {
  const double c_over_h0 = units::hubble_distance;  // [Mpc/h]
  const S dd1 = c.D1(a1) - c.D1(a0);
  // dchi/du = (dchi/da) / (du/da), dchi/da = -(c/H0) / (a^2 E), du/da = f1 D1 / (a dD1)
  auto slope = [&](double a) {
    const S dchi_da = -c_over_h0 / (a * a * c.E(a));
    const S du_da = c.f1(a) * c.D1(a) / (a * dd1);
    return dchi_da / du_da;
  };
  DriftChi<S> out;
  out.chi0 = c.chi(a0);
  out.chi1 = c.chi(a1);
  out.slope0 = slope(a0);
  out.slope1 = slope(a1);
  return out;
}
template DriftChi<double> drift_chi<double>(const Cosmology&, double, double);
template DriftChi<CosmoDual> drift_chi<CosmoDual>(const CosmologyDual&, double, double);

DriftChi<double> drift_scale_factor(const Cosmology& c, double a0, double a1) {
  const double dd1 = c.D1(a1) - c.D1(a0);
  auto slope = [&](double a) { return a * dd1 / (c.f1(a) * c.D1(a)); };  // da/du
  DriftChi<double> out;
  out.chi0 = a0;
  out.chi1 = a1;
  out.slope0 = slope(a0);
  out.slope1 = slope(a1);
  return out;
}

std::array<double, 2> box_distance_range(const std::array<double, 3>& lo,
                                         const std::array<double, 3>& hi) {
  double near = 0, far = 0;
  for (int k = 0; k < 3; ++k) {
    const double d_near = lo[k] > 0 ? lo[k] : (hi[k] < 0 ? -hi[k] : 0.0);
    const double d_far = std::max(std::abs(lo[k]), std::abs(hi[k]));
    near += d_near * d_near;
    far += d_far * d_far;
  }
  return {std::sqrt(near), std::sqrt(far)};
}

bool box_may_meet_cone(const std::array<double, 3>& lo, const std::array<double, 3>& hi,
                       const SkyCone& cone) {
  if (cone.full_sky()) return true;
  double d2 = 0, h2 = 0;
  std::array<double, 3> c{};
  for (int k = 0; k < 3; ++k) {
    c[k] = 0.5 * (lo[k] + hi[k]);
    d2 += c[k] * c[k];
    h2 += 0.25 * (hi[k] - lo[k]) * (hi[k] - lo[k]);
  }
  const double d = std::sqrt(d2), h = std::sqrt(h2);
  if (d <= h) return true;  // the box holds (or nearly holds) the observer
  const double angle = std::acos(std::clamp(c[2] / d, -1.0, 1.0));
  return angle - std::asin(h / d) <= cone.half_angle;
}

namespace {

/// SplitMix64 (Steele et al. 2014): a well-mixed 64-bit hash step.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<Replica> lightcone_replicas(double box_size, const std::array<double, 3>& observer,
                                        double chi_max, const SkyCone& cone, bool shuffle,
                                        int cells, std::uint64_t seed) {
  std::array<int, 3> lo{}, hi{};
  for (int k = 0; k < 3; ++k) {
    lo[k] = static_cast<int>(std::floor((observer[k] - chi_max) / box_size));
    hi[k] = static_cast<int>(std::floor((observer[k] + chi_max) / box_size));
  }
  static constexpr std::array<std::array<int, 3>, 6> kPerms{
      {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
  std::vector<Replica> out;
  for (int i = lo[0]; i <= hi[0]; ++i) {
    for (int j = lo[1]; j <= hi[1]; ++j) {
      for (int k = lo[2]; k <= hi[2]; ++k) {
        const std::array<int, 3> n{i, j, k};
        std::array<double, 3> blo{}, bhi{};
        for (int d = 0; d < 3; ++d) {
          blo[d] = n[d] * box_size - observer[d];
          bhi[d] = blo[d] + box_size;
        }
        if (box_distance_range(blo, bhi)[0] > chi_max || !box_may_meet_cone(blo, bhi, cone)) {
          continue;
        }
        Replica r;
        r.n = n;
        if (shuffle) {
          std::uint64_t h = splitmix64(seed);
          for (int d = 0; d < 3; ++d)
            h = splitmix64(h ^ static_cast<std::uint64_t>(n[d] + 0x40000000));
          for (int d = 0; d < 3; ++d) {
            h = splitmix64(h);
            r.shift[d] = static_cast<int>(h % static_cast<std::uint64_t>(cells));
          }
          r.perm = kPerms[splitmix64(h) % 6];
        }
        out.push_back(r);
      }
    }
  }
  return out;
}

bool find_crossing(const std::array<double, 3>& q, const std::array<double, 3>& v,
                   const DriftChi<double>& chi, Crossing& out) {
  std::array<double, 3> r{};
  double rv = 0;
  // |q + u v| into r, and r . v into rv.
  auto norm_at = [&](double u) {
    double s = 0;
    rv = 0;
    for (int k = 0; k < 3; ++k) {
      r[k] = q[k] + u * v[k];
      s += r[k] * r[k];
      rv += r[k] * v[k];
    }
    return std::sqrt(s);
  };
  // Both ends compared squared first: most particles tested are rejected here.
  double q2 = 0, e2 = 0;
  for (int k = 0; k < 3; ++k) {
    q2 += q[k] * q[k];
    e2 += (q[k] + v[k]) * (q[k] + v[k]);
  }
  if (!(q2 < chi.chi0 * chi.chi0) || !(e2 >= chi.chi1 * chi.chi1)) return false;
  const double f0 = std::sqrt(q2) - chi.chi0, f1 = std::sqrt(e2) - chi.chi1;
  // F is monotone (particles move far slower than light): Newton from the secant, kept inside
  // the bracket. Convergence is quadratic, so a step below 1e-6 leaves an error ~1e-12: take
  // it and stop (two iterations, typically).
  double u = f0 / (f0 - f1), lo = 0, hi = 1;
  for (int it = 0; it < 60; ++it) {
    const double dist = norm_at(u);
    const double f = dist - chi(u);
    const double df = rv / dist - chi.derivative(u);
    if (f < 0) {
      lo = u;
    } else {
      hi = u;
    }
    double next = u - f / df;
    const bool newton = next >= lo && next <= hi;
    if (!newton) next = 0.5 * (lo + hi);  // safeguard: bisection
    const bool done = newton && std::abs(next - u) < 1e-6;
    u = next;
    if (done) break;
  }
  out.u = u;
  out.chi = norm_at(u);
  out.r = r;
  out.dF_du = rv / out.chi - chi.derivative(u);
  return true;
}

}  // namespace cosmograd::sim
