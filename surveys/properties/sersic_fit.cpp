// Batched Levenberg-Marquardt Sersic fits (see sersic_fit.hpp).
#include "surveys/properties/sersic_fit.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/batched/batched_render.hpp"

namespace cosmograd::surveys {
namespace {

/// Internal parameters: ln flux, x0, y0, ln R_e, n, e1, e2.
constexpr int64_t kParams = 7;
/// Forward-difference steps of the internal parameters 1..6 (ln flux is analytic).
constexpr double kStep[kParams] = {0, 1e-5, 1e-5, 1e-6, 1e-6, 1e-6, 1e-6};

/// One chunk's fixed inputs and bounds.
struct Problem {
  torch::Tensor data;    // [b, S, S]
  torch::Tensor psfs;    // [b, P, P]
  torch::Tensor sigma;   // [b, 1]
  torch::Tensor lo, hi;  // [7]
  int size = 0;
  const SersicFitOptions* o = nullptr;
};

/// Clamps to the box and scales |e| down to max_ellipticity.
torch::Tensor project(const torch::Tensor& theta, const Problem& p) {
  torch::Tensor t = torch::max(torch::min(theta, p.hi), p.lo);
  const torch::Tensor e = torch::hypot(t.select(1, 5), t.select(1, 6));
  const torch::Tensor scale = (p.o->max_ellipticity / e.clamp_min(1e-300)).clamp_max(1.0);
  t.select(1, 5).mul_(scale);
  t.select(1, 6).mul_(scale);
  return t;
}

/// PSF-convolved model images [n, S, S] of theta [n, 7] with the PSFs `psfs` [n, P, P].
torch::Tensor model(const torch::Tensor& theta, const torch::Tensor& psfs, const Problem& p) {
  const SersicBatch b{theta.select(1, 0).exp(), theta.select(1, 3).exp(), theta.select(1, 4),
                      theta.select(1, 5),       theta.select(1, 6),       theta.select(1, 1),
                      theta.select(1, 2)};
  return convolve_psf_batch(
      render_sersic_batch(b, p.size, p.size, p.o->oversample, p.o->truncation), psfs);
}

/// Residuals (model - data) / sigma [n, M] of the rows `idx`.
torch::Tensor residuals(const torch::Tensor& theta, const torch::Tensor& idx, const Problem& p) {
  const int64_t n = theta.size(0);
  const torch::Tensor m = model(theta, p.psfs.index_select(0, idx), p);
  return ((m - p.data.index_select(0, idx)) / p.sigma.index_select(0, idx).view({n, 1, 1}))
      .reshape({n, -1});
}

/// The Jacobian d r / d theta [n, M, 7] at theta (residuals r0 [n, M], model/sigma = r0 + d).
torch::Tensor jacobian(const torch::Tensor& theta, const torch::Tensor& idx,
                       const torch::Tensor& r0, const Problem& p) {
  const int64_t n = theta.size(0);
  const torch::Tensor sig = p.sigma.index_select(0, idx).view({n, 1});
  const torch::Tensor m0 = r0 + p.data.index_select(0, idx).reshape({n, -1}) / sig;
  std::vector<torch::Tensor> shifted, steps;
  for (int64_t j = 1; j < kParams; ++j) {
    torch::Tensor h = torch::full({n}, kStep[j], theta.options());
    const torch::Tensor col = theta.select(1, j);
    if (j >= 5) {
      h = torch::where(col > 0, -h, h);  // towards e = 0: stays inside |e| <= max
    } else {
      h = torch::where(col + h > p.hi[j], -h, h);  // backwards at an upper bound
    }
    torch::Tensor t = theta.clone();
    t.select(1, j).add_(h);
    shifted.push_back(t);
    steps.push_back(h);
  }
  const torch::Tensor psf = p.psfs.index_select(0, idx).repeat({kParams - 1, 1, 1});
  const torch::Tensor m = model(torch::cat(shifted, 0), psf, p).reshape({kParams - 1, n, -1});
  std::vector<torch::Tensor> cols = {m0};  // d(model)/d ln F = model
  for (int64_t j = 0; j + 1 < kParams; ++j)
    cols.push_back((m[j] / sig - m0) / steps[static_cast<std::size_t>(j)].view({n, 1}));
  return torch::stack(cols, 2);
}

/// Fits the stamps [c0, c0 + b) of the inputs into out.
void fit_chunk(const torch::Tensor& images, const torch::Tensor& psfs, const torch::Tensor& sigma,
               const std::vector<double>& psf_sigma2, int64_t c0, int64_t b,
               const SersicFitOptions& o, std::vector<SersicFit>& out) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int size = static_cast<int>(images.size(1));
  Problem p;
  p.data = images.narrow(0, c0, b);
  p.psfs = psfs.narrow(0, c0, b);
  p.sigma = sigma.narrow(0, c0, b);
  p.size = size;
  p.o = &o;
  const double re_max = o.re_max > 0 ? o.re_max : size / 3.0;
  p.lo = torch::tensor(
      {-30.0, 0.0, 0.0, std::log(o.re_min), o.n_min, -o.max_ellipticity, -o.max_ellipticity}, f64);
  p.hi = torch::tensor({40.0, double(size), double(size), std::log(re_max), o.n_max,
                        o.max_ellipticity, o.max_ellipticity},
                       f64);

