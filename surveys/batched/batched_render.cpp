// Batched, differentiable Sersic rendering and PSF convolution (see batched_render.hpp).
#include "surveys/batched/batched_render.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cosmograd::surveys {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Side of the block of pixels around each centre that is resampled finer (the cusp) [pixels].
constexpr int kCore = 4;
/// How many times finer than `oversample` the core block is sampled per axis.
constexpr int kCoreFactor = 4;
/// Width of the anti-aliased truncation edge [sub-pixels of 1 / oversample pixels].
constexpr double kRamp = 1.0;
/// Samples per pass on the CPU (a cache-sized chunk of profiles) and on other devices.
constexpr std::int64_t kCpuChunk = std::int64_t{1} << 17, kDeviceChunk = std::int64_t{1} << 26;

[[noreturn]] void invalid(const std::string& field, const std::string& value,
                          const std::string& allowed) {
  throw std::invalid_argument(field + " = " + value + " is invalid: allowed " + allowed);
}

std::string str(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

/// sersic_k(n_i + shift, truncation) for every element of n (evaluated on the host, each
/// distinct n once), as a tensor like n.
torch::Tensor sersic_k_of(const torch::Tensor& n, double truncation, double shift) {
  const torch::Tensor host = n.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  torch::Tensor k = torch::empty_like(host);
  const double* in = host.data_ptr<double>();
  double* out = k.data_ptr<double>();
  std::map<double, double> cache;
  for (std::int64_t i = 0; i < host.numel(); ++i) {
    auto it = cache.find(in[i]);
    if (it == cache.end()) it = cache.emplace(in[i], sersic_k(in[i] + shift, truncation)).first;
    out[i] = it->second;
  }
  return k.to(n.options());
}

/// k(n) of the truncated Sersic profile, exactly the CPU reference's sersic_k (root of P(2n, k)
/// = P(2n, k t^(1/n)) / 2, Ciotti & Bertin 1999 when untruncated); the backward pass uses dk/dn
/// from the five-point central difference of sersic_k with step h = 1e-3 (truncation error
/// ~h^4 k^(5) / 30 and rounding ~1e-15 k / h: ~1e-11 relative for 0.3 <= n <= 6.2).
struct SersicKFunction : torch::autograd::Function<SersicKFunction> {
  static constexpr double kStep = 1e-3;
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& n, double truncation) {
    ctx->save_for_backward({n});
    ctx->saved_data["truncation"] = truncation;
    return sersic_k_of(n, truncation, 0);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const torch::Tensor n = ctx->get_saved_variables()[0];
    const double t = ctx->saved_data["truncation"].toDouble(), h = kStep;
    const torch::Tensor dk = (8 * (sersic_k_of(n, t, h) - sersic_k_of(n, t, -h)) -
                              sersic_k_of(n, t, 2 * h) + sersic_k_of(n, t, -2 * h)) /
                             (12 * h);
    return {grad[0] * dk, torch::Tensor()};
  }
};

