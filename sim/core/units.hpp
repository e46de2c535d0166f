// Units and the momentum convention, stated once for the whole engine.
//
// Lengths: comoving Mpc/h.  Time: the scale factor a (and 1/H0 where a time is needed).
// Masses: Msun/h.  Wavenumbers: h/Mpc.  Power spectra: (Mpc/h)^3.
// Particle momentum (FastPM, Feng et al. 2016; pmwd, Li et al. 2022):
//   p = a^2 dx/dt / H0   [Mpc/h],   so the peculiar velocity is v = H0 p / a = 100 p / a km/s.
// Gravity: the potential phi obeys laplacian(phi) = (3/2) Omega_m delta (comoving,
//   H0 = 1 units) and the acceleration is -grad(phi) [Mpc/h].
#pragma once

namespace cosmograd::sim::units {

/// Speed of light [km/s].
inline constexpr double c_km_s = 299792.458;
/// Hubble distance c/H0 [Mpc/h].
inline constexpr double hubble_distance = c_km_s / 100.0;
/// H0 in km/s per Mpc/h.
inline constexpr double H0_km_s_per_mpc_h = 100.0;
/// Megaparsec [cm] (IAU 2015 B2: 1 pc = 648000/pi au, au = 1.495978707e13 cm).
inline constexpr double mpc_cm = 3.0856775814913673e24;
/// Gigayear [s] (Julian year of 365.25 days).
inline constexpr double gyr_s = 3.15576e16;
/// Hubble time 1/H0 [Gyr/h]: (Mpc / (100 km/s)) in Gyr.
inline constexpr double hubble_time_gyr = mpc_cm / 1.0e7 / gyr_s;
/// Solar mass [g] (IAU 2015 nominal GM_sun / G with CODATA 2018 G).
inline constexpr double msun_g = 1.98841e33;
/// Newton's constant [cm^3 g^-1 s^-2] (CODATA 2018).
inline constexpr double G_cgs = 6.67430e-8;
/// Critical density today [(Msun/h) / (Mpc/h)^3]: 3 H0^2 / (8 pi G), H0 = 1e7/mpc_cm h s^-1.
inline constexpr double rho_crit_h2 =
    3.0e14 * mpc_cm / (8.0 * 3.14159265358979323846 * G_cgs * msun_g);

}  // namespace cosmograd::sim::units
