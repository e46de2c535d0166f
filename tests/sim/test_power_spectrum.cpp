#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/lpt.hpp"

namespace cg = cosmograd::sim;

namespace {

double model_power(double k) { return 2e4 * k / (1 + std::pow(k / 0.05, 2.5)); }

/// Gaussian modes with P = model_power on an n^3 mesh (sim/pm/lpt.hpp normalisation).
cg::Field<double> gaussian_modes(int n, double box, std::uint64_t seed) {
  cg::Field<double> m{cg::Decomposition(n)};
  cg::fill_white_noise(m, {seed, false, false});
  cg::linear_modes_from_noise(m, box, model_power);
  return m;
}

/// chi^2 of measured bins against the model with Gaussian errors P sqrt(2 / N_modes);
/// bins up to k_max.
double chi2(const cg::PowerSpectrum& ps, double k_max, int* bins) {
  double c = 0;
  *bins = 0;
  for (std::size_t i = 0; i < ps.k.size() && ps.k[i] < k_max; ++i) {
    const double p = model_power(ps.k[i]);
    const double sigma = p * std::sqrt(2.0 / ps.modes[i]);
    c += std::pow((ps.power[i] - p) / sigma, 2);
    ++*bins;
  }
  return c;
}

}  // namespace

TEST(PowerSpectrum, FieldEstimatorRecoversInputWithinCosmicVariance) {
  const int n = 64;
  const double box = 500;
  const auto m = gaussian_modes(n, box, 17);
  cg::PowerOptions o;
  const cg::PowerSpectrum ps = cg::power_spectrum(m, box, o);
  int bins = 0;
  const double c = chi2(ps, M_PI * n / box * 0.99, &bins);
  // chi^2 with `bins` degrees of freedom: mean bins, sd sqrt(2 bins); allow 4 sd.
  EXPECT_LT(std::abs(c - bins), 4 * std::sqrt(2.0 * bins)) << "chi2 " << c << " bins " << bins;
  // Bin centres are mean |k| inside [i, i+1) k_F.
  const double kf = 2 * M_PI / box;
  for (std::size_t i = 0; i < ps.k.size(); ++i) {
    EXPECT_GE(ps.k[i], std::floor(ps.k[i] / kf) * kf);
  }
  EXPECT_EQ(ps.modes[0], 26);  // 1 <= |m| < 2: 6 + 12 + 8 modes
}

TEST(PowerSpectrum, ParticleEstimatorWithAndWithoutInterlacing) {
  // A lattice displaced by the Zel'dovich field of a Gaussian realisation at small
  // amplitude has P(k) = P_lin for k well below the particle Nyquist frequency.
  const int np = 64;
  const double box = 500;
  const auto m = gaussian_modes(np, box, 23);
  const cg::Fft<double> fft(cg::Decomposition(np), 1);
  cg::CosmologyParams cp = cg::planck2015();
  const cg::Cosmology c(cp);
  // a tiny a keeps the displacement small: D1_norm ~ 0.013 at a = 0.01
  const auto p = cg::lpt_particles(m, box, 1, c, 0.01, fft);
  const double d1 = c.D1_norm(0.01);
  for (bool interlace : {false, true}) {
    for (auto window : {cg::PaintKernel::cic, cg::PaintKernel::tsc, cg::PaintKernel::pcs}) {
      cg::PowerOptions o;
      o.mesh = 64;
      o.window = window;
      o.interlace = interlace;
      o.subtract_shot_noise = false;
      cg::PowerSpectrum ps = cg::particle_power(p, p.size(), o, 1);
      for (double& v : ps.power) v /= d1 * d1;
      int bins = 0;
      // Interlaced: k < k_Nyq / 2. Without interlacing the first lattice images alias in
      // (for TSC they do not cancel pairwise as for CIC and PCS): k < k_Nyq / 4.
      const double c2 = chi2(ps, (interlace ? 0.5 : 0.25) * M_PI * np / box, &bins);
      EXPECT_LT(std::abs(c2 - bins), 4 * std::sqrt(2.0 * bins))
          << cg::paint_kernel_name(window) << " interlace " << interlace << " chi2 " << c2;
    }
  }
}

