// Calibration of posterior samples (see calibration.hpp): SBC ranks and their chi-square test
// (Talts et al. 2018, arXiv:1804.06788), marginal coverage (Hyndman & Fan 1996 type 6
// quantiles), TARP (Lemos et al. 2023, arXiv:2302.03026), binomial coverage bands and plots.
#include "inference/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "viz/plot.hpp"

namespace cosmograd::inference {
namespace {

/// A double as text for error messages ("0.5", "1e-09", "nan").
std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

/// Throws std::invalid_argument with "fn: message".
[[noreturn]] void fail(const char* fn, const std::string& message) {
  throw std::invalid_argument(std::string(fn) + ": " + message);
}

/// Checks samples against truths (n >= 1 rows, p >= 1 columns, one L x p matrix per row, the
/// same L >= 1 everywhere, every value finite) and returns L.
Eigen::Index check_samples(const char* fn, const std::vector<Eigen::MatrixXd>& samples,
                           const Eigen::MatrixXd& truths) {
  const Eigen::Index n = truths.rows(), p = truths.cols();
  if (n < 1 || p < 1) {
    fail(fn, "truths is " + std::to_string(n) + " x " + std::to_string(p) +
                 "; it needs at least one row (simulation) and one column (parameter)");
  }
  if (static_cast<Eigen::Index>(samples.size()) != n) {
    fail(fn, "samples has " + std::to_string(samples.size()) + " entries; expected " +
                 std::to_string(n) + " (one per row of truths)");
  }
  const Eigen::Index L = samples[0].rows();
  if (L < 1) fail(fn, "samples[0] has 0 rows; each simulation needs at least one sample");
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::MatrixXd& s = samples[static_cast<std::size_t>(i)];
    const std::string name = "samples[" + std::to_string(i) + "]";
    if (s.cols() != p) {
      fail(fn, name + " has " + std::to_string(s.cols()) + " columns; expected " +
                   std::to_string(p) + " (the columns of truths)");
    }
    if (s.rows() != L) {
      fail(fn, name + " has " + std::to_string(s.rows()) + " rows (samples); expected " +
                   std::to_string(L) +
                   " like samples[0]: every simulation needs the same number of samples");
    }
    for (Eigen::Index j = 0; j < p; ++j) {
      if (!std::isfinite(truths(i, j))) {
        fail(fn, "truths(" + std::to_string(i) + ", " + std::to_string(j) + ") is " +
                     num(truths(i, j)) + "; must be finite");
      }
      for (Eigen::Index r = 0; r < L; ++r) {
        if (!std::isfinite(s(r, j))) {
          fail(fn, name + "(" + std::to_string(r) + ", " + std::to_string(j) + ") is " +
                       num(s(r, j)) + "; must be finite");
        }
      }
    }
  }
  return L;
}

/// Checks that `bins` groups the L + 1 rank values 0..L into equal bins.
void check_bins(const char* fn, int samples_per_truth, int bins) {
  if (samples_per_truth < 1) {
    fail(fn, "samples_per_truth is " + std::to_string(samples_per_truth) + "; must be >= 1");
  }
  const long long values = static_cast<long long>(samples_per_truth) + 1;
  if (bins < 2 || bins > values || values % bins != 0) {
    fail(fn, "bins is " + std::to_string(bins) + "; must be >= 2 and divide the " +
                 std::to_string(values) + " rank values 0.." + std::to_string(samples_per_truth) +
                 " (samples_per_truth + 1)");
  }
}

/// Counts of the ranks in `ranks` (values in 0..L) per bin of (L + 1) / bins ranks.
std::vector<double> bin_counts(const char* fn, const Eigen::VectorXi& ranks, int L, int bins) {
  const long long width = (static_cast<long long>(L) + 1) / bins;
  std::vector<double> counts(static_cast<std::size_t>(bins), 0.0);
  for (Eigen::Index i = 0; i < ranks.size(); ++i) {
    const int r = ranks(i);
    if (r < 0 || r > L) {
      fail(fn, "ranks(" + std::to_string(i) + ") is " + std::to_string(r) + "; must lie in 0.." +
                   std::to_string(L) + " (samples_per_truth)");
    }
    counts[static_cast<std::size_t>(r / width)] += 1.0;
  }
  return counts;
}

/// Checks that `names` has one entry per parameter (or none) and returns the names to show.
std::vector<std::string> parameter_names(const char* fn, const std::vector<std::string>& names,
                                         Eigen::Index p) {
  if (names.empty()) {
    std::vector<std::string> out;
    for (Eigen::Index j = 0; j < p; ++j) out.push_back("parameter " + std::to_string(j + 1));
    return out;
  }
  if (static_cast<Eigen::Index>(names.size()) != p) {
    fail(fn, "names has " + std::to_string(names.size()) + " entries; expected " +
                 std::to_string(p) + " (one per parameter) or none");
  }
  return names;
}

/// Checks that every credibility level is finite and in (0, 1).
void check_levels(const char* fn, const std::vector<double>& levels) {
  if (levels.empty()) fail(fn, "levels is empty; give at least one level in (0, 1)");
  for (std::size_t l = 0; l < levels.size(); ++l) {
    if (!(levels[l] > 0.0 && levels[l] < 1.0)) {
      fail(fn, "levels[" + std::to_string(l) + "] is " + num(levels[l]) +
                   "; every level must lie in (0, 1)");
    }
  }
}

/// Uniform in [0, 1) from the top 53 bits of one draw.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// Empirical quantile of the sorted values `x` at probability `prob` (Hyndman & Fan 1996 type
/// 6: 1-based position prob * (L + 1), clamped to the first and last order statistics).
double quantile_type6(const std::vector<double>& x, double prob) {
  const double L = static_cast<double>(x.size());
  const double h = prob * (L + 1.0);
  if (h <= 1.0) return x.front();
  if (h >= L) return x.back();
  const double k = std::floor(h);
  const std::size_t i = static_cast<std::size_t>(k) - 1;
  return x[i] + (h - k) * (x[i + 1] - x[i]);
}

/// exp(-y + a ln y - lnGamma(a)), the prefactor of the incomplete gamma functions.
double gamma_prefactor(double a, double y) {
  return std::exp(-y + a * std::log(y) - std::lgamma(a));
}

}  // namespace

