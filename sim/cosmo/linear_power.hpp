// Linear matter power spectrum P_lin(k, a) and its transfer functions.
//
// Units: k in h/Mpc, P in (Mpc/h)^3, R in Mpc/h (sim/core/units.hpp). Everything is templated on
// the scalar S = double or CosmoDual, so the derivatives of P_lin with respect to
// (Omega_m, Omega_b, h, n_s, sigma8, w0, wa) come from the same lines by forward-mode duals.
//
//   P_lin(k, a) = P_lin(k, 1) D1_norm(a)^2,   P_lin(k, 1) = A k^n_s T(k)^2,
//
// with A fixed by sigma(8 Mpc/h, a=1) = sigma8 (top-hat window). Transfer functions:
// Eisenstein & Hu 1998 (ApJ 496, 605; "EH98") with baryon wiggles or the no-wiggle form, or
// a CLASS/CAMB table (sim/cosmo/power_table.hpp). Choices are selected by name through a registry:
// "eisenstein_hu", "eisenstein_hu_nowiggle", "table".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/registry.hpp"
#include "sim/cosmo/cosmology.hpp"

namespace cosmograd::sim {

/// Eisenstein & Hu (1998) transfer-function fit for one cosmology. Internally EH98 work in
/// Mpc^-1 (no h); the k [h/Mpc] entry points convert with k_mpc = k h.
template <class S>
class EisensteinHuT {
 public:
  /// Sets every k-independent scalar of EH98 eqs. 2-24 and 26-31; densities dimensionless,
  /// T_cmb [K]. Throws std::invalid_argument unless 0 < Omega_b < Omega_m, h > 0, T_cmb > 0.
  EisensteinHuT(const S& Omega_m, const S& Omega_b, const S& h, double T_cmb);
  /// Same, from cosmological parameters (uses Omega_m, Omega_b, h, T_cmb).
  explicit EisensteinHuT(const CosmologyParamsT<S>& p);

  /// Full transfer function with baryon wiggles, EH98 eq. 16; k [h/Mpc]; T -> 1 as k -> 0.
  S transfer(double k) const;
  /// No-wiggle ("shape") transfer function, EH98 §4.2 eqs. 26-31; k [h/Mpc].
  S transfer_nowiggle(double k) const;
  /// Zero-baryon transfer function (baryons treated as CDM), EH98 eqs. 28-29 with
  /// Gamma = Omega_m h; k [h/Mpc].
  S transfer_zero_baryon(double k) const;
  /// Full transfer function, EH98 eq. 16; k [1/Mpc].
  S transfer_mpc(const S& k) const;
  /// Cold dark matter part T_c, EH98 eq. 17; k [1/Mpc].
  S transfer_cdm_mpc(const S& k) const;
  /// Baryon part T_b, EH98 eq. 21; k [1/Mpc].
  S transfer_baryon_mpc(const S& k) const;
  /// No-wiggle transfer function, EH98 eqs. 28-31; k [1/Mpc].
  S transfer_nowiggle_mpc(const S& k) const;
  /// Zero-baryon form T_0(q) of EH98 eq. 29; q = k Theta_2.7^2 / (Gamma_eff h) dimensionless.
  static S zero_baryon(const S& q);