/// Checks the batch's shapes, dtypes, devices and values; returns its (7, B) float64 CPU copy
/// in the order flux, half_light_radius, n, e1, e2, x0, y0.
torch::Tensor check_batch(const SersicBatch& b) {
  const std::vector<std::pair<const char*, const torch::Tensor*>> fields = {
      {"flux", &b.flux}, {"half_light_radius", &b.half_light_radius},
      {"n", &b.n},       {"e1", &b.e1},
      {"e2", &b.e2},     {"x0", &b.x0},
      {"y0", &b.y0}};
  std::vector<torch::Tensor> host;
  for (const auto& [name, t] : fields) {
    const std::string field = std::string("SersicBatch.") + name;
    if (!t->defined()) invalid(field, "undefined", "a (B,) tensor");
    if (!t->is_floating_point())
      invalid(field + " dtype", std::string(c10::toString(t->scalar_type())), "a floating dtype");
    if (b.flux.dim() != 1 || t->dim() != 1 || t->size(0) != b.flux.size(0))
      invalid(field + " shape", shape_of(*t), "(B,) like SersicBatch.flux " + shape_of(b.flux));
    if (t->scalar_type() != b.flux.scalar_type() || t->device() != b.flux.device())
      invalid(field + " dtype/device", std::string(c10::toString(t->scalar_type())),
              "SersicBatch.flux's dtype and device");
    host.push_back(t->detach().to(torch::kCPU, torch::kFloat64));
  }
  const torch::Tensor p = torch::stack(host).contiguous();
  const auto a = p.accessor<double, 2>();
  for (std::int64_t i = 0; i < p.size(1); ++i) {
    const auto field = [i](const char* name) {
      return std::string("SersicBatch.") + name + "[" + std::to_string(i) + "]";
    };
    for (int j : {0, 5, 6}) {
      if (!std::isfinite(a[j][i])) invalid(field(fields[j].first), str(a[j][i]), "a finite value");
    }
    if (!(a[1][i] > 0) || !std::isfinite(a[1][i]))
      invalid(field("half_light_radius"), str(a[1][i]), "a finite value > 0 [pixels]");
    if (!(a[2][i] >= 0.3 && a[2][i] <= 6.2)) invalid(field("n"), str(a[2][i]), "0.3 <= n <= 6.2");
    const double e = std::hypot(a[3][i], a[4][i]);
    if (!(e < 1)) invalid(field("e1, e2") + " |e|", str(e), "|e| = hypot(e1, e2) < 1");
  }
  return p;
}

/// Where a batch is sampled: the canvas [x_lo, x_lo + nx) x [y_lo, y_lo + ny) [pixels] is the
/// stamp grown to hold the support and the core block of every profile that reaches the stamp;
/// core (2, B) holds each core block's lower-left pixel (x, y) relative to the canvas (clamped
/// into it) and core_inside (B,) whether it lies in the canvas unclamped.
struct Canvas {
  std::int64_t x_lo = 0, y_lo = 0, nx = 0, ny = 0;
  torch::Tensor core, core_inside;
};

/// The lower-left pixel of the kCore x kCore block nearest the centre c [pixels].
double core_origin(double c) { return std::floor(c + 0.5 - kCore / 2.0); }

/// The canvas for profiles p (check_batch's layout) whose support ends at circularised radius
/// truncation R_e + ramp / 2 [pixels]; profiles that do not reach the stamp render as zeros
/// whatever their normalisation, so they do not grow it.
Canvas canvas_for(const torch::Tensor& p, int nx, int ny, double ramp, double truncation) {
  const auto a = p.accessor<double, 2>();
  double x_lo = 0, y_lo = 0, x_hi = std::max(nx, kCore), y_hi = std::max(ny, kCore);
  for (std::int64_t i = 0; i < p.size(1); ++i) {
    const double e1 = a[3][i], e2 = a[4][i], x0 = a[5][i], y0 = a[6][i];
    const double s = (truncation * a[1][i] + ramp / 2) / std::sqrt(1 - e1 * e1 - e2 * e2);
    const double hx = s * std::hypot(1 + e1, e2), hy = s * std::hypot(1 - e1, e2);
    if (x0 + hx <= 0 || x0 - hx >= nx || y0 + hy <= 0 || y0 - hy >= ny) continue;
    x_lo = std::min({x_lo, std::floor(x0 - hx), core_origin(x0)});
    x_hi = std::max({x_hi, std::ceil(x0 + hx), core_origin(x0) + kCore});
    y_lo = std::min({y_lo, std::floor(y0 - hy), core_origin(y0)});
    y_hi = std::max({y_hi, std::ceil(y0 + hy), core_origin(y0) + kCore});
  }
  const auto i64 = [](double v) { return static_cast<std::int64_t>(v); };
  Canvas c{i64(x_lo),
           i64(y_lo),
           i64(x_hi - x_lo),
           i64(y_hi - y_lo),
           torch::empty({2, p.size(1)}, torch::kInt64),
           torch::empty({p.size(1)}, torch::kBool)};
  auto core = c.core.accessor<std::int64_t, 2>();
  auto inside = c.core_inside.accessor<bool, 1>();
  const double x_max = static_cast<double>(c.nx - kCore), y_max = static_cast<double>(c.ny - kCore);
  for (std::int64_t i = 0; i < p.size(1); ++i) {
    const double x = core_origin(a[5][i]) - x_lo, y = core_origin(a[6][i]) - y_lo;
    core[0][i] = i64(std::clamp(x, 0.0, x_max));
    core[1][i] = i64(std::clamp(y, 0.0, y_max));
    inside[i] = x >= 0 && x <= x_max && y >= 0 && y <= y_max;
  }
  return c;
}

