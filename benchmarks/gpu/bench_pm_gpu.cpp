// bench_pm_gpu: per-step forward cost with a kernel breakdown and the gradient cost of the CUDA
// PM engine (sim/pm/cuda/cuda_sim.hpp) at 128^3, 256^3 and 512^3 particles with mesh 1x and 2x,
// and the 63-step run at 512^3 particles on a 1024^3 mesh (float, 2LPT, CIC, fd4; FastPM KDK,
// Feng et al. 2016; reverse-time adjoint, Li et al. 2022). Times are CUDA-event device times:
// one warm-up run, then the median of --repeats runs. Per-step costs subtract the LPT (and
// LPT-vjp) share measured in a separate run with per-phase events. Prints one markdown table
// and writes it to --out when given.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/cuda_device.hpp"
#include "sim/core/machine.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/pm/cuda/cuda_sim.hpp"
#include "sim/pm/cuda/device_memory.hpp"
#include "sim/pm/cuda/kernels.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cs = cosmograd::sim;
namespace cc = cosmograd::sim::cuda;

namespace {

/// Command-line options.
struct Options {
  std::vector<int> sizes{128, 256, 512};  // particles per side
  int steps = 5;                          // steps of the timed runs
  int repeats = 5;                        // timed runs (median)
  int long_steps = 63;                    // steps of the long run
  int long_particles = 512;
  int long_mesh = 1024;
  std::string out;  // markdown file ("" = stdout only)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help") {
      std::cout << "bench_pm_gpu [--sizes 128,256,512] [--steps 5] [--repeats 5] "
                   "[--long-steps 63] [--long 512,1024] [--out FILE]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("option '" + a + "' needs a value");
    const std::string v = argv[++i];
    auto ints = [&v]() {
      std::vector<int> r;
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) r.push_back(std::stoi(item));
      return r;
    };
    if (a == "--sizes") {
      o.sizes = ints();
    } else if (a == "--steps") {
      o.steps = std::stoi(v);
    } else if (a == "--repeats") {
      o.repeats = std::stoi(v);
    } else if (a == "--long-steps") {
      o.long_steps = std::stoi(v);
    } else if (a == "--long") {
      const std::vector<int> r = ints();
      if (r.size() != 2) throw std::invalid_argument("--long needs PARTICLES,MESH");
      o.long_particles = r[0];
      o.long_mesh = r[1];
    } else if (a == "--out") {
      o.out = v;
    } else {
      throw std::invalid_argument("option '" + a + "' is unknown (see --help)");
    }
  }
  if (o.steps < 1 || o.repeats < 1) throw std::invalid_argument("--steps, --repeats must be >= 1");
  return o;
}

cs::SimSpec config(int n, int mesh, int steps) {
  cs::SimSpec c;
  c.cosmology = cs::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.box_size = 2.0 * n;
  c.particles = n;
  c.mesh = mesh;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.device = cs::Device::cuda;
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// Device bytes a float run of n^3 particles on a mesh^3 mesh needs (with the gradient), with
/// a cuFFT work area of one mesh.
double bytes_needed(int n, int mesh) {
  const double np3 = 3.0 * n * n * n;
  return 4.0 * (6 * np3 + 4 * static_cast<double>(cc::padded_size(mesh)) +
                8 * static_cast<double>(cc::padded_size(n)));
}

std::string fmt(double x, int decimals = 2) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, x);
  return b;
}

const char* const kPhases[] = {"paint", "r2c", "force kernels", "c2r", "readout", "kick/drift"};