  // Starts from moments.
  torch::Tensor theta = torch::empty({b, kParams}, f64);
  {
    const torch::Tensor d = p.data.contiguous();
    for (int64_t k = 0; k < b; ++k) {
      const SersicFit s =
          sersic_moment_start(d[k].data_ptr<double>(), size, p.sigma[k].item<double>(),
                              psf_sigma2[static_cast<std::size_t>(c0 + k)]);
      const double v[kParams] = {std::log(s.flux), s.x0, s.y0, std::log(s.re), s.n, s.e1, s.e2};
      for (int64_t j = 0; j < kParams; ++j) theta[k][j] = v[j];
    }
  }
  theta = project(theta, p);

  const int64_t m_pix = static_cast<int64_t>(size) * size;
  torch::Tensor jac = torch::zeros({b, m_pix, kParams}, f64), res = torch::zeros({b, m_pix}, f64);
  torch::Tensor chi2 = torch::zeros({b}, f64), lambda = torch::full({b}, 1e-3, f64);
  torch::Tensor dmax = torch::zeros({b, kParams}, f64);
  std::vector<char> active(static_cast<std::size_t>(b), 1), need(static_cast<std::size_t>(b), 1),
      converged(static_cast<std::size_t>(b), 0);
  std::vector<int> iters(static_cast<std::size_t>(b), 0);
  torch::NoGradGuard no_grad;

  // Recomputes residuals and Jacobians of the rows with need set among `rows`.
  const auto refresh = [&](const std::vector<int64_t>& rows) {
    std::vector<int64_t> todo;
    for (int64_t k : rows)
      if (need[static_cast<std::size_t>(k)]) todo.push_back(k);
    if (todo.empty()) return;
    const torch::Tensor idx = torch::tensor(todo, torch::kLong);
    const torch::Tensor th = theta.index_select(0, idx);
    const torch::Tensor r = residuals(th, idx, p);
    res.index_copy_(0, idx, r);
    jac.index_copy_(0, idx, jacobian(th, idx, r, p));
    chi2.index_copy_(0, idx, r.square().sum(1));
    for (int64_t k : todo) need[static_cast<std::size_t>(k)] = 0;
  };

