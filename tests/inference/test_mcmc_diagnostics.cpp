// inference/mcmc_diagnostics.hpp: split and rank-normalised R-hat, bulk, tail and plain ESS,
// MCSE and E-BFMI on i.i.d. normal chains (ESS ~ draws, R-hat ~ 1), on AR(1) chains (ESS
// against the analytic N (1 - phi) / (1 + phi)), on chains with a shifted mean (R-hat > 1.1),
// against values worked out by hand, and the refusal of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "inference/mcmc_diagnostics.hpp"
#include "tests/inference/normal_deviates.hpp"
#include "tests/viz/image_checks.hpp"

namespace cosmograd::inference {
namespace {

using cosmograd::testing::Normal;

/// `chains` chains of `draws` i.i.d. N(0, 1) deviates.
ChainDraws iid_chains(int chains, int draws, std::uint64_t seed) {
  Normal normal(seed);
  ChainDraws out(chains, std::vector<double>(draws));
  for (auto& chain : out) {
    for (double& x : chain) x = normal();
  }
  return out;
}

/// Stationary AR(1) chains x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t, x_0 ~ N(0, 1).
ChainDraws ar1_chains(int chains, int draws, double phi, std::uint64_t seed) {
  Normal normal(seed);
  ChainDraws out(chains, std::vector<double>(draws));
  const double s = std::sqrt(1.0 - phi * phi);
  for (auto& chain : out) {
    chain[0] = normal();
    for (int t = 1; t < draws; ++t) chain[t] = phi * chain[t - 1] + s * normal();
  }
  return out;
}

using cosmograd::testing::invalid_argument_message;

TEST(McmcDiagnostics, NormalQuantileMatchesTabulatedValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.025), -1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.8413447460685429), 1.0, 1e-12);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(normal_quantile(1.0 - 1e-10), 6.361340889697421, 1e-9);  // 1 - 1e-10 is inexact
  EXPECT_EQ(normal_quantile(0.0), -HUGE_VAL);
  EXPECT_EQ(normal_quantile(1.0), HUGE_VAL);
  EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
}

TEST(McmcDiagnostics, HandWorkedSplitRhatAndEbfmi) {
  // Split halves {1,2} {3,4} {2,3} {4,5}: n = 2, means 1.5 3.5 2.5 4.5, W = 0.5,
  // B / n = var(means) = 5/3, R-hat = sqrt((0.5 * 0.5 + 5/3) / 0.5) = sqrt(23/6).
  const ChainDraws chains = {{1, 2, 3, 4}, {2, 3, 4, 5}};
  EXPECT_NEAR(split_rhat(chains), std::sqrt(23.0 / 6.0), 1e-14);
  // An odd length drops the middle draw: {1,2,9,3,4} splits like {1,2,3,4}.
  EXPECT_NEAR(split_rhat({{1, 2, 9, 3, 4}, {2, 3, -7, 4, 5}}), std::sqrt(23.0 / 6.0), 1e-14);
  // Energies 0 1 0 1: squared jumps sum to 3, squared deviations from 0.5 to 1.
  EXPECT_NEAR(e_bfmi({0, 1, 0, 1}), 3.0, 1e-15);
  EXPECT_NEAR(e_bfmi({0, 0, 1, 1}), 1.0, 1e-15);
}

TEST(McmcDiagnostics, MatchesAnIndependentReferenceImplementation) {
  // 3 chains of 41 (odd: the middle draw is dropped) integer-valued, autocorrelated draws
  // from an exact integer recurrence, the third shifted by 150. Reference values from an
  // independent pure-Python port of ArviZ's _rhat/_ess/_z_scale with the `posterior` package's
  // conventions (Blom offset 3/8, type-7 tail quantiles), direct O(n^2) autocovariances.
  ChainDraws chains(3);
  for (int c = 0; c < 3; ++c) {
    long s = 12345 + 7 * c;
    long y = 0;
    for (int t = 0; t < 41; ++t) {
      s = (s * 137 + 187) % 1009;
      y = y * 3 / 5 + s;
      chains[c].push_back(static_cast<double>(y + (c == 2 ? 150 : 0)));
    }
  }
  ASSERT_EQ(chains[0][7], 1509.0);
  EXPECT_NEAR(split_rhat(chains), 1.13180049469258, 1e-12);
  EXPECT_NEAR(rank_normalized_rhat(chains), 1.12214482642918, 1e-12);
  EXPECT_NEAR(effective_sample_size(chains), 18.6040619645257, 1e-10);
  EXPECT_NEAR(bulk_ess(chains), 19.3143263395163, 1e-10);
  EXPECT_NEAR(tail_ess(chains), 82.2581433888451, 1e-10);
  EXPECT_NEAR(mcse_mean(chains), 91.5777830832193, 1e-10);
}

