// Sersic and point-source profiles rendered into pixel images (see sersic.hpp for conventions).
#include "surveys/images/sersic.hpp"

#include <algorithm>
#include <array>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <queue>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;
/// Relative per-pixel tolerance of the adaptive cubature.
constexpr double kRelTol = 1e-7;
/// Absolute per-pixel tolerance of the adaptive cubature [units of the profile's flux].
constexpr double kAbsTol = 1e-10;
/// Maximum number of cells a pixel is cut into.
constexpr std::size_t kMaxCells = 4000;

[[noreturn]] void invalid(const std::string& field, double value, const std::string& allowed) {
  std::ostringstream s;
  s << field << " = " << value << " is invalid: allowed " << allowed;
  throw std::invalid_argument(s.str());
}

void check_ellipticity(const std::string& owner, double e1, double e2) {
  if (!std::isfinite(e1)) invalid(owner + ".e1", e1, "a finite value with e1^2 + e2^2 < 1");
  if (!std::isfinite(e2)) invalid(owner + ".e2", e2, "a finite value with e1^2 + e2^2 < 1");
  const double e = std::hypot(e1, e2);
  if (e >= 1) invalid(owner + " |e| = |(e1, e2)|", e, "|e| < 1");
}

void check_sersic(const SersicProfile& p) {
  if (!(p.flux >= 0) || !std::isfinite(p.flux))
    invalid("SersicProfile.flux", p.flux, "a finite value >= 0");
  if (!(p.half_light_radius > 0) || !std::isfinite(p.half_light_radius))
    invalid("SersicProfile.half_light_radius", p.half_light_radius, "a finite value > 0 [pixels]");
  if (!(p.n >= 0.3 && p.n <= 6.2)) invalid("SersicProfile.n", p.n, "0.3 <= n <= 6.2");
  check_ellipticity("SersicProfile", p.e1, p.e2);
  if (!std::isfinite(p.x0)) invalid("SersicProfile.x0", p.x0, "a finite value [pixels]");
  if (!std::isfinite(p.y0)) invalid("SersicProfile.y0", p.y0, "a finite value [pixels]");
  if (!(p.truncation == 0 || (p.truncation >= 1.5 && std::isfinite(p.truncation))))
    invalid("SersicProfile.truncation", p.truncation, "0 (untruncated) or >= 1.5 [R_e]");
}

/// Circularised radius^2 r^2 = d^T S^-2 d of an offset d = (dx, dy) for the shear S (sersic.hpp).
struct Metric {
  double cxx = 1, cxy = 0, cyy = 1;
  explicit Metric(double e1, double e2) {
    const double g2 = e1 * e1 + e2 * e2, f = 1 / (1 - g2);
    cxx = (1 + g2 - 2 * e1) * f;
    cxy = -4 * e2 * f;
    cyy = (1 + g2 + 2 * e1) * f;
  }
  double r2(double dx, double dy) const { return cxx * dx * dx + cxy * dx * dy + cyy * dy * dy; }
};

/// A cell of the adaptive cubature: centre and half-widths [pixels].
struct Cell {
  double cx, cy, hx, hy;
};

/// One Genz & Malik (1980) degree-7 rule with its embedded degree-5 error estimate.
struct RuleResult {
  double value = 0;     ///< degree-7 estimate of the integral
  double error = 0;     ///< |degree 7 - degree 5|
  bool split_x = true;  ///< whether x has the larger fourth difference
};

