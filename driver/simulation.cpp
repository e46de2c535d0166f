#include "driver/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "driver/lightcone_output.hpp"
#include "driver/output_dir.hpp"
#include "driver/outputs.hpp"
#include "driver/progress.hpp"
#include "driver/restart.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/interrupt.hpp"
#include "sim/core/log.hpp"
#include "sim/core/memory.hpp"
#include "sim/core/non_finite.hpp"
#include "sim/core/timer.hpp"
#include "sim/mesh/migrate.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/adjoint.hpp"
#include "sim/pm/cpu_backend.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"
#include "sim/pm/stepping.hpp"

namespace cosmograd::driver {

using namespace cosmograd::sim;  // the driver is built on the engine
namespace {

/// Throws NonFiniteError naming the step, the quantity and the first bad particle unless the
/// displacements and momenta of `p` are finite.
template <class T>
void check_state_finite(const StepInfo& info, const Particles<T>& p) {
  for (const auto* v : {&p.disp, &p.mom}) {
    const std::string bad =
        describe_first_non_finite(*v, p.id, v == &p.disp ? "the displacement" : "the momentum");
    if (!bad.empty()) {
      throw NonFiniteError("after step " + std::to_string(info.step) +
                           " (a = " + std::to_string(info.a) + "): " + bad);
    }
  }
}

/// Writes the outputs (driver/outputs.hpp) at the grid points of the output redshifts.
template <class T>
class OutputObserver final : public StepObserver<T> {
 public:
  OutputObserver(const RunConfig& c, const LinearPower& linear, Gravity<T>& gravity, int threads,
                 const StepSchedule& s, RunSummary& summary)
      : c_(c), linear_(linear), gravity_(gravity), threads_(threads), summary_(summary) {
    for (double z : c.sim.z_out) steps_.push_back(s.step_at(1.0 / (1.0 + z), "the output z_out"));
  }
  bool wants_state(int step) const override {
    return std::find(steps_.begin(), steps_.end(), step) != steps_.end();
  }
  void on_state(const StepInfo& info, const Particles<T>& p) override {
    check_state_finite(info, p);  // nothing non-finite reaches the files
    Stopwatch out;
    const auto files = write_outputs(c_, linear_, p, info.a, gravity_, threads_);
    summary_.files.insert(summary_.files.end(), files.begin(), files.end());
    summary_.output_seconds += out.seconds();
  }

 private:
  const RunConfig& c_;
  const LinearPower& linear_;
  Gravity<T>& gravity_;
  int threads_;
  RunSummary& summary_;
  std::vector<int> steps_;
};

/// Logs the particles per rank (min, mean, max) about ten times a run.
template <class T>
class LoadBalanceObserver final : public StepObserver<T> {
 public:
  LoadBalanceObserver(const Comm& comm, int steps)
      : comm_(comm), steps_(steps), every_(std::max(1, steps / 10)) {}
  bool wants_state(int step) const override { return step % every_ == 0 || step == steps_; }
  void on_state(const StepInfo& info, const Particles<T>& p) override {
    const LoadBalance b = load_balance(p.size(), comm_);
    log_info("step ", info.step, ": particles per rank min ", b.min, " mean ", b.mean, " max ",
             b.max, " (max/mean ", b.imbalance(), ")");
  }

