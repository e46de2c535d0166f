#include "surveys/mocks/sed.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "surveys/mocks/filters.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kC = 2.99792458e18;                    // speed of light [Angstrom/s]
constexpr double kCkms = 299792.458;                    // speed of light [km/s]
constexpr double kHcOverK = 1.438777e8;                 // h c / k_B [Angstrom K]
constexpr double kPc = 3.0856775814913673e18;           // parsec [cm]
constexpr double kRv = 4.05;                            // Calzetti et al. 2000, eq. 5
constexpr double kLymanLimit = 911.75;                  // [Angstrom]
constexpr double kLineSigmaKms = 100.0;                 // Gaussian line width [km/s]
constexpr double kGridMin = 500.0, kGridMax = 25000.0;  // rest-frame grid [Angstrom]
constexpr int kGridPoints = 1200;

std::string num(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

void require(bool ok, const std::string& field, double value, const std::string& allowed) {
  if (!ok)
    throw std::invalid_argument("SedParams: " + field + " = " + num(value) + " (must be " +
                                allowed + ")");
}

/// L_nu [erg/s/Hz] per solar V-band luminosity at 5500 A: M_V,sun = 4.81 AB (Willmer 2018,
/// ApJS 236, 47), L_nu = 4 pi (10 pc)^2 3631 Jy 10^(-0.4 M).
double lnu_per_lsun_v() {
  return 4.0 * M_PI * 100.0 * kPc * kPc * 3631e-23 * std::pow(10.0, -0.4 * 4.81);
}

/// Black-body B_nu shape at wavelength lam [Angstrom], temperature t [K], equal to 1 at 5500 A.
double black_body_nu(double lam, double t) {
  const double x = kHcOverK / (lam * t);
  if (x > 600.0) return 0.0;
  return std::pow(5500.0 / lam, 3.0) * std::expm1(kHcOverK / (5500.0 * t)) / std::expm1(x);
}

/// The evolved population's f_nu: turn-off stars plus red giants as two black bodies (the
/// classic decomposition of old populations' light, Renzini & Buzzoni 1986), times a 4000 A
/// break step; normalised by mass through M/L_V.
class OldPopulation {
 public:
  explicit OldPopulation(const SedParams& p) {
    // M/L_V grows as the population fades, L_V ~ t^-0.8 at fixed mass (Tinsley 1980; Bruzual &
    // Charlot 2003, MNRAS 344, 1000), ~3 for a 10 Gyr old Chabrier population.
    const double ml_v = 3.0 * std::pow(p.age_gyr / 10.0, 0.8);
    lnu_5500_ = p.stellar_mass / ml_v * lnu_per_lsun_v();
    // Main-sequence turn-off temperature: ~12000 K (late B) at 0.1 Gyr to ~6000 K (G0) at
    // 10 Gyr (solar-metallicity isochrones, Girardi et al. 2000, A&AS 141, 371); red giants ~3800
    // K.
    t_turnoff_ = 6000.0 * std::pow(p.age_gyr / 10.0, -0.15);
    // Turn-off (main-sequence) share of V light: ~0.85 when young to ~0.45 when old (Renzini &
    // Buzzoni 1986).
    turnoff_share_ = std::clamp(0.45 + 0.2 * std::log10(10.0 / p.age_gyr), 0.35, 0.9);
    // Dn4000 ~ 1.1 at 0.1 Gyr rising to ~1.9 at 10 Gyr, stronger at higher Z (Kauffmann et al.
    // 2003, MNRAS 341, 33, Fig. 2; Bruzual & Charlot 2003).
    const double target =
        1.0 + (0.1 + 0.4 * std::log10(p.age_gyr / 0.1)) * std::pow(p.metallicity / 0.02, 0.2);
    break_step_ = std::max(1.0, target / d4000_without_break());
  }

  /// L_nu [erg/s/Hz] at rest wavelength lam [Angstrom], before dust.
  double lnu(double lam) const {
    if (lam < kLymanLimit) return 0.0;
    // The break: f_nu divided by break_step_ below 3950 A, a linear ramp up to 4000 A.
    const double ramp = std::clamp((lam - 3950.0) / 50.0, 0.0, 1.0);
    return lnu_5500_ * shape(lam) * (ramp + (1.0 - ramp) / break_step_);
  }

 private:
  double shape(double lam) const {
    return (1.0 - turnoff_share_) * black_body_nu(lam, 3800.0) +
           turnoff_share_ * black_body_nu(lam, t_turnoff_);
  }

  double d4000_without_break() const {
    const auto window_mean = [this](double lo) {
      double sum = 0.0;
      for (int i = 0; i <= 100; ++i) sum += (i == 0 || i == 100 ? 0.5 : 1.0) * shape(lo + i);
      return sum / 100.0;
    };
    return window_mean(4000.0) / window_mean(3850.0);
  }

  double lnu_5500_ = 0, t_turnoff_ = 0, turnoff_share_ = 0, break_step_ = 1;
};

/// Young-star continuum L_nu [erg/s/Hz]: Kennicutt 1998 (ARA&A 36, 189, eq. 1)
/// L_nu(1500 A) = SFR / 1.4e-28, f_lambda ~ lambda^beta with beta = -2.2 (Meurer et al. 1999,
/// ApJ 521, 64, for mildly reddened starbursts before our dust), no flux below 912 A.
double young_lnu(double sfr, double lam) {
  if (lam < kLymanLimit) return 0.0;
  constexpr double kBeta = -2.2;
  return sfr / 1.4e-28 * std::pow(lam / 1500.0, kBeta + 2.0);
}

double line_sigma(double centre) { return centre * kLineSigmaKms / kCkms; }

/// Log grid over kGridMin-kGridMax, its points inside the line windows (+-6 sigma) replaced by
/// uniform sigma/6 sampling (windows that overlap are merged).
std::vector<double> make_grid(const std::vector<EmissionLine>& lines) {
  struct Window {
    double lo, hi, step;
  };
  std::vector<Window> windows;
  for (const auto& l : lines) {
    const double s = line_sigma(l.wavelength);
    windows.push_back({l.wavelength - 6.0 * s, l.wavelength + 6.0 * s, s / 6.0});
  }
  std::sort(windows.begin(), windows.end(),
            [](const Window& a, const Window& b) { return a.lo < b.lo; });
  std::vector<Window> merged;
  for (const auto& w : windows) {
    if (!merged.empty() && w.lo <= merged.back().hi) {
      merged.back().hi = std::max(merged.back().hi, w.hi);
      merged.back().step = std::min(merged.back().step, w.step);
    } else {
      merged.push_back(w);
    }
  }
  const auto in_window = [&merged](double lam) {
    return std::any_of(merged.begin(), merged.end(),
                       [lam](const Window& w) { return lam >= w.lo && lam <= w.hi; });
  };
  std::vector<double> grid;
  const double dlog = std::log(kGridMax / kGridMin) / (kGridPoints - 1);
  for (int i = 0; i < kGridPoints; ++i) {
    const double lam = kGridMin * std::exp(dlog * i);
    if (!in_window(lam)) grid.push_back(lam);
  }
  for (const auto& w : merged) {
    const auto n = static_cast<int>(std::ceil((w.hi - w.lo) / w.step));
    for (int i = 0; i <= n; ++i) grid.push_back(w.lo + (w.hi - w.lo) * i / n);
  }
  std::sort(grid.begin(), grid.end());
  return grid;
}

}  // namespace

