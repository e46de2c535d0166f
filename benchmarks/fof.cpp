// Benchmark: friends-of-friends halo finding (sim/measure/fof.hpp), particles per second.
//
// Input: an evolved quickstart-like state: the PM engine (Planck 2015, 2LPT at a = 0.1,
// 2 Mpc/h mean interparticle spacing as in the quickstart, mesh = particles per side, a few
// linear steps to z = 0), written as a snapshot and read back. Timed: find_halos (cell list,
// linking, group ordering, halo properties and SO masses) and fof_groups (linking only), on
// the requested OpenMP threads, best of `repeats`. Writes benchmarks/results/fof.md
// atomically, with the machine.
#include "sim/measure/fof.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "driver/simulation.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/pm/sim_spec.hpp"

namespace {

using cosmograd::sim::FofOptions;
using cosmograd::sim::HaloCatalog;
using cosmograd::sim::Settings;
using cosmograd::sim::SnapshotData;

struct Row {
  int n_side = 0;
  double box = 0;
  std::size_t halos = 0;
  std::size_t in_halos = 0;
  double pm_seconds = 0;
  double fof_seconds = 0;   // find_halos, best of repeats
  double link_seconds = 0;  // fof_groups, best of repeats
};

template <class F>
double best_seconds(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

Row run_one(int n_side, int steps, int threads, int repeats, const std::string& work) {
  Row row;
  row.n_side = n_side;
  row.box = 2.0 * n_side;
  Settings s = Settings::defaults(cosmograd::driver::run_keys());
  const std::string dir = work + "/n" + std::to_string(n_side);
  s.set("particles", std::to_string(n_side));
  s.set("mesh", std::to_string(n_side));
  s.set("box_size", std::to_string(row.box));
  s.set("steps", std::to_string(steps));
  s.set("threads", std::to_string(threads));
  s.set("fft_planning", "estimate");
  s.set("write_density", "false");
  s.set("progress", "false");
  s.set("log_level", "warn");
  s.set("output_dir", dir);
  const auto t0 = std::chrono::steady_clock::now();
  cosmograd::driver::run_simulation(cosmograd::driver::run_config_from(s), s.to_ini("bench_fof"));
  row.pm_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const SnapshotData<float> snap =
      cosmograd::sim::read_snapshot<float>(dir + "/snapshot_z0p000.hdf5");
  std::filesystem::remove_all(dir);
  omp_set_num_threads(threads);
  const FofOptions options;
  HaloCatalog cat;
  row.fof_seconds = best_seconds(repeats, [&] { cat = cosmograd::sim::find_halos(snap, options); });
  const double link = options.linking_length * row.box / n_side;
  row.link_seconds = best_seconds(repeats, [&] {
    cosmograd::sim::fof_groups(snap.pos, snap.ids, row.box, link, options.min_members);
  });
  row.halos = cat.size();
  row.in_halos = cat.ids.size();
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/fof.md";
  std::vector<int> sizes{128, 256};
  int threads = 2, steps = 5, repeats = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--quick") {
      sizes = {64, 128};
      repeats = 1;
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: bench_fof [--quick] [--threads N] [--out FILE]\n";
      return 2;
    }
  }
  const std::string work =
      (std::filesystem::temp_directory_path() / "cosmograd_bench_fof").string();
  std::vector<Row> rows;
  for (int n : sizes) {
    rows.push_back(run_one(n, steps, threads, n >= 256 ? std::min(repeats, 2) : repeats, work));
    const Row& r = rows.back();
    std::printf("%d^3: %zu halos, find_halos %.3f s (%.3g particles/s), linking %.3f s\n", n,
                r.halos, r.fof_seconds, static_cast<double>(n) * n * n / r.fof_seconds,
                r.link_seconds);
  }
  std::ostringstream md;
  md << "# FoF halo finding (bench_fof)\n\n"
     << "Machine: " << cosmograd::sim::cpu_model() << ", " << std::thread::hardware_concurrency()
     << " hardware threads; OpenMP threads used: " << threads << ".\n\n"
     << "Input: evolved quickstart-like state from the PM engine (Planck 2015, 2LPT at a = 0.1, "
     << steps << " steps to z = 0, mesh = particles per side, box = 2 Mpc/h x particles per side), "
     << "read back from its snapshot. FoF b = 0.2, >= 20 members. Times are the best of " << repeats
     << " (2 at 256^3).\n\n"
     << "| particles | box [Mpc/h] | halos | particles in halos | find_halos [s] | "
        "particles/s (find_halos) | linking only [s] | particles/s (linking) |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const Row& r : rows) {
    const double n = static_cast<double>(r.n_side) * r.n_side * r.n_side;
    std::snprintf(line, sizeof line, "| %d^3 | %.0f | %zu | %zu | %.3f | %.3g | %.3f | %.3g |\n",
                  r.n_side, r.box, r.halos, r.in_halos, r.fof_seconds, n / r.fof_seconds,
                  r.link_seconds, n / r.link_seconds);
    md << line;
  }
  md << "\nfind_halos = cell list + linking + group ordering + halo properties (centre of mass, "
        "velocities, M200m/M200c by spherical overdensity); linking only = fof_groups.\n";
  cosmograd::sim::write_file_atomic(out, md.str());
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
