#include "sim/cosmo/power_table.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxRows = 1e9;  // most wavenumbers a "# Number of wavenumbers" line may announce

[[noreturn]] void fail(const std::string& path, int line, const std::string& what) {
  std::ostringstream msg;
  msg << path << ":" << line << ": " << what;
  throw std::runtime_error(msg.str());
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

// Parses one whitespace-separated token as a finite double; false when it is not one.
bool parse_double(const std::string& token, double& out) {
  if (token.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(token.c_str(), &end);
  if (end != token.c_str() + token.size() || errno == ERANGE || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// The redshift written as "z=<number>" (optionally "z = <number>") in a header line.
std::optional<double> parse_redshift(const std::string& line) {
  for (std::size_t pos = line.find('z'); pos != std::string::npos; pos = line.find('z', pos + 1)) {
    if (pos > 0 && std::isalnum(static_cast<unsigned char>(line[pos - 1]))) continue;
    std::size_t i = pos + 1;
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size() || line[i] != '=') continue;
    ++i;
    while (i < line.size() && line[i] == ' ') ++i;
    const char* begin = line.c_str() + i;
    char* end = nullptr;
    const double z = std::strtod(begin, &end);
    if (end != begin && std::isfinite(z)) return z;
  }
  return std::nullopt;
}

std::string trim(const std::string& s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

struct HeaderLine {
  std::string text;
  int line;
};

}  // namespace

const char* table_format_name(TableFormat format) {
  switch (format) {
    case TableFormat::kClassPk:
      return "CLASS pk";
    case TableFormat::kClassTk:
      return "CLASS tk";
    case TableFormat::kCambPk:
      return "CAMB matterpower";
  }
  return "unknown";
}

std::vector<std::string> parse_column_labels(const std::string& line) {
  std::vector<std::string> names;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    const bool at_token_start =
        std::isdigit(static_cast<unsigned char>(line[i])) &&
        (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])) || line[i - 1] == '#');
    if (!at_token_start) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < n && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j >= n || line[j] != ':') {
      i = j;
      continue;
    }
    const long index = std::strtol(line.substr(i, j - i).c_str(), nullptr, 10);
    std::size_t e = j + 1;
    while (e < n && !std::isspace(static_cast<unsigned char>(line[e]))) ++e;
    if (index != static_cast<long>(names.size()) + 1 || e == j + 1) return {};
    names.push_back(line.substr(j + 1, e - j - 1));
    i = e;
  }
  return names;
}

TableFormat detect_table_format(const std::vector<std::string>& header, std::size_t num_columns,
                                const std::string& path, int line) {
  // 1. CLASS column labels decide between tk and pk.
  for (auto it = header.rbegin(); it != header.rend(); ++it) {
    const std::vector<std::string> labels = parse_column_labels(*it);
    if (labels.size() < 2 || labels.front() != "k") continue;
    for (const std::string& name : labels) {
      if (name.rfind("d_", 0) == 0 || name.rfind("t_", 0) == 0 || name == "phi" || name == "psi") {
        return TableFormat::kClassTk;
      }
    }
    if (labels.size() == 2 && labels[1].rfind("P", 0) == 0) return TableFormat::kClassPk;
  }
  // 2. CLASS title lines.
  for (const std::string& h : header) {
    if (contains(h, "Transfer functions")) return TableFormat::kClassTk;
  }
  for (const std::string& h : header) {
    if (contains(h, "Matter power spectrum") || contains(h, "P (Mpc/h)^3")) {
      return TableFormat::kClassPk;
    }
  }
  // 3. CAMB: "#    k/h          P(k)" or no header at all with two columns.
  for (const std::string& h : header) {
    if (contains(h, "k/h")) return TableFormat::kCambPk;
  }
  if (header.empty() && num_columns == 2) return TableFormat::kCambPk;
  std::ostringstream msg;
  msg << "cannot detect the table format (" << num_columns << " columns, "
      << (header.empty() ? std::string("no header") : "header '" + trim(header.front()) + "'")
      << "); expected a CLASS *_pk.dat / *_tk.dat header or a CAMB '#  k/h  P(k)' header";
  fail(path, line, msg.str());
}