/// One table row for n^3 particles on a mesh^3 mesh.
std::string measure(int n, int mesh, const Options& o) {
  const std::string head = "| " + std::to_string(n) + "^3 | " + std::to_string(mesh) + "^3 | ";
  const double need = bytes_needed(n, mesh);
  const double free_bytes = static_cast<double>(cc::device_memory_info().first);
  if (need > 0.9 * free_bytes) {
    return head + "skipped: needs about " + fmt(need / 1073741824.0, 1) + " GiB of " +
           fmt(free_bytes / 1073741824.0, 1) + " GiB free |\n";
  }
  std::fprintf(stderr, "bench_pm_gpu: %d^3 particles, %d^3 mesh\n", n, mesh);
  cc::CudaSim<float> sim(config(n, mesh, o.steps));
  const std::size_t np3 = 3 * static_cast<std::size_t>(n) * n * n;
  const cs::StateCotangent<float> cot{std::vector<float>(np3, 1e-3f),
                                      std::vector<float>(np3, 1e-3f)};
  cc::EventTimer timer;
  // Warm-up (plans, first touch), then one run with per-phase events for the breakdown.
  sim.forward_white_noise();
  sim.set_final_cotangent(cot);
  sim.backward_on_device();
  sim.enable_timings(true);
  sim.reset_timings();
  sim.forward_white_noise();
  const cc::KernelTimings fwd = sim.timings();
  sim.reset_timings();
  sim.set_final_cotangent(cot);
  sim.backward_on_device();
  const cc::KernelTimings bwd = sim.timings();
  sim.enable_timings(false);
  std::vector<double> f_ms, b_ms;
  for (int r = 0; r < o.repeats; ++r) {
    timer.start();
    sim.forward_white_noise();
    f_ms.push_back(timer.stop());
    sim.set_final_cotangent(cot);  // the upload is not timed
    timer.start();
    sim.backward_on_device();
    b_ms.push_back(timer.stop());
  }
  const double f_step = (median(f_ms) - fwd.at("lpt")) / o.steps;
  const double b_step = (median(b_ms) - bwd.at("lpt vjp")) / o.steps;
  std::string row = head + fmt(f_step) + " | ";
  for (const char* p : kPhases) row += fmt(fwd.at(p) / o.steps) + " | ";
  row += fmt(fwd.at("lpt")) + " | " + fmt(b_step) + " | " + fmt(b_step / f_step) + " | " +
         fmt(static_cast<double>(sim.device_bytes()) / 1048576.0, 0) + " |\n";
  return row;
}

/// The long forward run: total and per step [ms].
std::string long_run(const Options& o) {
  const int n = o.long_particles, mesh = o.long_mesh;
  const double np3 = 3.0 * n * n * n;
  const double need = 4.0 * (3 * np3 + 5 * static_cast<double>(cc::padded_size(mesh)) +
                             6 * static_cast<double>(cc::padded_size(n)));
  const double free_bytes = static_cast<double>(cc::device_memory_info().first);
  const std::string what = std::to_string(o.long_steps) + "-step forward run, " +
                           std::to_string(n) + "^3 particles, " + std::to_string(mesh) + "^3 mesh";
  if (need > 0.95 * free_bytes) {
    return "- " + what + ": skipped (needs about " + fmt(need / 1073741824.0, 1) + " GiB, " +
           fmt(free_bytes / 1073741824.0, 1) + " GiB free)\n";
  }
  std::fprintf(stderr, "bench_pm_gpu: %s\n", what.c_str());
  cs::SimSpec c = config(n, mesh, o.long_steps);
  c.a_list.clear();
  cc::CudaSim<float> warm(config(n, mesh, 1));
  warm.forward_white_noise();  // plans and first touch
  cc::CudaSim<float> sim(c);
  cc::EventTimer timer;
  timer.start();
  sim.forward_white_noise();
  const double ms = timer.stop();
  return "- " + what + " (ICs included): " + fmt(ms / 1000.0, 2) + " s, " +
         fmt(ms / o.long_steps, 1) + " ms/step\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    if (cc::device_count() == 0) {
      std::printf("bench_pm_gpu: SKIPPED: no CUDA device\n");
      return 77;
    }
    std::string md = "# CUDA PM engine (float)\n\n";
    md += "Device: " + cc::device_name(0) + "; host: " + cs::machine_summary() + "\n\n";
    md += "2LPT ICs at a = 0.1, CIC, fd4 gradient, box 2N Mpc/h, " + std::to_string(o.steps) +
          " steps, median of " + std::to_string(o.repeats) +
          " runs after a warm-up (CUDA events). Forward and gradient per step exclude the LPT "
          "and LPT-vjp; kernel columns are per step [ms] from one run with per-phase events.\n\n";
    md +=
        "| particles | mesh | forward ms/step | paint | r2c | force kernels | c2r (3) | readout "
        "| kick/drift | LPT ms | gradient ms/step | gradient/forward | device MiB |\n";
    md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (int n : o.sizes) {
      for (int b : {1, 2}) {
        md += measure(n, b * n, o);
        cc::release_fft_plans();
      }
    }
    md += "\n" + long_run(o);
    md +=
        "\nGoals (issue 7): <= 25 ms/step at 512^3 particles on a 512^3 mesh; gradient <= 2.5x "
        "the forward.\n";
    std::cout << md << std::flush;
    if (!o.out.empty()) {
      cs::AtomicWrite w(o.out);
      std::ofstream f(w.temp_path());
      f << md;
      f.close();
      w.commit();
      std::fprintf(stderr, "bench_pm_gpu: wrote %s\n", o.out.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pm_gpu: %s\n", e.what());
    return 1;
  }
}
