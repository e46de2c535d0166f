// End-to-end checks of the forward PM engine (label: integration).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "sim/io/field_io.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/cpu_backend.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"

namespace cg = cosmograd::sim;

namespace {

struct PmSetup {
  cg::SimSpec config;
  cg::Cosmology cosmology{cg::planck2015()};
  std::unique_ptr<cg::LinearPower> linear;
  PmSetup(int particles, int mesh, double box, double a_init, int steps, double a_final) {
    config.cosmology = cg::planck2015();
    config.transfer = {"eisenstein_hu", ""};
    config.particles = particles;
    config.mesh = mesh;
    config.box_size = box;
    config.a_init = a_init;
    config.steps = steps;
    config.z_out = {1.0 / a_final - 1.0};
    config.fft_planning = cg::FftPlanning::estimate;
    linear = cg::make_linear_power<double>("eisenstein_hu", cosmology);
  }
  template <class T>
  cg::Particles<T> initial_particles() const {
    const cg::Fft<T> fft(cg::Decomposition(config.particles), omp_get_max_threads());
    const cg::Field<T> modes =
        cg::initial_modes<T>(config, *linear, fft, cg::Decomposition(config.particles));
    return cg::lpt_particles(modes, config.box_size, config.lpt_order, cosmology,
                             config.time_grid().front(), fft);
  }
  template <class T>
  cg::Particles<T> evolve(cg::Particles<T> p) const {
    cg::ForceOptions fo;
    cg::Gravity<T> g(config.mesh, config.box_size, omp_get_max_threads(), cg::FftPlanning::estimate,
                     fo);
    cg::evolve(p, g, cg::StepSchedule(cosmology, config.time_grid()), config.cosmology.Omega_m);
    return p;
  }
};

}  // namespace

TEST(PmEvolution, LinearGrowthIsExactOnLargeScales) {
  // Fixed amplitude ICs at a = 0.02, 10 steps to a = 0.1 (FastPM factors make linear growth
  // exact for any step size): P(k) / [D1^2 P_lin] = 1 within 0.5% for k < k_Nyq / 8, where
  // k_Nyq is the particle Nyquist wavenumber. Towards k_Nyq / 4 a particle lattice grows
  // anisotropically (modes along the axes faster, diagonal ones slower; Joyce & Marcos
  // 2007, PRD 75, 063516): measured -0.8% at k_Nyq / 7 and -2.3% at k_Nyq / 4, the same with
  // 10 or 40 steps, so those bins are held to 3%. The expectation is D1^2 P_lin averaged
  // over the same modes as each measured bin.
  PmSetup s(64, 128, 1024.0, 0.02, 10, 0.1);
  s.config.fixed_amplitude = true;
  const auto p = s.evolve(s.initial_particles<double>());
  cg::PowerOptions o;
  o.mesh = 128;
  o.window = cg::PaintKernel::tsc;  // smooth at mesh points, where a near-lattice sits
  o.interlace = true;
  o.subtract_shot_noise = false;  // a perturbed lattice has no Poisson shot noise
  const cg::PowerSpectrum ps = cg::particle_power(p, p.size(), o, omp_get_max_threads());
  cg::Field<double> model{cg::Decomposition(o.mesh)};
  cg::fill_white_noise(model, {1, true, false});  // |w| = 1: bins average P_lin itself
  const double d = s.linear->growth(0.1);
  cg::linear_modes_from_noise(model, 1024.0, [&](double k) { return d * d * s.linear->power(k); });
  const cg::PowerSpectrum expected = cg::power_spectrum(model, 1024.0, o);
  const double k_nyq = M_PI * 64 / 1024.0;
  int checked = 0;
  for (std::size_t i = 0; i < ps.k.size() && ps.k[i] < k_nyq / 4; ++i) {
    const double tolerance = ps.k[i] < k_nyq / 8 ? 0.005 : 0.03;
    EXPECT_NEAR(ps.power[i] / expected.power[i], 1.0, tolerance) << "k = " << ps.k[i];
    checked += ps.k[i] < k_nyq / 8;
  }
  EXPECT_GE(checked, 3);
}

