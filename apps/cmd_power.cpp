#include <cstdio>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/power_spectrum.hpp"

namespace cosmograd::apps {

int cmd_power(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"mesh", "per side", "256", "measurement mesh"},
      {"painter", "", "cic", "mass assignment (compensated): " + sim::paint_kernel_names()},
      {"power_interlace", "", "true", "interlaced measurement"},
      {"shot_noise", "", "false",
       "subtract V/N (Poisson samples such as galaxies; lattice-start particles have none)"},
      {"out", "", "power.txt", "output file (k, P, N_modes)"},
      {"threads", "", "0", "OpenMP threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "power", "usage: cosmograd power SNAPSHOT [--mesh N] [--key value ...] --out FILE", keys,
      args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument(
        "cosmograd power: give one SNAPSHOT (a Gadget HDF5 file or base name)");
  }
  const sim::Settings& s = parsed.settings;
  sim::PowerOptions o;
  const long long mesh = s.get_int("mesh");
  if (mesh < 2 || mesh > 8192 || mesh % 2 != 0)
    sim::bad_setting("mesh", s.get_string("mesh"), "is not allowed (allowed: even, 2 to 8192)");
  o.mesh = static_cast<int>(mesh);
  o.window = sim::parse_paint_kernel(s.get_string("painter"));
  o.interlace = s.get_bool("power_interlace");
  o.subtract_shot_noise = s.get_bool("shot_noise");
  const sim::SnapshotData<float> snap = sim::read_snapshot<float>(parsed.positional[0]);
  const long long threads = s.get_int("threads");
  if (threads < 0)
    sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  const sim::PowerSpectrum ps = sim::point_power(snap.pos, snap.header.box_size, o,
                                                 sim::use_threads(static_cast<int>(threads)));
  char comment[256];
  std::snprintf(comment, sizeof comment,
                "cosmograd power of %s (z = %.4f), mesh %d, %s compensated%s",
                parsed.positional[0].c_str(), snap.header.redshift(), o.mesh,
                sim::paint_kernel_name(o.window), o.interlace ? ", interlaced" : "");
  sim::write_power_text(s.get_string("out"), ps, comment);
  sim::log_info("wrote ", s.get_string("out"), " (", ps.k.size(), " bins)");
  return 0;
}

}  // namespace cosmograd::apps
