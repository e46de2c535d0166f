// End-to-end gradients of the PM simulation: reverse-time adjoint vs finite differences and
// vs the checkpointed backward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "sim/core/backend.hpp"
#include "sim/pm/adjoint.hpp"
#include "sim/pm/gradcheck.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;

namespace {

cg::SimSpec small_config(int particles, int mesh, int steps) {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.cosmology.w0 = -0.9;  // every parameter matters
  c.cosmology.wa = 0.1;
  c.transfer = {"eisenstein_hu", ""};
  c.particles = particles;
  c.mesh = mesh;
  c.box_size = 4.0 * particles;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.threads = 1;
  c.fft_planning = cg::FftPlanning::estimate;
  return c;
}

template <class T>
std::vector<T> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(g(rng));
  return v;
}

/// J = cot_disp . disp + cot_mom . mom of the final state.
template <class T>
double objective(const cg::Particles<T>& p, const cg::StateCotangent<T>& c) {
  double s = 0;
  for (std::size_t i = 0; i < p.disp.size(); ++i)
    s += double(c.disp[i]) * p.disp[i] + double(c.mom[i]) * p.mom[i];
  return s;
}

template <class T>
std::vector<double> to_vector(const cg::Field<T>& f) {
  const int n = f.n();
  std::vector<double> v;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) v.push_back(f.at(x, y, z));
  return v;
}

template <class T>
void from_vector(const std::vector<double>& v, cg::Field<T>& f) {
  const int n = f.n();
  std::size_t i = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = static_cast<T>(v[i++]);
}

}  // namespace

void expect_gradients(const cg::GradcheckReport& r, double tol_noise, double tol_params) {
  EXPECT_LT(r.noise_error, tol_noise) << "white noise";
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_LT(r.param_error[i], tol_params) << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i))
                                            << ": fd " << r.fd[i] << " adjoint " << r.adjoint[i];
  }
}

TEST(Adjoint, GradientsMatchFiniteDifferencesInDouble) {
  // 8^3 particles, 16^3 mesh, 5 steps, 2LPT (issue: 1e-6 in double).
  for (auto mode : {cg::GradientMode::adjoint, cg::GradientMode::checkpoint}) {
    expect_gradients(cg::gradient_check<double>(small_config(8, 16, 5), mode, 3, 1e-5, 1e-6), 1e-6,
                     1e-6);
  }
}

TEST(Adjoint, GradientsMatchFiniteDifferencesInFloat) {
  expect_gradients(
      cg::gradient_check<float>(small_config(8, 16, 5), cg::GradientMode::adjoint, 3, 1e-5, 1e-6),
      1e-3, 1e-3);
}

TEST(Adjoint, ReversalRecoversTheInitialState) {
  const cg::SimSpec c = small_config(16, 32, 10);
  cg::DifferentiableSim<double> sim(c);
  const cg::Field<double> w = sim.white_noise();
  cg::DifferentiableSim<double> ref(c);
  ref.forward(w);
  // 0 steps: the initial state itself
  cg::SimSpec c0 = c;
  c0.steps = 0;
  c0.z_out = {1.0 / c.a_init - 1.0};
  cg::DifferentiableSim<double> ic(c0);
  const cg::Particles<double> initial = ic.forward(w);
  sim.forward(w);
  const std::size_t np = initial.size();
  sim.backward({std::vector<double>(3 * np, 0.0), std::vector<double>(3 * np, 0.0)});
  const cg::Particles<double>& back = sim.recovered_initial();
  double e2 = 0, s2 = 0, pe2 = 0, ps2 = 0;
  for (std::size_t i = 0; i < 3 * np; ++i) {
    e2 += std::pow(back.disp[i] - initial.disp[i], 2);
    s2 += std::pow(initial.disp[i], 2);
    pe2 += std::pow(back.mom[i] - initial.mom[i], 2);
    ps2 += std::pow(initial.mom[i], 2);
  }
  EXPECT_LT(std::sqrt(e2 / s2), 1e-10);
  EXPECT_LT(std::sqrt(pe2 / ps2), 1e-10);
}

template <class T>
void expect_checkpoint_agreement(double tolerance) {
  const cg::SimSpec c = small_config(32, 64, 20);
  for (int every : {1, 7}) {
    cg::DifferentiableSim<T> adj(c, cg::GradientMode::adjoint);
    cg::DifferentiableSim<T> chk(c, cg::GradientMode::checkpoint, every);
    const cg::Field<T> w = adj.white_noise();
    const std::size_t np = 32 * 32 * 32;
    const cg::StateCotangent<T> cot{random_vector<T>(3 * np, 3), random_vector<T>(3 * np, 4)};
    adj.forward(w);
    chk.forward(w);
    const auto ga = adj.backward(cot);
    const auto gc = chk.backward(cot);
    const auto va = to_vector(ga.noise), vc = to_vector(gc.noise);
    double d2 = 0, n2 = 0;
    for (std::size_t i = 0; i < va.size(); ++i) {
      d2 += std::pow(va[i] - vc[i], 2);
      n2 += vc[i] * vc[i];
    }
    EXPECT_LT(std::sqrt(d2 / n2), tolerance) << "checkpoint every " << every;
    for (int i = 0; i < cg::kNumCosmoParams; ++i) {
      EXPECT_NEAR(ga.cosmology[i], gc.cosmology[i],
                  tolerance * std::max(1.0, std::abs(gc.cosmology[i])))
          << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i)) << " every " << every;
    }
  }
}