/// Genz & Malik (1980) 17-point rule on a 2D cell (weights for dimension 2, as in cubature).
template <class F>
RuleResult genz_malik(const F& f, const Cell& c) {
  static const double l2 = std::sqrt(9.0 / 70), l4 = std::sqrt(9.0 / 10), l5 = std::sqrt(9.0 / 19);
  constexpr double w1 = -3816.0 / 19683, w2 = 980.0 / 6561, w3 = 1020.0 / 19683, w4 = 200.0 / 19683,
                   w5 = 6859.0 / 19683 / 4;
  constexpr double e1 = -971.0 / 729, e2 = 245.0 / 486, e3 = 65.0 / 1458, e4 = 25.0 / 729;
  const double f0 = f(c.cx, c.cy);
  const double x2 = f(c.cx - l2 * c.hx, c.cy) + f(c.cx + l2 * c.hx, c.cy);
  const double y2 = f(c.cx, c.cy - l2 * c.hy) + f(c.cx, c.cy + l2 * c.hy);
  const double x4 = f(c.cx - l4 * c.hx, c.cy) + f(c.cx + l4 * c.hx, c.cy);
  const double y4 = f(c.cx, c.cy - l4 * c.hy) + f(c.cx, c.cy + l4 * c.hy);
  double s4 = 0, s5 = 0;
  for (const double sx : {-1.0, 1.0}) {
    for (const double sy : {-1.0, 1.0}) {
      s4 += f(c.cx + sx * l4 * c.hx, c.cy + sy * l4 * c.hy);
      s5 += f(c.cx + sx * l5 * c.hx, c.cy + sy * l5 * c.hy);
    }
  }
  const double volume = 4 * c.hx * c.hy;
  const double s2 = x2 + y2, s3 = x4 + y4;
  RuleResult r;
  r.value = volume * (w1 * f0 + w2 * s2 + w3 * s3 + w4 * s4 + w5 * s5);
  r.error = std::abs(r.value - volume * (e1 * f0 + e2 * s2 + e3 * s3 + e4 * s4));
  const double ratio = (l2 * l2) / (l4 * l4);
  const double dx = std::abs(x2 - 2 * f0 - ratio * (x4 - 2 * f0));
  const double dy = std::abs(y2 - 2 * f0 - ratio * (y4 - 2 * f0));
  r.split_x = dx > dy || (dx == dy && c.hx >= c.hy);
  return r;
}

/// The two halves of a cell cut across x (split_x) or y.
std::array<Cell, 2> halves(const Cell& c, bool split_x) {
  const double hx = split_x ? c.hx / 2 : c.hx, hy = split_x ? c.hy : c.hy / 2;
  const double sx = split_x ? hx : 0, sy = split_x ? 0 : hy;
  return {Cell{c.cx - sx, c.cy - sy, hx, hy}, Cell{c.cx + sx, c.cy + sy, hx, hy}};
}

/// Globally adaptive cubature over one pixel (Genz & Malik 1980): bisect the cell with the
/// largest error estimate until the summed estimate is within max(kRelTol |value|, abs_tol).
template <class F>
double integrate_pixel(const F& f, const Cell& pixel, double abs_tol) {
  struct Piece {
    Cell cell;
    RuleResult rule;
    bool operator<(const Piece& o) const { return rule.error < o.rule.error; }
  };
  Piece first{pixel, genz_malik(f, pixel)};
  double value = first.rule.value, error = first.rule.error;
  if (error <= std::max(kRelTol * std::abs(value), abs_tol)) return value;
  std::priority_queue<Piece> pieces;
  pieces.push(first);
  while (error > std::max(kRelTol * std::abs(value), abs_tol) && pieces.size() < kMaxCells) {
    const Piece worst = pieces.top();
    pieces.pop();
    value -= worst.rule.value;
    error -= worst.rule.error;
    for (const Cell& half : halves(worst.cell, worst.rule.split_x)) {
      const Piece piece{half, genz_malik(f, half)};
      value += piece.rule.value;
      error += piece.rule.error;
      pieces.push(piece);
    }
  }
  return value;
}

using Point = std::array<double, 2>;

double cross(const Point& a, const Point& b) { return a[0] * b[1] - a[1] * b[0]; }

/// Area and integral of r^2 [pixel^2, pixel^4] over a region of the plane.
struct AreaMoment {
  double area = 0;
  double r2 = 0;
};

