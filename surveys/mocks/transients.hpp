// Transient mock catalogues: classes, parametric light-curve models, host assignment and draws.
//
// Class table (rest frame; PLAsTiCC target codes of Kessler et al. 2019, PASP 131, 094501).
// M_B is the peak absolute AB magnitude in rest-frame B (4450 A), Gaussian N(mean, sd); times
// are uniform in [lo, hi] rest-frame days unless marked log-uniform; T is the blackbody
// photospheric temperature, T(dt) = T_late + (T_peak - T_late) exp(-dt / t_cool) after peak.
//
//   class   code  M_B             tau_rise  tau_fall  T_peak [K]   T_late [K]  t_cool [d]
//   SNIa     90   -19.30 +- 0.15  1.5-3.5   15-35     11000-13000  5000        15
//   SNII     42   -16.80 +- 1.00  1-5       50-150    12000-18000  5500        20
//   SNIbc    62   -17.50 +- 0.90  2-6       15-40     8000-12000   5000        15
//   SLSN-I   95   -21.00 +- 0.70  10-30     30-90     12000-18000  7000        60
//   TDE      15   -19.50 +- 0.70  10-30     30-100    25000-35000  (constant)  -
//   AGN      88   -21.50 +- 1.00  damped random walk: tau 100-300 d (log-uniform), SF_inf
//                                 0.1-0.3 mag; f_nu ~ nu^-0.44 (Vanden Berk et al. 2001,
//                                 AJ 122, 549); M_B is the mean magnitude
//
//   class   host rate (see below)             default fraction
//   SNIa    A M* + B SFR                      0.40
//   SNII    SFR                               0.25
//   SNIbc   SFR                               0.10
//   SLSN-I  SFR (max(M*, 1e7) / 1e9)^-1/2     0.05
//   TDE     1 if 10^9.5 <= M* <= 10^11        0.05
//   AGN     M* if M* >= 10^10                 0.15
//
// Sources: M_B of SNIa, SNII, SNIbc from Richardson et al. 2014 (AJ 147, 118), the Ia scatter
// being the post-standardisation one (their observed -19.26 +- 0.51 includes stretch/colour);
// SLSN-I from Nicholl et al. 2017 (ApJ 850, 55) and Lunnan et al. 2018 (ApJ 852, 81); TDE from
// van Velzen et al. 2020 (Space Sci. Rev. 216, 124), whose temperatures stay ~ 2-4e4 K. The
// rise and fall ranges are indicative values for the Bazin et al. 2009 (A&A 499, 653) form,
// not fits to a sample; SNII cooling from ~ 15000 K to the
// ~ 5500 K recombination plateau as in Faran, Nakar & Poznanski 2018 (MNRAS 473, 513). AGN:
// damped random walk of Kelly, Bechtold & Siemiginowska 2009 (ApJ 698, 895) with MacLeod et al.
// 2010 (ApJ 721, 1014) time scales and amplitudes.
//
// Host rates (relative, per observer-frame year, hence a factor 1/(1+z) on each): SNIa
// A M* + B SFR with A = 5.3e-14 /yr/Msun, B = 3.9e-4 /yr/(Msun/yr) (Scannapieco & Bildsten
// 2005, ApJ 629, L85; Sullivan et al. 2006, ApJ 648, 868); core collapse ~ SFR; SLSN-I
// ~ SFR (max(M*, 1e7 Msun) / 1e9 Msun)^-1/2, favouring dwarfs (Lunnan et al. 2014, ApJ 787,
// 138; Perley et al. 2016, ApJ 830, 13); TDE flat per galaxy with 10^9.5 <= M* <= 10^11 Msun
// (van Velzen 2018, ApJ 852, 72: the rate per galaxy is nearly flat in this range); AGN ~ M*
// for M* >= 1e10 Msun. The default class fractions are PLAsTiCC-like.
//
// Limitation: a pure blackbody has no UV line blanketing, so SNe are too bright in rest-frame
// UV (u band at low z) after peak.
//
// Fluxes are FLUXCAL (SNANA/PLAsTiCC): flux = 10^(-0.4 (m_AB - 27.5)).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {

/// Transient classes, in the order of TransientConfig::fractions.
enum class TransientClass : int { kSNIa = 0, kSNII, kSNIbc, kSLSN, kTDE, kAGN };
/// Number of transient classes.
inline constexpr int kNumTransientClasses = 6;
/// Rest-frame B effective wavelength [Angstrom] at which M_B and the Bazin shape are defined.
inline constexpr double kRestBAngstrom = 4450.0;
/// FLUXCAL zero point [AB mag]: flux = 10^(-0.4 (m - 27.5)).
inline constexpr double kFluxcalZeroPoint = 27.5;

/// A closed range [lo, hi] drawn uniformly, or uniformly in log when log_uniform.
struct ParamRange {
  double lo = 0.0;           ///< lower bound (units of the parameter)
  double hi = 0.0;           ///< upper bound (units of the parameter)
  bool log_uniform = false;  ///< draw uniform in ln x rather than in x
};

/// One row of the class table above: the distributions of a class's parameters.
struct TransientClassModel {
  TransientClass cls;         ///< the class
  const char* name;           ///< short name: SNIa, SNII, SNIbc, SLSN-I, TDE, AGN
  int plasticc_target;        ///< PLAsTiCC target code (Kessler et al. 2019)
  double abs_mag_mean;        ///< mean peak (AGN: mean) absolute AB mag in rest B [mag]
  double abs_mag_sd;          ///< its Gaussian scatter [mag]
  ParamRange tau_rise_days;   ///< Bazin rise time, rest frame [days] (0 for AGN)
  ParamRange tau_fall_days;   ///< Bazin fall time, rest frame [days] (0 for AGN)
  ParamRange t_bb_peak_k;     ///< blackbody temperature at peak [K] (0 for AGN)
  double t_bb_late_k;         ///< temperature the photosphere cools to [K] (0 for AGN)
  double t_cool_days;         ///< e-folding time of the cooling, rest frame [days]; 0 = none
  ParamRange drw_tau_days;    ///< AGN damped-random-walk time scale, rest frame [days]
  ParamRange drw_sf_inf_mag;  ///< AGN structure function at infinite lag [mag]
  double agn_alpha_nu;        ///< AGN spectral index, f_nu ~ nu^alpha (dimensionless)
};

/// The class table row of `cls`.
const TransientClassModel& transient_class_model(TransientClass cls);
/// Short name of `cls` (SNIa, SNII, SNIbc, SLSN-I, TDE, AGN).
std::string transient_class_name(TransientClass cls);
/// PLAsTiCC target code of `cls` (90, 42, 62, 95, 15, 88).
int plasticc_target(TransientClass cls);
/// The class named `name` (as transient_class_name); throws std::invalid_argument listing names.
TransientClass transient_class_from_name(const std::string& name);
/// Whether `cls` is a one-off explosive event with a Bazin light curve (all but AGN).
bool is_explosive(TransientClass cls);

/// A candidate host galaxy (e.g. from the galaxy mock).
struct TransientHost {
  std::int64_t id = 0;        ///< galaxy id
  double ra_deg = 0.0;        ///< right ascension [deg], in [0, 360)
  double dec_deg = 0.0;       ///< declination [deg], in [-90, 90]
  double z = 0.1;             ///< redshift, in (0, 10]
  double stellar_mass = 0.0;  ///< stellar mass [Msun], >= 0
  double sfr = 0.0;           ///< star-formation rate [Msun/yr], >= 0
};

/// Relative rate of `cls` events in `host` per observer-frame year (class table's host rate
/// times 1/(1+z)); the units differ per class, only ratios within a class matter.
double host_rate_weight(TransientClass cls, const TransientHost& host);