TEST(Adjoint, AgreesWithCheckpointedGradients) {
  // 32^3 particles, 20 steps: 1e-8 in double, 1e-3 in float (float reversal drifts).
  expect_checkpoint_agreement<double>(1e-8);
  expect_checkpoint_agreement<float>(1e-3);
}

TEST(Adjoint, IntermediateCotangents) {
  // J = c1 . state(a_mid) + c2 . state(a_final): adjoint against FD along noise directions.
  cg::SimSpec c = small_config(8, 16, 4);
  c.a_list = {0.1, 0.3, 0.5, 0.75, 1.0};
  cg::SimSpec half = c;
  half.a_list = {0.1, 0.3, 0.5};
  half.z_out = {1.0};  // the spec refuses outputs off its grid
  const std::size_t np = 512;
  const cg::StateCotangent<double> c_end{random_vector<double>(3 * np, 5),
                                         random_vector<double>(3 * np, 6)};
  const cg::StateCotangent<double> c_mid{random_vector<double>(3 * np, 7),
                                         random_vector<double>(3 * np, 8)};
  auto objective_two = [&](const cg::Field<double>& wx) {
    cg::DifferentiableSim<double> a(half), b(c);
    return objective(a.forward(wx), c_mid) + objective(b.forward(wx), c_end);
  };
  cg::DifferentiableSim<double> adj(c);
  const cg::Field<double> w = adj.white_noise();
  adj.forward(w);
  const auto g = adj.backward(c_end, {{adj.schedule().step_at(0.5, "the middle output"), c_mid}});
  const std::vector<double> w0 = to_vector(w), gw = to_vector(g.noise);
  auto f = [&](const std::vector<double>& x) {
    cg::Field<double> wx{cg::Decomposition(8)};
    from_vector(x, wx);
    return std::vector<double>{objective_two(wx)};
  };
  auto vjp = [&](const std::vector<double>&, const std::vector<double>& ct) {
    std::vector<double> out(gw);
    for (double& v : out) v *= ct[0];
    return out;
  };
  EXPECT_LT(cosmograd::testing::check_vjp(f, vjp, w0, 2, 1e-5).max_rel_error, 1e-6);
}

TEST(Adjoint, DensityLikelihoodChainsThroughThePainter) {
  // J = chi^2 of the final density against a data mesh: gradient w.r.t. displacements
  // against FD, then end to end w.r.t. the white noise.
  const cg::SimSpec c = small_config(8, 16, 3);
  cg::DifferentiableSim<double> sim(c);
  const cg::Field<double> w = sim.white_noise();
  const cg::Particles<double> final_state = sim.forward(w);
  cg::Field<double> data{cg::Decomposition(16)};
  std::mt19937 rng(9);
  std::normal_distribution<double> g(0.0, 0.3);
  for (int x = 0; x < 16; ++x)
    for (int y = 0; y < 16; ++y)
      for (int z = 0; z < 16; ++z) data.at(x, y, z) = g(rng);
  auto f_disp = [&](const std::vector<double>& disp) {
    cg::Particles<double> q = final_state;
    q.disp = disp;
    return std::vector<double>{cg::density_chi2(q, data, 0.5, cg::PaintKernel::cic)};
  };
  auto vjp_disp = [&](const std::vector<double>& disp, const std::vector<double>& ct) {
    cg::Particles<double> q = final_state;
    q.disp = disp;
    cg::StateCotangent<double> cot;
    cg::density_chi2(q, data, 0.5, cg::PaintKernel::cic, &cot);
    for (double& v : cot.disp) v *= ct[0];
    return cot.disp;
  };
  EXPECT_LT(
      cosmograd::testing::check_vjp(f_disp, vjp_disp, final_state.disp, 3, 1e-6).max_rel_error,
      1e-6);

  cg::StateCotangent<double> cot;
  cg::density_chi2(final_state, data, 0.5, cg::PaintKernel::cic, &cot);
  cot.mom.assign(cot.disp.size(), 0.0);
  const auto grads = sim.backward(cot);
  const std::vector<double> gw = to_vector(grads.noise);
  auto f = [&](const std::vector<double>& x) {
    cg::Field<double> wx{cg::Decomposition(8)};
    from_vector(x, wx);
    cg::DifferentiableSim<double> s(c);
    return std::vector<double>{cg::density_chi2(s.forward(wx), data, 0.5, cg::PaintKernel::cic)};
  };
  auto vjp = [&](const std::vector<double>&, const std::vector<double>& ct) {
    std::vector<double> out(gw);
    for (double& v : out) v *= ct[0];
    return out;
  };
  // eps 1e-6: with 1e-5 some direction moves a particle across a CIC cell boundary (errors of
  // 2e-4 in one direction, 1e-9 in others, after 2LPT's Nyquist fix moved the particles).
  EXPECT_LT(cosmograd::testing::check_vjp(f, vjp, to_vector(w), 2, 1e-6).max_rel_error, 1e-6);
}

TEST(Adjoint, DeviceCudaWithoutAGpuSaysWhy) {
  if (cg::cuda_device_count() > 0) {
    GTEST_SKIP() << "a CUDA device is visible: the gpu tests check device = cuda";
  }
  cg::SimSpec c = small_config(8, 16, 2);
  c.device = cg::Device::cuda;
  try {
    cg::DifferentiableSim<double> sim(c);
    FAIL() << "device = cuda ran without a GPU";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("device = 'cuda'"), std::string::npos) << e.what();
  }
}
