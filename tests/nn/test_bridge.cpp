// The LibTorch bridge: simulation gradients equal the engine's adjoint exactly; paint and
// readout gradients equal LibTorch autograd through a pure-torch CIC reference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/bridge.hpp"
#include "sim/pm/adjoint.hpp"

namespace cg = cosmograd::sim;
namespace nn = cosmograd::nn;

namespace {

cg::SimSpec small_config(int particles, int mesh, int steps) {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.cosmology.w0 = -0.9;
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

torch::Tensor params_of(const cg::CosmologyParams& p) {
  torch::Tensor t = torch::empty({cg::kNumCosmoParams}, torch::kFloat64);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    t[i] = cg::param(p, static_cast<cg::CosmoParam>(i));
  }
  return t;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor b64 = b.to(torch::kFloat64);
  return ((a.to(torch::kFloat64) - b64).norm() / b64.norm()).item<double>();
}

/// CIC weights and flat cell indices of the 8 corners, in torch ops (differentiable in pos).
std::vector<std::pair<torch::Tensor, torch::Tensor>> cic_corners(const torch::Tensor& pos, int n,
                                                                 double box) {
  const torch::Tensor u = torch::remainder(pos, box) * (n / box);
  const torch::Tensor i0 = torch::floor(u).detach();
  const torch::Tensor f = u - i0;
  const torch::Tensor i0l = i0.to(torch::kLong);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> corners;
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      for (int c = 0; c < 2; ++c) {
        const int off[3] = {a, b, c};
        torch::Tensor w = torch::ones({pos.size(0)}, pos.options());
        torch::Tensor idx = torch::zeros({pos.size(0)}, torch::kLong);
        for (int d = 0; d < 3; ++d) {
          const torch::Tensor fd = f.select(1, d);
          w = w * (off[d] ? fd : 1 - fd);
          idx = idx * n + torch::remainder(i0l.select(1, d) + off[d], n);
        }
        corners.emplace_back(w, idx);
      }
    }
  }
  return corners;
}

torch::Tensor reference_paint(const torch::Tensor& pos, int n, double box, double mass) {
  torch::Tensor mesh = torch::zeros({n * n * n}, pos.options());
  for (const auto& [w, idx] : cic_corners(pos, n, box)) mesh = mesh.scatter_add(0, idx, w * mass);
  return mesh.reshape({n, n, n});
}

torch::Tensor reference_readout(const torch::Tensor& mesh, const torch::Tensor& pos, double box) {
  const int n = static_cast<int>(mesh.size(0));
  const torch::Tensor flat = mesh.reshape({-1});
  torch::Tensor out = torch::zeros({pos.size(0)}, pos.options());
  for (const auto& [w, idx] : cic_corners(pos, n, box)) out = out + w * flat.index_select(0, idx);
  return out;
}

}  // namespace