/// Signed area and integral of r^2 over the circle of radius R at the origin intersected with
/// the triangle (0, a, b): a sector has R^2 theta / 2 and R^4 theta / 4, a triangle (0, p, q) has
/// A and A (|p|^2 + |q|^2 + p.q) / 6.
AreaMoment circle_triangle(const Point& a, const Point& b, double radius) {
  AreaMoment m;
  const auto sector = [radius, &m](const Point& u, const Point& v) {
    const double theta = std::atan2(cross(u, v), u[0] * v[0] + u[1] * v[1]);
    m.area += 0.5 * radius * radius * theta;
    m.r2 += 0.25 * radius * radius * radius * radius * theta;
  };
  const Point d{b[0] - a[0], b[1] - a[1]};
  const double qa = d[0] * d[0] + d[1] * d[1];
  if (qa == 0) return m;
  const double qb = a[0] * d[0] + a[1] * d[1];
  const double disc = qb * qb - qa * (a[0] * a[0] + a[1] * a[1] - radius * radius);
  const double t1 = disc > 0 ? (-qb - std::sqrt(disc)) / qa : 1;
  const double t2 = disc > 0 ? (-qb + std::sqrt(disc)) / qa : 0;
  if (t2 <= 0 || t1 >= 1) {  // the edge lies outside the circle
    sector(a, b);
    return m;
  }
  const double s1 = std::max(t1, 0.0), s2 = std::min(t2, 1.0);
  const Point p{a[0] + s1 * d[0], a[1] + s1 * d[1]}, q{a[0] + s2 * d[0], a[1] + s2 * d[1]};
  sector(a, p);
  const double triangle = 0.5 * cross(p, q);
  m.area += triangle;
  m.r2 += triangle *
          (p[0] * p[0] + p[1] * p[1] + q[0] * q[0] + q[1] * q[1] + p[0] * q[0] + p[1] * q[1]) / 6;
  sector(q, b);
  return m;
}

/// Everything the per-pixel integration needs about one elliptical profile. Inside the
/// truncation radius the profile is split into f(s) - l(s), with l(s) = f(s_t) + f'(s_t) (s -
/// s_t) in s = r^2, which goes to 0 with its slope at s_t (smooth enough for cubature), plus
/// l(s), integrated exactly over the part of the pixel inside the truncation ellipse.
struct Renderer {
  const EllipticalProfile& p;
  Metric metric;
  std::array<double, 4> inverse_shear;  ///< S^-1 row-major: maps offsets to the circular frame
  double s_trunc = HUGE_VAL;            ///< truncation radius^2 [pixel^2]; infinity when none
  double f_trunc = 0;                   ///< intensity at s_trunc (0 when none)
  double slope_trunc = 0;               ///< d intensity / d r^2 at s_trunc (0 when none)
  double min_stretch;                   ///< sqrt((1 - |e|) / (1 + |e|)) <= r / |d|

  explicit Renderer(const EllipticalProfile& profile) : p(profile), metric(profile.e1, profile.e2) {
    const double g = std::hypot(p.e1, p.e2), s = 1 / std::sqrt(1 - g * g);
    inverse_shear = {(1 - p.e1) * s, -p.e2 * s, -p.e2 * s, (1 + p.e1) * s};
    min_stretch = std::sqrt((1 - g) / (1 + g));
    if (p.truncation_radius > 0) {
      s_trunc = p.truncation_radius * p.truncation_radius;
      f_trunc = p.intensity(s_trunc);
      const double h = 1e-4 * s_trunc;  // central difference, relative error ~1e-8
      slope_trunc = (p.intensity(s_trunc + h) - p.intensity(s_trunc - h)) / (2 * h);
    }
  }

