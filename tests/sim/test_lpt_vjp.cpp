// Real-space white noise and the vjp of white noise -> LPT particles (sim/pm/lpt.hpp), checked
// against central finite differences in double precision (tests/sim/gradcheck.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/lpt.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;

namespace {

/// Base point where every parameter matters: dynamical dark energy (w0, wa) != (-1, 0).
cg::CosmologyParams base_params() {
  cg::CosmologyParams p = cg::planck2015();
  p.w0 = -0.9;
  p.wa = 0.1;
  return p;
}

/// The n^3 real cells of a field, lattice order.
template <class T>
std::vector<double> cells_of(const cg::Field<T>& f) {
  const int n = f.n();
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(n) * n * n);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) v.push_back(f.at(x, y, z));
  return v;
}

/// A field with the given real cells (lattice order).
template <class T>
cg::Field<T> field_of(const std::vector<double>& v, int n) {
  cg::Field<T> f{cg::Decomposition(n)};
  std::size_t i = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = static_cast<T>(v[i++]);
  return f;
}

/// Displacements then momenta of the particles from real-space noise `w`.
std::vector<double> lpt_outputs(const std::vector<double>& w, int n, double box, int order,
                                const cg::CosmologyParams& params, double a,
                                const cg::Fft<double>& fft) {
  const cg::Cosmology cosmology(params);
  const auto linear = cg::make_linear_power<double>("eisenstein_hu", cosmology);
  const auto p =
      cg::lpt_particles_from_noise(field_of<double>(w, n), box, order, cosmology, *linear, a, fft);
  std::vector<double> out(p.disp.begin(), p.disp.end());
  out.insert(out.end(), p.mom.begin(), p.mom.end());
  return out;
}

/// lpt_vjp at `params` for the cotangent (disp then mom, as lpt_outputs()).
template <class T>
cg::LptGradients<T> lpt_gradients(const std::vector<double>& w, int n, double box, int order,
                                  const cg::CosmologyParams& params, double a,
                                  const std::vector<double>& cot, const cg::Fft<T>& fft) {
  const cg::CosmologyDual cosmology(cg::seed_duals(params));
  const auto linear = cg::make_linear_power<cg::CosmoDual>("eisenstein_hu", cosmology);
  const std::size_t half = cot.size() / 2;
  const std::vector<T> disp_cot(cot.begin(), cot.begin() + half);
  const std::vector<T> mom_cot(cot.begin() + half, cot.end());
  return cg::lpt_vjp(field_of<T>(w, n), box, order, cosmology, *linear, a, disp_cot, mom_cot, fft);
}

std::vector<double> gaussian(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> v(size);
  for (double& x : v) x = g(rng);
  return v;
}

double max_abs_mode(const cg::Field<double>& f) {
  double m = 0;
  for (std::size_t i = 0; i < f.decomp().local_complex_size(); ++i) {
    m = std::max(m, std::abs(f.complex()[i]));
  }
  return m;
}

}  // namespace

TEST(LptVjp, RealNoiseReproducesFourierNoise) {
  const cg::Cosmology cosmology(base_params());
  const auto linear = cg::make_linear_power<double>("eisenstein_hu", cosmology);
  const auto power = [&](double k) { return linear->power(k); };
  for (int n : {8, 12}) {
    const double box = 8.0 * n;
    const cg::Decomposition d(n);
    const cg::Fft<double> fft(d, 1);
    for (const cg::NoiseOptions o :
         {cg::NoiseOptions{7, false, false}, cg::NoiseOptions{11, true, true}}) {
      cg::Field<double> w(d), from_real(d), from_fourier(d);
      cg::fill_white_noise_real(w, o, fft);
      cg::linear_modes_from_real_noise(w, from_real, box, power, fft);
      cg::fill_white_noise(from_fourier, o);
      cg::linear_modes_from_noise(from_fourier, box, power);
      double diff = 0;
      for (std::size_t i = 0; i < d.local_complex_size(); ++i) {
        diff = std::max(diff, std::abs(from_real.complex()[i] - from_fourier.complex()[i]));
      }
      const double rel = diff / max_abs_mode(from_fourier);
      std::printf("n = %d, seed %llu: max relative mode difference %.2e\n", n,
                  static_cast<unsigned long long>(o.seed), rel);
      EXPECT_LE(rel, 1e-12) << "n = " << n;
      // The per-mode power table gives the same modes as evaluating P(k) per mode.
      const cg::ModePower table(*linear, n, box);
      cg::Field<double> tabulated(d);
      cg::linear_modes_from_real_noise(w, tabulated, box, table.values(), fft);
      for (std::size_t i = 0; i < d.local_complex_size(); ++i) {
        EXPECT_LE(std::abs(tabulated.complex()[i] - from_real.complex()[i]),
                  1e-12 * max_abs_mode(from_real));
      }
    }
  }
}

