// Tests for sim/measure/fof.hpp, sim/measure/halo_catalog.hpp and sim/cosmo/mass_function.hpp.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "sim/core/units.hpp"
#include "sim/cosmo/mass_function.hpp"
#include "sim/measure/fof.hpp"
#include "sim/measure/halo_catalog.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// Brute-force O(N^2) friends-of-friends (Davis et al. 1985): sorted member-id lists, ordered
/// by size descending then smallest id.
std::vector<std::vector<std::uint64_t>> brute_force_fof(const std::vector<double>& pos,
                                                        const std::vector<std::uint64_t>& ids,
                                                        double L, double link, int min_members) {
  const std::size_t n = ids.size();
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      double d2 = 0;
      for (int d = 0; d < 3; ++d) {
        double dx = std::fmod(std::abs(pos[3 * i + d] - pos[3 * j + d]), L);
        dx = std::min(dx, L - dx);
        d2 += dx * dx;
      }
      if (d2 <= link * link) parent[find(i)] = find(j);
    }
  }
  std::vector<std::vector<std::uint64_t>> by_root(n);
  for (std::size_t i = 0; i < n; ++i) by_root[find(i)].push_back(ids[i]);
  std::vector<std::vector<std::uint64_t>> out;
  for (auto& g : by_root) {
    if (g.size() >= static_cast<std::size_t>(min_members)) {
      std::sort(g.begin(), g.end());
      out.push_back(g);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.size() != b.size() ? a.size() > b.size() : a[0] < b[0];
  });
  return out;
}

std::vector<std::vector<std::uint64_t>> as_id_lists(const FofGroups& g,
                                                    const std::vector<std::uint64_t>& ids) {
  std::vector<std::vector<std::uint64_t>> out;
  for (std::size_t k = 0; k < g.size(); ++k) {
    std::vector<std::uint64_t> m;
    for (std::size_t s = g.offsets[k]; s < g.offsets[k + 1]; ++s) m.push_back(ids[g.members[s]]);
    out.push_back(m);
  }
  return out;
}

/// Gaussian blobs (some centred on faces, edges and a corner of the box) plus a uniform
/// background; ids shuffled.
void clustered_set(std::size_t n_blob, int blobs, std::size_t n_bg, double L, unsigned seed,
                   std::vector<double>& pos, std::vector<std::uint64_t>& ids) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, L);
  std::uniform_real_distribution<double> width(0.01 * L, 0.03 * L);
  std::normal_distribution<double> g(0.0, 1.0);
  pos.clear();
  for (int b = 0; b < blobs; ++b) {
    double c[3] = {u(rng), u(rng), u(rng)};
    if (b == 0) c[0] = c[1] = c[2] = 0.0;  // a corner: wraps in all three axes
    if (b == 1) c[0] = L * 0.999;          // a face
    const double s = width(rng);
    for (std::size_t i = 0; i < n_blob; ++i) {
      for (int d = 0; d < 3; ++d) pos.push_back(c[d] + s * g(rng));  // unwrapped on purpose
    }
  }
  for (std::size_t i = 0; i < n_bg; ++i) {
    for (int d = 0; d < 3; ++d) pos.push_back(u(rng));
  }
  ids.resize(pos.size() / 3);
  std::iota(ids.begin(), ids.end(), std::uint64_t{1});
  std::shuffle(ids.begin(), ids.end(), rng);
}

TEST(Fof, MatchesBruteForceOnRandomPoints) {
  const double L = 10.0;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, L);
  std::vector<double> pos(3 * 3000);
  for (double& x : pos) x = u(rng);
  std::vector<std::uint64_t> ids(3000);
  std::iota(ids.begin(), ids.end(), std::uint64_t{100});
  for (double link : {0.3, 0.5, 0.65}) {  // below, near and above percolation
    for (int min_members : {1, 2, 5}) {
      const auto ref = brute_force_fof(pos, ids, L, link, min_members);
      const auto got = as_id_lists(fof_groups(pos, ids, L, link, min_members), ids);
      EXPECT_EQ(got, ref) << "link " << link << " min_members " << min_members;
    }
  }
}