Eigen::MatrixXi sbc_ranks(const std::vector<Eigen::MatrixXd>& samples,
                          const Eigen::MatrixXd& truths) {
  const Eigen::Index L = check_samples("sbc_ranks", samples, truths);
  Eigen::MatrixXi ranks(truths.rows(), truths.cols());
  for (Eigen::Index i = 0; i < truths.rows(); ++i) {
    const Eigen::MatrixXd& s = samples[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 0; j < truths.cols(); ++j) {
      int below = 0;
      for (Eigen::Index r = 0; r < L; ++r) below += s(r, j) < truths(i, j) ? 1 : 0;
      ranks(i, j) = below;
    }
  }
  return ranks;
}

UniformityTest rank_uniformity(const Eigen::VectorXi& ranks, int samples_per_truth, int bins) {
  check_bins("rank_uniformity", samples_per_truth, bins);
  if (ranks.size() < 1) fail("rank_uniformity", "ranks is empty; needs at least one rank");
  const std::vector<double> counts = bin_counts("rank_uniformity", ranks, samples_per_truth, bins);
  const double expected = static_cast<double>(ranks.size()) / bins;
  UniformityTest t;
  for (double c : counts) t.statistic += (c - expected) * (c - expected) / expected;
  t.dof = bins - 1;
  t.p_value = chi2_survival(t.statistic, t.dof);
  return t;
}

