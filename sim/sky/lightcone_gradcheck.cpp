#include "sim/sky/lightcone_gradcheck.hpp"

#include <random>
#include <stdexcept>

#include "sim/sky/born.hpp"

namespace cosmograd::sim {

template <class T>
double flat_kappa_loss(DifferentiableSim<T>& sim, Lightcone<T>& lc, const SourceDistribution& src,
                       const std::vector<double>& kappa0, const Field<T>& w,
                       SimGradients<T>* gradients) {
  const CosmologyParams& prm = sim.cosmology();
  const Cosmology cosmo(prm);
  const CosmologyDual dual(seed_duals(prm));
  lc.bind(cosmo, &dual, sim.schedule());
  sim.forward(w, {&lc});
  const std::vector<CosmoDual> wd = born_weights(dual, src, lc.shell_edges());
  std::vector<double> weights, mean;
  for (std::size_t s = 0; s < wd.size(); ++s) {
    weights.push_back(wd[s].v);
    mean.push_back(lc.mean_particles_per_sr(static_cast<int>(s)));
  }
  FlatMap residual = born_kappa(lc.flat_shells(), mean, weights);
  if (kappa0.size() != residual.values.size()) {
    throw std::invalid_argument("flat_kappa_loss: kappa_0 has " + std::to_string(kappa0.size()) +
                                " pixels (allowed: " + std::to_string(residual.values.size()) +
                                ")");
  }
  double J = 0;
  for (std::size_t i = 0; i < residual.values.size(); ++i) {
    residual.values[i] -= kappa0[i];
    J += 0.5 * residual.values[i] * residual.values[i];
  }
  if (gradients != nullptr) {
    std::vector<double> weights_cot;
    lc.set_flat_cotangent(born_kappa_vjp(residual, lc.flat_shells(), mean, weights, &weights_cot));
    const std::size_t m = 3 * sim.final_state().size();
    *gradients = sim.backward({std::vector<T>(m, T(0)), std::vector<T>(m, T(0))}, {}, {&lc});
    lc.set_flat_cotangent({});
    // The Born weights' own dependence on the cosmology.
    for (std::size_t s = 0; s < wd.size(); ++s) {
      for (int i = 0; i < kNumCosmoParams; ++i)
        gradients->cosmology[i] += weights_cot[s] * wd[s].d[i];
    }
  }
  return J;
}

template <class T>
GradcheckReport lightcone_gradient_check(const SimSpec& c, const LightconeSpec& lc,
                                         const SourceDistribution& src, GradientMode mode,
                                         int directions, double eps_noise, double eps_param,
                                         std::uint32_t seed) {
  if (!(lc.flat_field_deg > 0)) {
    throw std::invalid_argument(
        "the lightcone gradient check needs a flat field (allowed: lightcone_field_deg > 0)");
  }
  std::mt19937 rng(seed + 2);
  std::normal_distribution<double> gauss(0.0, 0.01);
  std::vector<double> kappa0(static_cast<std::size_t>(lc.flat_pixels) * lc.flat_pixels);
  for (double& k : kappa0) k = gauss(rng);
  Lightcone<double> ref(lc, c.box_size, c.particles);
  Lightcone<T> mine(lc, c.box_size, c.particles);
  const ObjectiveValue value = [&](DifferentiableSim<double>& sim, const Field<double>& w) {
    return flat_kappa_loss(sim, ref, src, kappa0, w);
  };
  const ObjectiveGradient<T> gradient = [&](DifferentiableSim<T>& sim, const Field<T>& w) {
    SimGradients<T> out{Field<T>(w.decomp()), {}};
    flat_kappa_loss(sim, mine, src, kappa0, w, &out);
    return out;
  };
  return gradient_check<T>(c, mode, directions, eps_noise, eps_param, seed, value, gradient);
}

template double flat_kappa_loss<float>(DifferentiableSim<float>&, Lightcone<float>&,
                                       const SourceDistribution&, const std::vector<double>&,
                                       const Field<float>&, SimGradients<float>*);
template double flat_kappa_loss<double>(DifferentiableSim<double>&, Lightcone<double>&,
                                        const SourceDistribution&, const std::vector<double>&,
                                        const Field<double>&, SimGradients<double>*);
template GradcheckReport lightcone_gradient_check<float>(const SimSpec&, const LightconeSpec&,
                                                         const SourceDistribution&, GradientMode,
                                                         int, double, double, std::uint32_t);
template GradcheckReport lightcone_gradient_check<double>(const SimSpec&, const LightconeSpec&,
                                                          const SourceDistribution&, GradientMode,
                                                          int, double, double, std::uint32_t);

}  // namespace cosmograd::sim
