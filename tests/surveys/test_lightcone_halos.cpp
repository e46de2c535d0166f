// Halos on the lightcone from snapshot catalogues: each place filled once, from the nearest
// snapshot, against a brute-force enumeration of the periodic copies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "sim/sky/lightcone_geometry.hpp"
#include "surveys/mocks/lightcone_halos.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

/// A lattice of n^3 halos in a box of side L, offset by `shift` [Mpc/h].
std::vector<cs::HodHalo> lattice(int n, double L, double shift) {
  std::vector<cs::HodHalo> h;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) {
        cs::HodHalo x;
        x.id = static_cast<std::int64_t>(h.size());
        x.mass = 1e13;
        x.radius = 0.5;
        x.pos = {(i + 0.5) * L / n + shift, (j + 0.5) * L / n + shift, (k + 0.5) * L / n + shift};
        h.push_back(x);
      }
  return h;
}

}  // namespace

TEST(LightconeHalos, ScaleFactorOfChiInvertsChi) {
  const sim::Cosmology cosmo(sim::planck2015());
  const cs::ScaleFactorOfChi a_of_chi(cosmo, 0.3);
  for (double a : {0.35, 0.5, 0.77, 0.99, 1.0})
    EXPECT_NEAR(a_of_chi(cosmo.chi(a)), a, 2e-7 * a) << a;
  EXPECT_THROW(a_of_chi(-1.0), std::invalid_argument);
}

TEST(LightconeHalos, EachCopyOnceFromTheNearestSnapshot) {
  const sim::Cosmology cosmo(sim::planck2015());
  const double L = 100.0;
  // Three snapshots with distinguishable lattices (offsets 0, 1, 2 Mpc/h).
  std::vector<cs::SnapshotHalos> snaps{
      {1.0, lattice(6, L, 0.0)}, {0.8, lattice(6, L, 1.0)}, {0.65, lattice(6, L, 2.0)}};
  cs::LightconeHaloOptions o;
  o.observer = {10.0, 20.0, 30.0};
  o.z_min = 0.02;
  o.z_max = 0.5;
  const auto lc = cs::lightcone_halos(snaps, L, cosmo, o);
  const double chi_lo = cosmo.chi(1 / 1.02), chi_hi = cosmo.chi(1 / 1.5);
  const double c0 = cosmo.chi(1.0), c1 = cosmo.chi(0.8), c2 = cosmo.chi(0.65);
  // Brute force: every copy of every lattice point, assigned by the midpoints.
  std::size_t expected = 0;
  const int reach = static_cast<int>(std::ceil(chi_hi / L)) + 1;
  for (int s = 0; s < 3; ++s)
    for (const auto& h : snaps[static_cast<std::size_t>(s)].halos)
      for (int a = -reach; a <= reach; ++a)
        for (int b = -reach; b <= reach; ++b)
          for (int c = -reach; c <= reach; ++c) {
            const double x = h.pos[0] + a * L - 10, y = h.pos[1] + b * L - 20,
                         z = h.pos[2] + c * L - 30;
            const double chi = std::sqrt(x * x + y * y + z * z);
            if (chi < chi_lo || chi >= chi_hi) continue;
            const int nearest = chi < 0.5 * (c0 + c1) ? 0 : chi < 0.5 * (c1 + c2) ? 1 : 2;
            expected += nearest == s;
          }
  EXPECT_EQ(lc.size(), expected);
  for (const auto& h : lc) {
    const double dists[3] = {std::fabs(h.chi - c0), std::fabs(h.chi - c1), std::fabs(h.chi - c2)};
    const int nearest = static_cast<int>(std::min_element(dists, dists + 3) - dists);
    EXPECT_EQ(h.snapshot, nearest);
    EXPECT_NEAR(cosmo.chi(h.halo.a), h.chi, 1e-6 * h.chi);
    EXPECT_GE(h.chi, chi_lo);
    EXPECT_LT(h.chi, chi_hi);
  }
  // A cone of half-angle 30 deg keeps the solid-angle fraction (1 - cos 30deg) / 2.
  o.half_angle_deg = 30.0;
  const auto cone = cs::lightcone_halos(snaps, L, cosmo, o);
  const double frac = static_cast<double>(cone.size()) / static_cast<double>(lc.size());
  EXPECT_NEAR(frac, (1 - std::cos(M_PI / 6)) / 2, 0.1 * (1 - std::cos(M_PI / 6)) / 2);
  for (const auto& h : cone) EXPECT_GE(h.halo.pos[2], h.chi * std::cos(M_PI / 6) - 1e-9);
}

