// The RIM update network (see rim_net.hpp).
#include "nn/rim_net.hpp"

#include <stdexcept>
#include <string>

#include "nn/train/model_types.hpp"

namespace cosmograd::nn {

RimNetImpl::RimNetImpl(int64_t channels_, int64_t kernel_) : channels(channels_), kernel(kernel_) {
  if (channels < 1) {
    throw std::invalid_argument("rim_channels = " + std::to_string(channels) + " is not >= 1");
  }
  if (kernel < 1 || kernel % 2 == 0) {
    throw std::invalid_argument("rim_kernel = " + std::to_string(kernel) +
                                " is not an odd number >= 1");
  }
  const int64_t c = channels, k = kernel;
  encode = register_module("encode", PeriodicConv3d(PeriodicConvOptions(2, c, k)));
  full = register_module("full", ConvLSTM3d(ConvRecurrentOptions(c, c).kernel_size(k)));
  down = register_module("down", PeriodicConv3d(PeriodicConvOptions(c, c, k).stride(2)));
  half = register_module("half", ConvLSTM3d(ConvRecurrentOptions(c, c).kernel_size(k)));
  decode = register_module("decode", PeriodicConv3d(PeriodicConvOptions(2 * c, c, k)));
  out = register_module("out", PeriodicConv3d(PeriodicConvOptions(c, 1, 1)));
}

std::pair<torch::Tensor, RimState> RimNetImpl::forward(const torch::Tensor& input,
                                                       const RimState& state) {
  if (input.dim() != 5 || input.size(1) != 2 || input.size(2) % 2 != 0) {
    throw std::invalid_argument(
        "RimNet: input must be [B, 2, n, n, n] (estimate, gradient) with n even");
  }
  const torch::Tensor e = torch::tanh(encode->forward(input));
  auto [h1, c1] =
      state.h_full.defined() ? full->forward(e, {state.h_full, state.c_full}) : full->forward(e);
  const torch::Tensor d = torch::tanh(down->forward(h1));
  auto [h2, c2] =
      state.h_half.defined() ? half->forward(d, {state.h_half, state.c_half}) : half->forward(d);
  const torch::Tensor up =
      h2.repeat_interleave(2, 2).repeat_interleave(2, 3).repeat_interleave(2, 4);
  const torch::Tensor y = torch::tanh(decode->forward(torch::cat({h1, up}, 1)));
  return {out->forward(y), RimState{h1, c1, h2, c2}};
}

int64_t RimNetImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

ModelHeader RimNetImpl::header() const {
  ModelHeader h;
  h.set("model", "rim");
  h.set("rim_channels", channels);
  h.set("rim_kernel", kernel);
  return h;
}

RimNet build_rim(const ModelHeader& header) {
  return RimNet(header.get_int("rim_channels"), header.get_int("rim_kernel"));
}

RimNet load_rim(const std::string& path, ModelHeader* header) {
  LoadedModel m = load_model(path);
  if (m.header.get("model") != "rim") {
    throw std::runtime_error(path + ": model = " + m.header.get("model") + ", not rim");
  }
  if (header != nullptr) *header = m.header;
  return RimNet(std::dynamic_pointer_cast<RimNetImpl>(m.module));
}

}  // namespace cosmograd::nn
