// Morphology classes, inputs and baseline features (see morphology_labels.hpp).
#include "surveys/vision/morphology_labels.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/core/require.hpp"
#include "surveys/images/stamp_measures.hpp"
#include "surveys/vision/image_tensors.hpp"

namespace cosmograd::surveys {
namespace {

void check_rows(const std::vector<std::size_t>& rows, std::size_t n, const std::string& what) {
  for (std::size_t r : rows)
    sim::require(r < n, what + " row", static_cast<double>(r),
                 "< " + std::to_string(n) + " (the set's stamps)");
}

/// The radius where the curve of growth (radius, cumulative flux; starting at (0, 0)) first
/// reaches `level`, linearly interpolated.
double radius_at(const std::vector<std::pair<double, double>>& curve, double level) {
  double r0 = 0, c0 = 0;
  for (const auto& [r, c] : curve) {
    if (c >= level) return c > c0 ? r0 + (r - r0) * (level - c0) / (c - c0) : r;
    r0 = r;
    c0 = c;
  }
  return NAN;
}

}  // namespace

const std::vector<std::string>& morphology_class_names() {
  static const std::vector<std::string> names = {"smooth", "2_arms", "3_arms", "4+_arms"};
  return names;
}

int64_t morphology_class(int arms) {
  sim::require(arms >= 0, "arms", arms, ">= 0");
  if (arms == 0) return 0;
  if (arms <= 2) return 1;
  return arms == 3 ? 2 : 3;
}

torch::Tensor morphology_labels(const Table& truth, const std::vector<std::size_t>& rows) {
  const auto& arms = truth.column("arms").as<std::int32_t>();
  const auto& stamp = truth.column("stamp").as<std::int64_t>();
  check_rows(rows, arms.size(), "truth");
  std::vector<int64_t> out;
  for (std::size_t r : rows) {
    sim::require(stamp[r] == static_cast<std::int64_t>(r), "truth column stamp",
                 static_cast<double>(stamp[r]), "equal to the row index " + std::to_string(r));
    out.push_back(morphology_class(arms[r]));
  }
  return torch::tensor(out, torch::kLong);
}

torch::Tensor morphology_inputs(const StampSet& set, const std::vector<std::size_t>& rows,
                                double soften, bool psf_channel) {
  check_rows(rows, set.count(), "stamp");
  const int64_t s = set.size, b = static_cast<int64_t>(rows.size()), p = set.psf_size;
  torch::Tensor img = torch::empty({b, 1, s, s}, torch::kFloat32);
  torch::Tensor sigma = torch::empty({b, 1}, torch::kFloat32);
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    std::copy_n(set.images.data() + r * s * s, s * s, img[k].data_ptr<float>());
    sigma[k][0] = set.noise_sigma[r];
  }
  const torch::Tensor x = asinh_scale(img, sigma, soften);
  if (!psf_channel) return x;
  torch::Tensor psf = torch::zeros({b, 1, s, s}, torch::kFloat32);
  for (int64_t k = 0; k < b; ++k) {
    const float* src = set.psfs.data() + rows[static_cast<std::size_t>(k)] * p * p;
    const float peak = *std::max_element(src, src + p * p);
    float* dst = psf[k].data_ptr<float>();
    for (int64_t iy = 0; iy < p; ++iy)
      for (int64_t ix = 0; ix < p; ++ix) {
        const int64_t ty = s / 2 + iy - p / 2, tx = s / 2 + ix - p / 2;
        if (ty >= 0 && ty < s && tx >= 0 && tx < s && peak > 0)
          dst[ty * s + tx] = src[iy * p + ix] / peak;
      }
  }
  return torch::cat({x, psf}, 1);
}

const std::vector<std::string>& morphology_feature_names() {
  static const std::vector<std::string> names = {
      "asymmetry",     "gini",        "m20",      "log10_r_half_px", "ellipticity", "log10_snr",
      "concentration", "psf_fwhm_px", "log10_a1", "log10_a2",        "log10_a3",    "log10_a4"};
  return names;
}

double concentration(const Image& image, double x, double y, double r_max) {
  constexpr int sub = 5;  // sub-pixels per side, each holding 1/25 of its pixel's flux
  std::vector<std::pair<double, double>> pts;  // (radius, flux)
  for (int iy = 0; iy < image.ny; ++iy)
    for (int ix = 0; ix < image.nx; ++ix) {
      const double v = image.at(ix, iy) / (sub * sub);
      for (int sy = 0; sy < sub; ++sy)
        for (int sx = 0; sx < sub; ++sx) {
          const double r = std::hypot(ix + (sx + 0.5) / sub - x, iy + (sy + 0.5) / sub - y);
          if (r <= r_max) pts.emplace_back(r, v);
        }
    }
  std::sort(pts.begin(), pts.end());
  std::vector<std::pair<double, double>> curve;  // points at equal radii enter together
  double cum = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    cum += pts[i].second;
    if (i + 1 == pts.size() || pts[i + 1].first > pts[i].first + 1e-12)
      curve.emplace_back(pts[i].first, cum);
  }
  if (!(cum > 0)) return NAN;
  const double r20 = radius_at(curve, 0.2 * cum), r80 = radius_at(curve, 0.8 * cum);
  return r20 > 0 && r80 > 0 ? 5 * std::log10(r80 / r20) : NAN;
}

