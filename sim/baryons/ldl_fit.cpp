// L-BFGS fit of the LDL parameters (see ldl_fit.hpp).
#include "sim/baryons/ldl_fit.hpp"

#include <LBFGS.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

namespace cosmograd::sim {

namespace {

/// One evaluator per box.
std::vector<LdlEvaluator> evaluators(const std::vector<Particles<double>>& boxes, int threads) {
  std::vector<LdlEvaluator> e;
  for (const Particles<double>& p : boxes) e.emplace_back(p, threads);
  return e;
}

/// Mean loss (and gradient in the model's parameters) over the boxes.
double mean_loss(const LdlModel& model, std::vector<LdlEvaluator>& boxes,
                 const std::vector<Field<double>>& targets, const LdlFitOptions& o,
                 std::vector<double>* grad) {
  double total = 0;
  if (grad) grad->assign(static_cast<std::size_t>(model.num_parameters()), 0.0);
  std::vector<double> g;
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    total += boxes[b].loss_gradient(model, targets[b], o.loss, grad ? &g : nullptr);
    if (grad) {
      for (std::size_t i = 0; i < g.size(); ++i) (*grad)[i] += g[i];
    }
  }
  const double scale = 1.0 / static_cast<double>(boxes.size());
  if (grad) {
    for (double& v : *grad) v *= scale;
  }
  return total * scale;
}

/// Whether parameter i of a model is a filter scale k_l or k_h (fitted in log).
bool is_log_parameter(const LdlModel& m, std::size_t i) {
  const std::size_t in_layers = 5 * m.layers.size();
  return i < in_layers && (i % 5 == 2 || i % 5 == 3);
}

/// Typical sizes of the parameters, so that L-BFGS's variables are all of order one: alpha
/// by the largest starting |alpha|, b1 and b0 by the targets' rms, the rest (k_l, k_h in
/// log, gamma, n, mu) by one.
std::vector<double> parameter_scales(const LdlModel& start,
                                     const std::vector<Field<double>>& targets) {
  double alpha = 0;
  for (const LdlLayer& l : start.layers) alpha = std::max(alpha, std::abs(l.alpha));
  double ss = 0, cells = 0;
  for (const Field<double>& t : targets) {
    const int n = t.n();
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z) ss += t.at(x, y, z) * t.at(x, y, z), cells += 1;
      }
    }
  }
  const double rms = cells > 0 && ss > 0 ? std::sqrt(ss / cells) : 1.0;
  std::vector<double> scale(static_cast<std::size_t>(start.num_parameters()), 1.0);
  for (std::size_t j = 0; j < start.layers.size(); ++j) scale[5 * j] = alpha > 0 ? alpha : 1.0;
  if (start.output) scale[5 * start.layers.size()] = scale[5 * start.layers.size() + 1] = rms;
  return scale;
}

/// The fit's objective in the variables u (k_l, k_h as logarithms, every parameter divided by
/// its scale), remembering the best point.
class Objective {
 public:
  Objective(const LdlModel& start, std::vector<LdlEvaluator>& boxes,
            const std::vector<Field<double>>& targets, const LdlFitOptions& o)
      : model_(start),
        boxes_(boxes),
        targets_(targets),
        o_(o),
        scale_(parameter_scales(start, targets)),
        best_(start) {}

