// The NPE network (see npe_net.hpp).
#include "nn/npe_net.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "nn/train/header_values.hpp"
#include "nn/train/model_types.hpp"
#include "sim/core/settings.hpp"

namespace cosmograd::nn {
namespace {

/// "a,b,c" of names.
std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}
std::vector<double> split_numbers(const ModelHeader& h, const std::string& key) {
  std::vector<double> out;
  for (const std::string& item : sim::split_list(h.get(key))) {
    try {
      out.push_back(std::stod(item));
    } catch (const std::logic_error&) {
      throw std::runtime_error(h.source() + ": " + key + " = '" + h.get(key) +
                               "' is not a list of numbers");
    }
  }
  return out;
}

}  // namespace

FieldCompressorImpl::FieldCompressorImpl(int64_t channels, int64_t outputs) {
  if (channels < 1 || outputs < 1) {
    throw std::invalid_argument("npe_compressor_channels = " + std::to_string(channels) +
                                " and outputs = " + std::to_string(outputs) + " must both be >= 1");
  }
  input_mean = register_buffer("input_mean", torch::zeros({1}));
  input_std = register_buffer("input_std", torch::ones({1}));
  int64_t in = 1, c = channels;
  for (int i = 0; i < 4; ++i) {
    convs.push_back(
        register_module("conv" + std::to_string(i), PeriodicConv3d(PeriodicConvOptions(in, c, 3))));
    in = c;
    if (i < 2) c *= 2;
  }
  head = register_module("head", MLP(MLPOptions(in, outputs).hidden({64})));
}

torch::Tensor FieldCompressorImpl::transform(const torch::Tensor& delta) {
  return torch::log(torch::clamp_min(delta + 1.05, 1e-3));
}

torch::Tensor FieldCompressorImpl::forward(const torch::Tensor& delta) {
  if (delta.dim() != 5 || delta.size(1) != 1 || delta.size(2) % 8 != 0) {
    throw std::invalid_argument("FieldCompressor: input must be [B, 1, n, n, n] with n % 8 == 0");
  }
  torch::Tensor x = (transform(delta) - input_mean) / input_std;
  for (std::size_t i = 0; i < convs.size(); ++i) {
    x = torch::gelu(convs[i]->forward(x));
    if (i < 3) x = torch::avg_pool3d(x, 2);
  }
  return head->forward(x.mean({2, 3, 4}));
}

NpeNetImpl::NpeNetImpl(NpeConfig config) : config_(std::move(config)) {
  const NpeConfig& c = config_;
  const int64_t p = static_cast<int64_t>(c.parameters.size());
  if (p < 1 || c.lo.size() != c.parameters.size() || c.hi.size() != c.parameters.size()) {
    throw std::invalid_argument("npe: " + std::to_string(p) + " parameters with " +
                                std::to_string(c.lo.size()) + " lower and " +
                                std::to_string(c.hi.size()) +
                                " upper bounds (allowed: >= 1, one bound each)");
  }
  for (int64_t i = 0; i < p; ++i) {
    if (!(c.lo[i] < c.hi[i])) {
      throw std::invalid_argument("npe prior: " + c.parameters[i] + " has lo >= hi");
    }
  }
  if (c.members < 1) throw std::invalid_argument("npe_members = " + std::to_string(c.members));
  if (c.flow != "nsf" && c.flow != "maf") {
    throw std::invalid_argument("npe_flow = '" + c.flow + "' is not allowed (allowed: nsf, maf)");
  }
  int64_t context_dim = 0;
  if (c.summary == "density") {
    if (c.field_mesh < 8 || c.field_mesh % 8 != 0) {
      throw std::invalid_argument("npe_field_mesh = " + std::to_string(c.field_mesh) +
                                  " is not allowed (allowed: a multiple of 8)");
    }
    context_dim = c.compressed > 0 ? c.compressed : p;
    compressor = register_module("compressor", FieldCompressor(c.compressor_channels, context_dim));
  } else if (c.summary == "power" || c.summary == "power_bispectrum") {
    if (c.summary_dim < 1) {
      throw std::invalid_argument("npe_summary_dim = " + std::to_string(c.summary_dim) +
                                  " is not >= 1");
    }
    context_dim = c.summary_dim;
  } else {
    throw std::invalid_argument("npe_summary = '" + c.summary +
                                "' is not allowed (allowed: density, power, power_bispectrum)");
  }
  const int64_t d = std::max<int64_t>(c.summary_dim, 1);
  summary_mean = register_buffer("summary_mean", torch::zeros({d}, torch::kFloat64));
  summary_std = register_buffer("summary_std", torch::ones({d}, torch::kFloat64));
  summary_scale = register_buffer("summary_scale", torch::zeros({d}, torch::kFloat64));
  log_weights = register_buffer(
      "log_weights", torch::full({c.members}, -std::log(double(c.members)), torch::kFloat64));
  lo_ = register_buffer("lo", torch::tensor(c.lo, torch::kFloat64));
  hi_ = register_buffer("hi", torch::tensor(c.hi, torch::kFloat64));
  const std::vector<int64_t> hidden{c.flow_hidden, c.flow_hidden};
  for (int64_t k = 0; k < c.members; ++k) {
    const std::string name = "flow" + std::to_string(k);
    if (c.flow == "nsf") {
      nsf_.push_back(register_module(name, SplineFlow(SplineFlowOptions(p)
                                                          .layers(c.flow_layers)
                                                          .hidden(hidden)
                                                          .context(context_dim)
                                                          .bins(8)
                                                          .bound(5.0))));
    } else {
      maf_.push_back(register_module(
          name, MAF(MAFOptions(p).layers(c.flow_layers).hidden(hidden).context(context_dim))));
    }
  }
  // The summaries and flows run in double precision (small networks; exact log densities).
  to(torch::kFloat64);
  if (compressor) compressor->to(torch::kFloat32);
}