/// Settings of draw_transients.
struct TransientConfig {
  std::int64_t count = 1000;                ///< number of transients to draw, >= 0
  std::int64_t first_object_id = 0;         ///< object ids are first_object_id + 0 .. count - 1
  double survey_start_mjd = 60000.0;        ///< survey start [MJD]
  double survey_duration_days = 3 * 365.0;  ///< survey length [days], > 0
  double peak_margin_days = 50.0;           ///< peaks uniform in [start - margin, end + margin]
  /// Class fractions in TransientClass order (>= 0, normalised by their sum).
  std::array<double, kNumTransientClasses> fractions = {0.40, 0.25, 0.10, 0.05, 0.05, 0.15};
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// One drawn transient; times in MJD, durations in rest-frame days.
struct Transient {
  std::int64_t object_id = 0;                  ///< unique id; keys its random streams
  std::int64_t host_id = 0;                    ///< TransientHost::id of its host
  TransientClass cls = TransientClass::kSNIa;  ///< class
  double ra_deg = 0.0;                         ///< right ascension [deg] (the host's)
  double dec_deg = 0.0;                        ///< declination [deg] (the host's)
  double z = 0.1;                              ///< redshift (the host's)
  double distmod = 0.0;                        ///< distance modulus 5 log10(d_L / 10 pc) [mag]
  double peak_mjd = 0.0;        ///< observer-frame time of the rest-B peak [MJD]; NaN for AGN
  double peak_abs_mag = 0.0;    ///< peak (AGN: mean) absolute AB mag in rest B [mag]
  double tau_rise_days = 0.0;   ///< Bazin rise time, rest frame [days]; 0 for AGN
  double tau_fall_days = 0.0;   ///< Bazin fall time, rest frame [days]; 0 for AGN
  double t_bb_peak_k = 0.0;     ///< blackbody temperature at peak [K]; 0 for AGN
  double t_bb_late_k = 0.0;     ///< late-time temperature [K]; 0 for AGN
  double t_cool_days = 0.0;     ///< cooling e-folding time, rest frame [days]; 0 = none
  double drw_tau_days = 0.0;    ///< AGN DRW time scale, rest frame [days]; 0 otherwise
  double drw_sf_inf_mag = 0.0;  ///< AGN DRW structure function at infinite lag [mag]
  double agn_alpha_nu = 0.0;    ///< AGN spectral index, f_nu ~ nu^alpha
};

/// Rest time of the Bazin peak after t0 [days]: tau_rise ln(tau_fall / tau_rise - 1), from
/// d/dt of f = A e^{-(t-t0)/tau_fall} / (1 + e^{-(t-t0)/tau_rise}) = 0 (Bazin et al. 2009,
/// A&A 499, 653); needs tau_fall > tau_rise > 0.
double bazin_peak_offset(double tau_rise_days, double tau_fall_days);
/// Bazin shape at rest time `dt_days` after the peak, normalised to 1 at dt = 0 (dimensionless).
double bazin_shape(double dt_days, double tau_rise_days, double tau_fall_days);
/// Blackbody f_nu at rest wavelength `lambda_angstrom` over f_nu at 4450 A, temperature `t_k` [K].
double blackbody_colour(double lambda_angstrom, double t_k);
/// Photospheric temperature [K] of `tr` at rest-frame time `dt_days` after peak.
double photosphere_temperature(const Transient& tr, double dt_days);

/// True flux [FLUXCAL] of `tr` at `mjd` in an observed band of effective wavelength
/// `lambda_eff_angstrom`: 10^(-0.4 (M_B + mu - 2.5 log10(1+z) - 27.5)) times the Bazin shape at
/// rest time (mjd - peak_mjd)/(1+z) times the SED ratio f_nu(lambda/(1+z))/f_nu(4450 A) (the
/// (1+z) is the AB K-correction between a rest band and its redshifted image, Hogg et al. 2002,
/// astro-ph/0210394). For AGN: the
/// mean flux, without the DRW (observe_light_curves multiplies it by 10^(-0.4 drw offset)).
double model_flux(const Transient& tr, double mjd, double lambda_eff_angstrom);

/// Damped-random-walk magnitude offsets at increasing times `mjd` [MJD], observer-frame time
/// scale `tau_days` [days], SF_inf `sf_inf_mag` [mag]: exact Ornstein-Uhlenbeck updates
/// x' = x e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(0,1), sigma = SF_inf / sqrt(2), from a
/// stationary start (Kelly et al. 2009, ApJ 698, 895; MacLeod et al. 2010, ApJ 721, 1014).
std::vector<double> drw_offsets(const std::vector<double>& mjd, double tau_days, double sf_inf_mag,
                                MockRng& rng);

/// Draws config.count transients among `hosts` (class by config.fractions, host by
/// host_rate_weight, parameters from the class table), each from MockRng(seed, kTransient,
/// object_id). Throws std::invalid_argument on a bad host or config, or when a class with a
/// positive fraction has no host of positive weight.
std::vector<Transient> draw_transients(const std::vector<TransientHost>& hosts,
                                       const TransientConfig& config, const sim::Cosmology& cosmo,
                                       std::uint64_t seed);

}  // namespace cosmograd::surveys
