// Vector-Jacobian products of the painters against central finite differences (gradcheck.hpp),
// and the weighted painters against paint() and readout().
#include <gtest/gtest.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <cstring>
#include <random>
#include <vector>

#include "sim/mesh/painter.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;
using cosmograd::testing::check_vjp;

namespace {

const cg::PaintKernel kKernels[] = {cg::PaintKernel::cic, cg::PaintKernel::tsc,
                                    cg::PaintKernel::pcs};
/// Finite-difference step [Mpc/h]: 1e-6 cells, so that a random direction almost never carries
/// a coordinate across a kink of the piecewise-polynomial windows.
constexpr double kEps = 1e-6;
/// Required relative agreement of vjp and finite differences (double precision).
constexpr double kTol = 1e-6;

/// A lattice of n_side^3 particles displaced uniformly within +-spread [Mpc/h].
cg::Particles<double> random_particles(int n_side, double box, std::uint32_t seed, double spread) {
  auto p = cg::Particles<double>::lattice_grid(n_side, box);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-spread, spread);
  for (double& d : p.disp) d = u(rng);
  return p;
}

/// A mesh of independent standard normal values.
cg::Field<double> random_mesh(int n, std::uint32_t seed) {
  cg::Field<double> f{cg::Decomposition(n)};
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = g(rng);
  return f;
}

/// The n^3 real cells of a mesh, in (x, y, z) order.
std::vector<double> cells(const cg::Field<double>& f) {
  std::vector<double> v;
  const int n = f.n();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) v.push_back(f.at(x, y, z));
  return v;
}

/// Writes the n^3 values v (in (x, y, z) order) into the cells of f.
void set_cells(cg::Field<double>& f, const double* v) {
  const int n = f.n();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = *v++;
}

std::vector<double> random_vector(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> v(size);
  for (double& x : v) x = g(rng);
  return v;
}

bool bitwise_equal(const cg::Field<double>& a, const cg::Field<double>& b) {
  return std::memcmp(a.real(), b.real(), a.buffer_size() * sizeof(double)) == 0;
}

}  // namespace

TEST(PainterVjp, PaintWeightedWithEqualWeightsIsPaint) {
  const auto p = random_particles(6, 12.0, 1, 4.0);
  for (auto k : kKernels) {
    cg::Field<double> a{cg::Decomposition(10)}, b{cg::Decomposition(10)};
    cg::paint(a, p, 12.0, k, 0.7, 0.5);
    const std::vector<double> w(2 * p.size(), 0.7);
    cg::paint_weighted(b, p, 12.0, k, w.data(), 2, 0.5);
    EXPECT_TRUE(bitwise_equal(a, b)) << cg::paint_kernel_name(k);
  }
}

TEST(PainterVjp, PaintWeightedIsTheTransposeOfReadout) {
  // <paint_weighted(w), f> = sum_j w_j readout(f)_j.
  const auto p = random_particles(6, 20.0, 2, 5.0);
  const cg::Field<double> f = random_mesh(10, 3);
  const std::vector<double> w = random_vector(p.size(), 4);
  for (auto k : kKernels) {
    cg::Field<double> painted{cg::Decomposition(10)};
    cg::paint_weighted(painted, p, 20.0, k, w.data(), 1, 0.25);
    const std::vector<double> c = cells(painted), fv = cells(f);
    double lhs = 0;
    for (std::size_t i = 0; i < c.size(); ++i) lhs += c[i] * fv[i];
    std::vector<double> r(p.size());
    cg::readout(f, p, 20.0, k, r.data(), 1, 0.25);
    double rhs = 0;
    for (std::size_t j = 0; j < p.size(); ++j) rhs += w[j] * r[j];
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(lhs)) << cg::paint_kernel_name(k);
  }
}

TEST(PainterVjp, Paint3WeightedIsThreePaintWeighted) {
  const auto p = random_particles(8, 30.0, 5, 10.0);
  const std::vector<double> w = random_vector(3 * p.size(), 6);
  for (auto k : kKernels) {
    const cg::Decomposition d(14);
    cg::Field<double> three[3] = {cg::Field<double>(d), cg::Field<double>(d), cg::Field<double>(d)};
    cg::Field<double>* meshes[3] = {&three[0], &three[1], &three[2]};
    cg::paint3_weighted(meshes, p, 30.0, k, w.data(), 0.5);
    for (int m = 0; m < 3; ++m) {
      cg::Field<double> one(d);
      cg::paint_weighted(one, p, 30.0, k, w.data() + m, 3, 0.5);
      EXPECT_TRUE(bitwise_equal(one, three[m])) << cg::paint_kernel_name(k) << " " << m;
    }
  }
}

#ifdef _OPENMP
TEST(PainterVjp, BitwiseIdenticalForAnyThreadCount) {
  const auto p = random_particles(16, 50.0, 7, 20.0);
  const std::vector<double> w = random_vector(3 * p.size(), 8);
  const cg::Field<double> f = random_mesh(22, 9);
  for (auto k : kKernels) {
    cg::Field<double> painted[2] = {cg::Field<double>(cg::Decomposition(22)),
                                    cg::Field<double>(cg::Decomposition(22))};
    std::vector<double> grad[2];
    const int saved = omp_get_max_threads();
    for (int t = 0; t < 2; ++t) {
      omp_set_num_threads(t + 1);
      cg::paint_weighted(painted[t], p, 50.0, k, w.data(), 3, 0.5);
      grad[t].assign(3 * p.size(), 0.0);
      cg::paint_vjp(f, p, 50.0, k, 0.3, grad[t].data(), 0.5);
    }
    omp_set_num_threads(saved);
    EXPECT_TRUE(bitwise_equal(painted[0], painted[1])) << cg::paint_kernel_name(k);
    EXPECT_EQ(grad[0], grad[1]) << cg::paint_kernel_name(k);
  }
}
#endif

