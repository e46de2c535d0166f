// Non-parametric stamp measurements; the definitions and references are in stamp_measures.hpp.
#include "surveys/images/stamp_measures.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

/// Flux-weighted centre [px] and second moments [px^2] of a set of pixels.
struct Moments {
  double flux = 0;
  double x = 0, y = 0;
  double m11 = 0, m22 = 0, m12 = 0;
  bool ok = false;
};

/// Whether the moment matrix is positive definite.
bool positive_definite(const Moments& m) {
  return m.m11 > 0 && m.m22 > 0 && m.m11 * m.m22 - m.m12 * m.m12 > 0 && std::isfinite(m.m11) &&
         std::isfinite(m.m22) && std::isfinite(m.m12);
}

/// The centre of pixel index i along either axis [px].
double pixel_centre(int i) { return i + 0.5; }

void validate(const Image& image, double noise_sigma) {
  sim::require(image.nx >= 1, "image.nx", image.nx, ">= 1 [pixels]");
  sim::require(image.ny >= 1, "image.ny", image.ny, ">= 1 [pixels]");
  const double expected = static_cast<double>(image.nx) * image.ny;
  sim::require(static_cast<double>(image.values.size()) == expected, "image.values.size()",
               static_cast<double>(image.values.size()), "nx * ny");
  for (const double v : image.values) {
    sim::require(std::isfinite(v), "image.values", v, "finite");
  }
  sim::require(sim::positive(noise_sigma), "noise_sigma", noise_sigma, "finite and > 0");
}

/// The segment: pixels > sigma, 8-connected to the seed (see the header); indices iy*nx+ix.
std::vector<std::size_t> segment(const Image& image, double sigma) {
  const int nx = image.nx, ny = image.ny;
  const int cx = nx / 2, cy = ny / 2;
  int seed = -1;
  if (image.at(cx, cy) > sigma) {
    seed = cy * nx + cx;
  } else {
    const double radius = std::max(2.0, std::min(nx, ny) / 8.0);
    double best = sigma;
    for (int iy = 0; iy < ny; ++iy) {
      for (int ix = 0; ix < nx; ++ix) {
        if (std::hypot(ix - cx, iy - cy) <= radius && image.at(ix, iy) > best) {
          best = image.at(ix, iy);
          seed = iy * nx + ix;
        }
      }
    }
  }
  std::vector<std::size_t> members;
  if (seed < 0) return members;
  std::vector<char> seen(image.values.size(), 0);
  members.push_back(static_cast<std::size_t>(seed));
  seen[static_cast<std::size_t>(seed)] = 1;
  for (std::size_t k = 0; k < members.size(); ++k) {  // breadth-first flood fill
    const int ix = static_cast<int>(members[k] % nx), iy = static_cast<int>(members[k] / nx);
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int jx = ix + dx, jy = iy + dy;
        if (jx < 0 || jy < 0 || jx >= nx || jy >= ny) continue;
        const std::size_t j = static_cast<std::size_t>(jy) * nx + jx;
        if (!seen[j] && image.values[j] > sigma) {
          seen[j] = 1;
          members.push_back(j);
        }
      }
    }
  }
  return members;
}

/// Unweighted flux-weighted moments of the segment pixels.
Moments segment_moments(const Image& image, const std::vector<std::size_t>& seg) {
  Moments m;
  for (const std::size_t j : seg) {
    const double v = image.values[j];
    m.flux += v;
    m.x += v * pixel_centre(static_cast<int>(j % image.nx));
    m.y += v * pixel_centre(static_cast<int>(j / image.nx));
  }
  if (seg.empty() || !(m.flux > 0)) return m;
  m.x /= m.flux;
  m.y /= m.flux;
  for (const std::size_t j : seg) {
    const double v = image.values[j];
    const double dx = pixel_centre(static_cast<int>(j % image.nx)) - m.x;
    const double dy = pixel_centre(static_cast<int>(j / image.nx)) - m.y;
    m.m11 += v * dx * dx;
    m.m22 += v * dy * dy;
    m.m12 += v * dx * dy;
  }
  m.m11 /= m.flux;
  m.m22 /= m.flux;
  m.m12 /= m.flux;
  m.ok = positive_definite(m);
  return m;
}

