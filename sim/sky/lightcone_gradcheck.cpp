#include "sim/sky/lightcone_gradcheck.hpp"

#include <random>
#include <stdexcept>

#include "sim/sky/born.hpp"

namespace cosmograd::sim {
namespace {

/// Adds (kappa - kappa_0)^2 / 2 of `shells` to J; with `shells_cot`, sets dJ/d(shells) there
/// and adds dJ/d(weights) to weights_cot.
template <class Map>
double map_loss(const std::vector<Map>& shells, const std::vector<double>& mean,
                const std::vector<double>& weights, const std::vector<double>& kappa0,
                std::vector<Map>* shells_cot, std::vector<double>& weights_cot) {
  if (shells.empty()) return 0;
  Map residual = born_kappa(shells, mean, weights);
  if (kappa0.size() != residual.values.size()) {
    throw std::invalid_argument("kappa_loss: kappa_0 has " + std::to_string(kappa0.size()) +
                                " pixels (allowed: " + std::to_string(residual.values.size()) +
                                ")");
  }
  double J = 0;
  for (std::size_t i = 0; i < residual.values.size(); ++i) {
    residual.values[i] -= kappa0[i];
    J += 0.5 * residual.values[i] * residual.values[i];
  }
  if (shells_cot != nullptr) {
    std::vector<double> wc;
    *shells_cot = born_kappa_vjp(residual, shells, mean, weights, &wc);
    for (std::size_t s = 0; s < wc.size(); ++s) weights_cot[s] += wc[s];
  }
  return J;
}

}  // namespace

template <class T>
double kappa_loss(DifferentiableSim<T>& sim, Lightcone<T>& lc, const SourceDistribution& src,
                  const KappaTargets& kappa0, const Field<T>& w, SimGradients<T>* gradients) {
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
  std::vector<double> weights_cot(wd.size(), 0.0);
  std::vector<FlatMap> flat_cot;
  std::vector<HealpixMap> healpix_cot;
  const bool grad = gradients != nullptr;
  const double J = map_loss(lc.flat_shells(), mean, weights, kappa0.flat,
                            grad ? &flat_cot : nullptr, weights_cot) +
                   map_loss(lc.healpix_shells(), mean, weights, kappa0.healpix,
                            grad ? &healpix_cot : nullptr, weights_cot);
  if (grad) {
    lc.set_flat_cotangent(std::move(flat_cot));
    lc.set_healpix_cotangent(std::move(healpix_cot));
    const std::size_t m = 3 * sim.final_state().size();
    *gradients = sim.backward({std::vector<T>(m, T(0)), std::vector<T>(m, T(0))}, {}, {&lc});
    lc.set_flat_cotangent({});
    lc.set_healpix_cotangent({});
    // The Born weights' own dependence on the cosmology.
    for (std::size_t s = 0; s < wd.size(); ++s) {
      for (int i = 0; i < kNumCosmoParams; ++i) {
        gradients->cosmology[i] += weights_cot[s] * wd[s].d[i];
      }
    }
  }
  return J;
}

template <class T>
GradcheckReport lightcone_gradient_check(const SimSpec& c, const LightconeSpec& lc,
                                         const SourceDistribution& src, GradientMode mode,
                                         int directions, double eps_noise, double eps_param,
                                         std::uint32_t seed) {
  const bool flat = lc.flat_field_deg > 0, healpix = lc.nside > 0 && lc.healpix_bilinear;
  if (!flat && !healpix) {
    throw std::invalid_argument(
        "the lightcone gradient check needs differentiable maps (allowed: a flat field, "
        "lightcone_field_deg > 0, or HEALPix shells with bilinear deposits)");
  }
  std::mt19937 rng(seed + 2);
  std::normal_distribution<double> gauss(0.0, 0.01);
  KappaTargets kappa0;
  if (flat) kappa0.flat.resize(static_cast<std::size_t>(lc.flat_pixels) * lc.flat_pixels);
  if (healpix) kappa0.healpix.resize(12 * static_cast<std::size_t>(lc.nside) * lc.nside);
  for (double& k : kappa0.flat) k = gauss(rng);
  for (double& k : kappa0.healpix) k = gauss(rng);
  LightconeSpec spec = lc;
  if (!healpix) spec.nside = 0;  // nearest-pixel HEALPix maps have no gradient: left out
  Lightcone<double> ref(spec, c.box_size, c.particles);
  Lightcone<T> mine(spec, c.box_size, c.particles);
  const ObjectiveValue value = [&](DifferentiableSim<double>& sim, const Field<double>& w) {
    return kappa_loss(sim, ref, src, kappa0, w);
  };
  const ObjectiveGradient<T> gradient = [&](DifferentiableSim<T>& sim, const Field<T>& w) {
    SimGradients<T> out{Field<T>(w.decomp()), {}};
    kappa_loss(sim, mine, src, kappa0, w, &out);
    return out;
  };
  return gradient_check<T>(c, mode, directions, eps_noise, eps_param, seed, value, gradient);
}

template double kappa_loss<float>(DifferentiableSim<float>&, Lightcone<float>&,
                                  const SourceDistribution&, const KappaTargets&,
                                  const Field<float>&, SimGradients<float>*);
template double kappa_loss<double>(DifferentiableSim<double>&, Lightcone<double>&,
                                   const SourceDistribution&, const KappaTargets&,
                                   const Field<double>&, SimGradients<double>*);
template GradcheckReport lightcone_gradient_check<float>(const SimSpec&, const LightconeSpec&,
                                                         const SourceDistribution&, GradientMode,
                                                         int, double, double, std::uint32_t);
template GradcheckReport lightcone_gradient_check<double>(const SimSpec&, const LightconeSpec&,
                                                          const SourceDistribution&, GradientMode,
                                                          int, double, double, std::uint32_t);

}  // namespace cosmograd::sim