void validate(const Sed& sed) {
  if (sed.wavelength.size() != sed.l_lambda.size() || sed.wavelength.size() < 2)
    throw std::invalid_argument("Sed: wavelength has " + std::to_string(sed.wavelength.size()) +
                                " samples and l_lambda " + std::to_string(sed.l_lambda.size()) +
                                " (must be equal and >= 2)");
  for (std::size_t i = 0; i < sed.wavelength.size(); ++i) {
    const double lam = sed.wavelength[i], l = sed.l_lambda[i];
    const std::string at = "[" + std::to_string(i) + "] = ";
    if (!std::isfinite(lam) || lam <= 0.0)
      throw std::invalid_argument("Sed: wavelength" + at + num(lam) +
                                  " (must be finite and > 0, in Angstrom)");
    if (i > 0 && !(lam > sed.wavelength[i - 1]))
      throw std::invalid_argument("Sed: wavelength" + at + num(lam) + " is not above wavelength[" +
                                  std::to_string(i - 1) + "] = " + num(sed.wavelength[i - 1]) +
                                  " (must be strictly ascending, in Angstrom)");
    if (!std::isfinite(l) || l < 0.0)
      throw std::invalid_argument("Sed: l_lambda" + at + num(l) +
                                  " (must be finite and >= 0, in erg/s/Angstrom)");
  }
}

