// Redshift probability densities on a common grid, the form every photometric-redshift method
// here returns, and their HDF5 file in the layout of qp's "interp" ensembles (Malz et al. 2018,
// AJ 156, 35; RAIL / tables_io), so `qp.read(path)` reads it:
//   /meta/pdf_name     string "interp"         /meta/pdf_version int64 0
//   /meta/xvals        float64 (1, G)          the redshift grid
//   /data/yvals        float64 (N, G)          p(z) on the grid, each integrating to 1
//   /ancil/zmode       float64 (N)             the mode of each p(z)
//   /ancil/zmean       float64 (N)             its mean
//   /ancil/zmedian     float64 (N)             its median
//   /ancil/galaxy_id   int64 (N)               the catalogue's galaxy id
//   /ancil/redshift    float64 (N)             optional: the true redshift (mocks)
//   root attributes: format = "cosmograd redshift pdfs 1", method (free text), source
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// The HDF5 root attribute `format` of p(z) files.
inline constexpr const char* kRedshiftPdfFormat = "cosmograd redshift pdfs 1";

/// A uniform redshift grid z_i = z_min + i (z_max - z_min) / (points - 1).
struct RedshiftGrid {
  double z_min = 0.0;  ///< first grid point
  double z_max = 1.5;  ///< last grid point
  int points = 301;    ///< number of points (>= 3)
  /// Grid spacing.
  double dz() const { return (z_max - z_min) / (points - 1); }
  /// The i-th grid point.
  double z(int i) const { return z_min + i * dz(); }
  /// Throws std::invalid_argument naming the field unless 0 <= z_min < z_max and points >= 3.
  void validate() const;
};

/// N densities on one grid, row-major (N * G), each >= 0 and integrating to 1 (trapezoid).
struct RedshiftPdfs {
  RedshiftGrid grid;        ///< the grid
  std::vector<double> pdf;  ///< N * G densities [1 / unit redshift]
  /// Number of densities N.
  std::size_t count() const;
  /// Row i's values (G of them).
  const double* row(std::size_t i) const { return pdf.data() + i * grid.points; }
  /// Clamps negatives to 0 and rescales every row to integrate to 1 (trapezoid); a row that is 0
  /// everywhere becomes uniform.
  void normalise();
};

/// p(z) of 1-D Gaussian mixtures on the grid: weights, means, sigmas are N * K (weights summing to
/// 1 per row); each mixture is evaluated at the grid points and normalised on the grid (the mass
/// outside the grid is dropped).
RedshiftPdfs mixture_pdfs(const RedshiftGrid& grid, std::size_t components,
                          const std::vector<double>& weights, const std::vector<double>& means,
                          const std::vector<double>& sigmas);

/// Grid point of the largest density of row i.
double pdf_mode(const RedshiftPdfs& p, std::size_t i);
/// Mean of row i (trapezoid).
double pdf_mean(const RedshiftPdfs& p, std::size_t i);
/// Cumulative distribution of row i at z (trapezoid, linear inside a cell; 0 below, 1 above).
double pdf_cdf(const RedshiftPdfs& p, std::size_t i, double z);
/// Quantile of row i: the z where pdf_cdf reaches q in [0, 1].
double pdf_quantile(const RedshiftPdfs& p, std::size_t i, double q);
/// Density of row i at z, linear between grid points (0 outside the grid).
double pdf_at(const RedshiftPdfs& p, std::size_t i, double z);

/// Writes p(z) with the ancillary columns to `path` atomically in the layout above;
/// `redshift` may be empty (no /ancil/redshift). Throws std::invalid_argument on length mismatch.
void write_redshift_pdfs(const std::string& path, const RedshiftPdfs& pdfs,
                         const std::vector<std::int64_t>& galaxy_id,
                         const std::vector<double>& redshift, const std::string& method,
                         const std::string& source);

/// Reads a file of write_redshift_pdfs (grid from /meta/xvals, which must be uniform);
/// galaxy_id and redshift (empty when absent) are filled when non-null. Throws
/// std::runtime_error naming the file and the object.
RedshiftPdfs read_redshift_pdfs(const std::string& path, std::vector<std::int64_t>* galaxy_id,
                                std::vector<double>* redshift);

}  // namespace cosmograd::surveys
