#include "nn/baryon_painter.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "sim/core/log.hpp"

namespace cosmograd::nn {

namespace {

constexpr double kEps = 1e-3;  // as the LDL regulariser: ln(rho + eps) of empty cells is finite

}  // namespace

BaryonPainterImpl::BaryonPainterImpl(const BaryonPainterOptions& o) : options(o) {
  if (o.depth < 0 || o.channels < 1 || o.components < 1 || !(o.input_std > 0) ||
      !(o.target_scale > 0)) {
    throw std::invalid_argument(
        "baryon painter: depth >= 0, channels >= 1, components >= 1, input_std > 0 and "
        "target_scale > 0 are required");
  }
  unet_ = register_module("unet", UNet3d(UNet3dOptions()
                                             .in_channels(1)
                                             .out_channels(o.channels)
                                             .depth(o.depth)
                                             .base_channels(o.channels)));
  head_ = register_module(
      "head", MixtureDensityHead(MixtureDensityHeadOptions(o.channels, 1, o.components)));
}

torch::Tensor BaryonPainterImpl::input(const torch::Tensor& rho) const {
  return ((rho + kEps).log() - options.input_mean) / options.input_std;
}

MixtureParams BaryonPainterImpl::mixture(const torch::Tensor& rho) {
  const torch::Tensor features = torch::leaky_relu(unet_->forward(input(rho).unsqueeze(1)), 0.2);
  // (N, F, D, H, W) -> (N D H W, F)
  return head_->forward(features.permute({0, 2, 3, 4, 1}).reshape({-1, options.channels}));
}

torch::Tensor BaryonPainterImpl::nll(const torch::Tensor& rho, const torch::Tensor& target) {
  const torch::Tensor features = torch::leaky_relu(unet_->forward(input(rho).unsqueeze(1)), 0.2);
  const torch::Tensor f = features.permute({0, 2, 3, 4, 1}).reshape({-1, options.channels});
  const torch::Tensor y =
      (1 + target / options.target_scale).clamp_min(1e-12).log().reshape({-1, 1});
  return -head_->log_prob(f, y).mean();
}

torch::Tensor BaryonPainterImpl::mean_field(const torch::Tensor& rho) {
  const MixtureParams p = mixture(rho);
  const torch::Tensor mu = p.means.select(2, 0);                                     // (B, K)
  const torch::Tensor sigma = p.scale_tril.select(3, 0).select(2, 0);                // (B, K)
  const torch::Tensor ey = (p.log_weights + mu + 0.5 * sigma * sigma).exp().sum(1);  // E[e^y]
  return (options.target_scale * (ey - 1)).reshape(rho.sizes());
}

torch::Tensor BaryonPainterImpl::sample_fields(const torch::Tensor& rho, int64_t n) {
  const torch::Tensor features = torch::leaky_relu(unet_->forward(input(rho).unsqueeze(1)), 0.2);
  const torch::Tensor f = features.permute({0, 2, 3, 4, 1}).reshape({-1, options.channels});
  const torch::Tensor y = head_->sample(f, n).select(2, 0);  // (n, B)
  std::vector<int64_t> shape{n};
  for (int64_t s : rho.sizes()) shape.push_back(s);
  return (options.target_scale * (y.exp() - 1)).reshape(shape);
}

BaryonPainter build_baryon_painter(const ModelHeader& h) {
  BaryonPainterOptions o;
  o.depth = h.get_int("depth");
  o.channels = h.get_int("channels");
  o.components = h.get_int("components");
  o.input_mean = h.get_double("input_mean");
  o.input_std = h.get_double("input_std");
  o.target_scale = h.get_double("target_scale");
  return BaryonPainter(o);
}

void save_baryon_painter(const std::string& path, const BaryonPainter& model,
                         const std::string& target, ModelHeader extra) {
  const BaryonPainterOptions& o = model->options;
  extra.set("model", "baryon_painter");
  extra.set("target", target);
  extra.set("depth", o.depth);
  extra.set("channels", o.channels);
  extra.set("components", o.components);
  extra.set("input_mean", o.input_mean);
  extra.set("input_std", o.input_std);
  extra.set("target_scale", o.target_scale);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  extra.set("parameters", params);
  save_model(path, *model, std::move(extra));
}

torch::Tensor field_to_tensor(const sim::Field<double>& f) {
  const int n = f.n();
  torch::Tensor t = torch::empty({n, n, n}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z)
        p[(static_cast<int64_t>(x) * n + y) * n + z] = float(f.at(x, y, z));
    }
  }
  return t;
}