TEST(PmEvolution, MatchesTwoLptWhileLinear) {
  // ICs band-limited to k < k_Nyq / 4, evolved from a = 0.02 to 0.1, stay within 1% (of
  // the rms displacement) of the 2LPT prediction at a = 0.1, for B = 2 and B = 3. With a
  // non-integer B the lattice is not force-free and this measure is poor from a lattice
  // start (B = 1.5: 29%, 1.25: 22%, 2.5: 10%; README), so integer B is recommended.
  for (int mesh : {64, 96}) {
    PmSetup s(32, mesh, 512.0, 0.02, 10, 0.1);
    const cg::Fft<double> fft(cg::Decomposition(32), 1);
    cg::Field<double> modes =
        cg::initial_modes<double>(s.config, *s.linear, fft, cg::Decomposition(s.config.particles));
    const double k_cut = M_PI * 32 / 512.0 / 4;
    const cg::Decomposition& d = modes.decomp();
    for (int x = 0; x < 32; ++x)
      for (int y = 0; y < 32; ++y)
        for (int z = 0; z <= 16; ++z) {
          const auto m = d.mode_of(x, y, z);
          const double k =
              2 * M_PI / 512.0 * std::sqrt(double(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]));
          if (k > k_cut) modes.mode(x, y, z) = 0;
        }
    const auto start = cg::lpt_particles(modes, 512.0, 2, s.cosmology, 0.02, fft);
    const auto predicted = cg::lpt_particles(modes, 512.0, 2, s.cosmology, 0.1, fft);
    const auto evolved = s.evolve(start);
    double diff2 = 0, disp2 = 0;
    for (std::size_t i = 0; i < evolved.disp.size(); ++i) {
      diff2 += std::pow(evolved.disp[i] - predicted.disp[i], 2);
      disp2 += std::pow(predicted.disp[i], 2);
    }
    EXPECT_LT(std::sqrt(diff2 / disp2), 0.01) << "mesh " << mesh;
  }
}

TEST(PmEvolution, ZeroStepsReturnsTheInitialConditions) {
  PmSetup s(16, 32, 100.0, 0.1, 0, 0.1);
  const auto ic = s.initial_particles<float>();
  const auto out = s.evolve(ic);
  EXPECT_EQ(out.disp, ic.disp);
  EXPECT_EQ(out.mom, ic.mom);
}

TEST(PmEvolution, DeterministicAndThreadIndependent) {
  PmSetup s(32, 64, 128.0, 0.1, 4, 1.0);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(2);
  const auto a = s.evolve(s.initial_particles<float>());
  const auto b = s.evolve(s.initial_particles<float>());
  EXPECT_EQ(std::memcmp(a.disp.data(), b.disp.data(), a.disp.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.mom.data(), b.mom.data(), a.mom.size() * sizeof(float)), 0);
  omp_set_num_threads(1);
  const auto c = s.evolve(s.initial_particles<float>());
  omp_set_num_threads(saved);
  double max_rel = 0, scale = 0;
  for (float v : a.disp) scale = std::max(scale, double(std::abs(v)));
  for (std::size_t i = 0; i < a.disp.size(); ++i) {
    max_rel = std::max(max_rel, std::abs(double(a.disp[i]) - c.disp[i]) / scale);
  }
  EXPECT_LT(max_rel, 1e-6);
}

TEST(PmEvolution, StartsFromALinearFieldFile) {
  // delta(x) at z = 9 on the particle grid, written as `ic_linear_field`, gives the same
  // initial particles as the white noise it came from.
  PmSetup s(16, 32, 64.0, 0.1, 0, 0.1);
  const cg::Fft<double> fft(cg::Decomposition(16), 1);
  cg::Field<double> modes =
      cg::initial_modes<double>(s.config, *s.linear, fft, cg::Decomposition(s.config.particles));
  const auto expected =
      cg::lpt_particles(modes, s.config.box_size, 2, s.cosmology, s.config.a_init, fft);
  // real-space delta at z = 9: D(a=0.1) times the a = 1 modes, inverse transformed
  const double d = s.linear->growth(0.1);
  cg::Field<double> delta = modes.clone();
  for (std::size_t i = 0; i < delta.decomp().local_complex_size(); ++i) delta.complex()[i] *= d;
  fft.backward(delta);
  const std::string path =
      (std::filesystem::temp_directory_path() / "cosmograd_ic_field.h5").string();
  cg::write_field(path, delta, s.config.box_size, 0.1, "delta");
  s.config.ic_linear_field = path;
  const auto from_file = s.initial_particles<double>();
  std::filesystem::remove(path);
  double max_diff = 0, max_disp = 0;
  for (std::size_t i = 0; i < expected.disp.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(from_file.disp[i] - expected.disp[i]));
    max_disp = std::max(max_disp, std::abs(expected.disp[i]));
  }
  EXPECT_LT(max_diff / max_disp, 1e-10);
  // a box that does not match is refused with both sizes in the message
  s.config.box_size = 100.0;
  cg::write_field(path, delta, 64.0, 0.1, "delta");
  try {
    s.initial_particles<double>();
    ADD_FAILURE() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("box_size"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}
