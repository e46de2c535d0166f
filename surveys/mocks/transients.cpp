// Transient classes, Bazin + blackbody light curves, DRW AGN, host assignment and draws.
#include "surveys/mocks/transients.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace cosmograd::surveys {
namespace {

constexpr double kHcOverK = 1.438777e8;  // h c / k_B [Angstrom K] (CODATA 2018)
constexpr double kSnIaA = 5.3e-14;       // SNIa per yr per Msun (Sullivan et al. 2006)
constexpr double kSnIaB = 3.9e-4;        // SNIa per yr per (Msun/yr) (Sullivan et al. 2006)

// The class table of transients.hpp, in TransientClass order.
const std::array<TransientClassModel, kNumTransientClasses> kClassTable = {{
    {TransientClass::kSNIa,
     "SNIa",
     90,
     -19.3,
     0.15,
     {1.5, 3.5},
     {15.0, 35.0},
     {11000.0, 13000.0},
     5000.0,
     15.0,
     {},
     {},
     0.0},
    {TransientClass::kSNII,
     "SNII",
     42,
     -16.8,
     1.0,
     {1.0, 5.0},
     {50.0, 150.0},
     {12000.0, 18000.0},
     5500.0,
     20.0,
     {},
     {},
     0.0},
    {TransientClass::kSNIbc,
     "SNIbc",
     62,
     -17.5,
     0.9,
     {2.0, 6.0},
     {15.0, 40.0},
     {8000.0, 12000.0},
     5000.0,
     15.0,
     {},
     {},
     0.0},
    {TransientClass::kSLSN,
     "SLSN-I",
     95,
     -21.0,
     0.7,
     {10.0, 30.0},
     {30.0, 90.0},
     {12000.0, 18000.0},
     7000.0,
     60.0,
     {},
     {},
     0.0},
    {TransientClass::kTDE,
     "TDE",
     15,
     -19.5,
     0.7,
     {10.0, 30.0},
     {30.0, 100.0},
     {25000.0, 35000.0},
     0.0,
     0.0,
     {},
     {},
     0.0},
    {TransientClass::kAGN,
     "AGN",
     88,
     -21.5,
     1.0,
     {},
     {},
     {},
     0.0,
     0.0,
     {100.0, 300.0, true},
     {0.1, 0.3},
     -0.44},
}};

double draw(const ParamRange& r, MockRng& rng) {
  const double u = rng.uniform();
  if (r.log_uniform) return r.lo * std::exp(u * std::log(r.hi / r.lo));
  return r.lo + u * (r.hi - r.lo);
}

// ln(1 + e^y) without overflow.
double softplus(double y) {
  return y > 0.0 ? y + std::log1p(std::exp(-y)) : std::log1p(std::exp(y));
}

// ln of the unnormalised Bazin form at x = t - t0 (A = 1).
double log_bazin(double x, double tau_rise, double tau_fall) {
  return -x / tau_fall - softplus(-x / tau_rise);
}

[[noreturn]] void bad(const std::string& field, double value, const std::string& allowed) {
  std::ostringstream msg;
  msg << field << " = " << value << ": " << allowed;
  throw std::invalid_argument(msg.str());
}

void validate_host(const TransientHost& h, std::size_t i) {
  const std::string f = "hosts[" + std::to_string(i) + "].";
  if (!(h.ra_deg >= 0.0 && h.ra_deg < 360.0)) bad(f + "ra_deg", h.ra_deg, "must be in [0, 360)");
  if (!(std::fabs(h.dec_deg) <= 90.0)) bad(f + "dec_deg", h.dec_deg, "must be in [-90, 90]");
  if (!(h.z > 0.0 && h.z <= 10.0)) bad(f + "z", h.z, "must be in (0, 10]");
  if (!(h.stellar_mass >= 0.0 && std::isfinite(h.stellar_mass)))
    bad(f + "stellar_mass", h.stellar_mass, "must be finite and >= 0 [Msun]");
  if (!(h.sfr >= 0.0 && std::isfinite(h.sfr))) bad(f + "sfr", h.sfr, "must be finite and >= 0");
}

// Distance modulus 5 log10(d_L / 10 pc) with d_L in Mpc (the table gives Mpc/h).
double distance_modulus(const sim::Cosmology& cosmo, double z) {
  const double d_l_mpc = cosmo.luminosity_distance(1.0 / (1.0 + z)) / cosmo.params().h;
  return 5.0 * std::log10(d_l_mpc) + 25.0;
}

// Explosive parameters: Bazin times, temperatures and the observer-frame peak time.
void draw_explosive(const TransientClassModel& m, const TransientConfig& c, MockRng& rng,
                    Transient& t) {
  t.tau_rise_days = draw(m.tau_rise_days, rng);
  t.tau_fall_days = draw(m.tau_fall_days, rng);
  t.t_bb_peak_k = draw(m.t_bb_peak_k, rng);
  t.t_bb_late_k = m.t_cool_days > 0.0 ? m.t_bb_late_k : t.t_bb_peak_k;
  t.t_cool_days = m.t_cool_days;
  const double lo = c.survey_start_mjd - c.peak_margin_days;
  const double hi = c.survey_start_mjd + c.survey_duration_days + c.peak_margin_days;
  t.peak_mjd = lo + rng.uniform() * (hi - lo);
}

}  // namespace

