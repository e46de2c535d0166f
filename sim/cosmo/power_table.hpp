// Linear power spectra read from CLASS and CAMB output tables.
//
// Formats (detected from the header; see detect_table_format):
//   CLASS *_pk.dat          k [h/Mpc], P [(Mpc/h)^3]; header "# Matter power spectrum P(k) at
//                           redshift z=..." and "# 1:k (h/Mpc)  2:P (Mpc/h)^3".
//   CLASS *_tk.dat          k [h/Mpc] then transfer columns named in the header
//                           ("# 1:k (h/Mpc)  2:d_g  3:d_b  4:d_cdm ... d_m ... d_tot ...");
//                           CLASS normalises them to initial curvature R = 1.
//   CAMB *_matterpower.dat  k [h/Mpc], P [(Mpc/h)^3]; header "#  k/h  P(k)" or none.
//
// Interpolation is a not-a-knot cubic spline in (ln k, ln |value|). Outside the table the
// value is extrapolated as a power law whose index is the mean log-slope of the outermost
// decade of the table (of the whole table when it spans less than a decade); this keeps
// sigma(R) integrals, which reach kR = 200, well defined. Check k_min()/k_max() if you need
// to know where the table ends.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sim/cosmo/linear_power.hpp"

namespace cosmograd::sim {

/// Table layouts understood by read_power_table().
enum class TableFormat {
  kClassPk,  ///< CLASS *_pk.dat: k [h/Mpc], P [(Mpc/h)^3]
  kClassTk,  ///< CLASS *_tk.dat: k [h/Mpc], named transfer columns (curvature R = 1)
  kCambPk,   ///< CAMB *_matterpower.dat: k [h/Mpc], P [(Mpc/h)^3]
};

/// Human-readable name: "CLASS pk", "CLASS tk" or "CAMB matterpower".
const char* table_format_name(TableFormat format);

/// One table as read from disk; k strictly increasing.
struct PowerTable {
  std::string path;                           ///< file it was read from
  TableFormat format = TableFormat::kCambPk;  ///< detected layout
  std::vector<double> k;                      ///< wavenumbers [h/Mpc], > 0, strictly increasing
  std::vector<double> value;       ///< P [(Mpc/h)^3], or the transfer column (file's sign)
  std::string column;              ///< value column: "P", "d_m" or "d_tot"
  std::optional<double> redshift;  ///< redshift stated in the header ("z=..."), if any
};

/// Column names of a CLASS label line "# 1:k (h/Mpc)  2:d_g ..." -> {"k", "d_g", ...};
/// empty when the line has no consecutive "N:name" labels starting at 1.
std::vector<std::string> parse_column_labels(const std::string& line);

/// Format from the comment lines before the data (with their '#') and the number of columns
/// of the first data row; throws std::runtime_error "<path>:<line>: ..." when unrecognised.
TableFormat detect_table_format(const std::vector<std::string>& header, std::size_t num_columns,
                                const std::string& path = "<table>", int line = 0);

/// Reads a table. Malformed content (unparsable number, wrong column count, k not increasing,
/// P <= 0, transfer column changing sign, fewer than 4 rows, no total-matter column, k in
/// 1/Mpc) throws std::runtime_error "<path>:<line>: <what>". Transfer tables use the total
/// matter column "d_m" when present, else "d_tot".
PowerTable read_power_table(const std::string& path);

/// Not-a-knot cubic spline of ln y against ln x with power-law extrapolation (see top).
class LogLogInterpolator {
 public:
  /// x strictly increasing and > 0, y > 0, at least 4 points; throws std::invalid_argument.
  LogLogInterpolator(const std::vector<double>& x, const std::vector<double>& y);
  /// Interpolated (or extrapolated) y at x > 0.
  double operator()(double x) const;
  /// Smallest tabulated x.
  double x_min() const;
  /// Largest tabulated x.
  double x_max() const;
  /// Power-law index used below x_min().
  double slope_low() const { return slope_low_; }
  /// Power-law index used above x_max().
  double slope_high() const { return slope_high_; }

 private:
  double spline(double u) const;  // ln y at u = ln x inside the table
  std::vector<double> u_, v_, m2_;
  double slope_low_ = 0.0;
  double slope_high_ = 0.0;
};

/// How a table is turned into P_lin (see TablePowerT).
struct TableOptions {
  /// P(k) tables: keep the file's amplitude instead of rescaling to params.sigma8.
  bool keep_table_amplitude = false;
  /// Redshift when the header states none (CAMB); must agree with the header if both are set.
  std::optional<double> table_redshift;
};

/// Linear power from a table at redshift z_t (a_t = 1/(1+z_t)):
///  P(k) tables:  P_lin(k, 1) = P_t(k) / D1_norm(a_t)^2, then rescaled so that sigma(8 Mpc/h)
///                = params.sigma8 unless keep_table_amplitude (so P_lin(k,a) = P_t(k)
///                [D1(a)/D1(a_t)]^2). Only sigma8 (and, for z_t > 0, the growth parameters)
///                carry derivatives: the table's shape is fixed.
///  transfer tables (CLASS d_* normalised to curvature R = 1, so exact for A_s):
///                P_lin(k, 1) = 2 pi^2 / k^3 A_s (k h / 0.05)^(n_s - 1) d(k)^2 / D1_norm(a_t)^2
///                when params.A_s > 0 (k_pivot = 0.05 / Mpc), otherwise N k^(n_s - 4) d(k)^2
///                with N set by params.sigma8. n_s (and h with A_s) carry derivatives.
template <class S>
class TablePowerT final : public LinearPowerT<S> {
 public:
  /// Interpolates `table` and fixes the amplitude; throws std::invalid_argument for
  /// inconsistent redshifts or a non-positive normalisation.
  TablePowerT(const CosmologyT<S>& cosmo, PowerTable table, const TableOptions& options = {});
  /// "table".
  std::string name() const override { return "table"; }
  /// P_lin(k, a = 1) [(Mpc/h)^3]; k [h/Mpc].
  S power_today(double k) const override;
  /// The table as read.
  const PowerTable& table() const { return table_; }
  /// Redshift the table was taken at.
  double table_redshift() const { return redshift_; }
  /// Smallest tabulated k [h/Mpc]; below it P is extrapolated as a power law.
  double k_min() const { return table_.k.front(); }
  /// Largest tabulated k [h/Mpc]; above it P is extrapolated as a power law.
  double k_max() const { return table_.k.back(); }
  /// Multiplies the interpolated shape: [dimensionless] for P tables, [(Mpc/h)^(n_s-1)] for
  /// transfer tables.
  const S& amplitude() const { return amplitude_; }

 private:
  S shape_today(double k) const;  // P_t(k), or k^(n_s-4) d(k)^2 for transfer tables
  PowerTable table_;
  LogLogInterpolator interp_;
  double redshift_ = 0.0;
  S amplitude_;
};
using TablePower = TablePowerT<double>;

extern template class TablePowerT<double>;
extern template class TablePowerT<CosmoDual>;

}  // namespace cosmograd::sim
