#include "sim/pm/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace cosmograd::sim {
namespace {

template <class T>
double objective(const Particles<T>& p, const StateCotangent<T>& c) {
  double s = 0;
  for (std::size_t i = 0; i < p.disp.size(); ++i) {
    s += static_cast<double>(c.disp[i]) * p.disp[i] + static_cast<double>(c.mom[i]) * p.mom[i];
  }
  return s;
}

double relative_error(double fd, double an) {
  const double scale = std::max({std::abs(fd), std::abs(an), 1e-300});
  return std::abs(fd - an) / scale;
}

}  // namespace

double GradcheckReport::worst() const {
  double w = noise_error;
  for (double e : param_error) w = std::max(w, e);
  return w;
}

template <class T>
GradcheckReport gradient_check(const SimSpec& c, GradientMode mode, int directions,
                               double eps_noise, double eps_param, std::uint32_t seed,
                               const ObjectiveValue& value, const ObjectiveGradient<T>& gradient) {
  // The reference finite differences always run in double precision: in float they would
  // measure rounding noise, not the gradient.
  // One reusable reference engine: every finite difference reuses its plans and buffers.
  DifferentiableSim<double> ref(c, mode);
  const Field<double> w = ref.white_noise();
  const Decomposition& d = w.decomp();
  Field<T> w_t(d);
  for (int x = 0; x < d.nx_local(); ++x) {
    for (int y = 0; y < d.n(); ++y) {
      for (int z = 0; z < d.n(); ++z) w_t.at(x, y, z) = static_cast<T>(w.at(x, y, z));
    }
  }
  DifferentiableSim<T> sim(c, mode);
  const SimGradients<T> g = gradient(sim, w_t);
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss;

  auto j_of = [&](const SimSpec& cc, const Field<double>& wx) {
    ref.set_cosmology(cc.cosmology);
    return value(ref, wx);
  };
  GradcheckReport r;
  for (int k = 0; k < directions; ++k) {
    Field<double> plus = w.clone(), minus = w.clone();
    double along = 0;  // <dJ/dw, v>
    for (int x = 0; x < d.nx_local(); ++x) {
      for (int y = 0; y < d.n(); ++y) {
        for (int z = 0; z < d.n(); ++z) {
          const double v = gauss(rng);
          plus.at(x, y, z) += eps_noise * v;
          minus.at(x, y, z) -= eps_noise * v;
          along += v * g.noise.at(x, y, z);
        }
      }
    }
    const double fd = (j_of(c, plus) - j_of(c, minus)) / (2 * eps_noise);
    r.noise_error = std::max(r.noise_error, relative_error(fd, along));
  }
  for (int i = 0; i < kNumCosmoParams; ++i) {
    SimSpec up = c, down = c;
    const CosmoParam which = static_cast<CosmoParam>(i);
    const double h = eps_param * std::max(1.0, std::abs(param(up.cosmology, which)));
    param(up.cosmology, which) += h;
    param(down.cosmology, which) -= h;
    r.fd[i] = (j_of(up, w) - j_of(down, w)) / (2 * h);
    r.adjoint[i] = g.cosmology[i];
    r.param_error[i] = relative_error(r.fd[i], r.adjoint[i]);
  }
  return r;
}

template <class T>
GradcheckReport gradient_check(const SimSpec& c, GradientMode mode, int directions,
                               double eps_noise, double eps_param, std::uint32_t seed) {
  // J = a . disp + b . mom of the final state, a and b random (drawn from seed + 1).
  const std::size_t np = static_cast<std::size_t>(c.particles) * c.particles * c.particles;
  std::mt19937 rng(seed + 1);
  std::normal_distribution<double> gauss;
  StateCotangent<double> cot{std::vector<double>(3 * np), std::vector<double>(3 * np)};
  for (double& v : cot.disp) v = gauss(rng);
  for (double& v : cot.mom) v = gauss(rng);
  const ObjectiveValue value = [&](DifferentiableSim<double>& sim, const Field<double>& w) {
    return objective(sim.forward(w), cot);
  };
  const ObjectiveGradient<T> gradient = [&](DifferentiableSim<T>& sim, const Field<T>& w) {
    sim.forward(w);
    return sim.backward(StateCotangent<T>{std::vector<T>(cot.disp.begin(), cot.disp.end()),
                                          std::vector<T>(cot.mom.begin(), cot.mom.end())});
  };
  return gradient_check<T>(c, mode, directions, eps_noise, eps_param, seed, value, gradient);
}

template GradcheckReport gradient_check<float>(const SimSpec&, GradientMode, int, double, double,
                                               std::uint32_t);
template GradcheckReport gradient_check<float>(const SimSpec&, GradientMode, int, double, double,
                                               std::uint32_t, const ObjectiveValue&,
                                               const ObjectiveGradient<float>&);
template GradcheckReport gradient_check<double>(const SimSpec&, GradientMode, int, double, double,
                                                std::uint32_t, const ObjectiveValue&,
                                                const ObjectiveGradient<double>&);
template GradcheckReport gradient_check<double>(const SimSpec&, GradientMode, int, double, double,
                                                std::uint32_t);

}  // namespace cosmograd::sim
