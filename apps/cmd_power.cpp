#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/bispectrum.hpp"
#include "sim/measure/power_spectrum.hpp"

namespace cosmograd::apps {
namespace {

/// The shell nearest to k [h/Mpc] of the angle configuration's key `key`.
int nearest_shell(const sim::Settings& s, const std::string& key,
                  const std::vector<double>& centres) {
  const double k = s.get_double(key);
  if (!(k > 0)) sim::bad_setting(key, s.get_string(key), "is not allowed (allowed: > 0 h/Mpc)");
  int best = 0;
  for (int i = 1; i < static_cast<int>(centres.size()); ++i) {
    if (std::abs(centres[i] - k) < std::abs(centres[best] - k)) best = i;
  }
  return best;
}

/// Writes the bispectrum of the snapshot's particles (the P(k) mesh, window and interlacing).
void write_snapshot_bispectrum(const sim::Settings& s, const sim::SnapshotData<float>& snap,
                               const sim::PowerOptions& o, int threads, const std::string& what) {
  const sim::BispectrumShells shells{s.get_double("bispectrum_dk"),
                                     s.get_double("bispectrum_k_min"),
                                     s.get_double("bispectrum_k_max")};
  const double box = snap.header.box_size;
  const std::vector<double> centres = sim::shell_centres(shells, o.mesh, box);
  const sim::TriangleSet set =
      sim::parse_triangle_set(s.get_string("bispectrum_triangles"), "bispectrum_triangles");
  const bool angle = set == sim::TriangleSet::angle;
  const std::vector<sim::ShellTriangle> triangles =
      sim::shell_triangles(set, centres, angle ? nearest_shell(s, "bispectrum_k1", centres) : 0,
                           angle ? nearest_shell(s, "bispectrum_k2", centres) : 0);
  const std::size_t count = snap.pos.size() / 3;
  const sim::Fft<float> fft(sim::Decomposition(o.mesh), threads);
  const sim::Field<float> modes = sim::density_modes(snap.pos, box, count, o, fft);
  const double density = o.subtract_shot_noise ? count / (box * box * box) : 0.0;
  const sim::Bispectrum b = sim::bispectrum(modes, box, shells, triangles, threads, density);
  sim::write_bispectrum_text(s.get_string("bispectrum"), b,
                             what + ", " + sim::triangle_set_name(set) + " triangles");
  sim::log_info("wrote ", s.get_string("bispectrum"), " (", b.triangles.size(), " triangles)");
}

}  // namespace

int cmd_power(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"mesh", "per side", "256", "measurement mesh"},
      {"painter", "", "cic", "mass assignment (compensated): " + sim::paint_kernel_names()},
      {"power_interlace", "", "true", "interlaced measurement"},
      {"shot_noise", "", "false",
       "subtract V/N (Poisson samples such as galaxies; lattice-start particles have none)"},
      {"out", "", "power.txt", "output file (k, P, N_modes)"},
      {"bispectrum", "", "", "also write the bispectrum (FFT shell method) to this file"},
      {"bispectrum_triangles", "", "equilateral",
       "triangle set: all (k1 <= k2 <= k3, closed), equilateral, angle (k1, k2 fixed)"},
      {"bispectrum_dk", "h/Mpc", "0", "shell width (0: 2 pi / L)"},
      {"bispectrum_k_min", "h/Mpc", "0", "centre of the first shell (0: bispectrum_dk)"},
      {"bispectrum_k_max", "h/Mpc", "0", "last shell centre at most this (0: k_Nyquist / 2)"},
      {"bispectrum_k1", "h/Mpc", "0", "angle set: k1 (the nearest shell centre)"},
      {"bispectrum_k2", "h/Mpc", "0", "angle set: k2 (the nearest shell centre)"},
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
  const int nthreads = sim::use_threads(static_cast<int>(threads));
  const sim::PowerSpectrum ps = sim::point_power(snap.pos, snap.header.box_size, o, nthreads);
  char comment[256];
  std::snprintf(comment, sizeof comment,
                "cosmograd power of %s (z = %.4f), mesh %d, %s compensated%s",
                parsed.positional[0].c_str(), snap.header.redshift(), o.mesh,
                sim::paint_kernel_name(o.window), o.interlace ? ", interlaced" : "");
  sim::write_power_text(s.get_string("out"), ps, comment);
  sim::log_info("wrote ", s.get_string("out"), " (", ps.k.size(), " bins)");
  if (!s.get_string("bispectrum").empty()) write_snapshot_bispectrum(s, snap, o, nthreads, comment);
  return 0;
}

}  // namespace cosmograd::apps