TEST(PainterVjp, PaintVjpMatchesFiniteDifferences) {
  const double box = 10.0;  // 1 Mpc/h cells on a 10^3 mesh
  const int n = 10;
  for (auto k : kKernels) {
    for (double shift : {0.0, 0.5}) {
      auto p = random_particles(4, box, 10, 3.0);
      const double mass = 0.8;
      const auto f = [&](const std::vector<double>& x) {
        p.disp = x;
        cg::Field<double> mesh{cg::Decomposition(n)};
        cg::paint(mesh, p, box, k, mass, shift);
        return cells(mesh);
      };
      const auto vjp = [&](const std::vector<double>& x, const std::vector<double>& cot) {
        p.disp = x;
        cg::Field<double> c{cg::Decomposition(n)};
        set_cells(c, cot.data());
        std::vector<double> g(x.size(), 0.0);
        cg::paint_vjp(c, p, box, k, mass, g.data(), shift);
        return g;
      };
      const std::vector<double> x0 = p.disp;  // a copy: f and vjp overwrite p.disp
      const auto r = check_vjp(f, vjp, x0, 6, kEps);
      EXPECT_LE(r.max_rel_error, kTol) << cg::paint_kernel_name(k) << " shift " << shift;
      EXPECT_GT(r.typical_scale, 0.0);
      std::printf("paint_vjp %s shift %.1f: max rel error %.2e\n", cg::paint_kernel_name(k), shift,
                  r.max_rel_error);
    }
  }
}

TEST(PainterVjp, ReadoutVjpMatchesFiniteDifferences) {
  // Gradient with respect to positions and mesh together (x = displacements, then cells).
  const double box = 16.0, n = 8;  // 2 Mpc/h cells
  const std::size_t stride = 2;
  for (auto k : kKernels) {
    auto p = random_particles(4, box, 11, 5.0);
    const std::size_t nd = p.disp.size();
    cg::Field<double> mesh = random_mesh(n, 12);
    const auto f = [&](const std::vector<double>& x) {
      p.disp.assign(x.begin(), x.begin() + nd);
      set_cells(mesh, x.data() + nd);
      std::vector<double> out(stride * p.size(), 0.0), y;
      cg::readout(mesh, p, box, k, out.data(), stride, 0.5);
      for (std::size_t j = 0; j < p.size(); ++j) y.push_back(out[stride * j]);
      return y;
    };
    const auto vjp = [&](const std::vector<double>& x, const std::vector<double>& cot) {
      p.disp.assign(x.begin(), x.begin() + nd);
      set_cells(mesh, x.data() + nd);
      std::vector<double> strided(stride * cot.size(), 0.0);
      for (std::size_t j = 0; j < cot.size(); ++j) strided[stride * j] = cot[j];
      std::vector<double> g(nd, 0.0);
      cg::Field<double> gm{cg::Decomposition(n)};
      cg::readout_vjp(mesh, p, box, k, strided.data(), stride, g.data(), &gm, 0.5);
      const std::vector<double> gc = cells(gm);
      g.insert(g.end(), gc.begin(), gc.end());
      return g;
    };
    std::vector<double> x = p.disp;
    const std::vector<double> c = cells(mesh);
    x.insert(x.end(), c.begin(), c.end());
    const auto r = check_vjp(f, vjp, x, 6, kEps);
    EXPECT_LE(r.max_rel_error, kTol) << cg::paint_kernel_name(k);
    std::printf("readout_vjp %s: max rel error %.2e\n", cg::paint_kernel_name(k), r.max_rel_error);
  }
}

TEST(PainterVjp, Readout3VjpMatchesFiniteDifferences) {
  const double box = 20.0;
  const int n = 10;
  for (auto k : kKernels) {
    auto p = random_particles(5, box, 13, 6.0);
    const cg::Field<double> m0 = random_mesh(n, 14), m1 = random_mesh(n, 15),
                            m2 = random_mesh(n, 16);
    const cg::Field<double>* meshes[3] = {&m0, &m1, &m2};
    const auto f = [&](const std::vector<double>& x) {
      p.disp = x;
      std::vector<double> out(3 * p.size());
      cg::readout3(meshes, p, box, k, out.data(), 0.5);
      return out;
    };
    const auto vjp = [&](const std::vector<double>& x, const std::vector<double>& cot) {
      p.disp = x;
      std::vector<double> g(x.size(), 0.0);
      cg::readout3_vjp_positions(meshes, p, box, k, cot.data(), g.data(), 0.5);
      return g;
    };
    const std::vector<double> x0 = p.disp;  // a copy: f and vjp overwrite p.disp
    const auto r = check_vjp(f, vjp, x0, 6, kEps);
    EXPECT_LE(r.max_rel_error, kTol) << cg::paint_kernel_name(k);
    std::printf("readout3_vjp_positions %s: max rel error %.2e\n", cg::paint_kernel_name(k),
                r.max_rel_error);

    // The fused pass's values are readout3's, bitwise, and it returns <cot, readout3>.
    const std::vector<double> cot = random_vector(3 * p.size(), 17);
    std::vector<double> ref(3 * p.size()), out(3 * p.size()), g(3 * p.size(), 0.0);
    cg::readout3(meshes, p, box, k, ref.data(), 0.5);
    const double dot =
        cg::readout3_vjp_positions(meshes, p, box, k, cot.data(), g.data(), 0.5, out.data());
    EXPECT_EQ(out, ref);
    double expect = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) expect += cot[i] * ref[i];
    EXPECT_NEAR(dot, expect, 1e-12 * std::abs(expect));
  }
}
