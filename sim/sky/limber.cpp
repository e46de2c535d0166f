// Limber convergence power spectra; see limber.hpp.
#include "sim/sky/limber.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/units.hpp"
#include "sim/cosmo/gauss_legendre.hpp"
#include "sim/cosmo/halofit.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kGL = 8;  // Gauss-Legendre points per panel

std::string fmt(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

/// Quadrature nodes on [lo, hi]: chi, the Limber weight dchi * prefactor^2 g^2 / a^2, the scale
/// factor and f_K(chi).
struct Nodes {
  std::vector<double> chi, weight, a, fk;
};

Nodes make_nodes(const Cosmology& c, const SourceDistribution& n,
                 const std::vector<double>& edges) {
  const GaussLegendre<kGL>& gl = GaussLegendre<kGL>::get();
  const double ok = c.params().Omega_k;
  const double pref = lensing_prefactor(c);
  Nodes out;
  std::vector<double> dw;
  for (std::size_t p = 0; p + 1 < edges.size(); ++p) {
    const double mid = 0.5 * (edges[p] + edges[p + 1]);
    const double half = 0.5 * (edges[p + 1] - edges[p]);
    for (int i = 0; i < kGL; ++i) {
      out.chi.push_back(mid + half * gl.x[i]);
      dw.push_back(half * gl.w[i]);
    }
  }
  const std::vector<double> g = lensing_efficiency(c, n, out.chi);
  for (std::size_t j = 0; j < out.chi.size(); ++j) {
    const double a = scale_factor_at_chi(c, out.chi[j]);
    out.a.push_back(a);
    out.fk.push_back(comoving_transverse(ok, out.chi[j]));
    out.weight.push_back(dw[j] * pref * pref * g[j] * g[j] / (a * a));
  }
  return out;
}

/// Halofit on a grid in ln a, with P_nl / P_lin interpolated in between.
class HalofitGrid {
 public:
  HalofitGrid(const LinearPower& lin, double a_min, double dln_a) : lin_(lin) {
    if (!(a_min > 0.0 && a_min < 1.0)) {
      throw std::invalid_argument("halofit_limber_power: a_min = " + fmt(a_min) +
                                  " is out of range (allowed: 0 < a_min < 1)");
    }
    if (!(dln_a > 0.0 && dln_a <= 0.5)) {
      throw std::invalid_argument("halofit_limber_power: dln_a = " + fmt(dln_a) +
                                  " is out of range (allowed: 0 < dln_a <= 0.5)");
    }
    s0_ = std::log(a_min);
    n_ = std::max(4, static_cast<int>(std::ceil(-s0_ / dln_a)) + 1);
    ds_ = -s0_ / (n_ - 1);
    fits_.resize(n_);
    growth2_.resize(n_);
    bool failed = false;  // halofit fails at early a only: once failed, earlier a fail too
    for (int j = n_ - 1; j >= 0; --j) {
      const double a = std::exp(s0_ + ds_ * j);
      const double g = lin_.growth(a);
      growth2_[j] = g * g;
      if (failed) continue;
      try {
        fits_[j] = std::make_unique<Halofit>(lin_, a);
      } catch (const std::runtime_error&) {
        failed = true;
      }
    }
  }

  double power(double k, double a) const {
    const double p0 = lin_.power_today(k);
    const double g = lin_.growth(a);
    const double s = std::min(0.0, std::max(s0_, std::log(a)));
    const int j0 = std::min(n_ - 4, std::max(0, static_cast<int>((s - s0_) / ds_) - 1));
    const double t = (s - (s0_ + ds_ * j0)) / ds_;
    // Cubic Lagrange weights on the nodes j0 .. j0 + 3 at t in [0, 3].
    const std::array<double, 4> l = {-(t - 1) * (t - 2) * (t - 3) / 6.0,
                                     t * (t - 2) * (t - 3) / 2.0, -t * (t - 1) * (t - 3) / 2.0,
                                     t * (t - 1) * (t - 2) / 6.0};
    double ln_ratio = 0.0;
    for (int i = 0; i < 4; ++i) {
      const int j = j0 + i;
      if (fits_[j] == nullptr || l[i] == 0.0) continue;
      ln_ratio += l[i] * std::log(fits_[j]->power(k) / (p0 * growth2_[j]));
    }
    return p0 * g * g * std::exp(ln_ratio);
  }

 private:
  const LinearPower& lin_;
  double s0_ = 0.0, ds_ = 0.0;
  int n_ = 0;
  std::vector<std::unique_ptr<Halofit>> fits_;  // null where halofit has no nonlinear scale
  std::vector<double> growth2_;
};

}  // namespace

LimberPower linear_limber_power(const LinearPower& lin) {
  return [&lin](double k, double a) { return lin.power(k, a); };
}

LimberPower halofit_limber_power(const LinearPower& lin, double a_min, double dln_a) {
  auto grid = std::make_shared<const HalofitGrid>(lin, a_min, dln_a);
  return [grid](double k, double a) { return grid->power(k, a); };
}

