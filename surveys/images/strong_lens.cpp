// Galaxy-scale strong lensing: SIE + external shear deflection, convergence, magnification and
// ray shooting (conventions in strong_lens.hpp).
#include "surveys/images/strong_lens.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sim/core/units.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kRadToArcsec = 180.0 / kPi * 3600.0;
/// Below this sqrt(1 - q^2) the SIE deflection uses its Taylor series in e (error < 1e-16).
constexpr double kSmallEllipticity = 1e-4;

[[noreturn]] void bad(const std::string& field, double value, const std::string& allowed) {
  std::ostringstream msg;
  msg.precision(17);
  msg << field << " = " << value << ": " << allowed;
  throw std::invalid_argument(msg.str());
}

void require_positive_int(const std::string& field, int value) {
  if (value < 1) bad(field, value, "must be >= 1");
}

void require_positive(const std::string& field, double value) {
  if (!(value > 0.0 && std::isfinite(value))) bad(field, value, "must be finite and > 0");
}

/// atan(e u) / e, continuous at e -> 0.
double atan_over_e(double e, double u) {
  if (e < kSmallEllipticity) return u * (1.0 - (e * u) * (e * u) / 3.0);
  return std::atan(e * u) / e;
}

/// atanh(e y / psi) / e for psi = sqrt(q^2 x^2 + y^2), r = sqrt(x^2 + y^2). Since
/// 1 - e^2 y^2 / psi^2 = q^2 r^2 / psi^2 exactly, atanh(e |y| / psi) = ln((psi + e |y|) / (q r))
/// with no cancellation as q -> 0; the Taylor series covers e -> 0.
double atanh_over_e(double e, double q, double y, double psi, double r) {
  const double v = y / psi;
  if (e < kSmallEllipticity) return v * (1.0 + (e * v) * (e * v) / 3.0);
  return std::copysign(std::log((psi + e * std::abs(y)) / (q * r)), y) / e;
}

/// SIE-only deflection in the lens frame at (xp, yp) (major axis along xp), Keeton (2001) with
/// b = theta_e sqrt(q): alpha_x' = b / e atan(e x' / psi), alpha_y' = b / e atanh(e y' / psi),
/// e = sqrt(1 - q^2), psi = sqrt(q^2 x'^2 + y'^2) (Kormann et al. 1994).
std::array<double, 2> sie_deflection_lens_frame(double theta_e, double q, double xp, double yp) {
  const double r = std::hypot(xp, yp);
  if (r == 0.0) return {0.0, 0.0};
  const double e = std::sqrt((1.0 - q) * (1.0 + q));
  const double psi = std::hypot(q * xp, yp);
  const double b = theta_e * std::sqrt(q);
  return {b * atan_over_e(e, xp / psi), b * atanh_over_e(e, q, yp, psi, r)};
}

/// External-shear matrix entries (g cos 2phi, g sin 2phi).
std::array<double, 2> shear_components(const SieLens& lens) {
  const double two_phi = 2.0 * lens.phi_ext_deg * kDegToRad;
  return {lens.gamma_ext * std::cos(two_phi), lens.gamma_ext * std::sin(two_phi)};
}

/// Deflection without validation (the ray-shooting inner loop validates once).
std::array<double, 2> deflection_unchecked(const SieLens& lens, double x, double y) {
  const double dx = x - lens.x0;
  const double dy = y - lens.y0;
  const double c = std::cos(lens.phi_deg * kDegToRad);
  const double s = std::sin(lens.phi_deg * kDegToRad);
  const auto ap =
      sie_deflection_lens_frame(lens.theta_e, lens.q, c * dx + s * dy, -s * dx + c * dy);
  const auto [g1, g2] = shear_components(lens);
  return {c * ap[0] - s * ap[1] + g1 * dx + g2 * dy, s * ap[0] + c * ap[1] + g2 * dx - g1 * dy};
}

double convergence_unchecked(const SieLens& lens, double x, double y) {
  const double dx = x - lens.x0;
  const double dy = y - lens.y0;
  const double c = std::cos(lens.phi_deg * kDegToRad);
  const double s = std::sin(lens.phi_deg * kDegToRad);
  const double xp = c * dx + s * dy;
  const double yp = -s * dx + c * dy;
  const double m2 = lens.q * xp * xp + yp * yp / lens.q;
  if (m2 == 0.0) return std::numeric_limits<double>::infinity();
  return lens.theta_e / (2.0 * std::sqrt(m2));  // Kormann et al. 1994
}

/// Unit-flux circular Gaussian [flux/arcsec^2] of width sigma centred on (bx, by).
SourceProfile gaussian_source(double bx, double by, double sigma) {
  return [bx, by, sigma](double x, double y) {
    const double r2 = (x - bx) * (x - bx) + (y - by) * (y - by);
    return std::exp(-0.5 * r2 / (sigma * sigma)) / (2.0 * kPi * sigma * sigma);
  };
}

}  // namespace

void SieLens::validate() const {
  require_positive("SieLens.theta_e", theta_e);
  if (!(q > 0.0 && q <= 1.0)) bad("SieLens.q", q, "must be in (0, 1]");
  if (!std::isfinite(phi_deg)) bad("SieLens.phi_deg", phi_deg, "must be finite");
  if (!std::isfinite(x0)) bad("SieLens.x0", x0, "must be finite");
  if (!std::isfinite(y0)) bad("SieLens.y0", y0, "must be finite");
  if (!(gamma_ext >= 0.0 && gamma_ext < 1.0))
    bad("SieLens.gamma_ext", gamma_ext, "must be in [0, 1)");
  if (!std::isfinite(phi_ext_deg)) bad("SieLens.phi_ext_deg", phi_ext_deg, "must be finite");
}

