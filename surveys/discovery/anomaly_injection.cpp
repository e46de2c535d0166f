// Rare objects injected into stamp sets (see anomaly_injection.hpp).
#include "surveys/discovery/anomaly_injection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>

#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/images/strong_lens.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// A reproducible stream per (seed, purpose, stamp): mt19937_64 seeded through seed_seq.
class Draws {
 public:
  Draws(std::uint64_t seed, std::uint64_t purpose, std::uint64_t k) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                      static_cast<std::uint32_t>(purpose), static_cast<std::uint32_t>(k),
                      static_cast<std::uint32_t>(k >> 32)};
    rng_.seed(seq);
  }
  /// Uniform in [0, 1) from the top 53 bits (the same on every platform).
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  /// Uniform in [a, b).
  double uniform(double a, double b) { return a + (b - a) * uniform(); }

 private:
  std::mt19937_64 rng_;
};

std::size_t pixels(const StampSet& set) { return static_cast<std::size_t>(set.size) * set.size; }

Image psf_of(const StampSet& set, std::size_t k) {
  const int p = set.psf_size;
  Image psf = Image::zeros(p, p);
  const std::size_t pp = static_cast<std::size_t>(p) * p;
  for (std::size_t i = 0; i < pp; ++i) psf.values[i] = set.psfs[k * pp + i];
  return psf;
}

/// Gaussian-equivalent sigma [pixels] of stamp k's PSF from its second moments.
double psf_sigma(const StampSet& set, std::size_t k) {
  const Image psf = psf_of(set, k);
  const double c = 0.5 * (psf.nx - 1);
  double s = 0, ixx = 0, iyy = 0;
  for (int y = 0; y < psf.ny; ++y)
    for (int x = 0; x < psf.nx; ++x) {
      const double v = psf.at(x, y);
      s += v;
      ixx += v * (x - c) * (x - c);
      iyy += v * (y - c) * (y - c);
    }
  return std::sqrt(std::max(0.25, 0.5 * (ixx + iyy) / s));
}

/// Adds `light` (S x S) to stamp k's image and noiseless image (when present).
void add_light(StampSet& set, std::size_t k, const std::vector<double>& light) {
  const std::size_t px = pixels(set);
  for (std::size_t p = 0; p < px; ++p) {
    set.images[k * px + p] += static_cast<float>(light[p]);
    if (!set.noiseless.empty()) set.noiseless[k * px + p] += static_cast<float>(light[p]);
  }
}

double stamp_flux(const StampSet& set, std::size_t k) {
  const std::size_t px = pixels(set);
  const float* v = set.noiseless.empty() ? &set.images[k * px] : &set.noiseless[k * px];
  double f = 0;
  for (std::size_t p = 0; p < px; ++p) f += v[p];
  return std::max(f, 10.0 * set.noise_sigma[k]);
}

void check_row(const StampSet& set, std::size_t k, const char* what) {
  if (k >= set.count())
    throw std::invalid_argument(std::string(what) + ": stamp " + std::to_string(k) +
                                " out of range [0, " + std::to_string(set.count()) + ")");
}

}  // namespace

const std::vector<std::string>& anomaly_class_names() {
  static const std::vector<std::string> names = {"ordinary", "lens", "merger", "artefact"};
  return names;
}

void InjectionOptions::validate() const {
  const auto check = [](const char* name, double v) {
    if (!(v >= 0 && v <= 1))
      throw std::invalid_argument(std::string(name) + " = " + std::to_string(v) +
                                  ": must be in [0, 1]");
  };
  check("fraction_lens", fraction_lens);
  check("fraction_merger", fraction_merger);
  check("fraction_artefact", fraction_artefact);
  const double sum = fraction_lens + fraction_merger + fraction_artefact;
  if (sum > 0.5)
    throw std::invalid_argument("fraction_lens + fraction_merger + fraction_artefact = " +
                                std::to_string(sum) + ": must be <= 0.5 (anomalies are rare)");
}

