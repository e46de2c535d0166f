#include "sim/mesh/white_noise.hpp"

#include <cmath>

namespace cosmograd::sim {

template <class T>
void fill_white_noise(Field<T>& noise, const NoiseOptions& o) {
  const Decomposition& d = noise.decomp();
  const int n = d.n();
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto k = d.mode_of(xl, y, z);
        double re = 0;
        double im = 0;
        white_noise_mode(o, n, k[0], k[1], k[2], &re, &im);
        noise.mode(xl, y, z) = std::complex<T>(static_cast<T>(re), static_cast<T>(im));
      }
    }
  }
}

template void fill_white_noise<float>(Field<float>&, const NoiseOptions&);
template void fill_white_noise<double>(Field<double>&, const NoiseOptions&);

}  // namespace cosmograd::sim