  const S& h() const { return h_; }                  ///< H0/(100 km/s/Mpc)
  const S& omhh() const { return omhh_; }            ///< Omega_m h^2
  const S& obhh() const { return obhh_; }            ///< Omega_b h^2
  const S& f_baryon() const { return fb_; }          ///< Omega_b / Omega_m
  double theta_cmb() const { return theta_; }        ///< T_cmb / 2.7 K
  const S& one_plus_z_eq() const { return zeq1_; }   ///< 1+z_eq, eq. 2 (as in EH's tf_fit.c)
  const S& k_eq() const { return keq_; }             ///< equality scale, eq. 3 [1/Mpc]
  const S& z_drag() const { return zd_; }            ///< drag redshift, eq. 4
  const S& R_drag() const { return Rd_; }            ///< baryon/photon momentum ratio at z_d, eq. 5
  const S& R_eq() const { return Req_; }             ///< same at z_eq, eq. 5
  const S& sound_horizon() const { return s_; }      ///< sound horizon at drag, eq. 6 [Mpc]
  const S& k_silk() const { return ksilk_; }         ///< Silk damping scale, eq. 7 [1/Mpc]
  const S& alpha_c() const { return alpha_c_; }      ///< CDM suppression, eq. 11
  const S& beta_c() const { return beta_c_; }        ///< CDM log shift, eq. 12
  const S& alpha_b() const { return alpha_b_; }      ///< baryon suppression, eqs. 14-15
  const S& beta_b() const { return beta_b_; }        ///< baryon envelope shift, eq. 24
  const S& beta_node() const { return beta_node_; }  ///< node shift (k s units), eq. 23
  const S& sound_horizon_fit() const { return s_fit_; }  ///< fit to eq. 6, eq. 26 [Mpc]
  const S& alpha_gamma() const { return alpha_gamma_; }  ///< small-scale suppression, eq. 31

 private:
  S h_, omhh_, obhh_, fb_;
  double theta_;
  S zeq1_, keq_, zd_, Rd_, Req_, s_, ksilk_;
  S alpha_c_, beta_c_, alpha_b_, beta_b_, beta_node_, s_fit_, alpha_gamma_;
};
using EisensteinHu = EisensteinHuT<double>;

/// A quadrature rule in k: integral ~ sum_i w[i] f(k[i]); k [h/Mpc].
struct PowerQuadrature {
  std::vector<double> k;  ///< nodes [h/Mpc], increasing
  std::vector<double> w;  ///< weights (units depend on the rule)
};

/// Composite 8-point Gauss-Legendre rule in ln k on [k_min, k_max] [h/Mpc] whose panels are
/// at most max_dlnk wide in ln k and max_dk wide in k [h/Mpc], and narrow enough to resolve
/// baryon wiggles (0.04 h/Mpc below k = 1, 0.04 in ln k for 1 < k < 10); w: d ln k weights.
PowerQuadrature ln_k_quadrature(double k_min, double k_max, double max_dlnk, double max_dk);

/// Rule with sigma^2(R) = sum_i w[i] P(k[i]) for a top-hat sphere of radius R [Mpc/h]:
/// w = (d ln k weight) k^3 W^2(kR) / (2 pi^2) [(h/Mpc)^3]. Panels resolve the window's
/// oscillations and the baryon wiggles for 1e-3 <= kR <= 200; beyond, up to kR = 2e5, W^2 is
/// replaced by its period average. Relative error of sigma ~1e-10 (measured against a much
/// finer integral in tests/sim/test_linear_power.cpp); ~1000 nodes.
PowerQuadrature tophat_sigma2_quadrature(double R);

/// Top-hat window W(x) = 3 (sin x - x cos x) / x^3 (series below x = 0.1).
double tophat_window(double x);

/// Linear matter power spectrum of one cosmology: P_lin(k, a) = power_today(k) D1_norm(a)^2.
/// Holds its own copy of the cosmology. Abstract: see EisensteinHuPowerT, TablePowerT.
template <class S>
class LinearPowerT {
 public:
  virtual ~LinearPowerT() = default;
  LinearPowerT(const LinearPowerT&) = delete;
  LinearPowerT& operator=(const LinearPowerT&) = delete;

  /// Registry name of this choice, e.g. "eisenstein_hu".
  virtual std::string name() const = 0;
  /// Linear power at a = 1 [(Mpc/h)^3]; k [h/Mpc] > 0.
  virtual S power_today(double k) const = 0;

  /// Linear power P_lin(k, a) [(Mpc/h)^3]; k [h/Mpc] > 0, a scale factor.
  S power(double k, double a = 1.0) const;
  /// Same as power(k, a).
  S operator()(double k, double a = 1.0) const { return power(k, a); }
  /// P_lin at each k [h/Mpc] for one a [(Mpc/h)^3] (one growth-factor evaluation).
  std::vector<S> power(const std::vector<double>& k, double a = 1.0) const;
  /// Dimensionless power Delta^2 = k^3 P_lin(k, a) / (2 pi^2); k [h/Mpc].
  S delta2(double k, double a = 1.0) const;
  /// rms linear density contrast in top-hat spheres of radius R [Mpc/h] at a; dimensionless.
  S sigma(double R, double a = 1.0) const;
  /// Normalised growth D1(a)/D1(1) of the cosmology (P_lin scales as its square).
  S growth(double a) const;
  /// The cosmology (a copy owned by this object).
  const CosmologyT<S>& cosmology() const { return cosmo_; }