PowerTable read_power_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open power-spectrum table for reading");

  PowerTable table;
  table.path = path;
  std::vector<HeaderLine> header;
  std::vector<std::string> header_text;
  std::size_t num_columns = 0;
  std::size_t value_column = 1;
  bool transfer = false;
  int line_no = 0;
  int last_data_line = 0;
  double last_sign = 0.0;
  std::size_t expected_rows = 0;
  int count_line = 0;
  std::string raw;
  std::vector<double> row;

  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (num_columns == 0) {
        header.push_back({line, line_no});
        header_text.push_back(line);
      }
      continue;
    }
    row.clear();
    std::istringstream tokens(line);
    std::string token;
    while (tokens >> token) {
      double v = 0.0;
      if (!parse_double(token, v)) fail(path, line_no, "not a finite number: '" + token + "'");
      row.push_back(v);
    }
    if (num_columns == 0 && row.size() == 1 && !header.empty() &&
        contains(header.back().text, "Number of wavenumbers")) {
      // Older CLASS *_pk.dat: "# Number of wavenumbers k:" then the count on its own line.
      // Bounded before the cast: a double beyond size_t's range is undefined behaviour.
      if (!(row[0] >= 1.0) || !(row[0] <= kMaxRows) || row[0] != std::floor(row[0])) {
        fail(path, line_no,
             "number of wavenumbers = '" + raw + "' (allowed: an integer from 1 to 1e9)");
      }
      expected_rows = static_cast<std::size_t>(row[0]);
      count_line = line_no;
      continue;
    }
    if (num_columns == 0) {
      // First data row: detect the format and pick the value column.
      num_columns = row.size();
      table.format = detect_table_format(header_text, num_columns, path, line_no);
      for (const HeaderLine& h : header) {
        if (!table.redshift) table.redshift = parse_redshift(h.text);
      }
      if (table.format == TableFormat::kClassTk) {
        transfer = true;
        const HeaderLine* labels_line = nullptr;
        std::vector<std::string> labels;
        for (auto it = header.rbegin(); it != header.rend(); ++it) {
          labels = parse_column_labels(it->text);
          if (labels.size() >= 2 && labels.front() == "k") {
            labels_line = &*it;
            break;
          }
        }
        if (labels_line == nullptr) {
          fail(path, line_no, "CLASS transfer table without a '# 1:k (h/Mpc)  2:...' label line");
        }
        if (contains(labels_line->text, "1/Mpc")) {
          fail(path, labels_line->line,
               "k is in 1/Mpc; write the CLASS table with k in h/Mpc (the default)");
        }
        if (labels.size() != num_columns) {
          std::ostringstream msg;
          msg << "header names " << labels.size() << " columns but the data have " << num_columns;
          fail(path, labels_line->line, msg.str());
        }
        auto find = [&](const char* name) {
          return std::find(labels.begin(), labels.end(), name) - labels.begin();
        };
        std::size_t idx = static_cast<std::size_t>(find("d_m"));
        if (idx >= labels.size()) idx = static_cast<std::size_t>(find("d_tot"));
        if (idx >= labels.size()) {
          std::string names;
          for (const auto& l : labels) names += (names.empty() ? "" : ", ") + l;
          fail(path, labels_line->line, "no total-matter column 'd_m' or 'd_tot' among: " + names);
        }
        value_column = idx;
        table.column = labels[idx];
      } else {
        if (num_columns != 2) {
          std::ostringstream msg;
          msg << table_format_name(table.format) << " table needs 2 columns (k, P), found "
              << num_columns;
          fail(path, line_no, msg.str());
        }
        value_column = 1;
        table.column = "P";
      }
    }
    if (row.size() != num_columns) {
      std::ostringstream msg;
      msg << "expected " << num_columns << " columns, found " << row.size();
      fail(path, line_no, msg.str());
    }
    const double k = row[0];
    const double v = row[value_column];
    if (!(k > 0.0)) fail(path, line_no, "k must be positive");
    if (!table.k.empty() && !(k > table.k.back())) {
      fail(path, line_no, "k must increase strictly from row to row");
    }
    if (transfer) {
      if (v == 0.0) fail(path, line_no, "transfer column '" + table.column + "' is zero");
      const double sign = v > 0.0 ? 1.0 : -1.0;
      if (last_sign != 0.0 && sign != last_sign) {
        fail(path, line_no, "transfer column '" + table.column + "' changes sign");
      }
      last_sign = sign;
    } else if (!(v > 0.0)) {
      fail(path, line_no, "P(k) must be positive");
    }
    table.k.push_back(k);
    table.value.push_back(v);
    last_data_line = line_no;
  }
  if (expected_rows != 0 && expected_rows != table.k.size()) {
    std::ostringstream msg;
    msg << "header announces " << expected_rows << " wavenumbers but the file has "
        << table.k.size();
    fail(path, count_line, msg.str());
  }
  if (table.k.size() < 4) {
    std::ostringstream msg;
    msg << "need at least 4 data rows, found " << table.k.size();
    fail(path, std::max(last_data_line, line_no), msg.str());
  }
  return table;
}

