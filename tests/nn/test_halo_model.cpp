#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "nn/bridge.hpp"
#include "nn/halo_model.hpp"
#include "nn/train/model_types.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/pm/adjoint.hpp"

namespace cnn = cosmograd::nn;
namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

namespace {

cnn::HaloModelOptions small_options() {
  return cnn::HaloModelOptions()
      .box_size(64.0)
      .grid(16)
      .r1(4.0)
      .r2(8.0)
      .m0(1e13)
      .depth(1)
      .base_channels(4);
}

TEST(HaloModel, OutputShapeAndMassField) {
  torch::manual_seed(0);
  cnn::HaloModel model(small_options());
  const torch::Tensor delta = torch::rand({2, 16, 16, 16}) * 3.0 - 1.0;
  EXPECT_EQ(model->forward(delta).sizes(), delta.sizes());
  EXPECT_EQ(model->forward(delta[0]).sizes(), delta[0].sizes());
  const torch::Tensor m = model->predict_mass_field(delta);
  EXPECT_EQ(m.sizes(), delta.sizes());
  EXPECT_GE(m.min().item<double>(), 0.0);
}

TEST(HaloModel, PeriodicShiftEquivariance) {
  torch::manual_seed(1);
  cnn::HaloModel model(small_options());
  model->to(torch::kFloat64);
  const torch::Tensor delta = torch::rand({16, 16, 16}, torch::kFloat64) * 4.0 - 1.0;
  const std::vector<int64_t> shift = {2, -4, 6};  // multiples of 2^depth
  const std::vector<int64_t> dims = {0, 1, 2};
  const torch::Tensor a = model->forward(torch::roll(delta, shift, dims));
  const torch::Tensor b = torch::roll(model->forward(delta), shift, dims);
  // Exact up to the FFT's rounding in the Gaussian features.
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-12);
}

TEST(HaloModel, GaussianFeaturesMatchAnalyticFilter) {
  // A single Fourier mode is an eigenfunction of the periodic Gaussian smoothing.
  const int64_t n = 16;
  const double box = 64.0, r = 4.0;
  const torch::Tensor x = torch::arange(n, torch::kFloat64) * (box / n);
  const double k = 2.0 * M_PI * 3.0 / box;
  const torch::Tensor wave = 0.5 * torch::cos(k * x).view({n, 1, 1}).expand({n, n, n});
  const torch::Tensor f = cnn::halo_model_features(wave, box, r, 2.0 * r);
  const torch::Tensor expect = torch::log1p(0.5 * wave * std::exp(-0.5 * k * k * r * r));
  EXPECT_LT((f[0][1] - expect).abs().max().item<double>(), 1e-12);
}

TEST(HaloModel, GradientsFlowToWhiteNoise) {
  cg::SimSpec c = cnn::halo_sim_config(8, 16, 32.0, 3, 7);
  c.threads = 1;
  torch::manual_seed(2);
  cnn::HaloModel model(cnn::HaloModelOptions().box_size(32.0).grid(8).depth(1).base_channels(4));
  model->to(torch::kFloat64);
  const torch::Tensor noise =
      cnn::field_to_tensor(cg::DifferentiableSim<double>(c).white_noise()).requires_grad_(true);
  torch::Tensor params = torch::empty({cg::kNumCosmoParams}, torch::kFloat64);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    params[i] = cg::param(c.cosmology, static_cast<cg::CosmoParam>(i));
  }
  params.requires_grad_(true);
  const torch::Tensor delta = cnn::simulate_density(c, noise, params, 8);
  delta.retain_grad();
  model->predict_mass_field(delta).sum().backward();
  ASSERT_TRUE(delta.grad().defined());
  EXPECT_GT(delta.grad().abs().max().item<double>(), 0.0);
  EXPECT_GT(noise.grad().abs().max().item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(params.grad()).all().item<bool>());
}

TEST(HaloModel, WeightedPaintEqualsATorchCicReference) {
  // The engine's weighted paint (through the bridge) against CIC written in torch ops.
  torch::manual_seed(5);
  const int64_t n = 16;
  const double box = 64.0;
  const torch::Tensor pos = torch::rand({200, 3}, torch::kFloat64) * 80.0 - 8.0;
  const torch::Tensor w = torch::rand({200}, torch::kFloat64) + 0.5;
  const torch::Tensor u = torch::remainder(pos * (n / box), static_cast<double>(n));
  const torch::Tensor i = torch::floor(u).to(torch::kLong);
  const torch::Tensor f = u - torch::floor(u);
  torch::Tensor ref = torch::zeros({n * n * n}, torch::kFloat64);
  for (int corner = 0; corner < 8; ++corner) {
    torch::Tensor idx = torch::zeros({200}, torch::kLong);
    torch::Tensor wt = w;
    for (int d = 0; d < 3; ++d) {
      const bool up = (corner >> d) & 1;
      idx = idx * n + torch::remainder(i.select(1, d) + (up ? 1 : 0), n);
      wt = wt * (up ? f.select(1, d) : 1.0 - f.select(1, d));
    }
    ref = ref.index_add(0, idx, wt);
  }
  const torch::Tensor mesh = cnn::paint_weighted(pos, w, static_cast<int>(n), box);
  EXPECT_LT((mesh - ref.view({n, n, n})).abs().max().item<double>(), 1e-12);
}