torch::Tensor NpeNetImpl::context(const torch::Tensor& x) {
  if (compressor) return compressor->forward(x.to(torch::kFloat32)).to(torch::kFloat64);
  if (x.dim() != 2 || x.size(1) != config_.summary_dim) {
    throw std::invalid_argument("npe: summaries must be [B, " +
                                std::to_string(config_.summary_dim) + "]");
  }
  torch::Tensor s = x.to(torch::kFloat64);
  // Bispectrum entries: asinh(B / scale), log-like for |B| >> scale and linear through zero.
  const torch::Tensor scaled = summary_scale > 0;
  s = torch::where(scaled, torch::asinh(s / torch::where(scaled, summary_scale, 1.0)), s);
  return (s - summary_mean) / summary_std;
}

std::pair<torch::Tensor, torch::Tensor> NpeNetImpl::to_unbounded(const torch::Tensor& theta) const {
  const torch::Tensor width = hi_ - lo_;
  const torch::Tensor s = torch::clamp((theta - lo_) / width, 1e-12, 1 - 1e-12);
  const torch::Tensor u = torch::log(s) - torch::log1p(-s);
  const torch::Tensor log_jac = -(torch::log(width) + torch::log(s) + torch::log1p(-s)).sum(-1);
  return {u, log_jac};
}

torch::Tensor NpeNetImpl::member_log_prob(int64_t k, const torch::Tensor& theta,
                                          const torch::Tensor& ctx) {
  auto [u, log_jac] = to_unbounded(theta.to(torch::kFloat64));
  const torch::Tensor lq = nsf_.empty() ? maf_[k]->log_prob(u, ctx) : nsf_[k]->log_prob(u, ctx);
  return lq + log_jac;
}

torch::Tensor NpeNetImpl::log_prob(const torch::Tensor& theta, const torch::Tensor& ctx) {
  std::vector<torch::Tensor> terms;
  for (int64_t k = 0; k < config_.members; ++k) {
    terms.push_back(member_log_prob(k, theta, ctx) + log_weights[k]);
  }
  return torch::logsumexp(torch::stack(terms, 0), 0);
}

torch::Tensor NpeNetImpl::sample(int64_t n, const torch::Tensor& ctx) {
  const torch::Tensor counts = torch::bincount(
      torch::multinomial(torch::exp(log_weights), n, /*replacement=*/true), {}, config_.members);
  std::vector<torch::Tensor> parts;
  for (int64_t k = 0; k < config_.members; ++k) {
    const int64_t m = counts[k].item<int64_t>();
    if (m == 0) continue;
    const torch::Tensor u = nsf_.empty() ? maf_[k]->sample(m, ctx) : nsf_[k]->sample(m, ctx);
    parts.push_back(lo_ + (hi_ - lo_) * torch::sigmoid(u));
  }
  return torch::cat(parts, 0);
}

std::vector<torch::Tensor> NpeNetImpl::member_parameters(int64_t k) {
  return nsf_.empty() ? maf_[k]->parameters() : nsf_[k]->parameters();
}

ModelHeader NpeNetImpl::header() const {
  const NpeConfig& c = config_;
  ModelHeader h;
  h.set("model", "npe");
  h.set("npe_parameters", join_names(c.parameters));
  h.set("npe_lo", join_doubles(c.lo));
  h.set("npe_hi", join_doubles(c.hi));
  h.set("npe_summary", c.summary);
  h.set("npe_summary_dim", c.summary_dim);
  h.set("npe_field_mesh", c.field_mesh);
  h.set("npe_k_max", c.k_max);
  h.set("npe_compressor_channels", c.compressor_channels);
  h.set("npe_compressed", c.compressed);
  h.set("npe_flow", c.flow);
  h.set("npe_flow_layers", c.flow_layers);
  h.set("npe_flow_hidden", c.flow_hidden);
  h.set("npe_members", c.members);
  return h;
}

NpeConfig npe_config_from(const ModelHeader& h) {
  NpeConfig c;
  c.parameters = sim::split_list(h.get("npe_parameters"));
  c.lo = split_numbers(h, "npe_lo");
  c.hi = split_numbers(h, "npe_hi");
  c.summary = h.get("npe_summary");
  c.summary_dim = h.get_int("npe_summary_dim");
  c.field_mesh = h.get_int("npe_field_mesh");
  c.k_max = h.get_double("npe_k_max");
  c.compressor_channels = h.get_int("npe_compressor_channels");
  c.compressed = h.get_int("npe_compressed");
  c.flow = h.get("npe_flow");
  c.flow_layers = h.get_int("npe_flow_layers");
  c.flow_hidden = h.get_int("npe_flow_hidden");
  c.members = h.get_int("npe_members");
  return c;
}

NpeNet load_npe(const std::string& path, ModelHeader* header) {
  LoadedModel m = load_model(path);
  if (m.header.get("model") != "npe") {
    throw std::runtime_error(path + ": model = " + m.header.get("model") + ", not npe");
  }
  if (header != nullptr) *header = m.header;
  return NpeNet(std::dynamic_pointer_cast<NpeNetImpl>(m.module));
}

}  // namespace cosmograd::nn