double inject_lens(StampSet& set, std::size_t k, std::uint64_t seed) {
  check_row(set, k, "inject_lens");
  Draws d(seed, 1, k);
  const double half_arcsec = 0.5 * set.size * set.pixel_scale;
  SieLens lens;
  lens.theta_e = d.uniform(0.35, 0.7) * half_arcsec;
  lens.q = d.uniform(0.6, 1.0);
  lens.phi_deg = d.uniform(0, 180);
  lens.gamma_ext = d.uniform(0, 0.05);
  lens.phi_ext_deg = d.uniform(0, 180);
  const double r = 0.3 * lens.theta_e * std::sqrt(d.uniform()), a = d.uniform(0, 2 * kPi);
  const double bx = r * std::cos(a), by = r * std::sin(a);
  const double sigma = d.uniform(0.5, 1.2) * set.pixel_scale;  // [arcsec]
  double flux = d.uniform(0.2, 0.5) * stamp_flux(set, k);
  const SourceProfile source = [&](double x, double y) {
    const double q = ((x - bx) * (x - bx) + (y - by) * (y - by)) / (sigma * sigma);
    return std::exp(-0.5 * q) / (2 * kPi * sigma * sigma);  // unit flux [1/arcsec^2]
  };
  const std::vector<double> unit = ray_shoot(lens, source, set.size, set.size, set.pixel_scale, 3);
  Image img = Image::zeros(set.size, set.size);
  img.values = unit;
  const Image conv = convolve(img, psf_of(set, k));
  double peak = 0;
  for (double v : conv.values) peak = std::max(peak, v);
  // A visible arc: at least 5 noise_sigma at the brightest pixel.
  if (peak > 0) flux = std::max(flux, 5.0 * set.noise_sigma[k] / peak);
  std::vector<double> light(conv.values.size());
  double total = 0;
  for (std::size_t p = 0; p < light.size(); ++p) {
    light[p] = flux * std::max(0.0, conv.values[p]);
    total += light[p];
  }
  add_light(set, k, light);
  return total;
}

double inject_merger(StampSet& set, std::size_t k, std::size_t other, std::uint64_t seed) {
  check_row(set, k, "inject_merger");
  check_row(set, other, "inject_merger (other)");
  if (set.noiseless.empty())
    throw std::invalid_argument("inject_merger: the stamp set has no noiseless images");
  Draws d(seed, 2, k);
  const int s = set.size;
  const std::size_t px = pixels(set);
  const double re = std::max(set.half_light_radius[k], set.half_light_radius[other]);
  const double shift = std::max(3.0, d.uniform(1.0, 2.0) * re), a = d.uniform(0, 2 * kPi);
  const double sx = shift * std::cos(a), sy = shift * std::sin(a);
  double f_other = 0;
  for (std::size_t p = 0; p < px; ++p) f_other += set.noiseless[other * px + p];
  const double scale = f_other > 0 ? d.uniform(0.3, 1.0) * stamp_flux(set, k) / f_other : 0.0;
  std::vector<double> light(px, 0.0);
  const float* src = &set.noiseless[other * px];
  // Bilinear resampling of the other stamp at (x - sx, y - sy); zero outside.
  const auto at = [&](int x, int y) -> double {
    return (x < 0 || y < 0 || x >= s || y >= s) ? 0.0 : src[static_cast<std::size_t>(y) * s + x];
  };
  double total = 0;
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      const double fx = x - sx, fy = y - sy;
      const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
      const double tx = fx - x0, ty = fy - y0;
      const double v = (1 - tx) * (1 - ty) * at(x0, y0) + tx * (1 - ty) * at(x0 + 1, y0) +
                       (1 - tx) * ty * at(x0, y0 + 1) + tx * ty * at(x0 + 1, y0 + 1);
      light[static_cast<std::size_t>(y) * s + x] = scale * v;
      total += scale * v;
    }
  add_light(set, k, light);
  return total;
}

