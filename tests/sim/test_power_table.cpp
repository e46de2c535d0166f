// Tests of sim/cosmo/power_table.hpp: CLASS / CAMB table reading, format detection, log-log
// interpolation, normalisation and errors. Synthetic tables are sampled from the
// Eisenstein-Hu spectrum and written to a temporary directory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/cosmo/power_table.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

class PowerTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("cosmograd_power_table_" + std::string(info->name()) + "_" +
            std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path);
    out << text;
    return path;
  }

  std::filesystem::path dir_;
};

// log-spaced k from k_lo to k_hi with n_per_decade points per decade.
std::vector<double> log_grid(double k_lo, double k_hi, int n_per_decade) {
  const int n = static_cast<int>(std::round(std::log10(k_hi / k_lo) * n_per_decade));
  std::vector<double> k(n + 1);
  for (int i = 0; i <= n; ++i) k[i] = k_lo * std::pow(k_hi / k_lo, static_cast<double>(i) / n);
  return k;
}

std::string number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%24.16e", x);
  return buf;
}

// Midpoints (in ln k) of the grid inside [k_lo, k_hi]: the worst case for interpolation.
std::vector<double> midpoints(const std::vector<double>& grid, double k_lo, double k_hi) {
  std::vector<double> out;
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
    const double k = std::sqrt(grid[i] * grid[i + 1]);
    if (k >= k_lo && k <= k_hi) out.push_back(k);
  }
  return out;
}