TEST(NnBridge, SimulatorModuleReusesItsEngineAndMatchesTheOneShotOp) {
  // The module keeps one engine across calls; interleaved calls (forward A, forward B at other
  // parameters, backward A, backward B) and a second backward (retain_graph) must give the
  // one-shot op's gradients exactly: a backward re-runs its forward when the engine has moved on.
  const cg::SimSpec c = small_config(8, 16, 3);
  nn::Simulator sim(c);
  const torch::Tensor w = sim->white_noise(torch::kFloat64);
  cg::CosmologyParams pb = c.cosmology;
  pb.Omega_m = 0.33;
  torch::manual_seed(2);
  const torch::Tensor r = torch::randn({512, 6}, torch::kFloat64);
  auto grads = [&](bool module, const cg::CosmologyParams& p, torch::Tensor* out_a,
                   torch::Tensor* out_b) {
    const torch::Tensor noise = w.clone().requires_grad_(true);
    const torch::Tensor params = params_of(p).requires_grad_(true);
    const torch::Tensor out =
        module ? sim->forward(noise, params) : nn::simulate_particles(c, noise, params);
    *out_a = (out * r).sum();
    *out_b = noise;
    return params;
  };
  torch::Tensor ja, na, jb, nb, jr, nr;
  const torch::Tensor pa_t = grads(true, c.cosmology, &ja, &na);
  const torch::Tensor pb_t = grads(true, pb, &jb, &nb);  // the engine now holds B's state
  ja.backward({}, /*retain_graph=*/true);                // re-runs A's forward
  const torch::Tensor ga = na.grad().clone(), gpa = pa_t.grad().clone();
  na.grad().zero_();
  pa_t.grad().zero_();
  ja.backward();  // a second backward of A: the state was replaced by the initial one
  jb.backward();
  const torch::Tensor pr_t = grads(false, c.cosmology, &jr, &nr);
  jr.backward();
  EXPECT_EQ(max_abs_diff(ga, nr.grad()), 0.0);
  EXPECT_EQ(max_abs_diff(na.grad(), nr.grad()), 0.0);
  EXPECT_EQ(max_abs_diff(gpa, pr_t.grad()), 0.0);
  torch::Tensor jb2, nb2;
  const torch::Tensor pb2 = grads(false, pb, &jb2, &nb2);
  jb2.backward();
  EXPECT_EQ(max_abs_diff(nb.grad(), nb2.grad()), 0.0);
  EXPECT_EQ(max_abs_diff(pb_t.grad(), pb2.grad()), 0.0);
  EXPECT_GT(max_abs_diff(nb.grad(), nr.grad()), 0.0);  // B's parameters did change the gradient
  EXPECT_THROW(sim->forward(w, torch::zeros({3}, torch::kFloat64)), std::invalid_argument);
}

TEST(NnBridge, SimulationGradientsEqualTheEngineAdjointExactly) {
  const cg::SimSpec c = small_config(8, 16, 3);
  cg::DifferentiableSim<double> ref(c);
  const cg::Field<double> w = ref.white_noise();
  const torch::Tensor noise = nn::field_to_tensor(w).requires_grad_(true);
  const torch::Tensor params = params_of(c.cosmology).requires_grad_(true);
  const torch::Tensor out = nn::simulate_particles(c, noise, params);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{512, 6}));
  ASSERT_EQ(out.scalar_type(), torch::kFloat64);
  torch::manual_seed(1);
  const torch::Tensor r = torch::randn({512, 6}, torch::kFloat64);
  (out * r).sum().backward();

  const cg::Particles<double>& p = ref.forward(w);
  cg::StateCotangent<double> cot;
  cot.disp.resize(3 * p.size());
  cot.mom.resize(3 * p.size());
  const auto o = out.accessor<double, 2>();
  const auto ra = r.accessor<double, 2>();
  double max_state_diff = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    const auto row = static_cast<int64_t>(p.id[j]);
    for (int d = 0; d < 3; ++d) {
      max_state_diff = std::max(max_state_diff, std::abs(o[row][d] - p.disp[3 * j + d]));
      max_state_diff = std::max(max_state_diff, std::abs(o[row][3 + d] - p.mom[3 * j + d]));
      cot.disp[3 * j + d] = ra[row][d];
      cot.mom[3 * j + d] = ra[row][3 + d];
    }
  }
  EXPECT_EQ(max_state_diff, 0.0);
  const cg::SimGradients<double> g = ref.backward(cot);
  EXPECT_EQ(max_abs_diff(noise.grad(), nn::field_to_tensor(g.noise)), 0.0);
  EXPECT_GT(noise.grad().abs().max().item<double>(), 0.0);
  ASSERT_EQ(params.grad().scalar_type(), torch::kFloat64);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_DOUBLE_EQ(params.grad()[i].item<double>(), g.cosmology[i])
        << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i));
    EXPECT_NE(g.cosmology[i], 0.0);
  }
}