TEST(Fof, MatchesBruteForceOnClusteredPointsAcrossTheBoundary) {
  const double L = 20.0;
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  clustered_set(300, 6, 1000, L, 3, pos, ids);
  const auto ref = brute_force_fof(pos, ids, L, 0.25, 10);
  ASSERT_GE(ref.size(), 6u);
  const FofGroups groups = fof_groups(pos, ids, L, 0.25, 10);
  EXPECT_EQ(as_id_lists(groups, ids), ref);
  // The corner blob really straddles the boundary: some member near each side of x.
  bool low = false, high = false;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    low = high = false;
    for (std::size_t s = groups.offsets[g]; s < groups.offsets[g + 1]; ++s) {
      const double x = std::fmod(pos[3 * groups.members[s]] + L, L);
      low |= x < 1.0;
      high |= x > L - 1.0;
    }
    if (low && high) break;
  }
  EXPECT_TRUE(low && high);
  // float input gives the same groups here (no pair at the linking length within rounding).
  const std::vector<float> posf(pos.begin(), pos.end());
  EXPECT_EQ(as_id_lists(fof_groups(posf, ids, L, 0.25, 10), ids), ref);
}

TEST(Fof, DeterministicAcrossThreadCounts) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  const double L = 50.0;
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  clustered_set(4000, 12, 30000, L, 11, pos, ids);
  std::vector<double> mom(pos.size());
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0.0, 1.0);
  for (double& p : mom) p = g(rng);
  SnapshotHeader h;
  h.box_size = L;
  h.a = 0.5;
  h.Omega_m = 0.3;
  h.Omega_lambda = 0.7;
  h.h = 0.7;
  h.particle_mass = 1.0;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const HaloCatalog one = find_halos(pos, mom, ids, h);
  omp_set_num_threads(2);
  const HaloCatalog two = find_halos(pos, mom, ids, h);
  omp_set_num_threads(saved);
  ASSERT_GE(one.size(), 12u);
  EXPECT_EQ(one.ids, two.ids);
  EXPECT_EQ(one.offsets, two.offsets);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one.halos[i].num_members, two.halos[i].num_members);
    EXPECT_EQ(one.halos[i].pos, two.halos[i].pos);
    EXPECT_EQ(one.halos[i].so_pos, two.halos[i].so_pos);
    EXPECT_EQ(one.halos[i].vel, two.halos[i].vel);
    EXPECT_EQ(one.halos[i].m200m, two.halos[i].m200m);
    EXPECT_EQ(one.halos[i].r200c, two.halos[i].r200c);
    if (i > 0) {
      EXPECT_GE(one.halos[i - 1].num_members, one.halos[i].num_members);
    }
  }
#endif
}

SnapshotHeader test_header(double L) {
  SnapshotHeader h;
  h.box_size = L;
  h.a = 1.0;
  h.Omega_m = 0.3;
  h.Omega_lambda = 0.7;
  h.h = 0.7;
  h.particle_mass = 1.0;
  return h;
}

TEST(Halos, CentreOfMassAcrossTheBoundaryAndVelocities) {
  const double L = 10.0;
  // A cube of 5^3 particles, spacing 0.05, centred on (0, 9.95, 5) so it wraps in x and y.
  std::vector<double> pos, mom;
  std::vector<std::uint64_t> ids;
  const double a = 0.5;
  std::uint64_t id = 1;
  for (int i = -2; i <= 2; ++i) {
    for (int j = -2; j <= 2; ++j) {
      for (int k = -2; k <= 2; ++k) {
        pos.insert(pos.end(), {0.0 + 0.05 * i, 9.95 + 0.05 * j, 5.0 + 0.05 * k});
        // v = 100 p / a: mean (10, -20, 0) km/s, +-30 km/s along x by parity.
        const double vx = 10.0 + ((i + j + k) % 2 == 0 ? 30.0 : -30.0) * (k == 0 ? 0.0 : 1.0);
        mom.insert(mom.end(), {vx * a / 100.0, -20.0 * a / 100.0, 0.0});
        ids.push_back(id++);
      }
    }
  }
  SnapshotHeader h = test_header(L);
  h.a = a;
  FofOptions o;
  o.linking_length = 0.2;  // 0.2 x 10 / 5 = 0.4 > spacing
  const HaloCatalog cat = find_halos(pos, mom, ids, h, o);
  ASSERT_EQ(cat.size(), 1u);
  const Halo& halo = cat.halos[0];
  EXPECT_EQ(halo.num_members, 125u);
  EXPECT_NEAR(halo.mass, 125 * 1e10, 1e-3);
  EXPECT_NEAR(std::min(halo.pos[0], L - halo.pos[0]), 0.0, 1e-12);
  EXPECT_NEAR(halo.pos[1], 9.95, 1e-12);
  EXPECT_NEAR(halo.pos[2], 5.0, 1e-12);
  // Mean and dispersion computed directly.
  double mean[3] = {0, 0, 0};
  for (std::size_t j = 0; j < 125; ++j) {
    for (int d = 0; d < 3; ++d) mean[d] += 100.0 * mom[3 * j + d] / a / 125.0;
  }
  double var = 0;
  for (std::size_t j = 0; j < 125; ++j) {
    for (int d = 0; d < 3; ++d) var += std::pow(100.0 * mom[3 * j + d] / a - mean[d], 2);
  }
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(halo.vel[d], mean[d], 1e-10);
  EXPECT_NEAR(halo.vel[1], -20.0, 1e-10);
  EXPECT_NEAR(halo.vel_disp, std::sqrt(var / (3 * 125)), 1e-10);
  EXPECT_GT(halo.vel_disp, 5.0);
  EXPECT_NEAR(halo.radius, std::sqrt(3.0) * 0.1, 1e-12);
  EXPECT_EQ(halo.first_id, 1u);
  EXPECT_EQ(cat.ids.size(), 125u);
}