  /// f(s) - l(s) inside the truncation, 0 beyond [flux / pixel^2] (s: circularised r^2).
  double smooth_of_s(double s) const {
    if (p.truncation_radius == 0) return p.intensity(s);
    return s < s_trunc ? p.intensity(s) - f_trunc - slope_trunc * (s - s_trunc) : 0.0;
  }

  /// The integral of l(s) over the part of pixel (ix, iy) inside the truncation [flux].
  double linear_part(int ix, int iy) const {
    if (p.truncation_radius == 0) return 0;
    AreaMoment inside;  // S^-1 keeps areas, so integrate over the mapped pixel in the circle
    std::array<Point, 4> corners{Point{0, 0}, Point{1, 0}, Point{1, 1}, Point{0, 1}};
    for (Point& c : corners) {
      const double dx = ix + c[0] - p.x0, dy = iy + c[1] - p.y0;
      c = {inverse_shear[0] * dx + inverse_shear[1] * dy,
           inverse_shear[2] * dx + inverse_shear[3] * dy};
    }
    for (int k = 0; k < 4; ++k) {
      const AreaMoment m = circle_triangle(corners[k], corners[(k + 1) % 4], p.truncation_radius);
      inside.area += m.area;
      inside.r2 += m.r2;
    }
    return (f_trunc - slope_trunc * s_trunc) * inside.area + slope_trunc * inside.r2;
  }

  /// The integral of the profile over pixel (ix, iy) [flux].
  double pixel(int ix, int iy) const {
    const double ddx = std::max({ix - p.x0, p.x0 - (ix + 1), 0.0});
    const double ddy = std::max({iy - p.y0, p.y0 - (iy + 1), 0.0});
    const double s_min = (ddx * ddx + ddy * ddy) * min_stretch * min_stretch;
    if (s_min >= s_trunc) return 0;
    const double abs_tol = kAbsTol * p.flux_scale;
    const Cell cell{ix + 0.5, iy + 0.5, 0.5, 0.5};
    const auto f = [this](double x, double y) {
      return smooth_of_s(metric.r2(x - p.x0, y - p.y0));
    };
    const double linear = linear_part(ix, iy);
    // For a non-increasing profile convex in r^2, smooth_of_s(s_min) bounds the pixel's part.
    if (smooth_of_s(s_min) <= abs_tol) return linear + f(cell.cx, cell.cy);
    return linear + integrate_pixel(f, cell, abs_tol);
  }

  /// Inclusive pixel range [lo, hi] along one axis touched by a support of half-width h.
  static std::pair<int, int> range(double centre, double h, int n) {
    const double lo = std::max(0.0, std::floor(centre - h));
    const double hi = std::min(n - 1.0, std::floor(centre + h));
    return {static_cast<int>(lo), static_cast<int>(hi)};
  }

  /// Adds the pixels of the truncation ellipse's bounding box (all pixels when untruncated).
  void add_to(Image& image) const {
    int x_lo = 0, x_hi = image.nx - 1, y_lo = 0, y_hi = image.ny - 1;
    if (p.truncation_radius > 0) {  // the bounding box of the truncation ellipse
      const double s = p.truncation_radius / std::sqrt(1 - p.e1 * p.e1 - p.e2 * p.e2);
      const double hx = s * std::hypot(1 + p.e1, p.e2), hy = s * std::hypot(1 - p.e1, p.e2);
      if (p.x0 + hx < 0 || p.x0 - hx > image.nx || p.y0 + hy < 0 || p.y0 - hy > image.ny) return;
      std::tie(x_lo, x_hi) = range(p.x0, hx, image.nx);
      std::tie(y_lo, y_hi) = range(p.y0, hy, image.ny);
    }
    for (int iy = y_lo; iy <= y_hi; ++iy) {
      for (int ix = x_lo; ix <= x_hi; ++ix) image.at(ix, iy) += pixel(ix, iy);
    }
  }
};

