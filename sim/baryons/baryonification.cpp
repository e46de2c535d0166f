// The baryonic correction model as particle displacements (see baryonification.hpp).
#include "sim/baryons/baryonification.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/baryons/halo_profiles.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::sim {

namespace {

constexpr int kTable = 256;              // radii per halo table
constexpr double kInner = 1e-3;          // innermost tabulated radius / r200c
constexpr double kStellarNorm = 0.09;    // f_star and f_cga at M_s (S19 eq. 2.18)
constexpr double kStellarMass = 2.5e11;  // M_s [Msun/h] (S19)
constexpr double kCgaHalfLight = 0.015;  // R_h / r200c (S15 eq. 2.10)

/// Piecewise-linear interpolation of y(x) on increasing xs (clamped at the ends).
double interp(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
  if (x <= xs.front()) return ys.front();
  if (x >= xs.back()) return ys.back();
  const std::size_t i =
      static_cast<std::size_t>(std::upper_bound(xs.begin(), xs.end(), x) - xs.begin());
  const double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return ys[i - 1] + t * (ys[i] - ys[i - 1]);
}

/// Enclosed mass of the ejected-gas Gaussian of width r_ej, per unit of its total.
double gaussian_enclosed(double r, double r_ej) {
  const double u = r / (std::sqrt(2.0) * r_ej);
  return std::erf(u) - 2.0 / std::sqrt(M_PI) * u * std::exp(-u * u);
}

}  // namespace

void BcmParams::validate() const {
  require(std::isfinite(log10_mc) && log10_mc > 8 && log10_mc < 18, "log10_mc", log10_mc,
          "in (8, 18) [log10 Msun/h]");
  require(std::isfinite(beta) && beta > 0, "beta", beta, "> 0");
  require(std::isfinite(eta) && eta > 0, "eta", eta, "> 0");
  require(std::isfinite(eta_star) && eta_star >= 0, "eta_star", eta_star, ">= 0");
  require(std::isfinite(eta_cga) && eta_cga >= eta_star, "eta_cga", eta_cga,
          ">= eta_star (the central galaxy is part of all stars)");
  require(theta_co > 0 && theta_co < 1, "theta_co", theta_co, "in (0, 1)");
  require(epsilon > 1 && epsilon <= r_max_factor, "epsilon", epsilon, "in (1, r_max_factor]");
  require(a_relax >= 0 && a_relax < 1, "a_relax", a_relax, "in [0, 1)");
  require(n_relax > 0, "n_relax", n_relax, "> 0");
  require(min_mass > 0, "min_mass", min_mass, "> 0 [Msun/h]");
  require(r_max_factor >= 2 && r_max_factor <= 50, "r_max_factor", r_max_factor, "in [2, 50]");
}

std::vector<std::pair<std::string, double>> BcmParams::named() const {
  return {{"log10_mc", log10_mc},
          {"beta", beta},
          {"eta", eta},
          {"eta_star", eta_star},
          {"eta_cga", eta_cga},
          {"theta_co", theta_co},
          {"epsilon", epsilon},
          {"a_relax", a_relax},
          {"n_relax", n_relax},
          {"min_mass", min_mass},
          {"r_max_factor", r_max_factor}};
}

BcmFractions bcm_fractions(const BcmParams& p, double m200c, double f_b) {
  BcmFractions f;
  f.baryon = f_b;
  // S19 eq. 2.18; capped so that stars never exceed the baryons of small halos.
  f.star = std::min(kStellarNorm * std::pow(m200c / kStellarMass, -p.eta_star), f_b);
  f.cga = std::min(kStellarNorm * std::pow(m200c / kStellarMass, -p.eta_cga), f.star);
  f.bgas = (f_b - f.star) / (1 + std::pow(std::pow(10.0, p.log10_mc) / m200c, p.beta));
  f.egas = f_b - f.star - f.bgas;
  f.clm = 1 - f_b + f.star - f.cga;
  return f;
}

