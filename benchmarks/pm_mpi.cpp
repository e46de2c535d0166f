// bench_pm_mpi: time per step of the distributed PM engine with 1 and 2 MPI ranks (1 thread
// each) against 1 rank x 2 threads, with a phase breakdown, strong-scaling efficiency and
// peak memory per rank; then the scaling arithmetic of the slab design at 1024^3 on 256
// ranks. Each configuration runs as its own `mpiexec` job of this executable (--child).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/child_process.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/core/machine.hpp"
#include "sim/core/memory.hpp"
#include "sim/core/timer.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/cosmo/time_grid.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/migrate.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/mpi/decomposition.hpp"
#include "sim/pm/cpu_backend.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::bench {
namespace {

constexpr double kMiB = 1048576.0;
constexpr double kAInit = 0.1;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

/// One configuration on the ranks of this job: float32, 2LPT at a = 0.1, `steps` KDK steps
/// to a = 1, mesh B = 2, box 2 N Mpc/h. Rank 0 prints the medians over `repeats` of the
/// slowest rank's per-step phases [s], peak RSS [MiB] and particles per rank.
void child(int n, int steps, int repeats, int threads) {
  using T = float;
  const sim::Comm comm = sim::Comm::world();
  sim::use_threads(threads);
  sim::SimSpec c;
  c.cosmology = sim::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.particles = n;
  c.mesh = 2 * n;
  c.box_size = 2.0 * n;
  c.a_init = kAInit;
  c.steps = steps;
  c.threads = threads;
  c.fft_planning = sim::FftPlanning::measure;
  const sim::Cosmology cosmology(c.cosmology);
  const auto linear = sim::make_linear_power<double>(c.transfer.name, cosmology);
  const std::vector<double> grid =
      sim::make_time_grid(kAInit, 1.0, steps, sim::StepSpacing::linear);
  const std::size_t total = static_cast<std::size_t>(n) * n * n;

  std::map<std::string, std::vector<double>> phase;
  sim::LoadBalance balance;
  for (int r = 0; r < repeats; ++r) {
    sim::Particles<T> particles;
    {
      const sim::Decomposition dp(n, comm);
      const sim::Fft<T> fft(dp, threads, c.fft_planning);
      const sim::Field<T> modes = sim::initial_modes<T>(c, *linear, fft, dp);
      particles = sim::lpt_particles(modes, c.box_size, c.lpt_order, cosmology, grid.front(), fft);
    }
    sim::Gravity<T> gravity(c.mesh, c.box_size, threads, c.fft_planning, sim::ForceOptions{}, comm);
    {
      std::vector<T> acc;  // untimed warm-up: first touch of the meshes, plans
      sim::migrate(particles, gravity.decomp());
      gravity.accelerations(particles, c.cosmology.Omega_m, total, acc);
    }
    gravity.reset_timings();
    const sim::StepSchedule schedule(cosmology, grid);
    comm.barrier();
    sim::Stopwatch sw;
    const sim::StepTimings timings = sim::evolve(particles, gravity, schedule, c.cosmology.Omega_m);
    const double evolve = sw.seconds();
    const sim::ForceTimings& f = gravity.timings();
    const std::map<std::string, double> local = {{"step", evolve},
                                                 {"paint", f.paint},
                                                 {"r2c", f.r2c},
                                                 {"kernels", f.kernels},
                                                 {"c2r", f.c2r},
                                                 {"readout", f.readout},
                                                 {"kick_drift", timings.kick_drift},
                                                 {"migrate", timings.migrate}};
    for (const auto& [key, seconds] : local) phase[key].push_back(comm.max(seconds) / steps);
    balance = sim::load_balance(particles.size(), comm);
  }
  const double rss = comm.max(static_cast<double>(sim::peak_rss_bytes()) / kMiB);
  if (comm.rank() != 0) return;
  std::printf("result ranks=%d threads=%d", comm.size(), threads);
  for (const auto& [key, values] : phase) std::printf(" %s=%.9g", key.c_str(), median(values));
  std::printf(" rss_mib=%.1f part_min=%.0f part_max=%.0f\n", rss, balance.min, balance.max);
  std::fflush(stdout);
}

/// The `mpiexec` command line running this executable's child with `ranks` x `threads`.
std::string mpi_command(int ranks, int threads, const std::string& args) {
  std::ostringstream cmd;
  cmd << "OMP_NUM_THREADS=" << threads << " " << COSMOGRAD_MPIEXEC << " -n " << ranks
      << " --oversubscribe --bind-to none" << (geteuid() == 0 ? " --allow-run-as-root" : "") << " "
      << self_path() << " --child " << args;
  return cmd.str();
}

/// The slab design's memory and communication per rank and step, in numbers, for an n^3
/// mesh with (n / B)^3 float32 particles on p ranks.
std::string scaling_notes(int n, int b, int p) {
  const double planes = std::ceil(static_cast<double>(n) / p);
  const double plane = static_cast<double>(n) * 2 * (n / 2 + 1) * 4;  // bytes, padded float
  const double slab = planes * plane;
  // CIC paints 2 planes above the slab; the fd4 stencil read out of the potential needs 2
  // more on each side.
  const double ghosts = std::min(6.0, n - planes) * plane;
  const double particles = std::pow(static_cast<double>(n) / b, 3) / p;
  // disp, mom, acc (float), id, the row sort (order, z cell, 3 float offsets)
  const double particle_bytes = 3 * 4 * 3 + 8 + 4 + 4 + 3 * 4;
  const double fields = slab + ghosts;  // density, then the potential
  // Per force: the r2c and 1 c2r each transpose once (Fourier space stays transposed, every
  // rank sends (p-1)/p of its slab); ghost planes are summed once after painting and filled
  // once for the potential before the readout; a drift moves few particles across slabs.
  const double fft_bytes = 2 * slab * (p - 1.0) / p;
  const double ghost_bytes = 2 * ghosts;
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << "## How the slab design scales: " << n << "^3 mesh, " << n / b << "^3 particles, " << p
    << " ranks\n\n"
    << "- Planes per rank: " << planes << " (FFTW-MPI block ceil(n / P)); one padded float "
    << "plane is " << plane / kMiB << " MiB, a slab " << slab / kMiB << " MiB.\n"
    << "- Memory per rank: one mesh (density, then potential) x (slab + 6 ghost planes: CIC's "
    << "2 above and the fd4 stencil's 2 each side, " << ghosts / kMiB << " MiB) = " << fields / kMiB
    << " MiB; " << particles / 1e6 << " M particles x " << particle_bytes
    << " B = " << particles * particle_bytes / kMiB << " MiB; the ICs' "
    << "particle-grid fields are freed before the run. About "
    << (fields + particles * particle_bytes) / kMiB << " MiB per rank in all, "
    << (fields + particles * particle_bytes) * p / (1024 * kMiB) << " GiB over the job.\n"
    << "- Communication per rank and force evaluation: FFT transposes (r2c + 1 c2r, one "
    << "all-to-all each: FFTW_MPI_TRANSPOSED_OUT / _IN) " << fft_bytes / kMiB << " MiB in "
    << 2 * (p - 1) << " messages; ghost planes " << ghost_bytes / kMiB
    << " MiB to the 2 neighbours (summed after the paint, filled for the readout); "
    << "particle migration after each drift (a particle moves < 1 plane per step; about "
    << "1/planes of the particles, " << particles / planes * 44 / kMiB << " MiB, at most). "
    << "The adjoint step doubles the force work and adds the same again for the vjp.\n"
    << "- Ghosts are a large share here: with " << planes << " planes per rank, the 6 ghost "
    << "planes outweigh the slab and their traffic is " << ghost_bytes / fft_bytes * 100
    << "% of the FFT's (TSC and PCS need one plane more).\n"
    << "- Where slabs stop: a slab is at least one plane, so P <= n (" << n << " ranks at " << n
    << "^3; ranks beyond that get empty slabs and no work). Well before that the "
    << "all-to-all with P - 1 small messages per transpose becomes latency-bound and ghosts "
    << "outweigh the slab. Beyond P ~ n / 4 the next step is a pencil decomposition "
    << "(P = P_x x P_y; 2D transposes as in PFFT or heFFTe, P up to n^2) with particles "
    << "following the x-y pencils and ghosts in two directions.\n";
  return s.str();
}

int parent(const std::string& out_path, bool quick) {
  const std::vector<int> sizes = quick ? std::vector<int>{32} : std::vector<int>{128, 256};
  const int steps = quick ? 3 : 5;
  const struct Layout { int ranks, threads; } layouts[] = {{1, 1}, {2, 1}, {1, 2}};
  std::ostringstream md;
  md << "# Distributed PM engine: time per step with MPI ranks and threads (bench_pm_mpi)\n\n"
     << "- Machine: " << sim::machine_summary() << "\n"
     << "- Run: float32, FFTW_MEASURE plans (FFTW-MPI for 2 ranks), CIC, mesh B = 2, box 2 N "
     << "Mpc/h, Planck 2015 with Eisenstein-Hu, 2LPT at a = 0.1, " << steps
     << " KDK steps to a = 1; one untimed warm-up force call.\n"
     << "- Each layout is one `mpiexec -n R` job with OMP_NUM_THREADS = T; a phase is the "
     << "slowest rank's time per step, the median over the repeats.\n"
     << "- Command: `build/benchmarks/bench_pm_mpi` (`--quick` for a 32^3 smoke run).\n\n"
     << "## Time per step [s]\n\n"
     << "| particles / mesh | ranks x threads | repeats | step | paint | r2c | kernels | c2r "
     << "| readout | kick + drift | migrate | peak RSS per rank [MiB] | particles per rank "
     << "(min / max) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream eff;
  eff << "\n## Strong scaling from 1 to 2 ranks (goal >= 80%)\n\n"
      << "| particles / mesh | 1 x 1 [s] | 2 x 1 [s] | efficiency T(1) / (2 T(2)) | 1 x 2 "
      << "threads [s] | 2 ranks vs 2 threads |\n|---|---|---|---|---|---|\n";
  for (int n : sizes) {
    const int repeats = n >= 256 ? 3 : 5;
    std::map<std::pair<int, int>, double> step;
    for (const Layout& l : layouts) {
      const auto r = run_child_command(mpi_command(l.ranks, l.threads,
                                                   std::to_string(n) + " " + std::to_string(steps) +
                                                       " " + std::to_string(repeats) + " " +
                                                       std::to_string(l.threads)));
      step[{l.ranks, l.threads}] = r.at("step");
      char row[512];
      std::snprintf(row, sizeof row,
                    "| %d^3 / %d^3 | %d x %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | "
                    "%.4f | %.4f | %.0f | %.0f / %.0f |\n",
                    n, 2 * n, l.ranks, l.threads, repeats, r.at("step"), r.at("paint"), r.at("r2c"),
                    r.at("kernels"), r.at("c2r"), r.at("readout"), r.at("kick_drift"),
                    r.at("migrate"), r.at("rss_mib"), r.at("part_min"), r.at("part_max"));
      md << row;
      std::cout << row << std::flush;
    }
    const double t1 = step[{1, 1}], t2 = step[{2, 1}], tt = step[{1, 2}];
    char row[256];
    std::snprintf(row, sizeof row, "| %d^3 / %d^3 | %.3f | %.3f | %.0f%% (%s) | %.3f | %.2fx |\n",
                  n, 2 * n, t1, t2, 100 * t1 / (2 * t2), t1 / (2 * t2) >= 0.8 ? "met" : "not met",
                  tt, tt / t2);
    eff << row;
  }
  md << eff.str() << "\n" << scaling_notes(1024, 2, 256);
  sim::write_file_atomic(out_path, md.str());
  std::cout << eff.str() << "wrote " << out_path << "\n";
  return 0;
}

}  // namespace
}  // namespace cosmograd::bench

int main(int argc, char** argv) {
  namespace cb = cosmograd::bench;
  namespace sim = cosmograd::sim;
  try {
    std::vector<std::string> a(argv + 1, argv + argc);
    if (!a.empty() && a[0] == "--child") {
      if (a.size() != 5) throw std::invalid_argument("bad --child arguments");
      sim::mpi_init(&argc, &argv);
      sim::set_log_level(sim::LogLevel::warn);
      cb::child(std::stoi(a[1]), std::stoi(a[2]), std::stoi(a[3]), std::stoi(a[4]));
      sim::mpi_finalize();
      return 0;
    }
    sim::set_log_level(sim::LogLevel::warn);
    std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/pm_mpi.md";
    bool quick = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == "--out" && i + 1 < a.size()) {
        out = a[++i];
      } else if (a[i] == "--quick") {
        quick = true;
      } else {
        std::cout << "usage: bench_pm_mpi [--out FILE] [--quick]\n";
        return a[i] == "--help" ? 0 : 2;
      }
    }
    return cb::parent(out, quick);
  } catch (const std::exception& e) {
    std::cerr << "bench_pm_mpi: " << e.what() << "\n";
    sim::Comm::world().abort(e.what());
  }
  return 1;
}
