#include "surveys/vision/image_tensors.hpp"

#include <stdexcept>
#include <string>

namespace cosmograd::surveys {

torch::Tensor tensor_from(const std::vector<float>& values, torch::IntArrayRef shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (n != static_cast<int64_t>(values.size()))
    throw std::invalid_argument("tensor_from: " + std::to_string(values.size()) +
                                " values for shape " + c10::str(shape) + " (" + std::to_string(n) +
                                " values)");
  return torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat32).clone();
}

torch::Tensor asinh_scale(const torch::Tensor& images, const torch::Tensor& sigma, double soften) {
  if (!(soften > 0)) throw std::invalid_argument("asinh_scale: soften must be > 0");
  if (images.dim() != 4)
    throw std::invalid_argument("asinh_scale: images of shape " + c10::str(images.sizes()) +
                                ", expected [N, C, H, W]");
  torch::Tensor s = sigma.to(images.scalar_type());
  if (s.dim() == 2) s = s.view({s.size(0), s.size(1), 1, 1});
  if (s.dim() == 1) s = s.view({1, s.size(0), 1, 1});
  return torch::asinh(images / (soften * s));
}

}  // namespace cosmograd::surveys