  for (int it = 0; it < o.max_iterations; ++it) {
    std::vector<int64_t> rows;
    for (int64_t k = 0; k < b; ++k)
      if (active[static_cast<std::size_t>(k)]) rows.push_back(k);
    if (rows.empty()) break;
    refresh(rows);
    const torch::Tensor idx = torch::tensor(rows, torch::kLong);
    const int64_t na = idx.size(0);
    const torch::Tensor j = jac.index_select(0, idx), r = res.index_select(0, idx);
    const torch::Tensor th = theta.index_select(0, idx);
    const torch::Tensor a = j.transpose(1, 2).matmul(j);                    // J^T J
    torch::Tensor g = j.transpose(1, 2).matmul(r.unsqueeze(2)).squeeze(2);  // J^T r
    // Moré (1978) scaling: the running maximum of the column norms squared.
    const torch::Tensor dm = torch::max(dmax.index_select(0, idx), a.diagonal(0, 1, 2));
    dmax.index_copy_(0, idx, dm);
    // Parameters at a bound whose descent direction points outwards are held fixed.
    const torch::Tensor span = (p.hi - p.lo).clamp_max(1e6);
    const torch::Tensor fixed =
        ((th <= p.lo + 1e-12 * span) & (g > 0)) | ((th >= p.hi - 1e-12 * span) & (g < 0));
    const torch::Tensor lam = lambda.index_select(0, idx).view({na, 1});
    const torch::Tensor free = (~fixed).to(torch::kFloat64);
    torch::Tensor damped = a + torch::diag_embed(lam * dm.clamp_min(1e-30));
    damped = damped * free.unsqueeze(2) * free.unsqueeze(1) +
             torch::diag_embed(fixed.to(torch::kFloat64));
    g = g * free;
    const torch::Tensor delta = torch::linalg_solve(damped, -g.unsqueeze(2)).squeeze(2);
    const torch::Tensor trial = project(th + delta, p);
    const torch::Tensor r_trial = residuals(trial, idx, p);
    const torch::Tensor chi2_trial = r_trial.square().sum(1);
    const torch::Tensor moved = (trial - th).abs().amax(1);
    const torch::Tensor chi2_now = chi2.index_select(0, idx);
    const auto* ct = chi2_trial.data_ptr<double>();
    const auto* cn = chi2_now.contiguous().data_ptr<double>();
    const auto* mv = moved.data_ptr<double>();
    for (int64_t q = 0; q < na; ++q) {
      const int64_t k = rows[static_cast<std::size_t>(q)];
      const auto ks = static_cast<std::size_t>(k);
      ++iters[ks];
      double& l = lambda.data_ptr<double>()[k];
      if (std::isfinite(ct[q]) && ct[q] < cn[q]) {
        theta[k].copy_(trial[q]);
        need[ks] = 1;
        const bool small = (cn[q] - ct[q] <= o.ftol * cn[q]) || mv[q] <= o.xtol;
        if (small && l < 1) {
          converged[ks] = 1;
          active[ks] = 0;
        }
        l = std::max(l * 0.3, 1e-10);
      } else {
        l *= 10;
        if (l > 1e16 || mv[q] <= o.xtol * 1e-3) {
          converged[ks] = 1;
          active[ks] = 0;
        }
      }
    }
  }

  // Errors from (J^T J)^-1 at the best fit (Jacobian recomputed where theta moved).
  std::vector<int64_t> all(static_cast<std::size_t>(b));
  for (int64_t k = 0; k < b; ++k) all[static_cast<std::size_t>(k)] = k;
  refresh(all);
  const torch::Tensor a = jac.transpose(1, 2).matmul(jac);
  const torch::Tensor scale = a.diagonal(0, 1, 2).clamp_min(1e-300).sqrt();
  const torch::Tensor norm = a / (scale.unsqueeze(2) * scale.unsqueeze(1));
  const torch::Tensor cov = torch::linalg_pinv(norm) / (scale.unsqueeze(2) * scale.unsqueeze(1));
  const torch::Tensor th = theta.contiguous(), cv = cov.contiguous();
  const double dof = std::max<double>(1, static_cast<double>(m_pix - kParams));
  for (int64_t k = 0; k < b; ++k) {
    const double* t = th[k].data_ptr<double>();
    const double* c = cv[k].data_ptr<double>();
    const auto var = [&](int i, int j) { return c[i * kParams + j]; };
    SersicFit f;
    f.flux = std::exp(t[0]);
    f.flux_err = f.flux * std::sqrt(std::max(0.0, var(0, 0)));
    f.x0 = t[1];
    f.y0 = t[2];
    f.re = std::exp(t[3]);
    f.re_err = f.re * std::sqrt(std::max(0.0, var(3, 3)));
    f.n = t[4];
    f.n_err = std::sqrt(std::max(0.0, var(4, 4)));
    f.e1 = t[5];
    f.e2 = t[6];
    f.e1_err = std::sqrt(std::max(0.0, var(5, 5)));
    f.e2_err = std::sqrt(std::max(0.0, var(6, 6)));
    set_axis_ratio_and_angle(f, var(5, 5), var(5, 6), var(6, 6));
    f.chi2_dof = chi2[k].item<double>() / dof;
    const auto ks = static_cast<std::size_t>(k);
    f.iterations = iters[ks];
    if (f.n <= o.n_min + 1e-3 || f.n >= o.n_max - 1e-3) f.flags |= kFitNAtBound;
    if (f.re <= o.re_min * 1.001 || f.re >= re_max * 0.999) f.flags |= kFitReAtBound;
    if (std::hypot(f.e1, f.e2) >= o.max_ellipticity - 1e-4) f.flags |= kFitQAtBound;
    if (!converged[ks]) f.flags |= kFitNotConverged;
    if (f.x0 <= 1e-6 || f.y0 <= 1e-6 || f.x0 >= size - 1e-6 || f.y0 >= size - 1e-6)
      f.flags |= kFitCentreAtBound;
    out[static_cast<std::size_t>(c0 + k)] = f;
  }
}

}  // namespace

