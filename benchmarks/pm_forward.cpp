// bench_pm_forward: wall time, phase breakdown and peak memory of the forward PM engine
// (2LPT ICs, then FastPM KDK steps) at several particle counts with mesh B = 2, compared
// with FastPM's measured anchors (shared/REFERENCES.md). Each size runs in a fresh child
// process (this executable re-run with --child N) so its peak RSS is its own.
#include <fftw3.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/machine.hpp"
#include "sim/core/memory.hpp"
#include "sim/core/timer.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/cosmo/time_grid.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mpi/decomposition.hpp"
#include "sim/pm/cpu_backend.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"
#include "sim/pm/sim_spec.hpp"

extern char** environ;

namespace cosmograd::bench {
namespace {

constexpr double kAInit = 0.1;                   // scale factor of the ICs
constexpr double kAFinal = 1.0;                  // end of the run
constexpr double kFastPmBytesPerParticle = 320;  // 340 MB per rank x 2 ranks at 128^3
constexpr double kMiB = 1048576.0;
/// Prefix of the result lines a child writes to stdout.
constexpr const char* kRepeatTag = "bench-repeat";
constexpr const char* kChildTag = "bench-child";

/// Command-line options.
struct Options {
  std::vector<int> sizes{64, 128, 256};  // particles per side
  std::vector<int> repeats{5};           // one value, or one per size
  int steps = 10;
  int threads = 2;
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/pm_forward.md";
  std::vector<std::string> precisions{"float", "double"};
  int child = 0;  // > 0: run this size here and print result lines
};

/// Issue 15's goals per step in float on this 2-core machine [s], by particles per side.
const std::map<int, double>& step_goals() {
  static const std::map<int, double> goals = {{128, 0.12}, {256, 1.0}};
  return goals;
}
constexpr double kStepOverFftGoal = 2.0;       // step time <= 2x the FFTs it needs
constexpr double kBytesPerParticleGoal = 100;  // float, at 256^3

/// FastPM per-step anchors on this machine class (2 ranks x 1 thread, B = 2, 10 steps).
struct FastPmAnchor {
  double step_seconds;  // per step [s]
  const char* note;     // where the number comes from
};

/// FastPM's anchors by particles per side.
const std::map<int, FastPmAnchor>& fastpm_anchors() {
  static const std::map<int, FastPmAnchor> anchors = {
      {64, {0.23, "2.3 s whole run / 10 steps (an upper bound)"}},
      {128, {1.6, "quickstart; whole run 19-21 s"}},
      {256, {15.0, "whole run about 3 min"}},
  };
  return anchors;
}

/// The anchor for n^3 particles, or nullptr when none was measured.
const FastPmAnchor* fastpm_anchor(int n) {
  const auto it = fastpm_anchors().find(n);
  return it == fastpm_anchors().end() ? nullptr : &it->second;
}

/// Throws std::invalid_argument with `message` and a pointer to --help.
[[noreturn]] void usage_error(const std::string& message) {
  throw std::invalid_argument(message + " (see --help)");
}

/// `value` of `option` as an integer >= min.
int parse_int(const std::string& option, const std::string& value, int min) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || v < min) {
    usage_error(option + " = '" + value +
                "' is not allowed (allowed: an integer >= " + std::to_string(min) + ")");
  }
  return v;
}

/// `value` of `option` as comma-separated integers >= min.
std::vector<int> parse_int_list(const std::string& option, const std::string& value, int min) {
  std::vector<int> out;
  std::stringstream ss(value);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(parse_int(option, item, min));
  if (out.empty()) usage_error(option + " is empty (allowed: comma-separated integers)");
  return out;
}

/// Text of --help.
const char* kHelp =
    "bench_pm_forward: forward PM engine benchmark (2LPT ICs + KDK steps, mesh B = 2,\n"
    "box 2 N Mpc/h, Planck 2015, Eisenstein-Hu, a = 0.1 -> 1 in linear steps).\n"
    "Options:\n"
    "  --sizes N,N,...   particles per side (default 64,128,256)\n"
    "  --repeats R[,R..] evolutions per size; one value or one per size (default 5)\n"
    "  --steps S         time steps (default 10)\n"
    "  --precision P,..  float, double or both (default float,double)\n"
    "  --threads T       OpenMP and FFTW threads (default 2)\n"
    "  --out FILE        markdown result (default <source>/benchmarks/results/pm_forward.md)\n"
    "  --child N         internal: run size N in this process, print result lines\n";

