// Kaiser-Squires shear on flat maps (FFTW) and spin-2 shear on HEALPix maps (healpix_cxx);
// see shear.hpp.
#include "sim/sky/shear.hpp"

#include <alm.h>
#include <alm_healpix_tools.h>
#include <arr.h>
#include <fftw3.h>
#include <healpix_map.h>
#include <xcomplex.h>

#include <cmath>
#include <complex>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/check.hpp"

namespace cosmograd::sim {
namespace {

void check_flat(const FlatMap& m, const char* what) {
  if (m.n < 2 || m.n > 65536) {
    throw std::invalid_argument(std::string(what) + " n = " + std::to_string(m.n) +
                                " is not allowed (allowed: 2 to 65536)");
  }
  if (!(m.field_deg > 0.0 && m.field_deg < 180.0)) {
    throw std::invalid_argument(std::string(what) + " field_deg = " + std::to_string(m.field_deg) +
                                " is not allowed (allowed: 0 < field_deg < 180)");
  }
  if (m.values.size() != m.pixels()) {
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(m.values.size()) +
                                " values (allowed: n^2 = " + std::to_string(m.pixels()) + ")");
  }
}

std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

// In-place 2D complex FFT of n x n values (sign -1 forward, +1 backward, unnormalised).
void fft2(std::vector<std::complex<double>>& a, int n, int sign) {
  auto* p = reinterpret_cast<fftw_complex*>(a.data());
  fftw_plan plan;
  {
    const std::lock_guard<std::mutex> lock(plan_mutex());
    plan = fftw_plan_dft_2d(n, n, p, p, sign, FFTW_ESTIMATE);
  }
  if (plan == nullptr) call_failed("FFTW", "fftw_plan_dft_2d", 0, "null plan");
  fftw_execute(plan);
  const std::lock_guard<std::mutex> lock(plan_mutex());
  fftw_destroy_plan(plan);
}

// Multiplies the spectrum by D(l) (conjugate = false) or conj(D(l)); zero at l = 0.
void apply_ks(std::vector<std::complex<double>>& a, int n, bool conjugate) {
  for (int iy = 0; iy < n; ++iy) {
    const double l2 = iy <= n / 2 ? iy : iy - n;
    for (int ix = 0; ix < n; ++ix) {
      const double l1 = ix <= n / 2 ? ix : ix - n;
      const double ll = l1 * l1 + l2 * l2;
      std::complex<double>& c = a[static_cast<std::size_t>(iy) * n + ix];
      if (ll == 0.0) {
        c = 0.0;
        continue;
      }
      const std::complex<double> d((l1 * l1 - l2 * l2) / ll,
                                   (conjugate ? -2.0 : 2.0) * l1 * l2 / ll);
      c *= d;
    }
  }
}

bool valid_nside(int nside) { return nside >= 1 && nside <= 8192 && (nside & (nside - 1)) == 0; }

void check_healpix(const HealpixMap& m, const char* what) {
  if (!valid_nside(m.nside) || m.values.size() != m.pixels()) {
    throw std::invalid_argument(std::string(what) + " nside = " + std::to_string(m.nside) +
                                " with " + std::to_string(m.values.size()) +
                                " values is not allowed (allowed: a power of 2 from 1 to 8192 "
                                "with 12 nside^2 values)");
  }
}

void check_lmax_iter(int lmax, int nside, int iterations) {
  if (lmax < 2 || lmax > 3 * nside) {
    throw std::invalid_argument(
        "lmax = " + std::to_string(lmax) +
        " is out of range (allowed: 2 to 3 nside = " + std::to_string(3 * nside) + ")");
  }
  if (iterations < 0 || iterations > 10) {
    throw std::invalid_argument("iterations = " + std::to_string(iterations) +
                                " is out of range (allowed: 0 to 10)");
  }
}

Healpix_Map<double> to_hp(const HealpixMap& m) {
  Healpix_Map<double> h(m.nside, RING, SET_NSIDE);
  for (std::size_t p = 0; p < m.values.size(); ++p) h[static_cast<int>(p)] = m.values[p];
  return h;
}

HealpixMap from_hp(const Healpix_Map<double>& h) {
  HealpixMap m = HealpixMap::filled(h.Nside());
  for (std::size_t p = 0; p < m.values.size(); ++p) m.values[p] = h[static_cast<int>(p)];
  return m;
}

// sqrt((l+2)(l-1) / (l(l+1))): the ratio of the spin-2 to the spin-0 lensing operators.
double spin2_factor(int l) {
  return std::sqrt((l + 2.0) * (l - 1.0) / (static_cast<double>(l) * (l + 1.0)));
}

// Spin-2 analysis with Jacobi iterations (as map2alm_iter does for spin 0).
void map2alm_spin_iter(const Healpix_Map<double>& m1, const Healpix_Map<double>& m2,
                       Alm<xcomplex<double>>& a1, Alm<xcomplex<double>>& a2, int iterations) {
  const arr<double> weight(2 * m1.Nside(), 1.0);
  map2alm_spin(m1, m2, a1, a2, 2, weight, false);
  Healpix_Map<double> r1(m1.Nside(), RING, SET_NSIDE), r2(m1.Nside(), RING, SET_NSIDE);
  for (int it = 0; it < iterations; ++it) {
    alm2map_spin(a1, a2, r1, r2, 2);
    for (int p = 0; p < m1.Npix(); ++p) {
      r1[p] = m1[p] - r1[p];
      r2[p] = m2[p] - r2[p];
    }
    map2alm_spin(r1, r2, a1, a2, 2, weight, true);
  }
}

}  // namespace

