#include "sim/sky/born.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/cosmo/gauss_legendre.hpp"

namespace cosmograd::sim {
namespace {

template <class Map>
void check_shells(const std::vector<Map>& shells, const std::vector<double>& mean_per_sr,
                  const std::vector<double>& weights) {
  if (shells.empty() || mean_per_sr.size() != shells.size() || weights.size() != shells.size()) {
    throw std::invalid_argument("born_kappa: " + std::to_string(shells.size()) + " shells, " +
                                std::to_string(mean_per_sr.size()) + " means and " +
                                std::to_string(weights.size()) +
                                " weights (allowed: one of each per shell, at least one shell)");
  }
  for (const Map& m : shells) {
    if (m.values.size() != shells.front().values.size()) {
      throw std::invalid_argument("born_kappa: shells of different sizes");
    }
  }
}

}  // namespace

template <class S>
std::vector<S> born_weights(const CosmologyT<S>& c, const SourceDistribution& n,
                            const std::vector<double>& edges) {
  const S pre = lensing_prefactor(c);
  const double Ok = c.params().Omega_k;
  const GaussLegendre<8>& gl = GaussLegendre<8>::get();
  std::vector<S> w;
  for (std::size_t s = 0; s + 1 < edges.size(); ++s) {
    const double lo = edges[s], hi = edges[s + 1], half = 0.5 * (hi - lo), mid = 0.5 * (hi + lo);
    std::vector<double> chi(gl.x.size());
    for (std::size_t i = 0; i < gl.x.size(); ++i) chi[i] = mid + half * gl.x[i];
    const std::vector<S> g = lensing_efficiency(c, n, chi);
    S sum = 0.0;
    for (std::size_t i = 0; i < gl.x.size(); ++i) {
      sum += gl.w[i] * comoving_transverse(Ok, S(chi[i])) * g[i] / scale_factor_at_chi(c, chi[i]);
    }
    w.push_back(pre * half * sum);
  }
  return w;
}
template std::vector<double> born_weights<double>(const Cosmology&, const SourceDistribution&,
                                                  const std::vector<double>&);
template std::vector<CosmoDual> born_weights<CosmoDual>(const CosmologyDual&,
                                                        const SourceDistribution&,
                                                        const std::vector<double>&);

namespace {

/// Solid angle of pixel i [sr].
double pixel_sr(const HealpixMap& m, std::size_t) {
  return 4 * M_PI / static_cast<double>(m.pixels());
}
double pixel_sr(const FlatMap& m, std::size_t i) {
  return m.pixel_solid_angle(static_cast<int>(i % m.n), static_cast<int>(i / m.n));
}

template <class Map>
Map kappa_of(const std::vector<Map>& shells, const std::vector<double>& mean_per_sr,
             const std::vector<double>& weights) {
  check_shells(shells, mean_per_sr, weights);
  Map k = shells.front();
  for (std::size_t i = 0; i < k.values.size(); ++i) {
    const double omega = pixel_sr(k, i);
    double sum = 0;
    for (std::size_t s = 0; s < shells.size(); ++s) {
      sum += weights[s] * (shells[s].values[i] / (mean_per_sr[s] * omega) - 1.0);
    }
    k.values[i] = sum;
  }
  return k;
}

template <class Map>
std::vector<Map> kappa_vjp(const Map& kappa_cot, const std::vector<Map>& shells,
                           const std::vector<double>& mean_per_sr,
                           const std::vector<double>& weights, std::vector<double>* weights_cot) {
  check_shells(shells, mean_per_sr, weights);
  if (kappa_cot.values.size() != shells.front().values.size()) {
    throw std::invalid_argument(
        "born_kappa_vjp: the cotangent has " + std::to_string(kappa_cot.values.size()) +
        " pixels (allowed: " + std::to_string(shells.front().values.size()) + ")");
  }
  std::vector<Map> out(shells.size(), shells.front());
  if (weights_cot != nullptr) weights_cot->assign(shells.size(), 0.0);
  for (std::size_t i = 0; i < kappa_cot.values.size(); ++i) {
    const double omega = pixel_sr(kappa_cot, i);
    for (std::size_t s = 0; s < shells.size(); ++s) {
      const double inv_mean = 1.0 / (mean_per_sr[s] * omega);
      out[s].values[i] = kappa_cot.values[i] * weights[s] * inv_mean;
      if (weights_cot != nullptr) {
        (*weights_cot)[s] += kappa_cot.values[i] * (shells[s].values[i] * inv_mean - 1.0);
      }
    }
  }
  return out;
}

}  // namespace

HealpixMap born_kappa(const std::vector<HealpixMap>& shells, const std::vector<double>& mean_per_sr,
                      const std::vector<double>& weights) {
  return kappa_of(shells, mean_per_sr, weights);
}

FlatMap born_kappa(const std::vector<FlatMap>& shells, const std::vector<double>& mean_per_sr,
                   const std::vector<double>& weights) {
  return kappa_of(shells, mean_per_sr, weights);
}

std::vector<FlatMap> born_kappa_vjp(const FlatMap& kappa_cot, const std::vector<FlatMap>& shells,
                                    const std::vector<double>& mean_per_sr,
                                    const std::vector<double>& weights,
                                    std::vector<double>* weights_cot) {
  return kappa_vjp(kappa_cot, shells, mean_per_sr, weights, weights_cot);
}

std::vector<HealpixMap> born_kappa_vjp(const HealpixMap& kappa_cot,
                                       const std::vector<HealpixMap>& shells,
                                       const std::vector<double>& mean_per_sr,
                                       const std::vector<double>& weights,
                                       std::vector<double>* weights_cot) {
  return kappa_vjp(kappa_cot, shells, mean_per_sr, weights, weights_cot);
}

}  // namespace cosmograd::sim