TEST(NnBridge, SecondBackwardWithRetainedGraphGivesTheSameGradients) {
  const cg::SimSpec c = small_config(8, 16, 3);
  const torch::Tensor noise =
      nn::field_to_tensor(cg::DifferentiableSim<double>(c).white_noise()).requires_grad_(true);
  const torch::Tensor params = params_of(c.cosmology).requires_grad_(true);
  const torch::Tensor loss = nn::simulate_particles(c, noise, params).square().sum();
  const auto g1 = torch::autograd::grad({loss}, {noise, params}, {}, /*retain_graph=*/true);
  const auto g2 = torch::autograd::grad({loss}, {noise, params});
  EXPECT_EQ(max_abs_diff(g1[0], g2[0]), 0.0);
  EXPECT_EQ(max_abs_diff(g1[1], g2[1]), 0.0);
  EXPECT_GT(g1[0].abs().max().item<double>(), 0.0);
}

TEST(NnBridge, DensityChi2GradientMatchesTheEngine) {
  // simulate_density composed with a Gaussian likelihood equals sim::density_chi2 chained
  // through DifferentiableSim::backward (same formula, different summation order).
  const cg::SimSpec c = small_config(8, 16, 3);
  cg::DifferentiableSim<double> ref(c);
  const cg::Field<double> w = ref.white_noise();
  const torch::Tensor noise = nn::field_to_tensor(w).requires_grad_(true);
  const torch::Tensor params = params_of(c.cosmology).requires_grad_(true);
  torch::manual_seed(2);
  const torch::Tensor data_t = 0.3 * torch::randn({16, 16, 16}, torch::kFloat64);
  const double sigma = 0.5;
  const torch::Tensor delta = nn::simulate_density(c, noise, params);
  ASSERT_EQ(delta.sizes(), (std::vector<int64_t>{16, 16, 16}));
  EXPECT_NEAR(delta.mean().item<double>(), 0.0, 1e-12);
  const torch::Tensor j = (delta - data_t).square().sum() / (2 * sigma * sigma);
  j.backward();

  cg::Field<double> data{cg::Decomposition(16)};
  nn::tensor_to_field(data_t, data);
  cg::StateCotangent<double> cot;
  const double j_ref = cg::density_chi2(ref.forward(w), data, sigma, cg::PaintKernel::cic, &cot);
  cot.mom.assign(cot.disp.size(), 0.0);
  EXPECT_NEAR(j.item<double>(), j_ref, 1e-10 * std::abs(j_ref));
  const cg::SimGradients<double> g = ref.backward(cot);
  EXPECT_LT(rel_diff(noise.grad(), nn::field_to_tensor(g.noise)), 1e-10);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_NEAR(params.grad()[i].item<double>(), g.cosmology[i], 1e-10 * std::abs(g.cosmology[i]))
        << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i));
  }
}

TEST(NnBridge, PaintAndReadoutGradientsMatchATorchReference) {
  const int n = 8;
  const double box = 10.0;
  torch::manual_seed(3);
  // Points in [-L/2, 3L/2): the periodic wrap is part of the op.
  const torch::Tensor x0 = torch::rand({50, 3}, torch::kFloat64) * (2 * box) - 0.5 * box;
  const torch::Tensor r_mesh = torch::randn({n, n, n}, torch::kFloat64);
  const torch::Tensor r_out = torch::randn({50}, torch::kFloat64);
  const torch::Tensor mesh0 = torch::randn({n, n, n}, torch::kFloat64);

  // paint: value and d/dpositions of (paint * r_mesh).sum().
  const torch::Tensor x = x0.clone().requires_grad_(true);
  const torch::Tensor xr = x0.clone().requires_grad_(true);
  const torch::Tensor m = nn::paint(x, n, box, cg::PaintKernel::cic, 1.7);
  const torch::Tensor mr = reference_paint(xr, n, box, 1.7);
  EXPECT_LT(max_abs_diff(m, mr), 1e-12);
  EXPECT_NEAR(m.sum().item<double>(), 50 * 1.7, 1e-10);
  (m * r_mesh).sum().backward();
  (mr * r_mesh).sum().backward();
  EXPECT_LT(max_abs_diff(x.grad(), xr.grad()), 1e-8);
  EXPECT_GT(xr.grad().abs().max().item<double>(), 0.1);

  // readout: value and gradients in mesh and positions of (readout * r_out).sum().
  const torch::Tensor y = x0.clone().requires_grad_(true);
  const torch::Tensor yr = x0.clone().requires_grad_(true);
  const torch::Tensor g = mesh0.clone().requires_grad_(true);
  const torch::Tensor gr = mesh0.clone().requires_grad_(true);
  const torch::Tensor v = nn::readout(g, y, box);
  const torch::Tensor vr = reference_readout(gr, yr, box);
  ASSERT_EQ(v.sizes(), (std::vector<int64_t>{50}));
  EXPECT_LT(max_abs_diff(v, vr), 1e-12);
  (v * r_out).sum().backward();
  (vr * r_out).sum().backward();
  EXPECT_LT(max_abs_diff(y.grad(), yr.grad()), 1e-8);
  EXPECT_LT(max_abs_diff(g.grad(), gr.grad()), 1e-8);
  EXPECT_GT(gr.grad().abs().max().item<double>(), 0.1);
}

