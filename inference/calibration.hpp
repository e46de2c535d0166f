// Calibration of posterior samples against held-out truths: simulation-based calibration
// ranks and their chi-square uniformity test (Talts et al. 2018, arXiv:1804.06788), marginal
// coverage of central credible intervals (empirical quantiles, Hyndman & Fan 1996 type 6),
// TARP expected coverage (Lemos, Coogan, Hezaveh & Perreault-Levasseur 2023, ICML,
// arXiv:2302.03026) with a Kolmogorov-Smirnov test, exact binomial coverage bands, and PNG
// plots of rank histograms and coverage curves.
//
// Inputs: n held-out simulations with true parameters `truths` (n x p) and, per simulation,
// L posterior samples (`samples[i]`, L x p; the same L for every simulation).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cosmograd::inference {

/// SBC ranks (Talts et al. 2018): ranks(i, j) = #{s : samples[i](s, j) < truths(i, j)},
/// in 0..L; under a calibrated posterior each column is uniform on 0..L.
Eigen::MatrixXi sbc_ranks(const std::vector<Eigen::MatrixXd>& samples,
                          const Eigen::MatrixXd& truths);

/// Result of a Pearson chi-square test of uniformity.
struct UniformityTest {
  double statistic = 0;  ///< Pearson X^2 = sum over bins of (observed - expected)^2 / expected
  int dof = 0;           ///< degrees of freedom, bins - 1
  double p_value = 0;    ///< P(chi^2_dof >= statistic), from chi2_survival
};

/// Pearson chi-square test that `ranks` (values in 0..samples_per_truth) are uniform: the
/// L + 1 rank values are grouped into `bins` equal bins of (L + 1) / bins consecutive ranks
/// (Talts et al. 2018); `bins` must be >= 2 and divide L + 1.
UniformityTest rank_uniformity(const Eigen::VectorXi& ranks, int samples_per_truth, int bins);

/// Upper tail P(chi^2_dof >= x) = Q(dof / 2, x / 2), the regularized upper incomplete gamma
/// function by its series or Lentz continued fraction (Numerical Recipes, 3rd ed., sec. 6.2).
double chi2_survival(double x, int dof);

/// Upper tail P(K > t) of the Kolmogorov distribution (the limit of sqrt(n) D_n): the
/// alternating series 2 sum (-1)^(k-1) exp(-2 k^2 t^2) for t >= 1.18, otherwise one minus the
/// Jacobi-theta form sqrt(2 pi) / t sum exp(-(2k-1)^2 pi^2 / (8 t^2)).
double kolmogorov_survival(double t);

/// Marginal coverage (levels.size() x p): entry (l, j) is the fraction of simulations whose
/// truth j lies in the central levels[l] interval [q((1 - a) / 2), q((1 + a) / 2)] of its
/// samples, q the empirical quantile of Hyndman & Fan (1996) type 6 (position a (L + 1),
/// linear between order statistics), whose expected coverage under calibration is ~a.
/// Every level must lie in (0, 1).
Eigen::MatrixXd marginal_coverage(const std::vector<Eigen::MatrixXd>& samples,
                                  const Eigen::MatrixXd& truths, const std::vector<double>& levels);

/// TARP expected coverage probability and its summaries.
struct TarpResult {
  std::vector<double> alpha;        ///< credibility levels, `points` values evenly in [0, 1]
  std::vector<double> ecp;          ///< ECP(alpha): fraction of simulations with f_i < alpha
  std::vector<double> credibility;  ///< f_i per simulation (randomized, see tarp())
  double max_deviation = 0;         ///< max over the grid of |ECP(alpha) - alpha|
  double ks_statistic = 0;          ///< Kolmogorov-Smirnov D of the f_i against U(0, 1)
  double ks_p_value = 0;            ///< asymptotic Kolmogorov p-value of D (Stephens' n scaling)
};

/// TARP (Lemos et al. 2023): parameters mapped to the unit box by (theta - lo) /
/// (hi - lo); per simulation a reference point uniform in the unit box; k_i = number of
/// samples closer (Euclidean) to the reference than the truth is, and the credibility
/// f_i = (k_i + u_i) / (L + 1) with u_i ~ U(0, 1) (ties with the truth's distance share u_i):
/// the paper's k_i / L randomized so that f_i ~ U(0, 1) exactly under calibration, which makes
/// ECP(0) = 0, ECP(1) = 1 and the KS test exact. The reference points and u_i come from
/// std::mt19937_64(seed) (p uniforms then u_i, simulation by simulation). points >= 2.
TarpResult tarp(const std::vector<Eigen::MatrixXd>& samples, const Eigen::MatrixXd& truths,
                const Eigen::VectorXd& lo, const Eigen::VectorXd& hi, std::uint64_t seed,
                int points = 51);

/// Central `confidence` band of an empirical coverage at level alpha from n independent
/// truths: (q_lo / n, q_hi / n) with q the quantiles (1 -/+ confidence) / 2 of Binomial(n,
/// alpha), q(P) = min{k : CDF(k) >= P} by exact summation of the pmf. alpha in [0, 1].
std::pair<double, double> coverage_band(int n, double alpha, double confidence = 0.95);

/// Whether every point (alpha[k], coverage[k]) lies inside coverage_band(n, alpha[k], c).
/// simultaneous (default): c = 1 - (1 - confidence) / m over the m points with alpha in (0, 1)
/// (Bonferroni), so a calibrated curve passes with probability >= confidence; otherwise
/// c = confidence at each point, which a calibrated curve of many points fails far more often
/// than 1 - confidence (for TARP's 51 points and n = 300, about 44% of the time).
bool within_band(const std::vector<double>& alpha, const std::vector<double>& coverage, int n,
                 double confidence = 0.95, bool simultaneous = true);

/// Rank histograms as step lines, one per parameter (column of `ranks`), with the expected
/// count n / bins (solid black) and its central 95% binomial band (dashed grey); `names` has
/// one entry per column, or is empty for "parameter 1", "parameter 2", ...
void write_rank_histogram_png(const std::string& path, const Eigen::MatrixXi& ranks,
                              int samples_per_truth, int bins,
                              const std::vector<std::string>& names, const std::string& title);

/// Expected coverage against credibility level: the diagonal, the pointwise 95% coverage_band for n
/// truths around it (dashed edges), TARP's ECP and each parameter's marginal coverage
/// (`marginal`: levels.size() x names.size(), as from marginal_coverage; empty names as above).
void write_coverage_png(const std::string& path, const TarpResult& tarp,
                        const std::vector<double>& levels, const Eigen::MatrixXd& marginal, int n,
                        const std::vector<std::string>& names, const std::string& title);

}  // namespace cosmograd::inference