TEST(HaloModel, PaintCicConservesMass) {
  const torch::Tensor pos = torch::tensor({{0.5, 63.9, 10.0}, {-3.0, 20.0, 70.0}}, torch::kFloat64);
  const torch::Tensor w = torch::tensor({2.0, 3.0}, torch::kFloat64);
  const torch::Tensor mesh = cnn::paint_weighted(pos, w, 16, 64.0);
  EXPECT_NEAR(mesh.sum().item<double>(), 5.0, 1e-12);
  // A point on a mesh point lands there alone: x = (12, 20, 8) -> cell (3, 5, 2).
  const torch::Tensor one = cnn::paint_weighted(torch::tensor({{12.0, 20.0, 8.0}}, torch::kFloat64),
                                                torch::tensor({1.0}, torch::kFloat64), 16, 64.0);
  EXPECT_NEAR(one[3][5][2].item<double>(), 1.0, 1e-12);
  // d(sum r * mesh)/dw = the readout of r at the positions (the transpose of the paint).
  const torch::Tensor wg = w.clone().requires_grad_(true);
  torch::manual_seed(3);
  const torch::Tensor r = torch::randn({16, 16, 16}, torch::kFloat64);
  (cnn::paint_weighted(pos, wg, 16, 64.0) * r).sum().backward();
  EXPECT_LT((wg.grad() - cnn::readout(r, pos, 64.0)).abs().max().item<double>(), 1e-12);
}

TEST(HaloModel, TinyTrainingReducesLossAndRoundTrips) {
  torch::set_num_threads(1);
  cg::SimSpec c = cnn::halo_sim_config(32, 32, 64.0, 5, 3);
  c.threads = 1;
  const cnn::HaloSample s = cnn::make_halo_sample(c, 16, 10);
  ASSERT_GT(s.num_halos, 0);
  EXPECT_NEAR(s.mass.sum().item<double>() / s.total_mass, 1.0, 1e-4);
  EXPECT_NEAR(s.delta.mean().item<double>(), 0.0, 1e-5);

  torch::manual_seed(3);
  cnn::HaloModel model(small_options().m0(20 * s.particle_mass).depth(1).base_channels(8));
  const std::vector<cnn::HaloSample> set = {s};
  const double before = cnn::halo_model_loss(model, set);
  cnn::HaloTrainOptions o;
  o.steps = 40;
  o.lr = 3e-3;
  const std::vector<double> losses = cnn::train_halo_model(model, set, o);
  ASSERT_EQ(losses.size(), 40u);
  const double after = cnn::halo_model_loss(model, set);
  EXPECT_LT(after, 0.7 * before) << "before " << before << " after " << after;

  const fs::path path =
      fs::temp_directory_path() / ("cg_halo_model_" + std::to_string(::getpid()) + ".cgm");
  cnn::save_halo_model(path.string(), model);
  cnn::HaloModel loaded = cnn::load_halo_model(path.string());
  fs::remove(path);
  EXPECT_EQ(loaded->options.depth(), 1);
  EXPECT_EQ(loaded->options.base_channels(), 8);
  EXPECT_DOUBLE_EQ(loaded->options.m0(), model->options.m0());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      torch::equal(loaded->predict_mass_field(s.delta), model->predict_mass_field(s.delta)));
}

TEST(ModelTypes, LoadModelReadsTheTypeFromTheHeader) {
  torch::manual_seed(5);
  cnn::HaloModel model(small_options().depth(1).base_channels(4));
  const fs::path dir = fs::temp_directory_path() / ("cg_model_types_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "halo.cgm").string();
  cnn::save_halo_model(path, model);
  const cnn::LoadedModel m = cnn::load_model(path);
  EXPECT_EQ(m.header.get("model"), "halo_model");
  auto impl = std::dynamic_pointer_cast<cnn::HaloModelImpl>(m.module);
  ASSERT_NE(impl, nullptr);
  EXPECT_FALSE(impl->is_training());
  const torch::Tensor delta = torch::rand({16, 16, 16}) - 0.5;  // > -1, as a density contrast
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Tensor diff = (impl->forward(delta) - model->forward(delta)).abs().max();
  EXPECT_EQ(diff.item<float>(), 0.0f);

  // A file naming an unregistered type is refused with the registered ones.
  cnn::ModelHeader other;
  other.set("model", "no_such_model");
  const std::string bad = (dir / "other.cgm").string();
  cnn::save_model(bad, *model, other);
  try {
    cnn::load_model(bad);
    ADD_FAILURE() << "unknown model type accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "unknown model type 'no_such_model' (valid: baryon_painter, emulator, halo_model"),
        std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