  double operator()(const Eigen::VectorXd& u, Eigen::VectorXd& grad) {
    std::vector<double> theta(static_cast<std::size_t>(u.size()));
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double v = u[Eigen::Index(i)] * scale_[i];
      theta[i] = is_log_parameter(model_, i) ? std::exp(v) : v;
    }
    LdlModel m = model_;
    std::vector<double> g;
    double value = std::numeric_limits<double>::infinity();
    try {
      m.set_parameters(theta);
      value = mean_loss(m, boxes_, targets_, o_, &g);
    } catch (const std::invalid_argument&) {
      g.assign(theta.size(), 0.0);  // e.g. an overflowing filter: reject the point
    }
    if (!std::isfinite(value)) {
      grad.setZero();
      return std::numeric_limits<double>::max();
    }
    for (std::size_t i = 0; i < g.size(); ++i) {
      grad[Eigen::Index(i)] = (is_log_parameter(model_, i) ? g[i] * theta[i] : g[i]) * scale_[i];
    }
    ++evaluations_;
    if (value < best_value_) {
      best_value_ = value;
      best_ = m;
    }
    if (o_.verbose) std::fprintf(stderr, "ldl fit: evaluation %d loss %.6g\n", evaluations_, value);
    return value;
  }

  Eigen::VectorXd start() const {
    const std::vector<double> theta = model_.parameters();
    Eigen::VectorXd u(Eigen::Index(theta.size()));
    for (std::size_t i = 0; i < theta.size(); ++i) {
      u[Eigen::Index(i)] =
          (is_log_parameter(model_, i) ? std::log(theta[i]) : theta[i]) / scale_[i];
    }
    return u;
  }
  const LdlModel& best() const { return best_; }
  double best_value() const { return best_value_; }
  int evaluations() const { return evaluations_; }

 private:
  LdlModel model_;
  std::vector<LdlEvaluator>& boxes_;
  const std::vector<Field<double>>& targets_;
  const LdlFitOptions& o_;
  std::vector<double> scale_;
  LdlModel best_;
  double best_value_ = std::numeric_limits<double>::infinity();
  int evaluations_ = 0;
};

void check_inputs(int mesh, const std::vector<Particles<double>>& boxes,
                  const std::vector<Field<double>>& targets) {
  if (boxes.empty() || boxes.size() != targets.size()) {
    throw std::invalid_argument("LDL fit: " + std::to_string(boxes.size()) + " particle sets and " +
                                std::to_string(targets.size()) +
                                " targets; need the same number, at least one");
  }
  for (const Field<double>& t : targets) {
    if (t.n() != mesh) {
      throw std::invalid_argument("LDL fit: a target has mesh " + std::to_string(t.n()) +
                                  ", the model " + std::to_string(mesh));
    }
  }
}

/// Least-squares output layer b1 (rho + eps)^mu + b0 of targets against the density: mu = 1
/// (linear) or the log-space power law (b0 = 0); returns the better under the loss.
LdlOutput fit_output(const LdlModel& base, const std::vector<Particles<double>>& boxes,
                     std::vector<LdlEvaluator>& evals, const std::vector<Field<double>>& targets,
                     const LdlFitOptions& o) {
  double sr = 0, st = 0, srr = 0, srt = 0, cnt = 0;
  double lr = 0, lt = 0, lrr = 0, lrt = 0, lcnt = 0;
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    const Field<double> rho = ldl_density(boxes[b], base.mesh);
    const int n = base.mesh;
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z) {
          const double r = rho.at(x, y, z), t = targets[b].at(x, y, z);
          sr += r, st += t, srr += r * r, srt += r * t, cnt += 1;
          if (t > 0) {
            const double a = std::log(r + kLdlEps), c = std::log(t);
            lr += a, lt += c, lrr += a * a, lrt += a * c, lcnt += 1;
          }
        }
      }
    }
  }
  LdlOutput linear{1, 0, 1};
  const double var = srr / cnt - (sr / cnt) * (sr / cnt);
  if (var > 0) {
    linear.b1 = (srt / cnt - sr / cnt * st / cnt) / var;
    linear.b0 = st / cnt - linear.b1 * sr / cnt;
  }
  LdlOutput power = linear;
  const double lvar = lcnt > 1 ? lrr / lcnt - (lr / lcnt) * (lr / lcnt) : 0;
  if (lvar > 0) {
    power.mu = (lrt / lcnt - lr / lcnt * lt / lcnt) / lvar;
    power.b1 = std::exp(lt / lcnt - power.mu * lr / lcnt);
    power.b0 = 0;
  }
  LdlModel a = base, c = base;
  a.out = linear;
  c.out = power;
  return mean_loss(a, evals, targets, o, nullptr) <= mean_loss(c, evals, targets, o, nullptr)
             ? linear
             : power;
}

}  // namespace

