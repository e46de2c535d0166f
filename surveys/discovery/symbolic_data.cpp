#include "surveys/discovery/symbolic_data.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/images/sersic.hpp"

namespace cosmograd::surveys::symbolic {
namespace {

using sim::require;

/// Uniform in [0, 1) from a 64-bit Mersenne twister (its output is fixed by the standard).
double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/// Standard normal by Box-Muller from uniform01.
double normal01(std::mt19937_64& g) {
  const double u = 1.0 - uniform01(g), v = uniform01(g);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

void push(FitData* d, double x, double y, double sigma) {
  if (d->x.empty()) d->x.resize(1);
  d->x[0].push_back(x);
  d->y.push_back(y);
  d->sigma.push_back(sigma);
}

/// Splits the points (x, y, sigma) into train and held out: a random `fraction` held out.
void split(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& s,
           double fraction, std::mt19937_64& g, FitData* train, FitData* holdout) {
  std::vector<std::size_t> order(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size(); i > 1; --i)  // Fisher-Yates
    std::swap(order[i - 1], order[static_cast<std::size_t>(uniform01(g) * static_cast<double>(i))]);
  const auto n_hold =
      static_cast<std::size_t>(std::lround(fraction * static_cast<double>(x.size())));
  std::vector<bool> held(x.size(), false);
  for (std::size_t k = 0; k < n_hold; ++k) held[order[k]] = true;
  train->x.assign(1, {});
  holdout->x.assign(1, {});
  for (std::size_t i = 0; i < x.size(); ++i) push(held[i] ? holdout : train, x[i], y[i], s[i]);
}

/// Numerical logarithmic slope d ln f / d ln x of e at x (NaN when invalid or f <= 0).
double log_slope(const Expr& e, double x) {
  const double h = 1e-4;
  const double a = evaluate_at(e, {x * std::exp(-h)}), b = evaluate_at(e, {x * std::exp(h)});
  if (!(a > 0) || !(b > 0)) return std::nan("");
  return (std::log(b) - std::log(a)) / (2 * h);
}

std::string fmt(double v, int precision = 4) {
  std::ostringstream o;
  o.precision(precision);
  o << v;
  return o.str();
}

}  // namespace

SymbolicDataset sersic_bn_dataset(const SersicBnOptions& o) {
  require(o.points >= 10 && o.points <= 10000000, "points", o.points, "in [10, 1e7]");
  require(o.extrapolation_points >= 0, "extrapolation_points", o.extrapolation_points, ">= 0");
  require(sim::positive(o.n_min), "n_min", o.n_min, "> 0");
  require(o.n_max > o.n_min && std::isfinite(o.n_max), "n_max", o.n_max, "> n_min");
  require(o.n_extrapolate > o.n_max && o.n_extrapolate <= 100, "n_extrapolate", o.n_extrapolate,
          "in (n_max, 100]");
  require(o.noise >= 0 && o.noise <= 0.5, "noise", o.noise, "in [0, 0.5] (relative)");
  require(o.holdout_fraction >= 0 && o.holdout_fraction <= 0.9, "holdout_fraction",
          o.holdout_fraction, "in [0, 0.9]");
  std::mt19937_64 g(o.seed);
  SymbolicDataset d;
  d.name = "sersic_bn";
  d.x_name = "n";
  d.x_label = "Sersic index n";
  d.y_label = "b#dn#u";
  d.truth = [](double n) { return sersic_bn(n); };
  d.truth_text =
      "b_n solving P(2n, b_n) = 1/2 (Ciotti & Bertin 1999, eq. 4); asymptotically "
      "b_n = 2n - 1/3 + 4/(405 n) + 46/(25515 n^2) + ... (their eq. 18)";
  const auto draw = [&](double lo, double hi, int count, std::vector<double>* x,
                        std::vector<double>* y, std::vector<double>* s) {
    for (int i = 0; i < count; ++i) {
      const double n = lo + (hi - lo) * uniform01(g);
      const double b = sersic_bn(n) * (1 + o.noise * normal01(g));
      x->push_back(n);
      y->push_back(b);
      s->push_back(std::max(o.noise, 1e-3) * std::abs(b));
    }
  };
  std::vector<double> x, y, s, xe, ye, se;
  draw(o.n_min, o.n_max, o.points, &x, &y, &s);
  draw(o.n_max, o.n_extrapolate, o.extrapolation_points, &xe, &ye, &se);
  split(x, y, s, o.holdout_fraction, g, &d.train, &d.holdout);
  d.extrapolation.x.assign(1, {});
  for (std::size_t i = 0; i < xe.size(); ++i) push(&d.extrapolation, xe[i], ye[i], se[i]);
  std::ostringstream desc;
  desc << o.points << " Sersic indices n uniform in [" << o.n_min << ", " << o.n_max << "] (seed "
       << o.seed << "), b_n from boost's inverse regularised incomplete gamma "
       << "(surveys/images/sersic.hpp sersic_bn) times (1 + " << o.noise
       << " N(0,1)): Gaussian relative noise of " << 100 * o.noise
       << "%; loss sigma = " << std::max(o.noise, 1e-3) << " b_n. " << d.holdout.size()
       << " of them held out at random (" << o.holdout_fraction << "); " << o.extrapolation_points
       << " extrapolation points with n uniform in (" << o.n_max << ", " << o.n_extrapolate
       << "], same noise.";
  d.description = desc.str();
  return d;
}

SymbolicDataset hod_nsat_dataset(const HodNsatOptions& o) {
  o.params.validate();
  require(o.halos >= 1000 && o.halos <= 100000000, "halos", static_cast<double>(o.halos),
          "in [1000, 1e8]");
  require(o.bins >= 10 && o.bins <= 10000, "bins", o.bins, "in [10, 10000]");
  require(o.extrapolation_bins >= 0 && o.extrapolation_bins <= 10000, "extrapolation_bins",
          o.extrapolation_bins, "in [0, 10000]");
  require(o.log_m_min > 8 && o.log_m_min < 17, "log_m_min", o.log_m_min,
          "in (8, 17) [log10 Msun/h]");
  require(o.log_m_max > o.log_m_min && o.log_m_max < 17, "log_m_max", o.log_m_max,
          "in (log_m_min, 17) [log10 Msun/h]");
  require(o.log_m_extrapolate >= o.log_m_max && o.log_m_extrapolate < 17.5, "log_m_extrapolate",
          o.log_m_extrapolate, "in [log_m_max, 17.5) [log10 Msun/h]");
  require(sim::positive(o.mass_unit), "mass_unit", o.mass_unit, "> 0 [Msun/h]");
  require(o.holdout_fraction >= 0 && o.holdout_fraction <= 0.9, "holdout_fraction",
          o.holdout_fraction, "in [0, 0.9]");
  std::mt19937_64 g(o.seed);
  // Bins: `bins` over [log_m_min, log_m_max], `extrapolation_bins` of the same width beyond.
  const double width = (o.log_m_max - o.log_m_min) / o.bins;
  const int ext_bins =
      o.extrapolation_bins > 0
          ? std::min(
                o.extrapolation_bins,
                static_cast<int>(std::floor((o.log_m_extrapolate - o.log_m_max) / width + 1e-9)))
          : 0;
  const int total_bins = o.bins + ext_bins;
  const double lm_hi = o.log_m_min + width * total_bins;
  std::vector<double> n_halo(static_cast<std::size_t>(total_bins), 0.0),
      n_sat(static_cast<std::size_t>(total_bins), 0.0),
      m_sum(static_cast<std::size_t>(total_bins), 0.0);
  HodOptions hod;
  hod.params = o.params;
  hod.seed = o.seed;
  hod.velocity = SatelliteVelocity::kNone;
  // R200m of a halo [Mpc/h] for the NFW radii (irrelevant for the counts): Omega_m = 0.31.
  const double rho_200m = 200 * 2.775e11 * 0.31;
  const long long chunk = 5000;
  for (long long start = 0; start < o.halos; start += chunk) {
    std::vector<HodHalo> halos;
    for (long long i = start; i < std::min(o.halos, start + chunk); ++i) {
      HodHalo h;
      h.id = i;
      h.mass = std::pow(10.0, o.log_m_min + (lm_hi - o.log_m_min) * uniform01(g));
      h.radius = std::cbrt(3 * h.mass / (4 * M_PI * rho_200m));
      halos.push_back(h);
    }
    for (const HodHalo& h : halos) {
      const auto b = static_cast<std::size_t>(
          std::min<double>(total_bins - 1, std::floor((std::log10(h.mass) - o.log_m_min) / width)));
      n_halo[b] += 1;
      m_sum[b] += h.mass;
    }
    for (const HodGalaxy& gal : populate_hod(halos, hod, 1.0, 0.0)) {
      if (gal.central) continue;
      const auto b = static_cast<std::size_t>(std::min<double>(
          total_bins - 1, std::floor((std::log10(gal.halo_mass) - o.log_m_min) / width)));
      n_sat[b] += 1;
    }
  }
  std::vector<double> x, y, s;
  SymbolicDataset d;
  d.extrapolation.x.assign(1, {});
  for (int b = 0; b < total_bins; ++b) {
    const auto k = static_cast<std::size_t>(b);
    if (n_halo[k] < 1) continue;
    const double xb = m_sum[k] / n_halo[k] / o.mass_unit, yb = n_sat[k] / n_halo[k],
                 sb = std::sqrt(std::max(n_sat[k], 1.0)) / n_halo[k];
    if (b < o.bins) {
      x.push_back(xb);
      y.push_back(yb);
      s.push_back(sb);
    } else {
      push(&d.extrapolation, xb, yb, sb);
    }
  }
  split(x, y, s, o.holdout_fraction, g, &d.train, &d.holdout);
  d.name = "hod_nsat";
  d.x_name = "x";
  d.x_label = "x = M / " + fmt(o.mass_unit) + " [Msun/h]";
  d.y_label = "<N#dsat#u>";
  d.log_axes = true;
  const HodParams p = o.params;
  const double unit = o.mass_unit;
  d.truth = [p, unit](double xv) { return mean_nsat(p, xv * unit); };
  d.truth_text =
      "<N_sat> = ((M - M_0)/M_1)^alpha (Zheng et al. 2007, eq. 5) with log M_0 = " + fmt(p.log_m0) +
      ", log M_1 = " + fmt(p.log_m1) + ", alpha = " + fmt(p.alpha) + "; in x = M / " + fmt(unit) +
      " Msun/h: ((x - " + fmt(std::pow(10, p.log_m0) / unit) + ") / " +
      fmt(std::pow(10, p.log_m1) / unit) + ")^" + fmt(p.alpha) +
      (p.modulate_satellites ? ", times <N_cen>" : "");
  std::ostringstream desc;
  desc << o.halos << " halos with log10 M [Msun/h] uniform in [" << o.log_m_min << ", " << lm_hi
       << "] (seed " << o.seed << "), populated by surveys::populate_hod (Zheng et al. 2007 "
       << "occupation: log M_min " << p.log_m_min << ", sigma_logM " << p.sigma_log_m
       << ", log M_0 " << p.log_m0 << ", log M_1 " << p.log_m1 << ", alpha " << p.alpha
       << "; its Philox Poisson satellite counts); " << o.bins << " bins of " << fmt(width, 3)
       << " dex in [" << o.log_m_min << ", " << o.log_m_max << "]: x = mean M / " << fmt(unit)
       << " Msun/h, y = satellites / halos, sigma = "
       << "sqrt(satellites) / halos (Poisson). " << d.holdout.size() << " bins held out at random ("
       << o.holdout_fraction << "); " << ext_bins
       << " extrapolation bins above log M = " << o.log_m_max << ".";
  d.description = desc.str();
  return d;
}

SymbolicDataset csv_dataset(const std::string& path, double holdout_fraction, std::uint64_t seed) {
  require(holdout_fraction >= 0 && holdout_fraction <= 0.9, "holdout_fraction", holdout_fraction,
          "in [0, 0.9]");
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("data = " + path + ": cannot be read");
  std::vector<double> x, y, s;
  std::string line;
  int line_no = 0, columns = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    std::vector<double> v;
    bool numeric = true;
    for (const std::string& c : cells) {
      try {
        std::size_t used = 0;
        const double d = std::stod(c, &used);
        if (c.find_first_not_of(" \t", used) != std::string::npos) numeric = false;
        v.push_back(d);
      } catch (const std::exception&) {
        numeric = false;
      }
    }
    if (!numeric) {
      if (x.empty() && columns == 0) {  // a header
        columns = -1;
        continue;
      }
      throw std::invalid_argument("data = " + path + ": line " + std::to_string(line_no) +
                                  " is not numbers (allowed: x,y[,sigma])");
    }
    if (v.size() != 2 && v.size() != 3)
      throw std::invalid_argument("data = " + path + ": line " + std::to_string(line_no) + " has " +
                                  std::to_string(v.size()) +
                                  " columns (allowed: x,y or x,y,sigma)");
    if (columns > 0 && static_cast<int>(v.size()) != columns)
      throw std::invalid_argument("data = " + path + ": line " + std::to_string(line_no) + " has " +
                                  std::to_string(v.size()) + " columns, earlier " +
                                  std::to_string(columns));
    columns = static_cast<int>(v.size());
    const double sg = v.size() == 3 ? v[2] : 1.0;
    if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || !(sg > 0) || !std::isfinite(sg))
      throw std::invalid_argument("data = " + path + ": line " + std::to_string(line_no) +
                                  " has a non-finite value or a sigma <= 0");
    x.push_back(v[0]);
    y.push_back(v[1]);
    s.push_back(sg);
  }
  if (x.size() < 10)
    throw std::invalid_argument("data = " + path + ": " + std::to_string(x.size()) +
                                " rows (allowed: at least 10)");
  std::mt19937_64 g(seed);
  SymbolicDataset d;
  split(x, y, s, holdout_fraction, g, &d.train, &d.holdout);
  d.name = "csv";
  d.x_name = "x";
  d.x_label = "x";
  d.y_label = "y";
  d.extrapolation.x.assign(1, {});
  d.description = std::to_string(x.size()) + " rows of " + path +
                  (columns == 3 ? " (x, y, sigma)" : " (x, y; sigma = 1)") + "; " +
                  std::to_string(d.holdout.size()) + " held out at random (seed " +
                  std::to_string(seed) + ").";
  return d;
}