/// Adaptive (elliptical Gaussian weighted) moments (Bernstein & Jarvis 2002; Hirata & Seljak
/// 2003) started from `start`; sum_wi and sum_w2 receive sum W I and sum W^2 of the final
/// weight. Returns the moments with ok = false when the iteration fails.
Moments adaptive_moments(const Image& image, const Moments& start, double& sum_wi, double& sum_w2) {
  Moments m = start;
  m.ok = false;
  const double max_size2 = std::pow(std::max(image.nx, image.ny), 2);
  for (int iter = 0; iter < 300; ++iter) {
    const double det = m.m11 * m.m22 - m.m12 * m.m12;
    const double i11 = m.m22 / det, i22 = m.m11 / det, i12 = -m.m12 / det;  // M^-1
    double s0 = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sw2 = 0;
    for (int iy = 0; iy < image.ny; ++iy) {
      const double dy = pixel_centre(iy) - m.y;
      for (int ix = 0; ix < image.nx; ++ix) {
        const double dx = pixel_centre(ix) - m.x;
        const double q = i11 * dx * dx + 2 * i12 * dx * dy + i22 * dy * dy;
        if (q > 80) continue;  // W < 4e-18
        const double w = std::exp(-0.5 * q), wi = w * image.at(ix, iy);
        s0 += wi;
        sx += wi * dx;
        sy += wi * dy;
        sxx += wi * dx * dx;
        syy += wi * dy * dy;
        sxy += wi * dx * dy;
        sw2 += w * w;
      }
    }
    if (!(s0 > 0)) return m;
    Moments next;
    next.flux = s0;
    next.x = m.x + sx / s0;
    next.y = m.y + sy / s0;
    next.m11 = 2 * sxx / s0;  // the fixed point of a Gaussian: M = 2 <d d^T>_W
    next.m22 = 2 * syy / s0;
    next.m12 = 2 * sxy / s0;
    if (!positive_definite(next) || next.m11 + next.m22 > max_size2 || next.x < 0 || next.y < 0 ||
        next.x > image.nx || next.y > image.ny) {
      return m;
    }
    const double tol = 1e-7 * (next.m11 + next.m22);
    const bool converged = std::hypot(next.x - m.x, next.y - m.y) < 1e-7 &&
                           std::abs(next.m11 - m.m11) < tol && std::abs(next.m22 - m.m22) < tol &&
                           std::abs(next.m12 - m.m12) < tol;
    m = next;
    if (converged) {
      m.ok = true;
      sum_wi = s0;
      sum_w2 = sw2;
      return m;
    }
  }
  return m;
}

/// The shear-like ellipticity (a - b)/(a + b) of a moment matrix: e = chi / (1 + sqrt(1 -
/// |chi|^2)) from the distortion chi (Bartelmann & Schneider 2001, section 4.2).
std::pair<double, double> shear_from_moments(const Moments& m) {
  const double trace = m.m11 + m.m22;
  const double chi1 = (m.m11 - m.m22) / trace, chi2 = 2 * m.m12 / trace;
  const double chi2sum = std::min(1.0, chi1 * chi1 + chi2 * chi2);
  const double f = 1 / (1 + std::sqrt(1 - chi2sum));
  return {chi1 * f, chi2 * f};
}

/// Bilinear interpolation of the pixel values (at pixel centres) at (x, y) [px], indices
/// clamped to the stamp (the edge pixels extended).
double bilinear(const Image& image, double x, double y) {
  const double u = std::clamp(x - 0.5, 0.0, image.nx - 1.0);
  const double v = std::clamp(y - 0.5, 0.0, image.ny - 1.0);
  const int i0 = static_cast<int>(u), j0 = static_cast<int>(v);
  const int i1 = std::min(i0 + 1, image.nx - 1), j1 = std::min(j0 + 1, image.ny - 1);
  const double fx = u - i0, fy = v - j0;
  return (1 - fy) * ((1 - fx) * image.at(i0, j0) + fx * image.at(i1, j0)) +
         fy * ((1 - fx) * image.at(i0, j1) + fx * image.at(i1, j1));
}

