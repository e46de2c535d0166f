#include "sim/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "sim/adjoint.hpp"
#include "sim/atomic_file.hpp"
#include "sim/backend.hpp"
#include "sim/field_io.hpp"
#include "sim/log.hpp"
#include "sim/lpt.hpp"
#include "sim/memory.hpp"
#include "sim/migrate.hpp"
#include "sim/outputs.hpp"
#include "sim/progress.hpp"
#include "sim/stepping.hpp"
#include "sim/timer.hpp"
#include "sim/white_noise.hpp"

namespace cosmograd::sim {
namespace {

/// `cosmograd run` with device = cuda: noise, ICs and steps on the GPU (DifferentiableSim's
/// device engine, one rank); outputs from the host copy of the final particles.
template <class T>
RunSummary run_on_device(const SimConfig& c, const LinearPower& linear, int threads,
                         const Comm& comm) {
  if (c.z_out.size() != 1) {
    throw std::invalid_argument("z_out has " + std::to_string(c.z_out.size()) +
                                " redshifts, but device = 'cuda' writes outputs at one for now "
                                "(allowed: one redshift, or device = cpu)");
  }
  RunSummary summary;
  Stopwatch sw;
  DifferentiableSim<T> sim(c, GradientMode::adjoint, 1, comm);  // one rank only
  summary.planning_seconds = sw.restart();
  const Particles<T>& p = sim.forward(sim.white_noise());
  summary.evolve_seconds = sw.restart();  // ICs included
  Gravity<T> gravity(c.mesh, c.box_size, threads, c.fft_planning,
                     ForceOptions{c.painter, c.gradient, c.force_deconvolve}, comm);
  summary.files = write_outputs(c, linear, p, 1.0 / (1.0 + c.z_out.front()), gravity, threads);
  summary.output_seconds = sw.seconds();
  summary.steps = static_cast<int>(sim.time_grid().size()) - 1;
  summary.peak_rss_bytes = peak_rss_bytes();
  log_info("evolved ", summary.steps, " steps on cuda in ", summary.evolve_seconds,
           " s (initial conditions included), outputs ", summary.output_seconds, " s");
  return summary;
}

template <class T>
RunSummary run(const SimConfig& c, const std::string& settings_ini, const Comm& comm) {
  RunSummary summary;
  const int threads = use_threads(c.threads);
  if (comm.rank() == 0) {
    std::filesystem::create_directories(c.output_dir);
    write_file_atomic(c.output_dir + "/config.ini", settings_ini);
  }
  comm.barrier();

  const Cosmology cosmology(c.cosmology);
  LinearPowerOptions lopt;
  lopt.table_path = c.transfer.table_path;
  const auto linear = make_linear_power<double>(c.transfer.name, cosmology, lopt);
  const std::vector<double> grid = c.time_grid();
  log_info("cosmograd run: ", c.particles, "^3 particles, ", c.mesh, "^3 mesh, L = ", c.box_size,
           " Mpc/h, ", grid.size() - 1, " steps from a = ", grid.front(), " to ", grid.back(), ", ",
           c.double_precision ? "double" : "float", ", ", comm.size(), " rank(s) x ", threads,
           " threads");

  if (c.device == Device::cuda) return run_on_device<T>(c, *linear, threads, comm);

  Stopwatch sw;
  Particles<T> particles;
  {
    const Decomposition dp(c.particles, comm);
    const Fft<T> fft(dp, threads, c.fft_planning);
    const Field<T> modes = initial_modes<T>(c, *linear, fft, dp);
    particles = lpt_particles(modes, c.box_size, c.lpt_order, cosmology, grid.front(), fft);
  }
  summary.ic_seconds = sw.restart();
  log_info("initial conditions (", c.lpt_order, "LPT at a = ", grid.front(), ") in ",
           summary.ic_seconds, " s");

  ForceOptions fo;
  fo.painter = c.painter;
  fo.gradient = c.gradient;
  fo.deconvolve = c.force_deconvolve;
  Gravity<T> gravity(c.mesh, c.box_size, threads, c.fft_planning, fo, comm);
  summary.planning_seconds = sw.restart();  // FFTW_MEASURE plans, or wisdom from disk
  log_debug("force mesh FFT plans in ", summary.planning_seconds, " s");
  Events<T> events;
  if (c.progress) attach_progress(events);
  if (comm.distributed()) {  // particles per rank, about ten times a run
    const int every = std::max(1, (static_cast<int>(grid.size()) - 1) / 10);
    events.on_step([&comm, every](const StepInfo& info, const Particles<T>& p) {
      if (info.step % every != 0 && info.step != info.steps) return;
      const LoadBalance b = load_balance(p.size(), comm);
      log_info("step ", info.step, ": particles per rank min ", b.min, " mean ", b.mean, " max ",
               b.max, " (max/mean ", b.imbalance(), ")");
    });
  }
  double output_seconds = 0;
  for (double z : c.z_out) {
    const double a_out = 1.0 / (1.0 + z);
    events.on_reach(a_out, [&, a_out](const StepInfo&, const Particles<T>& p) {
      Stopwatch out;
      const auto files = write_outputs(c, *linear, p, a_out, gravity, threads);
      summary.files.insert(summary.files.end(), files.begin(), files.end());
      output_seconds += out.seconds();
    });
  }
  const std::size_t total = static_cast<std::size_t>(c.particles) * c.particles * c.particles;
  KdkIntegrator<T> integrator(cosmology, gravity, total);
  integrator.run(particles, grid, events);
  summary.output_seconds = output_seconds;
  summary.evolve_seconds = sw.seconds() - output_seconds;
  summary.kick_drift_seconds = integrator.kick_drift_seconds();
  summary.force = gravity.timings();
  summary.steps = static_cast<int>(grid.size()) - 1;
  summary.peak_rss_bytes = peak_rss_bytes();
  log_info("evolved ", summary.steps, " steps in ", summary.evolve_seconds, " s (force ",
           summary.force.total(), " s: paint ", summary.force.paint, ", r2c ", summary.force.r2c,
           ", kernels ", summary.force.kernels, ", c2r ", summary.force.c2r, ", readout ",
           summary.force.readout, "; kick/drift ", summary.kick_drift_seconds, "), outputs ",
           output_seconds, " s, peak memory ", summary.peak_rss_bytes / 1048576.0, " MiB");
  return summary;
}

}  // namespace

template <class T>
Field<T> initial_modes(const SimConfig& c, const LinearPower& linear, const Fft<T>& fft,
                       const Decomposition& d) {
  if (!c.ic_linear_field.empty()) {
    LinearFieldFile<T> file = read_linear_field<T>(c.ic_linear_field, c.particles);
    if (std::abs(file.box_size - c.box_size) > 1e-6 * c.box_size) {
      bad_setting("ic_linear_field", c.ic_linear_field,
                  "has box_size " + std::to_string(file.box_size) +
                      " Mpc/h but box_size = " + std::to_string(c.box_size));
    }
    Field<T> modes(d);  // this rank's planes of the file's field (read whole by every rank)
    for (int xl = 0; xl < d.nx_local(); ++xl) {
      std::copy_n(file.field.plane(d.x_begin() + xl), d.plane_size(), modes.plane(xl));
    }
    fft.forward(modes);
    // delta_k = (1/N^3) FFT, scaled from the file's redshift to a = 1.
    const double a_file = 1.0 / (1.0 + file.redshift);
    const double scale =
        1.0 / (std::pow(static_cast<double>(c.particles), 3) * linear.growth(a_file));
    std::complex<T>* m = modes.complex();
    for (std::size_t i = 0; i < d.local_complex_size(); ++i) m[i] *= static_cast<T>(scale);
    zero_nyquist_and_mean(modes);
    return modes;
  }
  Field<T> modes(d);
  NoiseOptions no;
  no.seed = c.seed;
  no.fixed_amplitude = c.fixed_amplitude;
  no.paired = c.paired;
  fill_white_noise(modes, no);
  linear_modes_from_noise(modes, c.box_size, [&linear](double k) { return linear.power(k, 1.0); });
  return modes;
}

RunSummary run_simulation(const SimConfig& c, const std::string& settings_ini, const Comm& comm) {
  return c.double_precision ? run<double>(c, settings_ini, comm)
                            : run<float>(c, settings_ini, comm);
}

template Field<float> initial_modes<float>(const SimConfig&, const LinearPower&, const Fft<float>&,
                                           const Decomposition&);
template Field<double> initial_modes<double>(const SimConfig&, const LinearPower&,
                                             const Fft<double>&, const Decomposition&);

}  // namespace cosmograd::sim