std::string expect_runtime_error(const std::string& path) {
  try {
    read_power_table(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error for " << path;
  return "";
}

// ---------------------------------------------------------------------------------------------

TEST(PowerTableParsing, ColumnLabels) {
  EXPECT_EQ(parse_column_labels("#    1:k (h/Mpc)              2:d_g                    3:d_b"),
            (std::vector<std::string>{"k", "d_g", "d_b"}));
  EXPECT_EQ(parse_column_labels("# 1:k (h/Mpc)              2:P (Mpc/h)^3"),
            (std::vector<std::string>{"k", "P"}));
  EXPECT_TRUE(parse_column_labels("#    k/h          P(k)").empty());
  EXPECT_TRUE(parse_column_labels("# 1:k 3:d_tot").empty());  // not consecutive
  EXPECT_TRUE(parse_column_labels("# Matter power spectrum P(k) at redshift z=0").empty());
}

TEST(PowerTableParsing, FormatDetection) {
  EXPECT_EQ(detect_table_format({"# Matter power spectrum P(k) at redshift z=0",
                                 "#    1:k (h/Mpc)              2:P (Mpc/h)^3"},
                                2),
            TableFormat::kClassPk);
  EXPECT_EQ(detect_table_format({"# Transfer functions T_i(k) for adiabatic (AD) mode",
                                 "#    1:k (h/Mpc)   2:d_g   3:d_b   4:d_cdm   5:d_tot"},
                                5),
            TableFormat::kClassTk);
  EXPECT_EQ(detect_table_format({"#    1:k (h/Mpc)   2:d_g   3:d_tot   4:phi"}, 4),
            TableFormat::kClassTk);
  EXPECT_EQ(detect_table_format({"#    k/h          P(k)"}, 2), TableFormat::kCambPk);
  EXPECT_EQ(detect_table_format({}, 2), TableFormat::kCambPk);
  EXPECT_THROW(detect_table_format({}, 3, "x.dat", 1), std::runtime_error);
  try {
    detect_table_format({"# my own spectrum"}, 2, "mine.dat", 2);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mine.dat:2: cannot detect the table format"),
              std::string::npos)
        << e.what();
  }
  EXPECT_STREQ(table_format_name(TableFormat::kClassTk), "CLASS tk");
}

TEST(LogLogInterpolatorTest, CubicInLogLogIsExactAndPowerLawExtrapolates) {
  // ln y = 1 + 0.5 u - 0.2 u^2 + 0.03 u^3 is reproduced exactly by a not-a-knot spline.
  auto f = [](double x) {
    const double u = std::log(x);
    return std::exp(1.0 + 0.5 * u - 0.2 * u * u + 0.03 * u * u * u);
  };
  std::vector<double> x = {0.1, 0.2, 0.35, 0.7, 1.0, 1.9, 3.0, 5.5, 10.0};
  std::vector<double> y;
  for (double xi : x) y.push_back(f(xi));
  const LogLogInterpolator interp(x, y);
  for (double xi : {0.1, 0.13, 0.5, 1.234, 4.0, 9.9, 10.0}) {
    EXPECT_NEAR(interp(xi) / f(xi), 1.0, 1e-12) << "x = " << xi;
  }
  // Pure power law: exact everywhere, including the extrapolation.
  std::vector<double> yp;
  for (double xi : x) yp.push_back(3.0 * std::pow(xi, -1.7));
  const LogLogInterpolator power(x, yp);
  EXPECT_NEAR(power.slope_low(), -1.7, 1e-12);
  EXPECT_NEAR(power.slope_high(), -1.7, 1e-12);
  for (double xi : {1e-4, 0.05, 0.6, 20.0, 1e3}) {
    EXPECT_NEAR(power(xi) / (3.0 * std::pow(xi, -1.7)), 1.0, 1e-12) << "x = " << xi;
  }
  EXPECT_THROW(LogLogInterpolator({1, 2, 3}, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(LogLogInterpolator({1, 2, 2, 3}, {1, 2, 3, 4}), std::invalid_argument);
  EXPECT_THROW(LogLogInterpolator({1, 2, 3, 4}, {1, -2, 3, 4}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Round trips through synthetic files sampled from Eisenstein-Hu (Planck 2015 parameters).

TEST_F(PowerTableTest, ClassPkRoundTrip) {
  const CosmologyParams p = planck2015();
  const Cosmology cosmo(p);
  const EisensteinHuPower eh(cosmo, true);
  const double z = 0.5;
  const double a = 1.0 / (1.0 + z);
  // 60 points per decade (CLASS's BAO refinement uses 70); measured interpolation error at the
  // grid midpoints (the worst place): 6.5e-5 in 1e-3 < k < 10, from the baryon wiggles.
  const std::vector<double> grid = log_grid(1e-5, 50.0, 60);
  std::ostringstream text;
  text << "# Matter power spectrum P(k) at redshift z=" << z << "\n"
       << "# for k=1e-05 to 50 h/Mpc,\n"
       << "# number of wavenumbers equal to " << grid.size() << "\n"
       << "#    1:k (h/Mpc)              2:P (Mpc/h)^3\n";
  for (double k : grid) text << number(k) << " " << number(eh.power(k, a)) << "\n";
  const std::string path = write("run_z2_pk.dat", text.str());

  const PowerTable table = read_power_table(path);
  EXPECT_EQ(table.format, TableFormat::kClassPk);
  EXPECT_EQ(table.column, "P");
  ASSERT_TRUE(table.redshift.has_value());
  EXPECT_DOUBLE_EQ(*table.redshift, 0.5);
  EXPECT_EQ(table.k.size(), grid.size());

  TableOptions keep;
  keep.keep_table_amplitude = true;
  const TablePower kept(cosmo, table, keep);
  EXPECT_DOUBLE_EQ(kept.table_redshift(), 0.5);
  const TablePower rescaled(cosmo, table);
  EXPECT_NEAR(rescaled.sigma(8.0), p.sigma8, 1e-12);
  double worst = 0.0;
  for (double k : midpoints(grid, 1e-3, 10.0)) {
    // At the table's redshift the file's P is returned; at a = 1 it is scaled by the growth.
    worst = std::max(worst, std::fabs(kept.power(k, a) / eh.power(k, a) - 1.0));
    EXPECT_NEAR(kept.power(k, a) / eh.power(k, a), 1.0, 1e-4) << "k = " << k;
    EXPECT_NEAR(kept.power(k, 1.0) / eh.power(k, 1.0), 1.0, 1e-4) << "k = " << k;
    EXPECT_NEAR(rescaled.power(k, 1.0) / eh.power(k, 1.0), 1.0, 1e-4) << "k = " << k;
  }
  RecordProperty("class_pk_worst_midpoint_error", std::to_string(worst));
  // Exactly on the nodes the table's values come back.
  EXPECT_NEAR(kept.power(grid[300], a) / eh.power(grid[300], a), 1.0, 1e-13);
}

std::string class_tk_header(const std::string& columns) {
  return "# Transfer functions T_i(k) for adiabatic (AD) mode (normalized to initial curvature=1) "
         "at redshift z=0\n"
         "# for k=1e-05 to 50 h/Mpc,\n"
         "# number of wavenumbers equal to 421\n" +
         columns + "\n";
}

// d(k) with 2 pi^2 / k^3 A_s (k h / 0.05)^(n_s - 1) d^2 = P_EH(k): a CLASS-like d_tot (negative,
// as CLASS's synchronous-gauge d_tot is) consistent with A_s.
double d_of_k(const EisensteinHuPower& eh, double k, double A_s, double h, double n_s) {
  const double primordial = A_s * std::pow(k * h / 0.05, n_s - 1.0);
  return -std::sqrt(eh.power(k, 1.0) * k * k * k / (2.0 * kPi * kPi * primordial));
}

TEST_F(PowerTableTest, ClassTkRoundTripWithAsAndSigma8) {
  CosmologyParams p = planck2015();
  const Cosmology cosmo(p);
  const EisensteinHuPower eh(cosmo, true);
  const double A_s = 2.1e-9;
  const std::vector<double> grid = log_grid(1e-5, 50.0, 60);
  std::ostringstream text;
  text << class_tk_header(
      "#    1:k (h/Mpc)              2:d_g                    3:d_b                    "
      "4:d_cdm                  5:d_ur                   6:d_tot                  7:phi    "
      "                8:psi");
  for (double k : grid) {
    const double d = d_of_k(eh, k, A_s, p.h, p.n_s);
    text << number(k) << number(1.3 * d) << number(0.9 * d) << number(1.01 * d) << number(1.2 * d)
         << number(d) << number(-0.5) << number(-0.5) << "\n";
  }
  const std::string path = write("run_tk.dat", text.str());
  const PowerTable table = read_power_table(path);
  EXPECT_EQ(table.format, TableFormat::kClassTk);
  EXPECT_EQ(table.column, "d_tot");
  ASSERT_TRUE(table.redshift.has_value());
  EXPECT_DOUBLE_EQ(*table.redshift, 0.0);

  // A_s normalisation: P = 2 pi^2/k^3 A_s (k h/0.05)^(n_s-1) d^2.
  CosmologyParams p_as = p;
  p_as.A_s = A_s;
  const Cosmology cosmo_as(p_as);
  const TablePower with_as(cosmo_as, table);
  // sigma8 normalisation (A_s = 0): the same spectrum since EH was normalised to this sigma8.
  const TablePower with_s8(cosmo, table);
  EXPECT_NEAR(with_s8.sigma(8.0), p.sigma8, 1e-12);
  EXPECT_NEAR(with_as.sigma(8.0) / p.sigma8, 1.0, 1e-5);
  for (double k : midpoints(grid, 1e-3, 10.0)) {
    EXPECT_NEAR(with_as.power(k, 1.0) / eh.power(k, 1.0), 1.0, 1e-4) << "k = " << k;
    EXPECT_NEAR(with_s8.power(k, 0.5) / eh.power(k, 0.5), 1.0, 1e-4) << "k = " << k;
  }

  // Derivatives with A_s: d ln P / d n_s = ln(k h / 0.05), d ln P / d h = (n_s - 1)/h; the
  // table's shape carries no Omega_m, Omega_b or sigma8 dependence at z = 0.
  CosmologyParamsT<CosmoDual> pd = seed_duals(p_as);
  const CosmologyDual cosmo_dual(pd);
  const TablePowerT<CosmoDual> dual(cosmo_dual, table);
  for (double k : {0.01, 0.3}) {
    const CosmoDual pk = dual.power(k, 1.0);
    EXPECT_NEAR(deriv(pk, static_cast<int>(CosmoParam::n_s)) / value(pk), std::log(k * p.h / 0.05),
                1e-12);
    EXPECT_NEAR(deriv(pk, static_cast<int>(CosmoParam::h)) / value(pk), (p.n_s - 1.0) / p.h, 1e-12);
    EXPECT_EQ(deriv(pk, static_cast<int>(CosmoParam::sigma8)), 0.0);
    EXPECT_EQ(deriv(pk, static_cast<int>(CosmoParam::Omega_m)), 0.0);
  }
}

TEST_F(PowerTableTest, ClassTkPrefersTotalMatterColumn) {
  // CLASS v3 writes d_m (CDM + baryons + massive neutrinos) next to d_tot; d_m must be used.
  const CosmologyParams p = planck2015();
  const Cosmology cosmo(p);
  const EisensteinHuPower eh(cosmo, true);
  const std::vector<double> grid = log_grid(1e-5, 50.0, 60);
  std::ostringstream text;
  text << class_tk_header("#    1:k (h/Mpc)   2:d_g   3:d_b   4:d_cdm   5:d_m   6:d_tot   7:phi");
  for (double k : grid) {
    const double d = d_of_k(eh, k, 2e-9, p.h, p.n_s);
    text << number(k) << number(d) << number(d) << number(d) << number(d)
         << number(2.0 * d * (1.0 + k)) << number(1.0) << "\n";
  }
  const PowerTable table = read_power_table(write("v3_tk.dat", text.str()));
  EXPECT_EQ(table.column, "d_m");
  const TablePower tp(cosmo, table);
  for (double k : {1e-3, 0.05, 0.2, 2.0}) EXPECT_NEAR(tp.power(k) / eh.power(k), 1.0, 1e-4);
}

TEST_F(PowerTableTest, CambWithAndWithoutHeader) {
  const CosmologyParams p = planck2015();
  const Cosmology cosmo(p);
  const EisensteinHuPower eh(cosmo, true);
  const std::vector<double> grid = log_grid(1e-4, 20.0, 60);
  std::ostringstream body;
  const double a_t = 0.5;  // the files are written at z = 1
  for (double k : grid) body << number(k) << " " << number(eh.power(k, a_t)) << "\n";
  const std::string with_header =
      write("camb_matterpower.dat", "#    k/h          P(k)\n" + body.str());
  const std::string bare = write("camb_bare_matterpower.dat", body.str());
  for (const std::string& path : {with_header, bare}) {
    const PowerTable table = read_power_table(path);
    EXPECT_EQ(table.format, TableFormat::kCambPk) << path;
    EXPECT_FALSE(table.redshift.has_value());
    TableOptions options;
    options.keep_table_amplitude = true;
    options.table_redshift = 1.0;
    const TablePower tp(cosmo, table, options);
    EXPECT_DOUBLE_EQ(tp.table_redshift(), 1.0);
    for (double k : midpoints(grid, 1e-3, 10.0)) {
      EXPECT_NEAR(tp.power(k, a_t) / eh.power(k, a_t), 1.0, 1e-4) << "k = " << k;
    }
    const double g = cosmo.D1_norm(a_t);
    EXPECT_NEAR(tp.power(0.1, 1.0) * g * g / tp.power(0.1, a_t), 1.0, 1e-13);
  }
  // Through the registry, rescaled to sigma8 (the default).
  LinearPowerOptions options;
  options.table_path = with_header;
  auto lp = make_linear_power("table", cosmo, options);
  EXPECT_EQ(lp->name(), "table");
  EXPECT_NEAR(lp->sigma(8.0), p.sigma8, 1e-12);
  EXPECT_NEAR(lp->power(0.2) / eh.power(0.2), 1.0, 1e-4);
}

TEST_F(PowerTableTest, HeaderRedshiftMustAgreeWithOption) {
  std::ostringstream text;
  text << "# Matter power spectrum P(k) at redshift z=0.5\n# 1:k (h/Mpc) 2:P (Mpc/h)^3\n";
  for (double k : {0.01, 0.1, 1.0, 10.0}) text << k << " " << 1000.0 / k << "\n";
  const PowerTable table = read_power_table(write("z_pk.dat", text.str()));
  const Cosmology cosmo(planck2015());
  TableOptions options;
  options.table_redshift = 1.0;
  EXPECT_THROW(TablePower(cosmo, table, options), std::invalid_argument);
  options.table_redshift = 0.5;
  EXPECT_NO_THROW(TablePower(cosmo, table, options));
}

TEST_F(PowerTableTest, OlderClassPkLayoutWithCountLine) {
  // CLASS 2.x: "# Number of wavenumbers k:" then the count on its own line.
  std::ostringstream text;
  text << "# Matter power spectrum P(k) at redshift z=0.000000\n"
       << "# Number of wavenumbers k:\n5\n# k (h/Mpc)  P (Mpc/h)^3:\n";
  for (double k : {0.001, 0.01, 0.1, 1.0, 10.0})
    text << k << " " << 100.0 * std::pow(k, -1.5) << "\n";
  const PowerTable table = read_power_table(write("old_pk.dat", text.str()));
  EXPECT_EQ(table.format, TableFormat::kClassPk);
  EXPECT_EQ(table.k.size(), 5u);
  const std::string bad = write("old_bad_pk.dat",
                                "# Matter power spectrum P(k) at redshift z=0\n"
                                "# Number of wavenumbers k:\n6\n# k (h/Mpc)  P (Mpc/h)^3:\n"
                                "0.001 1\n0.01 2\n0.1 3\n1 4\n10 5\n");
  EXPECT_NE(expect_runtime_error(bad).find(":3: header announces 6 wavenumbers"),
            std::string::npos);
}

TEST_F(PowerTableTest, ExtrapolatesAsPowerLawOfOutermostDecade) {
  const Cosmology cosmo(planck2015());
  const EisensteinHuPower eh(cosmo, true);
  const std::vector<double> grid = log_grid(1e-3, 1.0, 60);
  std::ostringstream text;
  text << "#    k/h          P(k)\n";
  for (double k : grid) text << number(k) << " " << number(eh.power(k)) << "\n";
  TableOptions keep;
  keep.keep_table_amplitude = true;
  const TablePower tp(cosmo, read_power_table(write("short_matterpower.dat", text.str())), keep);
  EXPECT_DOUBLE_EQ(tp.k_min(), grid.front());
  EXPECT_DOUBLE_EQ(tp.k_max(), grid.back());
  const double slope_hi = std::log(eh.power(1.0) / eh.power(0.1)) / std::log(10.0);
  const double slope_lo = std::log(eh.power(1e-2) / eh.power(1e-3)) / std::log(10.0);
  EXPECT_NEAR(tp.power(10.0) / (eh.power(1.0) * std::pow(10.0, slope_hi)), 1.0, 1e-6);
  EXPECT_NEAR(tp.power(1e-4) / (eh.power(1e-3) * std::pow(0.1, slope_lo)), 1.0, 1e-6);
  // Continuous at the ends.
  EXPECT_NEAR(tp.power(1.0 + 1e-12) / tp.power(1.0 - 1e-12), 1.0, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Malformed files: std::runtime_error "<path>:<line>: <what>".

TEST_F(PowerTableTest, MalformedFilesNameTheLine) {
  const std::string pk_head =
      "# Matter power spectrum P(k) at redshift z=0\n#    1:k (h/Mpc)   2:P (Mpc/h)^3\n";
  struct Case {
    const char* name;
    std::string text;
    std::string expected;  // substring after the path
  };
  const std::vector<Case> cases = {
      {"nan_pk.dat", pk_head + "0.01 10\n0.1 abc\n1 3\n10 4\n", ":4: not a finite number: 'abc'"},
      {"cols_pk.dat", pk_head + "0.01 10\n0.1 5\n1 3 7\n10 4\n", ":5: expected 2 columns, found 3"},
      {"order_pk.dat", pk_head + "0.01 10\n0.1 5\n0.05 3\n10 4\n", ":5: k must increase strictly"},
      {"neg_pk.dat", pk_head + "0.01 10\n0.1 5\n1 -3\n10 4\n", ":5: P(k) must be positive"},
      {"short_pk.dat", pk_head + "0.01 10\n0.1 5\n1 3\n", ":5: need at least 4 data rows, found 3"},
      {"three_matterpower.dat", "#  k/h  P(k)\n0.01 10 1\n0.1 5 1\n1 3 1\n10 4 1\n",
       ":2: CAMB matterpower table needs 2 columns (k, P), found 3"},
      {"unknown.dat", "# some other code\n0.01 10\n0.1 5\n1 3\n10 4\n",
       ":2: cannot detect the table format"},
      {"nomatter_tk.dat",
       "# Transfer functions T_i(k)\n#    1:k (h/Mpc)   2:d_g   3:d_b\n1e-3 1 1\n1e-2 1 1\n"
       "1e-1 1 1\n1 1 1\n",
       ":2: no total-matter column 'd_m' or 'd_tot' among: k, d_g, d_b"},
      {"mpc_tk.dat",
       "# Transfer functions T_i(k)\n#    1:k (1/Mpc)   2:d_tot\n1e-3 1\n1e-2 1\n1e-1 1\n1 1\n",
       ":2: k is in 1/Mpc"},
      {"sign_tk.dat",
       "# Transfer functions T_i(k)\n#    1:k (h/Mpc)   2:d_tot\n1e-3 -1\n1e-2 -2\n1e-1 3\n1 1\n",
       ":5: transfer column 'd_tot' changes sign"},
      {"labels_tk.dat",
       "# Transfer functions T_i(k)\n#    1:k (h/Mpc)   2:d_tot\n1e-3 1 2\n1e-2 1 2\n1e-1 1 2\n",
       ":2: header names 2 columns but the data have 3"},
  };
  for (const Case& c : cases) {
    const std::string path = write(c.name, c.text);
    const std::string message = expect_runtime_error(path);
    EXPECT_EQ(message.rfind(path, 0), 0u) << message;
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "expected '" << c.expected << "' in '" << message << "'";
  }
  const std::string missing = (dir_ / "does_not_exist_pk.dat").string();
  EXPECT_NE(expect_runtime_error(missing).find(missing), std::string::npos);
}

}  // namespace
}  // namespace cosmograd::sim
