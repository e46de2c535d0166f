// Benchmark: what the on-the-fly lightcone (sim/sky/lightcone.hpp: crossings, HEALPix and flat
// shells, Born convergence, shear, C_ell, files) adds to a `cosmograd run`.
//
// Runs through driver::run_simulation, each configuration with and without `lightcone`, the
// median of `repeats` wall times: (1) the quickstart (128^3, 256 Mpc/h, 256^3 mesh, 10 steps)
// with a full-sky lightcone to z_max = 0.3 (nside 256): the cost per crossing at the
// quickstart's size, and the projection to z_max = 1.5 from the number of crossings there;
// (2) 128^3 in 1024 Mpc/h (256^3 mesh, 20 steps) to z_max = 1 with nside 256 and a 10 deg flat
// field: the run whose convergence C_ell is compared with Limber (its Mollweide picture of kappa
// and C_ell plot are copied next to the table). Writes benchmarks/results/lightcone.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "driver/simulation.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"
#include "sim/cosmo/cosmology.hpp"

namespace {

using cosmograd::sim::Settings;

struct Config {
  std::string name;
  int particles, mesh, steps;
  double box, z_max;
  double field_deg;
};

struct Row {
  Config c;
  double base_seconds = 0;      // median wall time without the lightcone
  double with_seconds = 0;      // median wall time with it
  double crossing_seconds = 0;  // median time in the crossings (during the steps)
  std::int64_t crossings = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Settings settings(const Config& c, bool lightcone, int threads, const std::string& dir) {
  Settings s = Settings::defaults(cosmograd::driver::run_keys());
  s.set("particles", std::to_string(c.particles));
  s.set("mesh", std::to_string(c.mesh));
  s.set("box_size", std::to_string(c.box));
  s.set("steps", std::to_string(c.steps));
  s.set("threads", std::to_string(threads));
  s.set("write_snapshot", "false");
  s.set("write_density", "false");
  s.set("progress", "false");
  s.set("overwrite", "true");
  s.set("output_dir", dir);
  s.set("lightcone", lightcone ? "true" : "false");
  s.set("lightcone_z_max", std::to_string(c.z_max));
  s.set("lightcone_nside", "256");
  s.set("lightcone_field_deg", std::to_string(c.field_deg));
  s.set("source_z", c.z_max >= 1.0 ? "1.0" : "0.3");
  return s;
}

Row run(const Config& c, int threads, int repeats, const std::string& work) {
  Row row;
  row.c = c;
  std::vector<double> base, with, cross;
  for (int r = 0; r < repeats; ++r) {
    for (bool lc : {false, true}) {
      const std::string dir = work + "/" + c.name + (lc ? "_lc" : "_base");
      const Settings s = settings(c, lc, threads, dir);
      const auto t0 = std::chrono::steady_clock::now();
      const cosmograd::driver::RunSummary sum = cosmograd::driver::run_simulation(
          cosmograd::driver::run_config_from(s), s.to_ini("bench_lightcone"));
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      (lc ? with : base).push_back(t);
      if (lc) {
        cross.push_back(sum.lightcone_seconds);
        row.crossings = sum.lightcone_crossings;
      }
      std::printf("%s %s: %.2f s\n", c.name.c_str(), lc ? "with lightcone" : "base", t);
    }
  }
  row.base_seconds = median(base);
  row.with_seconds = median(with);
  row.crossing_seconds = median(cross);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string results = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results";
  std::string out = results + "/lightcone.md";
  int threads = 2, repeats = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::stoi(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: bench_lightcone [--repeats N] [--threads N] [--out FILE]\n";
      return 2;
    }
  }
  const std::string work =
      (std::filesystem::temp_directory_path() / "cosmograd_bench_lightcone").string();
  const std::vector<Config> configs{{"quickstart", 128, 256, 10, 256.0, 0.3, 0.0},
                                    {"large_box", 128, 256, 20, 1024.0, 1.0, 10.0}};
  std::vector<Row> rows;
  for (const Config& c : configs) rows.push_back(run(c, threads, repeats, work));