TEST(PowerSpectrum, ParticleEstimatorInAGivenWorkMeshEqualsItsOwn) {
  // A run passes its force mesh (with ghost planes, holding stale values) as the work mesh:
  // the spectrum is the same, bit for bit; a work mesh of another size is not used.
  const int np = 32;
  const double box = 200;
  const auto m = gaussian_modes(np, box, 29);
  const cg::Fft<double> fft(cg::Decomposition(np), 1);
  const cg::Cosmology c(cg::planck2015());
  const auto p = cg::lpt_particles(m, box, 2, c, 0.5, fft);
  cg::PowerOptions o;
  o.mesh = 64;
  o.interlace = true;
  const cg::PowerSpectrum own = cg::particle_power(p, p.size(), o, 1);
  for (int n : {64, 48}) {
    cg::Field<double> work{cg::Decomposition(n).with_ghosts(2, 4)};
    work.fill(7.0);
    const cg::PowerSpectrum reused = cg::particle_power(p, p.size(), o, 1, nullptr, &work);
    EXPECT_EQ(reused.power, own.power) << "work mesh " << n;
    EXPECT_EQ(reused.modes, own.modes) << "work mesh " << n;
    // a given order (sorted afresh for each paint) gives the same spectrum too
    cg::PlaneOrder order;
    order.sort(p, 8, box, 0.0);  // sorted for another mesh: it is re-sorted, not trusted
    const cg::PowerSpectrum sorted = cg::particle_power(p, p.size(), o, 1, nullptr, &work, &order);
    EXPECT_EQ(sorted.power, own.power) << "work mesh " << n;
    // the matching work mesh now holds the modes; the other one is untouched
    EXPECT_EQ(work.real()[0] == 7.0, n != 64) << "work mesh " << n;
  }
}

TEST(PowerSpectrum, ShotNoiseOfRandomPointsIsSubtracted) {
  // Uniform random points: P(k) = V / N; after subtraction it is consistent with 0.
  const double box = 100;
  std::vector<double> x(3 * 20000);
  std::uint64_t s = 88172645463325252ull;
  for (double& v : x) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    v = box * static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  cg::PowerOptions o;
  o.mesh = 32;
  o.interlace = true;
  const cg::PowerSpectrum ps = cg::point_power(x, box, o, 1);
  EXPECT_NEAR(ps.shot_noise, box * box * box / 20000, 1e-9);
  double weighted = 0, modes = 0;
  for (std::size_t i = 0; i < ps.k.size(); ++i) {
    weighted += ps.power[i] * ps.modes[i];
    modes += ps.modes[i];
  }
  // mean residual over all modes: consistent with zero at ~4 sigma of V/N sqrt(2/modes)
  EXPECT_LT(std::abs(weighted / modes),
            4 * ps.shot_noise * std::sqrt(2.0 / modes) + 0.02 * ps.shot_noise);
}

TEST(PowerSpectrum, CrossPowerAndCorrelation) {
  const auto a = gaussian_modes(32, 200, 1);
  const auto b = gaussian_modes(32, 200, 2);
  cg::PowerOptions o;
  const auto paa = cg::power_spectrum(a, 200, o);
  const auto pbb = cg::power_spectrum(b, 200, o);
  const auto pab = cg::cross_power(a, b, 200, o);
  const auto paa_cross = cg::cross_power(a, a, 200, o);
  const auto r_same = cg::correlation_coefficient(paa_cross, paa, paa);
  for (double r : r_same) EXPECT_NEAR(r, 1.0, 1e-12);
  const auto r = cg::correlation_coefficient(pab, paa, pbb);
  double mean = 0, modes = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    mean += r[i] * pab.modes[i];
    modes += pab.modes[i];
  }
  EXPECT_LT(std::abs(mean / modes), 4 / std::sqrt(modes / 2));
}

TEST(PowerSpectrum, TextRoundTrip) {
  cg::PowerSpectrum ps;
  ps.k = {0.1, 0.2};
  ps.power = {1234.5, 678.25};
  ps.modes = {6, 18};
  ps.box_size = 100;
  const std::string path = (std::filesystem::temp_directory_path() / "cosmograd_pk.txt").string();
  cg::write_power_text(path, ps, "test");
  const auto back = cg::read_power_text(path);
  EXPECT_EQ(back.k.size(), 2u);
  EXPECT_NEAR(back.power[1], 678.25, 1e-6);
  EXPECT_EQ(back.modes[1], 18);
  std::filesystem::remove(path);
}