double l_lambda_at(const Sed& sed, double wavelength) {
  const auto& x = sed.wavelength;
  if (!(wavelength >= x.front() && wavelength <= x.back())) return 0.0;
  const auto it = std::upper_bound(x.begin(), x.end(), wavelength);
  const auto i = static_cast<std::size_t>(
      std::clamp<std::ptrdiff_t>(it - x.begin(), 1, static_cast<std::ptrdiff_t>(x.size()) - 1));
  const double w = (wavelength - x[i - 1]) / (x[i] - x[i - 1]);
  return (1.0 - w) * sed.l_lambda[i - 1] + w * sed.l_lambda[i];
}

Sed scale(const Sed& sed, double factor) {
  if (!std::isfinite(factor) || factor < 0.0)
    throw std::invalid_argument("scale: factor = " + num(factor) + " (must be finite and >= 0)");
  Sed out = sed;
  for (auto& l : out.l_lambda) l *= factor;
  return out;
}

Sed read_sed_template(const std::string& path) {
  auto table = read_two_column_table(
      path, "rest wavelength [Angstrom], L_lambda [erg/s/Angstrom]", [](double lam, double l) {
        if (lam <= 0.0) throw std::invalid_argument("wavelength " + num(lam) + " must be > 0");
        if (l < 0.0) throw std::invalid_argument("L_lambda " + num(l) + " must be >= 0");
      });
  Sed sed{std::move(table.x), std::move(table.y)};
  validate(sed);
  return sed;
}

void validate(const SedParams& p) {
  require(std::isfinite(p.stellar_mass) && p.stellar_mass > 0.0, "stellar_mass", p.stellar_mass,
          "finite and > 0, in Msun");
  require(std::isfinite(p.sfr) && p.sfr >= 0.0, "sfr", p.sfr, "finite and >= 0, in Msun/yr");
  require(p.age_gyr >= 0.1 && p.age_gyr <= 13.8, "age_gyr", p.age_gyr, "in [0.1, 13.8] Gyr");
  require(p.dust_av >= 0.0 && p.dust_av <= 10.0, "dust_av", p.dust_av, "in [0, 10] mag");
  require(p.metallicity >= 1e-4 && p.metallicity <= 0.05, "metallicity", p.metallicity,
          "in [1e-4, 0.05]");
}

double calzetti_k(double wavelength) {
  // Calzetti et al. 2000, eq. 4, with x = 1 / lambda [1/um].
  const auto blue = [](double x) {
    return 2.659 * (-2.156 + 1.509 * x - 0.198 * x * x + 0.011 * x * x * x) + kRv;
  };
  const auto red = [](double x) { return 2.659 * (-1.857 + 1.040 * x) + kRv; };
  const double x = 1e4 / wavelength;
  if (x <= 1.0 / 0.63) return std::max(0.0, red(x));  // 0.63-2.2 um, extended linearly in x
  if (x <= 1.0 / 0.12) return blue(x);
  const double x0 = 1.0 / 0.12;  // below 0.12 um: continue with the slope at 0.12 um
  const double slope = 2.659 * (1.509 - 0.396 * x0 + 0.033 * x0 * x0);
  return blue(x0) + slope * (x - x0);
}

