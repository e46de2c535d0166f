// Galaxy-scale strong lensing: the singular isothermal ellipsoid (SIE) plus external shear,
// magnification, and ray-shooting a source surface brightness through the lens.
//
// Angles are on the sky in arcsec; the image layer converts to pixels with a pixel scale.
//
// SIE normalisation (Kormann, Schneider & Bartelmann 1994, A&A 284, 285): in the lens frame
// (x' along the major axis),
//   kappa(x', y') = theta_e / (2 sqrt(q x'^2 + y'^2 / q)),
// so the kappa = 1/2 contour is the ellipse of semi-axes theta_e / sqrt(q) (major) and
// theta_e sqrt(q) (minor): theta_e is their geometric mean (the "intermediate-axis" Einstein
// radius; also Schneider, Kochanek & Wambsganss 2006), the mean convergence inside that ellipse
// is 1, and for a fixed velocity dispersion theta_e = 4 pi (sigma/c)^2 D_ls/D_s whatever q is. For
// q = 1 the lens is the singular isothermal sphere (SIS) of Einstein radius theta_e. In Keeton's
// (2001, astro-ph/0102341, "A catalog of mass models") notation kappa = b / (2 sqrt(q^2 x'^2 +
// y'^2)) with b = theta_e sqrt(q).
//
// External shear (Keeton, Kochanek & Seljak 1997, ApJ 482, 604): potential
// psi = (g/2)(cos 2phi (dx^2 - dy^2) + 2 sin 2phi dx dy), i.e. alpha_ext = Gamma (dx, dy) with
// Gamma = [[g cos 2phi, g sin 2phi], [g sin 2phi, -g cos 2phi]] and (dx, dy) measured from the
// lens centre (x0, y0).
#pragma once

#include <array>
#include <functional>
#include <vector>

namespace cosmograd::surveys {

/// A singular isothermal ellipsoid plus external shear; angles in arcsec.
struct SieLens {
  double theta_e = 1.0;      ///< Einstein radius [arcsec] (> 0): intermediate-axis (see above)
  double q = 1.0;            ///< axis ratio of the projected mass (0 < q <= 1)
  double phi_deg = 0.0;      ///< position angle of the major axis [deg], from +x towards +y
  double x0 = 0.0;           ///< centre x [arcsec]
  double y0 = 0.0;           ///< centre y [arcsec]
  double gamma_ext = 0.0;    ///< external shear amplitude (>= 0, < 1)
  double phi_ext_deg = 0.0;  ///< external shear angle [deg], from +x towards +y
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// Source surface brightness [flux/arcsec^2] at source-plane position (beta_x, beta_y) [arcsec].
using SourceProfile = std::function<double(double beta_x, double beta_y)>;

/// Deflection (alpha_x, alpha_y) [arcsec] of the SIE + external shear at image-plane position
/// (x, y) [arcsec] (Kormann et al. 1994; Keeton 2001; smooth as q -> 1; the
/// SIE part is 0 at the exact centre).
std::array<double, 2> sie_deflection(const SieLens& lens, double x, double y);

/// Convergence kappa (dimensionless) of the SIE at (x, y) [arcsec]; +infinity at the centre.
double sie_convergence(const SieLens& lens, double x, double y);

/// Signed magnification 1 / det(A) at (x, y) [arcsec], A = I - d alpha / d theta from the
/// analytic Hessian of the SIE (2 kappa t t^T, t the unit tangential vector) plus the shear;
/// negative for parity-flipped images, +-infinity on critical curves, 0 at the centre.
double magnification(const SieLens& lens, double x, double y);

/// Einstein radius [arcsec] of an SIS of velocity dispersion sigma_v_kms [km/s] (>= 0) for
/// angular-diameter distances d_ls, d_s (any common unit; d_s > 0, 0 <= d_ls <= d_s):
/// theta_E = 4 pi (sigma/c)^2 D_ls / D_s rad (Kochanek 2004, Saas-Fee; Treu 2010, ARA&A 48, 87).
double sis_einstein_radius_arcsec(double sigma_v_kms, double d_ls, double d_s);

/// Ray-shot image of `source` through `lens`: nx * ny values [flux per pixel], row-major
/// (index iy * nx + ix), pixel (ix, iy) centred at x = (ix + 0.5 - nx/2) pixel_scale_arcsec,
/// y = (iy + 0.5 - ny/2) pixel_scale_arcsec; each pixel is the mean of source(theta -
/// alpha(theta)) over a sub x sub grid of sub-pixel centres, times the pixel area [arcsec^2].
std::vector<double> ray_shoot(const SieLens& lens, const SourceProfile& source, int nx, int ny,
                              double pixel_scale_arcsec, int sub);

/// Total magnification of a compact source at (beta_x, beta_y) [arcsec]: the ray-shot flux of a
/// unit-flux circular Gaussian of width sigma_arcsec on an n_pix x n_pix grid of
/// pixel_scale_arcsec centred on (0, 0) (it must cover every image), sub x sub rays per pixel.
double compact_source_magnification(const SieLens& lens, double beta_x, double beta_y,
                                    double sigma_arcsec, int n_pix, double pixel_scale_arcsec,
                                    int sub);

/// Image positions [arcsec] of a point source at (beta_x, beta_y) [arcsec] behind an SIS of
/// Einstein radius theta_e [arcsec] at the origin: theta = beta_hat (|beta| + theta_e) and, when
/// |beta| < theta_e, beta_hat (|beta| - theta_e) (on the opposite side); empty for beta = 0
/// (an Einstein ring).
std::vector<std::array<double, 2>> sis_image_positions(double theta_e, double beta_x,
                                                       double beta_y);

/// Total (unsigned) point-source magnification behind an SIS at source offset beta [arcsec]
/// (>= 0): 2 theta_e / beta for beta < theta_e (mu+- = 1 +- theta_e / beta), else
/// 1 + theta_e / beta (one image); +infinity at beta = 0 (Schneider, Ehlers & Falco 1992).
double sis_total_magnification(double theta_e, double beta);

}  // namespace cosmograd::surveys