/// Circularised half-light radius [px] in elliptical apertures of shape m about (m.x, m.y):
/// curve of growth over 5 x 5 sub-pixels per pixel, each pixel's flux shared among them in
/// proportion to the positive part of the bilinear interpolation of the image (equally when
/// that is 0 throughout), linearly interpolated at total / 2.
double half_light_radius(const Image& image, const Moments& m, double total) {
  if (!(total > 0)) return kNaN;
  constexpr int kSub = 5;
  const double det = m.m11 * m.m22 - m.m12 * m.m12, scale = std::sqrt(det) / det;
  const double i11 = m.m22 * scale, i22 = m.m11 * scale, i12 = -m.m12 * scale;  // sqrt|M| M^-1
  std::vector<std::pair<double, double>> samples;                               // (r, flux)
  samples.reserve(image.values.size() * kSub * kSub);
  double shape[kSub * kSub];
  for (int iy = 0; iy < image.ny; ++iy) {
    for (int ix = 0; ix < image.nx; ++ix) {
      double shape_sum = 0;
      for (int k = 0; k < kSub * kSub; ++k) {
        const double x = ix + (k % kSub + 0.5) / kSub, y = iy + (k / kSub + 0.5) / kSub;
        shape[k] = std::max(0.0, bilinear(image, x, y));
        shape_sum += shape[k];
      }
      for (int k = 0; k < kSub * kSub; ++k) {
        const double dx = ix + (k % kSub + 0.5) / kSub - m.x;
        const double dy = iy + (k / kSub + 0.5) / kSub - m.y;
        const double share = shape_sum > 0 ? shape[k] / shape_sum : 1.0 / (kSub * kSub);
        samples.emplace_back(std::sqrt(i11 * dx * dx + 2 * i12 * dx * dy + i22 * dy * dy),
                             share * image.at(ix, iy));
      }
    }
  }
  std::sort(samples.begin(), samples.end());
  // The curve of growth through the points (r_j, F_(j-1) + f_j / 2): each sample's flux half
  // inside, half outside its radius.
  const double half = 0.5 * total;
  double cum = 0, r_prev = 0, f_prev = 0;
  for (const auto& [r, f] : samples) {
    const double here = cum + 0.5 * f;
    if (here >= half) {
      if (here == f_prev) return r;
      return r_prev + (r - r_prev) * (half - f_prev) / (here - f_prev);
    }
    cum += f;
    r_prev = r;
    f_prev = here;
  }
  return kNaN;
}

/// Keys (1981) cubic-convolution weights (a = -1/2) of the nodes -1, 0, 1, 2 for the offset
/// f in [0, 1) from node 0.
std::array<double, 4> keys_weights(double f) {
  const auto near = [](double t) { return (1.5 * t - 2.5) * t * t + 1; };        // |t| < 1
  const auto far = [](double t) { return ((-0.5 * t + 2.5) * t - 4) * t + 2; };  // 1 <= |t| < 2
  return {far(1 + f), near(f), near(1 - f), far(2 - f)};
}

/// Background-corrected rotational asymmetry about (cx, cy) over the segment (Conselice,
/// Bershady & Jangren 2000): (sum |I - I_180| - B) / sum |I|, I_180 by Keys cubic convolution,
/// B = sum sqrt(2/pi) sigma sqrt(1 + sum w_k^2).
double asymmetry(const Image& image, const std::vector<std::size_t>& seg, double cx, double cy,
                 double sigma) {
  double diff = 0, norm = 0, background = 0;
  for (const std::size_t j : seg) {
    const int ix = static_cast<int>(j % image.nx), iy = static_cast<int>(j / image.nx);
    const double u = 2 * cx - pixel_centre(ix) - 0.5,
                 v = 2 * cy - pixel_centre(iy) - 0.5;  // indices
    const double fu = std::floor(u), fv = std::floor(v);
    if (fu < 1 || fv < 1 || fu > image.nx - 3 || fv > image.ny - 3) continue;  // 4 x 4 stencil
    const int i0 = static_cast<int>(fu), j0 = static_cast<int>(fv);
    const std::array<double, 4> wx = keys_weights(u - fu), wy = keys_weights(v - fv);
    double rotated = 0, wx2 = 0, wy2 = 0;
    for (int b = 0; b < 4; ++b) {
      double row = 0;
      for (int a = 0; a < 4; ++a) row += wx[a] * image.at(i0 - 1 + a, j0 - 1 + b);
      rotated += wy[b] * row;
      wx2 += wx[b] * wx[b];
      wy2 += wy[b] * wy[b];
    }
    diff += std::abs(image.values[j] - rotated);
    norm += std::abs(image.values[j]);
    background += std::sqrt(2 / kPi) * sigma * std::sqrt(1 + wx2 * wy2);
  }
  return norm > 0 ? (diff - background) / norm : kNaN;
}

