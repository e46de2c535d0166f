// Augmentations of the contrastive stamp encoder (see ssl_augment.hpp).
#include "surveys/discovery/ssl_augment.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/vision/image_tensors.hpp"
#include "surveys/vision/stamp_classifier.hpp"

namespace cosmograd::surveys {

void SslAugmentOptions::validate() const {
  sim::require(jitter_px >= 0 && jitter_px <= 8, "jitter_px", jitter_px, "in [0, 8] pixels");
  sim::require(sim::positive(scale_min) && scale_min <= scale_max && scale_max <= 4, "scale_min",
               scale_min, "in (0, scale_max] with scale_max <= 4");
  sim::require(warp_probability >= 0 && warp_probability <= 1, "warp_probability", warp_probability,
               "in [0, 1]");
  sim::require(sim::positive(flux_min) && flux_min <= flux_max && flux_max <= 100, "flux_min",
               flux_min, "in (0, flux_max] with flux_max <= 100");
  sim::require(noise_max >= 0 && noise_max <= 10, "noise_max", noise_max, "in [0, 10]");
  sim::require(sim::positive(soften), "soften", soften, "> 0");
}

torch::Tensor ssl_raw_stamps(const StampSet& set, const std::vector<std::size_t>& rows,
                             torch::Tensor* sigma) {
  const int64_t s = set.size, b = static_cast<int64_t>(rows.size());
  torch::Tensor img = torch::empty({b, 1, s, s}, torch::kFloat32);
  torch::Tensor sig = torch::empty({b}, torch::kFloat32);
  float* dst = img.data_ptr<float>();
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    if (r >= set.count())
      throw std::invalid_argument("stamp row " + std::to_string(r) + ": must be below " +
                                  std::to_string(set.count()));
    std::copy_n(set.images.data() + r * s * s, s * s, dst + k * s * s);
    sig[k] = set.noise_sigma[r];
  }
  if (sigma != nullptr) *sigma = sig;
  return img;
}

torch::Tensor ssl_scale(const torch::Tensor& x, const torch::Tensor& sigma, double soften) {
  return asinh_scale(x, sigma.reshape({-1, 1}), soften);
}

torch::Tensor apply_square_symmetries(const torch::Tensor& x, const torch::Tensor& k) {
  if (x.dim() != 4 || k.dim() != 1 || k.size(0) != x.size(0))
    throw std::invalid_argument("apply_square_symmetries: x [N, C, S, S] and k [N], got " +
                                c10::str(x.sizes()) + " and " + c10::str(k.sizes()));
  torch::Tensor out = torch::empty_like(x);
  for (int64_t s = 0; s < 8; ++s) {
    const torch::Tensor rows = k.eq(s).nonzero().view(-1);
    if (rows.numel() == 0) continue;
    out.index_copy_(0, rows, square_symmetry(x.index_select(0, rows), s));
  }
  return out;
}

torch::Tensor warp_stamps(const torch::Tensor& x, const torch::Tensor& scale,
                          const torch::Tensor& dx, const torch::Tensor& dy) {
  if (x.dim() != 4 || x.size(2) != x.size(3))
    throw std::invalid_argument("warp_stamps: x must be [N, C, S, S], got " + c10::str(x.sizes()));
  const int64_t n = x.size(0);
  for (const torch::Tensor* t : {&scale, &dx, &dy})
    if (t->dim() != 1 || t->size(0) != n)
      throw std::invalid_argument("warp_stamps: scale, dx and dy must be [N] with N = " +
                                  std::to_string(n));
  sim::require(scale.min().item<double>() > 0, "scale", scale.min().item<double>(), "> 0");
  // affine_grid maps output to input coordinates normalised to [-1, 1] over the stamp
  // (align_corners false: a pixel is 2 / S wide): u_in = (u_out - 2 d / S) / scale.
  const double sz = static_cast<double>(x.size(3));
  const torch::Tensor inv = 1.0 / scale.to(torch::kFloat32);
  const torch::Tensor zero = torch::zeros({n}, torch::kFloat32);
  const torch::Tensor row0 = torch::stack({inv, zero, -2.0 / sz * dx.to(torch::kFloat32) * inv}, 1);
  const torch::Tensor row1 = torch::stack({zero, inv, -2.0 / sz * dy.to(torch::kFloat32) * inv}, 1);
  const torch::Tensor theta = torch::stack({row0, row1}, 1).to(x.scalar_type());
  const torch::Tensor grid =
      torch::nn::functional::affine_grid(theta, {n, x.size(1), x.size(2), x.size(3)}, false);
  namespace F = torch::nn::functional;
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kReflection)
                            .align_corners(false));
}

torch::Tensor ssl_augment(const torch::Tensor& x, const torch::Tensor& sigma,
                          const SslAugmentOptions& o, at::Generator& gen) {
  o.validate();
  if (x.dim() != 4 || x.size(1) != 1 || sigma.dim() != 1 || sigma.size(0) != x.size(0))
    throw std::invalid_argument("ssl_augment: x [N, 1, S, S] and sigma [N], got " +
                                c10::str(x.sizes()) + " and " + c10::str(sigma.sizes()));
  const int64_t n = x.size(0);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor v = x;
  if (o.symmetries) v = apply_square_symmetries(v, torch::randint(0, 8, {n}, gen, torch::kLong));
  // Warped views: log-uniform scale and a continuous shift; the others an integer shift.
  const torch::Tensor warped = torch::rand({n}, gen, f32).lt(o.warp_probability);
  const torch::Tensor log_s =
      std::log(o.scale_min) + torch::rand({n}, gen, f32) * std::log(o.scale_max / o.scale_min);
  const torch::Tensor scale = torch::where(warped, log_s.exp(), torch::ones({n}, f32));
  torch::Tensor d = (torch::rand({2, n}, gen, f32) * 2 - 1) * o.jitter_px;
  d = torch::where(warped.unsqueeze(0), d, d.round());
  v = warp_stamps(v, scale, d[0], d[1]);
  const torch::Tensor log_f =
      std::log(o.flux_min) + torch::rand({n}, gen, f32) * std::log(o.flux_max / o.flux_min);
  const torch::Tensor sig = sigma.to(torch::kFloat32);
  const torch::Tensor u = torch::rand({n}, gen, f32) * o.noise_max;
  v = v * log_f.exp().view({n, 1, 1, 1}) +
      torch::randn(v.sizes(), gen, f32) * (u * sig).view({n, 1, 1, 1});
  return ssl_scale(v, sig, o.soften);
}

}  // namespace cosmograd::surveys
