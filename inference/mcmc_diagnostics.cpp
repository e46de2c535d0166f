#include "inference/mcmc_diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::inference {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Throws std::invalid_argument unless `chains` holds at least one chain, all of one length.
void check_chains(const ChainDraws& chains, const char* where) {
  if (chains.empty()) {
    throw std::invalid_argument(std::string(where) +
                                ": chains is empty (0 chains; allowed: at least one chain, "
                                "chains[c][t] = draw t of chain c)");
  }
  for (std::size_t c = 1; c < chains.size(); ++c) {
    if (chains[c].size() != chains[0].size()) {
      throw std::invalid_argument(std::string(where) + ": chains[" + std::to_string(c) + "] has " +
                                  std::to_string(chains[c].size()) + " draws but chains[0] has " +
                                  std::to_string(chains[0].size()) +
                                  " (allowed: all chains the same length)");
    }
  }
}

/// All draws of all chains, chain after chain.
std::vector<double> pooled(const ChainDraws& chains) {
  std::vector<double> all;
  all.reserve(chains.size() * chains[0].size());
  for (const auto& chain : chains) all.insert(all.end(), chain.begin(), chain.end());
  return all;
}

/// True when the estimators are defined: >= 4 draws per chain, all finite, not all equal.
bool estimable(const ChainDraws& chains) {
  if (chains[0].size() < 4) return false;
  const double first = chains[0][0];
  bool varies = false;
  for (const auto& chain : chains) {
    for (double x : chain) {
      if (!std::isfinite(x)) return false;
      varies = varies || x != first;
    }
  }
  return varies;
}

/// Each chain split into its first and second halves (the middle draw dropped when the
/// length is odd), as in Vehtari et al. 2021 and the `posterior` package.
ChainDraws split_chains(const ChainDraws& chains) {
  const std::size_t n = chains[0].size();
  const std::size_t half = n / 2;
  ChainDraws out;
  out.reserve(2 * chains.size());
  for (const auto& chain : chains) {
    out.emplace_back(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(half));
    out.emplace_back(chain.end() - static_cast<std::ptrdiff_t>(half), chain.end());
  }
  return out;
}

