// Philox4x32-10 counter-based random numbers (Salmon et al. 2011, SC'11, "Parallel random
// numbers: as easy as 1, 2, 3"), usable on host and device. Written here rather than taken
// from Random123 so the sim/ core builds on a GPU machine without Debian's packages.
#pragma once

#include <array>
#include <cstdint>

#if defined(__CUDACC__)
#define COSMOGRAD_HOST_DEVICE __host__ __device__
#else
#define COSMOGRAD_HOST_DEVICE
#endif

namespace cosmograd::sim {

/// 128-bit counter or output block of Philox4x32.
struct Philox4x32Block {
  std::uint32_t v[4];
};

/// Philox4x32 with 10 rounds: a bijection of the counter keyed by a 64-bit key.
COSMOGRAD_HOST_DEVICE inline Philox4x32Block philox4x32_10(Philox4x32Block ctr, std::uint32_t k0,
                                                           std::uint32_t k1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // multipliers (Salmon+ 2011)
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * ctr.v[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * ctr.v[2];
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32),
                        lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32),
                        lo1 = static_cast<std::uint32_t>(p1);
    ctr = Philox4x32Block{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

/// Uniform double in (0, 1) from a 32-bit integer: (u + 0.5) / 2^32.
COSMOGRAD_HOST_DEVICE inline double uniform_open(std::uint32_t u) {
  return (static_cast<double>(u) + 0.5) * (1.0 / 4294967296.0);
}

}  // namespace cosmograd::sim
