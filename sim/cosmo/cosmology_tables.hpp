// The cosmology-dependent tables a PM backend reads: background and growth (values and
// parameter duals) and the linear power spectrum, built once per parameter set.
#pragma once

#include <memory>
#include <string>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"

namespace cosmograd::sim {

/// Background, growth and linear power of one parameter set, as double values and as duals
/// seeded for the derivatives with respect to all kNumCosmoParams parameters.
struct CosmologyTables {
  /// Tables for `params` with the registered transfer function `transfer` (`table_path` for
  /// the "table" transfer). Throws std::invalid_argument for bad parameters.
  CosmologyTables(const CosmologyParams& params, const std::string& transfer,
                  const std::string& table_path)
      : cosmology(params),
        dual(seed_duals(params)),
        linear(make_linear_power<double>(transfer, cosmology,
                                         LinearPowerOptions{table_path, false, {}})),
        linear_dual(make_linear_power<CosmoDual>(transfer, dual,
                                                 LinearPowerOptions{table_path, false, {}})) {}

  Cosmology cosmology;                                   ///< values
  CosmologyDual dual;                                    ///< values with parameter derivatives
  std::unique_ptr<LinearPower> linear;                   ///< P_lin(k, a = 1) values
  std::unique_ptr<LinearPowerT<CosmoDual>> linear_dual;  ///< P_lin(k, a = 1) with derivatives
};

}  // namespace cosmograd::sim
