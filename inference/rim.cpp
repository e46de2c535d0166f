// The RIM's iterations, the posterior as an autograd op, and RIM training (see rim.hpp).
#include "inference/rim.hpp"

#include <torch/autograd.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

#include "nn/train/trainer.hpp"

namespace cosmograd::inference {

namespace {

/// -ln p as an autograd Function: forward evaluates the posterior and its gradient (one
/// engine forward and adjoint), backward scales the stored gradient.
class NegLogPosterior : public torch::autograd::Function<NegLogPosterior> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               Posterior* posterior, double smoothing) {
    const torch::Tensor xc = x.detach().to(torch::kFloat64).contiguous().reshape(-1);
    if (xc.numel() != static_cast<int64_t>(posterior->dimension())) {
      throw std::invalid_argument("negative_log_posterior: x has " + std::to_string(xc.numel()) +
                                  " elements, the posterior " +
                                  std::to_string(posterior->dimension()) + " variables");
    }
    const std::vector<double> xv(xc.data_ptr<double>(), xc.data_ptr<double>() + xc.numel());
    std::vector<double> grad;
    const double value = posterior->evaluate(xv, &grad, smoothing);
    ctx->saved_data["grad"] =
        torch::from_blob(grad.data(), {static_cast<int64_t>(grad.size())}, torch::kFloat64)
            .clone()
            .reshape(x.sizes())
            .to(x.scalar_type());
    return torch::tensor(value, torch::kFloat64);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_out) {
    const torch::Tensor g = ctx->saved_data["grad"].toTensor();
    return {grad_out[0].to(g.scalar_type()) * g, torch::Tensor(), torch::Tensor()};
  }
};

/// Unit white noise of n^3 cells from (seed, step), C order.
std::vector<double> prior_draw(int n, uint64_t seed, int64_t step) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(step) + 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> w(static_cast<std::size_t>(n) * n * n);
  for (double& v : w) v = normal(rng);
  return w;
}

}  // namespace

torch::Tensor negative_log_posterior(Posterior& posterior, const torch::Tensor& x,
                                     double smoothing) {
  return NegLogPosterior::apply(x, &posterior, smoothing);
}

std::vector<torch::Tensor> rim_iterate(nn::RimNet& net, Posterior& posterior, const RimOptions& o) {
  if (!posterior.free_parameters().empty()) {
    throw std::invalid_argument(
        "rim: the posterior has free cosmological parameters; the RIM "
        "reconstructs the white noise at fixed cosmology");
  }
  if (o.iterations < 1) {
    throw std::invalid_argument("rim_iterations = " + std::to_string(o.iterations) +
                                " is not >= 1");
  }
  const int64_t n = posterior.spec().particles;
  const auto shape = std::vector<int64_t>{1, 1, n, n, n};
  torch::Tensor x = torch::zeros(shape, torch::kFloat32);
  torch::Tensor m = torch::zeros(shape, torch::kFloat64), v = torch::zeros_like(m);
  nn::RimState state;
  std::vector<torch::Tensor> estimates;
  for (int t = 0; t < o.iterations; ++t) {
    torch::Tensor g;
    {
      torch::AutoGradMode enable(true);
      const torch::Tensor xd = x.detach().to(torch::kFloat64).requires_grad_(true);
      const torch::Tensor nlp = negative_log_posterior(posterior, xd);
      g = -torch::autograd::grad({nlp}, {xd})[0];  // gradient of ln p
    }
    // Adam's bias-corrected moments as the preconditioner (as in CosmicRIM).
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const double c1 = 1 - std::pow(o.beta1, t + 1), c2 = 1 - std::pow(o.beta2, t + 1);
    const torch::Tensor pre = (m / c1) / (torch::sqrt(v / c2) + o.eps);
    const torch::Tensor input = torch::cat({x, pre.to(torch::kFloat32)}, 1);
    auto [dx, next] = net->forward(input, state);
    state = next;
    x = x + dx;
    estimates.push_back(x);
  }
  return estimates;
}

RimTrainResult train_rim(nn::RimNet& net, const sim::SimSpec& spec, const DataModel& model,
                         const RimTrainOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const int n = spec.particles;
  Posterior posterior(spec, model, sim::Field<double>(sim::Decomposition(model.mesh)));
  nn::TrainerOptions to;
  to.max_steps = o.steps;
  to.schedule.kind = nn::ScheduleKind::cosine;
  to.schedule.base_lr = o.learning_rate;
  to.schedule.min_lr = 0.1 * o.learning_rate;
  to.clip_norm = 1.0;
  to.log_every = o.log_every;
  to.seed = o.seed;
  to.checkpoint_path = o.checkpoint_path;
  to.checkpoint_every = o.checkpoint_path.empty() ? 0 : o.checkpoint_every;
  nn::Trainer trainer(net.ptr(), to);
  if (!o.checkpoint_path.empty() && std::ifstream(o.checkpoint_path).good()) {
    trainer.load_checkpoint(o.checkpoint_path);
  }
  std::vector<double> losses;
  const auto loss_fn = [&](int64_t step) {
    const std::vector<double> w = prior_draw(n, o.seed, step);
    const sim::Particles<double>& p = posterior.simulate(w);
    posterior.set_data(simulate_data(posterior.model(), p, o.seed * 7919 + step));
    const torch::Tensor truth =
        torch::from_blob(const_cast<double*>(w.data()), {1, 1, n, n, n}, torch::kFloat64)
            .to(torch::kFloat32);
    const std::vector<torch::Tensor> xs = rim_iterate(net, posterior, o.rim);
    torch::Tensor loss = torch::zeros({}, torch::kFloat32);
    for (const torch::Tensor& x : xs) loss = loss + torch::mean(torch::square(x - truth));
    losses.push_back(loss.item<double>());
    return loss;
  };
  const nn::TrainResult r = trainer.fit(loss_fn);
  RimTrainResult result;
  result.steps = r.steps;
  result.losses = std::move(losses);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace cosmograd::inference