TEST(Halos, SphericalOverdensityOfASingularIsothermalSphere) {
  // SIS: M(<r) = M_t r / R_t, mean enclosed density 3 M_t / (4 pi R_t r^2), so the radius
  // enclosing Delta rho is sqrt(3 M_t / (4 pi R_t Delta rho)) and M_Delta = M_t r_Delta / R_t.
  const double L = 20.0, R_t = 1.0;
  const std::size_t n = 20000;
  const double rho_m = 0.3 * units::rho_crit_h2;
  const double M_t = 4.0 * kPi * R_t * 200.0 * rho_m * 0.25 / 3.0;  // r200m = 0.5 R_t
  SnapshotHeader h = test_header(L);
  h.particle_mass = M_t / n / 1e10;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> pos, mom(3 * n, 0.0);
  std::vector<std::uint64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double r = (i + 0.5) / n * R_t;
    double v[3] = {g(rng), g(rng), g(rng)};
    const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int d = 0; d < 3; ++d) pos.push_back(10.0 + r * v[d] / norm);
    ids[i] = i + 1;
  }
  const HaloCatalog cat = find_halos(pos, mom, ids, h);
  ASSERT_GE(cat.size(), 1u);
  const Halo& halo = cat.halos[0];
  EXPECT_GT(halo.num_members, n * 95 / 100);
  const Cosmology cosmo(cosmology_from_header(h));
  for (const auto& [delta_rho, m, r] :
       {std::tuple{200.0 * rho_m, halo.m200m, halo.r200m},
        std::tuple{critical_overdensity_density(200.0, cosmo, 1.0), halo.m200c, halo.r200c}}) {
    const double r_expect = std::sqrt(3.0 * M_t / (4.0 * kPi * R_t * delta_rho));
    EXPECT_NEAR(r / r_expect, 1.0, 0.02) << "Delta rho " << delta_rho;
    EXPECT_NEAR(m / (M_t * r_expect / R_t), 1.0, 0.03) << "Delta rho " << delta_rho;
    // Consistent by construction: M = 4/3 pi R^3 Delta rho.
    EXPECT_NEAR(m / (4.0 / 3.0 * kPi * r * r * r * delta_rho), 1.0, 1e-12);
  }
  EXPECT_NEAR(halo.r200c / halo.r200m, std::sqrt(0.3), 0.02);  // rho_crit = rho_m / 0.3 at a=1
}

TEST(Halos, UniformSphereHasTheAnalyticM200) {
  // A uniform sphere of radius R0 much denser than 200 rho_m holds all its mass inside R200,
  // so M200 = M and R200 = (3 M / (4 pi 200 rho))^(1/3).
  const double L = 20.0, R0 = 0.3;
  const std::size_t n = 5000;
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(-R0, R0);
  std::vector<double> pos;
  while (pos.size() < 3 * n) {
    const double x = u(rng), y = u(rng), z = u(rng);
    if (x * x + y * y + z * z < R0 * R0) pos.insert(pos.end(), {5 + x, 5 + y, 5 + z});
  }
  std::vector<double> mom(3 * n, 0.0);
  std::vector<std::uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), std::uint64_t{1});
  SnapshotHeader h = test_header(L);
  h.particle_mass = 1.0;
  const HaloCatalog cat = find_halos(pos, mom, ids, h);
  ASSERT_EQ(cat.size(), 1u);
  const double M = n * 1e10;
  const double rho200 = mean_overdensity_density(200.0, 0.3);
  ASSERT_GT(M / (4.0 / 3.0 * kPi * R0 * R0 * R0), 10 * rho200);
  EXPECT_NEAR(cat.halos[0].m200m, M, 1e-3);
  EXPECT_NEAR(cat.halos[0].r200m, std::cbrt(3 * M / (4 * kPi * rho200)), 1e-9);
}