/// Options from the command line; throws std::invalid_argument on a bad one.
Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error("option '" + arg + "' is unknown or needs a value");
    const std::string value = argv[++i];
    if (arg == "--sizes") {
      o.sizes = parse_int_list(arg, value, 8);
    } else if (arg == "--repeats") {
      o.repeats = parse_int_list(arg, value, 1);
    } else if (arg == "--steps") {
      o.steps = parse_int(arg, value, 1);
    } else if (arg == "--threads") {
      o.threads = parse_int(arg, value, 1);
    } else if (arg == "--out") {
      o.out = value;
    } else if (arg == "--precision") {
      o.precisions.clear();
      std::stringstream ss(value);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item != "float" && item != "double") {
          usage_error("--precision = '" + item + "' is not allowed (allowed: float, double)");
        }
        o.precisions.push_back(item);
      }
      if (o.precisions.empty()) usage_error("--precision is empty (allowed: float, double)");
    } else if (arg == "--child") {
      o.child = parse_int(arg, value, 8);
    } else {
      usage_error("option '" + arg + "' is unknown");
    }
  }
  if (o.repeats.size() != 1 && o.repeats.size() != o.sizes.size()) {
    usage_error("--repeats has " + std::to_string(o.repeats.size()) + " values for " +
                std::to_string(o.sizes.size()) + " sizes (allowed: one, or one per size)");
  }
  return o;
}

// ---- child: one size, all repeats, in this process ------------------------------------------

/// Size of the FFTW wisdom file [bytes], or -1 when there is none.
long long wisdom_size(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<long long>(size);
}

/// Runs `repeats` evolutions of n^3 particles and prints one kRepeatTag line per repeat and
/// one kChildTag line to stdout (key=value pairs).
template <class T>
void run_child(int n, int repeats, int steps, int threads) {
  const std::size_t baseline_rss = sim::current_rss_bytes();
  sim::use_threads(threads);
  const int mesh = 2 * n;
  const double box = 2.0 * n;  // 256 Mpc/h at 128^3
  const std::size_t total = static_cast<std::size_t>(n) * n * n;

  sim::SimSpec c;
  c.cosmology = sim::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.box_size = box;
  c.particles = n;
  c.mesh = mesh;
  c.a_init = kAInit;
  c.steps = steps;
  c.threads = threads;
  c.lpt_order = 2;
  c.fft_planning = sim::FftPlanning::measure;
  const sim::Cosmology cosmology(c.cosmology);
  const auto linear = sim::make_linear_power<double>(c.transfer.name, cosmology);
  const std::vector<double> grid =
      sim::make_time_grid(kAInit, kAFinal, steps, sim::StepSpacing::linear);
  const double omega_m = c.cosmology.Omega_m;

  // FFTW_MEASURE plans for the particle grid (ICs) and the force mesh; they stay in the
  // process's plan cache, so every later Fft of these sizes is free.
  const std::string wisdom = sim::fftw_wisdom_path<T>();
  const long long wisdom_before = wisdom_size(wisdom);
  sim::Stopwatch sw;
  {
    const sim::Fft<T> ic_fft(sim::Decomposition(n), threads, c.fft_planning);
    const sim::Fft<T> mesh_fft(sim::Decomposition(mesh), threads, c.fft_planning);
  }
  const double plan_seconds = sw.seconds();
  // New plans add entries to the wisdom file; plans from wisdom leave its size unchanged.
  const bool from_wisdom = wisdom_before >= 0 && wisdom_size(wisdom) == wisdom_before;

  for (int r = 0; r < repeats; ++r) {
    // Everything is built and freed inside the repeat, in the order of `cosmograd run`, so
    // every repeat has the same memory profile as one run.
    sw.restart();
    sim::Particles<T> particles;
    {
      const sim::Fft<T> fft(sim::Decomposition(n), threads, c.fft_planning);
      const sim::Field<T> modes = sim::initial_modes<T>(c, *linear, fft, sim::Decomposition(n));
      particles = sim::lpt_particles(modes, box, c.lpt_order, cosmology, grid.front(), fft);
    }
    const double ic_seconds = sw.seconds();

    sim::Gravity<T> gravity(mesh, box, threads, c.fft_planning, sim::ForceOptions{});
    {
      std::vector<T> acc;  // untimed warm-up: first touch of the meshes, thread start-up
      gravity.accelerations(particles, omega_m, total, acc);
    }
    gravity.reset_timings();
    const sim::StepSchedule schedule(cosmology, grid);
    sw.restart();
    const sim::StepTimings timings =
        sim::evolve(particles, gravity, schedule, omega_m);  // no outputs
    const double evolve_seconds = sw.seconds();

    for (const T x : particles.disp) {
      if (!std::isfinite(x)) throw std::runtime_error("non-finite displacement after the run");
    }
    const sim::ForceTimings& f = gravity.timings();
    std::printf(
        "%s step=%.9g ic=%.9g evolve=%.9g paint=%.9g r2c=%.9g kernels=%.9g c2r=%.9g "
        "readout=%.9g kick_drift=%.9g\n",
        kRepeatTag, evolve_seconds / steps, ic_seconds, evolve_seconds, f.paint, f.r2c, f.kernels,
        f.c2r, f.readout, timings.kick_drift);
    std::fflush(stdout);
    std::fprintf(stderr, "  %d^3 repeat %d/%d: %.3f s per step\n", n, r + 1, repeats,
                 evolve_seconds / steps);
  }
  std::printf("%s plan=%.9g from_wisdom=%d peak_rss=%zu baseline_rss=%zu particles=%zu\n",
              kChildTag, plan_seconds, from_wisdom ? 1 : 0, sim::peak_rss_bytes(), baseline_rss,
              total);
  std::fflush(stdout);
}

