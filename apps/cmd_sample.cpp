// `cosmograd sample --data DIR/data.h5`: explicit field-level inference, HMC over the initial
// white noise and the cosmological parameters through the engine's adjoint (inference/hmc.hpp,
// inference/field_target.hpp), resumable chains, MPI ranks sharing the chains.
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "apps/reconstruct_common.hpp"
#include "apps/sample_report.hpp"
#include "inference/ensemble_mcmc.hpp"
#include "inference/field_target.hpp"
#include "inference/hmc_chain.hpp"
#include "sim/core/log.hpp"
#include "sim/mpi/comm.hpp"

namespace cosmograd::apps {
namespace {

namespace fs = std::filesystem;

std::vector<sim::KeySpec> sample_keys() {
  return {
      {"data", "", "",
       "the data set: DIR/data.h5 of `reconstruct data` (its keys define the model)"},
      {"prior", "", "Omega_m:0.1:0.5,sigma8:0.6:1.0",
       "uniform priors NAME:LO:HI of the sampled cosmological parameters (none: cosmology fixed)"},
      {"algorithm", "", "nuts", "nuts (No-U-Turn) or hmc (fixed trajectory_length)"},
      {"chains", "", "2", "chains (MPI ranks share them round robin)"},
      {"warmup", "", "200", "warm-up iterations per chain (step size and parameter masses)"},
      {"samples", "", "300", "kept iterations per chain"},
      {"step_size", "", "0", "first leapfrog step (0: searched)"},
      {"target_accept", "", "0.8", "dual averaging's target acceptance statistic"},
      {"trajectory_length", "", "2", "algorithm = hmc: integration time (white-noise units)"},
      {"max_tree_depth", "", "8", "at most 2^depth leapfrog steps an iteration"},
      {"seed", "", "1", "sampler seed (chain c draws from streams (seed, c, iteration))"},
      {"modes", "", "auto",
       "Fourier modes of the white noise recorded per draw, KX:KY:KZ,... (auto: five from the "
       "fundamental to near Nyquist)"},
      {"precondition", "", "true",
       "sample the white noise scaled by its linear-theory posterior width per Fourier mode (a "
       "Fourier-diagonal mass matrix); false: unit mass"},
      {"checkpoint_every", "", "10", "iterations between a chain's checkpoints"},
      {"threads", "", "0", "threads per chain (0: all)"},
      {"progress", "", "true", "a line every 10 iterations per chain"},
      {"out", "", "samples", "output directory"}};
}

// Keys that do not change a chain's draws (a rerun may change them; `chains` adds or drops
// whole chains).
bool key_is_local(const std::string& k) {
  return k == "out" || k == "threads" || k == "progress" || k == "log_level" ||
         k == "checkpoint_every" || k == "chains";
}

using Mode = std::array<int, 3>;

std::vector<Mode> parse_modes(const std::string& text, int n) {
  if (text == "auto") {
    return {Mode{1, 0, 0}, Mode{0, 2, 1}, Mode{n / 8, n / 8, 0}, Mode{0, n / 4, n / 8},
            Mode{n / 2 - 1, 1, n / 4}};
  }
  std::vector<Mode> modes;
  for (const std::string& item : sim::split_list(text)) {
    std::vector<std::string> parts;
    std::stringstream ss(item);
    for (std::string part; std::getline(ss, part, ':');) parts.push_back(part);
    Mode m{};
    bool ok = parts.size() == 3;
    for (std::size_t i = 0; ok && i < 3; ++i) {
      char* end = nullptr;
      const long v = std::strtol(parts[i].c_str(), &end, 10);
      ok = end != parts[i].c_str() && *end == '\0' && std::abs(v) < n;
      m[i] = static_cast<int>(v);
    }
    ok = ok && (m[0] != 0 || m[1] != 0 || m[2] != 0);
    if (!ok) {
      sim::bad_setting("modes", item,
                       "must be KX:KY:KZ integers with |k| < particles = " + std::to_string(n) +
                           ", not all zero (or auto)");
    }
    modes.push_back(m);
  }
  return modes;
}

// Re and Im of w_k / sqrt(N / 2) for every mode (unit prior variance for non-self-conjugate k).
class ModeProbe {
 public:
  ModeProbe(std::vector<Mode> modes, int n) : modes_(std::move(modes)), n_(n) {
    for (const Mode& m : modes_) {
      std::array<std::vector<std::complex<double>>, 3> ph;
      for (int a = 0; a < 3; ++a) {
        for (int x = 0; x < n; ++x) ph[a].push_back(std::polar(1.0, -2 * M_PI * m[a] * x / n));
      }
      phases_.push_back(std::move(ph));
    }
  }
  void append(const std::vector<double>& w, std::vector<double>& out) const {
    const double scale = std::sqrt(std::pow(static_cast<double>(n_), 3) / 2);
    for (const auto& ph : phases_) {
      std::complex<double> s = 0;
      std::size_t c = 0;
      for (int x = 0; x < n_; ++x) {
        for (int y = 0; y < n_; ++y) {
          const std::complex<double> pxy = ph[0][x] * ph[1][y];
          std::complex<double> row = 0;
          for (int z = 0; z < n_; ++z) row += w[c++] * ph[2][z];
          s += pxy * row;
        }
      }
      out.push_back(s.real() / scale);
      out.push_back(s.imag() / scale);
    }
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const Mode& m : modes_) {
      const std::string k = "w(" + std::to_string(m[0]) + "," + std::to_string(m[1]) + "," +
                            std::to_string(m[2]) + ")";
      v.push_back(k + ".re");
      v.push_back(k + ".im");
    }
    return v;
  }