std::array<double, 2> sie_deflection(const SieLens& lens, double x, double y) {
  lens.validate();
  return deflection_unchecked(lens, x, y);
}

double sie_convergence(const SieLens& lens, double x, double y) {
  lens.validate();
  return convergence_unchecked(lens, x, y);
}

double magnification(const SieLens& lens, double x, double y) {
  lens.validate();
  const double dx = x - lens.x0;
  const double dy = y - lens.y0;
  const double r2 = dx * dx + dy * dy;
  if (r2 == 0.0) return 0.0;
  // An isothermal potential is homogeneous of degree 1, so its Hessian annihilates the
  // position vector: H = 2 kappa t t^T with t = (-dy, dx) / r (Keeton 2001).
  const double two_kappa = 2.0 * convergence_unchecked(lens, x, y);
  const auto [g1, g2] = shear_components(lens);
  const double a11 = 1.0 - two_kappa * dy * dy / r2 - g1;
  const double a22 = 1.0 - two_kappa * dx * dx / r2 + g1;
  const double a12 = two_kappa * dx * dy / r2 - g2;
  return 1.0 / (a11 * a22 - a12 * a12);
}

double sis_einstein_radius_arcsec(double sigma_v_kms, double d_ls, double d_s) {
  if (!(sigma_v_kms >= 0.0 && std::isfinite(sigma_v_kms)))
    bad("sigma_v_kms", sigma_v_kms, "must be finite and >= 0 [km/s]");
  require_positive("d_s", d_s);
  if (!(d_ls >= 0.0 && d_ls <= d_s)) bad("d_ls", d_ls, "must be in [0, d_s]");
  const double beta_v = sigma_v_kms / sim::units::c_km_s;
  return 4.0 * kPi * beta_v * beta_v * (d_ls / d_s) * kRadToArcsec;  // Treu 2010; Kochanek 2004
}

std::vector<double> ray_shoot(const SieLens& lens, const SourceProfile& source, int nx, int ny,
                              double pixel_scale_arcsec, int sub) {
  lens.validate();
  if (!source) throw std::invalid_argument("source is empty: give a surface-brightness callable");
  require_positive_int("nx", nx);
  require_positive_int("ny", ny);
  require_positive("pixel_scale_arcsec", pixel_scale_arcsec);
  require_positive_int("sub", sub);
  const double weight = pixel_scale_arcsec * pixel_scale_arcsec / (double(sub) * sub);
  std::vector<double> image(static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny), 0.0);
  for (int iy = 0; iy < ny; ++iy) {
    for (int ix = 0; ix < nx; ++ix) {
      double sum = 0.0;
      for (int jy = 0; jy < sub; ++jy) {
        const double y = (iy - 0.5 * ny + (jy + 0.5) / sub) * pixel_scale_arcsec;
        for (int jx = 0; jx < sub; ++jx) {
          const double x = (ix - 0.5 * nx + (jx + 0.5) / sub) * pixel_scale_arcsec;
          const auto alpha = deflection_unchecked(lens, x, y);
          sum += source(x - alpha[0], y - alpha[1]);  // lens equation beta = theta - alpha
        }
      }
      image[static_cast<std::size_t>(iy) * nx + ix] = sum * weight;
    }
  }
  return image;
}

double compact_source_magnification(const SieLens& lens, double beta_x, double beta_y,
                                    double sigma_arcsec, int n_pix, double pixel_scale_arcsec,
                                    int sub) {
  if (!std::isfinite(beta_x)) bad("beta_x", beta_x, "must be finite");
  if (!std::isfinite(beta_y)) bad("beta_y", beta_y, "must be finite");
  require_positive("sigma_arcsec", sigma_arcsec);
  require_positive_int("n_pix", n_pix);
  const auto image = ray_shoot(lens, gaussian_source(beta_x, beta_y, sigma_arcsec), n_pix, n_pix,
                               pixel_scale_arcsec, sub);
  double flux = 0.0;
  for (double f : image) flux += f;
  return flux;  // the unlensed source has unit flux
}

std::vector<std::array<double, 2>> sis_image_positions(double theta_e, double beta_x,
                                                       double beta_y) {
  require_positive("theta_e", theta_e);
  if (!std::isfinite(beta_x)) bad("beta_x", beta_x, "must be finite");
  if (!std::isfinite(beta_y)) bad("beta_y", beta_y, "must be finite");
  const double beta = std::hypot(beta_x, beta_y);
  if (beta == 0.0) return {};
  const double ux = beta_x / beta;
  const double uy = beta_y / beta;
  // SIS lens equation along the source direction: beta = theta - theta_e sign(theta).
  std::vector<std::array<double, 2>> out{{ux * (beta + theta_e), uy * (beta + theta_e)}};
  if (beta < theta_e) out.push_back({ux * (beta - theta_e), uy * (beta - theta_e)});
  return out;
}

double sis_total_magnification(double theta_e, double beta) {
  require_positive("theta_e", theta_e);
  if (!(beta >= 0.0 && std::isfinite(beta))) bad("beta", beta, "must be finite and >= 0");
  if (beta == 0.0) return std::numeric_limits<double>::infinity();
  // mu+- = 1 +- theta_e / beta (Schneider, Ehlers & Falco 1992).
  return beta < theta_e ? 2.0 * theta_e / beta : 1.0 + theta_e / beta;
}

}  // namespace cosmograd::surveys