const TransientClassModel& transient_class_model(TransientClass cls) {
  const int i = static_cast<int>(cls);
  if (i < 0 || i >= kNumTransientClasses) bad("TransientClass", i, "must be 0..5");
  return kClassTable[static_cast<std::size_t>(i)];
}

std::string transient_class_name(TransientClass cls) { return transient_class_model(cls).name; }

int plasticc_target(TransientClass cls) { return transient_class_model(cls).plasticc_target; }

TransientClass transient_class_from_name(const std::string& name) {
  std::string valid;
  for (const auto& m : kClassTable) {
    if (name == m.name) return m.cls;
    valid += (valid.empty() ? "" : ", ") + std::string(m.name);
  }
  throw std::invalid_argument("transient class '" + name + "' unknown; valid names: " + valid);
}

bool is_explosive(TransientClass cls) { return cls != TransientClass::kAGN; }

double host_rate_weight(TransientClass cls, const TransientHost& h) {
  double w = 0.0;
  switch (cls) {
    case TransientClass::kSNIa:  // Scannapieco & Bildsten 2005; Sullivan et al. 2006
      w = kSnIaA * h.stellar_mass + kSnIaB * h.sfr;
      break;
    case TransientClass::kSNII:
    case TransientClass::kSNIbc:
      w = h.sfr;
      break;
    case TransientClass::kSLSN:  // dwarf preference (Lunnan et al. 2014; Perley et al. 2016)
      w = h.sfr / std::sqrt(std::max(h.stellar_mass, 1e7) / 1e9);
      break;
    case TransientClass::kTDE:  // flat per galaxy (van Velzen 2018)
      w = (h.stellar_mass >= std::pow(10.0, 9.5) && h.stellar_mass <= 1e11) ? 1.0 : 0.0;
      break;
    case TransientClass::kAGN:
      w = h.stellar_mass >= 1e10 ? h.stellar_mass : 0.0;
      break;
  }
  return w / (1.0 + h.z);  // events per observer-frame year (time dilation)
}

void TransientConfig::validate() const {
  if (count < 0) bad("count", static_cast<double>(count), "must be >= 0");
  if (!std::isfinite(survey_start_mjd)) bad("survey_start_mjd", survey_start_mjd, "must be finite");
  if (!(survey_duration_days > 0.0 && std::isfinite(survey_duration_days)))
    bad("survey_duration_days", survey_duration_days, "must be finite and > 0");
  if (!(peak_margin_days >= 0.0 && std::isfinite(peak_margin_days)))
    bad("peak_margin_days", peak_margin_days, "must be finite and >= 0");
  double sum = 0.0;
  for (int i = 0; i < kNumTransientClasses; ++i) {
    const double f = fractions[static_cast<std::size_t>(i)];
    if (!(f >= 0.0 && std::isfinite(f)))
      bad("fractions[" + transient_class_name(static_cast<TransientClass>(i)) + "]", f,
          "must be finite and >= 0");
    sum += f;
  }
  if (!(sum > 0.0)) bad("fractions (sum)", sum, "must be > 0");
}

