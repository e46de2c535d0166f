#include "surveys/mocks/filters.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cosmograd::surveys {
namespace {

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

/// One LSST-like band: edges [Angstrom] and peak of the total (system + atmosphere) throughput.
struct BandEdges {
  const char* name;
  double lo, hi, peak;
};

// Approximate LSST band edges (LSST Science Book 2009, arXiv:0912.0201; Ivezic et al. 2019, ApJ
// 873, 111, Fig. 5); peaks rounded from the baseline total throughput curves.
constexpr BandEdges kLsstEdges[] = {{"u", 3200, 4080, 0.35}, {"g", 3870, 5670, 0.50},
                                    {"r", 5370, 7060, 0.60}, {"i", 6760, 8190, 0.55},
                                    {"z", 8030, 9380, 0.45}, {"y", 9090, 10990, 0.20}};
constexpr double kStep = 5.0;        // sampling of the built-in curves [Angstrom]
constexpr double kEdgeWidth = 15.0;  // logistic scale of the LSST-like edges [Angstrom]

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

Filter lsst_like(const BandEdges& b) {
  Filter f{b.name, {}, {}};
  const double start = b.lo - 10.0 * kEdgeWidth, stop = b.hi + 10.0 * kEdgeWidth;
  const auto n = static_cast<int>(std::lround((stop - start) / kStep));
  for (int i = 0; i <= n; ++i) {
    const double lam = start + kStep * i;
    f.wavelength.push_back(lam);
    f.throughput.push_back(b.peak * logistic((lam - b.lo) / kEdgeWidth) *
                           logistic((b.hi - lam) / kEdgeWidth));
  }
  return f;
}

Filter tophat(const BandEdges& b) {
  Filter f{b.name, {}, {}};
  const auto n = static_cast<int>(std::lround((b.hi - b.lo) / kStep));
  for (int i = 0; i <= n; ++i) {
    f.wavelength.push_back(b.lo + (b.hi - b.lo) * i / n);
    f.throughput.push_back(1.0);
  }
  return f;
}

}  // namespace

void validate(const Filter& f) {
  const std::string who = "Filter '" + f.name + "': ";
  if (f.name.empty()) throw std::invalid_argument("Filter: name is empty (must be non-empty)");
  if (f.wavelength.size() != f.throughput.size() || f.wavelength.size() < 2)
    throw std::invalid_argument(who + "wavelength has " + std::to_string(f.wavelength.size()) +
                                " samples and throughput " + std::to_string(f.throughput.size()) +
                                " (must be equal and >= 2)");
  bool any_positive = false;
  for (std::size_t i = 0; i < f.wavelength.size(); ++i) {
    const double lam = f.wavelength[i], t = f.throughput[i];
    if (!std::isfinite(lam) || lam <= 0.0)
      throw std::invalid_argument(who + "wavelength[" + std::to_string(i) + "] = " + num(lam) +
                                  " (must be finite and > 0, in Angstrom)");
    if (i > 0 && !(lam > f.wavelength[i - 1]))
      throw std::invalid_argument(who + "wavelength[" + std::to_string(i) + "] = " + num(lam) +
                                  " is not above wavelength[" + std::to_string(i - 1) +
                                  "] = " + num(f.wavelength[i - 1]) +
                                  " (must be strictly ascending, in Angstrom)");
    if (!(t >= 0.0 && t <= 1.0))
      throw std::invalid_argument(who + "throughput[" + std::to_string(i) + "] = " + num(t) +
                                  " (must be in [0, 1])");
    any_positive = any_positive || t > 0.0;
  }
  if (!any_positive) throw std::invalid_argument(who + "throughput is zero everywhere");
}