/// x^(1/(2n)), by square roots for the common n = 0.5, 1, 2 and 4.
double root_2n(double x, double n) {
  if (n == 0.5) return x;
  if (n == 1) return std::sqrt(x);
  if (n == 2) return std::sqrt(std::sqrt(x));
  if (n == 4) return std::sqrt(std::sqrt(std::sqrt(x)));
  return std::pow(x, 0.5 / n);
}

/// Central intensity I0 [flux / pixel^2] from L(<R) = I0 R_e^2 2 pi n Gamma(2n) P(2n, k
/// (R/R_e)^(1/n)) / k^(2n) (Graham & Driver 2005, eq. 2, with I0 = I_e e^k).
double central_intensity(const SersicProfile& p, double k) {
  const double t = p.truncation, re = p.half_light_radius;
  const double enclosed = t > 0 ? boost::math::gamma_p(2 * p.n, k * std::pow(t, 1 / p.n)) : 1.0;
  const double log_norm = std::log(2 * kPi * p.n * re * re * enclosed) +
                          boost::math::lgamma(2 * p.n) - 2 * p.n * std::log(k);
  return p.flux * std::exp(-log_norm);
}

}  // namespace

double Image::sum() const { return std::accumulate(values.begin(), values.end(), 0.0); }

Image Image::zeros(int nx, int ny) {
  if (nx < 1) invalid("Image nx", nx, "nx >= 1 [pixels]");
  if (ny < 1) invalid("Image ny", ny, "ny >= 1 [pixels]");
  Image image;
  image.nx = nx;
  image.ny = ny;
  image.values.assign(static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny), 0.0);
  return image;
}

double sersic_bn(double n) {
  if (!(n > 0) || !std::isfinite(n)) invalid("Sersic n", n, "a finite value > 0");
  return boost::math::gamma_p_inv(2 * n, 0.5);
}

double sersic_k(double n, double truncation) {
  const double bn = sersic_bn(n);
  if (truncation == 0) return bn;
  if (!(truncation >= 1.5) || !std::isfinite(truncation))
    invalid("Sersic truncation", truncation, "0 (untruncated) or >= 1.5 [R_e]");
  const double c = std::pow(truncation, 1 / n);
  const auto excess = [n, c](double x) {
    return boost::math::gamma_p(2 * n, x) - 0.5 * boost::math::gamma_p(2 * n, c * x);
  };
  if (excess(bn) <= 0) return bn;  // the truncation holds no measurable flux
  double lo = bn / 2;  // P(2n, x) / P(2n, c x) -> t^-2 < 1/2 as x -> 0: a sign change below
  for (int i = 0; i < 200 && excess(lo) >= 0; ++i) lo /= 2;
  std::uintmax_t iterations = 200;
  const auto root = boost::math::tools::toms748_solve(
      excess, lo, bn, boost::math::tools::eps_tolerance<double>(50), iterations);
  return 0.5 * (root.first + root.second);
}

double sersic_enclosed_fraction(const SersicProfile& p, double r_over_re) {
  check_sersic(p);
  if (!(r_over_re >= 0)) invalid("radius", r_over_re, "a value >= 0 [R_e]");
  const double k = sersic_k(p.n, p.truncation);
  if (p.truncation > 0 && r_over_re >= p.truncation) return 1;
  const double total =
      p.truncation > 0 ? boost::math::gamma_p(2 * p.n, k * std::pow(p.truncation, 1 / p.n)) : 1.0;
  return boost::math::gamma_p(2 * p.n, k * std::pow(r_over_re, 1 / p.n)) / total;
}

double sersic_intensity(const SersicProfile& p, double x, double y) {
  check_sersic(p);
  const double k = sersic_k(p.n, p.truncation), re = p.half_light_radius;
  const double r2 = Metric(p.e1, p.e2).r2(x - p.x0, y - p.y0) / (re * re);
  if (p.truncation > 0 && r2 >= p.truncation * p.truncation) return 0;
  return central_intensity(p, k) * std::exp(-k * root_2n(r2, p.n));
}

