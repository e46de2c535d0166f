// Sum of a mesh's real cells (this rank's slab), for the painted-total checks.
#pragma once

#include "sim/mesh/field.hpp"

namespace cosmograd::testing {

/// Sum of the real cells of `f` held here.
inline double mesh_sum(const sim::Field<double>& f) {
  double s = 0.0;
  for (int x = 0; x < f.decomp().nx_local(); ++x) {
    for (int y = 0; y < f.n(); ++y) {
      for (int z = 0; z < f.n(); ++z) s += f.at(x, y, z);
    }
  }
  return s;
}

}  // namespace cosmograd::testing