BcmHaloProfile bcm_halo_profile(const BcmParams& p, double m200c, double r200c, double z,
                                double f_b, double rho_mean) {
  p.validate();
  require(m200c > 0, "m200c", m200c, "> 0 [Msun/h]");
  require(r200c > 0, "r200c", r200c, "> 0 [Mpc/h]");
  require(f_b >= 0 && f_b < 1, "baryon fraction", f_b, "in [0, 1)");
  require(rho_mean >= 0, "rho_mean", rho_mean, ">= 0 [(Msun/h)/(Mpc/h)^3]");
  const NfwHalo nfw(m200c, r200c, duffy08_c200c(m200c, z));
  const double r_t = p.epsilon * r200c;
  BcmHaloProfile h;
  h.fractions = bcm_fractions(p, m200c, f_b);
  const BcmFractions& f = h.fractions;
  // Total mass of the truncated NFW: its enclosed mass far outside r_t.
  const auto m_dmo = [&](double r) {
    return truncated_nfw_enclosed_mass(r, nfw.r_s, nfw.rho_s, r_t);
  };
  h.m_total = m_dmo(1e3 * r_t);
  const double r_co = p.theta_co * r200c;
  const auto bgas_shape = [&](double r) {
    return 1.0 / (std::pow(1 + r / r_co, 3) * std::pow(1 + (r / r_t) * (r / r_t), 2));
  };
  const double bgas_norm = spherical_integral(bgas_shape, 1e3 * r_t);
  const double r_ej = 0.75 * p.eta * 0.5 * std::sqrt(200.0) * r200c;
  const double r_h = kCgaHalfLight * r200c;

  // Radii and the baryonic components' enclosed masses on the table.
  h.r.resize(kTable);
  const double r_lo = kInner * r200c, r_hi = p.r_max_factor * r200c;
  for (int i = 0; i < kTable; ++i) {
    h.r[i] = r_lo * std::pow(r_hi / r_lo, double(i) / (kTable - 1));
  }
  std::vector<double> m_bgas(kTable);
  double acc = spherical_integral(bgas_shape, h.r[0]);
  m_bgas[0] = acc;
  for (int i = 1; i < kTable; ++i) {
    // Cumulative: 4 pi int r^2 f dr over [r_{i-1}, r_i] by Simpson in ln r.
    const double a = std::log(h.r[i - 1]), b = std::log(h.r[i]), mid = 0.5 * (a + b);
    const auto g = [&](double lr) {
      const double r = std::exp(lr);
      return 4 * M_PI * r * r * r * bgas_shape(r);
    };
    acc += (b - a) / 6 * (g(a) + 4 * g(mid) + g(b));
    m_bgas[i] = acc;
  }
  const double m_tot = h.m_total;
  const auto m_baryons = [&](double r) {
    const double bg = interp(h.r, m_bgas, r) / bgas_norm;
    return m_tot *
           (f.bgas * bg + f.egas * gaussian_enclosed(r, r_ej) + f.cga * std::erf(r / (2 * r_h)));
  };

  // Adiabatic relaxation of the collisionless matter (S15 eq. 2.16): r_f = xi r_i.
  h.m_dmo.resize(kTable);
  std::vector<double> r_final(kTable), m_clm(kTable);
  for (int i = 0; i < kTable; ++i) {
    const double r_i = h.r[i];
    const double m_i = m_dmo(r_i);
    h.m_dmo[i] = m_i;
    double xi = 1;
    for (int it = 0; it < 60; ++it) {
      const double m_f = f.clm * m_i + m_baryons(xi * r_i);
      const double next = 1 + p.a_relax * (std::pow(m_i / m_f, p.n_relax) - 1);
      const double change = std::abs(next - xi);
      xi = 0.5 * (xi + next);  // damped: the map can overshoot near the central galaxy
      if (change < 1e-10) break;
    }
    r_final[i] = xi * r_i;
    m_clm[i] = f.clm * m_i;
  }
  // Keep r_final increasing (relaxation preserves the order of shells).
  for (int i = 1; i < kTable; ++i) r_final[i] = std::max(r_final[i], r_final[i - 1] * (1 + 1e-12));
  const auto background = [&](double r) { return 4 * M_PI / 3 * r * r * r * rho_mean; };
  for (int i = 0; i < kTable; ++i) h.m_dmo[i] += background(h.r[i]);
  h.m_bcm.resize(kTable);
  for (int i = 0; i < kTable; ++i) {
    const double r = h.r[i];
    // Collisionless mass inside r: its shells with r_f < r (linear in r_f between table radii).
    const double clm = r <= r_final.front() ? m_clm.front() * std::pow(r / r_final.front(), 3)
                                            : interp(r_final, m_clm, r);
    h.m_bcm[i] = clm + m_baryons(r) + background(r);
  }
  // Displacement: r' with M_bcm(r') = M_dmo(r) (S15 eq. 2.20), 0 where M_bcm is not
  // monotonic enough to invert.
  h.disp.resize(kTable);
  for (int i = 0; i < kTable; ++i) {
    const double target = h.m_dmo[i];
    double r_new;
    if (target <= h.m_bcm.front()) {
      r_new = h.r.front() * std::cbrt(target / h.m_bcm.front());
    } else if (target >= h.m_bcm.back()) {
      r_new = h.r[i];
    } else {
      const std::size_t j = static_cast<std::size_t>(
          std::upper_bound(h.m_bcm.begin(), h.m_bcm.end(), target) - h.m_bcm.begin());
      const double t = (target - h.m_bcm[j - 1]) / (h.m_bcm[j] - h.m_bcm[j - 1]);
      r_new = std::exp(std::log(h.r[j - 1]) + t * (std::log(h.r[j]) - std::log(h.r[j - 1])));
    }
    h.disp[i] = r_new - h.r[i];
  }
  // Taper to zero over the outer tenth of the table so that no particle jumps at r_max.
  for (int i = 0; i < kTable; ++i) {
    const double x = h.r[i] / r_hi;
    if (x > 0.9) h.disp[i] *= std::max(0.0, (1 - x) / 0.1);
  }
  return h;
}