std::vector<EmissionLine> emission_lines(const SedParams& p) {
  validate(p);
  const double halpha = p.sfr / 7.9e-42;  // Kennicutt 1998, eq. 2 [erg/s]
  const double hbeta = halpha / 2.86;     // case B, 10^4 K (Osterbrock & Ferland 2006)
  // Gas-phase 12 + log(O/H) = 8.69 (Asplund et al. 2009) at Z = 0.02, scaling with Z; [NII]/Ha
  // and [OIII]/Hb from the N2 and O3N2 calibrations of Pettini & Pagel 2004 (MNRAS 348, L59),
  // clamped to their validity ranges.
  const double oh = 8.69 + std::log10(p.metallicity / 0.02);
  const double n2 = std::pow(10.0, std::clamp((oh - 8.90) / 0.57, -2.5, -0.3));
  const double o3n2 = std::pow(10.0, std::clamp((8.73 - oh) / 0.32, -1.0, 1.9));
  const double oiii = o3n2 * n2 * hbeta;
  std::vector<EmissionLine> lines = {
      {"OII_3727", 3727.4, p.sfr / 1.4e-41},  // Kennicutt 1998, eq. 3 (doublet as one line)
      {"Hgamma", 4340.5, 0.468 * hbeta},      // case B
      {"Hbeta", 4861.3, hbeta},
      {"OIII_4959", 4958.9, oiii / 2.98},  // Storey & Zeippen 2000, MNRAS 312, 813
      {"OIII_5007", 5006.8, oiii},
      {"NII_6548", 6548.1, n2 * halpha / 3.0},  // 6584/6548 = 3 (Osterbrock & Ferland 2006)
      {"Halpha", 6562.8, halpha},
      {"NII_6584", 6583.5, n2 * halpha}};
  // Nebular attenuation A_gas(lambda) = k(lambda) E(B-V)_stars / 0.44 (Calzetti et al. 2000).
  for (auto& l : lines)
    l.luminosity *= std::pow(10.0, -0.4 * calzetti_k(l.wavelength) * p.dust_av / (kRv * 0.44));
  return lines;
}

Sed parametric_sed(const SedParams& p) {
  const auto lines = emission_lines(p);  // validates p
  const OldPopulation old(p);
  Sed sed{make_grid(lines), {}};
  sed.l_lambda.reserve(sed.wavelength.size());
  for (const double lam : sed.wavelength) {
    const double dust = std::pow(10.0, -0.4 * p.dust_av * calzetti_k(lam) / kRv);
    double l = (old.lnu(lam) + young_lnu(p.sfr, lam)) * kC / (lam * lam) * dust;
    for (const auto& line : lines) {
      const double s = line_sigma(line.wavelength), u = (lam - line.wavelength) / s;
      if (std::fabs(u) < 8.0)
        l += line.luminosity / (s * std::sqrt(2.0 * M_PI)) * std::exp(-0.5 * u * u);
    }
    sed.l_lambda.push_back(l);
  }
  return sed;
}

double d4000(const Sed& sed) {
  validate(sed);
  if (sed.wavelength.front() > 3850.0 || sed.wavelength.back() < 4100.0)
    throw std::invalid_argument("d4000: the SED covers " + num(sed.wavelength.front()) + "-" +
                                num(sed.wavelength.back()) +
                                " Angstrom (must cover 3850-4100 Angstrom)");
  const auto f_nu = [&sed](double lam) { return l_lambda_at(sed, lam) * lam * lam / kC; };
  const Filter red{"Dn4000 red", {4000.0, 4100.0}, {1.0, 1.0}};
  const Filter blue{"Dn4000 blue", {3850.0, 3950.0}, {1.0, 1.0}};
  return integrate_band(red, f_nu, sed.wavelength) / integrate_band(blue, f_nu, sed.wavelength);
}

}  // namespace cosmograd::surveys