  // Crossings of a full-sky lightcone to z_max = 1.5 at the quickstart's density: the particles
  // of the box replicas inside the sphere of radius chi(1.5).
  const cosmograd::sim::Cosmology planck(cosmograd::sim::planck2015());
  const double chi15 = planck.chi(1.0 / 2.5);
  const double nbar = std::pow(128.0 / 256.0, 3);
  const double crossings15 = nbar * 4.0 / 3.0 * M_PI * chi15 * chi15 * chi15;
  const Row& q = rows.front();
  const double per_crossing = q.crossing_seconds / static_cast<double>(q.crossings);

  std::ostringstream md;
  md << "# On-the-fly lightcone (bench_lightcone)\n\n"
     << "No learned model is involved: the runs without the lightcone are the baseline.\n\n"
     << "Machine: " << cosmograd::sim::cpu_model() << ", " << std::thread::hardware_concurrency()
     << " hardware threads; OpenMP threads used: " << threads << ". Median of " << repeats
     << " runs of `cosmograd run` (through driver::run_simulation; float, no snapshot or density "
        "files) with and without the lightcone (full-sky HEALPix shells of 100 Mpc/h at nside "
        "256, Born convergence and spin-2 shear, C_ell, FITS and PNG files).\n\n"
     << "| run | particles | box [Mpc/h] | steps | z_max | flat field | crossings | "
        "run without [s] | run with [s] | added | in crossings [s] | ns per crossing |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  char line[512];
  for (const Row& r : rows) {
    std::snprintf(line, sizeof line,
                  "| %s | %d^3 | %.0f | %d | %.1f | %s | %.3g | %.2f | %.2f | %+.0f%% | %.2f | "
                  "%.0f |\n",
                  r.c.name.c_str(), r.c.particles, r.c.box, r.c.steps, r.c.z_max,
                  r.c.field_deg > 0
                      ? (std::to_string(static_cast<int>(r.c.field_deg)) + " deg").c_str()
                      : "none",
                  static_cast<double>(r.crossings), r.base_seconds, r.with_seconds,
                  100.0 * (r.with_seconds / r.base_seconds - 1.0), r.crossing_seconds,
                  1e9 * r.crossing_seconds / static_cast<double>(r.crossings));
    md << line;
  }
  std::snprintf(line, sizeof line,
                "\nThe issue's configuration, the quickstart's 256 Mpc/h box replicated to z_max = "
                "1.5 (chi = %.0f Mpc/h), holds %.3g particle crossings (%.0f box volumes of 128^3 "
                "particles): at the measured %.0f ns per crossing that is %.0f s of crossings "
                "against the quickstart's %.1f s, far above the goal of +30%%. ",
                chi15, crossings15, crossings15 / (128.0 * 128 * 128), 1e9 * per_crossing,
                crossings15 * per_crossing, q.base_seconds);
  md << line
     << "The cost is per crossing (a Newton solve along the drift, a HEALPix pixel, an atomic "
        "count: about 150 ns of one core), so it grows with the lightcone's volume in box volumes: "
        "the large_box row's 1e8 crossings (47 box volumes to z = 1) still add about twice the "
        "steps' time. The goal is not met by this design at either size; what would meet it "
        "is fewer deposits (crossings of a coarser particle subset or of mesh cells for the "
        "distant shells, where a pixel holds thousands of particles), not a faster solve.\n";
  // The large box's pictures (the C_ell comparison of tests/integration).
  const std::string lc_dir = work + "/large_box_lc";
  for (const auto& [from, to] :
       {std::pair{"/lightcone_kappa_plane_z1_healpix.png", "/lightcone_kappa_mollweide.png"},
        std::pair{"/lightcone_kappa_plane_z1_cl.png", "/lightcone_kappa_cl.png"},
        std::pair{"/lightcone_kappa_plane_z1_healpix_cl.txt", "/lightcone_kappa_healpix_cl.txt"}}) {
    std::filesystem::copy_file(lc_dir + from, results + to,
                               std::filesystem::copy_options::overwrite_existing);
  }
  md << "\nlarge_box, source plane at z = 1: Mollweide picture of kappa "
        "(`lightcone_kappa_mollweide.png`), its C_ell against the Limber prediction "
        "(`lightcone_kappa_cl.png`, table `lightcone_kappa_healpix_cl.txt`).\n\n"
        "![kappa](lightcone_kappa_mollweide.png)\n\n![C_ell](lightcone_kappa_cl.png)\n";
  cosmograd::sim::write_file_atomic(out, md.str());
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