LdlModel ldl_initial_model(int mesh, int layers, bool output,
                           const std::vector<Particles<double>>& boxes,
                           const std::vector<Field<double>>& targets,
                           const LdlFitOptions& options) {
  check_inputs(mesh, boxes, targets);
  if (layers < 0) {
    throw std::invalid_argument("LDL layers = " + std::to_string(layers) + ": must be >= 0");
  }
  const double box = boxes.front().box_size;
  const double kf = 2 * M_PI / box, cell = box / mesh;
  LdlModel model;
  model.mesh = mesh;
  model.output = output;
  model.layers.assign(static_cast<std::size_t>(layers),
                      LdlLayer{0.0, 1.0, kf, 0.5 * kf * mesh / 2, -2.0});
  std::vector<LdlEvaluator> evals = evaluators(boxes, options.threads);
  if (output) model.out = fit_output(model, boxes, evals, targets, options);
  if (layers == 0) return model;
  // The rms move of the first layer with alpha = 1 sets the scale of the alpha scan.
  LdlModel unit = model;
  unit.layers.resize(1);
  unit.layers[0].alpha = 1;
  const Particles<double> moved = ldl_displace(unit, boxes.front(), options.threads);
  double ss = 0;
  for (std::size_t i = 0; i < moved.disp.size(); ++i) {
    ss += std::pow(moved.disp[i] - boxes.front().disp[i], 2);
  }
  const double rms = std::sqrt(ss / static_cast<double>(moved.disp.size()));
  if (!(rms > 0)) return model;
  std::vector<LdlEvaluator> first;
  first.push_back(std::move(evals.front()));
  std::vector<Field<double>> first_target;
  first_target.push_back(targets.front().clone());
  double best = mean_loss(model, first, first_target, options, nullptr);
  double best_alpha = 0;
  for (const double moves : {-0.3, -0.1, -0.03, 0.03, 0.1, 0.3}) {
    LdlModel trial = model;
    trial.layers[0].alpha = moves * cell / rms;
    const double v = mean_loss(trial, first, first_target, options, nullptr);
    if (v < best) best = v, best_alpha = trial.layers[0].alpha;
  }
  model.layers[0].alpha = best_alpha;
  return model;
}

LdlFitResult fit_ldl(const LdlModel& start, const std::vector<Particles<double>>& boxes,
                     const std::vector<Field<double>>& targets, const LdlFitOptions& options) {
  start.validate();
  check_inputs(start.mesh, boxes, targets);
  if (options.max_iterations < 1) {
    throw std::invalid_argument(
        "LDL fit max_iterations = " + std::to_string(options.max_iterations) + ": must be >= 1");
  }
  const auto t0 = std::chrono::steady_clock::now();
  LdlFitResult result;
  std::vector<LdlEvaluator> evals = evaluators(boxes, options.threads);
  result.initial_loss = mean_loss(start, evals, targets, options, nullptr);
  Objective objective(start, evals, targets, options);
  LBFGSpp::LBFGSParam<double> param;
  param.max_iterations = options.max_iterations;
  param.epsilon = 1e-6;
  param.past = 3;
  param.delta = 1e-5;
  LBFGSpp::LBFGSSolver<double> solver(param);
  Eigen::VectorXd u = objective.start();
  double fx = 0;
  try {
    result.iterations = solver.minimize(objective, u, fx);
  } catch (const std::exception& e) {
    // A failed line search ends the fit at the best point seen so far.
    if (options.verbose) std::fprintf(stderr, "ldl fit: stopped: %s\n", e.what());
    result.iterations = -1;
  }
  result.model = objective.evaluations() > 0 && objective.best_value() < result.initial_loss
                     ? objective.best()
                     : start;
  result.final_loss = std::min(objective.best_value(), result.initial_loss);
  result.evaluations = objective.evaluations();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace cosmograd::sim