LawCheck check_sersic_law(const Expr& e) {
  LawCheck c;
  const double f100 = evaluate_at(e, {100.0}), f101 = evaluate_at(e, {101.0});
  const double slope = f101 - f100, intercept = f100 - 100 * slope;
  c.passed = std::isfinite(slope) && std::isfinite(intercept) && std::abs(slope / 2 - 1) < 0.01 &&
             std::abs(intercept + 1.0 / 3) < 0.02;
  std::ostringstream t;
  t << "asymptote of the expression: slope f(101) - f(100) = " << fmt(slope, 5)
    << " (required 2 within 1%), intercept f(100) - 100 slope = " << fmt(intercept, 4)
    << " (required -1/3 within 0.02): " << (c.passed ? "PASS" : "FAIL");
  // Projection on span{n, 1, 1/n, 1/n^2} over 200 points log-spaced in [0.5, 100].
  FitData grid;
  grid.x.assign(1, {});
  std::vector<double> f;
  bool ok = true;
  for (int i = 0; i < 200; ++i) {
    const double n = 0.5 * std::pow(200.0, i / 199.0), v = evaluate_at(e, {n});
    ok = ok && std::isfinite(v);
    push(&grid, n, v, 1.0);
  }
  if (ok) {
    // Least squares on the basis by solving the 4 x 4 normal equations.
    const int m = 4;
    std::vector<double> a(m * m, 0.0), b(m, 0.0), coef(m, 0.0);
    for (std::size_t i = 0; i < grid.size(); ++i) {
      const double n = grid.x[0][i];
      const double phi[4] = {n, 1, 1 / n, 1 / (n * n)};
      for (int r = 0; r < m; ++r) {
        b[r] += phi[r] * grid.y[i];
        for (int q = 0; q < m; ++q) a[r * m + q] += phi[r] * phi[q];
      }
    }
    // Gaussian elimination (well conditioned enough for a 4 x 4 check).
    for (int col = 0; col < m; ++col) {
      int p = col;
      for (int r = col + 1; r < m; ++r)
        if (std::abs(a[r * m + col]) > std::abs(a[p * m + col])) p = r;
      for (int k = 0; k < m; ++k) std::swap(a[col * m + k], a[p * m + k]);
      std::swap(b[col], b[p]);
      for (int r = col + 1; r < m; ++r) {
        const double q = a[r * m + col] / a[col * m + col];
        for (int k = col; k < m; ++k) a[r * m + k] -= q * a[col * m + k];
        b[r] -= q * b[col];
      }
    }
    for (int r = m - 1; r >= 0; --r) {
      double v = b[r];
      for (int k = r + 1; k < m; ++k) v -= a[r * m + k] * coef[k];
      coef[r] = v / a[r * m + r];
    }
    double worst = 0;
    for (std::size_t i = 0; i < grid.size(); ++i) {
      const double n = grid.x[0][i];
      const double fit = coef[0] * n + coef[1] + coef[2] / n + coef[3] / (n * n);
      worst = std::max(worst, std::abs(fit - grid.y[i]) / std::max(std::abs(grid.y[i]), 1e-3));
    }
    t << ". In span{n, 1, 1/n, 1/n^2} on [0.5, 100]: "
      << (worst < 1e-6 ? "yes" : "no (max relative residual " + fmt(worst, 2) + ")")
      << "; best coefficients " << fmt(coef[0], 5) << " n + (" << fmt(coef[1], 4) << ") + ("
      << fmt(coef[2], 3) << ")/n + (" << fmt(coef[3], 3)
      << ")/n^2 (Ciotti & Bertin: 2, -1/3, 4/405 = 0.00988, 46/25515 = 0.0018)";
  } else {
    t << ". The expression is invalid somewhere in [0.5, 100]";
  }
  c.text = t.str();
  return c;
}

LawCheck check_hod_law(const Expr& e, double alpha) {
  LawCheck c;
  const double s100 = log_slope(e, 100.0), s1000 = log_slope(e, 1000.0);
  c.passed = std::isfinite(s100) && std::isfinite(s1000) && std::abs(s100 - s1000) < 0.02 &&
             std::abs(s1000 - alpha) < 0.03;
  c.text = "logarithmic slope d ln f / d ln x at x = 100: " + fmt(s100) +
           ", at x = 1000: " + fmt(s1000) +
           " (required: a power law, the two within 0.02, and the latter within 0.03 "
           "of alpha = " +
           fmt(alpha) + "): " + (c.passed ? "PASS" : "FAIL");
  return c;
}

}  // namespace cosmograd::surveys::symbolic