// ---------------------------------------------------------------------------------------------
// LogLogInterpolator

LogLogInterpolator::LogLogInterpolator(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 4 || y.size() != n) {
    throw std::invalid_argument("LogLogInterpolator: need at least 4 (x, y) pairs of equal length");
  }
  u_.resize(n);
  v_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!(x[i] > 0.0) || !(y[i] > 0.0) || (i > 0 && !(x[i] > x[i - 1]))) {
      std::ostringstream msg;
      msg << "LogLogInterpolator: need x increasing and x, y > 0; point " << i << " is (" << x[i]
          << ", " << y[i] << ")";
      throw std::invalid_argument(msg.str());
    }
    u_[i] = std::log(x[i]);
    v_[i] = std::log(y[i]);
  }
  // Second derivatives M_i of the not-a-knot spline: the interior equations
  //   h_{i-1} M_{i-1} + 2 (h_{i-1} + h_i) M_i + h_i M_{i+1} = 6 (d_i - d_{i-1}),
  // with M_0 and M_{n-1} eliminated by continuity of the third derivative at u_1, u_{n-2}.
  std::vector<double> h(n - 1);
  std::vector<double> d(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    h[i] = u_[i + 1] - u_[i];
    d[i] = (v_[i + 1] - v_[i]) / h[i];
  }
  const std::size_t m = n - 2;  // unknowns M_1 .. M_{n-2}
  std::vector<double> lower(m, 0.0);
  std::vector<double> diag(m, 0.0);
  std::vector<double> upper(m, 0.0);
  std::vector<double> rhs(m, 0.0);
  for (std::size_t r = 0; r < m; ++r) {
    const std::size_t i = r + 1;
    lower[r] = h[i - 1];
    diag[r] = 2.0 * (h[i - 1] + h[i]);
    upper[r] = h[i];
    rhs[r] = 6.0 * (d[i] - d[i - 1]);
  }
  // Left: M_0 = (1 + h0/h1) M_1 - (h0/h1) M_2.
  {
    const double r0 = h[0] / h[1];
    diag[0] += h[0] * (1.0 + r0);
    upper[0] -= h[0] * r0;
    lower[0] = 0.0;
  }
  // Right: M_{n-1} = (1 + h_{n-2}/h_{n-3}) M_{n-2} - (h_{n-2}/h_{n-3}) M_{n-3}.
  {
    const double rn = h[n - 2] / h[n - 3];
    diag[m - 1] += h[n - 2] * (1.0 + rn);
    lower[m - 1] -= h[n - 2] * rn;
    upper[m - 1] = 0.0;
  }
  // Thomas algorithm.
  for (std::size_t r = 1; r < m; ++r) {
    const double f = lower[r] / diag[r - 1];
    diag[r] -= f * upper[r - 1];
    rhs[r] -= f * rhs[r - 1];
  }
  std::vector<double> inner(m);
  inner[m - 1] = rhs[m - 1] / diag[m - 1];
  for (std::size_t r = m - 1; r-- > 0;) inner[r] = (rhs[r] - upper[r] * inner[r + 1]) / diag[r];
  m2_.assign(n, 0.0);
  for (std::size_t r = 0; r < m; ++r) m2_[r + 1] = inner[r];
  m2_[0] = (1.0 + h[0] / h[1]) * m2_[1] - (h[0] / h[1]) * m2_[2];
  m2_[n - 1] = (1.0 + h[n - 2] / h[n - 3]) * m2_[n - 2] - (h[n - 2] / h[n - 3]) * m2_[n - 3];

  // Power-law indices from the outermost decade (whole table if it spans less).
  const double decade = std::log(10.0);
  const double span = std::min(decade, u_.back() - u_.front());
  slope_low_ = (spline(u_.front() + span) - v_.front()) / span;
  slope_high_ = (v_.back() - spline(u_.back() - span)) / span;
}

double LogLogInterpolator::spline(double u) const {
  const std::size_t n = u_.size();
  std::size_t hi = static_cast<std::size_t>(std::upper_bound(u_.begin(), u_.end(), u) - u_.begin());
  hi = std::min(std::max<std::size_t>(hi, 1), n - 1);
  const std::size_t lo = hi - 1;
  const double h = u_[hi] - u_[lo];
  const double A = (u_[hi] - u) / h;
  const double B = 1.0 - A;
  return A * v_[lo] + B * v_[hi] +
         ((A * A * A - A) * m2_[lo] + (B * B * B - B) * m2_[hi]) * (h * h) / 6.0;
}