double bazin_peak_offset(double tau_rise_days, double tau_fall_days) {
  if (!(tau_rise_days > 0.0)) bad("tau_rise_days", tau_rise_days, "must be > 0");
  if (!(tau_fall_days > tau_rise_days))
    bad("tau_fall_days", tau_fall_days, "must exceed tau_rise_days for a peak");
  return tau_rise_days * std::log(tau_fall_days / tau_rise_days - 1.0);
}

double bazin_shape(double dt_days, double tau_rise_days, double tau_fall_days) {
  const double x_peak = bazin_peak_offset(tau_rise_days, tau_fall_days);
  return std::exp(log_bazin(dt_days + x_peak, tau_rise_days, tau_fall_days) -
                  log_bazin(x_peak, tau_rise_days, tau_fall_days));
}

double blackbody_colour(double lambda_angstrom, double t_k) {
  if (!(lambda_angstrom > 0.0)) bad("lambda_angstrom", lambda_angstrom, "must be > 0");
  if (!(t_k > 0.0)) bad("t_k", t_k, "must be > 0 [K]");
  // B_nu ~ nu^3 / (exp(h nu / k T) - 1) (Planck), as a ratio to 4450 A.
  const double x = kHcOverK / (lambda_angstrom * t_k);
  const double x_b = kHcOverK / (kRestBAngstrom * t_k);
  return std::pow(kRestBAngstrom / lambda_angstrom, 3) * std::expm1(x_b) / std::expm1(x);
}

double photosphere_temperature(const Transient& tr, double dt_days) {
  if (dt_days <= 0.0 || tr.t_cool_days <= 0.0) return tr.t_bb_peak_k;
  return tr.t_bb_late_k + (tr.t_bb_peak_k - tr.t_bb_late_k) * std::exp(-dt_days / tr.t_cool_days);
}

double model_flux(const Transient& tr, double mjd, double lambda_eff_angstrom) {
  if (!(lambda_eff_angstrom > 0.0)) bad("lambda_eff_angstrom", lambda_eff_angstrom, "must be > 0");
  const double one_z = 1.0 + tr.z;
  const double lambda_rest = lambda_eff_angstrom / one_z;
  // Rest-B flux scale: m = M + mu - 2.5 log10(1+z) in the redshifted B band (AB, Hogg 2002).
  const double peak_flux =
      one_z * std::pow(10.0, -0.4 * (tr.peak_abs_mag + tr.distmod - kFluxcalZeroPoint));
  if (!is_explosive(tr.cls))
    return peak_flux * std::pow(kRestBAngstrom / lambda_rest, tr.agn_alpha_nu);
  const double dt_rest = (mjd - tr.peak_mjd) / one_z;
  return peak_flux * bazin_shape(dt_rest, tr.tau_rise_days, tr.tau_fall_days) *
         blackbody_colour(lambda_rest, photosphere_temperature(tr, dt_rest));
}

std::vector<double> drw_offsets(const std::vector<double>& mjd, double tau_days, double sf_inf_mag,
                                MockRng& rng) {
  if (!(tau_days > 0.0)) bad("tau_days", tau_days, "must be > 0");
  if (!(sf_inf_mag >= 0.0)) bad("sf_inf_mag", sf_inf_mag, "must be >= 0");
  const double sigma = sf_inf_mag / std::sqrt(2.0);  // SF^2(inf) = 2 var (MacLeod et al. 2010)
  std::vector<double> x(mjd.size());
  for (std::size_t i = 0; i < mjd.size(); ++i) {
    if (i == 0) {
      x[0] = sigma * rng.normal();
      continue;
    }
    const double dt = mjd[i] - mjd[i - 1];
    if (!(dt >= 0.0)) bad("mjd[" + std::to_string(i) + "] - mjd[i-1]", dt, "must be >= 0");
    const double rho = std::exp(-dt / tau_days);
    x[i] = rho * x[i - 1] + sigma * std::sqrt(1.0 - rho * rho) * rng.normal();
  }
  return x;
}