TEST(NnBridge, Float32InputsWork) {
  const int n = 8;
  const double box = 10.0;
  torch::manual_seed(4);
  const torch::Tensor x0 = torch::rand({40, 3}, torch::kFloat64) * box;
  const torch::Tensor x32 = x0.to(torch::kFloat32).requires_grad_(true);
  const torch::Tensor r = torch::randn({n, n, n}, torch::kFloat64);
  const torch::Tensor m32 = nn::paint(x32, n, box);
  ASSERT_EQ(m32.scalar_type(), torch::kFloat32);
  EXPECT_LT(max_abs_diff(m32, reference_paint(x0, n, box, 1.0)), 1e-5);
  (m32 * r.to(torch::kFloat32)).sum().backward();
  const torch::Tensor x64 = x0.clone().requires_grad_(true);
  (reference_paint(x64, n, box, 1.0) * r).sum().backward();
  EXPECT_LT(rel_diff(x32.grad(), x64.grad()), 1e-4);

  // The simulation in float32 against float64: same density, close gradients.
  const cg::SimSpec c = small_config(8, 16, 3);
  const torch::Tensor w64 = nn::field_to_tensor(cg::DifferentiableSim<double>(c).white_noise());
  const torch::Tensor w32 = w64.to(torch::kFloat32).requires_grad_(true);
  const torch::Tensor wd = w64.clone().requires_grad_(true);
  const torch::Tensor p32 = params_of(c.cosmology).requires_grad_(true);
  const torch::Tensor p64 = params_of(c.cosmology).requires_grad_(true);
  const torch::Tensor rd = torch::randn({16, 16, 16}, torch::kFloat64);
  const torch::Tensor d32 = nn::simulate_density(c, w32, p32);
  const torch::Tensor d64 = nn::simulate_density(c, wd, p64);
  ASSERT_EQ(d32.scalar_type(), torch::kFloat32);
  EXPECT_LT(rel_diff(d32, d64), 1e-4);
  (d32 * rd.to(torch::kFloat32)).sum().backward();
  (d64 * rd).sum().backward();
  ASSERT_EQ(w32.grad().scalar_type(), torch::kFloat32);
  EXPECT_LT(rel_diff(w32.grad(), wd.grad()), 1e-3);
  EXPECT_LT(rel_diff(p32.grad(), p64.grad()), 1e-3);
}

TEST(NnBridge, BadInputsAreClearErrors) {
  const cg::SimSpec c = small_config(8, 16, 3);
  const torch::Tensor params = params_of(c.cosmology);
  EXPECT_THROW(nn::simulate_particles(c, torch::zeros({8, 8, 4}, torch::kFloat64), params),
               std::invalid_argument);
  EXPECT_THROW(nn::simulate_particles(c, torch::zeros({8, 8, 8}, torch::kFloat64),
                                      params.to(torch::kFloat32)),
               std::invalid_argument);
  EXPECT_THROW(nn::paint(torch::zeros({5, 2}, torch::kFloat64), 8, 1.0), std::invalid_argument);
  EXPECT_THROW(nn::readout(torch::zeros({8, 8, 8}, torch::kFloat32),
                           torch::zeros({5, 3}, torch::kFloat64), 1.0),
               std::invalid_argument);
}