// ---- parent: spawn one child per size, collect, tabulate --------------------------------------

/// key=value pairs of one result line.
using Record = std::map<std::string, double>;

/// Results of one size.
struct SizeResult {
  int n = 0;
  std::string precision;  // "float" or "double"
  int repeats = 0;
  std::vector<Record> runs;  // one per repeat
  Record child;              // planning and memory
};

/// The key=value pairs of a result line (the leading tag skipped).
Record parse_record(const std::string& line) {
  Record r;
  std::istringstream in(line);
  std::string token;
  in >> token;  // the tag
  while (in >> token) {
    const auto eq = token.find('=');
    if (eq == std::string::npos) continue;
    r[token.substr(0, eq)] = std::stod(token.substr(eq + 1));
  }
  return r;
}

/// Runs this executable with `args` (argv[0] excluded) and returns its stdout; its stderr is
/// passed through. Throws when it cannot start or does not exit with status 0.
std::string run_self(const std::string& argv0, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<std::string> all{argv0};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error(std::string("posix_spawn /proc/self/exe: ") + std::strerror(rc));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got > 0) {
      out.append(buf, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFSIGNALED(status)
                                ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                : "exited with status " + std::to_string(WEXITSTATUS(status));
    std::string cmd;
    for (const std::string& a : args) cmd += " " + a;
    throw std::runtime_error("child run (" + argv0 + cmd + ") " + how);
  }
  return out;
}

/// Runs size n in a child process and collects its result lines.
SizeResult measure_size(const std::string& argv0, const Options& o, int n, int repeats,
                        const std::string& precision) {
  std::fprintf(stderr, "bench_pm_forward: %d^3 particles, %d^3 mesh, %s, %d repeats of %d steps\n",
               n, 2 * n, precision.c_str(), repeats, o.steps);
  const std::string out =
      run_self(argv0, {"--child", std::to_string(n), "--repeats", std::to_string(repeats),
                       "--steps", std::to_string(o.steps), "--threads", std::to_string(o.threads),
                       "--precision", precision});
  SizeResult s;
  s.n = n;
  s.precision = precision;
  s.repeats = repeats;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kRepeatTag, 0) == 0) s.runs.push_back(parse_record(line));
    if (line.rfind(kChildTag, 0) == 0) s.child = parse_record(line);
  }
  if (static_cast<int>(s.runs.size()) != repeats || s.child.empty()) {
    throw std::runtime_error("child run for " + std::to_string(n) + "^3 printed " +
                             std::to_string(s.runs.size()) + " of " + std::to_string(repeats) +
                             " results");
  }
  return s;
}

/// `x` with 3 significant digits in fixed notation.
std::string sig3(double x) {
  if (!std::isfinite(x)) return "n/a";
  const double ax = std::abs(x);
  const int decimals = ax >= 100    ? 0
                       : ax >= 10   ? 1
                       : ax >= 1    ? 2
                       : ax >= 0.1  ? 3
                       : ax >= 0.01 ? 4
                                    : 5;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

/// `x` with `decimals` decimals.
std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

/// part / whole as a whole percentage.
std::string percent(double part, double whole) { return fixed(100.0 * part / whole, 0) + "%"; }

/// Median of a non-empty vector (mean of the middle two for an even count).
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

/// The repeat whose per-step time is the median (the lower middle for an even count).
const Record& median_run(const SizeResult& s) {
  std::vector<std::size_t> order(s.runs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return s.runs[a].at("step") < s.runs[b].at("step");
  });
  return s.runs[order[(order.size() - 1) / 2]];
}