Particles<double> baryonify(const Particles<double>& p, const HaloCatalog& halos,
                            const BcmParams& params, double f_b, BcmReport* report) {
  params.validate();
  const double box = p.box_size;
  require(box > 0, "box_size", box, "> 0 [Mpc/h]");
  const double z = halos.header.a > 0 ? 1.0 / halos.header.a - 1.0 : 0.0;
  const double rho_mean = mean_overdensity_density(1.0, halos.header.Omega_m);
  Particles<double> out = p;
  // Cell list of the particles' wrapped positions.
  const int nc = std::max(1, std::min(64, static_cast<int>(std::cbrt(double(p.size())) / 2)));
  const double cell = box / nc;
  std::vector<std::vector<std::size_t>> cells(static_cast<std::size_t>(nc) * nc * nc);
  std::vector<std::array<double, 3>> pos(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    std::array<int, 3> c{};
    for (int d = 0; d < 3; ++d) {
      pos[j][d] = p.position(j, d);
      c[d] = std::min(nc - 1, static_cast<int>(pos[j][d] / cell));
    }
    cells[(static_cast<std::size_t>(c[0]) * nc + c[1]) * nc + c[2]].push_back(j);
  }
  BcmReport rep;
  std::vector<char> touched(p.size(), 0);
  double gas = 0, total = 0;
  for (const Halo& halo : halos.halos) {
    if (!(halo.m200c >= params.min_mass) || !(halo.r200c > 0)) continue;
    const BcmHaloProfile prof = bcm_halo_profile(params, halo.m200c, halo.r200c, z, f_b, rho_mean);
    ++rep.halos;
    gas += (prof.fractions.bgas + prof.fractions.egas) * prof.m_total;
    total += prof.m_total;
    const double r_max = params.r_max_factor * halo.r200c;
    const int reach = std::min(nc / 2, static_cast<int>(std::ceil(r_max / cell)));
    std::vector<std::size_t> near;
    std::array<int, 3> hc{};
    for (int d = 0; d < 3; ++d) hc[d] = static_cast<int>(std::floor(halo.so_pos[d] / cell));
    // Each cell once, even when the reach wraps around a small box.
    const int span = std::min(2 * reach + 1, nc);
    for (int dx = 0; dx < span; ++dx) {
      for (int dy = 0; dy < span; ++dy) {
        for (int dz = 0; dz < span; ++dz) {
          const auto wrap = [&](int c, int dc) { return ((c - reach + dc) % nc + nc) % nc; };
          const std::size_t k =
              (static_cast<std::size_t>(wrap(hc[0], dx)) * nc + wrap(hc[1], dy)) * nc +
              wrap(hc[2], dz);
          near.insert(near.end(), cells[k].begin(), cells[k].end());
        }
      }
    }
    const double r_lo = prof.r.front();
#pragma omp parallel for schedule(static)
    for (std::size_t t = 0; t < near.size(); ++t) {
      const std::size_t j = near[t];
      std::array<double, 3> dr{};
      double r2 = 0;
      for (int d = 0; d < 3; ++d) {
        double v = pos[j][d] - halo.so_pos[d];
        v -= box * std::round(v / box);  // nearest image
        dr[d] = v;
        r2 += v * v;
      }
      const double r = std::sqrt(r2);
      if (r >= r_max || r <= 0) continue;
      // Inside the table's innermost radius the move scales with r (a uniform core).
      const double move = r < r_lo ? prof.disp.front() * r / r_lo : interp(prof.r, prof.disp, r);
      for (int d = 0; d < 3; ++d) out.disp[3 * j + d] += move * dr[d] / r;
      touched[j] = 1;
    }
  }
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (!touched[j]) continue;
    ++rep.moved;
    double s = 0;
    for (int d = 0; d < 3; ++d) s += std::pow(out.disp[3 * j + d] - p.disp[3 * j + d], 2);
    rep.max_disp = std::max(rep.max_disp, std::sqrt(s));
  }
  rep.gas_fraction = total > 0 ? gas / total : 0.0;
  if (report) *report = rep;
  return out;
}

}  // namespace cosmograd::sim