double chi2_survival(double x, int dof) {
  if (dof < 1) fail("chi2_survival", "dof is " + std::to_string(dof) + "; must be >= 1");
  if (std::isnan(x) || x < 0) fail("chi2_survival", "x is " + num(x) + "; must be >= 0");
  if (x == 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  const double a = 0.5 * dof, y = 0.5 * x;
  constexpr double eps = std::numeric_limits<double>::epsilon();
  constexpr int max_iterations = 1000000;
  if (y < a + 1.0) {
    // Series for the lower function P(a, y); Q = 1 - P is not small here.
    double term = 1.0 / a, sum = term, ap = a;
    for (int i = 0; i < max_iterations && std::abs(term) > std::abs(sum) * eps; ++i) {
      ap += 1.0;
      term *= y / ap;
      sum += term;
    }
    return std::clamp(1.0 - sum * gamma_prefactor(a, y), 0.0, 1.0);
  }
  // Modified Lentz continued fraction for Q(a, y).
  constexpr double tiny = std::numeric_limits<double>::min() / eps;
  double b = y + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < max_iterations; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) <= eps) break;
  }
  return std::clamp(gamma_prefactor(a, y) * h, 0.0, 1.0);
}

double kolmogorov_survival(double t) {
  if (std::isnan(t)) fail("kolmogorov_survival", "t is nan; must be a number");
  if (t <= 0) return 1.0;
  constexpr double pi = 3.14159265358979323846;
  if (t >= 1.18) {
    double sum = 0.0;
    for (int k = 1; k <= 100; ++k) {
      const double term = std::exp(-2.0 * k * k * t * t);
      sum += (k % 2 == 1 ? term : -term);
      if (term < 1e-20) break;
    }
    return std::clamp(2.0 * sum, 0.0, 1.0);
  }
  double sum = 0.0;
  for (int k = 1; k <= 100; ++k) {
    const double m = 2.0 * k - 1.0;
    const double term = std::exp(-m * m * pi * pi / (8.0 * t * t));
    sum += term;
    if (term < 1e-20 * sum || term == 0.0) break;
  }
  return std::clamp(1.0 - std::sqrt(2.0 * pi) / t * sum, 0.0, 1.0);
}

Eigen::MatrixXd marginal_coverage(const std::vector<Eigen::MatrixXd>& samples,
                                  const Eigen::MatrixXd& truths,
                                  const std::vector<double>& levels) {
  const Eigen::Index L = check_samples("marginal_coverage", samples, truths);
  check_levels("marginal_coverage", levels);
  const Eigen::Index n = truths.rows(), p = truths.cols();
  const Eigen::Index m = static_cast<Eigen::Index>(levels.size());
  Eigen::MatrixXd coverage = Eigen::MatrixXd::Zero(m, p);
  std::vector<double> sorted(static_cast<std::size_t>(L));
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::MatrixXd& s = samples[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 0; j < p; ++j) {
      for (Eigen::Index r = 0; r < L; ++r) sorted[static_cast<std::size_t>(r)] = s(r, j);
      std::sort(sorted.begin(), sorted.end());
      for (Eigen::Index l = 0; l < m; ++l) {
        const double a = levels[static_cast<std::size_t>(l)];
        const double lo = quantile_type6(sorted, 0.5 * (1.0 - a));
        const double hi = quantile_type6(sorted, 0.5 * (1.0 + a));
        if (truths(i, j) >= lo && truths(i, j) <= hi) coverage(l, j) += 1.0;
      }
    }
  }
  return coverage / static_cast<double>(n);
}