FlatShear flat_kappa_to_shear(const FlatMap& kappa) {
  check_flat(kappa, "kappa map");
  const int n = kappa.n;
  std::vector<std::complex<double>> a(kappa.values.begin(), kappa.values.end());
  fft2(a, n, FFTW_FORWARD);
  apply_ks(a, n, false);
  fft2(a, n, FFTW_BACKWARD);
  const double inv = 1.0 / (static_cast<double>(n) * n);
  FlatShear s{FlatMap::filled(n, kappa.field_deg), FlatMap::filled(n, kappa.field_deg)};
  for (std::size_t p = 0; p < a.size(); ++p) {
    s.gamma1.values[p] = a[p].real() * inv;
    s.gamma2.values[p] = a[p].imag() * inv;
  }
  return s;
}

FlatMap flat_shear_to_kappa(const FlatShear& shear, FlatMap* kappa_b) {
  check_flat(shear.gamma1, "gamma1 map");
  check_flat(shear.gamma2, "gamma2 map");
  if (shear.gamma1.n != shear.gamma2.n || shear.gamma1.field_deg != shear.gamma2.field_deg) {
    throw std::invalid_argument("gamma2 map (n = " + std::to_string(shear.gamma2.n) + ", field " +
                                std::to_string(shear.gamma2.field_deg) +
                                " deg) differs from gamma1 (n = " + std::to_string(shear.gamma1.n) +
                                ", field " + std::to_string(shear.gamma1.field_deg) +
                                " deg) (allowed: equal)");
  }
  const int n = shear.gamma1.n;
  std::vector<std::complex<double>> a(shear.gamma1.pixels());
  for (std::size_t p = 0; p < a.size(); ++p) {
    a[p] = std::complex<double>(shear.gamma1.values[p], shear.gamma2.values[p]);
  }
  fft2(a, n, FFTW_FORWARD);
  apply_ks(a, n, true);
  fft2(a, n, FFTW_BACKWARD);
  const double inv = 1.0 / (static_cast<double>(n) * n);
  FlatMap k = FlatMap::filled(n, shear.gamma1.field_deg);
  if (kappa_b != nullptr) *kappa_b = FlatMap::filled(n, shear.gamma1.field_deg);
  for (std::size_t p = 0; p < a.size(); ++p) {
    k.values[p] = a[p].real() * inv;
    if (kappa_b != nullptr) kappa_b->values[p] = a[p].imag() * inv;
  }
  return k;
}

HealpixShear healpix_kappa_to_shear(const HealpixMap& kappa, int lmax, int iterations) {
  check_healpix(kappa, "kappa map");
  check_lmax_iter(lmax, kappa.nside, iterations);
  for (std::size_t p = 0; p < kappa.values.size(); ++p) {
    if (!std::isfinite(kappa.values[p])) {
      throw std::invalid_argument("kappa map pixel " + std::to_string(p) + " = " +
                                  std::to_string(kappa.values[p]) + " is not finite");
    }
  }
  Alm<xcomplex<double>> e(lmax, lmax), b(lmax, lmax);
  map2alm_iter(to_hp(kappa), e, iterations);
  b.SetToZero();
  for (int m = 0; m <= lmax; ++m) {
    for (int l = m; l <= lmax; ++l) e(l, m) *= l < 2 ? 0.0 : spin2_factor(l);
  }
  Healpix_Map<double> g1(kappa.nside, RING, SET_NSIDE), g2(kappa.nside, RING, SET_NSIDE);
  alm2map_spin(e, b, g1, g2, 2);
  return HealpixShear{from_hp(g1), from_hp(g2)};
}

HealpixMap healpix_shear_to_kappa(const HealpixShear& shear, int lmax, int iterations,
                                  HealpixMap* kappa_b) {
  check_healpix(shear.gamma1, "gamma1 map");
  check_healpix(shear.gamma2, "gamma2 map");
  if (shear.gamma1.nside != shear.gamma2.nside) {
    throw std::invalid_argument(
        "gamma2 nside = " + std::to_string(shear.gamma2.nside) +
        " differs from gamma1 nside = " + std::to_string(shear.gamma1.nside) + " (allowed: equal)");
  }
  const int nside = shear.gamma1.nside;
  check_lmax_iter(lmax, nside, iterations);
  Alm<xcomplex<double>> e(lmax, lmax), b(lmax, lmax);
  map2alm_spin_iter(to_hp(shear.gamma1), to_hp(shear.gamma2), e, b, iterations);
  for (int m = 0; m <= lmax; ++m) {
    for (int l = m; l <= lmax; ++l) {
      const double f = l < 2 ? 0.0 : 1.0 / spin2_factor(l);
      e(l, m) *= f;
      b(l, m) *= f;
    }
  }
  Healpix_Map<double> k(nside, RING, SET_NSIDE);
  alm2map(e, k);
  if (kappa_b != nullptr) {
    Healpix_Map<double> kb(nside, RING, SET_NSIDE);
    alm2map(b, kb);
    *kappa_b = from_hp(kb);
  }
  return from_hp(k);
}

}  // namespace cosmograd::sim