/// Periodic (minimum-image) distance between a and b in a box of side L [Mpc/h].
double periodic_distance(const std::array<double, 3>& a, const std::array<double, 3>& b, double L) {
  double d2 = 0;
  for (int d = 0; d < 3; ++d) {
    double dx = std::fmod(std::abs(a[d] - b[d]), L);
    dx = std::min(dx, L - dx);
    d2 += dx * dx;
  }
  return std::sqrt(d2);
}

/// Brute-force spherical-overdensity mass [Msun/h] around `centre`: the largest sphere
/// (through a particle) whose mean density count x m / (4/3 pi r^3) is >= rho; 0 when none.
double brute_force_so_mass(const std::vector<double>& pos, const std::array<double, 3>& centre,
                           double L, double m, double rho) {
  std::vector<double> r;
  for (std::size_t j = 0; j < pos.size() / 3; ++j) {
    r.push_back(periodic_distance({pos[3 * j], pos[3 * j + 1], pos[3 * j + 2]}, centre, L));
  }
  std::sort(r.begin(), r.end());
  for (std::size_t i = r.size(); i-- > 0;) {
    if ((i + 1) * m >= 4.0 / 3.0 * kPi * r[i] * r[i] * r[i] * rho) return (i + 1) * m;
  }
  return 0.0;
}

enum class CoreProfile { uniform, isothermal };

/// A lopsided FoF group: a dense core of n_core particles within R0 of `centre` (uniform,
/// or isothermal rho ~ r^-2 with deterministic radii (i + 0.5) / n_core R0), plus a sparse
/// straight chain of n_chain particles along +x at distances R0 + gap + spacing k from the
/// centre (k = 0 .. n_chain - 1), unwrapped (find_halos wraps). Ids 1 .. n_core + n_chain.
void lopsided_group(std::size_t n_core, double R0, CoreProfile profile, std::size_t n_chain,
                    double gap, double spacing, const std::array<double, 3>& centre, unsigned seed,
                    std::vector<double>& pos, std::vector<std::uint64_t>& ids) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-R0, R0);
  std::normal_distribution<double> g(0.0, 1.0);
  pos.clear();
  for (std::size_t i = 0; i < n_core; ++i) {
    double x[3];
    if (profile == CoreProfile::uniform) {
      do {
        for (double& v : x) v = u(rng);
      } while (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] >= R0 * R0);
    } else {
      const double r = (i + 0.5) / n_core * R0;
      double norm = 0;
      while (norm < 1e-6) {
        for (double& v : x) v = g(rng);
        norm = std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
      }
      for (double& v : x) v *= r / norm;
    }
    for (int d = 0; d < 3; ++d) pos.push_back(centre[d] + x[d]);
  }
  for (std::size_t k = 0; k < n_chain; ++k) {
    pos.insert(pos.end(), {centre[0] + R0 + gap + spacing * k, centre[1], centre[2]});
  }
  ids.resize(pos.size() / 3);
  std::iota(ids.begin(), ids.end(), std::uint64_t{1});
}

