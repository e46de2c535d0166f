// The fd4 gradient read out of a mesh during the readout (sim/mesh/fd4_readout.hpp) against
// the stencil applied on the whole mesh and read out per component, its transpose by the
// dot-product test, its position vjp against finite differences; and the plane order the
// painters walk (sim/mesh/plane_order.hpp).
#include <gtest/gtest.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "sim/mesh/fd4_readout.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/plane_order.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;

namespace {

constexpr int kSide = 6;       // particles per side
constexpr int kMesh = 12;      // cells per side
constexpr double kBox = 30.0;  // [Mpc/h]
const cg::PaintKernel kKernels[] = {cg::PaintKernel::cic, cg::PaintKernel::tsc,
                                    cg::PaintKernel::pcs};

/// A lattice displaced uniformly within +-spread [Mpc/h]: particles cross the box edges.
cg::Particles<double> displaced(std::uint32_t seed, double spread = 4.0) {
  auto p = cg::Particles<double>::lattice_grid(kSide, kBox);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-spread, spread);
  for (double& d : p.disp) d = u(rng);
  return p;
}

/// A mesh of standard normal values.
cg::Field<double> random_mesh(std::uint32_t seed) {
  cg::Field<double> f{cg::Decomposition(kMesh)};
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  for (int x = 0; x < kMesh; ++x)
    for (int y = 0; y < kMesh; ++y)
      for (int z = 0; z < kMesh; ++z) f.at(x, y, z) = g(rng);
  return f;
}

/// FastPM's 4th-order difference of f along `axis` on the whole periodic mesh [per cell].
cg::Field<double> stencil(const cg::Field<double>& f, int axis) {
  cg::Field<double> out{f.decomp()};
  const auto at = [&](int x, int y, int z) {
    const auto w = [](int i) { return (i % kMesh + kMesh) % kMesh; };
    return f.at(w(x), w(y), w(z));
  };
  for (int x = 0; x < kMesh; ++x)
    for (int y = 0; y < kMesh; ++y)
      for (int z = 0; z < kMesh; ++z) {
        int s[3] = {0, 0, 0};
        s[axis] = 1;
        const auto v = [&](int k) { return at(x + k * s[0], y + k * s[1], z + k * s[2]); };
        out.at(x, y, z) = (8.0 * (v(1) - v(-1)) - (v(2) - v(-2))) / 12.0;
      }
  return out;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

TEST(Fd4Readout, EqualsTheStencilMeshReadOut) {
  const auto p = displaced(1);
  const cg::Field<double> phi = random_mesh(2);
  const double scale = -0.7;
  for (auto k : kKernels) {
    std::vector<double> fused(3 * p.size());
    cg::readout_fd4_gradient(phi, p, kBox, k, scale, fused.data(), 0.5);
    std::vector<double> ref(3 * p.size());
    for (int axis = 0; axis < 3; ++axis) {
      const cg::Field<double> g = stencil(phi, axis);
      cg::readout(g, p, kBox, k, ref.data() + axis, 3, 0.5);
    }
    for (double& r : ref) r *= scale;
    double diff = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) diff = std::max(diff, std::abs(fused[i] - ref[i]));
    EXPECT_LT(diff, 1e-12 * max_abs(ref)) << cg::paint_kernel_name(k);
  }
}

TEST(Fd4Readout, TransposePassesTheDotProductTest) {
  // <paint_fd4_gradient_transpose(c), psi> = sum_j c_j . readout_fd4_gradient(psi)_j
  const auto p = displaced(3);
  const cg::Field<double> psi = random_mesh(4);
  std::mt19937 rng(5);
  std::normal_distribution<double> g;
  std::vector<double> cot(3 * p.size());
  for (double& c : cot) c = g(rng);
  for (auto k : kKernels) {
    cg::Field<double> q{cg::Decomposition(kMesh)};
    cg::paint_fd4_gradient_transpose(q, p, kBox, k, 1.3, cot.data(), 0.25);
    double lhs = 0;
    for (int x = 0; x < kMesh; ++x)
      for (int y = 0; y < kMesh; ++y)
        for (int z = 0; z < kMesh; ++z) lhs += q.at(x, y, z) * psi.at(x, y, z);
    std::vector<double> out(3 * p.size());
    cg::readout_fd4_gradient(psi, p, kBox, k, 1.3, out.data(), 0.25);
    double rhs = 0;
    for (std::size_t i = 0; i < out.size(); ++i) rhs += cot[i] * out[i];
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(rhs)) << cg::paint_kernel_name(k);
  }
}

