// bench_pm_adjoint: cost and memory of the reverse-time adjoint against the forward run, and
// the float32/float64 reversal error of the trajectory (as pmwd's paper reports it, Li et al.
// 2022, §4). Each measurement runs in a fresh child process (this executable re-run with
// --child ...), so its peak RSS is its own.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
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
#include "sim/pm/adjoint.hpp"

namespace cosmograd::bench {
namespace {

constexpr double kMiB = 1048576.0;

/// A small config: Planck 2015, 2LPT at a = 0.1 to a = 1 in `steps` linear steps, box 2 N
/// Mpc/h, mesh B N.
sim::SimSpec config(int n, int b, int steps, int threads) {
  sim::SimSpec c;
  c.cosmology = sim::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.particles = n;
  c.mesh = b * n;
  c.box_size = 2.0 * n;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.threads = threads;
  c.fft_planning = sim::FftPlanning::measure;
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

/// Child "cost": forward and backward times (median of repeats) and peak memory.
template <class T>
void child_cost(int n, int steps, int repeats, int threads, sim::GradientMode mode) {
  sim::DifferentiableSim<T> sim(config(n, 2, steps, threads), mode, 10);
  const sim::Field<T> w = sim.white_noise();
  const std::size_t np = static_cast<std::size_t>(n) * n * n;
  const sim::StateCotangent<T> cot{std::vector<T>(3 * np, T(1e-3)),
                                   std::vector<T>(3 * np, T(1e-3))};
  std::vector<double> fwd, bwd;
  for (int r = 0; r < repeats; ++r) {
    sim::Stopwatch sw;
    sim.forward(w);
    fwd.push_back(sw.restart());
    sim.backward(cot);
    bwd.push_back(sw.seconds());
  }
  std::printf("result forward=%.6f backward=%.6f peak_mib=%.1f\n", median(fwd), median(bwd),
              sim::peak_rss_bytes() / kMiB);
}

/// Child "reversal": RMS error of the initial displacement and momentum recovered by the
/// reverse-time pass, relative to their RMS.
template <class T>
void child_reversal(int n, int b, int steps, int threads) {
  const sim::SimSpec c = config(n, b, steps, threads);
  sim::SimSpec c0 = c;
  c0.steps = 0;
  c0.z_out = {1.0 / c.a_init - 1.0};
  sim::DifferentiableSim<T> sim(c), ic(c0);
  const sim::Field<T> w = sim.white_noise();
  const sim::Particles<T> initial = ic.forward(w);
  sim.forward(w);
  const std::size_t m = 3 * initial.size();
  sim.backward({std::vector<T>(m, T(0)), std::vector<T>(m, T(0))});
  const sim::Particles<T>& back = sim.recovered_initial();
  double dx = 0, sx = 0, dp = 0, sp = 0;
  for (std::size_t i = 0; i < m; ++i) {
    dx += std::pow(double(back.disp[i]) - initial.disp[i], 2);
    sx += std::pow(double(initial.disp[i]), 2);
    dp += std::pow(double(back.mom[i]) - initial.mom[i], 2);
    sp += std::pow(double(initial.mom[i]), 2);
  }
  std::printf("result disp=%.3e mom=%.3e\n", std::sqrt(dx / sx), std::sqrt(dp / sp));
}

/// Runs this executable with `--child args` and returns its result's key=value pairs.
std::map<std::string, double> run_child(const std::string& args) {
  return run_child_command(self_path() + " --child " + args);
}

int parent(const std::string& out_path, int threads, bool quick) {
  std::ostringstream md;
  md << "# Reverse-time adjoint: cost, memory, reversal error\n\n"
     << "Machine: " << sim::machine_summary() << "; " << threads
     << " threads; float32; mesh B = 2; "
     << "box 2 N Mpc/h; 2LPT at a = 0.1 to a = 1; FFTW measure plans (wisdom cached).\n"
     << "Command: `build/benchmarks/bench_pm_adjoint`. Each row runs in its own process; "
     << "times are medians over the repeats.\n\n"
     << "## Gradient cost and memory (goals: backward / forward <= 2.5; peak memory at 100 "
     << "steps within 1.1x of 10 steps)\n\n"
     << "| particles / mesh | steps | repeats | forward [s] | backward [s] | backward / forward "
     << "| peak RSS [MiB] | vs 10 steps |\n|---|---|---|---|---|---|---|---|\n";
  const std::vector<int> sizes = quick ? std::vector<int>{32} : std::vector<int>{64, 128};
  for (int n : sizes) {
    double base_mem = 0;
    for (int steps : {10, 50, 100}) {
      const int repeats = n >= 128 && steps > 10 ? 1 : 3;
      const auto r = run_child("cost " + std::to_string(n) + " " + std::to_string(steps) + " " +
                               std::to_string(repeats) + " " + std::to_string(threads));
      if (steps == 10) base_mem = r.at("peak_mib");
      char row[256];
      std::snprintf(
          row, sizeof row, "| %d^3 / %d^3 | %d | %d | %.3f | %.3f | %.2f | %.0f | %.2fx |\n", n,
          2 * n, steps, repeats, r.at("forward"), r.at("backward"),
          r.at("backward") / r.at("forward"), r.at("peak_mib"), r.at("peak_mib") / base_mem);
      md << row;
      std::cout << row << std::flush;
    }
  }
  md << "\n## Reversal error (pmwd, Li et al. 2022, Fig. 5 style)\n\n"
     << "RMS of (initial state recovered by running the steps backwards - true initial state) "
     << "divided by the RMS of the initial state. pmwd measured 1.4e-3 (1x mesh, float32, 63 "
     << "steps), 5e-2 / 7e-2 (2x mesh), ~1e-11 in float64.\n\n"
     << "| precision | mesh | steps | displacement | momentum |\n|---|---|---|---|---|\n";
  const int n = quick ? 16 : 64;
  for (const char* precision : {"float", "double"}) {
    for (int b : {1, 2}) {
      for (int steps : {10, 63}) {
        const auto r = run_child("reversal " + std::string(precision) + " " + std::to_string(n) +
                                 " " + std::to_string(b) + " " + std::to_string(steps) + " " +
                                 std::to_string(threads));
        char row[256];
        std::snprintf(row, sizeof row, "| %s | %d^3 particles, %dx | %d | %.2e | %.2e |\n",
                      precision, n, b, steps, r.at("disp"), r.at("mom"));
        md << row;
        std::cout << row << std::flush;
      }
    }
  }
  sim::write_file_atomic(out_path, md.str());
  std::cout << "wrote " << out_path << "\n";
  return 0;
}

}  // namespace
}  // namespace cosmograd::bench

int main(int argc, char** argv) {
  namespace cb = cosmograd::bench;
  namespace sim = cosmograd::sim;
  try {
    sim::set_log_level(sim::LogLevel::warn);
    std::vector<std::string> a(argv + 1, argv + argc);
    if (!a.empty() && a[0] == "--child") {
      if (a.size() == 6 && a[1] == "cost") {
        cb::child_cost<float>(std::stoi(a[2]), std::stoi(a[3]), std::stoi(a[4]), std::stoi(a[5]),
                              sim::GradientMode::adjoint);
        return 0;
      }
      if (a.size() == 7 && a[1] == "reversal") {
        if (a[2] == "float") {
          cb::child_reversal<float>(std::stoi(a[3]), std::stoi(a[4]), std::stoi(a[5]),
                                    std::stoi(a[6]));
        } else {
          cb::child_reversal<double>(std::stoi(a[3]), std::stoi(a[4]), std::stoi(a[5]),
                                     std::stoi(a[6]));
        }
        return 0;
      }
      throw std::invalid_argument("bad --child arguments");
    }
    std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/pm_adjoint.md";
    int threads = 2;
    bool quick = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == "--out" && i + 1 < a.size()) {
        out = a[++i];
      } else if (a[i] == "--threads" && i + 1 < a.size()) {
        threads = std::stoi(a[++i]);
      } else if (a[i] == "--quick") {
        quick = true;
      } else {
        std::cout << "usage: bench_pm_adjoint [--out FILE] [--threads T] [--quick]\n";
        return a[i] == "--help" ? 0 : 2;
      }
    }
    return cb::parent(out, threads, quick);
  } catch (const std::exception& e) {
    std::cerr << "bench_pm_adjoint: " << e.what() << "\n";
    return 1;
  }
}