TEST(LptVjp, RealNoiseHasUnitVariance) {
  const int n = 32;
  const cg::Decomposition d(n);
  const cg::Fft<double> fft(d, 1);
  cg::Field<double> w(d);
  cg::fill_white_noise_real(w, {3, false, false}, fft);
  double mean = 0, var = 0;
  for (double v : cells_of(w)) {
    mean += v;
    var += v * v;
  }
  const double cells = static_cast<double>(n) * n * n;
  EXPECT_NEAR(mean / cells, 0.0, 1e-12);  // k = 0 mode is zero
  EXPECT_NEAR(var / cells, 1.0, 5 * std::sqrt(2.0 / cells));
}

TEST(LptVjp, BackwardFftUsesTheHermitianPartOfTheEndPlanes) {
  // The vjp's transposes assume FFTW's c2r treats non-Hermitian data on the kz = 0 and
  // kz = n/2 planes as its Hermitian part (X(k) + conj X(-k)) / 2 (sim/pm/lpt.cpp).
  for (int n : {8, 12}) {
    const cg::Decomposition d(n);
    const cg::Fft<double> fft(d, 1);
    cg::Field<double> x(d);
    const std::vector<double> r = gaussian(2 * d.local_complex_size(), 5 + n);
    std::copy(r.begin(), r.end(), x.real());
    cg::Field<double> h = x.clone();
    for (int z : {0, n / 2}) {
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          const std::complex<double> partner = x.mode((n - i) % n, (n - j) % n, z);
          h.mode(i, j, z) = 0.5 * (x.mode(i, j, z) + std::conj(partner));
        }
      }
    }
    fft.backward(x);
    fft.backward(h);
    const std::vector<double> a = cells_of(x), b = cells_of(h);
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, std::abs(a[i] - b[i]));
      scale = std::max(scale, std::abs(b[i]));
    }
    EXPECT_LE(diff, 1e-13 * scale) << "n = " << n;
  }
}

TEST(LptVjp, NoiseGradientMatchesFiniteDifferences) {
  const cg::CosmologyParams params = base_params();
  const double a = 0.05;
  for (int n : {8, 12}) {
    const double box = 6.0 * n;
    const cg::Decomposition d(n);
    const cg::Fft<double> fft(d, 1);
    cg::Field<double> w0(d);
    cg::fill_white_noise_real(w0, {21, false, false}, fft);
    for (int order : {1, 2}) {
      const auto f = [&](const std::vector<double>& w) {
        return lpt_outputs(w, n, box, order, params, a, fft);
      };
      const auto vjp = [&](const std::vector<double>& w, const std::vector<double>& cot) {
        return cells_of(lpt_gradients<double>(w, n, box, order, params, a, cot, fft).noise);
      };
      const cosmograd::testing::VjpCheck r =
          cosmograd::testing::check_vjp(f, vjp, cells_of(w0), 4, 1e-6);
      std::printf("n = %d, order %d: noise vjp max relative error %.2e (scale %.3e)\n", n, order,
                  r.max_rel_error, r.typical_scale);
      EXPECT_LE(r.max_rel_error, 1e-6) << "n = " << n << ", order " << order;
    }
    // The 2LPT term alone (order 2 minus order 1), a few per cent of the total above.
    const auto f2 = [&](const std::vector<double>& w) {
      std::vector<double> y = lpt_outputs(w, n, box, 2, params, a, fft);
      const std::vector<double> y1 = lpt_outputs(w, n, box, 1, params, a, fft);
      for (std::size_t i = 0; i < y.size(); ++i) y[i] -= y1[i];
      return y;
    };
    const auto vjp2 = [&](const std::vector<double>& w, const std::vector<double>& cot) {
      std::vector<double> g =
          cells_of(lpt_gradients<double>(w, n, box, 2, params, a, cot, fft).noise);
      const std::vector<double> g1 =
          cells_of(lpt_gradients<double>(w, n, box, 1, params, a, cot, fft).noise);
      for (std::size_t i = 0; i < g.size(); ++i) g[i] -= g1[i];
      return g;
    };
    const cosmograd::testing::VjpCheck r =
        cosmograd::testing::check_vjp(f2, vjp2, cells_of(w0), 4, 1e-3);
    std::printf("n = %d, 2LPT term alone: noise vjp max relative error %.2e (scale %.3e)\n", n,
                r.max_rel_error, r.typical_scale);
    EXPECT_LE(r.max_rel_error, 1e-6) << "n = " << n << ", 2LPT term";
  }
}