 private:
  std::vector<Mode> modes_;
  int n_;
  std::vector<std::array<std::vector<std::complex<double>>, 3>> phases_;
};

// A chain's start: white noise drawn from its prior, each parameter uniform in the middle half
// of its prior (seeded by seed and chain).
std::vector<double> chain_start(const inference::FieldTarget& target, std::size_t cells,
                                std::uint64_t seed, int chain) {
  std::mt19937_64 rng(seed * 1000003ULL + static_cast<std::uint64_t>(chain) + 17);
  std::vector<double> x(target.dimension());
  for (std::size_t i = 0; i < cells; ++i) x[i] = inference::standard_normal(rng);
  for (std::size_t i = 0; i < target.priors().size(); ++i) {
    const auto& p = target.priors()[i];
    x[cells + i] = p.lo + (p.hi - p.lo) * (0.25 + 0.5 * inference::uniform01(rng));
  }
  return target.to_unconstrained(x);
}

}  // namespace

int cmd_sample(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_command(
      "sample",
      "usage: cosmograd sample --data DIR/data.h5 [config.ini] [--key value ...] --out DIR\n"
      "  HMC over the white noise and the cosmology (field-level inference); rerun the same\n"
      "  command to resume killed chains; under mpirun the ranks share the chains",
      sample_keys(), args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("data").empty()) sim::bad_setting("data", "''", "is empty (give DIR/data.h5)");
  const DataSet d = read_data_set(s.get_string("data"));
  const int threads = reconstruction_threads(s);
  const std::string prior_text = s.get_string("prior");
  const std::vector<driver::ParameterRange> priors = prior_text == "none"
                                                         ? std::vector<driver::ParameterRange>{}
                                                         : driver::parse_prior("prior", prior_text);
  std::vector<sim::CosmoParam> free;
  for (const auto& p : priors) free.push_back(p.param);

  inference::HmcOptions hmc;
  hmc.algorithm = inference::parse_hmc_algorithm(s.get_string("algorithm"), "algorithm");
  const auto count = [&](const char* key, long long lo, long long hi) {
    const long long v = s.get_int(key);
    sim::check_int_range(key, v, lo, hi);
    return static_cast<int>(v);
  };
  hmc.warmup = count("warmup", 0, 1000000);
  hmc.samples = count("samples", 4, 1000000);
  hmc.max_tree_depth = count("max_tree_depth", 1, 16);
  hmc.step_size = s.get_double("step_size");
  hmc.target_accept = s.get_double("target_accept");
  hmc.trajectory_length = s.get_double("trajectory_length");
  hmc.seed = static_cast<std::uint64_t>(count("seed", 0, 2147483647));
  const int chains = count("chains", 1, 4096);
  const int every = count("checkpoint_every", 1, 1000000);
  const bool progress = s.get_bool("progress");
  const std::string out = s.get_string("out");
  const int n = d.problem.spec.particles;
  const std::size_t cells = static_cast<std::size_t>(n) * n * n;
  hmc.adapt_from = cells;  // unit mass for the whitened modes, adapted for the parameters
  hmc.validate();
  const ModeProbe probe(parse_modes(s.get_string("modes"), n), n);

  std::ostringstream identity;
  identity << "data = " << fs::absolute(s.get_string("data")).lexically_normal().string() << "\n";
  for (const auto& [k, v] : s.values()) {
    if (!key_is_local(k) && k != "data") identity << k << " = " << v << "\n";
  }

  const sim::Comm world = sim::Comm::world();
  if (world.rank() == 0) {
    // Temporaries of a killed earlier start (AtomicWrite's "<name>.tmp.<pid>") go first.
    fs::create_directories(out);
    for (const auto& e : fs::directory_iterator(out)) {
      if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path());
    }
  }
  world.barrier();
  sim::SimSpec spec = d.problem.spec;
  spec.threads = threads;
  inference::DataModel model = d.problem.model;
  model.threads = threads;
  inference::Posterior posterior(spec, model, d.data.clone(), free);
  // Precondition the white noise by its linear-theory posterior width at the prior's centre.
  sim::CosmologyParams centre = spec.cosmology;
  for (const auto& p : priors) sim::param(centre, p.param) = 0.5 * (p.lo + p.hi);
  inference::FieldTarget target(posterior, priors,
                                s.get_bool("precondition")
                                    ? inference::linear_posterior_scale(spec, model, centre)
                                    : std::vector<double>{});
  const inference::GradLogDensity log_density =
      [&](const std::vector<double>& q, std::vector<double>* g) { return target(q, g); };
  const auto white_noise = [&](const std::vector<double>& q) {
    std::vector<double> x = target.to_constrained(q);
    x.resize(cells);
    return x;
  };
  const auto summarise = [&](const std::vector<double>& w, std::vector<double>& v) {
    probe.append(w, v);
    double sq = 0;
    for (std::size_t i = 0; i < cells; ++i) sq += w[i] * w[i];
    v.push_back(std::sqrt(sq / static_cast<double>(cells)));
  };
  const inference::ChainObserver observe = [&](const std::vector<double>& q) {
    std::vector<double> v = target.parameters(q);
    summarise(white_noise(q), v);
    return v;
  };
  const auto checkpoint = [&](int c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "chain_%03d.h5", c);
    return (fs::path(out) / buf).string();
  };
  for (int c = world.rank(); c < chains; c += world.size()) {
    inference::HmcOptions o = hmc;
    o.chain = c;
    inference::ChainOptions co;
    co.checkpoint = checkpoint(c);
    co.checkpoint_every = every;
    co.identity = identity.str();
    co.field_values = white_noise;
    if (progress) {
      co.on_iteration = [&, c](const inference::HmcTransition& t, const inference::ChainRun& r) {
        if ((t.iteration + 1) % 10 != 0) return;
        std::fprintf(stderr,
                     "sample: [rank %d] chain %d iteration %d/%d%s: step %.3g, %d leapfrog, "
                     "accept %.2f, log p %.1f, %.1f s\n",
                     world.rank(), c, t.iteration + 1, hmc.warmup + hmc.samples,
                     t.warmup ? " (warm-up)" : "", t.step_size, t.leapfrog_steps, t.accept_stat,
                     t.log_density, r.seconds);
      };
    }
    const std::vector<double> q0 = chain_start(target, cells, hmc.seed, c);
    inference::run_chain(log_density, q0, o, observe, co);
  }
  world.barrier();
  if (world.rank() != 0) return 0;

  SampleResult r;
  for (int c = 0; c < chains; ++c) {
    r.chains.push_back(inference::read_chain_checkpoint(checkpoint(c), identity.str()));
  }
  r.warmup = hmc.warmup;
  r.particles = n;
  r.box_size = spec.box_size;
  r.parameters = priors.size();
  for (const auto& p : priors) r.quantity_names.push_back(sim::cosmo_param_name(p.param));
  for (const std::string& name : probe.names()) r.quantity_names.push_back(name);
  r.quantity_names.push_back("w_rms");
  // The truth: the data set's cosmology and, when written, its white noise.
  for (const auto& p : priors) r.truth.push_back(sim::param(spec.cosmology, p.param));
  if (d.truth) {
    summarise(inference::field_values(*d.truth), r.truth);
  } else {
    r.truth.resize(r.quantity_names.size(), std::nan(""));
  }
  r.title = "cosmograd sample (" + std::string(inference::hmc_algorithm_name(hmc.algorithm)) +
            ", " + std::to_string(n) + "^3, " + s.get_string("data") + ")";
  write_sample_outputs(out, r);
  std::printf("%s", sample_diagnostics_markdown(r).c_str());
  std::printf(
      "cosmograd sample: wrote samples.h5, white_noise_mean.h5, white_noise_std.h5, "
      "diagnostics.md, trace.png%s in %s\n",
      priors.empty() ? "" : ", corner.png", out.c_str());
  return 0;
}

}  // namespace cosmograd::apps