/// Per-profile constants of a batch (each (B, 1, 1)) and the profile's value at sample points.
struct Terms {
  torch::Tensor x0, y0;             ///< centre [pixels]
  torch::Tensor cxx, cxy, cyy;      ///< r^2 = cxx dx^2 + cxy dx dy + cyy dy^2 [pixel^2]
  torch::Tensor log_k, half_inv_n;  ///< log(k / R_e^(1/n)) and 1 / (2 n)
  torch::Tensor w0, w_slope;  ///< anti-aliasing weight z^2 (3 - 2 z), z = clamp(w0 - w_slope r^2)

  /// The batch's terms for a truncation [R_e] and an anti-aliasing ramp width [pixels].
  Terms(const SersicBatch& b, double truncation, double ramp) {
    const auto col = [](const torch::Tensor& t) { return t.view({-1, 1, 1}); };
    x0 = col(b.x0);
    y0 = col(b.y0);
    // S^-2 for the shear S = [[1 + e1, e2], [e2, 1 - e1]] / sqrt(1 - |e|^2) (sersic.hpp).
    const torch::Tensor e1 = col(b.e1), e2 = col(b.e2), g2 = e1 * e1 + e2 * e2, f = 1 / (1 - g2);
    cxx = (1 + g2 - 2 * e1) * f;
    cxy = -4 * e2 * f;
    cyy = (1 + g2 + 2 * e1) * f;
    half_inv_n = 0.5 / col(b.n);
    const torch::Tensor re = col(b.half_light_radius);
    log_k =
        torch::log(col(SersicKFunction::apply(b.n, truncation))) - 2 * half_inv_n * torch::log(re);
    // z falls linearly in r^2 from 1 at R_t^2 - R_t ramp to 0 at R_t^2 + R_t ramp (R_t =
    // truncation R_e), to first order linearly in r over [R_t - ramp / 2, R_t + ramp / 2]; the
    // smoothstep z^2 (3 - 2 z) makes the weight C1 (finite differences then see no kinks).
    const torch::Tensor r_trunc = truncation * re;
    w_slope = 0.5 / (ramp * r_trunc);
    w0 = 0.5 + r_trunc / (2 * ramp);
  }

  /// The terms of profiles [begin, begin + count).
  Terms narrow(std::int64_t begin, std::int64_t count) const {
    Terms t = *this;
    for (torch::Tensor* x :
         {&t.x0, &t.y0, &t.cxx, &t.cxy, &t.cyy, &t.log_k, &t.half_inv_n, &t.w0, &t.w_slope})
      *x = x->narrow(0, begin, count);
    return t;
  }