TarpResult tarp(const std::vector<Eigen::MatrixXd>& samples, const Eigen::MatrixXd& truths,
                const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, std::uint64_t seed,
                int points) {
  const Eigen::Index L = check_samples("tarp", samples, truths);
  const Eigen::Index n = truths.rows(), p = truths.cols();
  if (lo.size() != p || hi.size() != p) {
    fail("tarp", "lo has " + std::to_string(lo.size()) + " and hi " + std::to_string(hi.size()) +
                     " entries; both need " + std::to_string(p) + " (the columns of truths)");
  }
  for (Eigen::Index j = 0; j < p; ++j) {
    if (!std::isfinite(lo(j)) || !std::isfinite(hi(j)) || !(hi(j) > lo(j))) {
      fail("tarp", "the prior box in parameter " + std::to_string(j) + " is lo(" +
                       std::to_string(j) + ") = " + num(lo(j)) + ", hi(" + std::to_string(j) +
                       ") = " + num(hi(j)) + "; both must be finite with lo < hi");
    }
  }
  if (points < 2) fail("tarp", "points is " + std::to_string(points) + "; must be >= 2");

  const Eigen::ArrayXd scale = (hi - lo).array().inverse();
  std::mt19937_64 rng(seed);
  Eigen::ArrayXd reference(p);
  TarpResult out;
  out.credibility.resize(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < p; ++j) reference(j) = uniform01(rng);
    const double u = uniform01(rng);
    const Eigen::ArrayXd t = (truths.row(i).transpose() - lo).array() * scale;
    const double d_truth = (t - reference).square().sum();
    const Eigen::MatrixXd& s = samples[static_cast<std::size_t>(i)];
    int closer = 0, tied = 0;
    for (Eigen::Index r = 0; r < L; ++r) {
      const Eigen::ArrayXd x = (s.row(r).transpose() - lo).array() * scale;
      const double d = (x - reference).square().sum();
      closer += d < d_truth ? 1 : 0;
      tied += d == d_truth ? 1 : 0;
    }
    out.credibility[static_cast<std::size_t>(i)] =
        (closer + u * (tied + 1)) / static_cast<double>(L + 1);
  }

  std::vector<double> f = out.credibility;
  std::sort(f.begin(), f.end());
  const double dn = static_cast<double>(n);
  for (int k = 0; k < points; ++k) {
    const double a = static_cast<double>(k) / (points - 1);
    const auto below = std::lower_bound(f.begin(), f.end(), a) - f.begin();
    out.alpha.push_back(a);
    out.ecp.push_back(static_cast<double>(below) / dn);
    out.max_deviation = std::max(out.max_deviation, std::abs(out.ecp.back() - a));
  }
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double di = static_cast<double>(i);
    out.ks_statistic = std::max({out.ks_statistic, (di + 1.0) / dn - f[i], f[i] - di / dn});
  }
  const double root_n = std::sqrt(dn);
  out.ks_p_value = kolmogorov_survival((root_n + 0.12 + 0.11 / root_n) * out.ks_statistic);
  return out;
}

std::pair<double, double> coverage_band(int n, double alpha, double confidence) {
  if (n < 1) fail("coverage_band", "n is " + std::to_string(n) + "; must be >= 1");
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    fail("coverage_band", "alpha is " + num(alpha) + "; must lie in [0, 1]");
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    fail("coverage_band", "confidence is " + num(confidence) + "; must lie in (0, 1)");
  }
  if (alpha == 0.0) return {0.0, 0.0};
  if (alpha == 1.0) return {1.0, 1.0};
  const double p_lo = 0.5 * (1.0 - confidence), p_hi = 0.5 * (1.0 + confidence);
  constexpr double slack = 1e-12;  // rounding of the summed pmf at an exact quantile
  const double log_a = std::log(alpha), log_b = std::log1p(-alpha);
  const double log_n_factorial = std::lgamma(n + 1.0);
  int q_lo = -1, q_hi = n;
  double cdf = 0.0;
  for (int k = 0; k <= n; ++k) {
    cdf += std::exp(log_n_factorial - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * log_a +
                    (n - k) * log_b);
    if (q_lo < 0 && cdf >= p_lo - slack) q_lo = k;
    if (cdf >= p_hi - slack) {
      q_hi = k;
      break;
    }
  }
  if (q_lo < 0) q_lo = q_hi;
  return {static_cast<double>(q_lo) / n, static_cast<double>(q_hi) / n};
}

