// Hamiltonian Monte Carlo with NUTS or a static trajectory (see hmc.hpp). The tree building
// follows Stan's base_nuts (multinomial sampling, the generalised no-U-turn criterion checked
// across and between subtrees; Betancourt 2017, sec. A.4).
#include "inference/hmc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "inference/ensemble_mcmc.hpp"

namespace cosmograd::inference {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Dual averaging constants (Hoffman & Gelman 2014, sec. 3.2; Stan's defaults).
constexpr double kGamma = 0.05, kT0 = 10, kKappa = 0.75;

double log_sum_exp(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void add_to(std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
}

std::vector<double> sum(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> s = a;
  add_to(s, b);
  return s;
}

// The generalised no-U-turn criterion: both ends still move along rho (Betancourt 2017, eq. 14).
bool no_u_turn(const std::vector<double>& p_sharp_minus, const std::vector<double>& p_sharp_plus,
               const std::vector<double>& rho) {
  return dot(p_sharp_plus, rho) > 0 && dot(p_sharp_minus, rho) > 0;
}

void require(bool ok, const std::string& field, const std::string& value,
             const std::string& allowed) {
  if (!ok) throw std::invalid_argument("hmc: " + field + " = " + value + " " + allowed);
}

}  // namespace

struct HmcSampler::Point {
  std::vector<double> q, p, grad;
  double log_density = 0;
};

struct HmcSampler::Tree {
  int leapfrog_steps = 0;
  double sum_metro_prob = 0;
  bool divergent = false;
};

const char* hmc_algorithm_name(HmcAlgorithm a) { return a == HmcAlgorithm::nuts ? "nuts" : "hmc"; }

HmcAlgorithm parse_hmc_algorithm(const std::string& name, const std::string& field) {
  if (name == "nuts") return HmcAlgorithm::nuts;
  if (name == "hmc") return HmcAlgorithm::static_hmc;
  throw std::invalid_argument(field + " = '" + name + "' is not an algorithm (allowed: nuts, hmc)");
}

void HmcOptions::validate() const {
  require(warmup >= 0, "warmup", std::to_string(warmup), "must be >= 0");
  require(samples >= 1, "samples", std::to_string(samples), "must be >= 1");
  require(std::isfinite(step_size) && step_size >= 0, "step_size", std::to_string(step_size),
          "must be >= 0 (0: found automatically)");
  require(target_accept > 0 && target_accept < 1, "target_accept", std::to_string(target_accept),
          "must lie in (0, 1)");
  require(std::isfinite(trajectory_length) && trajectory_length > 0, "trajectory_length",
          std::to_string(trajectory_length), "must be > 0");
  require(max_tree_depth >= 1 && max_tree_depth <= 16, "max_tree_depth",
          std::to_string(max_tree_depth), "must lie in 1..16");
  require(max_energy_error > 0, "max_energy_error", std::to_string(max_energy_error),
          "must be > 0");
  require(chain >= 0, "chain", std::to_string(chain), "must be >= 0");
}

WarmupSchedule warmup_schedule(int warmup) {
  WarmupSchedule s;
  if (warmup < 20) return s;
  int init = 75, term = 50, base = 25;
  if (init + term + base > warmup) {
    // Stan scales to 15% / 75% / 10% with one slow window; two (1/3, then the rest) keep the
    // start's drift out of the last mass estimate.
    init = static_cast<int>(0.15 * warmup);
    term = static_cast<int>(0.1 * warmup);
    base = (warmup - init - term) / 3;
  }
  s.slow_begin = init;
  s.slow_end = warmup - term;
  int start = init, size = base;
  while (true) {
    int end = start + size;
    if (end + 2 * size > s.slow_end) end = s.slow_end;
    s.window_ends.push_back(end - 1);
    if (end == s.slow_end) break;
    start = end;
    size *= 2;
  }
  return s;
}

HmcSampler::HmcSampler(GradLogDensity target, std::vector<double> q0, const HmcOptions& options)
    : target_(std::move(target)), options_(options), schedule_(warmup_schedule(options.warmup)) {
  options_.validate();
  require(!q0.empty(), "q0", "[]", "must have at least one variable");
  require(options_.adapt_from <= q0.size(), "adapt_from", std::to_string(options_.adapt_from),
          "must be <= the number of variables " + std::to_string(q0.size()));
  state_.q = std::move(q0);
  state_.log_density = target_(state_.q, &state_.grad);
  state_.gradient_evaluations = 1;
  const bool finite_grad = std::all_of(state_.grad.begin(), state_.grad.end(),
                                       [](double g) { return std::isfinite(g); });
  if (!std::isfinite(state_.log_density) || !finite_grad || state_.grad.size() != state_.q.size()) {
    throw std::invalid_argument(
        "hmc: the log density or its gradient is not finite at the starting point");
  }
  state_.inv_mass.assign(state_.q.size(), 1.0);
  const std::size_t adapted = state_.q.size() - options_.adapt_from;
  state_.window_mean.assign(adapted, 0.0);
  state_.window_m2.assign(adapted, 0.0);
  seed_stream(0, 2);
  state_.step_size = options_.step_size > 0 ? options_.step_size : find_step_size(1.0);
  restart_dual_averaging();
}

HmcSampler::HmcSampler(GradLogDensity target, HmcState state, const HmcOptions& options)
    : target_(std::move(target)),
      options_(options),
      state_(std::move(state)),
      schedule_(warmup_schedule(options.warmup)) {
  options_.validate();
  const std::size_t n = state_.q.size();
  const std::size_t adapted = n - std::min(n, options_.adapt_from);
  if (n == 0 || state_.grad.size() != n || state_.inv_mass.size() != n ||
      state_.window_mean.size() != adapted || state_.window_m2.size() != adapted ||
      !(state_.step_size > 0) || state_.iteration < 0) {
    throw std::invalid_argument(
        "hmc: the saved chain state does not fit these options (variables, adaptation block or "
        "step size differ)");
  }
}

void HmcSampler::seed_stream(std::uint64_t iteration, std::uint64_t purpose) {
  const std::uint64_t c = static_cast<std::uint64_t>(options_.chain);
  std::seed_seq seq{static_cast<std::uint32_t>(options_.seed),
                    static_cast<std::uint32_t>(options_.seed >> 32),
                    static_cast<std::uint32_t>(c),
                    static_cast<std::uint32_t>(iteration),
                    static_cast<std::uint32_t>(iteration >> 32),
                    static_cast<std::uint32_t>(purpose)};
  rng_.seed(seq);
}

double HmcSampler::hamiltonian(const Point& z) const {
  if (!std::isfinite(z.log_density)) return kInf;
  double k = 0;
  for (std::size_t i = 0; i < z.p.size(); ++i) k += state_.inv_mass[i] * z.p[i] * z.p[i];
  const double h = -z.log_density + 0.5 * k;
  return std::isnan(h) ? kInf : h;
}

void HmcSampler::draw_momentum(Point& z) {
  z.p.resize(z.q.size());
  for (std::size_t i = 0; i < z.p.size(); ++i) {
    z.p[i] = standard_normal(rng_) / std::sqrt(state_.inv_mass[i]);
  }
}

void HmcSampler::leapfrog(Point& z, double eps) {
  const std::size_t n = z.q.size();
  for (std::size_t i = 0; i < n; ++i) z.p[i] += 0.5 * eps * z.grad[i];
  for (std::size_t i = 0; i < n; ++i) z.q[i] += eps * state_.inv_mass[i] * z.p[i];
  z.log_density = target_(z.q, &z.grad);
  ++state_.gradient_evaluations;
  if (std::isnan(z.log_density)) z.log_density = -kInf;
  for (std::size_t i = 0; i < n; ++i) z.p[i] += 0.5 * eps * z.grad[i];
}

double HmcSampler::find_step_size(double eps) {
  // Hoffman & Gelman 2014, alg. 4 (Stan's init_stepsize): double or halve eps until the
  // acceptance of one leapfrog step crosses 0.8.
  const double log_target = std::log(0.8);
  const auto delta_h = [&](double e) {
    Point z{state_.q, {}, state_.grad, state_.log_density};
    draw_momentum(z);
    const double h0 = hamiltonian(z);
    leapfrog(z, e);
    return h0 - hamiltonian(z);
  };
  const int direction = delta_h(eps) > log_target ? 1 : -1;
  for (int tries = 0; tries < 100; ++tries) {
    eps = direction == 1 ? 2 * eps : 0.5 * eps;
    if (eps > 1e7) {
      throw std::runtime_error("hmc: the step size search passed 1e7; the posterior is improper");
    }
    if (eps < 1e-12) {
      throw std::runtime_error(
          "hmc: the step size search fell below 1e-12; the log density or its gradient is not "
          "finite near the current point");
    }
    const double d = delta_h(eps);
    if (direction == 1 && !(d > log_target)) break;
    if (direction == -1 && d > log_target) break;
  }
  return eps;
}

void HmcSampler::restart_dual_averaging() {
  state_.da_mu = std::log(10 * state_.step_size);
  state_.da_log_step_bar = 0;
  state_.da_h_bar = 0;
  state_.da_count = 0;
}

bool HmcSampler::build_tree(int depth, Point& z, Point& z_propose, std::vector<double>& p_sharp_beg,
                            std::vector<double>& p_sharp_end, std::vector<double>& rho,
                            std::vector<double>& p_beg, std::vector<double>& p_end, double h0,
                            double eps, Tree& tree, double& log_sum_weight) {
  const std::size_t n = z.q.size();
  if (depth == 0) {
    leapfrog(z, eps);
    ++tree.leapfrog_steps;
    const double h = hamiltonian(z);
    if (h - h0 > options_.max_energy_error) tree.divergent = true;
    log_sum_weight = log_sum_exp(log_sum_weight, h0 - h);
    tree.sum_metro_prob += h0 - h > 0 ? 1 : std::exp(h0 - h);
    z_propose = z;
    p_sharp_beg.resize(n);
    for (std::size_t i = 0; i < n; ++i) p_sharp_beg[i] = state_.inv_mass[i] * z.p[i];
    p_sharp_end = p_sharp_beg;
    add_to(rho, z.p);
    p_beg = z.p;
    p_end = p_beg;
    return !tree.divergent;
  }
  // The first half, from the current end.
  double log_sum_weight_init = -kInf;
  std::vector<double> p_init_end, p_sharp_init_end, rho_init(n, 0.0);
  if (!build_tree(depth - 1, z, z_propose, p_sharp_beg, p_sharp_init_end, rho_init, p_beg,
                  p_init_end, h0, eps, tree, log_sum_weight_init)) {
    return false;
  }
  // The second half, continuing from where the first stopped.
  Point z_propose_final;
  double log_sum_weight_final = -kInf;
  std::vector<double> p_final_beg, p_sharp_final_beg, rho_final(n, 0.0);
  if (!build_tree(depth - 1, z, z_propose_final, p_sharp_final_beg, p_sharp_end, rho_final,
                  p_final_beg, p_end, h0, eps, tree, log_sum_weight_final)) {
    return false;
  }
  // Multinomial choice between the halves.
  const double log_sum_weight_subtree = log_sum_exp(log_sum_weight_init, log_sum_weight_final);
  log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
  if (uniform01(rng_) < std::exp(log_sum_weight_final - log_sum_weight_subtree)) {
    z_propose = std::move(z_propose_final);
  }
  const std::vector<double> rho_subtree = sum(rho_init, rho_final);
  add_to(rho, rho_subtree);
  // No U-turn across the merged subtree and between its halves.
  bool persist = no_u_turn(p_sharp_beg, p_sharp_end, rho_subtree);
  persist = persist && no_u_turn(p_sharp_beg, p_sharp_final_beg, sum(rho_init, p_final_beg));
  persist = persist && no_u_turn(p_sharp_init_end, p_sharp_end, sum(rho_final, p_init_end));
  return persist;
}

HmcTransition HmcSampler::transition_nuts(double eps) {
  const std::size_t n = state_.q.size();
  Point z{state_.q, {}, state_.grad, state_.log_density};
  draw_momentum(z);
  const double h0 = hamiltonian(z);
  std::vector<double> p_sharp(n);
  for (std::size_t i = 0; i < n; ++i) p_sharp[i] = state_.inv_mass[i] * z.p[i];
  std::vector<double> p_fwd_fwd = z.p, p_fwd_bck = z.p, p_bck_fwd = z.p, p_bck_bck = z.p;
  std::vector<double> p_sharp_fwd_fwd = p_sharp, p_sharp_fwd_bck = p_sharp;
  std::vector<double> p_sharp_bck_fwd = p_sharp, p_sharp_bck_bck = p_sharp;
  std::vector<double> rho = z.p;
  Point z_fwd = z, z_bck = z, z_sample = z, z_propose;
  double log_sum_weight = 0;  // the start's weight, e^{H0 - H0}
  Tree tree;
  int depth = 0;
  while (depth < options_.max_tree_depth) {
    std::vector<double> rho_fwd(n, 0.0), rho_bck(n, 0.0);
    double log_sum_weight_subtree = -kInf;
    bool valid = false;
    if (uniform01(rng_) > 0.5) {
      rho_bck = rho;
      p_bck_fwd = p_fwd_bck;
      p_sharp_bck_fwd = p_sharp_fwd_bck;
      valid = build_tree(depth, z_fwd, z_propose, p_sharp_fwd_bck, p_sharp_fwd_fwd, rho_fwd,
                         p_fwd_bck, p_fwd_fwd, h0, eps, tree, log_sum_weight_subtree);
    } else {
      rho_fwd = rho;
      p_fwd_bck = p_bck_fwd;
      p_sharp_fwd_bck = p_sharp_bck_fwd;
      valid = build_tree(depth, z_bck, z_propose, p_sharp_bck_fwd, p_sharp_bck_bck, rho_bck,
                         p_bck_fwd, p_bck_bck, h0, -eps, tree, log_sum_weight_subtree);
    }
    if (!valid) break;
    ++depth;
    if (log_sum_weight_subtree > log_sum_weight ||
        uniform01(rng_) < std::exp(log_sum_weight_subtree - log_sum_weight)) {
      z_sample = z_propose;
    }
    log_sum_weight = log_sum_exp(log_sum_weight, log_sum_weight_subtree);
    rho = sum(rho_bck, rho_fwd);
    bool persist = no_u_turn(p_sharp_bck_bck, p_sharp_fwd_fwd, rho);
    persist = persist && no_u_turn(p_sharp_bck_bck, p_sharp_fwd_bck, sum(rho_bck, p_fwd_bck));
    persist = persist && no_u_turn(p_sharp_bck_fwd, p_sharp_fwd_fwd, sum(rho_fwd, p_bck_fwd));
    if (!persist) break;
  }
  HmcTransition t;
  t.leapfrog_steps = tree.leapfrog_steps;
  t.tree_depth = depth;
  t.divergent = tree.divergent;
  t.accept_stat = tree.leapfrog_steps > 0 ? tree.sum_metro_prob / tree.leapfrog_steps : 0;
  t.energy = hamiltonian(z_sample);
  state_.q = std::move(z_sample.q);
  state_.grad = std::move(z_sample.grad);
  state_.log_density = z_sample.log_density;
  return t;
}

HmcTransition HmcSampler::transition_static(double eps) {
  Point z{state_.q, {}, state_.grad, state_.log_density};
  draw_momentum(z);
  const double h0 = hamiltonian(z);
  const double max_steps = std::ldexp(1.0, options_.max_tree_depth);
  const int steps =
      static_cast<int>(std::clamp(std::round(options_.trajectory_length / eps), 1.0, max_steps));
  HmcTransition t;
  double h = h0;
  for (int l = 0; l < steps; ++l) {
    leapfrog(z, eps);
    ++t.leapfrog_steps;
    h = hamiltonian(z);
    if (h - h0 > options_.max_energy_error) {
      t.divergent = true;
      break;
    }
  }
  t.accept_stat = t.divergent ? 0 : std::min(1.0, std::exp(h0 - h));
  if (!t.divergent && uniform01(rng_) < t.accept_stat) {
    t.energy = h;
    state_.q = std::move(z.q);
    state_.grad = std::move(z.grad);
    state_.log_density = z.log_density;
  } else {
    t.energy = h0;
  }
  return t;
}

void HmcSampler::adapt(const HmcTransition& t) {
  const int it = t.iteration;
  // Dual averaging of log eps towards the target acceptance (Hoffman & Gelman 2014, eq. 6).
  ++state_.da_count;
  const double m = state_.da_count;
  const double eta = 1 / (m + kT0);
  state_.da_h_bar = (1 - eta) * state_.da_h_bar + eta * (options_.target_accept - t.accept_stat);
  const double log_eps = state_.da_mu - std::sqrt(m) / kGamma * state_.da_h_bar;
  const double x = std::pow(m, -kKappa);
  state_.da_log_step_bar = x * log_eps + (1 - x) * state_.da_log_step_bar;
  state_.step_size = std::exp(log_eps);
  // The variance of the adapted block in the slow windows (Welford 1962).
  if (options_.adapt_mass && it >= schedule_.slow_begin && it < schedule_.slow_end) {
    const std::size_t off = options_.adapt_from;
    ++state_.window_count;
    for (std::size_t i = 0; i < state_.window_mean.size(); ++i) {
      const double d = state_.q[off + i] - state_.window_mean[i];
      state_.window_mean[i] += d / state_.window_count;
      state_.window_m2[i] += d * (state_.q[off + i] - state_.window_mean[i]);
    }
    if (std::find(schedule_.window_ends.begin(), schedule_.window_ends.end(), it) !=
        schedule_.window_ends.end()) {
      // Stan's regularised variance, shrunk towards 1e-3 with weight 5 / (n + 5).
      const double c = state_.window_count;
      for (std::size_t i = 0; i < state_.window_mean.size(); ++i) {
        const double var = c > 1 ? state_.window_m2[i] / (c - 1) : 1.0;
        state_.inv_mass[off + i] = c / (c + 5) * var + 1e-3 * 5 / (c + 5);
        state_.window_mean[i] = 0;
        state_.window_m2[i] = 0;
      }
      state_.window_count = 0;
      seed_stream(static_cast<std::uint64_t>(it), 1);
      state_.step_size = find_step_size(state_.step_size);
      restart_dual_averaging();
    }
  }
  if (it == options_.warmup - 1) state_.step_size = std::exp(state_.da_log_step_bar);
}

HmcTransition HmcSampler::iterate() {
  if (done()) throw std::logic_error("hmc: the chain has done all its iterations");
  const int it = state_.iteration;
  seed_stream(static_cast<std::uint64_t>(it), 0);
  const double eps = state_.step_size;
  HmcTransition t =
      options_.algorithm == HmcAlgorithm::nuts ? transition_nuts(eps) : transition_static(eps);
  t.iteration = it;
  t.warmup = it < options_.warmup;
  t.step_size = eps;
  t.log_density = state_.log_density;
  if (t.warmup) adapt(t);
  ++state_.iteration;
  return t;
}

}  // namespace cosmograd::inference