/// Rank normalisation (Vehtari et al. 2021 sec. 4.1): every draw replaced by the normal score
/// Phi^{-1}((r - 3/8) / (S + 1/4)) of its rank r among all S draws (Blom 1958), ties averaged.
ChainDraws z_scale(const ChainDraws& chains) {
  const std::vector<double> all = pooled(chains);
  const std::size_t s = all.size();
  std::vector<std::size_t> order(s);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return all[a] < all[b]; });
  std::vector<double> z(s);
  for (std::size_t i = 0; i < s;) {
    std::size_t j = i + 1;
    while (j < s && all[order[j]] == all[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    const double score = normal_quantile((rank - 0.375) / (static_cast<double>(s) + 0.25));
    for (std::size_t k = i; k < j; ++k) z[order[k]] = score;
    i = j;
  }
  ChainDraws out(chains.size(), std::vector<double>(chains[0].size()));
  std::size_t k = 0;
  for (auto& chain : out) {
    for (double& x : chain) x = z[k++];
  }
  return out;
}

/// The empirical quantile of Hyndman & Fan (1996) type 7 (R's default): linear between the
/// order statistics at position p (S - 1). `sorted` is ascending and not empty.
double quantile_type7(const std::vector<double>& sorted, double p) {
  const double h = p * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

/// The median of all draws (mean of the two middle ones for an even count).
double median(std::vector<double> all) {
  std::sort(all.begin(), all.end());
  const std::size_t s = all.size();
  return s % 2 == 1 ? all[s / 2] : 0.5 * (all[s / 2 - 1] + all[s / 2]);
}

/// Chain means and unbiased within-chain variances.
void chain_moments(const ChainDraws& chains, std::vector<double>& mean, std::vector<double>& var) {
  const double n = static_cast<double>(chains[0].size());
  mean.assign(chains.size(), 0.0);
  var.assign(chains.size(), 0.0);
  for (std::size_t c = 0; c < chains.size(); ++c) {
    for (double x : chains[c]) mean[c] += x;
    mean[c] /= n;
    for (double x : chains[c]) var[c] += (x - mean[c]) * (x - mean[c]);
    var[c] /= n - 1.0;
  }
}

/// Sample variance (n - 1 denominator) of `v`, n >= 2.
double sample_variance(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double ss = 0.0;
  for (double x : v) ss += (x - m) * (x - m);
  return ss / (n - 1.0);
}

/// R-hat of already split chains (>= 2 chains of >= 2 draws): BDA3 eq. 11.4,
/// sqrt(((n - 1) / n W + B / n) / W), B / n the variance of the chain means.
double rhat_of_split(const ChainDraws& split) {
  const double n = static_cast<double>(split[0].size());
  std::vector<double> mean, var;
  chain_moments(split, mean, var);
  const double w = std::accumulate(var.begin(), var.end(), 0.0) / static_cast<double>(var.size());
  const double b_over_n = sample_variance(mean);
  if (w == 0.0) return b_over_n > 0.0 ? std::numeric_limits<double>::infinity() : kNaN;
  return std::sqrt(((n - 1.0) / n * w + b_over_n) / w);
}

/// Stan's multi-chain ESS of already split chains (Vehtari et al. 2021 eq. 10 and appendix A;
/// the `posterior` package's ess_rfun): rho_t = 1 - (W - mean_c acov_c(t)) / var_plus with
/// the biased autocovariances acov_c (Geyer 1992), summed over Geyer's initial positive
/// sequence of pair sums made monotone; tau = -1 + 2 sum_{t < T} rho_t + rho_T (the last even
/// lag when positive), floored at 1 / log10(S) (so ESS <= S log10 S).
double ess_of_split(const ChainDraws& split) {
  const std::size_t m = split.size();
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(split[0].size());
  const double nd = static_cast<double>(n);
  std::vector<double> mean, var;
  chain_moments(split, mean, var);
  ChainDraws centred = split;
  for (std::size_t c = 0; c < m; ++c) {
    for (double& x : centred[c]) x -= mean[c];
  }
  // Mean over chains of the biased autocovariance at lag k: (1/n) sum_t y_t y_{t+k}.
  const auto acov = [&](std::ptrdiff_t k) {
    double sum = 0.0;
    for (const auto& y : centred) {
      double s = 0.0;
      for (std::ptrdiff_t t = 0; t + k < n; ++t) s += y[t] * y[t + k];
      sum += s / nd;
    }
    return sum / static_cast<double>(m);
  };
  const double mean_var = acov(0) * nd / (nd - 1.0);  // W, the mean within-chain variance
  const double var_plus = mean_var * (nd - 1.0) / nd + sample_variance(mean);
  if (!(var_plus > 0.0)) return kNaN;
  const auto rho_at = [&](std::ptrdiff_t k) { return 1.0 - (mean_var - acov(k)) / var_plus; };

  std::vector<double> rho(static_cast<std::size_t>(n) + 2, 0.0);
  std::ptrdiff_t t = 0;
  double rho_even = 1.0;
  double rho_odd = rho_at(1);
  rho[0] = rho_even;
  rho[1] = rho_odd;
  // Geyer's initial positive sequence: pairs (rho_2k, rho_2k+1) while their sum is positive.
  while (t < n - 5 && std::isfinite(rho_even + rho_odd) && rho_even + rho_odd > 0.0) {
    t += 2;
    rho_even = rho_at(t);
    rho_odd = rho_at(t + 1);
    if (rho_even + rho_odd >= 0.0) {
      rho[t] = rho_even;
      rho[t + 1] = rho_odd;
    }
  }
  const std::ptrdiff_t max_t = t;
  if (rho_even > 0.0) rho[max_t] = rho_even;  // the improved (antithetic-safe) estimate
  // Geyer's initial monotone sequence: no pair sum above the previous one.
  for (t = 2; t <= max_t - 2; t += 2) {
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = 0.5 * (rho[t - 2] + rho[t - 1]);
      rho[t + 1] = rho[t];
    }
  }
  const double draws = static_cast<double>(m) * nd;
  double tau = -1.0 + rho[max_t];
  for (std::ptrdiff_t k = 0; k < max_t; ++k) tau += 2.0 * rho[k];
  tau = std::max(tau, 1.0 / std::log10(draws));
  return draws / tau;
}

/// |x - median| of every draw (median over all draws): the folded draws of Vehtari et al.
ChainDraws folded(const ChainDraws& chains) {
  const double med = median(pooled(chains));
  ChainDraws out = chains;
  for (auto& chain : out) {
    for (double& x : chain) x = std::abs(x - med);
  }
  return out;
}

/// ESS of the indicator I(x <= q) on the split chains; NaN when the indicator is constant.
double indicator_ess(const ChainDraws& chains, double q) {
  ChainDraws ind = chains;
  for (auto& chain : ind) {
    for (double& x : chain) x = x <= q ? 1.0 : 0.0;
  }
  return estimable(ind) ? ess_of_split(split_chains(ind)) : kNaN;
}

}  // namespace

