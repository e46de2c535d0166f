#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <random>

#include "sim/mesh/painter.hpp"
#include "sim/mesh/window_weights.hpp"

namespace cg = cosmograd::sim;

namespace {

cg::Particles<double> random_particles(int n_side, double box, std::uint32_t seed, double spread) {
  auto p = cg::Particles<double>::lattice_grid(n_side, box);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-spread, spread);
  for (double& d : p.disp) d = u(rng);
  return p;
}

double mesh_sum(const cg::Field<double>& f) {
  double s = 0;
  const int n = f.n();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) s += f.at(x, y, z);
  return s;
}

const cg::PaintKernel kKernels[] = {cg::PaintKernel::cic, cg::PaintKernel::tsc,
                                    cg::PaintKernel::pcs};

}  // namespace

TEST(Painter, ConservesMass) {
  const auto p = random_particles(8, 10.0, 1, 30.0);  // displacements wrap the box
  for (auto k : kKernels) {
    cg::Field<double> f(cg::Decomposition(12));
    cg::paint(f, p, 10.0, k, 0.5);
    EXPECT_NEAR(mesh_sum(f), 0.5 * p.size(), 1e-10) << cg::paint_kernel_name(k);
  }
}

TEST(Painter, WeightsOnAGridPoint) {
  // One particle exactly on mesh point (2, 3, 4) of an 8^3 mesh with unit cells.
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(2, 8.0);
  p.resize(1);
  p.id[0] = 0;
  p.disp = {2.0, 3.0, 4.0};
  cg::Field<double> cic(cg::Decomposition(8));
  cg::paint(cic, p, 8.0, cg::PaintKernel::cic, 1.0);
  EXPECT_DOUBLE_EQ(cic.at(2, 3, 4), 1.0);
  cg::Field<double> tsc(cg::Decomposition(8));
  cg::paint(tsc, p, 8.0, cg::PaintKernel::tsc, 1.0);
  EXPECT_DOUBLE_EQ(tsc.at(2, 3, 4), 0.75 * 0.75 * 0.75);
  EXPECT_DOUBLE_EQ(tsc.at(1, 3, 4), 0.125 * 0.75 * 0.75);
  cg::Field<double> pcs(cg::Decomposition(8));
  cg::paint(pcs, p, 8.0, cg::PaintKernel::pcs, 1.0);
  EXPECT_NEAR(pcs.at(2, 3, 4), std::pow(4.0 / 6.0, 3), 1e-15);
  EXPECT_NEAR(pcs.at(3, 3, 4), std::pow(4.0 / 6.0, 2) / 6.0, 1e-15);
}

TEST(Painter, ReadoutIsTheTransposeOfPaint) {
  // <paint(m), f> = sum_j m_j readout(f)_j for any mesh f (unit masses here).
  const auto p = random_particles(6, 20.0, 2, 5.0);
  std::mt19937 rng(3);
  std::normal_distribution<double> g;
  for (auto k : kKernels) {
    cg::Field<double> f(cg::Decomposition(10));
    for (int x = 0; x < 10; ++x)
      for (int y = 0; y < 10; ++y)
        for (int z = 0; z < 10; ++z) f.at(x, y, z) = g(rng);
    cg::Field<double> painted(cg::Decomposition(10));
    cg::paint(painted, p, 20.0, k, 1.0);
    double lhs = 0;
    for (int x = 0; x < 10; ++x)
      for (int y = 0; y < 10; ++y)
        for (int z = 0; z < 10; ++z) lhs += painted.at(x, y, z) * f.at(x, y, z);
    std::vector<double> r(p.size());
    cg::readout(f, p, 20.0, k, r.data());
    double rhs = 0;
    for (double v : r) rhs += v;
    EXPECT_NEAR(lhs, rhs, 1e-10 * std::abs(lhs)) << cg::paint_kernel_name(k);
  }
}

TEST(Painter, ReadoutOfConstantAndOfLinearRamp) {
  const auto p = random_particles(4, 16.0, 4, 1.5);
  for (auto k : kKernels) {
    cg::Field<double> f(cg::Decomposition(16));
    f.fill(2.5);
    std::vector<double> r(p.size());
    cg::readout(f, p, 16.0, k, r.data());
    for (double v : r) EXPECT_NEAR(v, 2.5, 1e-12);
    // A ramp f = x (in cells) is interpolated exactly by these symmetric windows away
    // from the periodic seam (lattice particles sit at x in [0, 12] + 1.5).
    for (int x = 0; x < 16; ++x)
      for (int y = 0; y < 16; ++y)
        for (int z = 0; z < 16; ++z) f.at(x, y, z) = x;
    cg::readout(f, p, 16.0, k, r.data());
    for (std::size_t j = 0; j < p.size(); ++j) {
      const double x = p.position(j, 0);
      if (x > 3 && x < 12) {
        EXPECT_NEAR(r[j], x, 1e-12) << cg::paint_kernel_name(k);
      }
    }
  }
}