TwoColumnTable read_two_column_table(const std::string& path, const std::string& columns,
                                     const std::function<void(double, double)>& check_row) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot open '" + path + "' for reading");
  TwoColumnTable table;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = path + ":" + std::to_string(number) + ": ";
    line = line.substr(0, line.find('#'));
    std::istringstream row(line);
    double x = 0, y = 0;
    std::string extra;
    if (!(row >> x)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank or comment
      throw std::invalid_argument(where + "expected two numbers (" + columns + "), got '" + line +
                                  "'");
    }
    if (!(row >> y) || (row >> extra) || !std::isfinite(x) || !std::isfinite(y))
      throw std::invalid_argument(where + "expected two finite numbers (" + columns + "), got '" +
                                  line + "'");
    if (!table.x.empty() && !(x > table.x.back()))
      throw std::invalid_argument(where + "first column " + num(x) + " is not above " +
                                  num(table.x.back()) + " (must be strictly ascending)");
    try {
      check_row(x, y);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + e.what());
    }
    table.x.push_back(x);
    table.y.push_back(y);
  }
  if (table.x.size() < 2)
    throw std::invalid_argument(path + ": has " + std::to_string(table.x.size()) +
                                " data rows (need >= 2 rows of " + columns + ")");
  return table;
}

Filter read_filter(const std::string& path, const std::string& name) {
  auto table =
      read_two_column_table(path, "wavelength [Angstrom], throughput", [](double lam, double t) {
        if (lam <= 0.0) throw std::invalid_argument("wavelength " + num(lam) + " must be > 0");
        if (t < 0.0 || t > 1.0)
          throw std::invalid_argument("throughput " + num(t) + " must be in [0, 1]");
      });
  Filter f{name, std::move(table.x), std::move(table.y)};
  validate(f);
  return f;
}

std::vector<std::string> builtin_filter_sets() { return {"lsst", "tophat_ugrizy"}; }

std::vector<Filter> builtin_filters(const std::string& set) {
  if (set != "lsst" && set != "tophat_ugrizy")
    throw std::invalid_argument("builtin_filters: set = '" + set +
                                "' is unknown (allowed: lsst, tophat_ugrizy)");
  std::vector<Filter> filters;
  for (const auto& band : kLsstEdges)
    filters.push_back(set == "lsst" ? lsst_like(band) : tophat(band));
  return filters;
}

double throughput_at(const Filter& f, double wavelength) {
  const auto& x = f.wavelength;
  if (!(wavelength >= x.front() && wavelength <= x.back())) return 0.0;
  const auto hi = static_cast<std::size_t>(
      std::max<std::ptrdiff_t>(1, std::upper_bound(x.begin(), x.end(), wavelength) - x.begin()));
  const std::size_t i = std::min(hi, x.size() - 1);
  const double w = (wavelength - x[i - 1]) / (x[i] - x[i - 1]);
  return (1.0 - w) * f.throughput[i - 1] + w * f.throughput[i];
}

double integrate_band(const Filter& f, const std::function<double(double)>& g,
                      const std::vector<double>& extra) {
  const auto& x = f.wavelength;
  const auto first = std::upper_bound(extra.begin(), extra.end(), x.front());
  const auto last = std::lower_bound(extra.begin(), extra.end(), x.back());
  std::vector<double> grid;
  grid.reserve(x.size() + static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, last - first)));
  if (first < last)
    std::merge(x.begin(), x.end(), first, last, std::back_inserter(grid));
  else
    grid = x;
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  double sum = 0.0, prev = g(grid[0]) * throughput_at(f, grid[0]);
  for (std::size_t i = 1; i < grid.size(); ++i) {
    const double cur = g(grid[i]) * throughput_at(f, grid[i]);
    sum += 0.5 * (prev + cur) * (grid[i] - grid[i - 1]);
    prev = cur;
  }
  return sum;
}

double pivot_wavelength(const Filter& f) {
  validate(f);
  const double num_int = integrate_band(f, [](double lam) { return lam; });
  const double den_int = integrate_band(f, [](double lam) { return 1.0 / lam; });
  return std::sqrt(num_int / den_int);
}

}  // namespace cosmograd::surveys