bool within_band(const std::vector<double>& alpha, const std::vector<double>& coverage, int n,
                 double confidence, bool simultaneous) {
  if (alpha.empty() || alpha.size() != coverage.size()) {
    fail("within_band", "alpha has " + std::to_string(alpha.size()) + " and coverage " +
                            std::to_string(coverage.size()) +
                            " values; they need the same number, at least one");
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    fail("within_band", "confidence is " + num(confidence) + "; must lie in (0, 1)");
  }
  // Bonferroni: split 1 - confidence over the points that can fall outside their band.
  int tested = 0;
  for (double a : alpha) tested += a > 0.0 && a < 1.0 ? 1 : 0;
  const double per_point =
      simultaneous && tested > 1 ? 1.0 - (1.0 - confidence) / tested : confidence;
  bool inside = true;
  for (std::size_t k = 0; k < alpha.size(); ++k) {
    if (!std::isfinite(coverage[k])) {
      fail("within_band",
           "coverage[" + std::to_string(k) + "] is " + num(coverage[k]) + "; must be finite");
    }
    const auto [lo, hi] = coverage_band(n, alpha[k], per_point);
    inside = inside && coverage[k] >= lo - 1e-12 && coverage[k] <= hi + 1e-12;
  }
  return inside;
}

void write_rank_histogram_png(const std::string& path, const Eigen::MatrixXi& ranks,
                              int samples_per_truth, int bins,
                              const std::vector<std::string>& names, const std::string& title) {
  constexpr const char* fn = "write_rank_histogram_png";
  check_bins(fn, samples_per_truth, bins);
  if (ranks.rows() < 1 || ranks.cols() < 1) {
    fail(fn, "ranks is " + std::to_string(ranks.rows()) + " x " + std::to_string(ranks.cols()) +
                 "; needs at least one row and one column");
  }
  const std::vector<std::string> labels = parameter_names(fn, names, ranks.cols());
  const int n = static_cast<int>(ranks.rows());
  const double width = (static_cast<double>(samples_per_truth) + 1.0) / bins;

  viz::PlotSpec spec;
  spec.title = title;
  spec.xlabel = "rank of the truth among its " + std::to_string(samples_per_truth) + " samples";
  spec.ylabel = "simulations per bin";
  double top = 0.0;
  for (Eigen::Index j = 0; j < ranks.cols(); ++j) {
    const Eigen::VectorXi column = ranks.col(j);
    const std::vector<double> counts = bin_counts(fn, column, samples_per_truth, bins);
    viz::Series s;
    s.label = labels[static_cast<std::size_t>(j)];
    s.color = viz::tab10(static_cast<int>(j));
    for (int b = 0; b < bins; ++b) {
      const double c = counts[static_cast<std::size_t>(b)];
      s.x.insert(s.x.end(), {b * width, (b + 1) * width});
      s.y.insert(s.y.end(), {c, c});
      top = std::max(top, c);
    }
    spec.series.push_back(std::move(s));
  }
  const double x_end = (static_cast<double>(samples_per_truth) + 1.0);
  const auto [band_lo, band_hi] = coverage_band(n, 1.0 / bins);
  viz::Series expected;
  expected.label = "expected, " + std::to_string(n) + " / " + std::to_string(bins);
  expected.color = sim::RGB{0, 0, 0};
  expected.line_width = 1.5;
  expected.x = {0.0, x_end};
  expected.y = {static_cast<double>(n) / bins, static_cast<double>(n) / bins};
  spec.series.push_back(expected);
  for (const double edge : {band_lo, band_hi}) {
    viz::Series s;
    s.label = spec.series.back().line == viz::LineStyle::dashed ? "" : "95% binomial band";
    s.color = sim::RGB{120, 120, 120};
    s.line = viz::LineStyle::dashed;
    s.line_width = 1.5;
    s.x = {0.0, x_end};
    s.y = {edge * n, edge * n};
    top = std::max(top, edge * n);
    spec.series.push_back(std::move(s));
  }
  spec.xrange = viz::AxisRange{0.0, x_end};
  spec.yrange = viz::AxisRange{0.0, 1.3 * top + 1.0};
  spec.legend = viz::LegendPosition::upper_right;
  viz::write_plot_png(path, spec);
}

