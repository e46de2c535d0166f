// Photometric-redshift metrics as RAIL defines them (LSST DESC RAIL evaluation; Schmidt et al.
// 2020, MNRAS 499, 1587): point metrics of ez = (z_p - z_s) / (1 + z_s) and p(z) metrics from
// the probability integral transform PIT = CDF(z_s) with Kolmogorov-Smirnov, Cramer-von Mises
// and Anderson-Darling statistics against the uniform distribution, and the CDE loss
// (Izbicki & Lee 2017).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "surveys/properties/redshift_pdf.hpp"

namespace cosmograd::surveys {

/// Point-estimate metrics of ez = (z_p - z_s) / (1 + z_s).
struct PointMetrics {
  std::size_t count = 0;        ///< galaxies
  double bias = 0;              ///< median ez
  double sigma_iqr = 0;         ///< interquartile range of ez / 1.349
  double sigma_mad = 0;         ///< 1.4826 median |ez - median ez|
  double outlier_fraction = 0;  ///< share with |ez| > max(0.06, 3 sigma_iqr) (RAIL's definition)
  double rms = 0;               ///< root mean square of ez
};

/// Point metrics of estimates z_p against truths z_s (same length, >= 1).
PointMetrics point_metrics(const std::vector<double>& z_p, const std::vector<double>& z_s);

/// Goodness of fit of a sample to the uniform distribution on [0, 1].
struct UniformityTest {
  double ks = 0;             ///< Kolmogorov-Smirnov statistic D = sup |F_n - F|
  double ks_p_value = 0;     ///< asymptotic p-value of D (Kolmogorov distribution, Stephens' n)
  double ks_critical_5 = 0;  ///< D's 5% acceptance limit 1.358 / (sqrt n + 0.12 + 0.11 / sqrt n)
  double cvm = 0;  ///< Cramer-von Mises statistic W^2 = 1/(12n) + sum (F(x_i) - (2i-1)/2n)^2
  double ad = 0;   ///< Anderson-Darling statistic A^2 (values clipped to [1e-10, 1 - 1e-10])
};

/// KS, CvM and AD of the values (in [0, 1]) against U(0, 1) (Stephens 1974, JASA 69, 730).
UniformityTest uniformity_test(std::vector<double> values);

/// p(z) metrics.
struct PdfMetrics {
  std::vector<double> pit;      ///< CDF of each p(z) at its true redshift
  UniformityTest pit_test;      ///< uniformity of the PIT values
  double pit_outlier_rate = 0;  ///< share of PIT < 1e-4 or > 1 - 1e-4 (RAIL's catastrophic tails)
  double cde_loss = 0;          ///< mean of int p^2 dz - 2 p(z_s) (Izbicki & Lee 2017, eq. 4)
};

/// PIT, its uniformity and the CDE loss of densities `pdfs` (row i for truth z_s[i]).
PdfMetrics pdf_metrics(const RedshiftPdfs& pdfs, const std::vector<double>& z_s);

/// Modes of every row of pdfs (the point estimate the tables use).
std::vector<double> pdf_modes(const RedshiftPdfs& pdfs);

/// Histogram counts of values in [0, 1] over `bins` equal bins (for the PIT plot).
std::vector<double> unit_histogram(const std::vector<double>& values, int bins);

}  // namespace cosmograd::surveys
