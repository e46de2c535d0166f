#include "surveys/images/irregular.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

/// The area-preserving shear S = [[1 + e1, e2], [e2, 1 - e1]] / sqrt(1 - |e|^2) of sersic.hpp
/// (disk frame -> image frame) and its inverse.
struct Shear {
  double s11, s12, s22;  ///< S (symmetric)
  double i11, i12, i22;  ///< S^-1 = [[1 - e1, -e2], [-e2, 1 + e1]] / sqrt(1 - |e|^2)
  Shear(double e1, double e2) {
    const double s = std::sqrt(1.0 - e1 * e1 - e2 * e2);
    s11 = (1 + e1) / s;
    s12 = e2 / s;
    s22 = (1 - e1) / s;
    i11 = (1 - e1) / s;
    i12 = -e2 / s;
    i22 = (1 + e1) / s;
  }
};

/// The spiral-modulated exponential disk in its own frame: unnormalised intensity at an offset
/// (dx, dy) [pixels] from the centre in the image frame.
struct SpiralDisk {
  Shear shear;
  double inv_rs;     ///< 1 / r_s [1/pixel]
  double r_trunc2;   ///< (8 R_e)^2 [pixel^2]
  int m;             ///< arms
  double amplitude;  ///< A
  double phi0;       ///< [rad]
  double winding;    ///< m / tan(pitch)
  bool plain;        ///< no modulation

  explicit SpiralDisk(const IrregularGalaxy& g)
      : shear(g.e1, g.e2),
        inv_rs(sersic_k(1.0, kSersicDefaultTruncation) / g.disk_radius),
        r_trunc2(std::pow(kSersicDefaultTruncation * g.disk_radius, 2)),
        m(g.arms),
        amplitude(g.arm_amplitude),
        phi0(g.arm_phase_deg * kDeg),
        winding(g.arms / std::tan(g.pitch_deg * kDeg)),
        plain(g.arms == 0 || g.arm_amplitude == 0) {}

  /// The modulation max(0, 1 + A cos(m (phi - phi0) - winding ln(r / r_s))) at the disk-frame
  /// point (u, v) [pixels].
  double modulation(double u, double v) const {
    if (plain || (u == 0 && v == 0)) return 1.0;
    const double r = std::hypot(u, v);
    const double phase = m * (std::atan2(v, u) - phi0) - winding * std::log(r * inv_rs);
    return std::max(0.0, 1.0 + amplitude * std::cos(phase));
  }

  /// Unnormalised surface brightness at the image-frame offset (dx, dy) [pixels].
  double operator()(double dx, double dy) const {
    const double u = shear.i11 * dx + shear.i12 * dy, v = shear.i12 * dx + shear.i22 * dy;
    const double r2 = u * u + v * v;
    if (r2 >= r_trunc2) return 0.0;
    return std::exp(-std::sqrt(r2) * inv_rs) * modulation(u, v);
  }
};

/// Adds the spiral disk of g with total flux `flux` (see irregular.hpp: sampled on a canvas
/// holding its whole truncation ellipse and normalised there).
void add_spiral_disk(Image& image, const IrregularGalaxy& g, double flux) {
  const SpiralDisk disk(g);
  const Shear& s = disk.shear;
  const double rt = kSersicDefaultTruncation * g.disk_radius;
  // Half-widths of the truncation ellipse {S w : |w| <= rt} along x and y.
  const double hx = rt * std::hypot(s.s11, s.s12), hy = rt * std::hypot(s.s12, s.s22);
  const int x_lo = static_cast<int>(std::floor(g.x0 - hx)),
            x_hi = static_cast<int>(std::floor(g.x0 + hx));
  const int y_lo = static_cast<int>(std::floor(g.y0 - hy)),
            y_hi = static_cast<int>(std::floor(g.y0 + hy));
  const int cw = x_hi - x_lo + 1, ch = y_hi - y_lo + 1;
  std::vector<double> canvas(static_cast<std::size_t>(cw) * ch, 0.0);
  constexpr int kCoarse = 5, kFine = 20;
  constexpr double kFineRadius = 2.5;  // [pixels] from the centre to a pixel's centre
  double total = 0;
  for (int cy = 0; cy < ch; ++cy) {
    const int iy = y_lo + cy;
    for (int cx = 0; cx < cw; ++cx) {
      const int ix = x_lo + cx;
      const double px = ix + 0.5 - g.x0, py = iy + 0.5 - g.y0;
      const int n = px * px + py * py <= kFineRadius * kFineRadius ? kFine : kCoarse;
      const double step = 1.0 / n;
      double sum = 0;
      for (int j = 0; j < n; ++j) {
        const double dy = iy + (j + 0.5) * step - g.y0;
        for (int i = 0; i < n; ++i) sum += disk(ix + (i + 0.5) * step - g.x0, dy);
      }
      const double value = sum * step * step;  // mean over the pixel (pixel area 1)
      canvas[static_cast<std::size_t>(cy) * cw + cx] = value;
      total += value;
    }
  }
  if (!(total > 0))
    throw std::invalid_argument("irregular galaxy: the disk sampled to " + std::to_string(total) +
                                " (disk_radius too small for its arms?)");
  const double scale = flux / total;
  for (int cy = std::max(0, -y_lo); cy < ch && y_lo + cy < image.ny; ++cy)
    for (int cx = std::max(0, -x_lo); cx < cw && x_lo + cx < image.nx; ++cx)
      image.at(x_lo + cx, y_lo + cy) += scale * canvas[static_cast<std::size_t>(cy) * cw + cx];
}

