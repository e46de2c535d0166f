// Convergence diagnostics of Markov chain Monte Carlo draws (for the HMC sampler): split
// R-hat (Gelman et al. 2013, BDA3 sec. 11.4), the rank-normalised split R-hat and the bulk and
// tail effective sample sizes of Vehtari, Gelman, Simpson, Carpenter & Buerkner 2021 (Bayesian
// Analysis 16, 667, arXiv:1903.08008), Stan's multi-chain ESS estimator with Geyer's initial
// monotone sequence, the Monte Carlo standard error of the mean, and the energy Bayesian
// fraction of missing information of Betancourt 2016 (arXiv:1604.00695).
//
// The estimators follow the reference implementation of Vehtari et al. (the R package
// `posterior`, as used by Stan and ArviZ): chains are split in halves (the middle draw is
// dropped when the length is odd), ranks are pooled over all draws with ties averaged, and
// the autocovariances are the biased (1/n) ones of Geyer (1992), computed lag by lag only up
// to the Geyer cutoff (cost O(draws * cutoff), no FFT).
#pragma once

#include <string>
#include <vector>

namespace cosmograd::inference {

/// chains[c][t]: draw t of chain c of one scalar quantity (all chains the same length).
using ChainDraws = std::vector<std::vector<double>>;

/// Split R-hat (Gelman et al. 2013, BDA3 eq. 11.4 with each chain split in halves): sqrt of
/// ((n-1)/n W + B/n) / W over the split chains; NaN when fewer than 4 draws per chain, any draw
/// non-finite or all draws equal (zero variance); +inf when every split chain is constant but
/// they differ. Throws std::invalid_argument when chains is empty or of unequal lengths.
double split_rhat(const ChainDraws& chains);

/// Rank-normalised split R-hat of Vehtari et al. 2021 (Bayesian Analysis 16, 667): max of the
/// bulk (rank-normalised, normal scores via the Blom offset 3/8) and the folded (|x - median|)
/// versions (the folded part is left out when the folded draws are constant); NaN as for
/// split_rhat.
double rank_normalized_rhat(const ChainDraws& chains);

/// Effective sample size over all chains (Stan's estimator: multi-chain autocorrelation from
/// the within-chain autocovariances and the between-chain variance, Geyer's initial positive
/// sequence made monotone; Vehtari et al. 2021 eq. 10 and appendix), on the split chains.
/// NaN for < 4 draws/chain, any non-finite draw or a constant quantity. At most
/// draws * log10(draws) (the antithetic cap of Vehtari et al.).
double effective_sample_size(const ChainDraws& chains);

/// Bulk ESS: effective_sample_size of the rank-normalised split chains (Vehtari et al. 2021).
double bulk_ess(const ChainDraws& chains);

/// Tail ESS: min of the ESS of the indicators I(x <= q05) and I(x <= q95), q the pooled
/// 5% and 95% quantiles (Hyndman & Fan type 7) (Vehtari et al. 2021).
double tail_ess(const ChainDraws& chains);

/// Monte Carlo standard error of the mean: sd / sqrt(ess), sd over all draws (n - 1
/// denominator), ess = effective_sample_size; in the units of the draws.
double mcse_mean(const ChainDraws& chains);

/// The energy Bayesian fraction of missing information of one chain's Hamiltonian energies
/// (Betancourt 2016, arXiv:1604.00695): sum_{n>=1} (E_n - E_{n-1})^2 /
/// sum_n (E_n - mean E)^2; ~2 for independent energies, < 0.3 signals poor exploration. NaN
/// for < 2 draws, non-finite energies or zero variance.
double e_bfmi(const std::vector<double>& energy);

/// The standard normal quantile Phi^{-1}(p) for p in (0, 1) (Acklam's rational approximation
/// refined by one Halley step on std::erfc, |error| ~ 1e-15); -inf at 0, +inf at 1, NaN outside.
double normal_quantile(double p);

/// One row of a diagnostics table.
struct QuantityDiagnostics {
  std::string name;  ///< the quantity
  double mean;       ///< mean over all draws of all chains
  double sd;         ///< standard deviation over all draws (n - 1 denominator)
  double mcse;       ///< mcse_mean
  double rhat;       ///< rank_normalized_rhat
  double ess_bulk;   ///< bulk_ess
  double ess_tail;   ///< tail_ess
};

/// diagnostics of one quantity named `name` (mean and sd over all draws of all chains).
QuantityDiagnostics diagnose(const std::string& name, const ChainDraws& chains);

}  // namespace cosmograd::inference
