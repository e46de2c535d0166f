// RAIL photo-z metrics: point statistics of ez, PIT uniformity tests, CDE loss.
#include "surveys/properties/photoz_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cosmograd::surveys {
namespace {

/// The q-quantile of sorted values (linear interpolation, numpy's default).
double quantile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * (v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return quantile_sorted(v, 0.5);
}

/// Kolmogorov distribution's survival function Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 l^2).
double kolmogorov_q(double lambda) {
  if (lambda < 0.2) return 1.0;
  double s = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    s += (k % 2 ? 2.0 : -2.0) * term;
    if (term < 1e-16) break;
  }
  return std::clamp(s, 0.0, 1.0);
}

}  // namespace

PointMetrics point_metrics(const std::vector<double>& z_p, const std::vector<double>& z_s) {
  if (z_p.size() != z_s.size() || z_p.empty())
    throw std::invalid_argument("point_metrics: " + std::to_string(z_p.size()) + " estimates for " +
                                std::to_string(z_s.size()) + " truths (allowed: equal, >= 1)");
  std::vector<double> ez(z_p.size());
  double ss = 0;
  for (std::size_t i = 0; i < ez.size(); ++i) {
    ez[i] = (z_p[i] - z_s[i]) / (1 + z_s[i]);
    ss += ez[i] * ez[i];
  }
  PointMetrics m;
  m.count = ez.size();
  m.rms = std::sqrt(ss / ez.size());
  std::vector<double> sorted = ez;
  std::sort(sorted.begin(), sorted.end());
  m.bias = quantile_sorted(sorted, 0.5);
  m.sigma_iqr = (quantile_sorted(sorted, 0.75) - quantile_sorted(sorted, 0.25)) / 1.349;
  std::vector<double> dev(ez.size());
  for (std::size_t i = 0; i < ez.size(); ++i) dev[i] = std::abs(ez[i] - m.bias);
  m.sigma_mad = 1.4826 * median(dev);
  const double cut = std::max(0.06, 3 * m.sigma_iqr);
  std::size_t out = 0;
  for (double e : ez) out += std::abs(e) > cut;
  m.outlier_fraction = static_cast<double>(out) / ez.size();
  return m;
}

UniformityTest uniformity_test(std::vector<double> v) {
  if (v.empty()) throw std::invalid_argument("uniformity_test: no values");
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size());
  UniformityTest t;
  double d = 0, w2 = 1.0 / (12 * n), a2 = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double f = std::clamp(v[i], 0.0, 1.0);
    d = std::max({d, (i + 1) / n - f, f - i / n});
    const double c = f - (2.0 * i + 1) / (2 * n);
    w2 += c * c;
    // Anderson & Darling 1954: A^2 = -n - (1/n) sum (2i-1) [ln F_i + ln(1 - F_{n+1-i})].
    const double lo = std::clamp(f, 1e-10, 1 - 1e-10);
    const double hi = std::clamp(v[v.size() - 1 - i], 1e-10, 1 - 1e-10);
    a2 += (2.0 * i + 1) * (std::log(lo) + std::log(1 - hi));
  }
  t.ks = d;
  const double sn = std::sqrt(n);
  // Stephens 1970: the modified statistic (sqrt n + 0.12 + 0.11 / sqrt n) D follows Kolmogorov's
  // distribution closely for every n.
  t.ks_p_value = kolmogorov_q((sn + 0.12 + 0.11 / sn) * d);
  t.ks_critical_5 = 1.3581 / (sn + 0.12 + 0.11 / sn);
  t.cvm = w2;
  t.ad = -n - a2 / n;
  return t;
}

PdfMetrics pdf_metrics(const RedshiftPdfs& pdfs, const std::vector<double>& z_s) {
  if (pdfs.count() != z_s.size() || z_s.empty())
    throw std::invalid_argument("pdf_metrics: " + std::to_string(pdfs.count()) + " densities for " +
                                std::to_string(z_s.size()) + " truths (allowed: equal, >= 1)");
  PdfMetrics m;
  m.pit.resize(z_s.size());
  const int g = pdfs.grid.points;
  const double dz = pdfs.grid.dz();
  double loss = 0;
  std::size_t tails = 0;
  for (std::size_t i = 0; i < z_s.size(); ++i) {
    m.pit[i] = pdf_cdf(pdfs, i, z_s[i]);
    tails += m.pit[i] < 1e-4 || m.pit[i] > 1 - 1e-4;
    const double* v = pdfs.row(i);
    double sq = 0.5 * (v[0] * v[0] + v[g - 1] * v[g - 1]);
    for (int j = 1; j + 1 < g; ++j) sq += v[j] * v[j];
    loss += sq * dz - 2 * pdf_at(pdfs, i, z_s[i]);
  }
  m.pit_test = uniformity_test(m.pit);
  m.pit_outlier_rate = static_cast<double>(tails) / z_s.size();
  m.cde_loss = loss / z_s.size();
  return m;
}

std::vector<double> pdf_modes(const RedshiftPdfs& pdfs) {
  std::vector<double> z(pdfs.count());
  for (std::size_t i = 0; i < z.size(); ++i) z[i] = pdf_mode(pdfs, i);
  return z;
}

std::vector<double> unit_histogram(const std::vector<double>& values, int bins) {
  std::vector<double> h(static_cast<std::size_t>(std::max(bins, 1)), 0.0);
  for (double x : values) {
    const int b = std::clamp(static_cast<int>(x * bins), 0, bins - 1);
    h[static_cast<std::size_t>(b)] += 1;
  }
  return h;
}

}  // namespace cosmograd::surveys
