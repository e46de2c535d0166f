#include "sim/pm/sim_spec.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/core/settings.hpp"

namespace cosmograd::sim {
namespace {

/// Throws unless v is even, naming the key.
void check_even(const std::string& key, long long v) {
  if (v % 2 != 0) bad_setting(key, std::to_string(v), "is odd (allowed: even numbers)");
}

/// The z_out list as a setting's text.
std::string list_text(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : ",") + format_setting(x);
  return s;
}

}  // namespace

double SimSpec::a_final() const {
  if (!a_list.empty()) return a_list.back();
  return 1.0 / (1.0 + z_out.back());
}

std::vector<double> SimSpec::time_grid() const {
  if (!a_list.empty()) return a_list;
  std::vector<double> outs;
  for (double z : z_out) outs.push_back(1.0 / (1.0 + z));
  return make_time_grid(a_init, a_final(), steps, spacing, outs);
}

void SimSpec::validate() const {
  cosmology.validate();
  if (transfer.name == "table" && transfer.table_path.empty())
    bad_setting("transfer_file", "", "is empty but transfer = table needs a file");
  if (!(box_size > 0))
    bad_setting("box_size", format_setting(box_size), "is out of range (allowed: > 0 Mpc/h)");
  check_int_range("particles", particles, 2, 4096);
  check_even("particles", particles);
  check_int_range("mesh", mesh, 2, 8192);
  check_even("mesh", mesh);
  if (!(a_init > 0 && a_init <= 1))
    bad_setting("a_init", format_setting(a_init), "is out of range (allowed: 0 < a_init <= 1)");
  check_int_range("steps", steps, 0, 100000);
  if (!a_list.empty()) {
    checked_time_list(a_list);
    if (a_init != a_list.front())
      bad_setting("a_init", format_setting(a_init),
                  "differs from a_list's first value " + format_setting(a_list.front()));
  }
  if (z_out.empty()) bad_setting("z_out", "", "is empty (allowed: one or more redshifts >= 0)");
  for (double z : z_out) {
    if (!(z >= -0.5) || !(1.0 / (1.0 + z) >= a_init - 1e-12)) {
      bad_setting("z_out", list_text(z_out),
                  "has redshift " + format_setting(z) +
                      " outside the run (allowed: -0.5 <= z <= 1/a_init - 1 = " +
                      format_setting(1.0 / a_init - 1.0) + ")");
    }
    if (!a_list.empty()) {
      const double a = 1.0 / (1.0 + z);
      const bool on_grid = std::any_of(a_list.begin(), a_list.end(),
                                       [a](double v) { return std::abs(v - a) <= 1e-9 * a; });
      if (!on_grid)
        bad_setting("z_out", list_text(z_out),
                    "has redshift " + format_setting(z) + " whose a is not in a_list");
    }
  }
  if (!std::is_sorted(z_out.begin(), z_out.end(), std::greater<double>()))
    bad_setting("z_out", list_text(z_out), "is not in decreasing order");
  check_int_range("lpt_order", lpt_order, 1, 2);
  check_int_range("threads", threads, 0, 4096);
  time_grid();  // validates the grid now rather than mid-run
}

}  // namespace cosmograd::sim
