// The design of a simulation campaign: a box prior over cosmological parameters and the points
// a campaign simulates, by Latin hypercube (McKay, Beckman & Conover 1979) or a digitally
// shifted Sobol sequence (Joe & Kuo 2008 direction numbers), each with its white-noise seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::driver {

/// A uniform prior on one cosmological parameter.
struct ParameterRange {
  sim::CosmoParam param = sim::CosmoParam::Omega_m;  ///< which parameter
  double lo = 0, hi = 0;                             ///< bounds, lo < hi
};

/// Parses "Omega_m:0.1:0.5,sigma8:0.6:1.0" (the `prior` key); throws std::invalid_argument
/// naming `key`, the entry and what is allowed (a known parameter once, lo < hi).
std::vector<ParameterRange> parse_prior(const std::string& key, const std::string& text);
/// The prior as parse_prior() reads it back.
std::string format_prior(const std::vector<ParameterRange>& prior);

/// How design points fill the unit cube.
enum class DesignKind {
  lhs,   ///< Latin hypercube: one point per 1/n stratum of every parameter, jittered
  sobol  ///< Sobol sequence with a random digital shift (balanced in powers of two)
};
/// Parses "lhs" or "sobol"; throws std::invalid_argument naming `key` otherwise.
DesignKind parse_design_kind(const std::string& name, const std::string& key = "design");

/// The first `n` points of the Sobol sequence in `dims` <= 8 dimensions (Joe & Kuo 2008,
/// new-joe-kuo-6.21201 direction numbers), point 0 being the origin, each coordinate XORed
/// with shift[d] (32-bit; empty: no shift): x / 2^32 in [0, 1) for the 32-bit integers x.
std::vector<std::vector<double>> sobol_points(int n, int dims,
                                              const std::vector<std::uint32_t>& shift = {});

/// n points of the unit cube in `dims` dimensions, a pure function of (kind, n, dims, seed).
std::vector<std::vector<double>> unit_design(DesignKind kind, int n, int dims, std::uint64_t seed);

/// One simulation of a campaign.
struct DesignPoint {
  int index = 0;                   ///< position in the campaign (file sim_<index>.h5)
  bool fiducial = false;           ///< at the base cosmology (covariance runs), not the design
  std::uint64_t seed = 0;          ///< white-noise seed
  sim::CosmologyParams cosmology;  ///< the base cosmology with the design's values set
  std::vector<double> values;      ///< the prior's parameters, in prior order
};

/// The campaign's points: `n` design points over `prior` (indices 0..n-1), then `fiducial`
/// points at `base` (indices n..n+fiducial-1); every point's seed is a hash of (seed, index).
std::vector<DesignPoint> campaign_design(const std::vector<ParameterRange>& prior, DesignKind kind,
                                         int n, int fiducial, std::uint64_t seed,
                                         const sim::CosmologyParams& base);

}  // namespace cosmograd::driver