std::vector<double> azimuthal_modes(const Image& image, double x, double y, double e1, double e2,
                                    double r_in, double r_out, int max_m) {
  sim::require(max_m >= 1 && max_m <= 32, "max_m", max_m, "in [1, 32]");
  sim::require(r_in >= 0 && r_out > r_in, "r_out", r_out, "> r_in >= 0 [pixels]");
  const double e = std::hypot(e1, e2);
  sim::require(e < 1, "|e|", e, "< 1");
  const double q = (1 - e) / (1 + e), th = 0.5 * std::atan2(e2, e1);
  const double c = std::cos(th), s = std::sin(th), sq = std::sqrt(q);
  const int rings = static_cast<int>(std::ceil(r_out - r_in));
  // Per ring: flux and the sums of I cos(m phi), I sin(m phi).
  std::vector<double> flux(rings, 0.0), re(rings * max_m, 0.0), im(rings * max_m, 0.0);
  for (int iy = 0; iy < image.ny; ++iy)
    for (int ix = 0; ix < image.nx; ++ix) {
      const double dx = ix + 0.5 - x, dy = iy + 0.5 - y;
      // Rotate the major axis onto u, then shrink it by sqrt(q) and stretch v by 1 / sqrt(q).
      const double u = (dx * c + dy * s) * sq, v = (-dx * s + dy * c) / sq;
      const double r = std::hypot(u, v);
      if (r < r_in || r >= r_out) continue;
      const int k = std::min(rings - 1, static_cast<int>(r - r_in));
      const double val = image.at(ix, iy), phi = std::atan2(v, u);
      flux[k] += val;
      for (int m = 1; m <= max_m; ++m) {
        re[k * max_m + m - 1] += val * std::cos(m * phi);
        im[k * max_m + m - 1] += val * std::sin(m * phi);
      }
    }
  std::vector<double> a(max_m, 0.0);
  double total = 0;
  for (int k = 0; k < rings; ++k) {
    if (!(flux[k] > 0)) continue;
    total += flux[k];
    for (int m = 0; m < max_m; ++m)
      a[m] += std::hypot(re[k * max_m + m], im[k * max_m + m]);  // = flux_k a_m(ring k)
  }
  for (double& v : a) v = total > 0 ? v / total : NAN;
  return a;
}

torch::Tensor morphology_features(const StampSet& set, const std::vector<std::size_t>& rows) {
  check_rows(rows, set.count(), "stamp");
  const int s = set.size, p = set.psf_size;
  const std::size_t nf = morphology_feature_names().size();
  torch::Tensor out = torch::full({static_cast<int64_t>(rows.size()), static_cast<int64_t>(nf)},
                                  NAN, torch::kFloat64);
  double* o = out.data_ptr<double>();
  Image img = Image::zeros(s, s);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const std::size_t r = rows[k];
    std::copy_n(set.images.data() + r * s * s, s * s, img.values.begin());
    const StampMeasures m = measure_stamp(img, set.noise_sigma[r]);
    double* f = o + k * nf;
    if (m.ok) {
      f[0] = m.asymmetry;
      f[1] = m.gini;
      f[2] = m.m20;
      f[3] = m.half_light_radius > 0 ? std::log10(m.half_light_radius) : NAN;
      f[4] = std::hypot(m.e1, m.e2);
      f[5] = m.snr > 0 ? std::log10(m.snr) : NAN;
      f[6] = concentration(img, m.x, m.y, 0.5 * s);
      if (m.half_light_radius > 0 && std::hypot(m.e1, m.e2) < 0.95) {
        const std::vector<double> a = azimuthal_modes(
            img, m.x, m.y, m.e1, m.e2, 0.5 * m.half_light_radius, 2.5 * m.half_light_radius, 4);
        for (int j = 0; j < 4; ++j) f[8 + j] = std::log10(0.01 + a[j]);
      }
    }
    // The PSF's Gaussian-equivalent FWHM from its second moments about its centre.
    const float* psf = set.psfs.data() + r * p * p;
    double m2 = 0, tot = 0;
    for (int iy = 0; iy < p; ++iy)
      for (int ix = 0; ix < p; ++ix) {
        const double v = psf[iy * p + ix], dx = ix - 0.5 * (p - 1), dy = iy - 0.5 * (p - 1);
        m2 += v * (dx * dx + dy * dy);
        tot += v;
      }
    f[7] = tot > 0 ? std::sqrt(8 * std::log(2.0) * m2 / (2 * tot)) : NAN;
  }
  return out;
}

}  // namespace cosmograd::surveys