/// Standard output of shell `command` without trailing newlines ("" on failure).
std::string shell_line(const char* command) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(command, "r"), ::pclose);
  if (!p) return "";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p.get()) != nullptr) out += buf;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// Installed memory [GiB].
double mem_total_gib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return kb / kMiB;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

/// Date and time now, UTC.
std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

/// Short commit of the source tree, noting uncommitted changes; "unknown" without git.
std::string git_commit() {
  const std::string dir = COSMOGRAD_SOURCE_DIR;
  const std::string head =
      shell_line(("git -C '" + dir + "' rev-parse --short HEAD 2>/dev/null").c_str());
  if (head.empty()) return "unknown";
  const std::string dirty = shell_line(
      ("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null").c_str());
  return dirty.empty() ? head : head + " (with uncommitted changes)";
}

/// "N^3 / (2N)^3 | precision".
std::string size_label(const SizeResult& s) {
  return std::to_string(s.n) + "^3 / " + std::to_string(2 * s.n) + "^3 | " + s.precision;
}

/// The markdown report of all sizes.
std::string report(const Options& o, const std::vector<SizeResult>& results,
                   const std::string& load_before) {
  std::ostringstream md;
  md << "# Forward PM engine (bench_pm_forward)\n\n"
     << "- Machine: " << sim::cpu_model() << ", " << std::thread::hardware_concurrency()
     << " logical cores, " << fixed(mem_total_gib(), 1) << " GiB\n"
     << "- Date: " << utc_now() << "; commit " << git_commit() << "; load average (1, 5, 15 "
     << "min) " << load_before << " before, " << sim::load_average() << " after\n"
     << "- Build: " << __VERSION__ << ", " << fftwf_version << "\n"
     << "- Run: float32 and float64 rows, " << o.threads
     << " OpenMP/FFTW threads, FFTW_MEASURE plans, CIC paint "
     << "and readout, fd4 gradient, mesh B = 2, box L = 2 N Mpc/h, Planck 2015 with "
     << "Eisenstein-Hu, 2LPT at a = " << kAInit << ", " << o.steps << " KDK steps linear in a to "
     << "a = " << kAFinal << ", no outputs\n"
     << "- Step time = evolve time / steps (the KDK loop makes steps + 1 force calls, as FastPM "
     << "does); one untimed warm-up force call precedes each evolve; median over repeats, and "
     << "the breakdown is that of the median repeat\n"
     << "- Each size runs in a fresh process, so peak RSS (VmHWM) is that size's own\n";
  if (o.repeats.size() > 1) {
    md << "- Repeats differ by size (--repeats";
    const char* sep = " ";
    for (const int r : o.repeats) {
      md << sep << r;
      sep = ",";
    }
    md << "): fewer at the largest sizes to keep the run short\n";
  }
  md << "\n";

  md << "## Goals (issue 15)\n\n"
     << "- Float, per step: 128^3 / 256^3 <= " << sig3(step_goals().at(128))
     << " s; 256^3 / 512^3 <= " << sig3(step_goals().at(256)) << " s\n"
     << "- Step time <= " << fixed(kStepOverFftGoal, 0) << "x the time of the FFTs it needs "
     << "(r2c + c2r of the force)\n"
     << "- Peak memory <= " << fixed(kBytesPerParticleGoal, 0) << " B/particle at 256^3 in "
     << "float (the evolution, no outputs)\n"
     << "- Against FastPM (2 ranks x 1 thread, double FFTs, B = 2, 10 steps), per step:";
  const char* sep = " ";
  for (const auto& [n, a] : fastpm_anchors()) {
    md << sep << n << "^3 " << sig3(a.step_seconds) << " s (" << a.note << ")";
    sep = "; ";
  }
  md << "\n\n";

  md << "## Time per step\n\n"
     << "| particles / mesh | precision | repeats | step median [s] | min [s] | max [s] "
     << "| goal [s] | step / FFTs (goal <= 2) | FastPM [s] | speed-up | 2LPT ICs [s] "
     << "| FFT planning [s] |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SizeResult& s : results) {
    std::vector<double> steps, ics;
    for (const Record& r : s.runs) {
      steps.push_back(r.at("step"));
      ics.push_back(r.at("ic"));
    }
    const Record& m = median_run(s);
    const double step = median(steps);
    const FastPmAnchor* a = fastpm_anchor(s.n);
    const double over_fft = m.at("evolve") / (m.at("r2c") + m.at("c2r"));
    const auto goal = step_goals().find(s.n);
    const bool has_goal = goal != step_goals().end() && s.precision == "float";
    md << "| " << size_label(s) << " | " << s.repeats << " | " << sig3(step) << " | "
       << sig3(*std::min_element(steps.begin(), steps.end())) << " | "
       << sig3(*std::max_element(steps.begin(), steps.end())) << " | "
       << (has_goal ? sig3(goal->second) + (step <= goal->second ? " (met)" : " (not met)")
                    : std::string("-"))
       << " | " << fixed(over_fft, 2) << (over_fft <= kStepOverFftGoal ? " (met)" : " (not met)")
       << " | " << (a ? sig3(a->step_seconds) : "n/a") << " | "
       << (a ? fixed(a->step_seconds / step, 1) + "x" : "n/a") << " | " << sig3(median(ics))
       << " | " << sig3(s.child.at("plan"))
       << (s.child.at("from_wisdom") > 0 ? " (wisdom)" : " (measured)") << " |\n";
  }

  md << "\n## Breakdown of a step [s] (median repeat)\n\n"
     << "| particles / mesh | precision | paint (with the row sort) | r2c | Fourier kernels "
     << "| c2r | readout (fd4 from the potential) | kick + drift | other | step |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SizeResult& s : results) {
    const Record& m = median_run(s);
    const double steps = o.steps;
    const double step = m.at("evolve") / steps;
    const char* keys[] = {"paint", "r2c", "kernels", "c2r", "readout", "kick_drift"};
    double sum = 0;
    md << "| " << size_label(s);
    for (const char* k : keys) {
      const double v = m.at(k) / steps;
      sum += v;
      md << " | " << sig3(v) << " (" << percent(v, step) << ")";
    }
    md << " | " << sig3(step - sum) << " | " << sig3(step) << " |\n";
  }

  md << "\n## Memory\n\n"
     << "| particles / mesh | precision | peak RSS [MiB] | process baseline [MiB] | B/particle "
     << "| goal | particles | mesh | row sort | FastPM B/particle |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const SizeResult& s : results) {
    const double peak = s.child.at("peak_rss");
    const double np = s.child.at("particles");
    const double per = peak / np;
    const double t = s.precision == "float" ? 4 : 8;
    const double mesh_cells = 2.0 * s.n * 2.0 * s.n * (2.0 * (s.n + 1));  // r2c padding
    md << "| " << size_label(s) << " | " << fixed(peak / kMiB, 0) << " | "
       << fixed(s.child.at("baseline_rss") / kMiB, 0) << " | " << fixed(per, 0) << " | "
       << (s.n == 256 && s.precision == "float"
               ? "<= " + fixed(kBytesPerParticleGoal, 0) +
                     (per <= kBytesPerParticleGoal ? " (met)" : " (not met)")
               : std::string("-"))
       << " | " << fixed(8 + 9 * t, 0) << " | " << fixed(mesh_cells * t / np, 1) << " | "
       << fixed(8 + 3 * t, 0) << " | ~" << fixed(kFastPmBytesPerParticle, 0)
       << " (measured at 128^3) |\n";
  }
  md << "\nB/particle = whole-process peak RSS / particles (the baseline, libraries and "
     << "binary, included, which dominates at small sizes). The breakdown columns are per "
     << "particle [B]: particles = id (8) + displacement, momentum and acceleration (3 values "
     << "each); mesh = the one density/potential mesh with its r2c padding (FFTW transforms it "
     << "in place); row sort = the order, the z cell and the 3 cell offsets of each particle "
     << "(4 + 4 + 3 values, sim/mesh/plane_order.hpp).\n";
  return md.str();
}

/// The benchmark's main: a child run, or the parent that spawns one per size.
int run(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  if (o.child > 0) {
    if (o.precisions.front() == "double") {
      run_child<double>(o.child, o.repeats.front(), o.steps, o.threads);
    } else {
      run_child<float>(o.child, o.repeats.front(), o.steps, o.threads);
    }
    return 0;
  }
  const std::string load_before = sim::load_average();
  std::vector<SizeResult> results;
  for (std::size_t i = 0; i < o.sizes.size(); ++i) {
    const int repeats = o.repeats.size() == 1 ? o.repeats.front() : o.repeats[i];
    for (const std::string& precision : o.precisions) {
      results.push_back(measure_size(argv[0], o, o.sizes[i], repeats, precision));
    }
  }
  const std::string md = report(o, results, load_before);
  std::cout << md;
  sim::write_file_atomic(o.out, md);
  std::fprintf(stderr, "bench_pm_forward: wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace
}  // namespace cosmograd::bench

int main(int argc, char** argv) {
  try {
    return cosmograd::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pm_forward: error: %s\n", e.what());
    return 1;
  }
}
