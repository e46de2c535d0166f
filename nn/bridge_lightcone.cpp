#include "nn/bridge_lightcone.hpp"

#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nn/bridge.hpp"
#include "nn/detail/tensor_checks.hpp"
#include "sim/pm/adjoint.hpp"
#include "sim/sky/born.hpp"

namespace cosmograd::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// One lightcone run of precision T, kept by the autograd node until its backward: the
/// engine, the observer and the Born weights with their parameter derivatives.
template <class T>
struct KappaRun : torch::CustomClassHolder {
  KappaRun(const sim::SimSpec& c, const sim::LightconeSpec& s, sim::SourceDistribution source)
      : config(c), lc_spec(s), src(std::move(source)) {}

  sim::SimSpec config;
  sim::LightconeSpec lc_spec;
  sim::SourceDistribution src;
  std::unique_ptr<sim::DifferentiableSim<T>> engine;
  std::unique_ptr<sim::Lightcone<T>> lc;
  std::unique_ptr<sim::Cosmology> cosmo;
  std::unique_ptr<sim::CosmologyDual> dual;
  std::vector<sim::CosmoDual> weights_dual;  ///< Born weight of each shell, with d/dtheta
  std::vector<double> weights, mean;         ///< their values; mean particles per sr
  bool has_final_state = false;              ///< the engine holds this run's final state

  /// Runs the simulation with the lightcone subscribed, from w and the parameters `params`.
  void run(const torch::Tensor& white_noise, const sim::CosmologyParams& params) {
    sim::SimSpec c = config;
    c.cosmology = params;
    engine = std::make_unique<sim::DifferentiableSim<T>>(c);
    lc = std::make_unique<sim::Lightcone<T>>(lc_spec, c.box_size, c.particles);
    cosmo = std::make_unique<sim::Cosmology>(params);
    dual = std::make_unique<sim::CosmologyDual>(sim::seed_duals(params));
    lc->bind(*cosmo, dual.get(), engine->schedule());
    sim::Field<T> w(sim::Decomposition(c.particles));
    tensor_to_field<T>(white_noise, w);
    engine->forward(w, {lc.get()});
    weights_dual = sim::born_weights(*dual, src, lc->shell_edges());
    weights.clear();
    mean.clear();
    for (std::size_t s = 0; s < weights_dual.size(); ++s) {
      weights.push_back(weights_dual[s].v);
      mean.push_back(lc->mean_particles_per_sr(static_cast<int>(s)));
    }
    has_final_state = true;
  }
};

/// A map's values as a float64 tensor of `shape`.
torch::Tensor to_tensor(const std::vector<double>& values, std::vector<std::int64_t> shape) {
  torch::Tensor t = torch::empty(shape, torch::kFloat64);
  std::copy(values.begin(), values.end(), t.data_ptr<double>());
  return t;
}

/// dJ/d(shell maps) from dJ/dkappa `grad` ((0,) or undefined: no such map), with dJ/dw_s added
/// to weights_cot.
template <class Map>
std::vector<Map> shells_cotangent(const std::vector<Map>& shells, const std::vector<double>& mean,
                                  const std::vector<double>& weights, const torch::Tensor& grad,
                                  std::vector<double>& weights_cot) {
  if (shells.empty() || !grad.defined()) return {};
  Map kappa_cot = sim::born_kappa(shells, mean, weights);
  const torch::Tensor g = grad.to(torch::kFloat64).contiguous();
  std::copy(g.data_ptr<double>(), g.data_ptr<double>() + kappa_cot.values.size(),
            kappa_cot.values.begin());
  std::vector<double> wc;
  std::vector<Map> cot = sim::born_kappa_vjp(kappa_cot, shells, mean, weights, &wc);
  for (std::size_t s = 0; s < wc.size(); ++s) weights_cot[s] += wc[s];
  return cot;
}

template <class T>
variable_list kappa_forward(AutogradContext* ctx, const c10::intrusive_ptr<KappaRun<T>>& h,
                            const torch::Tensor& white_noise, const sim::CosmologyParams& params) {
  h->run(white_noise, params);
  ctx->saved_data["run"] = c10::IValue::make_capsule(h);
  torch::Tensor flat = torch::empty({0}, torch::kFloat64);
  torch::Tensor healpix = torch::empty({0}, torch::kFloat64);
  if (!h->lc->flat_shells().empty()) {
    const sim::FlatMap k = sim::born_kappa(h->lc->flat_shells(), h->mean, h->weights);
    flat = to_tensor(k.values, {k.n, k.n});
  }
  if (!h->lc->healpix_shells().empty()) {
    healpix = to_tensor(sim::born_kappa(h->lc->healpix_shells(), h->mean, h->weights).values,
                        {static_cast<std::int64_t>(12) * h->lc_spec.nside * h->lc_spec.nside});
  }
  return {flat, healpix};
}