double normal_quantile(double p) {
  // Acklam (2003), "An algorithm for computing the inverse normal cumulative distribution
  // function": rational approximations in a central and two tail regions (relative error
  // < 1.15e-9), then one Halley step on Phi(x) - p with Phi from std::erfc.
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -std::numeric_limits<double>::infinity();
  if (p == 1.0) return std::numeric_limits<double>::infinity();
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x;
  if (p < p_low || p > 1.0 - p_low) {
    const double q = std::sqrt(-2.0 * std::log(p < p_low ? p : 1.0 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    if (p > 1.0 - p_low) x = -x;
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  // Halley refinement on e = Phi(x) - p; for p > 1/2 written as (1 - p) - (1 - Phi(x)) so
  // that no accuracy is lost near p = 1.
  constexpr double sqrt_2pi = 2.50662827463100050242;
  constexpr double inv_sqrt2 = 0.70710678118654752440;
  const double e =
      p > 0.5 ? (1.0 - p) - 0.5 * std::erfc(x * inv_sqrt2) : 0.5 * std::erfc(-x * inv_sqrt2) - p;
  const double u = e * sqrt_2pi * std::exp(0.5 * x * x);
  return x - u / (1.0 + 0.5 * x * u);
}

double split_rhat(const ChainDraws& chains) {
  check_chains(chains, "split_rhat");
  if (!estimable(chains)) return kNaN;
  return rhat_of_split(split_chains(chains));
}

double rank_normalized_rhat(const ChainDraws& chains) {
  check_chains(chains, "rank_normalized_rhat");
  if (!estimable(chains)) return kNaN;
  // Vehtari et al. 2021 sec. 4: bulk on z-scaled split draws, tail on z-scaled folded ones.
  const double bulk = rhat_of_split(z_scale(split_chains(chains)));
  const ChainDraws fold = folded(chains);
  const double tail = estimable(fold) ? rhat_of_split(z_scale(split_chains(fold))) : kNaN;
  if (std::isnan(tail)) return bulk;
  return std::max(bulk, tail);
}

double effective_sample_size(const ChainDraws& chains) {
  check_chains(chains, "effective_sample_size");
  if (!estimable(chains)) return kNaN;
  return ess_of_split(split_chains(chains));
}

double bulk_ess(const ChainDraws& chains) {
  check_chains(chains, "bulk_ess");
  if (!estimable(chains)) return kNaN;
  return ess_of_split(z_scale(split_chains(chains)));
}

double tail_ess(const ChainDraws& chains) {
  check_chains(chains, "tail_ess");
  if (!estimable(chains)) return kNaN;
  std::vector<double> sorted = pooled(chains);
  std::sort(sorted.begin(), sorted.end());
  const double lo = indicator_ess(chains, quantile_type7(sorted, 0.05));
  const double hi = indicator_ess(chains, quantile_type7(sorted, 0.95));
  if (std::isnan(lo) || std::isnan(hi)) return kNaN;
  return std::min(lo, hi);
}

double mcse_mean(const ChainDraws& chains) {
  check_chains(chains, "mcse_mean");
  if (!estimable(chains)) return kNaN;
  return std::sqrt(sample_variance(pooled(chains)) / ess_of_split(split_chains(chains)));
}

double e_bfmi(const std::vector<double>& energy) {
  // Betancourt 2016 (arXiv:1604.00695): the ratio of the variance of the energy
  // transitions to the marginal energy variance.
  if (energy.size() < 2) return kNaN;
  double mean = 0.0;
  for (double e : energy) {
    if (!std::isfinite(e)) return kNaN;
    mean += e;
  }
  mean /= static_cast<double>(energy.size());
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < energy.size(); ++i) {
    den += (energy[i] - mean) * (energy[i] - mean);
    if (i > 0) num += (energy[i] - energy[i - 1]) * (energy[i] - energy[i - 1]);
  }
  return den > 0.0 ? num / den : kNaN;
}

QuantityDiagnostics diagnose(const std::string& name, const ChainDraws& chains) {
  check_chains(chains, "diagnose");
  QuantityDiagnostics d;
  d.name = name;
  const std::vector<double> all = pooled(chains);
  d.mean = all.empty()
               ? kNaN
               : std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size());
  d.sd = all.size() < 2 ? kNaN : std::sqrt(sample_variance(all));
  d.mcse = mcse_mean(chains);
  d.rhat = rank_normalized_rhat(chains);
  d.ess_bulk = bulk_ess(chains);
  d.ess_tail = tail_ess(chains);
  return d;
}

}  // namespace cosmograd::inference