TEST(McmcDiagnostics, IidNormalChainsHaveFullEssAndUnitRhat) {
  const ChainDraws chains = iid_chains(4, 2000, 20240601);
  const double ess = effective_sample_size(chains);
  const double bulk = bulk_ess(chains);
  const double tail = tail_ess(chains);
  std::printf("iid 4 x 2000: ess %.1f bulk %.1f tail %.1f rhat %.5f rank rhat %.5f mcse %.5f\n",
              ess, bulk, tail, split_rhat(chains), rank_normalized_rhat(chains), mcse_mean(chains));
  EXPECT_NEAR(ess, 8000.0, 0.15 * 8000.0);
  EXPECT_NEAR(bulk, 8000.0, 0.15 * 8000.0);
  EXPECT_NEAR(tail, 8000.0, 0.25 * 8000.0);
  EXPECT_NEAR(split_rhat(chains), 1.0, 0.01);
  EXPECT_NEAR(rank_normalized_rhat(chains), 1.0, 0.01);
  EXPECT_GE(rank_normalized_rhat(chains), split_rhat(chains) - 0.005);
  // MCSE of the mean ~ 1 / sqrt(8000).
  EXPECT_NEAR(mcse_mean(chains), 1.0 / std::sqrt(8000.0), 0.1 / std::sqrt(8000.0));

  const QuantityDiagnostics d = diagnose("x", chains);
  EXPECT_EQ(d.name, "x");
  EXPECT_NEAR(d.mean, 0.0, 4.0 / std::sqrt(8000.0));
  EXPECT_NEAR(d.sd, 1.0, 0.03);
  EXPECT_DOUBLE_EQ(d.mcse, mcse_mean(chains));
  EXPECT_DOUBLE_EQ(d.rhat, rank_normalized_rhat(chains));
  EXPECT_DOUBLE_EQ(d.ess_bulk, bulk);
  EXPECT_DOUBLE_EQ(d.ess_tail, tail);
}

TEST(McmcDiagnostics, Ar1EssMatchesTheIntegratedAutocorrelationTime) {
  constexpr double phi = 0.9;
  const ChainDraws chains = ar1_chains(4, 5000, phi, 77);
  const double expected = 4 * 5000 * (1.0 - phi) / (1.0 + phi);  // 1052.6
  const double ess = effective_sample_size(chains);
  const double bulk = bulk_ess(chains);
  std::printf("AR(1) phi 0.9, 4 x 5000: ess %.1f bulk %.1f tail %.1f (analytic %.1f), rhat %.4f\n",
              ess, bulk, tail_ess(chains), expected, rank_normalized_rhat(chains));
  EXPECT_NEAR(ess, expected, 0.2 * expected);
  EXPECT_NEAR(bulk, expected, 0.2 * expected);  // rank normalisation keeps a Gaussian's ESS
  EXPECT_LT(tail_ess(chains), 0.5 * 4 * 5000);
  EXPECT_NEAR(rank_normalized_rhat(chains), 1.0, 0.02);
  // MCSE grows by sqrt(tau) = sqrt((1 + phi) / (1 - phi)) over the i.i.d. value.
  EXPECT_NEAR(mcse_mean(chains), 1.0 / std::sqrt(expected), 0.2 / std::sqrt(expected));
}

TEST(McmcDiagnostics, AntitheticChainsAreCappedAtDrawsTimesLog10Draws) {
  // x_t = -0.5 x_{t-1} + ...: negatively correlated, true ESS = N * 1.5 / 0.5 = 3 N.
  const ChainDraws chains = ar1_chains(4, 1000, -0.5, 5);
  const double ess = effective_sample_size(chains);
  std::printf("AR(1) phi -0.5, 4 x 1000: ess %.1f\n", ess);
  EXPECT_GT(ess, 4000.0 * 1.5);
  EXPECT_LE(ess, 4000.0 * std::log10(4000.0) * (1.0 + 1e-12));
}

TEST(McmcDiagnostics, ShiftedChainRaisesRhat) {
  ChainDraws chains = iid_chains(4, 1000, 99);
  for (double& x : chains[3]) x += 2.0;  // one chain 2 sd away
  const double rhat = split_rhat(chains);
  const double rank_rhat = rank_normalized_rhat(chains);
  std::printf("one chain shifted by 2 sd: rhat %.4f rank rhat %.4f\n", rhat, rank_rhat);
  EXPECT_GT(rhat, 1.1);
  EXPECT_GT(rank_rhat, 1.1);
  EXPECT_LT(bulk_ess(chains), 0.2 * 4000);
}

TEST(McmcDiagnostics, DifferentScalesAreCaughtByTheFoldedRhat) {
  // Same mean, one chain with 3 times the spread: the bulk R-hat misses it, the folded sees it.
  ChainDraws chains = iid_chains(4, 1000, 123);
  for (double& x : chains[0]) x *= 3.0;
  const double rank_rhat = rank_normalized_rhat(chains);
  std::printf("one chain 3x wider: rhat %.4f rank rhat %.4f\n", split_rhat(chains), rank_rhat);
  EXPECT_GT(rank_rhat, 1.05);
}