int inject_artefact(StampSet& set, std::size_t k, std::uint64_t seed, int artefact_kind) {
  check_row(set, k, "inject_artefact");
  if (artefact_kind < -1 || artefact_kind > 3)
    throw std::invalid_argument("inject_artefact: artefact_kind = " +
                                std::to_string(artefact_kind) + ", allowed -1 (draw) or 0-3");
  Draws d(seed, 3, k);
  const int kind =
      artefact_kind >= 0 ? artefact_kind : std::min(3, static_cast<int>(4 * d.uniform()));
  const int s = set.size;
  const std::size_t px = pixels(set);
  const double sig = set.noise_sigma[k];
  std::vector<double> light(px, 0.0);
  const auto idx = [&](int x, int y) { return static_cast<std::size_t>(y) * s + x; };
  if (kind == 0) {  // cosmic rays: sharp tracks, not PSF-convolved
    const int tracks = 2 + std::min(2, static_cast<int>(3 * d.uniform()));
    for (int t = 0; t < tracks; ++t) {
      const double x0 = d.uniform(0, s), y0 = d.uniform(0, s), a = d.uniform(0, 2 * kPi);
      const double len = d.uniform(3, 10), amp = d.uniform(30, 150) * sig;
      std::set<std::size_t> hit;
      for (double u = 0; u <= len; u += 0.25) {
        const int x = static_cast<int>(std::floor(x0 + u * std::cos(a)));
        const int y = static_cast<int>(std::floor(y0 + u * std::sin(a)));
        if (x >= 0 && y >= 0 && x < s && y < s) hit.insert(idx(x, y));
      }
      for (std::size_t p : hit) light[p] += amp;
    }
  } else if (kind == 1) {  // satellite trail across the stamp
    const double w = psf_sigma(set, k);
    const double cx = d.uniform(0.25, 0.75) * s, cy = d.uniform(0.25, 0.75) * s;
    const double a = d.uniform(0, kPi), amp = d.uniform(5, 15) * sig;
    const double nx = -std::sin(a), ny = std::cos(a);
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const double dist = (x + 0.5 - cx) * nx + (y + 0.5 - cy) * ny;
        light[idx(x, y)] = amp * std::exp(-0.5 * dist * dist / (w * w));
      }
  } else if (kind == 2) {  // saturated star with diffraction spikes
    const Image psf = psf_of(set, k);
    double pmax = 0;
    for (double v : psf.values) pmax = std::max(pmax, v);
    const double peak = d.uniform(500, 2000) * sig, flux = peak / pmax;
    const double r = d.uniform(8, 12) * s / 32.0, a = d.uniform(0, 2 * kPi);
    const int cx = static_cast<int>(std::floor(0.5 * s + r * std::cos(a)));
    const int cy = static_cast<int>(std::floor(0.5 * s + r * std::sin(a)));
    const int h = psf.nx / 2;
    for (int y = 0; y < psf.ny; ++y)
      for (int x = 0; x < psf.nx; ++x) {
        const int X = cx + x - h, Y = cy + y - h;
        if (X >= 0 && Y >= 0 && X < s && Y < s) light[idx(X, Y)] += flux * psf.at(x, y);
      }
    const double spike = 0.2 * peak;
    for (int u = 1; u < s; ++u) {
      const double v = spike / u;
      const int pts[4][2] = {{cx + u, cy}, {cx - u, cy}, {cx, cy + u}, {cx, cy - u}};
      for (const auto& q : pts)
        if (q[0] >= 0 && q[1] >= 0 && q[0] < s && q[1] < s) light[idx(q[0], q[1])] += v;
    }
  } else {  // hot column
    const int x = std::min(s - 1, static_cast<int>(d.uniform(0.15, 0.85) * s));
    const double amp = d.uniform(10, 30) * sig;
    for (int y = 0; y < s; ++y) light[idx(x, y)] += amp;
  }
  add_light(set, k, light);
  if (kind == 2) {  // saturation: the full well clips the star's core
    const float sat = static_cast<float>(300.0 * sig);
    for (std::size_t p = 0; p < px; ++p) {
      set.images[k * px + p] = std::min(set.images[k * px + p], sat);
      if (!set.noiseless.empty())
        set.noiseless[k * px + p] = std::min(set.noiseless[k * px + p], sat);
    }
  }
  return kind;
}

std::vector<std::int32_t> inject_anomalies(StampSet& set, const InjectionOptions& o,
                                           std::vector<std::int32_t>* detail) {
  o.validate();
  const std::size_t n = set.count();
  std::vector<std::int32_t> label(n, 0), art(n, -1);
  const auto count = [n](double f) { return static_cast<std::size_t>(std::llround(f * n)); };
  const std::size_t nl = count(o.fraction_lens), nm = count(o.fraction_merger),
                    na = count(o.fraction_artefact);
  if (nm > 0 && set.noiseless.empty())
    throw std::invalid_argument("fraction_merger = " + std::to_string(o.fraction_merger) +
                                ": mergers need the stamp set's noiseless images");
  // A seeded Fisher-Yates order; its first nl + nm + na stamps are the injected ones.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Draws d(o.seed, 0, 0);
  for (std::size_t i = n; i > 1; --i)
    std::swap(order[i - 1], order[static_cast<std::size_t>(d.uniform() * i)]);
  const std::size_t m = std::min(n, nl + nm + na);
  for (std::size_t i = 0; i < m; ++i) label[order[i]] = i < nl ? 1 : (i < nl + nm ? 2 : 3);
  // Merger partners: the ordinary stamps (never modified), in the drawn order.
  std::size_t partner = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t k = order[i];
    if (label[k] == 1) {
      inject_lens(set, k, o.seed);
    } else if (label[k] == 2) {
      const std::size_t other = n > m ? order[m + (partner++) % (n - m)] : k;
      inject_merger(set, k, other, o.seed);
    } else {
      art[k] = inject_artefact(set, k, o.seed);
    }
  }
  if (detail != nullptr) *detail = art;
  return label;
}

}  // namespace cosmograd::surveys