TEST(Fd4Readout, PositionVjpMatchesFiniteDifferences) {
  const cg::Field<double> phi = random_mesh(6);
  const cg::Particles<double> p0 = displaced(7);
  for (auto k : kKernels) {
    auto f = [&](const std::vector<double>& disp) {
      cg::Particles<double> q = p0;
      q.disp = disp;
      std::vector<double> out(3 * q.size());
      cg::readout_fd4_gradient(phi, q, kBox, k, 2.0, out.data(), 0.5);
      return out;
    };
    auto vjp = [&](const std::vector<double>& disp, const std::vector<double>& cot) {
      cg::Particles<double> q = p0;
      q.disp = disp;
      std::vector<double> grad(disp.size(), 0.0), out(disp.size());
      const double dot = cg::readout_fd4_gradient_vjp_positions(phi, q, kBox, k, 2.0, cot.data(),
                                                                grad.data(), 0.5, out.data());
      // the same pass returns the readout itself and sum cot . out
      const std::vector<double> plain = f(disp);
      EXPECT_EQ(std::memcmp(out.data(), plain.data(), out.size() * sizeof(double)), 0);
      double ref = 0;
      for (std::size_t i = 0; i < out.size(); ++i) ref += cot[i] * out[i];
      EXPECT_NEAR(dot, ref, 1e-12 * std::abs(ref));
      return grad;
    };
    const auto check = cosmograd::testing::check_vjp(f, vjp, p0.disp, 3, 1e-6);
    EXPECT_LT(check.max_rel_error, 1e-6) << cg::paint_kernel_name(k);
  }
}

TEST(Fd4Readout, TransposeIsIndependentOfTheThreadCount) {
#ifdef _OPENMP
  const auto p = displaced(8, 20.0);
  std::vector<double> cot(3 * p.size());
  std::mt19937 rng(9);
  std::normal_distribution<double> g;
  for (double& c : cot) c = g(rng);
  const int saved = omp_get_max_threads();
  std::vector<std::vector<double>> meshes;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    cg::Field<double> q{cg::Decomposition(kMesh)};
    cg::paint_fd4_gradient_transpose(q, p, kBox, cg::PaintKernel::tsc, 1.0, cot.data(), 0.5);
    meshes.emplace_back(q.real(), q.real() + q.buffer_size());
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(meshes[0], meshes[1]);
  EXPECT_EQ(meshes[0], meshes[2]);
#else
  GTEST_SKIP() << "built without OpenMP";
#endif
}

TEST(PlaneOrder, IsAStableSortByRowWithTheCellsAndOffsets) {
  const auto p = displaced(10, 9.0);
  cg::PlaneOrder order;
  order.sort(p, kMesh, kBox, 0.5);
  ASSERT_EQ(order.size(), p.size());
  EXPECT_EQ(order.plane_begin(0), 0u);
  EXPECT_EQ(order.plane_begin(kMesh), p.size());
  ASSERT_NE(order.offsets<double>(), nullptr);
  EXPECT_EQ(order.offsets<float>(), nullptr);  // sorted from double particles
  std::vector<int> seen(p.size(), 0);
  const std::size_t rows = static_cast<std::size_t>(kMesh) * kMesh;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t s = order.row_begin(r); s < order.row_begin(r + 1); ++s) {
      const std::size_t j = order.indices()[s];
      ++seen[j];
      double u[3];
      for (int d = 0; d < 3; ++d) u[d] = p.position(j, d) * kMesh / kBox + 0.5;
      EXPECT_EQ(static_cast<std::size_t>(std::floor(u[0])) % kMesh, r / kMesh) << j;
      EXPECT_EQ(static_cast<std::size_t>(std::floor(u[1])) % kMesh, r % kMesh) << j;
      EXPECT_EQ(static_cast<int>(std::floor(u[2])) % kMesh, static_cast<int>(order.cell_z()[s]));
      for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(order.offsets<double>()[3 * s + d], u[d] - std::floor(u[d]), 1e-12) << j;
      }
      if (s > order.row_begin(r)) {
        EXPECT_LT(order.indices()[s - 1], j);  // stable
      }
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
  EXPECT_NO_THROW(order.require_matches(p.size(), kMesh, 0.5, "test"));
  EXPECT_THROW(order.require_matches(p.size(), kMesh, 0.0, "test"), std::logic_error);
  EXPECT_THROW(order.require_matches(p.size() - 1, kMesh, 0.5, "test"), std::logic_error);
  // a paint given the order equals one that sorts for itself, bit for bit
  cg::Field<double> a{cg::Decomposition(kMesh)}, b{cg::Decomposition(kMesh)};
  cg::paint(a, p, kBox, cg::PaintKernel::cic, 1.0, 0.5, &order);
  cg::paint(b, p, kBox, cg::PaintKernel::cic, 1.0, 0.5);
  EXPECT_EQ(std::memcmp(a.real(), b.real(), a.buffer_size() * sizeof(double)), 0);
  EXPECT_THROW(cg::paint(a, p, kBox, cg::PaintKernel::cic, 1.0, 0.0, &order), std::logic_error);
}

