// kNN photo-z baseline: exact neighbours in standardised feature space, kernel-density p(z).
#include "surveys/properties/knn_photoz.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "surveys/properties/photoz_metrics.hpp"

namespace cosmograd::surveys {

KnnPhotoz::KnnPhotoz(std::vector<float> features, std::vector<double> redshift,
                     std::size_t feature_count)
    : z_(std::move(redshift)), f_(feature_count) {
  if (f_ == 0 || features.size() != z_.size() * f_ || z_.empty())
    throw std::invalid_argument("KnnPhotoz: " + std::to_string(features.size()) +
                                " feature values for " + std::to_string(z_.size()) +
                                " galaxies of " + std::to_string(f_) + " features");
  const std::size_t n = z_.size();
  mean_.assign(f_, 0);
  inv_std_.assign(f_, 1);
  for (std::size_t j = 0; j < f_; ++j) {
    double s = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) s += features[i * f_ + j];
    const double m = s / n;
    for (std::size_t i = 0; i < n; ++i)
      s2 += (features[i * f_ + j] - m) * (features[i * f_ + j] - m);
    mean_[j] = static_cast<float>(m);
    inv_std_[j] = static_cast<float>(1.0 / std::max(std::sqrt(s2 / n), 1e-6));
  }
  x_ = standardise(features);
}

std::vector<float> KnnPhotoz::standardise(const std::vector<float>& x) const {
  std::vector<float> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - mean_[i % f_]) * inv_std_[i % f_];
  return out;
}

std::vector<std::size_t> KnnPhotoz::neighbours(const std::vector<float>& query,
                                               std::size_t k) const {
  if (query.size() % f_ != 0)
    throw std::invalid_argument("KnnPhotoz::neighbours: query is not whole rows of " +
                                std::to_string(f_) + " features");
  const std::size_t nq = query.size() / f_, n = z_.size();
  k = std::min(k, n);
  const std::vector<float> q = standardise(query);
  std::vector<std::size_t> out(nq * k);
#pragma omp parallel
  {
    std::vector<std::pair<float, std::size_t>> d(n);
#pragma omp for schedule(dynamic, 64)
    for (std::size_t a = 0; a < nq; ++a) {
      const float* qa = q.data() + a * f_;
      for (std::size_t i = 0; i < n; ++i) {
        const float* xi = x_.data() + i * f_;
        float s = 0;
        for (std::size_t j = 0; j < f_; ++j) s += (qa[j] - xi[j]) * (qa[j] - xi[j]);
        d[i] = {s, i};
      }
      std::partial_sort(d.begin(), d.begin() + k, d.end());
      for (std::size_t m = 0; m < k; ++m) out[a * k + m] = d[m].second;
    }
  }
  return out;
}

RedshiftPdfs KnnPhotoz::pdfs(const std::vector<float>& query, std::size_t k, double bandwidth,
                             const RedshiftGrid& grid) const {
  const std::vector<std::size_t> nb = neighbours(query, k);
  k = std::min(k, z_.size());
  const std::size_t nq = query.size() / f_;
  std::vector<double> w(nq * k, 1.0 / k), mu(nq * k), sd(nq * k, bandwidth);
  for (std::size_t i = 0; i < nq * k; ++i) mu[i] = z_[nb[i]];
  return mixture_pdfs(grid, k, w, mu, sd);
}

double KnnPhotoz::tune(const std::vector<float>& query, const std::vector<double>& z_true,
                       const std::vector<std::size_t>& ks, const std::vector<double>& bandwidths,
                       const RedshiftGrid& grid) {
  const std::size_t kmax = *std::max_element(ks.begin(), ks.end());
  const std::vector<std::size_t> nb = neighbours(query, kmax);
  const std::size_t nq = z_true.size(), kk = std::min(kmax, z_.size());
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t k : ks)
    for (double bw : bandwidths) {
      const std::size_t kc = std::min(k, kk);
      std::vector<double> w(nq * kc, 1.0 / kc), mu(nq * kc), sd(nq * kc, bw);
      for (std::size_t a = 0; a < nq; ++a)
        for (std::size_t m = 0; m < kc; ++m) mu[a * kc + m] = z_[nb[a * kk + m]];
      const double loss = pdf_metrics(mixture_pdfs(grid, kc, w, mu, sd), z_true).cde_loss;
      if (loss < best) {
        best = loss;
        k_ = kc;
        bandwidth_ = bw;
      }
    }
  return best;
}

}  // namespace cosmograd::surveys
