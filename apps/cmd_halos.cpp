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
      {"Omega_b", "", sim::format_setting(planck.Omega_b),
       "baryon density (analytic mass functions)"},
      {"n_s", "", sim::format_setting(planck.n_s), "spectral index (analytic mass functions)"},
      {"sigma8", "", sim::format_setting(planck.sigma8),
       "sigma8 at z = 0 (analytic mass functions)"},
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
  sim::CosmologyParams base = planck;
  base.Omega_b = s.get_double("Omega_b");
  base.n_s = s.get_double("n_s");
  base.sigma8 = s.get_double("sigma8");
  const sim::Cosmology cosmo(sim::cosmology_from_header(h, base));
  const sim::EisensteinHuPower power(cosmo);

  const sim::HaloCatalog cat = sim::find_halos(snap, fof);

  driver::write_halo_report(s.get_string("out"), cat, fof, power, parsed.positional[0]);
  return 0;
}

}  // namespace cosmograd::apps