std::vector<double> limber_kappa_cl(const Cosmology& c, const LimberPower& power,
                                    const SourceDistribution& n, const std::vector<double>& ell,
                                    const LimberOptions& o) {
  auto bad = [](const std::string& field, double v, const std::string& allowed) {
    throw std::invalid_argument("limber_kappa_cl: " + field + " = " + fmt(v) +
                                " is out of range (allowed: " + allowed + ")");
  };
  if (!(std::isfinite(o.chi_min) && o.chi_min >= 0.0)) bad("chi_min", o.chi_min, "finite >= 0");
  if (!(std::isfinite(o.chi_max) && o.chi_max >= 0.0)) {
    bad("chi_max", o.chi_max, "finite >= 0, 0 for the farthest source");
  }
  if (!(o.k_max > 0.0)) bad("k_max", o.k_max, "k_max > 0 h/Mpc, may be infinite");
  if (!(std::isfinite(o.max_dchi) && o.max_dchi > 0.0)) bad("max_dchi", o.max_dchi, "> 0 Mpc/h");
  if (!(std::isfinite(o.max_dlnchi) && o.max_dlnchi > 0.0 && o.max_dlnchi <= 1.0)) {
    bad("max_dlnchi", o.max_dlnchi, "0 < max_dlnchi <= 1");
  }
  for (double l : ell) {
    if (!(std::isfinite(l) && l >= 0.0)) bad("ell", l, "finite ell >= 0");
  }
  std::vector<double> cl(ell.size(), 0.0);
  if (ell.empty()) return cl;

  const double ok = c.params().Omega_k;
  const double sk = std::sqrt(std::fabs(ok)) / units::hubble_distance;
  const double chi_src = c.chi(1.0 / (1.0 + n.z_max()));
  const double chi_hi = (o.chi_max > 0.0) ? std::min(o.chi_max, chi_src) : chi_src;
  // The smallest chi whose k = (ell + 1/2) / f_K(chi) is <= k_max (flat and open: f_K
  // increases; closed: k is checked node by node instead).
  auto chi_cut = [&](double l) {
    const double x = (l + 0.5) / o.k_max;
    if (ok > 0.0) return std::asinh(sk * x) / sk;
    if (ok < 0.0) return 0.0;
    return x;
  };
  const double ell_min = *std::min_element(ell.begin(), ell.end());
  const double chi_lo = std::max(o.chi_min, chi_cut(ell_min));
  if (!(chi_lo < chi_hi)) return cl;

  // Panel edges: no wider than max_dchi nor max_dlnchi * chi; from chi = 0, a first panel to
  // 1e-6 chi_hi (where the integrand, ~ chi^-n P-slope, is negligible).
  std::vector<double> edges = {chi_lo};
  if (chi_lo == 0.0) edges.push_back(1e-6 * chi_hi);
  const double grow = std::exp(o.max_dlnchi);
  while (edges.back() < chi_hi) {
    const double e = edges.back();
    double next = std::min(e + o.max_dchi, e * grow);
    if (next > chi_hi || chi_hi - next < 1e-3 * (next - e)) next = chi_hi;
    edges.push_back(next);
  }
  const Nodes nodes = make_nodes(c, n, edges);

  for (std::size_t i = 0; i < ell.size(); ++i) {
    const double L = ell[i] + 0.5;
    const double cut = std::max(o.chi_min, chi_cut(ell[i]));
    double sum = 0.0;
    for (std::size_t p = 0; p + 1 < edges.size(); ++p) {
      if (edges[p + 1] <= cut) continue;
      if (edges[p] < cut) {
        // The panel holding the cut: integrate [cut, panel end] with its own nodes.
        const Nodes part = make_nodes(c, n, {cut, edges[p + 1]});
        for (std::size_t j = 0; j < part.chi.size(); ++j) {
          const double k = L / part.fk[j];
          if (k <= o.k_max) sum += part.weight[j] * power(k, part.a[j]);
        }
        continue;
      }
      for (std::size_t j = p * kGL; j < (p + 1) * kGL; ++j) {
        const double k = L / nodes.fk[j];
        if (k <= o.k_max) sum += nodes.weight[j] * power(k, nodes.a[j]);
      }
    }
    cl[i] = sum;
  }
  return cl;
}

std::vector<double> limber_kappa_cl(const Cosmology& c, const LinearPower& lin,
                                    const SourceDistribution& n, const std::vector<double>& ell,
                                    bool halofit, const LimberOptions& o) {
  const CosmologyParams& p = c.params();
  const CosmologyParams& q = lin.cosmology().params();
  if (p.Omega_m != q.Omega_m || p.h != q.h || p.w0 != q.w0 || p.wa != q.wa ||
      p.Omega_k != q.Omega_k || p.radiation != q.radiation) {
    throw std::invalid_argument(
        "limber_kappa_cl: the background (Omega_m = " + fmt(p.Omega_m) +
        ") is not the linear spectrum's cosmology (Omega_m = " + fmt(q.Omega_m) +
        "); allowed: the same Omega_m, h, w0, wa, Omega_k and radiation");
  }
  if (!halofit) return limber_kappa_cl(c, linear_limber_power(lin), n, ell, o);
  const double chi_src = c.chi(1.0 / (1.0 + n.z_max()));
  const double chi_hi = (o.chi_max > 0.0) ? std::min(o.chi_max, chi_src) : chi_src;
  const double a_lo = std::min(0.99, 0.99 * scale_factor_at_chi(c, chi_hi));
  return limber_kappa_cl(c, halofit_limber_power(lin, a_lo), n, ell, o);
}

}  // namespace cosmograd::sim
