// bench_bridge: the cost of the torch bridge's simulate op over bare engine calls. At 32^3
// particles / 64^3 mesh (float32, 10 steps, 2 threads), 20 calls of
//   bare:      one sim::DifferentiableSim, forward (and backward) 20 times;
//   module:    one nn::Simulator (reusable engine), forward (and .backward()) 20 times;
//   per-call:  nn::simulate_particles, which builds a new engine every call;
// each batch of 20 repeated `--repeats` times, the median reported. The goal: module / bare
// <= 1.1. Prints a markdown table and writes it atomically to benchmarks/results/bridge.md.
//
//   bench_bridge [--threads 2] [--calls 20] [--repeats 5] [--out PATH]
#include "nn/bridge.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"
#include "sim/pm/adjoint.hpp"

namespace {

namespace cs = cosmograd::sim;
namespace cn = cosmograd::nn;

struct Options {
  int threads = 2;
  int calls = 20;
  int repeats = 5;
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/bridge.md";
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: bench_bridge [--threads T] [--calls N] [--repeats R] [--out PATH]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--threads") {
      o.threads = std::stoi(v);
    } else if (a == "--calls") {
      o.calls = std::stoi(v);
    } else if (a == "--repeats") {
      o.repeats = std::stoi(v);
    } else if (a == "--out") {
      o.out = v;
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.threads < 1 || o.calls < 1 || o.repeats < 3) {
    throw std::invalid_argument("need --threads >= 1, --calls >= 1, --repeats >= 3");
  }
  return o;
}

cs::SimSpec config(int threads) {
  cs::SimSpec c;
  c.cosmology = cs::planck2015();
  c.transfer = {"eisenstein_hu", ""};
  c.particles = 32;
  c.mesh = 64;
  c.box_size = 128;
  c.a_init = 0.1;
  c.steps = 10;
  c.z_out = {0.0};
  c.threads = threads;
  return c;
}

/// Median over `repeats` of the seconds `batch` takes.
double median_seconds(int repeats, const std::function<void()>& batch) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    batch();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  torch::set_num_threads(o.threads);
  const cs::SimSpec c = config(o.threads);
  const std::size_t np3 = 3 * static_cast<std::size_t>(c.particles) * c.particles * c.particles;

  cs::DifferentiableSim<float> bare(c);
  const cs::Field<float> w = bare.white_noise();
  const cs::StateCotangent<float> cot{std::vector<float>(np3, 1e-3f),
                                      std::vector<float>(np3, 1e-3f)};
  cn::Simulator module(c);
  const torch::Tensor noise = cn::field_to_tensor(w);
  torch::Tensor params =
      torch::tensor({c.cosmology.Omega_m, c.cosmology.Omega_b, c.cosmology.h, c.cosmology.n_s,
                     c.cosmology.sigma8, c.cosmology.w0, c.cosmology.wa},
                    torch::kFloat64);
  const torch::Tensor noise_g = noise.clone().requires_grad_(true);
  const torch::Tensor params_g = params.clone().requires_grad_(true);
  const torch::Tensor weights = torch::full({static_cast<std::int64_t>(np3 / 3), 6}, 1e-3f);

  // Warm-up: plans (wisdom), first touch.
  bare.forward(w);
  module->forward(noise, params);

  std::fprintf(stderr, "bench_bridge: forward ...\n");
  const double t_bare_f = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i) bare.forward(w);
  });
  const double t_mod_f = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i) module->forward(noise_g, params_g);
  });
  const double t_per_f = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i) cn::simulate_particles(c, noise_g, params_g);
  });
  std::fprintf(stderr, "bench_bridge: forward + backward ...\n");
  const double t_bare_b = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i) {
      bare.forward(w);
      bare.backward(cot);
    }
  });
  const double t_mod_b = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i)
      (module->forward(noise_g, params_g) * weights).sum().backward();
  });
  const double t_per_b = median_seconds(o.repeats, [&] {
    for (int i = 0; i < o.calls; ++i) {
      (cn::simulate_particles(c, noise_g, params_g) * weights).sum().backward();
    }
  });

  std::ostringstream md;
  char buf[320];
  md << "# Torch bridge overhead\n\n"
     << "Machine: " << cs::machine_summary() << "; LibTorch " << TORCH_VERSION << ", " << o.threads
     << " threads.\n\n"
     << "Case: " << c.particles << "^3 particles, " << c.mesh << "^3 mesh, L = " << c.box_size
     << " Mpc/h, " << c.steps << " steps from a = " << c.a_init
     << ", float32, 2LPT, CIC. Each cell: " << o.calls << " calls, median of " << o.repeats
     << " repeats [s]. bare = one sim::DifferentiableSim; module = one nn::Simulator "
        "(reusable engine; autograd on noise and parameters); per-call = "
        "nn::simulate_particles (a new engine per call).\n\n"
     << "| calls | bare [s] | module [s] | module / bare | per-call [s] | per-call / bare |\n"
     << "|---|---:|---:|---:|---:|---:|\n";
  std::snprintf(buf, sizeof buf, "| %d x forward | %.3f | %.3f | %.3f | %.3f | %.2f |\n", o.calls,
                t_bare_f, t_mod_f, t_mod_f / t_bare_f, t_per_f, t_per_f / t_bare_f);
  md << buf;
  std::snprintf(buf, sizeof buf,
                "| %d x (forward + backward) | %.3f | %.3f | %.3f | %.3f | %.2f |\n", o.calls,
                t_bare_b, t_mod_b, t_mod_b / t_bare_b, t_per_b, t_per_b / t_bare_b);
  md << buf;
  md << "\nGoal: module / bare <= 1.1 (issue: a reusable engine in the bridge). Reproduce: "
        "`build/benchmarks/bench_bridge`.\n";
  std::cout << md.str();
  cs::write_file_atomic(o.out, md.str());
  std::cout << "\nwrote " << o.out << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_bridge: " << e.what() << "\n";
  return 1;
}
