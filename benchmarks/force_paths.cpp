// The PM force with fd4 in real space (one c2r to the potential, FastPM's stencil: 2 FFTs per
// force, 2 per vjp) against the Fourier-space path (one c2r per component: 4 and 4), float
// and double, 2LPT particles at a = 1 (clustered), mesh B = 2. Median of --repeats calls of
// accelerations() and of accelerations_vjp() each; writes benchmarks/results/force_paths.md.
//   build/benchmarks/bench_force_paths [--sizes 64,128] [--repeats 5] [--threads 2] [--out F]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/machine.hpp"
#include "sim/core/timer.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"

namespace sim = cosmograd::sim;

namespace {

/// Median wall time of `repeats` calls of f [s].
double median_seconds(int repeats, const std::function<void()>& f) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    sim::Stopwatch sw;
    f();
    t.push_back(sw.seconds());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// One table row: force and vjp per path, and the largest relative difference of the two.
struct Row {
  int n;
  const char* precision;
  double force_fourier, force_real, vjp_fourier, vjp_real, max_rel_diff;
};

template <class T>
Row measure(int n, int repeats, int threads) {
  sim::SimSpec c;
  c.particles = n;
  c.mesh = 2 * n;
  c.box_size = 2.0 * n;
  c.threads = threads;
  c.fft_planning = sim::FftPlanning::measure;
  const sim::Cosmology cosmology(c.cosmology);
  const auto linear = sim::make_linear_power<double>(c.transfer.name, cosmology);
  const sim::Fft<T> fft(sim::Decomposition(n), threads, c.fft_planning);
  const sim::Field<T> modes = sim::initial_modes<T>(c, *linear, fft, sim::Decomposition(n));
  const sim::Particles<T> p = sim::lpt_particles(modes, c.box_size, 2, cosmology, 1.0, fft);
  const std::size_t total = p.size();
  const double om = c.cosmology.Omega_m;
  std::vector<T> cot(3 * total, T(1e-3)), grad(3 * total);
  Row row{n, sizeof(T) == 4 ? "float" : "double", 0, 0, 0, 0, 0};
  std::vector<T> acc[2];
  for (int path = 0; path < 2; ++path) {
    sim::ForceOptions o;
    o.fd4_path = path == 0 ? sim::Fd4Path::fourier : sim::Fd4Path::real_space;
    sim::Gravity<T> g(c.mesh, c.box_size, threads, c.fft_planning, o);
    g.accelerations(p, om, total, acc[path]);  // warm-up: first touch, plans
    const double tf = median_seconds(repeats, [&] { g.accelerations(p, om, total, acc[path]); });
    const double tv = median_seconds(repeats, [&] {
      std::fill(grad.begin(), grad.end(), T(0));
      g.accelerations_vjp(p, om, total, cot, grad);
    });
    (path == 0 ? row.force_fourier : row.force_real) = tf;
    (path == 0 ? row.vjp_fourier : row.vjp_real) = tv;
  }
  double scale = 0;
  for (T a : acc[0]) scale = std::max(scale, std::abs(static_cast<double>(a)));
  for (std::size_t i = 0; i < acc[0].size(); ++i) {
    row.max_rel_diff =
        std::max(row.max_rel_diff, std::abs(static_cast<double>(acc[1][i]) - acc[0][i]) / scale);
  }
  std::fprintf(stderr, "  %d^3 %s: force %.4f -> %.4f s, vjp %.4f -> %.4f s\n", n, row.precision,
               row.force_fourier, row.force_real, row.vjp_fourier, row.vjp_real);
  return row;
}

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> v;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const int n = std::atoi(item.c_str());
    if (n < 8 || n % 2 != 0) throw std::invalid_argument("--sizes: '" + item + "' (even >= 8)");
    v.push_back(n);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes{64, 128};
  int repeats = 5, threads = 2;
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/force_paths.md";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help") {
      std::printf("bench_force_paths [--sizes 64,128] [--repeats 5] [--threads 2] [--out F]\n");
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--sizes")
      sizes = parse_sizes(v);
    else if (a == "--repeats")
      repeats = std::max(1, std::atoi(v.c_str()));
    else if (a == "--threads")
      threads = std::max(1, std::atoi(v.c_str()));
    else if (a == "--out")
      out = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  sim::use_threads(threads);
  std::vector<Row> rows;
  for (int n : sizes) {
    rows.push_back(measure<float>(n, repeats, threads));
    rows.push_back(measure<double>(n, repeats, threads));
  }
  std::ostringstream md;
  md << "# PM force: fd4 in real space vs in Fourier space\n\n"
     << "Machine: " << sim::machine_summary() << "; " << threads << " threads; median of "
     << repeats
     << " calls; 2LPT particles at a = 1 (Planck 2015, box 2N Mpc/h), CIC, mesh "
        "2N; FFTW_MEASURE plans.\n\n"
     << "Command: `build/benchmarks/bench_force_paths --sizes ";
  for (std::size_t i = 0; i < sizes.size(); ++i) md << (i ? "," : "") << sizes[i];
  md << " --repeats " << repeats << " --threads " << threads << "`\n\n"
     << "| particles | mesh | precision | force, Fourier [s] | force, real space [s] | ratio | "
        "vjp, Fourier [s] | vjp, real space [s] | ratio | max |diff| / max |acc| |\n"
     << "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    char line[400];
    std::snprintf(line, sizeof line,
                  "| %d^3 | %d^3 | %s | %.4f | %.4f | %.2f | %.4f | %.4f | %.2f | %.1e |\n", r.n,
                  2 * r.n, r.precision, r.force_fourier, r.force_real,
                  r.force_real / r.force_fourier, r.vjp_fourier, r.vjp_real,
                  r.vjp_real / r.vjp_fourier, r.max_rel_diff);
    md << line;
  }
  md << "\nThe real-space path (the stencil read out of the potential, "
        "sim/mesh/fd4_readout.hpp) is the default in both precisions (`Fd4Path::automatic`).\n";
  std::printf("%s", md.str().c_str());
  sim::write_file_atomic(out, md.str());
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}