TEST(Fd4Readout, GivenOrderAndThreadCountsGiveTheSameBits) {
  const cg::Field<double> phi = random_mesh(11);
  const auto p = displaced(12, 15.0);
  cg::PlaneOrder order;
  order.sort(p, kMesh, kBox, 0.5);
  std::vector<double> cot(3 * p.size());
  std::mt19937 rng(13);
  std::normal_distribution<double> g;
  for (double& c : cot) c = g(rng);
  std::vector<std::vector<double>> outs, grads;
  std::vector<double> dots;
  const auto run = [&](const cg::PlaneOrder* o) {
    std::vector<double> out(3 * p.size()), grad(3 * p.size(), 0.0), out2(3 * p.size());
    cg::readout_fd4_gradient(phi, p, kBox, cg::PaintKernel::cic, 1.5, out.data(), 0.5, o);
    dots.push_back(cg::readout_fd4_gradient_vjp_positions(
        phi, p, kBox, cg::PaintKernel::cic, 1.5, cot.data(), grad.data(), 0.5, out2.data(), o));
    EXPECT_EQ(out, out2);
    outs.push_back(out);
    grads.push_back(grad);
  };
  run(&order);
  run(nullptr);
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  for (int threads : {1, 3}) {
    omp_set_num_threads(threads);
    run(&order);
  }
  omp_set_num_threads(saved);
#endif
  for (std::size_t i = 1; i < outs.size(); ++i) {
    EXPECT_EQ(outs[0], outs[i]) << i;
    EXPECT_EQ(grads[0], grads[i]) << i;
    EXPECT_EQ(dots[0], dots[i]) << i;
  }
  // an order sorted at another shift is refused
  cg::PlaneOrder other;
  other.sort(p, kMesh, kBox, 0.0);
  std::vector<double> out(3 * p.size());
  EXPECT_THROW(
      cg::readout_fd4_gradient(phi, p, kBox, cg::PaintKernel::cic, 1.0, out.data(), 0.5, &other),
      std::logic_error);
}

TEST(Fd4Readout, FloatParticlesMatchDouble) {
  // The CIC offsets are kept in the particles' precision: a float readout of a double-exact
  // mesh agrees with the double one to float rounding.
  const cg::Field<double> phi = random_mesh(14);
  const auto p = displaced(15, 6.0);
  cg::Particles<float> q;
  q.n_side = p.n_side;
  q.box_size = p.box_size;
  q.id = p.id;
  q.disp.assign(p.disp.begin(), p.disp.end());
  q.mom.assign(p.mom.begin(), p.mom.end());
  cg::Particles<double> pd = p;
  pd.disp.assign(q.disp.begin(), q.disp.end());  // the same (float) positions
  cg::Field<float> phif{cg::Decomposition(kMesh)};
  for (int x = 0; x < kMesh; ++x)
    for (int y = 0; y < kMesh; ++y)
      for (int z = 0; z < kMesh; ++z) phif.at(x, y, z) = static_cast<float>(phi.at(x, y, z));
  cg::Field<double> phid{cg::Decomposition(kMesh)};
  for (int x = 0; x < kMesh; ++x)
    for (int y = 0; y < kMesh; ++y)
      for (int z = 0; z < kMesh; ++z) phid.at(x, y, z) = phif.at(x, y, z);
  std::vector<float> of(3 * q.size());
  std::vector<double> od(3 * q.size());
  cg::readout_fd4_gradient(phif, q, kBox, cg::PaintKernel::cic, 1.0, of.data(), 0.5);
  cg::readout_fd4_gradient(phid, pd, kBox, cg::PaintKernel::cic, 1.0, od.data(), 0.5);
  double diff = 0;
  for (std::size_t i = 0; i < od.size(); ++i) diff = std::max(diff, std::abs(of[i] - od[i]));
  EXPECT_LT(diff, 1e-6 * max_abs(od));
}

TEST(PaintVjp, WalkingTheOrderGivesTheSameBits) {
  const cg::Field<double> cot = random_mesh(16);
  const auto p = displaced(17, 12.0);
  cg::PlaneOrder order;
  order.sort(p, kMesh, kBox, 0.5);
  std::vector<double> plain(3 * p.size(), 0.25), sorted(3 * p.size(), 0.25);
  cg::paint_vjp(cot, p, kBox, cg::PaintKernel::cic, 0.7, plain.data(), 0.5);
  cg::paint_vjp(cot, p, kBox, cg::PaintKernel::cic, 0.7, sorted.data(), 0.5, &order);
  EXPECT_EQ(plain, sorted);
  EXPECT_THROW(cg::paint_vjp(cot, p, kBox, cg::PaintKernel::cic, 0.7, sorted.data(), 0.0, &order),
               std::logic_error);
}
