// Vector-Jacobian product of the PM force against central finite differences (gradcheck.hpp).
#include <gtest/gtest.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/pm/gravity.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;
using cosmograd::testing::check_vjp;

namespace {

constexpr int kMesh = 16;
constexpr int kSide = 8;
constexpr double kBox = 32.0;  // 2 Mpc/h cells
constexpr double kOmegaM = 0.3;
/// Finite-difference step [Mpc/h] (5e-7 cells): random directions then almost never carry a
/// coordinate across a kink of the piecewise-polynomial windows.
constexpr double kEps = 1e-6;
constexpr double kTol = 1e-6;

/// An 8^3 lattice with Gaussian displacements of 1.5 cells rms per axis.
template <class T>
cg::Particles<T> displaced_lattice(std::uint32_t seed) {
  auto p = cg::Particles<T>::lattice_grid(kSide, kBox);
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 3.0);
  for (T& d : p.disp) d = static_cast<T>(g(rng));
  return p;
}

std::vector<double> random_vector(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> v(size);
  for (double& x : v) x = g(rng);
  return v;
}

struct Case {
  cg::PaintKernel painter;
  cg::GradientKernel gradient;
  bool deconvolve;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (auto k : {cg::PaintKernel::cic, cg::PaintKernel::tsc, cg::PaintKernel::pcs})
    for (auto g : {cg::GradientKernel::exact, cg::GradientKernel::fd4})
      for (bool dec : {false, true}) cases.push_back({k, g, dec});
  return cases;
}

cg::ForceOptions options(const Case& c) {
  cg::ForceOptions o;
  o.painter = c.painter;
  o.gradient = c.gradient;
  o.deconvolve = c.deconvolve;
  return o;
}

std::string name(const Case& c) {
  return std::string(cg::paint_kernel_name(c.painter)) + " " +
         cg::gradient_kernel_name(c.gradient) + (c.deconvolve ? " deconvolved" : "");
}

}  // namespace