 private:
  const Comm& comm_;
  int steps_, every_;
};

template <class T>
RunSummary run(const RunConfig& config, const std::string& settings_ini, const Comm& comm) {
  const SimSpec& c = config.sim;
  const RunOptions& opts = config.out;
  RunSummary summary;
  const int threads = use_threads(c.threads);
  const Cosmology cosmology(c.cosmology);
  LinearPowerOptions lopt;
  lopt.table_path = c.transfer.table_path;
  const auto linear = make_linear_power<double>(c.transfer.name, cosmology, lopt);
  const StepSchedule schedule(cosmology, c.time_grid());
  const std::vector<double>& grid = schedule.grid();
  // Restarts (driver/restart.hpp): on the CPU and without the lightcone, whose maps they
  // would have to hold too.
  const bool restartable = c.device != Device::cuda && !opts.lightcone.enabled;
  if (!restartable && (opts.restart.steps > 0 || opts.restart.minutes > 0 || opts.resume)) {
    throw std::invalid_argument(std::string(opts.resume ? "--resume" : "restart_every") +
                                " is not available with " +
                                (opts.lightcone.enabled ? "lightcone = true" : "device = cuda") +
                                " (allowed: restart_every = 0 and no --resume there)");
  }
  RestartInfo restart;  // what this run's restarts record
  restart.steps = schedule.steps();
  restart.ranks = comm.size();
  restart.scalar_bytes = sizeof(T);
  restart.config = restart_config_text(settings_ini);
  restart.config_hash = fnv1a64(restart.config);
  RestartInfo resumed;
  if (opts.resume) {
    resumed = read_restart_info(opts.output_dir);
    check_restart_matches(resumed, restart.config, comm.size(), sizeof(T));
    for (const std::string& f : resumed.files) summary.files.push_back(opts.output_dir + "/" + f);
  }
  // Only now, after every check, the directory: refused if another run's, locked for this one.
  std::unique_ptr<OutputDir> out_dir;
  if (comm.rank() == 0) {
    out_dir = std::make_unique<OutputDir>(opts.output_dir, opts.overwrite, opts.resume);
    if (!opts.resume) write_file_atomic(opts.output_dir + "/config.ini", settings_ini);
  }
  comm.barrier();
  if (restartable) {
    defer_interrupts("cosmograd run: signal received; stopping after this step with a restart in " +
                     restart_dir(opts.output_dir) + " (a second signal stops at once)");
  }
  if (!opts.snapshot_kpc && opts.write_snapshot) {
    log_info(
        "snapshots in Mpc/h: yt assumes kpc/h, so load them with yt.load(path, "
        "unit_base={\"length\": (1.0, \"Mpccm/h\")})");
  }
  log_info("cosmograd run: ", c.particles, "^3 particles, ", c.mesh, "^3 mesh, L = ", c.box_size,
           " Mpc/h, ", grid.size() - 1, " steps from a = ", grid.front(), " to ", grid.back(), ", ",
           c.double_precision ? "double" : "float", ", ", comm.size(), " rank(s) x ", threads,
           " threads, ", device_name(c.device));

  Stopwatch sw;
  ForceOptions fo;
  fo.painter = c.painter;
  fo.gradient = c.gradient;
  fo.deconvolve = c.force_deconvolve;
  Gravity<T> gravity(c.mesh, c.box_size, threads, c.fft_planning, fo, comm);
  summary.planning_seconds = sw.restart();  // FFTW_MEASURE plans, or wisdom from disk
  log_debug("force mesh FFT plans in ", summary.planning_seconds, " s");

  OutputObserver<T> outputs(config, *linear, gravity, threads, schedule, summary);
  ProgressObserver<T> progress;
  LoadBalanceObserver<T> balance(comm, schedule.steps());
  Observers<T> observers{&outputs};
  if (opts.progress) observers.push_back(&progress);
  if (comm.distributed()) observers.push_back(&balance);
  RestartObserver<T> restarts(opts.output_dir, opts.restart, restart, summary.files, comm);
  if (restartable) observers.push_back(&restarts);  // last: after this step's outputs
  std::unique_ptr<LightconeOutput<T>> lightcone;
  if (opts.lightcone.enabled) {
    lightcone = std::make_unique<LightconeOutput<T>>(config, cosmology, *linear, schedule, comm);
    observers.push_back(lightcone->observer());
  }

  StepTimings steps;
  if (c.device == Device::cuda) {
    // Noise, ICs and steps on the device (one rank); outputs from host copies.
    DifferentiableSim<T> sim(c, GradientMode::adjoint, 1, comm);
    summary.planning_seconds += sw.restart();
    sim.forward(sim.white_noise(), observers);
    steps = sim.timings();
  } else {
    Particles<T> particles;
    if (opts.resume) {
      particles = read_restart_particles<T>(opts.output_dir, resumed, comm);
      summary.ic_seconds = sw.restart();
      log_info("resumed after step ", resumed.step, " of ", resumed.steps, " (a = ", resumed.a,
               ") from ", restart_dir(opts.output_dir), " in ", summary.ic_seconds, " s");
    } else {
      {
        const Decomposition dp(c.particles, comm);
        const Fft<T> fft(dp, threads, c.fft_planning);
        const Field<T> modes = initial_modes<T>(c, *linear, fft, dp);
        particles = lpt_particles(modes, c.box_size, c.lpt_order, cosmology, grid.front(), fft);
      }
      summary.ic_seconds = sw.restart();
      log_info("initial conditions (", c.lpt_order, "LPT at a = ", grid.front(), ") in ",
               summary.ic_seconds, " s");
    }
    steps = evolve(particles, gravity, schedule, c.cosmology.Omega_m, observers,
                   opts.resume ? resumed.step : 0);
  }
  summary.evolve_seconds = sw.seconds() - summary.output_seconds - restarts.seconds();
  summary.restart_seconds = restarts.seconds();
  if (lightcone) {
    Stopwatch lw;
    const std::vector<std::string> files = lightcone->write(opts.output_dir);
    summary.files.insert(summary.files.end(), files.begin(), files.end());
    summary.output_seconds += lw.seconds();
    summary.lightcone_seconds = lightcone->seconds();
    summary.lightcone_crossings =
        comm.sum(static_cast<std::int64_t>(lightcone->lightcone().crossings()));
    log_info("lightcone: ", summary.lightcone_crossings, " crossings deposited in ",
             summary.lightcone_seconds, " s (during the steps), maps and files in ", lw.seconds(),
             " s");
  }
  summary.kick_drift_seconds = steps.kick_drift;
  summary.force = gravity.timings();
  summary.steps = schedule.steps();
  summary.peak_rss_bytes = peak_rss_bytes();
  if (out_dir) {  // last: a consumer that finds the manifest finds a finished run
    std::vector<std::string> files{opts.output_dir + "/config.ini"};
    files.insert(files.end(), summary.files.begin(), summary.files.end());
    out_dir->write_manifest(files);
    remove_restart(opts.output_dir);  // the run is complete: nothing to resume
  }
  log_info("evolved ", summary.steps, " steps in ", summary.evolve_seconds, " s (force ",
           summary.force.total(), " s: paint ", summary.force.paint, ", r2c ", summary.force.r2c,
           ", kernels ", summary.force.kernels, ", c2r ", summary.force.c2r, ", readout ",
           summary.force.readout, "; kick/drift ", summary.kick_drift_seconds, "), outputs ",
           summary.output_seconds, " s, peak memory ", summary.peak_rss_bytes / 1048576.0, " MiB");
  return summary;
}

}  // namespace

RunSummary run_simulation(const RunConfig& c, const std::string& settings_ini, const Comm& comm) {
  return c.sim.double_precision ? run<double>(c, settings_ini, comm)
                                : run<float>(c, settings_ini, comm);
}

}  // namespace cosmograd::driver
