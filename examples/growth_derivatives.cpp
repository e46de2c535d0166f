// Derivatives of growth and linear power with respect to the cosmological parameters,
// by forward-mode dual numbers through the same code that computes the values.
//   build/examples/example_growth_derivatives [a] [k in h/Mpc]
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"

namespace cg = cosmograd::sim;

int main(int argc, char** argv) {
  const char* usage =
      "usage: example_growth_derivatives [a] [k]\n"
      "  D1, f1 and P_lin at scale factor a (default 0.5, 0 < a <= 2) and wavenumber k\n"
      "  [h/Mpc] (default 0.1, k > 0), with their derivatives w.r.t. the 7 parameters\n";
  if (argc > 3 ||
      (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0))) {
    std::printf("%s", usage);
    return argc > 3 ? 2 : 0;
  }
  const double a = argc > 1 ? std::atof(argv[1]) : 0.5;
  const double k = argc > 2 ? std::atof(argv[2]) : 0.1;
  if (!(a > 0 && a <= 2) || !(k > 0)) {
    std::fprintf(stderr, "a = '%s', k = '%s': out of range\n%s", argc > 1 ? argv[1] : "0.5",
                 argc > 2 ? argv[2] : "0.1", usage);
    return 2;
  }
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