/// The share of a unit Gaussian (centre c, sigma) in each pixel [lo, lo + n) along one axis.
std::vector<double> gaussian_shares(double c, double sigma, int lo, int n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  const double k = 1.0 / (std::sqrt(2.0) * sigma);
  double below = std::erf((lo - c) * k);
  for (int i = 0; i < n; ++i) {
    const double above = std::erf((lo + i + 1 - c) * k);
    out[static_cast<std::size_t>(i)] = 0.5 * (above - below);
    below = above;
  }
  return out;
}

/// Adds a circular Gaussian of flux `flux`, centre (xc, yc) and sigma [pixels], integrated over
/// each pixel exactly (erf differences, out to 10 sigma).
void add_gaussian(Image& image, double flux, double xc, double yc, double sigma) {
  const double reach = 10.0 * sigma + 1.0;
  const int x_lo = std::max(0, static_cast<int>(std::floor(xc - reach)));
  const int x_hi = std::min(image.nx - 1, static_cast<int>(std::floor(xc + reach)));
  const int y_lo = std::max(0, static_cast<int>(std::floor(yc - reach)));
  const int y_hi = std::min(image.ny - 1, static_cast<int>(std::floor(yc + reach)));
  if (x_lo > x_hi || y_lo > y_hi) return;
  const auto fx = gaussian_shares(xc, sigma, x_lo, x_hi - x_lo + 1);
  const auto fy = gaussian_shares(yc, sigma, y_lo, y_hi - y_lo + 1);
  for (int iy = y_lo; iy <= y_hi; ++iy)
    for (int ix = x_lo; ix <= x_hi; ++ix)
      image.at(ix, iy) +=
          flux * fx[static_cast<std::size_t>(ix - x_lo)] * fy[static_cast<std::size_t>(iy - y_lo)];
}

}  // namespace

void IrregularGalaxy::validate() const {
  sim::require(std::isfinite(flux) && flux >= 0, "flux", flux, "finite and >= 0 [flux units]");
  sim::require(bulge_fraction >= 0 && bulge_fraction <= 1, "bulge_fraction", bulge_fraction,
               "in [0, 1]");
  sim::require(sim::positive(bulge_radius), "bulge_radius", bulge_radius, "> 0 [pixels]");
  sim::require(sim::positive(disk_radius), "disk_radius", disk_radius, "> 0 [pixels]");
  sim::require(std::isfinite(x0), "x0", x0, "finite [pixels]");
  sim::require(std::isfinite(y0), "y0", y0, "finite [pixels]");
  sim::require(std::isfinite(e1), "e1", e1, "finite with e1^2 + e2^2 < 1");
  sim::require(std::isfinite(e2), "e2", e2, "finite with e1^2 + e2^2 < 1");
  sim::require(std::hypot(e1, e2) < 1, "|e| = |(e1, e2)|", std::hypot(e1, e2), "< 1");
  sim::require(arms >= 0 && arms <= 8, "arms", arms, "in [0, 8]");
  sim::require(arm_amplitude >= 0 && arm_amplitude <= 2, "arm_amplitude", arm_amplitude,
               "in [0, 2]");
  sim::require(pitch_deg >= 1 && pitch_deg <= 89, "pitch_deg", pitch_deg, "in [1, 89] [deg]");
  sim::require(std::isfinite(arm_phase_deg), "arm_phase_deg", arm_phase_deg, "finite [deg]");
  sim::require(knot_fraction >= 0 && knot_fraction < 1, "knot_fraction", knot_fraction,
               "in [0, 1)");
  sim::require(knot_fraction == 0 || !knots.empty(), "knot_fraction", knot_fraction,
               "0 when there are no knots");
  for (std::size_t k = 0; k < knots.size(); ++k) {
    const std::string at = "knots[" + std::to_string(k) + "]";
    sim::require(std::isfinite(knots[k][0]), at + ".x", knots[k][0], "finite [pixels]");
    sim::require(std::isfinite(knots[k][1]), at + ".y", knots[k][1], "finite [pixels]");
    sim::require(sim::positive(knots[k][2]), at + ".sigma", knots[k][2], "> 0 [pixels]");
  }
}

