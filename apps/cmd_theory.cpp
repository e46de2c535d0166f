#include <iostream>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/config.hpp"
#include "driver/theory.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {

int cmd_theory(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = driver::cosmology_keys();
  keys.push_back({"z", "", "0", "redshifts of the P(k) columns (comma-separated)"});
  keys.push_back({"out", "", "cosmograd-theory", "output directory"});
  const ParsedArgs parsed =
      parse_command("theory",
                    "usage: cosmograd theory [config.ini] [--key value ...] --out DIR\n"
                    "  writes background.txt, linear_power.txt and halofit_power.txt",
                    keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::vector<double> z = s.get_doubles("z");
  if (z.empty()) sim::bad_setting("z", s.get_string("z"), "is empty (allowed: redshifts >= 0)");
  for (double zz : z) {
    if (!(zz >= 0 && zz <= 1000))
      sim::bad_setting("z", s.get_string("z"), "is out of range (allowed: 0 <= z <= 1000)");
  }
  for (const std::string& path : driver::write_theory_tables(
           s.get_string("out"), driver::cosmology_from(s), driver::transfer_from(s), z)) {
    sim::log_info("wrote ", path);
  }
  return 0;
}

}  // namespace cosmograd::apps
