#include "sim/cosmo/time_grid.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cosmograd::sim {

StepSpacing parse_step_spacing(const std::string& name, const std::string& field) {
  if (name == "linear") return StepSpacing::linear;
  if (name == "log") return StepSpacing::log;
  throw std::invalid_argument(field + " = '" + name +
                              "' is not a step spacing (allowed: linear, log)");
}

const char* step_spacing_name(StepSpacing s) { return s == StepSpacing::linear ? "linear" : "log"; }

std::vector<double> make_time_grid(double a_init, double a_final, int steps, StepSpacing spacing,
                                   const std::vector<double>& extra) {
  if (!(a_init > 0 && a_init <= 1)) {
    std::ostringstream os;
    os << "a_init = " << a_init << " is out of range (allowed: 0 < a_init <= 1)";
    throw std::invalid_argument(os.str());
  }
  if (!(a_final >= a_init && a_final <= 2)) {
    std::ostringstream os;
    os << "final scale factor " << a_final
       << " (from z_out) is out of range (allowed: a_init = " << a_init << " <= a <= 2)";
    throw std::invalid_argument(os.str());
  }
  if (steps < 0)
    throw std::invalid_argument("steps = " + std::to_string(steps) +
                                " is out of range (allowed: >= 0)");
  std::vector<double> a{a_init};
  if (steps == 0) return a;
  for (int i = 1; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    a.push_back(spacing == StepSpacing::linear ? a_init + t * (a_final - a_init)
                                               : a_init * std::pow(a_final / a_init, t));
  }
  a.back() = a_final;
  for (double e : extra) {
    if (e > a_init && e <= a_final) a.push_back(e);
  }
  std::sort(a.begin(), a.end());
  // Drop near-duplicates (an output time that coincides with a step).
  std::vector<double> out;
  for (double v : a) {
    if (out.empty() || v - out.back() > 1e-9 * v) out.push_back(v);
  }
  return out;
}

std::vector<double> checked_time_list(const std::vector<double>& a_list) {
  if (a_list.empty())
    throw std::invalid_argument(
        "a_list = '' is empty (allowed: increasing scale factors in (0, 2])");
  for (std::size_t i = 0; i < a_list.size(); ++i) {
    if (!(a_list[i] > 0 && a_list[i] <= 2) || (i > 0 && !(a_list[i] > a_list[i - 1]))) {
      std::ostringstream os;
      os << "a_list entry " << i << " = " << a_list[i]
         << " is not allowed (allowed: strictly increasing scale factors in (0, 2])";
      throw std::invalid_argument(os.str());
    }
  }
  return a_list;
}

}  // namespace cosmograd::sim
