// Patch-wise periodic evaluation of local networks.
#include "nn/patched.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::nn {

torch::Tensor apply_patched(const PatchFunction& fn, const torch::Tensor& x,
                            const torch::Tensor& aux, int64_t factor, int64_t patch, int64_t pad,
                            int64_t alignment,
                            const std::function<void(int64_t, int64_t)>& progress) {
  if (x.dim() != 4 || x.size(1) != x.size(2) || x.size(1) != x.size(3)) {
    throw std::invalid_argument("apply_patched: x must have shape (C, N, N, N)");
  }
  const int64_t n = x.size(1), al = alignment;
  if (factor < 1 || al < 1 || n % al != 0 || patch < al || patch % al != 0 || pad < 0 ||
      pad % al != 0) {
    throw std::invalid_argument("apply_patched: cells per side " + std::to_string(n) + ", patch " +
                                std::to_string(patch) + " and pad " + std::to_string(pad) +
                                " must be multiples of the alignment " + std::to_string(al) +
                                " (patch positive)");
  }
  if (aux.defined() && (aux.dim() != 4 || aux.size(1) != factor * n || aux.size(2) != factor * n ||
                        aux.size(3) != factor * n)) {
    throw std::invalid_argument("apply_patched: aux must have shape (A, f N, f N, f N)");
  }
  if (n <= patch + 2 * pad) {
    torch::Tensor y = fn(x, aux);
    if (progress) progress(1, 1);
    return y;
  }
  std::vector<int64_t> origins;
  for (int64_t o = 0; o < n; o += patch) origins.push_back(std::min(o, n - patch));
  const int64_t total = static_cast<int64_t>(origins.size() * origins.size() * origins.size());
  // Periodic index ranges of the padded block at origin o, at 1x and at f x the resolution.
  auto wrap = [&](int64_t o, int64_t f) {
    return torch::remainder(torch::arange(f * (o - pad), f * (o + patch + pad), torch::kLong),
                            f * n);
  };
  auto block_of = [&](const torch::Tensor& t, int64_t ox, int64_t oy, int64_t oz, int64_t f) {
    return t.index_select(1, wrap(ox, f)).index_select(2, wrap(oy, f)).index_select(3, wrap(oz, f));
  };
  torch::Tensor out;
  int64_t done = 0;
  using torch::indexing::Slice;
  const int64_t fp = factor * pad, fb = factor * patch;
  for (int64_t ox : origins) {
    for (int64_t oy : origins) {
      for (int64_t oz : origins) {
        const torch::Tensor y =
            fn(block_of(x, ox, oy, oz, 1), aux.defined() ? block_of(aux, ox, oy, oz, factor) : aux);
        if (!out.defined()) {
          out = torch::empty({y.size(0), factor * n, factor * n, factor * n}, y.options());
        }
        out.index_put_(
            {Slice(), Slice(factor * ox, factor * ox + fb), Slice(factor * oy, factor * oy + fb),
             Slice(factor * oz, factor * oz + fb)},
            y.index({Slice(), Slice(fp, fp + fb), Slice(fp, fp + fb), Slice(fp, fp + fb)}));
        if (progress) progress(++done, total);
      }
    }
  }
  return out;
}

}  // namespace cosmograd::nn
