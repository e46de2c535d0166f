// Derivatives of growth and linear power with respect to the cosmological parameters,
// by forward-mode dual numbers through the same code that computes the values.
//   build/examples/example_growth_derivatives [a] [k in h/Mpc]
#include <cstdio>
#include <cstdlib>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"

namespace cg = cosmograd::sim;

int main(int argc, char** argv) {
  const double a = argc > 1 ? std::atof(argv[1]) : 0.5;
  const double k = argc > 2 ? std::atof(argv[2]) : 0.1;
  const cg::CosmologyDual cosmo(cg::seed_duals(cg::planck2015()));
  const auto linear = cg::make_linear_power<cg::CosmoDual>("eisenstein_hu", cosmo);
  const cg::CosmoDual d1 = cosmo.D1_norm(a);
  const cg::CosmoDual f1 = cosmo.f1(a);
  const cg::CosmoDual pk = linear->power(k, a);
  std::printf("Planck 2015, a = %g, k = %g h/Mpc\n", a, k);
  std::printf("D1/D1(1) = %.6f   f1 = %.6f   P_lin = %.4f (Mpc/h)^3\n\n", d1.v, f1.v, pk.v);
  std::printf("%-8s %14s %14s %14s\n", "param", "dlnD1/dp", "df1/dp", "dlnP/dp");
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    std::printf("%-8s %14.6f %14.6f %14.6f\n", cg::cosmo_param_name(static_cast<cg::CosmoParam>(i)),
                d1.d[i] / d1.v, f1.d[i], pk.d[i] / pk.v);
  }
  return 0;
}