  /// I / I0 = exp(-k (r / R_e)^(1/n)) (Graham & Driver 2005, eq. 1) times the anti-aliasing
  /// weight at x (1 or B, 1, m) and y (1 or B, l, 1) [pixels]: (B, l, m). r = 0 goes through
  /// where() so that neither the value nor the gradient sees log(0).
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& y) const {
    const torch::Tensor dx = x - x0, dy = y - y0;
    const torch::Tensor r2 = torch::addcmul(cxx * dx * dx, cxy * dx, dy) + cyy * dy * dy;
    const torch::Tensor positive = r2 > 0;
    const torch::Tensor log_r2 = torch::log(torch::where(positive, r2, 1.0));
    const torch::Tensor ks =
        torch::where(positive, torch::exp(torch::addcmul(log_k, log_r2, half_inv_n)), 0.0);
    const torch::Tensor z = torch::clamp(torch::addcmul(w0, r2, w_slope, -1), 0, 1);
    return torch::exp(-ks) * (z * z * (3 - 2 * z));
  }
};

}  // namespace

torch::Tensor render_sersic_batch(const SersicBatch& batch, int nx, int ny, int oversample,
                                  double truncation) {
  if (nx < 1) invalid("render_sersic_batch nx", str(nx), "nx >= 1 [pixels]");
  if (ny < 1) invalid("render_sersic_batch ny", str(ny), "ny >= 1 [pixels]");
  if (oversample < 1) invalid("render_sersic_batch oversample", str(oversample), ">= 1");
  if (!(truncation >= 1.5) || !std::isfinite(truncation))
    invalid("render_sersic_batch truncation", str(truncation), "a finite value >= 1.5 [R_e]");
  const torch::Tensor host = check_batch(batch);
  const std::int64_t b = host.size(1), os = oversample, fine = kCoreFactor * os;
  const auto opts = batch.flux.options();
  if (b == 0) return torch::zeros({0, ny, nx}, opts);
  const double ramp = kRamp / oversample;
  const Canvas c = canvas_for(host, nx, ny, ramp, truncation);
  const Terms terms(batch, truncation, ramp);

  // Sample coordinates [pixels]: a canvas row, and the core block's offsets from its corner.
  const torch::Tensor xs = ((torch::arange(c.nx * os, opts) + 0.5) / os + c.x_lo).view({1, 1, -1});
  const torch::Tensor u = (torch::arange(kCore * fine, opts) + 0.5) / fine;
  const torch::Tensor core_x = c.core[0].to(opts).view({-1, 1, 1}) + static_cast<double>(c.x_lo);
  const torch::Tensor core_y = c.core[1].to(opts).view({-1, 1, 1}) + static_cast<double>(c.y_lo);
  const torch::Tensor pix = torch::arange(kCore, torch::kInt64);
  const torch::Tensor core_index = ((c.core[1].view({-1, 1, 1}) + pix.view({1, -1, 1})) * c.nx +
                                    c.core[0].view({-1, 1, 1}) + pix.view({1, 1, -1}))
                                       .view({b, -1})
                                       .to(opts.device());
  const torch::Tensor core_inside = c.core_inside.to(opts.device()).view({-1, 1});

  // Profiles in chunks (cache-sized on the CPU), each one sub-row of samples per pass.
  const std::int64_t target = opts.device().is_cpu() ? kCpuChunk : kDeviceChunk;
  const std::int64_t chunk = std::clamp<std::int64_t>(target / (c.ny * c.nx * os), 1, b);
  std::vector<torch::Tensor> sums;
  for (std::int64_t b0 = 0; b0 < b; b0 += chunk) {
    const std::int64_t nb = std::min(chunk, b - b0);
    const Terms t = terms.narrow(b0, nb);
    // The sum of the oversample^2 samples in each canvas pixel.
    torch::Tensor sum = torch::zeros({nb, c.ny, c.nx}, opts);
    for (std::int64_t jy = 0; jy < os; ++jy) {
      const torch::Tensor ys = torch::arange(c.ny, opts) + (c.y_lo + (jy + 0.5) / os);
      sum += t(xs, ys.view({1, -1, 1})).view({nb, c.ny, c.nx, os}).sum(-1);
    }
    // The cusp: the kCore x kCore pixels nearest each centre are sampled kCoreFactor times
    // finer per axis, and their sums (scaled to oversample^2 samples) replace the coarse ones.
    const torch::Tensor core = t(u.view({1, 1, -1}) + core_x.narrow(0, b0, nb),
                                 u.view({1, -1, 1}) + core_y.narrow(0, b0, nb))
                                   .view({nb, kCore, fine, kCore, fine})
                                   .sum({2, 4})
                                   .reshape({nb, -1}) /
                               (kCoreFactor * kCoreFactor);
    const torch::Tensor flat = sum.view({nb, -1}), index = core_index.narrow(0, b0, nb);
    sums.push_back(flat.scatter(
        1, index, torch::where(core_inside.narrow(0, b0, nb), core, flat.gather(1, index))));
  }
  // Normalised by the sum over the canvas, which holds every sample of the profile's support.
  const torch::Tensor sum = torch::cat(sums).view({b, c.ny, c.nx});
  // A profile with no sample on the canvas does not reach the stamp; where() keeps its zero
  // image and gradient finite.
  const torch::Tensor total = sum.sum({1, 2});
  return sum.narrow(1, -c.y_lo, ny).narrow(2, -c.x_lo, nx) *
         (batch.flux / torch::where(total > 0, total, 1.0)).view({-1, 1, 1});
}

