// Galaxy spectral energy distributions: a parametric model for mocks and tabulated templates.
//
// The parametric SED is a physically motivated toy, not stellar population synthesis (no
// isochrones, no spectral libraries, no absorption lines, no nebular continuum, no dust
// emission, no Lyman-alpha, no IGM absorption). It is built to give sensible broad-band
// colours, 4000 A breaks, UV luminosities and line fluxes for 0.1-13.8 Gyr old populations
// from the UV to the K band, which is what survey mocks need:
//  - an evolved stellar continuum: main-sequence turn-off stars plus red giants as two
//    black bodies, normalised by M* / (M/L_V)(age) and given a 4000 A break of the strength
//    Dn4000(age) seen in SDSS (Kauffmann et al. 2003);
//  - a young continuum from the SFR (Kennicutt 1998, Salpeter IMF), UV slope beta = -2.2;
//  - nebular lines from the SFR (Kennicutt 1998; case B ratios; metallicity-dependent [NII]
//    and [OIII] from Pettini & Pagel 2004) as Gaussians of sigma = 100 km/s;
//  - Calzetti et al. (2000) attenuation, lines attenuated by A_V / 0.44.
// Stellar mass is meant for a Chabrier IMF (M/L normalisation), the SFR is Kennicutt's
// Salpeter SFR (divide a Chabrier SFR by 0.63, Madau & Dickinson 2014): a stated inconsistency
// of the toy. All wavelengths in rest-frame Angstrom, luminosity densities in erg/s/Angstrom.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::surveys {

/// A rest-frame SED; linear in L_lambda between samples, zero outside the grid.
struct Sed {
  std::vector<double> wavelength;  ///< rest-frame wavelength [Angstrom], strictly ascending
  std::vector<double> l_lambda;    ///< luminosity density [erg/s/Angstrom], >= 0
};

/// Throws std::invalid_argument (naming field, index, value) unless the SED has >= 2 samples,
/// equal lengths, strictly ascending finite wavelengths > 0 and finite l_lambda >= 0.
void validate(const Sed& sed);

/// L_lambda [erg/s/Angstrom] at rest wavelength [Angstrom], linear interpolation; 0 outside.
double l_lambda_at(const Sed& sed, double wavelength);

/// The SED with l_lambda multiplied by factor (finite, >= 0).
Sed scale(const Sed& sed, double factor);

/// Reads a two-column template (rest wavelength [Angstrom], L_lambda [erg/s/Angstrom]); '#'
/// comments and blank lines allowed; errors name the file and line.
Sed read_sed_template(const std::string& path);

/// Inputs of parametric_sed.
struct SedParams {
  double stellar_mass;        ///< stellar mass [Msun] (Chabrier IMF), > 0
  double sfr;                 ///< star formation rate [Msun/yr] (Salpeter, Kennicutt 1998), >= 0
  double age_gyr;             ///< age of the evolved population [Gyr], in [0.1, 13.8]
  double dust_av;             ///< V-band attenuation of the stars [mag], in [0, 10]
  double metallicity = 0.02;  ///< mass fraction Z in [1e-4, 0.05]; sets line ratios, break
};

/// Throws std::invalid_argument naming the field unless p is in the documented ranges.
void validate(const SedParams& p);

/// Calzetti et al. 2000 (ApJ 533, 682, eq. 4) starburst attenuation curve k(lambda) = A/E(B-V)
/// with R_V = 4.05 at rest wavelength [Angstrom]; linear in 1/lambda outside 0.12-2.2 um
/// (clamped at 0 in the infrared).
double calzetti_k(double wavelength);

/// One nebular emission line of parametric_sed.
struct EmissionLine {
  std::string name;   ///< e.g. "Halpha", "OIII_5007"
  double wavelength;  ///< rest-frame centre [Angstrom] (air)
  double luminosity;  ///< attenuated (as in the SED) line luminosity [erg/s]
};

/// The emission lines parametric_sed(p) contains, with their luminosities [erg/s] after dust.
std::vector<EmissionLine> emission_lines(const SedParams& p);

/// Parametric rest-frame SED on a log grid of 1200 points over 500-25000 Angstrom, refined to
/// sigma/6 around each emission line so every line integrates to its luminosity to < 1e-5.
/// Zero below the Lyman limit (912 Angstrom).
Sed parametric_sed(const SedParams& p);

/// Narrow 4000 A break Dn4000 (Balogh et al. 1999, ApJ 527, 54): mean f_nu over 4000-4100 A
/// divided by mean f_nu over 3850-3950 A (dimensionless); the SED must cover 3850-4100 A.
double d4000(const Sed& sed);

}  // namespace cosmograd::surveys
