#include "nn/modules/flows.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace cosmograd::nn {

namespace F = torch::nn::functional;
using torch::indexing::None;
using torch::indexing::Slice;

namespace {

// Validates the context of a flow with C conditioning inputs for a batch of b rows; a (1, C)
// context is broadcast to b rows.
torch::Tensor checked_context(const torch::Tensor& context, int64_t c, int64_t b, const char* who) {
  if (c == 0) {
    if (context.defined() && context.numel() > 0) {
      throw std::invalid_argument(std::string(who) + ": context given to an unconditional flow");
    }
    return {};
  }
  if (!context.defined() || context.dim() != 2 || context.size(1) != c ||
      (context.size(0) != b && context.size(0) != 1)) {
    throw std::invalid_argument(std::string(who) + ": context must have shape (" +
                                std::to_string(b) + " or 1, " + std::to_string(c) + ")");
  }
  return context.size(0) == b ? context : context.expand({b, c});
}

void check_input(const torch::Tensor& x, int64_t d, const char* who) {
  if (x.dim() != 2 || x.size(1) != d) {
    throw std::invalid_argument(std::string(who) + ": input must have shape (B, " +
                                std::to_string(d) + ")");
  }
}

// Standard normal log density summed over the last dim.
torch::Tensor std_normal_log_prob(const torch::Tensor& u) {
  return -0.5 * u.pow(2).sum(-1) - 0.5 * static_cast<double>(u.size(-1)) * std::log(2.0 * M_PI);
}

torch::Tensor gather_last(const torch::Tensor& t, const torch::Tensor& idx) {
  return t.gather(-1, idx.unsqueeze(-1)).squeeze(-1);
}

// Bin edges on [-bound, bound] from unnormalised bin sizes (..., K): (edges (..., K+1),
// sizes (..., K)), every size >= min_size (Durkan et al. 2019, Sec. 3.1).
std::tuple<torch::Tensor, torch::Tensor> bin_edges(const torch::Tensor& raw, double bound,
                                                   double min_size) {
  const int64_t k = raw.size(-1);
  torch::Tensor sizes = torch::softmax(raw, -1);
  sizes = min_size + (1.0 - min_size * static_cast<double>(k)) * sizes;
  const torch::Tensor inner =
      2.0 * bound * torch::cumsum(sizes, -1).index({"...", Slice(0, k - 1)}) - bound;
  auto lead = raw.sizes().vec();
  lead.back() = 1;
  const torch::Tensor edges = torch::cat(
      {torch::full(lead, -bound, raw.options()), inner, torch::full(lead, bound, raw.options())},
      -1);
  return {edges, edges.index({"...", Slice(1, None)}) - edges.index({"...", Slice(0, k)})};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
MaskedLinearImpl::MaskedLinearImpl(const torch::Tensor& mask) {
  torch::nn::Linear init(mask.size(1), mask.size(0));
  weight_ = register_parameter("weight", init->weight.detach().clone());
  bias_ = register_parameter("bias", init->bias.detach().clone());
  mask_ = register_buffer("mask", mask.to(weight_.dtype()));
}

torch::Tensor MaskedLinearImpl::forward(const torch::Tensor& x) {
  return F::linear(x, weight_ * mask_, bias_);
}

// ---------------------------------------------------------------------------------------------
MADEImpl::MADEImpl(MADEOptions options) : options_(std::move(options)) {
  const int64_t d = options_.features(), p = options_.outputs_per_feature(), c = options_.context();
  if (d <= 0 || p <= 0 || c < 0 || options_.hidden().empty()) {
    throw std::invalid_argument(
        "MADE: need features > 0, outputs_per_feature > 0, context >= 0 "
        "and at least one hidden layer");
  }
  std::vector<int64_t> deg = options_.degrees();
  if (deg.empty()) {
    for (int64_t i = 0; i < d; ++i) deg.push_back(i + 1);
  }
  if (static_cast<int64_t>(deg.size()) != d || *std::min_element(deg.begin(), deg.end()) < 1) {
    throw std::invalid_argument("MADE: degrees must be D values >= 1");
  }
  options_.degrees(deg);
  const int64_t lo = *std::min_element(deg.begin(), deg.end());
  const int64_t hi = *std::max_element(deg.begin(), deg.end());
  const int64_t first = c > 0 ? lo - 1 : lo;
  // Input degrees: the D features, then the context with degree 0 (connected everywhere).
  std::vector<int64_t> prev = deg;
  prev.resize(static_cast<size_t>(d + c), 0);
  for (size_t l = 0; l < options_.hidden().size(); ++l) {
    const int64_t h = options_.hidden()[l];
    if (h <= 0) throw std::invalid_argument("MADE: hidden widths must be > 0");
    // Hidden degrees cycle over [first, hi - 1] (Germain et al. 2015, Sec. 4; deterministic).
    // With a context, units of degree lo - 1 see only the context, so the first outputs
    // depend on it too.
    std::vector<int64_t> cur(static_cast<size_t>(h));
    for (int64_t k = 0; k < h; ++k) cur[k] = hi > first ? first + k % (hi - first) : lo - 1;
    torch::Tensor mask = torch::zeros({h, static_cast<int64_t>(prev.size())});
    auto m = mask.accessor<float, 2>();
    for (int64_t k = 0; k < h; ++k) {
      for (size_t j = 0; j < prev.size(); ++j) m[k][j] = cur[k] >= prev[j] ? 1.0F : 0.0F;
    }
    layers_.push_back(register_module("layer" + std::to_string(l), MaskedLinear(mask)));
    prev = cur;
  }
  // Output unit q * D + i has the degree of input i and sees strictly lower hidden degrees.
  torch::Tensor mask = torch::zeros({p * d, static_cast<int64_t>(prev.size())});
  auto m = mask.accessor<float, 2>();
  for (int64_t q = 0; q < p; ++q) {
    for (int64_t i = 0; i < d; ++i) {
      for (size_t j = 0; j < prev.size(); ++j) m[q * d + i][j] = deg[i] > prev[j] ? 1.0F : 0.0F;
    }
  }
  layers_.push_back(register_module("output", MaskedLinear(mask)));
}

torch::Tensor MADEImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
  check_input(x, options_.features(), "MADE");
  const torch::Tensor c = checked_context(context, options_.context(), x.size(0), "MADE");
  torch::Tensor h = c.defined() ? torch::cat({x, c}, 1) : x;
  for (size_t l = 0; l + 1 < layers_.size(); ++l) h = torch::tanh(layers_[l](h));
  h = layers_.back()(h);
  return h.view({x.size(0), options_.outputs_per_feature(), options_.features()})
      .permute({0, 2, 1});
}

// ---------------------------------------------------------------------------------------------
MAFImpl::MAFImpl(MAFOptions options) : options_(std::move(options)) {
  if (options_.layers() <= 0) throw std::invalid_argument("MAF: layers must be > 0");
  for (int64_t l = 0; l < options_.layers(); ++l) {
    mades_.push_back(
        register_module("made" + std::to_string(l), MADE(MADEOptions(options_.features(), 2)
                                                             .hidden(options_.hidden())
                                                             .context(options_.context()))));
  }
}

std::tuple<torch::Tensor, torch::Tensor> MAFImpl::forward(const torch::Tensor& x_in,
                                                          const torch::Tensor& context) {
  check_input(x_in, options_.features(), "MAF");
  const torch::Tensor c = checked_context(context, options_.context(), x_in.size(0), "MAF");
  torch::Tensor x = x_in;
  torch::Tensor log_det = torch::zeros({x.size(0)}, x.options());
  for (auto& made : mades_) {
    const torch::Tensor p = made(x, c);
    const torch::Tensor mu = p.select(2, 0), alpha = p.select(2, 1);
    // Papamakarios et al. 2017, Eq. 5: u = (x - mu) exp(-alpha), log|det| = -sum alpha.
    x = ((x - mu) * torch::exp(-alpha)).flip(-1);
    log_det = log_det - alpha.sum(-1);
  }
  return {x, log_det};
}

std::tuple<torch::Tensor, torch::Tensor> MAFImpl::inverse(const torch::Tensor& u_in,
                                                          const torch::Tensor& context) {
  check_input(u_in, options_.features(), "MAF");
  const torch::Tensor c = checked_context(context, options_.context(), u_in.size(0), "MAF");
  torch::Tensor u = u_in;
  torch::Tensor log_det = torch::zeros({u.size(0)}, u.options());
  for (auto it = mades_.rbegin(); it != mades_.rend(); ++it) {
    u = u.flip(-1);
    torch::Tensor x = torch::zeros_like(u), alpha;
    // Papamakarios et al. 2017, Eq. 4: x_i = u_i exp(alpha_i) + mu_i, one dim per pass.
    for (int64_t i = 0; i < options_.features(); ++i) {
      const torch::Tensor p = (*it)(x, c);
      alpha = p.select(2, 1);
      x = u * torch::exp(alpha) + p.select(2, 0);
    }
    log_det = log_det + alpha.sum(-1);
    u = x;
  }
  return {u, log_det};
}

torch::Tensor MAFImpl::log_prob(const torch::Tensor& x, const torch::Tensor& context) {
  auto [u, log_det] = forward(x, context);
  return std_normal_log_prob(u) + log_det;
}

torch::Tensor MAFImpl::sample(int64_t n, const torch::Tensor& context) {
  if (n <= 0) throw std::invalid_argument("MAF: n must be > 0");
  const torch::Tensor u = torch::randn({n, options_.features()}, parameters().front().options());
  return std::get<0>(inverse(u, context));
}

// ---------------------------------------------------------------------------------------------
std::tuple<torch::Tensor, torch::Tensor> rational_quadratic_spline(
    const torch::Tensor& x, const torch::Tensor& raw_widths, const torch::Tensor& raw_heights,
    const torch::Tensor& raw_derivatives, double bound, bool inverse, double min_bin_width,
    double min_bin_height, double min_derivative) {
  const int64_t k = raw_widths.size(-1);
  if (raw_heights.size(-1) != k || raw_derivatives.size(-1) != k - 1 || !(bound > 0.0) ||
      min_bin_width * static_cast<double>(k) >= 1.0 ||
      min_bin_height * static_cast<double>(k) >= 1.0) {
    throw std::invalid_argument("rational_quadratic_spline: inconsistent bins or bound");
  }
  auto [xs, widths] = bin_edges(raw_widths, bound, min_bin_width);
  auto [ys, heights] = bin_edges(raw_heights, bound, min_bin_height);
  // Boundary derivatives 1 match the identity tails (Durkan et al. 2019, Sec. 3.3).
  auto lead = raw_derivatives.sizes().vec();
  lead.back() = 1;
  const torch::Tensor one = torch::ones(lead, raw_derivatives.options());
  const torch::Tensor derivs =
      torch::cat({one, min_derivative + F::softplus(raw_derivatives), one}, -1);

  const torch::Tensor inside = (x >= -bound) & (x <= bound);
  const torch::Tensor xc = torch::clamp(x, -bound, bound);
  const torch::Tensor& edges = inverse ? ys : xs;
  const torch::Tensor idx = (xc.unsqueeze(-1) >= edges.index({"...", Slice(1, k)})).sum(-1);
  const torch::Tensor x_k = gather_last(xs, idx), w_k = gather_last(widths, idx);
  const torch::Tensor y_k = gather_last(ys, idx), h_k = gather_last(heights, idx);
  const torch::Tensor d_k = gather_last(derivs, idx);
  const torch::Tensor d_k1 = gather_last(derivs.index({"...", Slice(1, None)}), idx);
  const torch::Tensor s = h_k / w_k;
  const torch::Tensor curv = d_k1 + d_k - 2.0 * s;

  torch::Tensor theta, out;
  if (!inverse) {
    theta = (xc - x_k) / w_k;
    const torch::Tensor t1m = theta * (1.0 - theta);
    // Durkan et al. 2019, Eq. 4.
    out = y_k + h_k * (s * theta.pow(2) + d_k * t1m) / (s + curv * t1m);
  } else {
    // Durkan et al. 2019, Eq. 6-8 (root of the quadratic in theta, stable form).
    const torch::Tensor dy = xc - y_k;
    const torch::Tensor a = h_k * (s - d_k) + dy * curv;
    const torch::Tensor b = h_k * d_k - dy * curv;
    const torch::Tensor c = -s * dy;
    const torch::Tensor disc = torch::clamp_min(b.pow(2) - 4.0 * a * c, 0.0);
    theta = 2.0 * c / (-b - torch::sqrt(disc));
    out = x_k + theta * w_k;
  }
  const torch::Tensor t1m = theta * (1.0 - theta);
  // Durkan et al. 2019, Eq. 5: dy/dx.
  const torch::Tensor log_deriv =
      torch::log(s.pow(2) * (d_k1 * theta.pow(2) + 2.0 * s * t1m + d_k * (1.0 - theta).pow(2))) -
      2.0 * torch::log(s + curv * t1m);
  const torch::Tensor lad = inverse ? -log_deriv : log_deriv;
  return {torch::where(inside, out, x), torch::where(inside, lad, torch::zeros_like(lad))};
}

// ---------------------------------------------------------------------------------------------
SplineFlowImpl::SplineFlowImpl(SplineFlowOptions options) : options_(std::move(options)) {
  const int64_t d = options_.features(), k = options_.bins();
  if (d <= 0 || options_.layers() <= 0 || k < 2 || !(options_.bound() > 0.0)) {
    throw std::invalid_argument("SplineFlow: need features > 0, layers > 0, bins >= 2, bound > 0");
  }
  std::vector<int64_t> degrees;
  std::vector<bool> changed(static_cast<size_t>(d), true);
  if (options_.coupling()) {
    for (int64_t i = 0; i < d; ++i) {
      degrees.push_back(i < d / 2 ? 1 : 2);
      changed[static_cast<size_t>(i)] = i >= d / 2;
    }
  }
  torch::Tensor mask = torch::zeros({d}, torch::kBool);
  for (int64_t i = 0; i < d; ++i) mask[i] = static_cast<bool>(changed[static_cast<size_t>(i)]);
  transformed_ = mask;
  for (int64_t l = 0; l < options_.layers(); ++l) {
    conditioners_.push_back(
        register_module("conditioner" + std::to_string(l), MADE(MADEOptions(d, 3 * k - 1)
                                                                    .hidden(options_.hidden())
                                                                    .context(options_.context())
                                                                    .degrees(degrees))));
  }
}

std::tuple<torch::Tensor, torch::Tensor> SplineFlowImpl::layer(int64_t l,
                                                               const torch::Tensor& params_input,
                                                               const torch::Tensor& x,
                                                               const torch::Tensor& context,
                                                               bool inverse) {
  const int64_t k = options_.bins();
  const torch::Tensor p = conditioners_[static_cast<size_t>(l)](params_input, context);
  auto [y, lad] =
      rational_quadratic_spline(x, p.index({"...", Slice(0, k)}), p.index({"...", Slice(k, 2 * k)}),
                                p.index({"...", Slice(2 * k, None)}), options_.bound(), inverse);
  const torch::Tensor changed = transformed_.to(x.device());
  return {torch::where(changed, y, x), torch::where(changed, lad, torch::zeros_like(lad)).sum(-1)};
}

std::tuple<torch::Tensor, torch::Tensor> SplineFlowImpl::forward(const torch::Tensor& x_in,
                                                                 const torch::Tensor& context) {
  check_input(x_in, options_.features(), "SplineFlow");
  const torch::Tensor c = checked_context(context, options_.context(), x_in.size(0), "SplineFlow");
  torch::Tensor x = x_in;
  torch::Tensor log_det = torch::zeros({x.size(0)}, x.options());
  for (int64_t l = 0; l < options_.layers(); ++l) {
    auto [u, lad] = layer(l, x, x, c, /*inverse=*/false);
    x = u.flip(-1);
    log_det = log_det + lad;
  }
  return {x, log_det};
}

std::tuple<torch::Tensor, torch::Tensor> SplineFlowImpl::inverse(const torch::Tensor& u_in,
                                                                 const torch::Tensor& context) {
  check_input(u_in, options_.features(), "SplineFlow");
  const torch::Tensor c = checked_context(context, options_.context(), u_in.size(0), "SplineFlow");
  torch::Tensor u = u_in;
  torch::Tensor log_det = torch::zeros({u.size(0)}, u.options());
  for (int64_t l = options_.layers() - 1; l >= 0; --l) {
    u = u.flip(-1);
    // Coupling: the conditioning features are unchanged, one pass. Autoregressive: feature i is
    // exact after pass i + 1 (D passes).
    torch::Tensor x = options_.coupling() ? u : torch::zeros_like(u), lad;
    const int64_t passes = options_.coupling() ? 1 : options_.features();
    for (int64_t i = 0; i < passes; ++i) std::tie(x, lad) = layer(l, x, u, c, /*inverse=*/true);
    log_det = log_det + lad;
    u = x;
  }
  return {u, log_det};
}

torch::Tensor SplineFlowImpl::log_prob(const torch::Tensor& x, const torch::Tensor& context) {
  auto [u, log_det] = forward(x, context);
  return std_normal_log_prob(u) + log_det;
}

torch::Tensor SplineFlowImpl::sample(int64_t n, const torch::Tensor& context) {
  if (n <= 0) throw std::invalid_argument("SplineFlow: n must be > 0");
  const torch::Tensor u = torch::randn({n, options_.features()}, parameters().front().options());
  return std::get<0>(inverse(u, context));
}

}  // namespace cosmograd::nn