std::vector<Transient> draw_transients(const std::vector<TransientHost>& hosts,
                                       const TransientConfig& config, const sim::Cosmology& cosmo,
                                       std::uint64_t seed) {
  config.validate();
  if (hosts.empty() && config.count > 0) bad("hosts.size()", 0, "must be > 0");
  for (std::size_t i = 0; i < hosts.size(); ++i) validate_host(hosts[i], i);

  // Class probabilities and per-class cumulative host weights.
  std::array<double, kNumTransientClasses> class_cdf{};
  std::array<std::vector<double>, kNumTransientClasses> host_cdf;
  double sum = 0.0;
  for (double f : config.fractions) sum += f;
  double acc = 0.0;
  for (int c = 0; c < kNumTransientClasses; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    acc += config.fractions[ci] / sum;
    class_cdf[ci] = acc;
    if (config.fractions[ci] == 0.0) continue;
    double w = 0.0;
    for (const auto& h : hosts) host_cdf[ci].push_back(w += host_rate_weight(TransientClass(c), h));
    if (!(w > 0.0))
      throw std::invalid_argument("fractions[" + transient_class_name(TransientClass(c)) +
                                  "] > 0 but no host has a positive " +
                                  transient_class_name(TransientClass(c)) +
                                  " rate (see the host-rate column of transients.hpp)");
  }
  // Round-off guard: the last class with a positive fraction (and all after it) ends at 1.
  int last = kNumTransientClasses - 1;
  while (config.fractions[static_cast<std::size_t>(last)] == 0.0) --last;
  for (int c = last; c < kNumTransientClasses; ++c) class_cdf[static_cast<std::size_t>(c)] = 1.0;

  std::vector<Transient> out(static_cast<std::size_t>(config.count));
  for (std::int64_t k = 0; k < config.count; ++k) {
    Transient& t = out[static_cast<std::size_t>(k)];
    t.object_id = config.first_object_id + k;
    MockRng rng(seed, MockStream::kTransient, static_cast<std::uint64_t>(t.object_id));
    const double u_class = rng.uniform();
    const auto ci = static_cast<std::size_t>(
        std::upper_bound(class_cdf.begin(), class_cdf.end(), u_class) - class_cdf.begin());
    t.cls = static_cast<TransientClass>(std::min<std::size_t>(ci, kNumTransientClasses - 1));
    const auto& cdf = host_cdf[static_cast<std::size_t>(t.cls)];
    const auto hi = static_cast<std::size_t>(
        std::upper_bound(cdf.begin(), cdf.end(), rng.uniform() * cdf.back()) - cdf.begin());
    const TransientHost& h = hosts[std::min(hi, hosts.size() - 1)];
    t.host_id = h.id;
    t.ra_deg = h.ra_deg;
    t.dec_deg = h.dec_deg;
    t.z = h.z;
    t.distmod = distance_modulus(cosmo, h.z);
    const TransientClassModel& m = transient_class_model(t.cls);
    t.peak_abs_mag = m.abs_mag_mean + m.abs_mag_sd * rng.normal();
    if (is_explosive(t.cls)) {
      draw_explosive(m, config, rng, t);
    } else {
      t.peak_mjd = std::numeric_limits<double>::quiet_NaN();
      t.drw_tau_days = draw(m.drw_tau_days, rng);
      t.drw_sf_inf_mag = draw(m.drw_sf_inf_mag, rng);
      t.agn_alpha_nu = m.agn_alpha_nu;
    }
  }
  return out;
}

}  // namespace cosmograd::surveys