torch::Tensor convolve_psf_batch(const torch::Tensor& images, const torch::Tensor& psf) {
  if (!images.defined() || images.dim() != 3 || !images.is_floating_point())
    invalid("convolve_psf_batch images shape",
            images.defined() ? shape_of(images) : std::string("undefined"),
            "a floating (B, ny, nx) tensor");
  if (!psf.defined() || (psf.dim() != 2 && !(psf.dim() == 3 && psf.size(0) == images.size(0))))
    invalid("convolve_psf_batch psf shape", psf.defined() ? shape_of(psf) : "undefined",
            "an (h, w) tensor or one (B, h, w) PSF per image");
  if (psf.size(-2) % 2 == 0 || psf.size(-1) % 2 == 0)
    invalid("convolve_psf_batch psf shape", shape_of(psf), "odd sizes h and w [pixels]");
  if (psf.scalar_type() != images.scalar_type() || psf.device() != images.device())
    invalid("convolve_psf_batch psf dtype/device", std::string(c10::toString(psf.scalar_type())),
            "the images' dtype and device");
  const std::int64_t ny = images.size(1), nx = images.size(2);
  const std::int64_t h = psf.size(-2), w = psf.size(-1);
  const std::vector<std::int64_t> padded = {ny + h - 1, nx + w - 1};  // no wrap-around
  const torch::Tensor spectrum = torch::fft::rfft2(images, padded) * torch::fft::rfft2(psf, padded);
  return torch::fft::irfft2(spectrum, padded).narrow(1, h / 2, ny).narrow(2, w / 2, nx);
}

torch::Tensor image_to_tensor(const Image& image) {
  if (image.nx < 1 || image.ny < 1 ||
      image.values.size() != static_cast<std::size_t>(image.nx) * image.ny)
    invalid("image_to_tensor Image values", str(static_cast<double>(image.values.size())),
            "nx * ny values with nx, ny >= 1");
  return torch::tensor(image.values, torch::kFloat64).view({image.ny, image.nx});
}

Image tensor_to_image(const torch::Tensor& tensor) {
  if (!tensor.defined() || tensor.dim() != 2 || !tensor.is_floating_point() || tensor.size(0) < 1 ||
      tensor.size(1) < 1)
    invalid("tensor_to_image tensor shape",
            tensor.defined() ? shape_of(tensor) : std::string("undefined"),
            "a floating (ny, nx) tensor with nx, ny >= 1");
  const torch::Tensor host = tensor.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  Image image = Image::zeros(static_cast<int>(host.size(1)), static_cast<int>(host.size(0)));
  std::copy(host.data_ptr<double>(), host.data_ptr<double>() + host.numel(), image.values.begin());
  return image;
}

}  // namespace cosmograd::surveys
