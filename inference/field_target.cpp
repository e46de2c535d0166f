// The bounded-parameter transform of the field-level posterior (see field_target.hpp).
#include "inference/field_target.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"

namespace cosmograd::inference {
namespace {

// log(1 / (1 + e^{-u})), stable for either sign of u.
double log_sigmoid(double u) {
  return u >= 0 ? -std::log1p(std::exp(-u)) : u - std::log1p(std::exp(u));
}

double sigmoid(double u) {
  return u >= 0 ? 1 / (1 + std::exp(-u)) : std::exp(u) / (1 + std::exp(u));
}

}  // namespace

std::vector<double> linear_posterior_scale(const sim::SimSpec& spec, const DataModel& model,
                                           const sim::CosmologyParams& at) {
  const sim::Cosmology cosmology(at);
  sim::LinearPowerOptions options;
  options.table_path = spec.transfer.table_path;
  const auto linear = sim::make_linear_power<double>(spec.transfer.name, cosmology, options);
  const double a = spec.a_final();
  double observed = 1;
  if (!model.mask.empty()) {
    observed = 0;
    for (double m : model.mask) observed += m / static_cast<double>(model.mask.size());
  }
  const double bias = model.tracer == Tracer::halos ? model.bias_b1 : 1.0;
  const int n = spec.particles, m = model.mesh, nzc = n / 2 + 1;
  const double kf = 2 * M_PI / spec.box_size, dx = spec.box_size / m;
  const int support = sim::window(model.painter).support;
  const auto signed_index = [n](int i) { return i <= n / 2 ? i : i - n; };
  const auto sinc = [](double x) { return x == 0 ? 1.0 : std::sin(x) / x; };
  std::vector<double> s(static_cast<std::size_t>(n) * n * nzc, 1.0);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < nzc; ++z) {
        const int ix = signed_index(x), iy = signed_index(y);
        if (std::abs(ix) > m / 2 || std::abs(iy) > m / 2 || z > m / 2 || (ix | iy | z) == 0) {
          continue;
        }
        const double k = kf * std::sqrt(double(ix * ix + iy * iy + z * z));
        const double w = std::pow(
            sinc(kf * ix * dx / 2) * sinc(kf * iy * dx / 2) * sinc(kf * z * dx / 2), support);
        const double snr = observed * bias * bias * linear->power(k, a) * w * w / model.noise_power;
        s[(static_cast<std::size_t>(x) * n + y) * nzc + z] = 1 / std::sqrt(1 + snr);
      }
    }
  }
  return s;
}

FieldTarget::~FieldTarget() = default;

FieldTarget::FieldTarget(Posterior& posterior, std::vector<driver::ParameterRange> priors,
                         std::vector<double> scale)
    : posterior_(posterior), priors_(std::move(priors)), scale_(std::move(scale)) {
  const int n = posterior_.spec().particles;
  if (!scale_.empty()) {
    const std::size_t modes = static_cast<std::size_t>(n) * n * (n / 2 + 1);
    bool ok = scale_.size() == modes;
    for (std::size_t i = 0; ok && i < modes; ++i) ok = scale_[i] > 0;
    if (!ok) {
      throw std::invalid_argument("field target: the white-noise scale needs " +
                                  std::to_string(modes) + " values > 0, got " +
                                  std::to_string(scale_.size()));
    }
    fft_ = std::make_unique<sim::Fft<double>>(sim::Decomposition(n), 1, sim::FftPlanning::estimate);
  }
  const auto& free = posterior_.free_parameters();
  bool same = free.size() == priors_.size();
  for (std::size_t i = 0; same && i < free.size(); ++i) same = free[i] == priors_[i].param;
  if (!same) {
    throw std::invalid_argument(
        "field target: the priors must name the posterior's free parameters in their order");
  }
}

void FieldTarget::precondition(std::vector<double>& x, bool inverse) const {
  if (scale_.empty()) return;
  const int n = posterior_.spec().particles;
  sim::Field<double> f = noise_field(x, n);
  fft_->forward(f);
  const double norm = 1.0 / (static_cast<double>(n) * n * n);
  std::complex<double>* modes = f.complex();
  for (std::size_t i = 0; i < scale_.size(); ++i) {
    modes[i] *= (inverse ? 1 / scale_[i] : scale_[i]) * norm;
  }
  fft_->backward(f);
  const std::vector<double> w = field_values(f);
  std::copy(w.begin(), w.end(), x.begin());
}

std::vector<double> FieldTarget::to_constrained(const std::vector<double>& q) const {
  std::vector<double> x = q;
  precondition(x, false);
  const std::size_t off = posterior_.noise_cells();
  for (std::size_t i = 0; i < priors_.size(); ++i) {
    const auto& p = priors_[i];
    x[off + i] = p.lo + (p.hi - p.lo) * sigmoid(q[off + i]);
  }
  return x;
}

std::vector<double> FieldTarget::to_unconstrained(const std::vector<double>& x) const {
  std::vector<double> q = x;
  const std::size_t off = posterior_.noise_cells();
  for (std::size_t i = 0; i < priors_.size(); ++i) {
    const auto& p = priors_[i];
    const double t = x[off + i];
    if (!(t > p.lo && t < p.hi)) {
      throw std::invalid_argument(std::string(sim::cosmo_param_name(p.param)) + " = " +
                                  std::to_string(t) + " lies outside its prior (" +
                                  std::to_string(p.lo) + ", " + std::to_string(p.hi) + ")");
    }
    const double s = (t - p.lo) / (p.hi - p.lo);
    q[off + i] = std::log(s / (1 - s));
  }
  precondition(q, true);
  return q;
}

std::vector<double> FieldTarget::parameters(const std::vector<double>& q) const {
  const std::size_t off = posterior_.noise_cells();
  std::vector<double> theta;
  for (std::size_t i = 0; i < priors_.size(); ++i) {
    theta.push_back(priors_[i].lo + (priors_[i].hi - priors_[i].lo) * sigmoid(q[off + i]));
  }
  return theta;
}

double FieldTarget::operator()(const std::vector<double>& q, std::vector<double>* grad) {
  const std::size_t off = posterior_.noise_cells();
  x_ = to_constrained(q);
  double neg_log_p = 0;
  try {
    neg_log_p = posterior_.evaluate(x_, grad ? &grad_x_ : nullptr);
  } catch (const std::exception&) {
    // A cosmology the engine rejects (e.g. the growth ODE failing) is outside the support.
    if (grad) grad->assign(q.size(), 0.0);
    return -std::numeric_limits<double>::infinity();
  }
  double log_pi = -neg_log_p;
  for (std::size_t i = 0; i < priors_.size(); ++i) {
    const double u = q[off + i];
    log_pi += std::log(priors_[i].hi - priors_[i].lo) + log_sigmoid(u) + log_sigmoid(-u);
  }
  if (grad) {
    grad->resize(q.size());
    for (std::size_t i = 0; i < off; ++i) (*grad)[i] = -grad_x_[i];
    precondition(*grad, false);  // the operator is symmetric: d/dv = P^T d/dw = P d/dw
    for (std::size_t i = 0; i < priors_.size(); ++i) {
      const double s = sigmoid(q[off + i]);
      const double dtheta_du = (priors_[i].hi - priors_[i].lo) * s * (1 - s);
      (*grad)[off + i] = -grad_x_[off + i] * dtheta_du + (1 - 2 * s);
    }
  }
  return std::isfinite(log_pi) ? log_pi : -std::numeric_limits<double>::infinity();
}

}  // namespace cosmograd::inference