void SersicFitOptions::validate() const {
  sim::require(max_iterations >= 1 && max_iterations <= 100000, "max_iterations", max_iterations,
               "in [1, 100000]");
  sim::require(oversample >= 1 && oversample <= 16, "oversample", oversample, "in [1, 16]");
  sim::require(truncation >= 1.5 && truncation <= 100, "truncation", truncation,
               "in [1.5, 100] [R_e]");
  sim::require(n_min >= 0.3 && n_min < n_max, "n_min", n_min,
               "in [0.3, n_max = " + std::to_string(n_max) + ")");
  sim::require(n_max <= 6.2, "n_max", n_max, "<= 6.2 (the renderer's)");
  sim::require(sim::positive(re_min), "re_min", re_min, "> 0 [pixels]");
  sim::require(re_max == 0 || re_max > re_min, "re_max", re_max,
               "0 (the stamp side) or > re_min [pixels]");
  sim::require(max_ellipticity > 0 && max_ellipticity < 0.99, "max_ellipticity", max_ellipticity,
               "in (0, 0.99)");
  sim::require(ftol >= 0 && ftol < 1, "ftol", ftol, "in [0, 1)");
  sim::require(xtol >= 0 && std::isfinite(xtol), "xtol", xtol, ">= 0");
  sim::require(chunk >= 1 && chunk <= 4096, "chunk", chunk, "in [1, 4096]");
}

SersicFit sersic_moment_start(const double* image, int size, double sigma, double psf_sigma2) {
  double total = 0, sw = 0, sx = 0, sy = 0;
  for (int iy = 0; iy < size; ++iy)
    for (int ix = 0; ix < size; ++ix) {
      const double v = image[static_cast<std::size_t>(iy) * size + ix];
      total += v;
      if (v > 2 * sigma) {
        sw += v;
        sx += v * (ix + 0.5);
        sy += v * (iy + 0.5);
      }
    }
  SersicFit s;
  s.n = 2;
  s.x0 = s.y0 = 0.5 * size;
  s.flux = std::max({total, sw, sigma});
  s.re = 2;
  if (!(sw > 0)) return s;
  s.x0 = sx / sw;
  s.y0 = sy / sw;
  double mxx = 0, myy = 0, mxy = 0;
  for (int iy = 0; iy < size; ++iy)
    for (int ix = 0; ix < size; ++ix) {
      const double v = image[static_cast<std::size_t>(iy) * size + ix];
      if (!(v > 2 * sigma)) continue;
      const double dx = ix + 0.5 - s.x0, dy = iy + 0.5 - s.y0;
      mxx += v * dx * dx;
      myy += v * dy * dy;
      mxy += v * dx * dy;
    }
  // PSF-corrected second moments (moments add under convolution), kept positive definite.
  const double a = std::max(mxx / sw - psf_sigma2, 0.25), c = std::max(myy / sw - psf_sigma2, 0.25);
  double bxy = mxy / sw;
  bxy = std::clamp(bxy, -0.9 * std::sqrt(a * c), 0.9 * std::sqrt(a * c));
  const double det = a * c - bxy * bxy;
  // A Gaussian's half-light radius is 1.1774 sigma; thresholded moments miss the wings.
  s.re = std::clamp(1.1774 * std::pow(det, 0.25), 0.5, 0.25 * size);
  const double chi1 = (a - c) / (a + c), chi2 = 2 * bxy / (a + c);
  const double chi = std::hypot(chi1, chi2);
  // Distortion chi = (a^2 - b^2)/(a^2 + b^2) to ellipticity (a - b)/(a + b) (Bartelmann &
  // Schneider 2001, eq. 4.12): e = chi / (1 + sqrt(1 - chi^2)).
  const double f =
      chi > 0 ? std::min(1.0 / (1 + std::sqrt(std::max(0.0, 1 - chi * chi))), 0.7 / chi) : 0.0;
  s.e1 = chi1 * f;
  s.e2 = chi2 * f;
  return s;
}