TEST(Painter, BitwiseIdenticalForAnyThreadCount) {
  const auto p = random_particles(16, 50.0, 5, 20.0);
  for (auto k : kKernels) {
    cg::Field<double> one(cg::Decomposition(22));
    cg::Field<double> two(cg::Decomposition(22));
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    cg::paint(one, p, 50.0, k, 1.0);
    omp_set_num_threads(2);
    cg::paint(two, p, 50.0, k, 1.0);
    omp_set_num_threads(saved);
    EXPECT_EQ(std::memcmp(one.real(), two.real(), one.buffer_size() * sizeof(double)), 0);
  }
}

TEST(Painter, ParseNames) {
  EXPECT_EQ(cg::parse_paint_kernel("tsc"), cg::PaintKernel::tsc);
  try {
    cg::parse_paint_kernel("ngp");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "painter = 'ngp' is not a mass-assignment window (allowed: cic, tsc, pcs)");
  }
}

// The window registry and the one copy of the weights (sim/mesh/window*.hpp).
namespace {

/// axis_weights<P> against the generic B-spline at positions u: weights and derivatives.
template <int P>
void expect_closed_form_is_the_bspline() {
  std::mt19937_64 rng(P);
  std::uniform_real_distribution<double> U(-3.0, 40.0);
  for (int trial = 0; trial < 200; ++trial) {
    const double u = U(rng);
    double w[P], dw[P];
    const long long first = cg::axis_weights<P, true>(u, w, dw);
    for (int c = 0; c < P; ++c) {
      const double x = static_cast<double>(first + c) - u;
      EXPECT_NEAR(w[c], cg::bspline(P, x, false), 1e-13) << "P " << P << " u " << u;
      EXPECT_NEAR(dw[c], -cg::bspline(P, x, true), 1e-12) << "P " << P << " u " << u;
    }
  }
}

/// B-spline windows reproduce constants and linear functions: sum w = 1, sum (i - u) w = 0,
/// sum dw = 0; weights are non-negative and vanish outside the P touched points.
template <int P>
void expect_partition_of_unity() {
  std::mt19937_64 rng(10 + P);
  std::uniform_real_distribution<double> U(0.0, 32.0);
  for (int trial = 0; trial < 200; ++trial) {
    const double u = U(rng);
    double w[P], dw[P];
    const long long first = cg::axis_weights<P, true>(u, w, dw);
    double sum = 0, moment = 0, dsum = 0;
    for (int c = 0; c < P; ++c) {
      EXPECT_GE(w[c], -1e-15);
      sum += w[c];
      moment += (static_cast<double>(first + c) - u) * w[c];
      dsum += dw[c];
    }
    EXPECT_NEAR(sum, 1.0, 1e-13) << "P " << P;
    EXPECT_NEAR(moment, 0.0, 1e-12) << "P " << P;
    EXPECT_NEAR(dsum, 0.0, 1e-12) << "P " << P;
    // The points just outside the stencil carry no weight.
    EXPECT_NEAR(cg::bspline(P, static_cast<double>(first - 1) - u, false), 0.0, 1e-13);
    EXPECT_NEAR(cg::bspline(P, static_cast<double>(first + P) - u, false), 0.0, 1e-13);
  }
}

}  // namespace

TEST(Window, ClosedFormsAreTheBSplines) {
  expect_closed_form_is_the_bspline<2>();
  expect_closed_form_is_the_bspline<3>();
  expect_closed_form_is_the_bspline<4>();
}

TEST(Window, HigherOrdersFromTheGenericBSpline) {
  expect_partition_of_unity<2>();
  expect_partition_of_unity<3>();
  expect_partition_of_unity<4>();
  expect_partition_of_unity<5>();
  expect_partition_of_unity<6>();
}

TEST(Window, SupportGivesReachAndGhostWidths) {
  // The planes a window touches lie in [floor(u) - reach_below, floor(u) + reach_above] (the
  // painter's chunk width), so for particles with floor(u) in the slab [xb, xe] in
  // [xb - ghost_lo, xe - 1 + ghost_hi]; checked against axis_weights for every window.
  for (const cg::Window& win : cg::windows()) {
    for (double u : {10.0, 10.49, 10.5, 10.999999, 11.0}) {  // u in [xb, xe + 1] = [10, 11]
      double w[6], dw[6];
      long long first = 0;
      switch (win.support) {
        case 2:
          first = cg::axis_weights<2, false>(u, w, dw);
          break;
        case 3:
          first = cg::axis_weights<3, false>(u, w, dw);
          break;
        case 4:
          first = cg::axis_weights<4, false>(u, w, dw);
          break;
        default:
          FAIL() << "untested support " << win.support;
      }
      const long long cell = static_cast<long long>(std::floor(u));
      EXPECT_GE(first, cell - cg::window_reach_below(win.support)) << win.name << " u " << u;
      EXPECT_LE(first + win.support - 1, cell + cg::window_reach_above(win.support))
          << win.name << " u " << u;
      EXPECT_GE(first, 10 - win.ghost_lo()) << win.name << " u " << u;
      EXPECT_LE(first + win.support - 1, 10 + win.ghost_hi()) << win.name << " u " << u;
    }
  }
  EXPECT_EQ(cg::paint_kernel_names(), "cic, tsc, pcs");
  EXPECT_EQ(cg::paint_order(cg::PaintKernel::tsc), 3);
}
