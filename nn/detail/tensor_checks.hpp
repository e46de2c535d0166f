// Checks and conversions the bridge's ops share (nn/bridge.cpp, nn/bridge_lightcone.cpp).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::nn::detail {

/// The torch dtype of T (float or double).
template <class T>
constexpr torch::ScalarType scalar_type_of() {
  return std::is_same<T, float>::value ? torch::kFloat32 : torch::kFloat64;
}

/// "(d0, d1, ...)" for error messages.
inline std::string shape_of(const torch::Tensor& t) {
  std::string s = "(";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

/// Throws std::invalid_argument unless t is a float32/float64 CPU tensor.
inline void check_real_cpu(const torch::Tensor& t, const char* name) {
  if (!t.defined()) throw std::invalid_argument(std::string(name) + " is undefined");
  if (!t.device().is_cpu()) {
    throw std::invalid_argument(std::string(name) + " must be on the CPU (the bridge is CPU only)");
  }
  if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kFloat64) {
    throw std::invalid_argument(std::string(name) + " must be float32 or float64, got " +
                                std::string(c10::toString(t.scalar_type())));
  }
}

/// validate() of the parameters from a (7,) float64 CPU tensor over `base`.
inline sim::CosmologyParams params_from(const sim::CosmologyParams& base,
                                        const torch::Tensor& cosmo_params) {
  if (!cosmo_params.defined() || !cosmo_params.device().is_cpu() ||
      cosmo_params.scalar_type() != torch::kFloat64 || cosmo_params.dim() != 1 ||
      cosmo_params.size(0) != sim::kNumCosmoParams) {
    throw std::invalid_argument(
        "cosmo_params must be a (7,) float64 CPU tensor (Omega_m, Omega_b, h, n_s, sigma8, w0, "
        "wa), got " +
        (cosmo_params.defined()
             ? shape_of(cosmo_params) + " " + std::string(c10::toString(cosmo_params.scalar_type()))
             : std::string("undefined")));
  }
  const torch::Tensor p = cosmo_params.contiguous();
  const double* v = p.data_ptr<double>();
  sim::CosmologyParams out = base;
  for (int i = 0; i < sim::kNumCosmoParams; ++i) {
    sim::param(out, static_cast<sim::CosmoParam>(i)) = v[i];
  }
  out.validate();
  return out;
}

}  // namespace cosmograd::nn::detail
