// The U-Net baryon painter with its per-voxel mixture (nn/baryon_painter.hpp) and the LDL
// model file: a tiny painter learns a known stochastic relation T = rho^2 (1 + 0.3 g), g a
// standard normal per voxel, so its mean must follow E[T] = rho^2 and its paintings must
// scatter like 0.3 rho^2; model files round-trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "nn/baryon_painter.hpp"
#include "nn/ldl_file.hpp"
#include "nn/train/model_types.hpp"

namespace cg = cosmograd;

namespace {

/// A smooth positive density 1 + delta on a 16^3 mesh and its stochastic target.
std::pair<cg::sim::Field<double>, cg::sim::Field<double>> toy_pair(unsigned seed) {
  const int n = 16;
  cg::sim::Field<double> rho{cg::sim::Decomposition(n)}, t{cg::sim::Decomposition(n)};
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> ph(0, 2 * M_PI);
  const double a = ph(rng), b = ph(rng), c = ph(rng);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const double k = 2 * M_PI / n;
        const double r = std::exp(0.5 * std::sin(k * x + a) + 0.4 * std::sin(2 * k * y + b) +
                                  0.3 * std::sin(k * z + c));
        rho.at(x, y, z) = r;
        t.at(x, y, z) = r * r * std::max(0.05, 1 + 0.3 * g(rng));
      }
    }
  }
  return {std::move(rho), std::move(t)};
}

}  // namespace

TEST(BaryonPainter, LearnsTheMeanAndTheScatterOfAToyRelation) {
  torch::manual_seed(3);
  std::vector<cg::sim::Field<double>> rho, tgt;
  for (unsigned s = 1; s <= 3; ++s) {
    auto [r, t] = toy_pair(s);
    rho.push_back(std::move(r));
    tgt.push_back(std::move(t));
  }
  std::vector<const cg::sim::Field<double>*> dm{&rho[0], &rho[1], &rho[2]};
  std::vector<const cg::sim::Field<double>*> tg{&tgt[0], &tgt[1], &tgt[2]};
  cg::nn::BaryonPainterOptions o;
  o.depth = 1;
  o.channels = 8;
  o.components = 2;
  cg::nn::BaryonPainter net(o);
  cg::nn::BaryonPainterTraining tr;
  tr.steps = 150;
  tr.lr = 5e-3;
  const std::vector<double> losses = cg::nn::train_baryon_painter(net, dm, tg, tr);
  ASSERT_EQ(losses.size(), 150u);
  EXPECT_LT(losses.back(), losses.front());
  // Held out: a new field.
  auto [r, t] = toy_pair(11);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = cg::nn::field_to_tensor(r).unsqueeze(0);
  const torch::Tensor mean = net->mean_field(x)[0].to(torch::kFloat64);
  const torch::Tensor truth = cg::nn::field_to_tensor(r).to(torch::kFloat64).pow(2);
  const double rel = ((mean - truth).abs() / truth).mean().item<double>();
  EXPECT_LT(rel, 0.1) << "mean relative error of E[T]";
  // Paintings scatter like the target: std / E[T] about 0.3 (within 25%).
  torch::manual_seed(5);
  const torch::Tensor draws = net->sample_fields(x, 16).select(1, 0).to(torch::kFloat64);
  const double spread = (draws.std(0) / truth).mean().item<double>();
  EXPECT_NEAR(spread, 0.3, 0.075);
  // The paintings' average is the mean field.
  const double avg = ((draws.mean(0) - mean).abs() / truth).mean().item<double>();
  EXPECT_LT(avg, 0.1);
}

TEST(BaryonPainter, ModelFilesRoundTrip) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "cosmograd_bp_test";
  std::filesystem::create_directories(dir);
  cg::nn::BaryonPainterOptions o;
  o.depth = 1;
  o.channels = 4;
  o.input_mean = 0.3;
  o.target_scale = 2.5;
  torch::manual_seed(1);
  cg::nn::BaryonPainter net(o);
  const std::string path = (dir / "bp.cgm").string();
  cg::nn::save_baryon_painter(path, net, "hi_density");
  cg::nn::LoadedModel m = cg::nn::load_model(path);
  EXPECT_EQ(m.header.get("model"), "baryon_painter");
  EXPECT_EQ(m.header.get("target"), "hi_density");
  cg::nn::BaryonPainter back(std::dynamic_pointer_cast<cg::nn::BaryonPainterImpl>(m.module));
  EXPECT_DOUBLE_EQ(back->options.target_scale, 2.5);
  auto [r, t] = toy_pair(2);
  const torch::Tensor x = cg::nn::field_to_tensor(r).unsqueeze(0);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(net->mean_field(x), back->mean_field(x)));

  // An LDL model file keeps every parameter exactly.
  cg::sim::LdlModel ldl;
  ldl.mesh = 16;
  ldl.layers = {cg::sim::LdlLayer{0.1, 0.9, 0.2, 1.7, -1.5}};
  ldl.out = cg::sim::LdlOutput{2.0, -0.5, 1.3};
  const std::string lpath = (dir / "ldl.cgm").string();
  cg::nn::save_ldl(lpath, ldl, "electron_pressure");
  const cg::nn::LdlFile f = cg::nn::load_ldl(lpath);
  EXPECT_EQ(f.target, "electron_pressure");
  EXPECT_EQ(f.model.parameters(), ldl.parameters());
  EXPECT_EQ(cg::nn::load_model(lpath).header.get("model"), "ldl");
  EXPECT_THROW(cg::nn::load_ldl(path), std::runtime_error);  // a U-Net file is not LDL
  std::filesystem::remove_all(dir);
}
