// Hamiltonian Monte Carlo (Duane et al. 1987; Neal 2011, "MCMC using Hamiltonian dynamics") on a
// differentiable log density: the leapfrog integrator with a diagonal mass matrix, either a
// fixed integration time or the No-U-Turn sampler with multinomial sampling and the generalised
// turning criterion (Hoffman & Gelman 2014, JMLR 15, 1593; Betancourt 2017, arXiv:1701.02434),
// the step size by dual averaging (Hoffman & Gelman 2014, alg. 5) and the mass adapted in Stan's
// warm-up windows (Stan Reference Manual, "HMC algorithm parameters"). Every iteration draws
// from its own random stream (seed, chain, iteration), so a chain resumed from a saved HmcState
// repeats the uninterrupted chain bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace cosmograd::inference {

/// log pi(q) of the sampler's unconstrained variables, up to a constant; when `grad` is not null
/// it is resized and filled with d log pi / dq. Outside the support: -inf or NaN (a divergence).
using GradLogDensity =
    std::function<double(const std::vector<double>& q, std::vector<double>* grad)>;

/// How the trajectory length is chosen.
enum class HmcAlgorithm {
  nuts,        ///< No-U-Turn: doubled until the generalised criterion stops it
  static_hmc,  ///< a fixed integration time, Metropolis on the end point
};

/// "nuts" or "hmc".
const char* hmc_algorithm_name(HmcAlgorithm a);
/// The algorithm named `name`; throws std::invalid_argument naming `field` and the allowed names.
HmcAlgorithm parse_hmc_algorithm(const std::string& name, const std::string& field = "algorithm");

/// How HmcSampler runs.
struct HmcOptions {
  HmcAlgorithm algorithm = HmcAlgorithm::nuts;  ///< trajectory length rule
  int warmup = 200;                ///< warm-up iterations (step size and mass adaptation), >= 0
  int samples = 500;               ///< kept iterations after warm-up, >= 1
  double step_size = 0;            ///< first leapfrog step; 0: Hoffman & Gelman's alg. 4 from 1
  double target_accept = 0.8;      ///< dual averaging's target acceptance statistic, (0, 1)
  double trajectory_length = 2;    ///< static HMC: integration time (unit-mass units), > 0
  int max_tree_depth = 8;          ///< at most 2^depth leapfrog steps an iteration, 1..16
  std::size_t adapt_from = 0;      ///< variables >= this index get an adapted mass, others 1
  bool adapt_mass = true;          ///< false: unit mass for every variable
  double max_energy_error = 1000;  ///< H - H0 above this ends a trajectory as divergent
  std::uint64_t seed = 1;          ///< random seed
  int chain = 0;                   ///< chain number (its own random streams), >= 0

  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// What one iteration did.
struct HmcTransition {
  int iteration = 0;       ///< 0-based, warm-up included
  bool warmup = false;     ///< a warm-up iteration
  double log_density = 0;  ///< log pi at the new position
  double accept_stat =
      0;                 ///< NUTS: mean Metropolis probability over the tree; static: min(1, e^-dH)
  double step_size = 0;  ///< the step it used
  int leapfrog_steps = 0;  ///< gradient evaluations it made
  int tree_depth = 0;      ///< NUTS tree depth (static: 0)
  bool divergent = false;  ///< the energy error passed max_energy_error
  double energy = 0;       ///< the Hamiltonian -log pi + K at the new position (for E-BFMI)
};

/// Everything a chain carries from one iteration to the next (a checkpoint).
struct HmcState {
  int iteration = 0;                ///< iterations done
  std::vector<double> q;            ///< position
  double log_density = 0;           ///< log pi(q)
  std::vector<double> grad;         ///< d log pi / dq at q
  std::vector<double> inv_mass;     ///< diagonal of the inverse mass matrix
  double step_size = 0;             ///< current step
  double da_mu = 0;                 ///< dual averaging: shrinkage target log(10 eps0)
  double da_log_step_bar = 0;       ///< dual averaging: the averaged log step
  double da_h_bar = 0;              ///< dual averaging: the averaged acceptance error
  int da_count = 0;                 ///< dual averaging: iterations since its restart
  int window_count = 0;             ///< mass adaptation: draws in the current window
  std::vector<double> window_mean;  ///< mass adaptation: running mean of the adapted variables
  std::vector<double> window_m2;    ///< mass adaptation: running sum of squared deviations
  std::int64_t gradient_evaluations = 0;  ///< since the start, step-size searches included
};

/// Stan's warm-up windows for `warmup` iterations: the iterations that end a slow window (mass
/// updated after them) and the first and last iteration of the slow phase [begin, end). Empty
/// windows when warmup < 20 (step size only).
struct WarmupSchedule {
  int slow_begin = 0;            ///< first iteration whose draw enters the mass estimate
  int slow_end = 0;              ///< one past the last
  std::vector<int> window_ends;  ///< last iteration of each slow window
};
/// The schedule of `warmup` iterations: 75 / windows of 25, doubling / 50 (Stan); when warmup <
/// 150, 15% / two windows (a third of the slow phase, then the rest) / 10%.
WarmupSchedule warmup_schedule(int warmup);

/// One HMC chain.
class HmcSampler {
 public:
  /// Starts at q0: evaluates log pi there and, when options.step_size = 0, finds the first step.
  /// Throws std::invalid_argument for bad options or a non-finite log density or gradient at q0.
  HmcSampler(GradLogDensity target, std::vector<double> q0, const HmcOptions& options);
  /// Resumes from `state` (the options of the run that saved it). Throws std::invalid_argument
  /// when the state does not fit the options.
  HmcSampler(GradLogDensity target, HmcState state, const HmcOptions& options);

  /// One iteration (warm-up adaptation included).
  HmcTransition iterate();
  /// True after warmup + samples iterations.
  bool done() const { return state_.iteration >= options_.warmup + options_.samples; }
  /// The state after the last iteration.
  const HmcState& state() const { return state_; }
  /// The options.
  const HmcOptions& options() const { return options_; }

 private:
  struct Point;
  struct Tree;
  double hamiltonian(const Point& z) const;
  void leapfrog(Point& z, double eps);
  bool build_tree(int depth, Point& z, Point& z_propose, std::vector<double>& p_sharp_beg,
                  std::vector<double>& p_sharp_end, std::vector<double>& rho,
                  std::vector<double>& p_beg, std::vector<double>& p_end, double h0, double eps,
                  Tree& tree, double& log_sum_weight);
  HmcTransition transition_nuts(double eps);
  HmcTransition transition_static(double eps);
  double find_step_size(double eps);
  void draw_momentum(Point& z);
  void seed_stream(std::uint64_t iteration, std::uint64_t purpose);
  void adapt(const HmcTransition& t);
  void restart_dual_averaging();

  GradLogDensity target_;
  HmcOptions options_;
  HmcState state_;
  WarmupSchedule schedule_;
  std::mt19937_64 rng_;  ///< this iteration's stream
};

}  // namespace cosmograd::inference
