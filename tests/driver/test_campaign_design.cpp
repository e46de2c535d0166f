// Campaign designs: Latin-hypercube strata, Sobol nets, seeds, prior parsing.
#include <gtest/gtest.h>

#include <set>

#include "driver/campaign_design.hpp"

namespace cd = cosmograd::driver;
namespace cg = cosmograd::sim;

TEST(CampaignDesign, LatinHypercubeHasOnePointPerStratumOfEveryParameter) {
  const int n = 37, dims = 3;
  const auto u = cd::unit_design(cd::DesignKind::lhs, n, dims, 5);
  ASSERT_EQ(u.size(), std::size_t(n));
  for (int d = 0; d < dims; ++d) {
    std::set<int> strata;
    for (const auto& p : u) {
      ASSERT_GE(p[d], 0.0);
      ASSERT_LT(p[d], 1.0);
      strata.insert(static_cast<int>(p[d] * n));
    }
    EXPECT_EQ(strata.size(), std::size_t(n)) << "dimension " << d;
  }
  EXPECT_EQ(u, cd::unit_design(cd::DesignKind::lhs, n, dims, 5));  // a pure function of seed
  EXPECT_NE(u, cd::unit_design(cd::DesignKind::lhs, n, dims, 6));
}

TEST(CampaignDesign, SobolStartsWithTheKnownPointsAndFormsNets) {
  // Unshifted: 0, 1/2, then (3/4, 1/4), (1/4, 3/4) in the first two dimensions (Joe & Kuo).
  const auto s = cd::sobol_points(4, 2);
  EXPECT_EQ(s[0], (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(s[1], (std::vector<double>{0.5, 0.5}));
  EXPECT_EQ(s[2], (std::vector<double>{0.75, 0.25}));
  EXPECT_EQ(s[3], (std::vector<double>{0.25, 0.75}));
  // The first 2^m shifted points: one in each 1/2^m interval of every dimension (all 8), and a
  // (0, m, 2)-net in dimensions 1-2: one point in each 2^-a x 2^-(m-a) box.
  const int m = 6, n = 1 << m, dims = 8;
  const auto u = cd::unit_design(cd::DesignKind::sobol, n, dims, 3);
  for (int d = 0; d < dims; ++d) {
    std::set<int> strata;
    for (const auto& p : u) strata.insert(static_cast<int>(p[d] * n));
    EXPECT_EQ(strata.size(), std::size_t(n)) << "dimension " << d;
  }
  for (int a = 0; a <= m; ++a) {
    std::set<std::pair<int, int>> boxes;
    for (const auto& p : u) {
      boxes.insert({static_cast<int>(p[0] * (1 << a)), static_cast<int>(p[1] * (1 << (m - a)))});
    }
    EXPECT_EQ(boxes.size(), std::size_t(n)) << "boxes 2^-" << a << " x 2^-" << m - a;
  }
  EXPECT_THROW(cd::sobol_points(4, 9), std::invalid_argument);
}

TEST(CampaignDesign, PointsSpanThePriorAndFiducialsSitAtTheBase) {
  const auto prior = cd::parse_prior("prior", "Omega_m:0.1:0.5,sigma8:0.6:1.0");
  const cg::CosmologyParams base = cg::planck2015();
  const auto pts = cd::campaign_design(prior, cd::DesignKind::lhs, 20, 3, 9, base);
  ASSERT_EQ(pts.size(), 23u);
  std::set<std::uint64_t> seeds;
  for (const auto& p : pts) {
    seeds.insert(p.seed);
    EXPECT_EQ(p.fiducial, p.index >= 20);
    EXPECT_EQ(p.values.size(), 2u);
    EXPECT_EQ(p.cosmology.Omega_m, p.values[0]);
    EXPECT_EQ(p.cosmology.sigma8, p.values[1]);
    EXPECT_EQ(p.cosmology.h, base.h);
    if (p.fiducial) {
      EXPECT_EQ(p.values[0], base.Omega_m);
    } else {
      EXPECT_GE(p.values[0], 0.1);
      EXPECT_LT(p.values[0], 0.5);
      EXPECT_GE(p.values[1], 0.6);
      EXPECT_LT(p.values[1], 1.0);
    }
  }
  EXPECT_EQ(seeds.size(), pts.size());  // every simulation its own realisation
  EXPECT_EQ(cd::format_prior(prior), "Omega_m:0.1:0.5,sigma8:0.6:1");
}

TEST(CampaignDesign, BadPriorsAreNamed) {
  auto message = [](const std::string& text) {
    try {
      cd::parse_prior("prior", text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("Omega_x:0.1:0.5").find("names no parameter"), std::string::npos);
  EXPECT_NE(message("Omega_m:0.5:0.1").find("lo >= hi"), std::string::npos);
  EXPECT_NE(message("Omega_m:0.1").find("NAME:LO:HI"), std::string::npos);
  EXPECT_NE(message("Omega_m:a:0.5").find("not numbers"), std::string::npos);
  EXPECT_NE(message("sigma8:0.6:1,sigma8:0.7:0.9").find("repeats"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_THROW(cd::parse_design_kind("grid"), std::invalid_argument);
}
