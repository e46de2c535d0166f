// Mock data sets for symbolic regression, each with the law it was drawn from (which the search
// is not told) and a test of whether a found expression is that law:
// - sersic_bn: b_n of the Sersic profile, the root of P(2n, b_n) = 1/2 (Ciotti & Bertin 1999,
//   A&A 352, 447, eq. 4), with Gaussian relative noise; their asymptotic expansion is
//   b_n = 2n - 1/3 + 4/(405 n) + 46/(25515 n^2) + ... (eq. 18).
// - hod_nsat: the mean satellite count <N_sat>(M) measured from Poisson satellite draws of the
//   project's HOD (surveys/mocks/hod.hpp, Zheng et al. 2007, ApJ 667, 760, eq. 5:
//   <N_sat> = ((M - M_0) / M_1)^alpha) on halos of log-uniform mass, binned in mass.
// - a user's CSV file (x,y[,sigma]) with no known law.
// Every set has a training part, a held-out part (a random fraction of the points in the
// training range) and, for the mocks, an extrapolation part beyond the training range.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "surveys/discovery/symbolic_regression.hpp"
#include "surveys/mocks/hod.hpp"

namespace cosmograd::surveys::symbolic {

/// A data set split for symbolic regression.
struct SymbolicDataset {
  std::string name;         ///< "sersic_bn", "hod_nsat" or "csv"
  std::string x_name;       ///< the variable's name in printed expressions
  std::string x_label;      ///< axis label with units
  std::string y_label;      ///< axis label with units
  std::string description;  ///< how the points were made (one paragraph)
  std::string truth_text;   ///< the law the points follow (empty: unknown)
  bool log_axes = false;    ///< plot on log-log axes
  FitData train;            ///< fitted points
  FitData holdout;          ///< held-out points in the training range
  FitData extrapolation;    ///< points beyond the training range (may be empty)
  /// The noiseless law at x (empty for a user's data).
  std::function<double(double)> truth;
};

/// Settings of the Sersic b_n mock.
struct SersicBnOptions {
  int points = 200;               ///< points in [n_min, n_max] (training + held out), >= 10
  int extrapolation_points = 50;  ///< points in (n_max, n_extrapolate], >= 0
  double n_min = 0.5;             ///< smallest Sersic n, > 0
  double n_max = 6;               ///< largest n of the training range, > n_min
  double n_extrapolate = 10;      ///< largest n of the extrapolation range, > n_max
  double noise = 0.002;           ///< relative Gaussian noise of b_n (sigma = noise b_n), >= 0
  double holdout_fraction = 0.2;  ///< fraction of the in-range points held out, [0, 0.9]
  std::uint64_t seed = 1;         ///< random seed (n values, noise, split)
};

/// b_n at n uniform in [n_min, n_max] and in (n_max, n_extrapolate], times (1 + noise N(0,1));
/// the loss sigma is noise x the noisy b_n (1e-3 b_n when noise = 0).
SymbolicDataset sersic_bn_dataset(const SersicBnOptions& o);

/// Settings of the HOD <N_sat> mock.
struct HodNsatOptions {
  HodParams params = hod_preset("zheng07_mr20");  ///< occupation (the mock catalogue's default)
  long long halos = 200000;         ///< halos drawn over the whole mass range, >= 1000
  int bins = 40;                    ///< mass bins in [log_m_min, log_m_max], >= 10
  int extrapolation_bins = 10;      ///< bins in (log_m_max, log_m_extrapolate], >= 0
  double log_m_min = 12;            ///< log10 of the smallest halo mass [Msun/h]
  double log_m_max = 14.5;          ///< log10 of the largest training mass [Msun/h]
  double log_m_extrapolate = 15.5;  ///< log10 of the largest extrapolation mass [Msun/h]
  double mass_unit = 1e13;          ///< x = M / mass_unit [Msun/h]
  double holdout_fraction = 0.2;    ///< fraction of the in-range bins held out, [0, 0.9]
  std::uint64_t seed = 1;           ///< random seed (halo masses, HOD draws, split)
};

/// Halos log-uniform in [log_m_min, log_m_extrapolate] populated by `populate_hod` (its
/// Poisson satellite counts), binned in log mass; per bin x = mean M / mass_unit, y = mean
/// satellite count, sigma = sqrt(max(satellites, 1)) / halos (Poisson).
SymbolicDataset hod_nsat_dataset(const HodNsatOptions& o);

/// Points of a CSV file with columns x,y[,sigma] (a header line of non-numbers is skipped;
/// sigma 1 when absent); at least 10 rows. Throws std::invalid_argument naming the file, the
/// line and the problem. `holdout_fraction` of the rows (chosen by `seed`) are held out.
SymbolicDataset csv_dataset(const std::string& path, double holdout_fraction, std::uint64_t seed);

/// The verdict of a law test.
struct LawCheck {
  bool passed = false;  ///< the expression is the law within the stated tolerances
  std::string text;     ///< what was measured against what was required
};

/// Sersic: the expression's asymptote, slope s = f(101) - f(100) and intercept f(100) - 100 s,
/// must be 2 within 1% and -1/3 within 0.02 (Ciotti & Bertin 1999, eq. 18). The text also
/// says whether f lies in span{n, 1, 1/n, 1/n^2} on [0.5, 100] and gives those coefficients.
LawCheck check_sersic_law(const Expr& e);
/// HOD: the expression must be a power law at high mass, its logarithmic slope
/// d ln f / d ln x at x = 100 and x = 1000 (x = M / 1e13 Msun/h) agreeing within 0.02, and the
/// slope at x = 1000 within 0.03 of alpha (a linear law, slope 1, fails for alpha = 1.06).
LawCheck check_hod_law(const Expr& e, double alpha);

}  // namespace cosmograd::surveys::symbolic
