// Joint multi-band Bazin fits by Levenberg-Marquardt (see bazin_fit.hpp).
#include "surveys/discovery/bazin_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

/// ln of the Bazin shape and its derivatives d/dt0, d/d ln tau_rise, d/d ln tau_fall.
struct ShapeGrad {
  double s = 0, d_t0 = 0, d_u = 0, d_v = 0;
};

/// log(1 + e^y) without overflow.
double softplus(double y) { return std::max(y, 0.0) + std::log1p(std::exp(-std::abs(y))); }
/// 1 / (1 + e^-y) without overflow.
double sigmoid(double y) {
  return y >= 0 ? 1.0 / (1.0 + std::exp(-y)) : std::exp(y) / (1.0 + std::exp(y));
}

/// Shape s = e^{-x/tf} / (1 + e^{-x/tr}), x = t - t0 (Bazin et al. 2009, eq. 1) and its
/// gradient: d ln s / dx = -1/tf + sigma(-x/tr)/tr, d ln s / d ln tf = x/tf,
/// d ln s / d ln tr = -(x/tr) sigma(-x/tr).
ShapeGrad shape_grad(double t, double t0, double tr, double tf) {
  const double x = t - t0;
  double ln_s = -x / tf - softplus(-x / tr);
  ShapeGrad g;
  const bool capped = ln_s > 50.0;
  ln_s = std::min(ln_s, 50.0);
  g.s = std::exp(ln_s);
  if (capped) return g;  // flat at the cap: no gradient
  const double sg = sigmoid(-x / tr);
  g.d_t0 = -g.s * (-1.0 / tf + sg / tr);
  g.d_u = g.s * (-(x / tr) * sg);
  g.d_v = g.s * (x / tf);
  return g;
}

