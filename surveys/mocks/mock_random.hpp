// Reproducible random streams for the mock makers: one Philox4x32-10 stream (Salmon et al.
// 2011) per (seed, purpose, object), so a galaxy's or a transient's draws do not depend on
// how many objects came before it, on the thread that draws them or on the MPI rank.
#pragma once

#include <cmath>
#include <cstdint>

#include "sim/core/philox.hpp"

namespace cosmograd::surveys {

/// What a stream is drawn for; distinct purposes never share numbers.
enum class MockStream : std::uint32_t {
  kHodCentral = 1,   ///< central occupation
  kHodSatellite,     ///< satellite count, radii, directions, velocities
  kStellarMass,      ///< SHMR scatter and quenching
  kSed,              ///< SED parameters (age, dust, metallicity)
  kPhotometry,       ///< flux noise
  kShape,            ///< intrinsic ellipticities
  kTransient,        ///< transient class, host, parameters
  kCadence,          ///< visit times and depths
  kLightCurveNoise,  ///< light-curve flux noise
  kLightcone,        ///< lightcone halo assignment
  kRedshift,         ///< photometric-redshift scatter
  kImageNoise,       ///< image pixel noise
  kImageScene,       ///< image scene: galaxy shapes and sizes
  kLensSet,          ///< strong-lens stamps: deflector, source, geometry
  kStampSet,         ///< galaxy stamp sets: galaxy order, sub-pixel offsets, PSF widths
  kGalaxyStructure,  ///< irregular galaxies: spiral arms and star-forming knots
  kBlendSet,         ///< blend stamps: galaxy count, galaxies, offsets
  kSampleSplit,      ///< property modules: train / validation / test part of a galaxy
  kPropertyStamps,   ///< property modules: multi-band and Sersic stamps (noise, PSF, shape)
};

/// A counter-based stream: uniform(), normal(), poisson() and exponential() draws for one
/// (seed, purpose, object) key. Cheap to construct; copy it to branch.
class MockRng {
 public:
  /// The stream of object `object` (e.g. a halo or galaxy id) for `purpose` under `seed`.
  MockRng(std::uint64_t seed, MockStream purpose, std::uint64_t object)
      : k0_(static_cast<std::uint32_t>(seed)), k1_(static_cast<std::uint32_t>(seed >> 32)) {
    ctr_.v[0] = 0;
    ctr_.v[1] = static_cast<std::uint32_t>(purpose);
    ctr_.v[2] = static_cast<std::uint32_t>(object);
    ctr_.v[3] = static_cast<std::uint32_t>(object >> 32);
  }

  /// Uniform in (0, 1).
  double uniform() {
    if (used_ == 4) {
      block_ = sim::philox4x32_10(ctr_, k0_, k1_);
      ++ctr_.v[0];
      used_ = 0;
    }
    return sim::uniform_open(block_.v[used_++]);
  }

  /// Standard normal deviate (Box-Muller; the second deviate is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double phi = 2.0 * M_PI * uniform();
    spare_ = r * std::sin(phi);
    has_spare_ = true;
    return r * std::cos(phi);
  }

  /// Exponential deviate with unit mean.
  double exponential() { return -std::log(uniform()); }

  /// Poisson deviate with mean `mean` >= 0 (0 for a mean <= 0): multiplication of uniforms
  /// below 10, else Hoermann's transformed rejection PTRS (Hoermann 1993, Insurance Math.
  /// Econom. 12, 39), both exact.
  std::int64_t poisson(double mean) {
    if (!(mean > 0.0)) return 0;
    if (mean < 10.0) {
      const double limit = std::exp(-mean);
      std::int64_t k = 0;
      double product = uniform();
      while (product > limit) {
        ++k;
        product *= uniform();
      }
      return k;
    }
    const double log_mean = std::log(mean);
    const double b = 0.931 + 2.53 * std::sqrt(mean);
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double v_r = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5;
      const double v = uniform();
      const double us = 0.5 - std::fabs(u);
      const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);
      if (k < 0.0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
          -mean + k * log_mean - std::lgamma(k + 1.0))
        return static_cast<std::int64_t>(k);
    }
  }

 private:
  sim::Philox4x32Block ctr_{};
  sim::Philox4x32Block block_{};
  std::uint32_t k0_, k1_;
  int used_ = 4;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cosmograd::surveys