template <class T>
variable_list kappa_backward(AutogradContext* ctx, const variable_list& grads) {
  auto h = c10::static_intrusive_pointer_cast<KappaRun<T>>(ctx->saved_data["run"].toCapsule());
  const torch::Tensor white_noise = ctx->get_saved_variables()[0];
  const torch::Tensor params_tensor = ctx->get_saved_variables()[1];
  // A second backward (retain_graph) finds the initial state in the engine: run again.
  if (!h->has_final_state) {
    h->run(white_noise, detail::params_from(h->config.cosmology, params_tensor));
  }
  std::vector<double> weights_cot(h->weights.size(), 0.0);
  sim::Lightcone<T>& lc = *h->lc;
  lc.set_flat_cotangent(shells_cotangent(lc.flat_shells(), h->mean, h->weights,
                                         grads[0].numel() > 0 ? grads[0] : torch::Tensor(),
                                         weights_cot));
  lc.set_healpix_cotangent(shells_cotangent(lc.healpix_shells(), h->mean, h->weights,
                                            grads[1].numel() > 0 ? grads[1] : torch::Tensor(),
                                            weights_cot));
  const std::size_t m = 3 * h->engine->final_state().size();
  sim::SimGradients<T> g =
      h->engine->backward({std::vector<T>(m, T(0)), std::vector<T>(m, T(0))}, {}, {&lc});
  h->has_final_state = false;
  lc.set_flat_cotangent({});
  lc.set_healpix_cotangent({});
  // The Born weights' own dependence on the cosmology.
  for (std::size_t s = 0; s < weights_cot.size(); ++s) {
    for (int i = 0; i < sim::kNumCosmoParams; ++i) {
      g.cosmology[i] += weights_cot[s] * h->weights_dual[s].d[i];
    }
  }
  torch::Tensor grad_params = torch::empty({sim::kNumCosmoParams}, torch::kFloat64);
  std::copy(g.cosmology.begin(), g.cosmology.end(), grad_params.data_ptr<double>());
  return {torch::Tensor(), field_to_tensor<T>(g.noise), grad_params};
}

/// (run, white_noise, cosmo_params) -> {flat kappa, HEALPix kappa}, in precision T.
template <class T>
struct KappaFunction : torch::autograd::Function<KappaFunction<T>> {
  static variable_list forward(AutogradContext* ctx, const c10::intrusive_ptr<KappaRun<T>>& h,
                               const torch::Tensor& white_noise,
                               const torch::Tensor& cosmo_params) {
    const sim::CosmologyParams params = detail::params_from(h->config.cosmology, cosmo_params);
    ctx->save_for_backward({white_noise, cosmo_params});
    return kappa_forward<T>(ctx, h, white_noise, params);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return kappa_backward<T>(ctx, grads);
  }
};

}  // namespace

std::vector<torch::Tensor> simulate_kappa(const sim::SimSpec& config, const sim::LightconeSpec& lc,
                                          const sim::SourceDistribution& src,
                                          const torch::Tensor& white_noise,
                                          const torch::Tensor& cosmo_params) {
  sim::check_differentiable_config(config, 1);
  lc.validate(config.box_size);
  if (lc.nside > 0 && !lc.healpix_bilinear) {
    throw std::invalid_argument(
        "simulate_kappa: HEALPix maps are differentiable only with bilinear deposits "
        "(lightcone_healpix_deposit = bilinear), or set lightcone_nside = 0");
  }
  detail::check_real_cpu(white_noise, "white_noise");
  const std::int64_t n = config.particles;
  if (white_noise.dim() != 3 || white_noise.size(0) != n || white_noise.size(1) != n ||
      white_noise.size(2) != n) {
    throw std::invalid_argument(
        "white_noise must have shape (particles, particles, particles) = (" + std::to_string(n) +
        ", " + std::to_string(n) + ", " + std::to_string(n) + "), got " +
        detail::shape_of(white_noise));
  }
  if (white_noise.scalar_type() == torch::kFloat64) {
    return KappaFunction<double>::apply(c10::make_intrusive<KappaRun<double>>(config, lc, src),
                                        white_noise, cosmo_params);
  }
  return KappaFunction<float>::apply(c10::make_intrusive<KappaRun<float>>(config, lc, src),
                                     white_noise, cosmo_params);
}

}  // namespace cosmograd::nn
