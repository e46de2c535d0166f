// Training helpers shared by the image models: a module's state to return to (the best
// validation model) and the cosine learning-rate decay.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace cosmograd::nn {

/// Copies of the parameters and then the buffers of `m` (BatchNorm statistics included).
inline std::vector<torch::Tensor> snapshot_state(const torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  for (const auto& b : m.buffers()) out.push_back(b.detach().clone());
  return out;
}

/// Copies a snapshot_state of a module of the same architecture back into `m`.
inline void restore_state(torch::nn::Module& m, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : m.parameters()) p.copy_(saved[i++]);
  for (auto& b : m.buffers()) b.copy_(saved[i++]);
}

/// Sets every group's learning rate to lr (0.05 + 0.95 (1 + cos(pi step / total)) / 2): cosine
/// decay from lr to lr / 20 over `total` steps (Loshchilov & Hutter 2017, no restarts).
inline void set_cosine_lr(torch::optim::Adam& opt, double lr, int64_t step, int64_t total) {
  const double f = 0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * static_cast<double>(step) / total));
  for (auto& group : opt.param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr * f);
}

}  // namespace cosmograd::nn