// A dense core with a long sparse tail (across the periodic boundary in x): the centre of
// mass lies ~2.3 Mpc/h out along the tail, far outside the core. Old behaviour (SO sphere on
// the centre of mass): the core, seen from there, fills its sphere at < 1% of 200 rho_crit,
// and around the nearest tail particles (spacing 0.1, while one particle alone reaches
// 200 rho_crit only within 0.075 Mpc/h) at most ~3 particles do, so M200c was 0 or a few
// particle masses instead of M_core (checked below with brute_force_so_mass around pos).
// New behaviour: the shrinking sphere walks onto the core, and since the core's mean density
// is ~11 x 200 rho_crit and the tail starts beyond R200c, M200c = M_core exactly, as in
// UniformSphereHasTheAnalyticM200.
void check_lopsided_group(CoreProfile profile, double centre_tolerance_in_R0) {
  const double L = 40.0, R0 = 0.25, gap = 0.6, spacing = 0.1;
  const std::size_t n_core = 400, n_chain = 150;
  const std::array<double, 3> centre{38.0, 20.0, 20.0};
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  lopsided_group(n_core, R0, profile, n_chain, gap, spacing, centre, 17, pos, ids);
  std::vector<double> mom(pos.size(), 0.0);
  SnapshotHeader h = test_header(L);
  h.particle_mass = 10.0;                                // 1e11 Msun/h
  const HaloCatalog cat = find_halos(pos, mom, ids, h);  // link 0.2 x 40 / 550^(1/3) = 0.98
  ASSERT_EQ(cat.size(), 1u);
  const Halo& halo = cat.halos[0];
  ASSERT_EQ(halo.num_members, n_core + n_chain);
  const double m_p = 1e11, M = n_core * m_p;
  const double rho200c =
      critical_overdensity_density(200.0, Cosmology(cosmology_from_header(h)), h.a);
  const double R200c = std::cbrt(3 * M / (4 * kPi * rho200c));
  // Preconditions: the core is ~11x denser than 200 rho_crit; its R200c holds the whole core
  // around any centre inside it (R200c > 2 R0) and no tail particle (R0 + gap > R200c + R0);
  // the centre of mass lies far outside the core.
  ASSERT_GT(M / (4.0 / 3.0 * kPi * R0 * R0 * R0), 8 * rho200c);
  ASSERT_GT(R200c, 2 * R0);
  ASSERT_GT(R0 + gap, R200c + R0);
  ASSERT_GT(periodic_distance(halo.pos, centre, L), 4 * R0);
  // What the old centring gave: far from M_core.
  EXPECT_LT(brute_force_so_mass(pos, halo.pos, L, m_p, rho200c), 0.01 * M);
  // The SO centre sits in the core, wrapped into the box, and M200c is the core's.
  EXPECT_LT(periodic_distance(halo.so_pos, centre, L), centre_tolerance_in_R0 * R0);
  for (int d = 0; d < 3; ++d) {
    EXPECT_GE(halo.so_pos[d], 0.0);
    EXPECT_LT(halo.so_pos[d], L);
  }
  EXPECT_NEAR(halo.m200c, M, 1e-9 * M);
  EXPECT_NEAR(halo.r200c, R200c, 1e-9 * R200c);
  EXPECT_NEAR(halo.m200c, brute_force_so_mass(pos, halo.so_pos, L, m_p, rho200c), 1e-9 * M);
  EXPECT_GE(halo.m200m, M);  // 200 rho_m < 200 rho_crit: at least the core
  // pos stays the centre of mass (unwrapped along the tail, then wrapped into the box).
  double com_x = 0;
  for (std::size_t j = 0; j < ids.size(); ++j) com_x += pos[3 * j] / ids.size();
  EXPECT_NEAR(halo.pos[0], std::fmod(com_x, L), 1e-9);
}

TEST(Halos, SoCentreIsTheDensityPeakOfALopsidedGroup) {
  // Isothermal core: a real density peak, which the shrinking sphere finds to < R0 / 4.
  check_lopsided_group(CoreProfile::isothermal, 0.25);
}

TEST(Halos, SoCentreStaysInAUniformCoreWithATail) {
  // A uniform core has no peak, so the shrinking-sphere centre wanders inside it by Poisson
  // noise (typically ~0.6 R0 here), but it is the centroid of core particles only: inside R0,
  // and M200c = M_core still holds since R200c > 2 R0.
  check_lopsided_group(CoreProfile::uniform, 1.0);
}