TEST(GravityVjp, DisplacementGradientMatchesFiniteDifferences) {
  for (const Case& c : all_cases()) {
    cg::Gravity<double> g(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
    auto p = displaced_lattice<double>(21);
    const auto f = [&](const std::vector<double>& x) {
      p.disp = x;
      std::vector<double> acc;
      g.accelerations(p, kOmegaM, p.size(), acc);
      return acc;
    };
    const auto vjp = [&](const std::vector<double>& x, const std::vector<double>& cot) {
      p.disp = x;
      std::vector<double> grad(x.size(), 0.0);
      g.accelerations_vjp(p, kOmegaM, p.size(), cot, grad);
      return grad;
    };
    const std::vector<double> x0 = p.disp;  // a copy: f and vjp overwrite p.disp
    const auto r = check_vjp(f, vjp, x0, 4, kEps);
    EXPECT_LE(r.max_rel_error, kTol) << name(c);
    EXPECT_GT(r.typical_scale, 0.0) << name(c);
    std::printf("accelerations_vjp %-22s max rel error %.2e (|<cot, J v>| ~ %.2e)\n",
                name(c).c_str(), r.max_rel_error, r.typical_scale);
  }
}

TEST(GravityVjp, OmegaMGradientMatchesFiniteDifferences) {
  for (const Case& c : all_cases()) {
    cg::Gravity<double> g(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
    const auto p = displaced_lattice<double>(22);
    const auto f = [&](const std::vector<double>& om) {
      std::vector<double> acc;
      g.accelerations(p, om[0], p.size(), acc);
      return acc;
    };
    const auto vjp = [&](const std::vector<double>& om, const std::vector<double>& cot) {
      std::vector<double> grad(3 * p.size(), 0.0);
      return std::vector<double>{g.accelerations_vjp(p, om[0], p.size(), cot, grad)};
    };
    const auto r = check_vjp(f, vjp, {kOmegaM}, 2, 1e-6);
    EXPECT_LE(r.max_rel_error, kTol) << name(c);
    std::printf("d/dOmega_m %-22s max rel error %.2e\n", name(c).c_str(), r.max_rel_error);
  }
}

TEST(GravityVjp, ReturnsTheForwardAccelerationsBitwise) {
  for (const Case& c : all_cases()) {
    cg::Gravity<float> g(kMesh, kBox, 2, cg::FftPlanning::estimate, options(c));
    const auto p = displaced_lattice<float>(23);
    std::vector<float> ref, acc, grad(3 * p.size(), 0.0f);
    g.accelerations(p, kOmegaM, p.size(), ref);
    const std::vector<double> cd = random_vector(3 * p.size(), 24);
    const std::vector<float> cot(cd.begin(), cd.end());
    g.accelerations_vjp(p, kOmegaM, p.size(), cot, grad, &acc);
    EXPECT_EQ(acc, ref) << name(c);
  }
}

TEST(GravityVjp, FloatAgreesWithDouble) {
  // Same inputs in both precisions: the float gradient to float accuracy.
  const Case c{cg::PaintKernel::tsc, cg::GradientKernel::fd4, false};
  cg::Gravity<double> gd(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
  cg::Gravity<float> gf(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
  const auto pf = displaced_lattice<float>(25);
  cg::Particles<double> pd = cg::Particles<double>::lattice_grid(kSide, kBox);
  pd.disp.assign(pf.disp.begin(), pf.disp.end());
  const std::vector<double> cd = random_vector(3 * pd.size(), 26);
  const std::vector<float> cf(cd.begin(), cd.end());
  std::vector<double> grad_d(cd.size(), 0.0);
  std::vector<float> grad_f(cd.size(), 0.0f);
  const double dd = gd.accelerations_vjp(pd, kOmegaM, pd.size(), cd, grad_d);
  const double df = gf.accelerations_vjp(pf, kOmegaM, pf.size(), cf, grad_f);
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < cd.size(); ++i) {
    diff += (grad_f[i] - grad_d[i]) * (grad_f[i] - grad_d[i]);
    norm += grad_d[i] * grad_d[i];
  }
  EXPECT_LT(std::sqrt(diff / norm), 1e-5);
  EXPECT_NEAR(df, dd, 1e-5 * std::abs(dd));
}

#ifdef _OPENMP
TEST(GravityVjp, BitwiseIdenticalForAnyThreadCount) {
  // OpenMP threads change; FFTW's own thread count (fixed per plan) stays 1.
  const Case c{cg::PaintKernel::cic, cg::GradientKernel::fd4, true};
  const auto p = displaced_lattice<double>(27);
  const std::vector<double> cot = random_vector(3 * p.size(), 28);
  std::vector<double> grad[2];
  double domega[2];
  const int saved = omp_get_max_threads();
  for (int t = 0; t < 2; ++t) {
    omp_set_num_threads(t + 1);
    cg::Gravity<double> g(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
    grad[t].assign(cot.size(), 0.0);
    domega[t] = g.accelerations_vjp(p, kOmegaM, p.size(), cot, grad[t]);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(grad[0], grad[1]);
  EXPECT_EQ(domega[0], domega[1]);
}
#endif

TEST(GravityVjp, AddsIntoGradAndRecordsTimings) {
  const Case c{cg::PaintKernel::cic, cg::GradientKernel::fd4, false};
  cg::Gravity<double> g(kMesh, kBox, 1, cg::FftPlanning::estimate, options(c));
  const auto p = displaced_lattice<double>(29);
  const std::vector<double> cot = random_vector(3 * p.size(), 30);
  std::vector<double> once(cot.size(), 0.0), twice(cot.size(), 0.0);
  g.accelerations_vjp(p, kOmegaM, p.size(), cot, once);
  g.accelerations_vjp(p, kOmegaM, p.size(), cot, twice);
  g.accelerations_vjp(p, kOmegaM, p.size(), cot, twice);
  double scale = 0;
  for (double v : once) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < cot.size(); ++i) EXPECT_NEAR(twice[i], 2 * once[i], 1e-13 * scale);
  EXPECT_EQ(g.timings().total(), 0.0);  // total() counts accelerations() only
  EXPECT_GT(g.timings().vjp_total(), 0.0);
  std::vector<double> wrong(5);
  EXPECT_THROW(g.accelerations_vjp(p, kOmegaM, p.size(), cot, wrong), std::invalid_argument);
}

TEST(GravityVjp, Fd4InRealSpaceEqualsTheFourierPath) {
  // One c2r to the potential and FastPM's stencil in real space (2 FFTs per force, 2 per
  // vjp) against one c2r per component (4 each): the same operator in exact arithmetic.
  const auto p = displaced_lattice<double>(11);
  const std::vector<double> cot = random_vector(3 * p.size(), 12);
  for (auto k : {cg::PaintKernel::cic, cg::PaintKernel::pcs}) {
    for (bool dec : {false, true}) {
      cg::ForceOptions real = options({k, cg::GradientKernel::fd4, dec});
      cg::ForceOptions fourier = real;
      real.fd4_path = cg::Fd4Path::real_space;
      fourier.fd4_path = cg::Fd4Path::fourier;
      cg::Gravity<double> gr(kMesh, kBox, 1, cg::FftPlanning::estimate, real);
      cg::Gravity<double> gf(kMesh, kBox, 1, cg::FftPlanning::estimate, fourier);
      std::vector<double> ar, af;
      gr.accelerations(p, kOmegaM, p.size(), ar);
      gf.accelerations(p, kOmegaM, p.size(), af);
      double scale = 0, diff = 0;
      for (std::size_t i = 0; i < ar.size(); ++i) {
        scale = std::max(scale, std::abs(af[i]));
        diff = std::max(diff, std::abs(ar[i] - af[i]));
      }
      EXPECT_LT(diff, 1e-12 * scale) << cg::paint_kernel_name(k) << " deconvolve " << dec;
      std::vector<double> grad_r(cot.size(), 0.0), grad_f(cot.size(), 0.0);
      const double jr = gr.accelerations_vjp(p, kOmegaM, p.size(), cot, grad_r);
      const double jf = gf.accelerations_vjp(p, kOmegaM, p.size(), cot, grad_f);
      EXPECT_NEAR(jr, jf, 1e-12 * std::abs(jf));
      double gscale = 0, gdiff = 0;
      for (std::size_t i = 0; i < grad_r.size(); ++i) {
        gscale = std::max(gscale, std::abs(grad_f[i]));
        gdiff = std::max(gdiff, std::abs(grad_r[i] - grad_f[i]));
      }
      EXPECT_LT(gdiff, 1e-12 * gscale) << cg::paint_kernel_name(k) << " deconvolve " << dec;
    }
  }
}
