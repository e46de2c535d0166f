// The LPT autograd op: forward (sim::lpt_particles_from_noise) and backward (sim::lpt_vjp) side
// by side.
#include "nn/bridge_lpt.hpp"

#include <torch/autograd.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/bridge.hpp"
#include "nn/detail/tensor_checks.hpp"
#include "sim/core/backend.hpp"
#include "sim/cosmo/cosmology_tables.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::nn {
namespace {

using detail::check_real_cpu;
using detail::params_from;
using detail::scalar_type_of;
using detail::shape_of;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// What one LPT evaluation needs: cosmology tables (values and duals), the grid and its FFT.
template <class T>
struct LptSetup {
  LptSetup(const sim::SimSpec& c, const sim::CosmologyParams& params)
      : tables(params, c.transfer.name, c.transfer.table_path),
        decomp(c.particles),
        fft(decomp, sim::use_threads(c.threads)) {}
  sim::CosmologyTables tables;
  sim::Decomposition decomp;
  sim::Fft<T> fft;
};

template <class T>
torch::Tensor lpt_forward(const sim::SimSpec& c, const torch::Tensor& white_noise,
                          const sim::CosmologyParams& params, double a) {
  LptSetup<T> s(c, params);
  sim::Field<T> w(s.decomp);
  tensor_to_field<T>(white_noise.contiguous(), w);
  const sim::Particles<T> p = sim::lpt_particles_from_noise(
      w, c.box_size, c.lpt_order, s.tables.cosmology, *s.tables.linear, a, s.fft);
  return to_particle_rows(p.id, p.disp, p.mom);
}

/// dJ/dw and dJ/dtheta from dJ/d(rows of lpt_forward); lpt_particles() makes its particles in
/// lattice order (id[j] = j), which lpt_vjp's cotangents follow.
template <class T>
variable_list lpt_backward(const sim::SimSpec& c, const torch::Tensor& white_noise,
                           const sim::CosmologyParams& params, double a,
                           const torch::Tensor& grad_out) {
  LptSetup<T> s(c, params);
  sim::Field<T> w(s.decomp);
  tensor_to_field<T>(white_noise.contiguous(), w);
  std::vector<std::uint64_t> lattice(static_cast<std::size_t>(grad_out.size(0)));
  std::iota(lattice.begin(), lattice.end(), std::uint64_t{0});
  std::vector<T> disp_cot, mom_cot;
  from_particle_rows(grad_out, lattice, disp_cot, mom_cot);
  sim::LptGradients<T> grads = sim::lpt_vjp(w, c.box_size, c.lpt_order, s.tables.dual,
                                            *s.tables.linear_dual, a, disp_cot, mom_cot, s.fft);
  torch::Tensor grad_params = torch::empty({sim::kNumCosmoParams}, torch::kFloat64);
  std::copy(grads.cosmology.begin(), grads.cosmology.end(), grad_params.data_ptr<double>());
  return {field_to_tensor<T>(grads.noise), grad_params};
}

/// (white_noise, cosmo_params) -> (N^3, 6) LPT displacements and momenta at a.
struct LptFunction : torch::autograd::Function<LptFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& white_noise,
                               const torch::Tensor& cosmo_params, const sim::SimSpec& config,
                               double a) {
    check_real_cpu(white_noise, "white_noise");
    const std::int64_t n = config.particles;
    if (white_noise.dim() != 3 || white_noise.size(0) != n || white_noise.size(1) != n ||
        white_noise.size(2) != n) {
      throw std::invalid_argument("lpt_particles: white_noise must have shape (" +
                                  std::to_string(n) + ", " + std::to_string(n) + ", " +
                                  std::to_string(n) + "), got " + shape_of(white_noise));
    }
    if (!(a > 0.0 && a <= 1.0)) {
      throw std::invalid_argument("lpt_particles: scale factor a = " + std::to_string(a) +
                                  " is not in (0, 1]");
    }
    const sim::CosmologyParams params = params_from(config.cosmology, cosmo_params);
    ctx->save_for_backward({white_noise, cosmo_params});
    ctx->saved_data["a"] = a;
    ctx->saved_data["config"] = c10::IValue::make_capsule(c10::make_intrusive<SpecHolder>(config));
    return white_noise.scalar_type() == torch::kFloat64
               ? lpt_forward<double>(config, white_noise, params, a)
               : lpt_forward<float>(config, white_noise, params, a);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto holder =
        c10::static_intrusive_pointer_cast<SpecHolder>(ctx->saved_data["config"].toCapsule());
    const sim::SimSpec& config = holder->spec;
    const torch::Tensor w = ctx->get_saved_variables()[0];
    const torch::Tensor theta = ctx->get_saved_variables()[1];
    const double a = ctx->saved_data["a"].toDouble();
    const sim::CosmologyParams params = params_from(config.cosmology, theta);
    variable_list g = w.scalar_type() == torch::kFloat64
                          ? lpt_backward<double>(config, w, params, a, grad_outputs[0])
                          : lpt_backward<float>(config, w, params, a, grad_outputs[0]);
    return {g[0], g[1], torch::Tensor(), torch::Tensor()};
  }

  /// The SimSpec kept for backward.
  struct SpecHolder : torch::CustomClassHolder {
    explicit SpecHolder(sim::SimSpec s) : spec(std::move(s)) {}
    sim::SimSpec spec;
  };
};

}  // namespace

torch::Tensor lpt_particles(const sim::SimSpec& config, const torch::Tensor& white_noise,
                            const torch::Tensor& cosmo_params, double a) {
  config.validate();
  return LptFunction::apply(white_noise, cosmo_params, config, a);
}

torch::Tensor cosmo_params_tensor(const sim::CosmologyParams& params) {
  torch::Tensor t = torch::empty({sim::kNumCosmoParams}, torch::kFloat64);
  for (int i = 0; i < sim::kNumCosmoParams; ++i) {
    t[i] = sim::param(params, static_cast<sim::CosmoParam>(i));
  }
  return t;
}

}  // namespace cosmograd::nn