sim::Field<double> tensor_to_field(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  const int n = static_cast<int>(c.size(0));
  sim::Field<double> f{sim::Decomposition(n)};
  const double* p = c.data_ptr<double>();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) f.at(x, y, z) = p[(static_cast<int64_t>(x) * n + y) * n + z];
    }
  }
  return f;
}

std::vector<double> train_baryon_painter(BaryonPainter& model,
                                         const std::vector<const sim::Field<double>*>& dm,
                                         const std::vector<const sim::Field<double>*>& target,
                                         const BaryonPainterTraining& t) {
  if (dm.empty() || dm.size() != target.size()) {
    throw std::invalid_argument("baryon painter training: " + std::to_string(dm.size()) +
                                " dark-matter fields and " + std::to_string(target.size()) +
                                " targets; need the same number, at least one");
  }
  const int64_t unit = int64_t(1) << model->options.depth;
  if (dm.front()->n() % unit != 0) {
    throw std::invalid_argument("baryon painter: mesh " + std::to_string(dm.front()->n()) +
                                " is not a multiple of 2^depth = " + std::to_string(unit));
  }
  if (t.steps < 1 || t.batch < 1) {
    throw std::invalid_argument("baryon painter training: steps and batch must be >= 1");
  }
  torch::manual_seed(t.seed);
  std::vector<torch::Tensor> x, y;
  double s1 = 0, s2 = 0, st = 0, cells = 0;
  for (std::size_t i = 0; i < dm.size(); ++i) {
    x.push_back(field_to_tensor(*dm[i]));
    y.push_back(field_to_tensor(*target[i]));
    const torch::Tensor l = (x.back().to(torch::kFloat64) + kEps).log();
    s1 += l.sum().item<double>();
    s2 += (l * l).sum().item<double>();
    st += y.back().to(torch::kFloat64).sum().item<double>();
    cells += double(l.numel());
  }
  model->options.input_mean = s1 / cells;
  model->options.input_std = std::sqrt(std::max(1e-12, s2 / cells - (s1 / cells) * (s1 / cells)));
  model->options.target_scale = st / cells > 0 ? st / cells : 1.0;
  if (!(model->options.target_scale > 0)) {
    throw std::invalid_argument("baryon painter training: the targets' mean is not positive");
  }
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(t.lr));
  std::mt19937_64 rng(t.seed);
  std::vector<double> losses;
  model->train();
  for (int step = 0; step < t.steps; ++step) {
    const double lr = t.lr * (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * step / t.steps)));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    std::vector<torch::Tensor> xb, yb;
    for (int b = 0; b < t.batch; ++b) {
      const std::size_t i = rng() % x.size();
      const int64_t n = x[i].size(0);
      const int64_t ox = int64_t(rng() % uint64_t(n)), oy = int64_t(rng() % uint64_t(n)),
                    oz = int64_t(rng() % uint64_t(n));
      // A periodic shift: the U-Net is periodic, so whole boxes keep their true neighbours.
      torch::Tensor cx = x[i].roll({ox, oy, oz}, {0, 1, 2});
      torch::Tensor cy = y[i].roll({ox, oy, oz}, {0, 1, 2});
      // A random element of the cube's symmetry group (axis permutation and flips).
      std::vector<int64_t> perm{0, 1, 2};
      std::shuffle(perm.begin(), perm.end(), rng);
      cx = cx.permute(perm);
      cy = cy.permute(perm);
      for (int64_t d = 0; d < 3; ++d) {
        if (rng() & 1) cx = cx.flip({d}), cy = cy.flip({d});
      }
      xb.push_back(cx.contiguous());
      yb.push_back(cy.contiguous());
    }
    opt.zero_grad();
    const torch::Tensor loss = model->nll(torch::stack(xb), torch::stack(yb));
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    opt.step();
    losses.push_back(loss.item<double>());
    if ((step + 1) % 10 == 0 || step + 1 == t.steps) {
      sim::log_info("baryon painter: step ", step + 1, "/", t.steps, " nll ", losses.back());
    }
  }
  model->eval();
  return losses;
}

}  // namespace cosmograd::nn
