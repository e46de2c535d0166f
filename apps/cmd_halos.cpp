#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/halo_report.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/fof.hpp"

namespace cosmograd::apps {
namespace {}  // namespace

int cmd_halos(const std::vector<std::string>& args) {
  const sim::CosmologyParams planck = sim::planck2015();
  const std::vector<sim::KeySpec> keys = {
      {"linking_length", "mean separations", "0.2", "FoF linking length b (0 < b <= 1)"},
      {"min_members", "particles", "20", "smallest halo kept (>= 2)"},
      {"out", "", "halos.hdf5",
       "catalogue (Gadget-4 fof_tab layout); also writes "
       "<out>_massfunction.txt and .png"},
      {"threads", "", "0", "OpenMP threads (0: all)"},
      {"Omega_b", "", "",
       "baryon density for the analytic mass functions (empty: the snapshot's, else Planck "
       "2015's " +
           sim::format_setting(planck.Omega_b) + ")"},
      {"n_s", "", "",
       "spectral index for the analytic mass functions (empty: the snapshot's, else " +
           sim::format_setting(planck.n_s) + ")"},
      {"sigma8", "", "",
       "sigma8 for the analytic mass functions (empty: the snapshot's, else " +
           sim::format_setting(planck.sigma8) + ")"},
  };
  const ParsedArgs parsed =
      parse_command("halos",
                    "usage: cosmograd halos SNAPSHOT [--linking_length 0.2] [--min_members 20] "
                    "[--out FILE.hdf5] [--threads 0]",
                    keys, args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument(
        "cosmograd halos: give one SNAPSHOT (a Gadget HDF5 file or base name)");
  }
  const sim::Settings& s = parsed.settings;
  sim::FofOptions fof;
  fof.linking_length = s.get_double("linking_length");
  const long long min_members = s.get_int("min_members");
  if (min_members < 2 || min_members > 1000000000) {
    sim::bad_setting("min_members", s.get_string("min_members"),
                     "is out of range (allowed: 2 to 1e9)");
  }
  fof.min_members = static_cast<int>(min_members);
  fof.validate();
  const long long threads = s.get_int("threads");
  if (threads < 0)
    sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  sim::use_threads(static_cast<int>(threads));

  const sim::SnapshotData<float> snap = sim::read_snapshot<float>(parsed.positional[0]);
  const sim::SnapshotHeader& h = snap.header;
  // The snapshot's own parameters (cosmograd records them all); keys set by hand win.
  sim::CosmologyParams params = sim::cosmology_from_header(h, planck);
  std::string assumed, overridden;
  for (const auto& [key, field] : {std::pair{"Omega_b", &sim::CosmologyParams::Omega_b},
                                   std::pair{"n_s", &sim::CosmologyParams::n_s},
                                   std::pair{"sigma8", &sim::CosmologyParams::sigma8}}) {
    if (!s.get_string(key).empty()) {
      params.*field = s.get_double(key);
      overridden += std::string(overridden.empty() ? "" : ", ") + key;
    } else if (!h.has_cosmology) {
      assumed += std::string(assumed.empty() ? "" : ", ") + key + " = " +
                 sim::format_setting(planck.*field);
    }
  }
  if (!assumed.empty()) {
    sim::log_warn(
        "the snapshot records only Omega_m and h: the analytic mass functions use "
        "Planck 2015's ",
        assumed, " (set --Omega_b, --n_s, --sigma8 to change them)");
  }
  if (!overridden.empty() && h.has_cosmology) {
    sim::log_info("the analytic mass functions use ", overridden,
                  " as set on the command line, not the snapshot's");
  }
  params.validate();
  const sim::Cosmology cosmo(params);
  const sim::EisensteinHuPower power(cosmo);

  const sim::HaloCatalog cat = sim::find_halos(snap, fof);

  driver::write_halo_report(s.get_string("out"), cat, fof, power, parsed.positional[0]);
  return 0;
}

}  // namespace cosmograd::apps
