// A halo catalogue with its mass function against Tinker et al. 2008 and Sheth & Tormen
// 1999, as `cosmograd halos` and `cosmograd run --halos true` write them.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/linear_power.hpp"
#include "sim/measure/fof.hpp"

namespace cosmograd::driver {

using sim::FofOptions;
using sim::HaloCatalog;
using sim::LinearPower;

/// Writes `out` (catalogue, Gadget-4 fof_tab layout), `<out minus .hdf5>_massfunction.txt`
/// (measured dn/dlnM in 0.2 dex bins from the smallest halo allowed, with Poisson errors,
/// next to Tinker08 and Sheth-Tormen) and `..._massfunction.png`; `power` gives the analytic
/// curves at the catalogue's scale factor; `source` names the input in the table header.
/// Returns the paths written.
std::vector<std::string> write_halo_report(const std::string& out, const HaloCatalog& catalog,
                                           const FofOptions& fof, const LinearPower& power,
                                           const std::string& source);

}  // namespace cosmograd::driver