TEST(Halos, SmallGroupSoCentreMovesOntoItsClump) {
  // 22 members (>= min_members 20): a clump of 12 within 0.03 Mpc/h plus a chain of 10 at
  // spacing 0.1 from 0.3 to 1.2 Mpc/h. The centre of mass lies ~0.34 Mpc/h out, next to a
  // chain particle, where the old centring gave at most a few particles; the sphere shrinks
  // until fewer than 8 members would remain, i.e. onto the clump, whose 12 particles reach
  // 200 rho_crit out to R200c = 0.17 Mpc/h < 0.27 Mpc/h (the nearest chain particle).
  const double L = 40.0, R0 = 0.03;
  const std::array<double, 3> centre{5.0, 0.01, 39.99};  // straddles y = 0 and z = L
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  lopsided_group(12, R0, CoreProfile::uniform, 10, 0.3 - R0, 0.1, centre, 3, pos, ids);
  std::vector<double> mom(pos.size(), 0.0);
  SnapshotHeader h = test_header(L);
  h.particle_mass = 10.0;
  const HaloCatalog cat = find_halos(pos, mom, ids, h);
  ASSERT_EQ(cat.size(), 1u);
  const Halo& halo = cat.halos[0];
  ASSERT_EQ(halo.num_members, 22u);
  const double m_p = 1e11, M = 12 * m_p;
  const double rho200c =
      critical_overdensity_density(200.0, Cosmology(cosmology_from_header(h)), h.a);
  ASSERT_GT(periodic_distance(halo.pos, centre, L), 0.3);
  EXPECT_LT(brute_force_so_mass(pos, halo.pos, L, m_p, rho200c), 0.5 * M);
  EXPECT_LT(periodic_distance(halo.so_pos, centre, L), R0);
  EXPECT_NEAR(halo.m200c, M, 1e-9 * M);
  EXPECT_NEAR(halo.r200c, std::cbrt(3 * M / (4 * kPi * rho200c)), 1e-12);
}

TEST(Halos, BadInputNamesTheField) {
  FofOptions o;
  o.linking_length = 1.5;
  try {
    o.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("linking_length"), std::string::npos);
  }
  o = {};
  o.min_members = 1;
  EXPECT_THROW(o.validate(), std::invalid_argument);
  SnapshotHeader h = test_header(10.0);
  h.particle_mass = 0;
  std::vector<double> pos(3, 1.0), mom(3, 0.0);
  std::vector<std::uint64_t> ids{1};
  EXPECT_THROW(find_halos(pos, mom, ids, h), std::invalid_argument);
  h = test_header(10.0);
  EXPECT_THROW(find_halos(pos, std::vector<double>(6), ids, h), std::invalid_argument);
}

TEST(HaloCatalogIo, RoundTripAndGadgetNames) {
  const double L = 30.0;
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  clustered_set(500, 5, 3000, L, 21, pos, ids);
  std::vector<double> mom(pos.size(), 0.01);
  SnapshotHeader h = test_header(L);
  h.a = 0.8;
  h.particle_mass = 100.0;  // dense enough for non-zero M200 in most halos
  const HaloCatalog cat = find_halos(pos, mom, ids, h);
  ASSERT_GE(cat.size(), 5u);
  EXPECT_GT(cat.halos[0].m200m, 0.0);
  const std::string path = ::testing::TempDir() + "cosmograd_halos_test.hdf5";
  for (bool kpc : {true, false}) {
    write_halo_catalog(path, cat, kpc);
    const HaloCatalog back = read_halo_catalog(path);
    EXPECT_EQ(back.ids, cat.ids);
    EXPECT_EQ(back.offsets, cat.offsets);
    EXPECT_NEAR(back.header.box_size, L, 1e-12);
    EXPECT_DOUBLE_EQ(back.header.a, 0.8);
    EXPECT_DOUBLE_EQ(back.header.Omega_m, 0.3);
    EXPECT_DOUBLE_EQ(back.linking_length, 0.2);
    EXPECT_EQ(back.min_members, 20);
    ASSERT_EQ(back.size(), cat.size());
    for (std::size_t i = 0; i < cat.size(); ++i) {
      const Halo &a = cat.halos[i], &b = back.halos[i];
      EXPECT_EQ(a.num_members, b.num_members);
      EXPECT_EQ(a.first_id, b.first_id);
      for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(a.pos[d], b.pos[d], 1e-12 * L);
        EXPECT_NEAR(a.so_pos[d], b.so_pos[d], 1e-12 * L);
        EXPECT_DOUBLE_EQ(a.vel[d], b.vel[d]);
      }
      EXPECT_NEAR(a.mass, b.mass, 1e-14 * a.mass);
      EXPECT_NEAR(a.m200m, b.m200m, 1e-14 * a.m200m);
      EXPECT_NEAR(a.m200c, b.m200c, 1e-14 * a.m200c);
      EXPECT_NEAR(a.r200m, b.r200m, 1e-13);
      EXPECT_NEAR(a.r200c, b.r200c, 1e-13);
      EXPECT_NEAR(a.radius, b.radius, 1e-13);
      EXPECT_DOUBLE_EQ(a.vel_disp, b.vel_disp);
    }
  }
  // Gadget-4 fof_tab names.
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t hdr = H5Gopen2(f, "Header", H5P_DEFAULT);
  for (const char* a :
       {"Ngroups_ThisFile", "Ngroups_Total", "Nids_ThisFile", "Nids_Total", "NumFiles", "BoxSize",
        "Time", "Redshift", "Omega0", "OmegaLambda", "HubbleParam"}) {
    EXPECT_GT(H5Aexists(hdr, a), 0) << a;
  }
  H5Gclose(hdr);
  for (const char* d :
       {"Group/GroupLen", "Group/GroupMass", "Group/GroupPos", "Group/Group_Pos_SO",
        "Group/GroupVel", "Group/Group_M_Mean200", "Group/Group_R_Mean200", "Group/Group_M_Crit200",
        "Group/Group_R_Crit200", "Group/GroupOffset", "Group/GroupVelDisp", "Group/GroupRadius",
        "Group/GroupFirstID", "IDs/ID"}) {
    EXPECT_GT(H5Lexists(f, d, H5P_DEFAULT), 0) << d;
  }
  H5Fclose(f);
  std::remove(path.c_str());
}