 protected:
  /// Copies the cosmology.
  explicit LinearPowerT(const CosmologyT<S>& cosmo) : cosmo_(cosmo) {}

 private:
  CosmologyT<S> cosmo_;
};
using LinearPower = LinearPowerT<double>;
using LinearPowerDual = LinearPowerT<CosmoDual>;

/// P_lin(k, 1) = A k^n_s T_EH(k)^2 with A set by params.sigma8 (EH98 eq. 16, or eqs. 26-31
/// when wiggles == false). params.A_s is ignored here (only tables use it).
template <class S>
class EisensteinHuPowerT final : public LinearPowerT<S> {
 public:
  /// Builds the EH98 scalars and normalises to params.sigma8 at a = 1 (R = 8 Mpc/h).
  explicit EisensteinHuPowerT(const CosmologyT<S>& cosmo, bool wiggles = true);
  /// "eisenstein_hu" or "eisenstein_hu_nowiggle".
  std::string name() const override;
  /// A k^n_s T(k)^2 [(Mpc/h)^3]; k [h/Mpc].
  S power_today(double k) const override;
  /// The transfer function used, T(k); k [h/Mpc].
  S transfer(double k) const;
  /// The EH98 fit.
  const EisensteinHuT<S>& eisenstein_hu() const { return eh_; }
  /// Amplitude A of P = A k^n_s T^2 [(Mpc/h)^(3+n_s)].
  const S& amplitude() const { return amplitude_; }
  /// True for the full (wiggle) form.
  bool wiggles() const { return wiggles_; }

 private:
  EisensteinHuT<S> eh_;
  bool wiggles_;
  S amplitude_;
};
using EisensteinHuPower = EisensteinHuPowerT<double>;

/// Options for make_linear_power(); only the "table" choice reads them.
struct LinearPowerOptions {
  /// CLASS *_pk.dat / *_tk.dat or CAMB *_matterpower.dat file (format detected from header).
  std::string table_path;
  /// P(k) tables: keep the file's amplitude instead of rescaling to params.sigma8.
  bool keep_table_amplitude = false;
  /// Redshift of the table when its header states none (CAMB files); if the header states
  /// one as well, both must agree. Unset: the header's value, else 0.
  std::optional<double> table_redshift;
};

/// Factory building a linear power spectrum for a cosmology (registry entry).
template <class S>
using LinearPowerFactoryT = std::function<std::unique_ptr<LinearPowerT<S>>(
    const CosmologyT<S>&, const LinearPowerOptions&)>;

/// The registry of transfer-function choices for scalar S ("transfer function").
template <class S>
Registry<LinearPowerFactoryT<S>>& transfer_registry();

/// Registers "eisenstein_hu", "eisenstein_hu_nowiggle" and "table" for double and CosmoDual;
/// idempotent.
void register_builtin_transfers();

/// The registered transfer-function names, ", "-separated (help texts and errors).
std::string transfer_names();

/// Builds the linear power spectrum named `transfer` (calls register_builtin_transfers()
/// first); unknown names throw std::invalid_argument listing the valid ones.
template <class S>
std::unique_ptr<LinearPowerT<S>> make_linear_power(const std::string& transfer,
                                                   const CosmologyT<S>& cosmo,
                                                   const LinearPowerOptions& options = {});

extern template class EisensteinHuT<double>;
extern template class EisensteinHuT<CosmoDual>;
extern template class LinearPowerT<double>;
extern template class LinearPowerT<CosmoDual>;
extern template class EisensteinHuPowerT<double>;
extern template class EisensteinHuPowerT<CosmoDual>;

}  // namespace cosmograd::sim