TEST(McmcDiagnostics, TrendWithinChainsIsCaughtBySplitting) {
  // Every chain drifts the same way: the chain means agree, the halves do not.
  ChainDraws chains = iid_chains(4, 1000, 7);
  for (auto& chain : chains) {
    for (std::size_t t = 0; t < chain.size(); ++t) chain[t] += 4.0 * t / chain.size();
  }
  EXPECT_GT(split_rhat(chains), 1.1);
}

TEST(McmcDiagnostics, TiesGetAverageRanks) {
  // Discrete draws in {0, 1, 2}: ranks are heavily tied but the estimates stay finite and
  // a well-mixed discrete quantity has R-hat ~ 1 and a large bulk ESS.
  Normal normal(3);
  ChainDraws chains(4, std::vector<double>(1000));
  for (auto& chain : chains) {
    for (double& x : chain) x = std::floor(std::min(2.0, std::max(0.0, normal() + 1.5)));
  }
  const double rhat = rank_normalized_rhat(chains);
  const double bulk = bulk_ess(chains);
  EXPECT_TRUE(std::isfinite(rhat));
  EXPECT_NEAR(rhat, 1.0, 0.01);
  EXPECT_GT(bulk, 0.8 * 4000);
}

TEST(McmcDiagnostics, EbfmiOfIidAndSlowEnergies) {
  Normal normal(11);
  std::vector<double> iid(10000);
  for (double& e : iid) e = normal();
  const double fast = e_bfmi(iid);
  const ChainDraws slow = ar1_chains(1, 10000, 0.95, 12);
  const double slow_bfmi = e_bfmi(slow[0]);  // expected 2 (1 - phi) = 0.1
  std::printf("E-BFMI: iid %.4f, AR(1) phi 0.95 %.4f\n", fast, slow_bfmi);
  EXPECT_NEAR(fast, 2.0, 0.1);
  EXPECT_LT(slow_bfmi, 0.3);
  EXPECT_NEAR(slow_bfmi, 0.1, 0.03);
}

TEST(McmcDiagnostics, UndefinedCasesAreNan) {
  EXPECT_TRUE(std::isnan(split_rhat({{1, 2, 3}, {4, 5, 6}})));  // < 4 draws per chain
  EXPECT_TRUE(std::isnan(effective_sample_size({{1, 2, 3}})));
  EXPECT_TRUE(std::isnan(split_rhat({{2, 2, 2, 2}, {2, 2, 2, 2}})));  // zero variance
  EXPECT_TRUE(std::isnan(rank_normalized_rhat({{2, 2, 2, 2}, {2, 2, 2, 2}})));
  EXPECT_TRUE(std::isnan(effective_sample_size({{2, 2, 2, 2}})));
  EXPECT_TRUE(std::isnan(bulk_ess({{2, 2, 2, 2}})));
  EXPECT_TRUE(std::isnan(tail_ess({{2, 2, 2, 2}})));
  EXPECT_TRUE(std::isnan(mcse_mean({{2, 2, 2, 2}})));
  EXPECT_TRUE(std::isnan(split_rhat({{1, 2, NAN, 4}})));              // non-finite draw
  EXPECT_TRUE(std::isinf(split_rhat({{1, 1, 1, 1}, {2, 2, 2, 2}})));  // constant, disagreeing
  EXPECT_TRUE(std::isnan(e_bfmi({1.0})));
  EXPECT_TRUE(std::isnan(e_bfmi({3.0, 3.0, 3.0})));
  EXPECT_TRUE(std::isnan(e_bfmi({1.0, INFINITY, 2.0})));
  const QuantityDiagnostics d = diagnose("c", {{5, 5, 5, 5}});
  EXPECT_DOUBLE_EQ(d.mean, 5.0);
  EXPECT_DOUBLE_EQ(d.sd, 0.0);
  EXPECT_TRUE(std::isnan(d.rhat));
}

TEST(McmcDiagnostics, BadInputThrowsNamingTheArgument) {
  const std::string empty = invalid_argument_message([] { split_rhat({}); });
  EXPECT_NE(empty.find("chains is empty"), std::string::npos) << empty;
  const ChainDraws ragged = {{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4}};
  const std::string msg = invalid_argument_message([&] { effective_sample_size(ragged); });
  EXPECT_NE(msg.find("chains[2] has 4 draws but chains[0] has 5"), std::string::npos) << msg;
  EXPECT_THROW(rank_normalized_rhat(ragged), std::invalid_argument);
  EXPECT_THROW(bulk_ess(ragged), std::invalid_argument);
  EXPECT_THROW(tail_ess(ragged), std::invalid_argument);
  EXPECT_THROW(mcse_mean(ragged), std::invalid_argument);
  EXPECT_THROW(diagnose("x", ragged), std::invalid_argument);
  EXPECT_THROW(diagnose("x", {}), std::invalid_argument);
}

}  // namespace
}  // namespace cosmograd::inference