TEST(HaloCatalogIo, FileWithoutGroupPosSoReadsPosAsSoCentre) {
  const double L = 30.0;
  std::vector<double> pos;
  std::vector<std::uint64_t> ids;
  clustered_set(300, 3, 1000, L, 8, pos, ids);
  std::vector<double> mom(pos.size(), 0.0);
  SnapshotHeader h = test_header(L);
  h.particle_mass = 100.0;
  const HaloCatalog cat = find_halos(pos, mom, ids, h);
  ASSERT_GE(cat.size(), 3u);
  // The SO centre differs from the centre of mass in general.
  bool differs = false;
  for (const Halo& halo : cat.halos) differs |= halo.so_pos != halo.pos;
  EXPECT_TRUE(differs);
  const std::string path = ::testing::TempDir() + "cosmograd_halos_no_so_pos.hdf5";
  write_halo_catalog(path, cat);
  // Remove the dataset, as in a catalogue written before it existed.
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_GE(H5Ldelete(f, "Group/Group_Pos_SO", H5P_DEFAULT), 0);
  H5Fclose(f);
  const HaloCatalog back = read_halo_catalog(path);
  ASSERT_EQ(back.size(), cat.size());
  for (std::size_t i = 0; i < cat.size(); ++i) {
    for (int d = 0; d < 3; ++d) {
      EXPECT_NEAR(back.halos[i].pos[d], cat.halos[i].pos[d], 1e-12 * L);
      EXPECT_EQ(back.halos[i].so_pos[d], back.halos[i].pos[d]);
    }
    EXPECT_NEAR(back.halos[i].m200c, cat.halos[i].m200c, 1e-14 * cat.halos[i].m200c);
  }
  std::remove(path.c_str());
}

TEST(HaloCatalogIo, EmptyCatalogue) {
  HaloCatalog cat;
  cat.header = test_header(10.0);
  const std::string path = ::testing::TempDir() + "cosmograd_halos_empty.hdf5";
  write_halo_catalog(path, cat);
  const HaloCatalog back = read_halo_catalog(path);
  EXPECT_EQ(back.size(), 0u);
  EXPECT_TRUE(back.ids.empty());
  std::remove(path.c_str());
}

class MassFunctionTest : public ::testing::Test {
 protected:
  MassFunctionTest() : cosmo_(planck2015()), power_(cosmo_) {}
  Cosmology cosmo_;
  EisensteinHuPower power_;
};

TEST_F(MassFunctionTest, SigmaOfMass) {
  const double m8 = lagrangian_mass(8.0, cosmo_.params().Omega_m);
  EXPECT_NEAR(lagrangian_radius(m8, cosmo_.params().Omega_m), 8.0, 1e-12);
  EXPECT_NEAR(sigma_of_mass(power_, m8), cosmo_.params().sigma8, 1e-6);
  double prev = 1e300;
  for (double lm = 6; lm <= 16; lm += 0.5) {
    const double s = sigma_of_mass(power_, std::pow(10.0, lm));
    EXPECT_LT(s, prev) << "log10 M " << lm;
    prev = s;
  }
  EXPECT_NEAR(sigma_of_mass(power_, m8, 0.5) / sigma_of_mass(power_, m8), cosmo_.D1_norm(0.5),
              1e-6);
}

