// Comparison helpers shared by the CUDA tests (the gpu checks and the host-side unit test):
// relative errors of arrays and fields, and seeded random inputs. No GoogleTest, no CUDA.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::test {

/// max |a_i - b_i| / max |b_i| over n values (the error relative to the largest reference);
/// infinite when a difference is NaN.
template <class A, class B>
double max_rel_error(const A* a, const B* b, std::size_t n) {
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    err = std::isnan(d) ? INFINITY : std::max(err, d);
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return scale == 0 ? err : err / scale;
}

/// max_rel_error over the unpadded cells of two fields of one mesh.
template <class T>
double field_error(const sim::Field<T>& a, const sim::Field<T>& b) {
  std::vector<double> va, vb;
  const int n = a.n();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        va.push_back(a.at(x, y, z));
        vb.push_back(b.at(x, y, z));
      }
  return max_rel_error(va.data(), vb.data(), va.size());
}

/// n Gaussian values of standard deviation sigma from `seed`.
template <class T>
std::vector<T> random_vector(std::size_t n, unsigned seed, double sigma = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, sigma);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(g(rng));
  return v;
}

/// Unit Gaussian values in every unpadded cell of f, from `seed`.
template <class T>
void fill_random(sim::Field<T>& f, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  for (int x = 0; x < f.n(); ++x)
    for (int y = 0; y < f.n(); ++y)
      for (int z = 0; z < f.n(); ++z) f.at(x, y, z) = static_cast<T>(g(rng));
}

/// A lattice of n_side^3 particles in a box [Mpc/h], displaced uniformly in
/// [-amplitude, amplitude] [Mpc/h] per axis, from `seed`.
template <class T>
sim::Particles<T> random_particles(int n_side, double box, double amplitude, unsigned seed) {
  sim::Particles<T> p = sim::Particles<T>::lattice_grid(n_side, box);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-amplitude, amplitude);
  for (T& d : p.disp) d = static_cast<T>(u(rng));
  return p;
}

}  // namespace cosmograd::test