void write_coverage_png(const std::string& path, const TarpResult& tarp,
                        const std::vector<double>& levels, const Eigen::MatrixXd& marginal, int n,
                        const std::vector<std::string>& names, const std::string& title) {
  constexpr const char* fn = "write_coverage_png";
  if (tarp.alpha.empty() || tarp.alpha.size() != tarp.ecp.size()) {
    fail(fn, "tarp.alpha has " + std::to_string(tarp.alpha.size()) + " and tarp.ecp " +
                 std::to_string(tarp.ecp.size()) +
                 " values; they need the same number, at least one");
  }
  check_levels(fn, levels);
  if (marginal.rows() != static_cast<Eigen::Index>(levels.size()) || marginal.cols() < 1) {
    fail(fn, "marginal is " + std::to_string(marginal.rows()) + " x " +
                 std::to_string(marginal.cols()) + "; expected " + std::to_string(levels.size()) +
                 " rows (one per level) and at least one column");
  }
  if (n < 1) fail(fn, "n is " + std::to_string(n) + "; must be >= 1");
  const std::vector<std::string> labels = parameter_names(fn, names, marginal.cols());

  viz::PlotSpec spec;
  spec.title = title;
  spec.xlabel = "credibility level";
  spec.ylabel = "expected coverage";
  viz::Series diagonal;
  diagonal.label = "calibrated";
  diagonal.color = sim::RGB{0, 0, 0};
  diagonal.line_width = 1.5;
  diagonal.x = {0.0, 1.0};
  diagonal.y = {0.0, 1.0};
  spec.series.push_back(diagonal);
  viz::Series lower, upper;
  lower.label = "pointwise 95% band, n = " + std::to_string(n);
  for (viz::Series* s : {&lower, &upper}) {
    s->color = sim::RGB{120, 120, 120};
    s->line = viz::LineStyle::dashed;
    s->line_width = 1.5;
  }
  constexpr int grid = 100;
  for (int k = 0; k <= grid; ++k) {
    const double a = static_cast<double>(k) / grid;
    const auto [lo, hi] = coverage_band(n, a);
    lower.x.push_back(a);
    lower.y.push_back(lo);
    upper.x.push_back(a);
    upper.y.push_back(hi);
  }
  spec.series.push_back(lower);
  spec.series.push_back(upper);
  viz::Series ecp;
  ecp.label = "TARP";
  ecp.color = viz::tab10(0);
  ecp.line_width = 2.5;
  ecp.x = tarp.alpha;
  ecp.y = tarp.ecp;
  spec.series.push_back(ecp);
  for (Eigen::Index j = 0; j < marginal.cols(); ++j) {
    viz::Series s;
    s.label = labels[static_cast<std::size_t>(j)] + " (marginal)";
    s.color = viz::tab10(static_cast<int>(j) + 1);
    s.line = viz::LineStyle::dotted;
    s.marker = viz::Marker::circle;
    s.x = levels;
    for (Eigen::Index l = 0; l < marginal.rows(); ++l) s.y.push_back(marginal(l, j));
    spec.series.push_back(std::move(s));
  }
  std::ostringstream note;
  note << std::setprecision(3) << "TARP: KS p = " << tarp.ks_p_value
       << ", max |ECP - #ga| = " << tarp.max_deviation;
  spec.notes = {note.str()};
  spec.xrange = viz::AxisRange{0.0, 1.0};
  spec.yrange = viz::AxisRange{0.0, 1.0};
  spec.legend = viz::LegendPosition::upper_left;
  viz::write_plot_png(path, spec);
}

}  // namespace cosmograd::inference
