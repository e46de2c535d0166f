#include <iostream>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/config.hpp"
#include "driver/theory.hpp"
#include "sim/core/log.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::apps {

int cmd_theory(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = driver::cosmology_keys();
  keys.push_back({"z", "", "0", "redshifts of the P(k) columns (comma-separated)"});
  const std::vector<sim::KeySpec>& sources_keys = driver::lensing_source_keys();
  keys.insert(keys.end(), sources_keys.begin(), sources_keys.end());
  keys.push_back({"out", "", "cosmograd-theory", "output directory"});
  const ParsedArgs parsed =
      parse_command("theory",
                    "usage: cosmograd theory [config.ini] [--key value ...] --out DIR\n"
                    "  writes background.txt, linear_power.txt, halofit_power.txt and kappa_cl.txt",
                    keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::vector<double> z = s.get_doubles("z");
  if (z.empty()) sim::bad_setting("z", s.get_string("z"), "is empty (allowed: redshifts >= 0)");
  for (double zz : z) {
    if (!(zz >= 0 && zz <= 1000))
      sim::bad_setting("z", s.get_string("z"), "is out of range (allowed: 0 <= z <= 1000)");
  }
  const std::vector<sim::SourceDistribution> sources =
      sim::parse_sources(s.get_string("source_z"), s.get_string("source_nz"));
  for (const std::string& path : driver::write_theory_tables(
           s.get_string("out"), driver::cosmology_from(s), driver::transfer_from(s), z, sources)) {
    sim::log_info("wrote ", path);
  }
  return 0;
}

}  // namespace cosmograd::apps