void set_axis_ratio_and_angle(SersicFit& fit, double c11, double c12, double c22) {
  const double e1 = fit.e1, e2 = fit.e2, e = std::hypot(e1, e2);
  fit.q = (1 - e) / (1 + e);
  fit.pa = 0.5 * std::atan2(e2, e1);
  if (e < 1e-12) {
    fit.q_err = 2 * std::sqrt(std::max(0.0, 0.5 * (c11 + c22)));
    fit.pa_err = 0.5 * M_PI;
    return;
  }
  const double var_e = (e1 * e1 * c11 + 2 * e1 * e2 * c12 + e2 * e2 * c22) / (e * e);
  fit.q_err = 2 / ((1 + e) * (1 + e)) * std::sqrt(std::max(0.0, var_e));
  const double var_pa =
      0.25 * (e2 * e2 * c11 - 2 * e1 * e2 * c12 + e1 * e1 * c22) / (e * e * e * e);
  fit.pa_err = std::min(std::sqrt(std::max(0.0, var_pa)), 0.5 * M_PI);
}

std::vector<SersicFit> fit_sersic(const torch::Tensor& images, const torch::Tensor& psfs,
                                  const torch::Tensor& sigma, const SersicFitOptions& options) {
  options.validate();
  if (images.dim() != 3 || images.size(1) != images.size(2))
    throw std::invalid_argument("fit_sersic: images of shape " + c10::str(images.sizes()) +
                                ": must be [B, S, S]");
  const int64_t b = images.size(0);
  if (psfs.dim() != 3 || psfs.size(0) != b || psfs.size(1) != psfs.size(2) || psfs.size(1) % 2 == 0)
    throw std::invalid_argument("fit_sersic: psfs of shape " + c10::str(psfs.sizes()) +
                                ": must be [" + std::to_string(b) + ", P, P] with P odd");
  if (sigma.numel() != b)
    throw std::invalid_argument("fit_sersic: sigma of shape " + c10::str(sigma.sizes()) +
                                ": must hold " + std::to_string(b) + " values");
  const torch::Tensor im = images.to(torch::kFloat64).cpu().contiguous();
  const torch::Tensor ps = psfs.to(torch::kFloat64).cpu().contiguous();
  const torch::Tensor sg = sigma.to(torch::kFloat64).cpu().reshape({b}).contiguous();
  for (int64_t k = 0; k < b; ++k)
    sim::require(sim::positive(sg[k].item<double>()), "sigma[" + std::to_string(k) + "]",
                 sg[k].item<double>(), "> 0 [image units]");
  // PSF second moment per axis [pixels^2] (moments of the PSF image about its centre pixel).
  const int64_t pp = ps.size(1);
  const torch::Tensor coord = torch::arange(pp, torch::kFloat64) - static_cast<double>(pp / 2);
  const torch::Tensor r2 = coord.square().view({1, pp}) + coord.square().view({pp, 1});
  const torch::Tensor psf_m2 = (ps * r2).sum({1, 2}) / (2 * ps.sum({1, 2}));
  std::vector<double> psf_sigma2(psf_m2.data_ptr<double>(), psf_m2.data_ptr<double>() + b);
  std::vector<SersicFit> out(static_cast<std::size_t>(b));
  for (int64_t c0 = 0; c0 < b; c0 += options.chunk)
    fit_chunk(im, ps, sg, psf_sigma2, c0, std::min<int64_t>(options.chunk, b - c0), options, out);
  return out;
}

}  // namespace cosmograd::surveys