TEST(LptVjp, CosmologyGradientMatchesFiniteDifferences) {
  const cg::CosmologyParams params = base_params();
  const double a = 0.05;
  for (int n : {8, 12}) {
    const double box = 6.0 * n;
    const cg::Decomposition d(n);
    const cg::Fft<double> fft(d, 1);
    cg::Field<double> w_field(d);
    cg::fill_white_noise_real(w_field, {5, false, false}, fft);
    const std::vector<double> w = cells_of(w_field);
    const std::vector<double> cot = gaussian(6 * w.size(), 99 + n);
    const auto objective = [&](const cg::CosmologyParams& p, int order) {
      const std::vector<double> y = lpt_outputs(w, n, box, order, p, a, fft);
      double j = 0;
      for (std::size_t i = 0; i < y.size(); ++i) j += cot[i] * y[i];
      return j;
    };
    for (int order : {1, 2}) {
      const auto g = lpt_gradients<double>(w, n, box, order, params, a, cot, fft);
      for (int i = 0; i < cg::kNumCosmoParams; ++i) {
        const auto which = static_cast<cg::CosmoParam>(i);
        const double h = 1e-5 * std::abs(cg::param(params, which));
        cg::CosmologyParams up = params, down = params;
        cg::param(up, which) += h;
        cg::param(down, which) -= h;
        const double fd = (objective(up, order) - objective(down, order)) / (2 * h);
        const double an = g.cosmology[static_cast<std::size_t>(i)];
        const double rel = std::abs(fd - an) / std::max(std::abs(fd), std::abs(an));
        std::printf("n = %d, order %d, d/d%-8s: vjp % .10e  fd % .10e  rel %.2e\n", n, order,
                    cg::cosmo_param_name(which), an, fd, rel);
        EXPECT_LE(rel, 1e-6) << cg::cosmo_param_name(which) << ", n = " << n << ", order " << order;
      }
    }
  }
}

TEST(LptVjp, FloatAgreesWithDouble) {
  const cg::CosmologyParams params = base_params();
  const int n = 12;
  const double box = 72, a = 0.05;
  const cg::Decomposition d(n);
  const cg::Fft<double> fft(d, 1);
  const cg::Fft<float> fft_f(d, 1);
  cg::Field<double> w_field(d);
  cg::fill_white_noise_real(w_field, {8, false, false}, fft);
  const std::vector<double> w = cells_of(w_field);
  const std::vector<double> cot = gaussian(6 * w.size(), 4);
  const auto gd = lpt_gradients<double>(w, n, box, 2, params, a, cot, fft);
  const auto gf = lpt_gradients<float>(w, n, box, 2, params, a, cot, fft_f);
  const std::vector<double> nd = cells_of(gd.noise), nf = cells_of(gf.noise);
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < nd.size(); ++i) {
    diff = std::max(diff, std::abs(nd[i] - nf[i]));
    scale = std::max(scale, std::abs(nd[i]));
  }
  EXPECT_LE(diff, 1e-5 * scale);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_NEAR(gf.cosmology[i], gd.cosmology[i], 1e-4 * std::abs(gd.cosmology[i]));
  }
}

TEST(LptVjp, RejectsBadArguments) {
  const int n = 8;
  const cg::Decomposition d(n);
  const cg::Fft<double> fft(d, 1);
  const std::vector<double> w(static_cast<std::size_t>(n) * n * n, 0.1);
  const std::vector<double> short_cot(10, 1.0);
  EXPECT_THROW(lpt_gradients<double>(w, n, 50, 2, base_params(), 0.05, short_cot, fft),
               std::invalid_argument);
  const std::vector<double> cot(6 * w.size(), 1.0);
  EXPECT_THROW(lpt_gradients<double>(w, n, 50, 3, base_params(), 0.05, cot, fft),
               std::invalid_argument);
  const cg::Cosmology cosmology(base_params());
  const auto linear = cg::make_linear_power<double>("eisenstein_hu", cosmology);
  const cg::ModePower table(*linear, n, 50);
  EXPECT_THROW(table(0.5 * 2 * M_PI / 50), std::invalid_argument);  // not a grid wavenumber
  EXPECT_THROW(table.at_m2(3 * 16 + 1), std::out_of_range);
}