double LogLogInterpolator::operator()(double x) const {
  if (!(x > 0.0)) {
    std::ostringstream msg;
    msg << "LogLogInterpolator: x = " << x << " must be positive";
    throw std::invalid_argument(msg.str());
  }
  const double u = std::log(x);
  if (u < u_.front()) return std::exp(v_.front() + slope_low_ * (u - u_.front()));
  if (u > u_.back()) return std::exp(v_.back() + slope_high_ * (u - u_.back()));
  return std::exp(spline(u));
}

double LogLogInterpolator::x_min() const { return std::exp(u_.front()); }
double LogLogInterpolator::x_max() const { return std::exp(u_.back()); }

// ---------------------------------------------------------------------------------------------
// TablePowerT

namespace {

std::vector<double> absolute(const std::vector<double>& v) {
  std::vector<double> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = std::fabs(v[i]);
  return out;
}

}  // namespace

template <class S>
TablePowerT<S>::TablePowerT(const CosmologyT<S>& cosmo, PowerTable table,
                            const TableOptions& options)
    : LinearPowerT<S>(cosmo),
      table_(std::move(table)),
      interp_(table_.k, absolute(table_.value)),
      amplitude_(1.0) {
  using std::exp;
  using std::log;
  // Redshift: header, option, or 0.
  if (table_.redshift && options.table_redshift &&
      std::fabs(*table_.redshift - *options.table_redshift) > 1e-6) {
    std::ostringstream msg;
    msg << table_.path << ": header says z = " << *table_.redshift
        << " but TableOptions::table_redshift = " << *options.table_redshift;
    throw std::invalid_argument(msg.str());
  }
  redshift_ = table_.redshift ? *table_.redshift : options.table_redshift.value_or(0.0);
  if (!(redshift_ >= 0.0)) {
    std::ostringstream msg;
    msg << table_.path << ": table redshift " << redshift_ << " must be >= 0";
    throw std::invalid_argument(msg.str());
  }
  const double a_table = 1.0 / (1.0 + redshift_);
  const S g = this->growth(a_table);  // D1_norm(a_t)
  const auto& p = this->cosmology().params();
  const bool is_transfer = table_.format == TableFormat::kClassTk;

  if (is_transfer && p.A_s > 0.0) {
    // P = 2 pi^2 / k^3 A_s (k h / k_pivot)^(n_s - 1) d^2 (CLASS d_* are for R = 1), k_pivot =
    // 0.05 / Mpc; the shape below carries k^(n_s - 4) d^2.
    amplitude_ = 2.0 * kPi * kPi * p.A_s * exp((p.n_s - 1.0) * log(p.h / 0.05)) / (g * g);
    return;
  }
  if (!is_transfer && options.keep_table_amplitude) {
    amplitude_ = 1.0 / (g * g);
    return;
  }
  if (!(value(p.sigma8) > 0.0)) {
    std::ostringstream msg;
    msg << table_.path << ": sigma8 = " << value(p.sigma8)
        << " must be positive to normalise the table (or set A_s for transfer tables)";
    throw std::invalid_argument(msg.str());
  }
  const PowerQuadrature rule = tophat_sigma2_quadrature(8.0);
  S sum(0.0);
  for (std::size_t i = 0; i < rule.k.size(); ++i) sum += rule.w[i] * shape_today(rule.k[i]);
  amplitude_ = p.sigma8 * p.sigma8 / sum;
}

template <class S>
S TablePowerT<S>::shape_today(double k) const {
  using std::exp;
  const double t = interp_(k);
  if (table_.format != TableFormat::kClassTk) return S(t);
  return exp((this->cosmology().params().n_s - 4.0) * std::log(k)) * (t * t);
}

template <class S>
S TablePowerT<S>::power_today(double k) const {
  if (!(k > 0.0) || !std::isfinite(k)) {
    std::ostringstream msg;
    msg << "TablePower::power_today: k = " << k << " h/Mpc must be positive and finite";
    throw std::invalid_argument(msg.str());
  }
  return amplitude_ * shape_today(k);
}

template class TablePowerT<double>;
template class TablePowerT<CosmoDual>;

}  // namespace cosmograd::sim
