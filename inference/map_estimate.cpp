// MAP reconstruction with L-BFGS or Adam, annealed over smoothing scales (see map_estimate.hpp).
#include "inference/map_estimate.hpp"

#if COSMOGRAD_HAVE_LBFGSPP
#include <LBFGS.h>

#include <Eigen/Core>
#endif
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/settings.hpp"

namespace cosmograd::inference {

namespace {

using Clock = std::chrono::steady_clock;

/// Evaluates the posterior, records the trace and remembers the best point of the stage.
class Recorder {
 public:
  Recorder(Posterior& posterior, const MapOptions& o, MapResult& result, Clock::time_point t0)
      : posterior_(posterior), options_(o), result_(result), t0_(t0) {}

  /// Starts a stage with smoothing radius R [Mpc/h].
  void stage(double smoothing) {
    smoothing_ = smoothing;
    best_ = std::numeric_limits<double>::infinity();
    stage_start_ = result_.trace.size();
  }
  /// Evaluations since the stage began.
  std::size_t stage_evaluations() const { return result_.trace.size() - stage_start_; }
  double operator()(const std::vector<double>& x, std::vector<double>& grad) {
    const double v = posterior_.evaluate(x, &grad, smoothing_);
    MapStep s;
    s.evaluation = static_cast<int>(result_.trace.size()) + 1;
    s.smoothing = smoothing_;
    s.loss = v;
    s.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    result_.trace.push_back(s);
    if (options_.verbose) {
      std::fprintf(stderr, "map %s: evaluation %d  R = %g Mpc/h  -ln p = %.6e  (%.1f s)\n",
                   map_method_name(options_.method), s.evaluation, smoothing_, v, s.seconds);
    }
    if (v < best_ && std::isfinite(v)) best_ = v, best_x_ = x;
    return v;
  }
  const std::vector<double>& best_x() const { return best_x_; }
  double best() const { return best_; }

 private:
  Posterior& posterior_;
  const MapOptions& options_;
  MapResult& result_;
  Clock::time_point t0_;
  double smoothing_ = 0;
  std::size_t stage_start_ = 0;
  double best_ = std::numeric_limits<double>::infinity();
  std::vector<double> best_x_;
};

#if COSMOGRAD_HAVE_LBFGSPP
/// LBFGSpp's functor over Eigen vectors.
struct EigenObjective {
  Recorder& recorder;
  std::vector<double> x, grad;
  double operator()(const Eigen::VectorXd& u, Eigen::VectorXd& g) {
    x.assign(u.data(), u.data() + u.size());
    const double v = recorder(x, grad);
    g = Eigen::Map<const Eigen::VectorXd>(grad.data(), static_cast<Eigen::Index>(grad.size()));
    return v;
  }
};

/// One L-BFGS stage of `iterations` iterations from x (updated to the best point seen), with
/// LBFGSpp's Nocedal-Wright line search (strong Wolfe conditions keep s.y > 0 on this
/// piecewise-smooth objective: CIC's kinks). A failed line search restarts L-BFGS from the best
/// point with an empty memory, counting that attempt's evaluations as its iterations (an upper
/// bound: LBFGSpp does not report them), until the iterations are spent or an attempt makes no
/// progress. Returns the iterations done; `restarts` counts the restarts.
int lbfgs_stage(Recorder& rec, std::vector<double>& x, int iterations, int& restarts) {
  LBFGSpp::LBFGSParam<double> param;
  param.m = 10;
  param.epsilon = 1e-10;  // run the iterations asked for, as the compared baselines do
  param.epsilon_rel = 1e-10;
  param.past = 0;
  param.max_linesearch = 30;
  param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  EigenObjective objective{rec, {}, {}};
  int done = 0;
  while (done < iterations) {
    param.max_iterations = iterations - done;
    LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchNocedalWright> solver(param);
    Eigen::VectorXd u =
        Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
    const std::size_t evaluations_before = rec.stage_evaluations();
    const double best_before = rec.best();
    double fx = 0;
    try {
      const int its = solver.minimize(objective, u, fx);
      done += its;
      if (!rec.best_x().empty()) x = rec.best_x();
      if (its < param.max_iterations) break;  // converged
    } catch (const std::exception& e) {
      const int spent = static_cast<int>(rec.stage_evaluations() - evaluations_before);
      done += std::max(1, spent);
      ++restarts;
      std::fprintf(stderr, "map lbfgs: line search failed after %d evaluations (%s); %s\n", spent,
                   e.what(),
                   rec.best() < best_before && done < iterations ? "restarting from the best point"
                                                                 : "stopping at the best point");
      if (!rec.best_x().empty()) x = rec.best_x();
      if (!(rec.best() < best_before)) break;
    }
  }
  return done;
}
#else
int lbfgs_stage(Recorder&, std::vector<double>&, int, int&) {
  throw std::invalid_argument(
      "method = lbfgs: this build has no LBFGSpp (Debian package liblbfgspp-dev); use adam");
}
#endif

/// One Adam stage (Kingma & Ba 2015, alg. 1; beta1 0.9, beta2 0.999, eps 1e-8) from x. Not
/// inlined: GCC 12 at -O3 reports a bogus -Wfree-nonheap-object on its vectors when it is.
[[gnu::noinline]] int adam_stage(Recorder& rec, std::vector<double>& x, int iterations, double lr) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<double> m(x.size(), 0.0), v(x.size(), 0.0), g;
  for (int t = 1; t <= iterations; ++t) {
    rec(x, g);
    const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
    for (std::size_t i = 0; i < x.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
    }
  }
  return iterations;
}

}  // namespace

const char* map_method_name(MapMethod m) { return m == MapMethod::lbfgs ? "lbfgs" : "adam"; }

MapResult map_estimate(Posterior& posterior, std::vector<double> x0, const MapOptions& options) {
  if (options.iterations < 1) {
    sim::bad_setting("iterations", std::to_string(options.iterations), "is not >= 1");
  }
  if (options.method == MapMethod::adam && !(options.learning_rate > 0)) {
    sim::bad_setting("learning_rate", sim::format_setting(options.learning_rate), "is not > 0");
  }
  for (double r : options.anneal) {
    if (!(r >= 0) || !std::isfinite(r)) {
      sim::bad_setting("anneal", sim::format_setting(r), "holds a radius that is not >= 0 [Mpc/h]");
    }
  }
  if (x0.size() != posterior.dimension()) {
    throw std::invalid_argument("map_estimate: start has " + std::to_string(x0.size()) +
                                " variables, the posterior " +
                                std::to_string(posterior.dimension()));
  }
  const std::vector<double> radii =
      options.anneal.empty() ? std::vector<double>{0.0} : options.anneal;
  const int stages = static_cast<int>(radii.size());
  if (options.iterations < stages) {
    sim::bad_setting("iterations", std::to_string(options.iterations),
                     "is fewer than the " + std::to_string(stages) + " annealing stages");
  }
  const auto t0 = Clock::now();
  MapResult result;
  Recorder rec(posterior, options, result, t0);
  std::vector<double> x = std::move(x0);
  for (int s = 0; s < stages; ++s) {
    const int its =
        options.iterations / stages + (s == stages - 1 ? options.iterations % stages : 0);
    rec.stage(radii[static_cast<std::size_t>(s)]);
    result.iterations += options.method == MapMethod::lbfgs
                             ? lbfgs_stage(rec, x, its, result.lbfgs_restarts)
                             : adam_stage(rec, x, its, options.learning_rate);
  }
  result.x = std::move(x);
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

}  // namespace cosmograd::inference