/// Solves the n x n system a x = b in place (partial pivoting); false when singular.
bool solve(std::vector<double>& a, std::vector<double>& b, int n) {
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r)
      if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c])) piv = r;
    if (!(std::abs(a[piv * n + c]) > 0)) return false;
    if (piv != c) {
      for (int k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
      std::swap(b[c], b[piv]);
    }
    for (int r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      if (f == 0) continue;
      for (int k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (int r = n - 1; r >= 0; --r) {
    double v = b[r];
    for (int k = r + 1; k < n; ++k) v -= a[r * n + k] * b[k];
    b[r] = v / a[r * n + r];
  }
  return true;
}

/// The fit's problem: observations and which bands carry parameters.
struct Problem {
  const std::vector<double>& t;
  const std::vector<int>& band;
  const std::vector<double>& flux;
  const std::vector<double>& err;
  std::vector<int> slot;  // first linear parameter index of each band, -1 without data
  int per_band = 2;       // linear parameters per band (A, B) or (A)
  int n_params = 3;
};

/// chi2 of parameters p.
double chi2_of(const Problem& pr, const std::vector<double>& p) {
  const double tr = std::exp(p[1]), tf = std::exp(p[2]);
  double c = 0;
  for (std::size_t i = 0; i < pr.t.size(); ++i) {
    const int k = pr.slot[static_cast<std::size_t>(pr.band[i])];
    const double m = p[static_cast<std::size_t>(k)] * bazin_shape_at(pr.t[i], p[0], tr, tf) +
                     (pr.per_band == 2 ? p[static_cast<std::size_t>(k + 1)] : 0.0);
    const double r = (pr.flux[i] - m) / pr.err[i];
    c += r * r;
  }
  return c;
}

/// Sets the linear parameters of p to their exact weighted least-squares values at p's shape;
/// returns the chi2.
double solve_linear(const Problem& pr, std::vector<double>& p) {
  const double tr = std::exp(p[1]), tf = std::exp(p[2]);
  const std::size_t nb = pr.slot.size();
  std::vector<double> sss(nb, 0), ss(nb, 0), s1(nb, 0), sf(nb, 0), f1(nb, 0);
  for (std::size_t i = 0; i < pr.t.size(); ++i) {
    const auto b = static_cast<std::size_t>(pr.band[i]);
    const double w = 1.0 / (pr.err[i] * pr.err[i]);
    const double s = bazin_shape_at(pr.t[i], p[0], tr, tf);
    sss[b] += w * s * s;
    ss[b] += w * s;
    s1[b] += w;
    sf[b] += w * s * pr.flux[i];
    f1[b] += w * pr.flux[i];
  }
  for (std::size_t b = 0; b < nb; ++b) {
    const int k = pr.slot[b];
    if (k < 0) continue;
    const double ridge = 1e-9 * (sss[b] + s1[b]) + 1e-300;
    if (pr.per_band == 2) {
      const double a11 = sss[b] + ridge, a12 = ss[b], a22 = s1[b] + ridge;
      const double det = a11 * a22 - a12 * a12;
      p[static_cast<std::size_t>(k)] = (a22 * sf[b] - a12 * f1[b]) / det;
      p[static_cast<std::size_t>(k + 1)] = (a11 * f1[b] - a12 * sf[b]) / det;
    } else {
      p[static_cast<std::size_t>(k)] = sf[b] / (sss[b] + ridge);
    }
  }
  return chi2_of(pr, p);
}

}  // namespace

double bazin_shape_at(double t, double t0, double tau_rise, double tau_fall) {
  return shape_grad(t, t0, tau_rise, tau_fall).s;
}

double bazin_flux(double t, double a, double t0, double tau_rise, double tau_fall, double b) {
  return a * bazin_shape_at(t, t0, tau_rise, tau_fall) + b;
}

void BazinFitOptions::validate() const {
  sim::require(max_iterations >= 1, "max_iterations", max_iterations, ">= 1");
  sim::require(sim::positive(tau_rise_min), "tau_rise_min", tau_rise_min, "> 0 days");
  sim::require(tau_rise_max > tau_rise_min && std::isfinite(tau_rise_max), "tau_rise_max",
               tau_rise_max, "> tau_rise_min");
  sim::require(sim::positive(tau_fall_min), "tau_fall_min", tau_fall_min, "> 0 days");
  sim::require(tau_fall_max > tau_fall_min && std::isfinite(tau_fall_max), "tau_fall_max",
               tau_fall_max, "> tau_fall_min");
}

double BazinFit::peak_time() const {
  if (!(tau_fall > tau_rise)) return t0;
  return t0 + tau_rise * std::log(tau_fall / tau_rise - 1.0);
}

double BazinFit::flux(int band, double t) const {
  if (band < 0 || band >= static_cast<int>(amplitude.size()))
    throw std::invalid_argument("band = " + std::to_string(band) + " (allowed: 0.." +
                                std::to_string(static_cast<int>(amplitude.size()) - 1) + ")");
  const auto b = static_cast<std::size_t>(band);
  return bazin_flux(t, amplitude[b], t0, tau_rise, tau_fall, baseline[b]);
}

BazinFit fit_bazin(const std::vector<double>& t, const std::vector<int>& band,
                   const std::vector<double>& flux, const std::vector<double>& flux_err, int bands,
                   const BazinFitOptions& o) {
  o.validate();
  if (band.size() != t.size() || flux.size() != t.size() || flux_err.size() != t.size())
    throw std::invalid_argument("fit_bazin: t, band, flux, flux_err have lengths " +
                                std::to_string(t.size()) + ", " + std::to_string(band.size()) +
                                ", " + std::to_string(flux.size()) + ", " +
                                std::to_string(flux_err.size()) + " (allowed: equal)");
  sim::require(bands >= 1, "bands", bands, ">= 1");
  BazinFit fit;
  fit.amplitude.assign(static_cast<std::size_t>(bands), 0.0);
  fit.baseline.assign(static_cast<std::size_t>(bands), 0.0);
  fit.points.assign(static_cast<std::size_t>(bands), 0);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (band[i] < 0 || band[i] >= bands)
      throw std::invalid_argument("band = " + std::to_string(band[i]) + " at observation " +
                                  std::to_string(i) + " (allowed: 0.." + std::to_string(bands - 1) +
                                  ")");
    sim::require(flux_err[i] > 0 && std::isfinite(flux_err[i]), "flux_err", flux_err[i],
                 "finite and > 0");
    sim::require(std::isfinite(flux[i]) && std::isfinite(t[i]), "flux", flux[i],
                 "finite (with finite t)");
    ++fit.points[static_cast<std::size_t>(band[i])];
  }
  Problem pr{t,
             band,
             flux,
             flux_err,
             std::vector<int>(static_cast<std::size_t>(bands), -1),
             o.fit_baseline ? 2 : 1,
             3};
  for (int b = 0; b < bands; ++b)
    if (fit.points[static_cast<std::size_t>(b)] > 0) {
      pr.slot[static_cast<std::size_t>(b)] = pr.n_params;
      pr.n_params += pr.per_band;
    }
  const int n = pr.n_params;
  fit.dof = static_cast<int>(t.size()) - n;
  fit.tau_rise = 3.0;
  fit.tau_fall = 30.0;
  if (fit.dof < 0 || t.empty()) {
    fit.flags |= kBazinTooFewPoints;
    if (!t.empty()) fit.t0 = t.front();
    return fit;
  }
  // Start: the grid point of least chi2 around the observation of highest S/N.
  std::size_t best_i = 0;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (flux[i] / flux_err[i] > flux[best_i] / flux_err[best_i]) best_i = i;
  const double t_peak = t[best_i];
  const double lu_lo = std::log(o.tau_rise_min), lu_hi = std::log(o.tau_rise_max);
  const double lv_lo = std::log(o.tau_fall_min), lv_hi = std::log(o.tau_fall_max);
  std::vector<double> p(static_cast<std::size_t>(n), 0.0), best;
  double best_chi2 = std::numeric_limits<double>::infinity();
  for (double dt : {-30.0, -15.0, -8.0, -3.0, 0.0, 5.0})
    for (double tr : {1.0, 3.0, 10.0})
      for (double tf : {10.0, 30.0, 100.0, 300.0}) {
        p[0] = t_peak + dt;
        p[1] = std::clamp(std::log(tr), lu_lo, lu_hi);
        p[2] = std::clamp(std::log(tf), lv_lo, lv_hi);
        const double c = solve_linear(pr, p);
        if (c < best_chi2) {
          best_chi2 = c;
          best = p;
        }
      }
  p = best;
  double chi2 = best_chi2;
  const double t_lo = *std::min_element(t.begin(), t.end()) - 200.0;
  const double t_hi = *std::max_element(t.begin(), t.end()) + 200.0;
  double lambda = 1e-3;
  bool converged = false;
  std::vector<double> jtj(static_cast<std::size_t>(n * n)), jtr(static_cast<std::size_t>(n));
  std::vector<double> row(static_cast<std::size_t>(n));
  for (fit.iterations = 0; fit.iterations < o.max_iterations && !converged; ++fit.iterations) {
    std::fill(jtj.begin(), jtj.end(), 0.0);
    std::fill(jtr.begin(), jtr.end(), 0.0);
    const double tr = std::exp(p[1]), tf = std::exp(p[2]);
    for (std::size_t i = 0; i < t.size(); ++i) {
      const int k = pr.slot[static_cast<std::size_t>(band[i])];
      const ShapeGrad g = shape_grad(t[i], p[0], tr, tf);
      const double a = p[static_cast<std::size_t>(k)];
      const double m = a * g.s + (pr.per_band == 2 ? p[static_cast<std::size_t>(k + 1)] : 0.0);
      const double w = 1.0 / flux_err[i];
      const double r = (flux[i] - m) * w;
      std::fill(row.begin(), row.end(), 0.0);
      row[0] = a * g.d_t0 * w;
      row[1] = a * g.d_u * w;
      row[2] = a * g.d_v * w;
      row[static_cast<std::size_t>(k)] = g.s * w;
      if (pr.per_band == 2) row[static_cast<std::size_t>(k + 1)] = w;
      // Sparse accumulate: only the shape parameters and this band's are non-zero.
      const int idx[5] = {0, 1, 2, k, k + 1};
      const int m_idx = pr.per_band == 2 ? 5 : 4;
      for (int x = 0; x < m_idx; ++x) {
        const auto ix = static_cast<std::size_t>(idx[x]);
        jtr[ix] += row[ix] * r;
        for (int y = 0; y < m_idx; ++y) {
          const auto iy = static_cast<std::size_t>(idx[y]);
          jtj[ix * static_cast<std::size_t>(n) + iy] += row[ix] * row[iy];
        }
      }
    }
    // Inner loop: raise lambda until a step lowers chi2.
    bool accepted = false;
    while (!accepted && lambda < 1e12) {
      std::vector<double> a = jtj, step = jtr;
      for (int d = 0; d < n; ++d) {
        const auto dd = static_cast<std::size_t>(d * n + d);
        a[dd] += lambda * a[dd] + 1e-12;
      }
      if (!solve(a, step, n)) {
        lambda *= 10;
        continue;
      }
      std::vector<double> q = p;
      for (int d = 0; d < n; ++d)
        q[static_cast<std::size_t>(d)] += step[static_cast<std::size_t>(d)];
      q[0] = std::clamp(q[0], t_lo, t_hi);
      q[1] = std::clamp(q[1], lu_lo, lu_hi);
      q[2] = std::clamp(q[2], lv_lo, lv_hi);
      const double c = chi2_of(pr, q);
      if (c <= chi2) {
        converged = chi2 - c <= 1e-9 * chi2 + 1e-12;
        p = q;
        chi2 = c;
        lambda = std::max(lambda * 0.1, 1e-12);
        accepted = true;
      } else {
        lambda *= 10;
      }
    }
    if (!accepted) converged = true;  // no step lowers chi2: a minimum to machine precision
  }
  if (!converged) fit.flags |= kBazinNotConverged;
  fit.t0 = p[0];
  fit.tau_rise = std::exp(p[1]);
  fit.tau_fall = std::exp(p[2]);
  const double eps = 1e-6;
  if (p[1] <= lu_lo + eps || p[1] >= lu_hi - eps || p[2] <= lv_lo + eps || p[2] >= lv_hi - eps)
    fit.flags |= kBazinAtBound;
  for (int b = 0; b < bands; ++b) {
    const int k = pr.slot[static_cast<std::size_t>(b)];
    if (k < 0) continue;
    fit.amplitude[static_cast<std::size_t>(b)] = p[static_cast<std::size_t>(k)];
    if (pr.per_band == 2)
      fit.baseline[static_cast<std::size_t>(b)] = p[static_cast<std::size_t>(k + 1)];
  }
  fit.chi2 = chi2;
  return fit;
}

}  // namespace cosmograd::surveys