void add_sersic(Image& image, const SersicProfile& p) {
  check_sersic(p);
  if (p.flux == 0) return;
  const double k = sersic_k(p.n, p.truncation), i0 = central_intensity(p, k);
  const double inv_re2 = 1 / (p.half_light_radius * p.half_light_radius), n = p.n;
  EllipticalProfile profile;
  profile.intensity = [i0, k, inv_re2, n](double r2) {
    return i0 * std::exp(-k * root_2n(r2 * inv_re2, n));
  };
  profile.x0 = p.x0;
  profile.y0 = p.y0;
  profile.e1 = p.e1;
  profile.e2 = p.e2;
  profile.truncation_radius = p.truncation * p.half_light_radius;
  profile.flux_scale = p.flux;
  add_elliptical_profile(image, profile);
}

void add_bulge_disk(Image& image, const BulgeDisk& galaxy) {
  add_sersic(image, galaxy.bulge);
  add_sersic(image, galaxy.disk);
}

BulgeDisk make_bulge_disk(double flux, double bulge_to_total, double bulge_radius,
                          double disk_radius, double x0, double y0, double e1, double e2) {
  if (!(bulge_to_total >= 0 && bulge_to_total <= 1))
    invalid("bulge_to_total", bulge_to_total, "0 <= bulge_to_total <= 1");
  BulgeDisk g;
  g.bulge = {flux * bulge_to_total, bulge_radius, 4.0, e1, e2, x0, y0};
  g.disk = {flux * (1 - bulge_to_total), disk_radius, 1.0, e1, e2, x0, y0};
  check_sersic(g.bulge);
  check_sersic(g.disk);
  return g;
}

void add_point_source(Image& image, double flux, double x0, double y0) {
  if (!std::isfinite(flux)) invalid("point source flux", flux, "a finite value");
  if (!std::isfinite(x0)) invalid("point source x0", x0, "a finite value [pixels]");
  if (!std::isfinite(y0)) invalid("point source y0", y0, "a finite value [pixels]");
  const double fx = std::floor(x0 - 0.5), fy = std::floor(y0 - 0.5);
  const double wx = x0 - 0.5 - fx, wy = y0 - 0.5 - fy;  // weights of the right / upper pixels
  for (int dy = 0; dy <= 1; ++dy) {
    for (int dx = 0; dx <= 1; ++dx) {
      const double ix = fx + dx, iy = fy + dy;
      const double w = (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy);
      if (w == 0 || ix < 0 || iy < 0 || ix >= image.nx || iy >= image.ny) continue;
      image.at(static_cast<int>(ix), static_cast<int>(iy)) += flux * w;
    }
  }
}

void add_elliptical_profile(Image& image, const EllipticalProfile& profile) {
  if (image.values.size() != static_cast<std::size_t>(image.nx) * image.ny || image.nx < 1)
    invalid("Image size", static_cast<double>(image.values.size()), "nx * ny >= 1 values");
  if (!profile.intensity) throw std::invalid_argument("EllipticalProfile.intensity is empty");
  check_ellipticity("EllipticalProfile", profile.e1, profile.e2);
  if (!std::isfinite(profile.x0)) invalid("EllipticalProfile.x0", profile.x0, "a finite value");
  if (!std::isfinite(profile.y0)) invalid("EllipticalProfile.y0", profile.y0, "a finite value");
  if (!(profile.truncation_radius >= 0) || !std::isfinite(profile.truncation_radius))
    invalid("EllipticalProfile.truncation_radius", profile.truncation_radius,
            "0 (none) or a finite value > 0 [pixels]");
  if (!(profile.flux_scale > 0) || !std::isfinite(profile.flux_scale))
    invalid("EllipticalProfile.flux_scale", profile.flux_scale, "a finite value > 0");
  Renderer(profile).add_to(image);
}

}  // namespace cosmograd::surveys