/// Gini coefficient of the segment pixels (Lotz, Primack & Madau 2004); 1 for one pixel.
double gini(const Image& image, const std::vector<std::size_t>& seg) {
  const std::size_t n = seg.size();
  if (n == 0) return kNaN;
  if (n == 1) return 1.0;
  std::vector<double> x;
  x.reserve(n);
  for (const std::size_t j : seg) x.push_back(std::abs(image.values[j]));
  std::sort(x.begin(), x.end());
  double sum = 0, weighted = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += x[i];
    weighted += (2.0 * static_cast<double>(i + 1) - static_cast<double>(n) - 1) * x[i];
  }
  const double mean = sum / static_cast<double>(n);
  return sum > 0 ? weighted / (mean * static_cast<double>(n) * static_cast<double>(n - 1)) : kNaN;
}

/// M20 of the segment about its flux-weighted centroid c (Lotz, Primack & Madau 2004).
double m20(const Image& image, const std::vector<std::size_t>& seg, const Moments& c) {
  if (seg.empty() || !(c.flux > 0)) return kNaN;
  std::vector<std::pair<double, double>> pixels;  // (flux, f r^2)
  pixels.reserve(seg.size());
  double m_tot = 0;
  for (const std::size_t j : seg) {
    const double dx = pixel_centre(static_cast<int>(j % image.nx)) - c.x;
    const double dy = pixel_centre(static_cast<int>(j / image.nx)) - c.y;
    const double v = image.values[j];
    pixels.emplace_back(v, v * (dx * dx + dy * dy));
    m_tot += v * (dx * dx + dy * dy);
  }
  if (!(m_tot > 0)) return kNaN;
  std::sort(pixels.begin(), pixels.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  double cum = 0, m_bright = 0;
  for (const auto& [f, mi] : pixels) {
    cum += f;
    m_bright += mi;
    if (cum >= 0.2 * c.flux) break;
  }
  return m_bright > 0 ? std::log10(m_bright / m_tot) : kNaN;
}

}  // namespace

StampMeasures measure_stamp(const Image& image, double noise_sigma) {
  validate(image, noise_sigma);
  StampMeasures out;
  out.flux = image.sum();
  out.x = out.y = out.half_light_radius = out.e1 = out.e2 = kNaN;
  out.asymmetry = out.snr = kNaN;
  const std::vector<std::size_t> seg = segment(image, noise_sigma);
  const Moments seg_moments = segment_moments(image, seg);
  out.gini = gini(image, seg);
  out.m20 = m20(image, seg, seg_moments);

  double sum_wi = 0, sum_w2 = 0;
  Moments shape;
  if (seg_moments.ok) {
    shape = adaptive_moments(image, seg_moments, sum_wi, sum_w2);
    out.adaptive = shape.ok;
    if (!shape.ok) {
      shape = seg_moments;  // fallback: unweighted moments of the segment, W = 1 on it
      sum_wi = seg_moments.flux;
      sum_w2 = static_cast<double>(seg.size());
    }
  }
  out.ok = shape.ok;
  if (!out.ok) return out;
  out.x = shape.x;
  out.y = shape.y;
  std::tie(out.e1, out.e2) = shear_from_moments(shape);
  out.half_light_radius = half_light_radius(image, shape, out.flux);
  out.asymmetry = asymmetry(image, seg, shape.x, shape.y, noise_sigma);
  out.snr = sum_wi / (noise_sigma * std::sqrt(sum_w2));
  return out;
}

}  // namespace cosmograd::surveys
