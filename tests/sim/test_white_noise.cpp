#include <gtest/gtest.h>

#include <cmath>

#include "sim/mesh/white_noise.hpp"

namespace cg = cosmograd::sim;

// Known-answer vectors of Philox4x32-10, checked against Random123 1.14 (Debian
// librandom123-dev): counter, key -> output.
TEST(Philox, KnownAnswers) {
  struct Kat {
    cg::Philox4x32Block ctr;
    std::uint32_t k0, k1;
    cg::Philox4x32Block out;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
       0xffffffff,
       0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
       0xa4093822,
       0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const Kat& k : kats) {
    const cg::Philox4x32Block r = cg::philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], k.out.v[i]) << i;
  }
}

namespace {
cg::Field<double> noise(int n, const cg::NoiseOptions& o, int x_begin = 0, int nx = -1) {
  cg::Field<double> f(cg::Decomposition(n, x_begin, nx < 0 ? n : nx));
  cg::fill_white_noise(f, o);
  return f;
}
int wrap(int m, int n) { return m < 0 ? m + n : m; }
}  // namespace

TEST(WhiteNoise, HermitianOnSelfConjugatePlanes) {
  const int n = 16;
  const auto f = noise(n, {7, false, false});
  for (int kz : {0, n / 2}) {
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        const auto a = f.mode(x, y, kz);
        const auto b = f.mode((n - x) % n, (n - y) % n, kz);
        EXPECT_DOUBLE_EQ(a.real(), b.real());
        EXPECT_DOUBLE_EQ(a.imag(), -b.imag());
      }
    }
  }
  EXPECT_EQ(f.mode(0, 0, 0), std::complex<double>(0, 0));
  EXPECT_EQ(f.mode(n / 2, 0, 0).imag(), 0.0);  // self-conjugate: real
  EXPECT_NE(f.mode(n / 2, 0, 0).real(), 0.0);
}

TEST(WhiteNoise, UnitVarianceAndZeroMean) {
  const int n = 32;
  const auto f = noise(n, {11, false, false});
  double s2 = 0, sre = 0, count = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 1; z < n / 2; ++z) {
        s2 += std::norm(f.mode(x, y, z));
        sre += f.mode(x, y, z).real();
        count += 1;
      }
    }
  }
  // <|w|^2> = 1 with |w|^2 ~ Exp(1): standard error 1/sqrt(count).
  EXPECT_NEAR(s2 / count, 1.0, 4.0 / std::sqrt(count));
  EXPECT_NEAR(sre / count, 0.0, 4.0 * std::sqrt(0.5 / count));
}

TEST(WhiteNoise, LowModesIdenticalAcrossResolutions) {
  const auto coarse = noise(16, {3, false, false});
  const auto fine = noise(32, {3, false, false});
  int compared = 0;
  for (int mx = -7; mx <= 7; ++mx) {
    for (int my = -7; my <= 7; ++my) {
      for (int mz = 0; mz <= 7; ++mz) {
        EXPECT_EQ(coarse.mode(wrap(mx, 16), wrap(my, 16), mz),
                  fine.mode(wrap(mx, 32), wrap(my, 32), mz));
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 15 * 15 * 8);
}

TEST(WhiteNoise, IndependentOfDecomposition) {
  const int n = 12;
  const auto whole = noise(n, {5, false, false});
  for (int x0 : {0, 5, 9}) {
    const int nx = x0 == 9 ? 3 : 4;
    const auto slab = noise(n, {5, false, false}, x0, nx);
    for (int xl = 0; xl < nx; ++xl) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z <= n / 2; ++z) EXPECT_EQ(slab.mode(xl, y, z), whole.mode(x0 + xl, y, z));
      }
    }
  }
}

TEST(WhiteNoise, FixedAmplitudeAndPaired) {
  const int n = 8;
  const auto plain = noise(n, {9, false, false});
  const auto fixed = noise(n, {9, true, false});
  const auto pair = noise(n, {9, true, true});
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z <= n / 2; ++z) {
        if (x == 0 && y == 0 && z == 0) continue;
        EXPECT_NEAR(std::abs(fixed.mode(x, y, z)), 1.0, 1e-12);
        EXPECT_EQ(pair.mode(x, y, z), -fixed.mode(x, y, z));
        // Same phase as the random-amplitude draw (real modes: same sign).
        const double dphase = std::arg(plain.mode(x, y, z) / fixed.mode(x, y, z));
        EXPECT_NEAR(dphase, 0.0, 1e-9);
      }
    }
  }
}