/// Integral of f over ln(1/sigma) on [1/sigma_hi, 1/sigma_lo] (trapezoid in ln sigma).
double f_integral(MassFunctionModel model, double sigma_lo, double sigma_hi, double z) {
  const int n = 20000;
  const double a = std::log(sigma_lo), b = std::log(sigma_hi);
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double w = (i == 0 || i == n) ? 0.5 : 1.0;
    sum += w * multiplicity(model, std::exp(a + (b - a) * i / n), z);
  }
  return sum * (b - a) / n;
}

TEST_F(MassFunctionTest, MultiplicityFunctionsAreNormalised) {
  // All mass is in halos for PS (Press & Schechter 1974; Bond et al. 1991) and ST (Sheth &
  // Tormen 1999 chose A = 0.3222 for this).
  EXPECT_NEAR(f_integral(MassFunctionModel::press_schechter, 1e-3, 1e6, 0), 1.0, 1e-3);
  EXPECT_NEAR(f_integral(MassFunctionModel::sheth_tormen, 1e-3, 1e8, 0), 1.0, 1e-2);
}

TEST_F(MassFunctionTest, MassIntegralMatchesTheMassInHalos) {
  // int M dn/dM dM over [M_lo, M_hi] = rho_m int f dln(1/sigma) over the matching sigma range.
  const double rho_m = cosmo_.params().Omega_m * units::rho_crit_h2;
  const double lo = std::log(1e8), hi = std::log(1e17);
  for (auto model : {MassFunctionModel::press_schechter, MassFunctionModel::sheth_tormen,
                     MassFunctionModel::tinker08}) {
    const int n = 180;
    double sum = 0;
    for (int i = 0; i <= n; ++i) {
      const double m = std::exp(lo + (hi - lo) * i / n);
      sum += ((i == 0 || i == n) ? 0.5 : 1.0) * m * mass_function(power_, model, m);
    }
    sum *= (hi - lo) / n;
    const double expect = rho_m * f_integral(model, sigma_of_mass(power_, std::exp(hi)),
                                             sigma_of_mass(power_, std::exp(lo)), 0.0);
    EXPECT_NEAR(sum / expect, 1.0, 0.01) << mass_function_model_name(model);
    if (model != MassFunctionModel::tinker08) {
      EXPECT_GT(sum / rho_m, 0.4) << mass_function_model_name(model);
      EXPECT_LT(sum / rho_m, 1.0) << mass_function_model_name(model);
    }
  }
}

TEST_F(MassFunctionTest, TinkerAgreesWithShethTormenRoughly) {
  for (double m : {1e12, 1e13, 1e14}) {
    const double t = mass_function(power_, MassFunctionModel::tinker08, m);
    const double st = mass_function(power_, MassFunctionModel::sheth_tormen, m);
    EXPECT_NEAR(t / st, 1.0, 0.3) << "M " << m;
  }
  // Tinker et al. (2008) Table 2 at z = 0: f(sigma = 1) = 0.186 ((1/2.57)^-1.47 + 1) e^-1.19.
  EXPECT_NEAR(f_tinker08(1.0, 0.0), 0.186 * (std::pow(1 / 2.57, -1.47) + 1) * std::exp(-1.19),
              1e-12);
  EXPECT_LT(f_tinker08(1.0, 1.0), f_tinker08(1.0, 0.0));
  EXPECT_THROW(parse_mass_function_model("jenkins"), std::invalid_argument);
}

TEST(MeasuredMassFunction, CountsAndPoissonErrors) {
  const std::vector<double> masses{1e12, 1.5e12, 3e12, 9e12, 2e13, 5e14};
  const MeasuredMassFunction mf = measure_mass_function(masses, 100.0, 1e12, 1e14, 2);
  ASSERT_EQ(mf.count.size(), 2u);
  EXPECT_EQ(mf.count[0], 4);
  EXPECT_EQ(mf.count[1], 1);
  const double dln = std::log(10.0);
  EXPECT_NEAR(mf.dndlnm[0], 4 / (1e6 * dln), 1e-18);
  EXPECT_NEAR(mf.error[0], 2 / (1e6 * dln), 1e-18);
  EXPECT_NEAR(mf.m_center[0], 1e13 / std::sqrt(10.0), 1.0);
  EXPECT_THROW(measure_mass_function(masses, 100.0, 1e14, 1e12, 2), std::invalid_argument);
}

}  // namespace
}  // namespace cosmograd::sim