TEST(LightconeHalos, RaDecAndErrors) {
  const auto rd = cs::ra_dec_deg({0.0, -1.0, 1.0});
  EXPECT_NEAR(rd[0], 270.0, 1e-12);
  EXPECT_NEAR(rd[1], 45.0, 1e-12);
  const sim::Cosmology cosmo(sim::planck2015());
  cs::LightconeHaloOptions o;
  EXPECT_THROW(cs::lightcone_halos({}, 100.0, cosmo, o), std::invalid_argument);
  std::vector<cs::SnapshotHalos> twins{{0.5, {}}, {0.5, {}}};
  EXPECT_THROW(cs::lightcone_halos(twins, 100.0, cosmo, o), std::invalid_argument);
  o.z_max = -1;
  EXPECT_THROW(cs::lightcone_halos({{1.0, {}}}, 100.0, cosmo, o), std::invalid_argument);
  // A full sky to z = 1.2 of a 32 Mpc/h box of 30000 halos (about 7e10 copies) is refused
  // before anything is allocated, naming the cone; a 1-degree cone is not.
  o.z_max = 1.2;
  std::vector<cs::SnapshotHalos> big{{1.0, std::vector<cs::HodHalo>(30000)}};
  try {
    cs::lightcone_halos(big, 32.0, cosmo, o);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("half_angle_deg"), std::string::npos) << e.what();
  }
  o.half_angle_deg = 1.0;
  EXPECT_NO_THROW(cs::lightcone_halos({{1.0, std::vector<cs::HodHalo>(10)}}, 32.0, cosmo, o));
}

// Shuffled replicas (as the run's flat-sky lightcone): each halo copy is its source halo moved
// by its replica's shift and axis permutation, with the velocity permuted alike.
TEST(LightconeHalos, ShuffledReplicasMatchTheRunsTransform) {
  const sim::Cosmology cosmo(sim::planck2015());
  const double L = 100.0;
  auto halos = lattice(5, L, 0.3);
  for (auto& h : halos) h.vel = {1.0, 2.0, 3.0};
  std::vector<cs::SnapshotHalos> snaps{{1.0, halos}};
  cs::LightconeHaloOptions o;
  o.observer = {50.0, 50.0, 50.0};
  o.z_max = 0.3;
  o.half_angle_deg = 10.0;
  o.shuffle = true;
  o.seed = 42;
  const auto lc = cs::lightcone_halos(snaps, L, cosmo, o);
  ASSERT_GT(lc.size(), 20u);
  sim::SkyCone cone;
  cone.half_angle = 10.0 * M_PI / 180.0;
  const auto replicas =
      sim::lightcone_replicas(L, o.observer, cosmo.chi(1 / 1.3), cone, true, 16, 42);
  int permuted = 0;
  for (const auto& h : lc) {
    const auto it = std::find_if(replicas.begin(), replicas.end(),
                                 [&](const sim::Replica& r) { return r.n == h.replica; });
    ASSERT_NE(it, replicas.end());
    const auto& src = halos[static_cast<std::size_t>(h.source_id)];
    for (std::size_t k = 0; k < 3; ++k) {
      const auto d = static_cast<std::size_t>(it->perm[k]);
      const double x = std::fmod(src.pos[d] + it->shift[d] * L / 16, L);
      EXPECT_NEAR(h.halo.pos[k], x + it->n[k] * L - o.observer[k], 1e-9);
      EXPECT_EQ(h.halo.vel[k], src.vel[d]);
    }
    permuted += it->perm[0] != 0;
  }
  EXPECT_GT(permuted, 0) << "no replica had its axes permuted";
}
