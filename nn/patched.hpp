// Patch-wise evaluation of a local network on a periodic box: the box is cut into cubic
// patches, each evaluated on a periodic block padded by the network's receptive radius, and the
// centres are joined. With enough padding the result equals the whole-box evaluation to
// rounding, so a box larger than the training boxes (or than memory allows) is processed in
// pieces that join without seams.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>

namespace cosmograd::nn {

/// A local network on one periodic block: (x [C, b, b, b], aux [A, f b, f b, f b] or undefined)
/// -> [C', f b, f b, f b] (f = the upsampling factor, 1 for a same-size map).
using PatchFunction = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

/// Applies `fn` to x [C, N, N, N] in patches of `patch` cells per side (origins and sizes
/// multiples of `alignment`), each evaluated on a block padded by `pad` cells (a multiple of
/// `alignment`) with periodic wrap; `aux` [A, f N, f N, f N] (optional, e.g. injected noise) is
/// cut into the matching blocks at f times the resolution. Returns [C', f N, f N, f N]. A box
/// with N <= patch + 2 pad is evaluated whole. `progress(done, total)` is called after each
/// patch when given. Differentiable in x when grad mode is on.
torch::Tensor apply_patched(const PatchFunction& fn, const torch::Tensor& x,
                            const torch::Tensor& aux, int64_t factor, int64_t patch, int64_t pad,
                            int64_t alignment,
                            const std::function<void(int64_t, int64_t)>& progress = nullptr);

}  // namespace cosmograd::nn