double spiral_modulation(const IrregularGalaxy& g, double x, double y) {
  g.validate();
  const SpiralDisk disk(g);
  const double dx = x - g.x0, dy = y - g.y0;
  return disk.modulation(disk.shear.i11 * dx + disk.shear.i12 * dy,
                         disk.shear.i12 * dx + disk.shear.i22 * dy);
}

void add_irregular_galaxy(Image& image, const IrregularGalaxy& g) {
  g.validate();
  if (g.flux == 0) return;
  const double smooth = g.flux * (1.0 - g.knot_fraction);
  if (g.bulge_fraction > 0) {
    SersicProfile bulge;
    bulge.flux = smooth * g.bulge_fraction;
    bulge.half_light_radius = g.bulge_radius;
    bulge.n = 4.0;
    bulge.e1 = g.e1;
    bulge.e2 = g.e2;
    bulge.x0 = g.x0;
    bulge.y0 = g.y0;
    add_sersic(image, bulge);
  }
  if (g.bulge_fraction < 1) add_spiral_disk(image, g, smooth * (1.0 - g.bulge_fraction));
  if (g.knot_fraction > 0) {
    const double each = g.flux * g.knot_fraction / static_cast<double>(g.knots.size());
    for (const auto& k : g.knots) add_gaussian(image, each, g.x0 + k[0], g.y0 + k[1], k[2]);
  }
}

IrregularGalaxy draw_irregular_galaxy(const Morphology& m, double pixel_scale_arcsec, double x0,
                                      double y0, bool quenched, std::uint64_t seed,
                                      std::uint64_t galaxy_id) {
  sim::require(sim::positive(pixel_scale_arcsec), "pixel_scale", pixel_scale_arcsec,
               "> 0 [arcsec]");
  sim::require(sim::positive(m.re_arcsec), "re_arcsec", m.re_arcsec, "> 0 [arcsec]");
  MockRng rng(seed, MockStream::kGalaxyStructure, galaxy_id);
  IrregularGalaxy g;
  g.flux = 1.0;
  g.bulge_fraction = m.bulge_fraction;
  g.disk_radius = std::max(0.1, m.re_arcsec / pixel_scale_arcsec);
  g.bulge_radius = 0.5 * g.disk_radius;
  g.x0 = x0;
  g.y0 = y0;
  g.e1 = m.e1;
  g.e2 = m.e2;
  std::int64_t knots = 0;
  if (!quenched) {
    const double u = rng.uniform();
    g.arms = u < 0.7 ? 2 : (u < 0.85 ? 3 : 4);
    g.arm_amplitude = 0.3 + 0.6 * rng.uniform();
    g.pitch_deg = 10.0 + 20.0 * rng.uniform();
    g.arm_phase_deg = 360.0 * rng.uniform();
    knots = rng.poisson(8.0);
    g.knot_fraction = 0.05 + 0.25 * rng.uniform();
  } else if (rng.uniform() < 0.2) {
    knots = rng.poisson(2.0);
    g.knot_fraction = 0.01 + 0.04 * rng.uniform();
  }
  const double knot_fraction = knots > 0 ? g.knot_fraction : 0.0;
  g.knot_fraction = 0;  // set once the knots are there
  g.validate();
  // Knots follow the disk's light: r ~ Gamma(2, r_s) (the radial distribution r exp(-r / r_s)
  // of an exponential disk), kept inside 4 R_e; angles by rejection against the arms.
  const SpiralDisk disk(g);
  const double rs = 1.0 / disk.inv_rs, r_max = 4.0 * g.disk_radius;
  for (std::int64_t k = 0; k < knots; ++k) {
    double r = 0;
    for (int tries = 0; tries < 1000; ++tries) {
      r = rs * (rng.exponential() + rng.exponential());
      if (r <= r_max) break;
    }
    r = std::min(r, r_max);
    double phi = 0;
    for (int tries = 0; tries < 1000; ++tries) {
      phi = 2.0 * kPi * rng.uniform();
      const double accept =
          disk.modulation(r * std::cos(phi), r * std::sin(phi)) / (1.0 + disk.amplitude);
      if (rng.uniform() <= accept) break;
    }
    const double u = r * std::cos(phi), v = r * std::sin(phi);
    const double sigma = (0.1 + 0.15 * rng.uniform()) * g.disk_radius;
    g.knots.push_back(
        {disk.shear.s11 * u + disk.shear.s12 * v, disk.shear.s12 * u + disk.shear.s22 * v, sigma});
  }
  g.knot_fraction = knot_fraction;
  return g;
}

}  // namespace cosmograd::surveys
