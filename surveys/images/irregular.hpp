// Galaxies with irregular structure for training images: a Sersic n = 4 bulge, an exponential
// disk whose light is modulated by m-armed logarithmic spiral arms, and star-forming knots
// (circular Gaussian clumps, GalSim's RandomKnots idea: Zhang et al. 2018, ApJ 866, L18).
//
// The disk's surface brightness, in its own (unsheared, circular) frame (r, phi) [pixels, rad]:
//   I(r, phi) = I_exp(r) max(0, 1 + A cos(m (phi - phi0) - (m / tan(p)) ln(r / r_s)))
// with I_exp the exponential (Sersic n = 1) profile of half-light radius R_e truncated at
// 8 R_e (kSersicDefaultTruncation), r_s = R_e / k its scale length (k = sersic_k(1, 8) ~ 1.678),
// A the arm amplitude, m the number of arms, p the pitch angle and phi0 the arms' phase: the
// arms' crests lie on the logarithmic spirals ln(r / r_s) = tan(p) (phi - phi0 - 2 pi j / m),
// whose tangent makes the angle p with the circle (Binney & Tremaine 2008, Galactic Dynamics,
// section 6.1: the shape function m cot(p) ln r of a logarithmic spiral; pitch angles of 10-30 deg
// as measured by Kennicutt 1981, AJ 86, 1847). phi is measured from +x towards +y; the disk frame
// maps to the image by the area-preserving shear of sersic.hpp, so (r, phi) are the circularised
// radius and the angle in the frame where the disk is round.
//
// Flux: a galaxy of total flux F puts F f_k in its knots (each an equal share), and the rest
// (1 - f_k) F in the bulge (bulge_fraction of it) and the disk. For A <= 1 the modulation
// integrates to zero over phi at every r, but its pixel sampling does not, so the disk is
// normalised numerically: it is point-sampled on a canvas of whole pixels holding its entire
// truncation ellipse (5 x 5 samples per pixel, 20 x 20 within 2.5 pixels of the centre, where
// the cusp and the ever tighter winding of the arms sit) and scaled so that the canvas sums to
// the disk's flux, as surveys/batched/batched_render.hpp normalises its profiles; then the
// canvas pixels that fall on the image are added. The bulge is add_sersic's exact pixel
// integral, each knot the exact pixel integral of its Gaussian (erf differences), so a galaxy
// inside the image sums to F to rounding and one crossing the edge loses the flux beyond it.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "surveys/images/morphology.hpp"
#include "surveys/images/sersic.hpp"

namespace cosmograd::surveys {

/// One galaxy with bulge, spiral-armed disk and knots (see above).
struct IrregularGalaxy {
  double flux = 1;            ///< total flux [flux units], finite, >= 0
  double bulge_fraction = 0;  ///< bulge share of the non-knot flux, in [0, 1]
  double bulge_radius = 1;    ///< bulge (n = 4) circularised half-light radius [pixels], > 0
  double disk_radius = 2;     ///< disk (n = 1) circularised half-light radius R_e [pixels], > 0
  double x0 = 0;              ///< centre [pixels, image pixel coordinates]
  double y0 = 0;              ///< centre [pixels, image pixel coordinates]
  double e1 = 0;              ///< ellipticity of bulge and disk along x, |e| < 1 (sersic.hpp)
  double e2 = 0;              ///< ellipticity of bulge and disk along the diagonal, |e| < 1
  int arms = 0;               ///< number of spiral arms m, in [0, 8] (0: a plain disk)
  double arm_amplitude = 0;   ///< modulation amplitude A, in [0, 2] (above 1 clipped at 0)
  double pitch_deg = 20;      ///< pitch angle p [deg], in [1, 89]
  double arm_phase_deg = 0;   ///< phase phi0 of the arms [deg], finite
  double knot_fraction = 0;   ///< share f_k of the flux in knots, in [0, 1); 0 without knots
  /// Knots: (x, y, sigma) [pixels]: offsets from (x0, y0) in the image frame and the Gaussian
  /// sigma (> 0); each carries flux knot_fraction / knots.size().
  std::vector<std::array<double, 3>> knots;

  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// Adds the pixel-integrated galaxy g to image (validated first; flux off the image is lost).
void add_irregular_galaxy(Image& image, const IrregularGalaxy& g);

/// The disk's modulation max(0, 1 + A cos(m (phi - phi0) - (m / tan p) ln(r / r_s))) at the
/// point (x, y) [pixels, image coordinates] (1 at the centre and without arms).
double spiral_modulation(const IrregularGalaxy& g, double x, double y);

/// A unit-flux irregular galaxy at (x0, y0) [pixels] from a morphology (radii: disk R_e =
/// m.re_arcsec / pixel_scale_arcsec, at least 0.1 pixel, bulge half that; bulge fraction and
/// ellipticity from m). Star-forming galaxies get m = 2 arms (probability 0.7), 3 (0.15) or 4
/// (0.15) with A ~ U(0.3, 0.9), pitch ~ U(10, 30) deg, a uniform phase, and Poisson(8) knots
/// carrying f_k ~ U(0.05, 0.3) of the flux; quenched galaxies get no arms and, with probability
/// 0.2, Poisson(2) faint knots with f_k ~ U(0.01, 0.05) (f_k = 0 when no knot is drawn). Knot
/// sigmas are U(0.1, 0.25) R_e; their radii in the disk frame follow the exponential disk's
/// light, r ~ Gamma(2, r_s) redrawn beyond 4 R_e, and their angles the arms' modulation
/// (rejection sampling), then are sheared into the image frame. Draws keyed by (seed,
/// galaxy_id) on the stream MockStream::kGalaxyStructure.
IrregularGalaxy draw_irregular_galaxy(const Morphology& m, double pixel_scale_arcsec, double x0,
                                      double y0, bool quenched, std::uint64_t seed,
                                      std::uint64_t galaxy_id);

}  // namespace cosmograd::surveys
