#include "surveys/mocks/lightcone_halos.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "sim/sky/lightcone_geometry.hpp"

namespace cosmograd::surveys {
namespace {

using sim::positive;
using sim::require;

constexpr double kPi = 3.14159265358979323846;

}  // namespace

ScaleFactorOfChi::ScaleFactorOfChi(const sim::Cosmology& cosmo, double a_min) {
  require(a_min > 0.0 && a_min < 1.0, "a_min", a_min, "in (0, 1)");
  constexpr int kPoints = 4096;
  const double ln_min = std::log(a_min);
  for (int i = 0; i < kPoints; ++i) {
    const double ln_a = ln_min * (1.0 - static_cast<double>(i) / (kPoints - 1));
    ln_a_.push_back(ln_a);
    chi_.push_back(i == kPoints - 1 ? 0.0 : cosmo.chi(std::exp(ln_a)));
  }
  // chi falls as a grows: store ascending in chi.
  std::reverse(ln_a_.begin(), ln_a_.end());
  std::reverse(chi_.begin(), chi_.end());
}

double ScaleFactorOfChi::operator()(double chi) const {
  require(chi >= 0.0 && chi <= chi_.back(), "comoving distance [Mpc/h]", chi,
          "in [0, " + std::to_string(chi_.back()) + "] (the table's range)");
  const auto it = std::upper_bound(chi_.begin(), chi_.end(), chi);
  const std::size_t i = std::min<std::size_t>(
      static_cast<std::size_t>(std::max<std::ptrdiff_t>(it - chi_.begin(), 1)), chi_.size() - 1);
  // Cubic-accurate enough: ln a is smooth in chi and the grid is fine (4096 points).
  const double t = (chi - chi_[i - 1]) / (chi_[i] - chi_[i - 1]);
  return std::exp(ln_a_[i - 1] + t * (ln_a_[i] - ln_a_[i - 1]));
}

std::array<double, 2> ra_dec_deg(const std::array<double, 3>& r) {
  const double chi = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
  double ra = std::atan2(r[1], r[0]) * 180.0 / kPi;
  if (ra < 0.0) ra += 360.0;
  if (ra >= 360.0) ra = 0.0;
  const double dec = chi > 0.0 ? std::asin(std::clamp(r[2] / chi, -1.0, 1.0)) * 180.0 / kPi : 0.0;
  return {ra, dec};
}

std::vector<LightconeHalo> lightcone_halos(const std::vector<SnapshotHalos>& snapshots,
                                           double box_size, const sim::Cosmology& cosmo,
                                           const LightconeHaloOptions& options) {
  require(positive(box_size), "box_size [Mpc/h]", box_size, "finite and > 0");
  require(options.z_min >= 0.0, "lightcone z_min", options.z_min, ">= 0");
  require(options.z_max > options.z_min && options.z_max <= 20.0, "lightcone z_max", options.z_max,
          "in (z_min, 20]");
  require(options.half_angle_deg > 0.0 && options.half_angle_deg <= 180.0,
          "lightcone half_angle_deg", options.half_angle_deg, "in (0, 180]");
  if (snapshots.empty()) throw std::invalid_argument("lightcone halos: no snapshot catalogues");
  for (std::size_t s = 0; s < snapshots.size(); ++s)
    require(snapshots[s].a > 0.0 && snapshots[s].a <= 1.0,
            "snapshot " + std::to_string(s) + " scale factor", snapshots[s].a, "in (0, 1]");
  for (int k = 0; k < 3; ++k)
    require(std::isfinite(options.observer[k]), "observer[" + std::to_string(k) + "] [Mpc/h]",
            options.observer[k], "finite");

  // Snapshots by distance; shell s spans the midpoints to its neighbours.
  std::vector<std::size_t> order(snapshots.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t i, std::size_t j) { return snapshots[i].a > snapshots[j].a; });
  std::vector<double> chi_snap;
  for (std::size_t s : order) chi_snap.push_back(cosmo.chi(snapshots[s].a));
  for (std::size_t i = 1; i < chi_snap.size(); ++i)
    if (!(chi_snap[i] > chi_snap[i - 1]))
      throw std::invalid_argument("lightcone halos: two snapshot catalogues at a = " +
                                  std::to_string(snapshots[order[i]].a) +
                                  " (each snapshot's scale factor must differ)");
  const double chi_lo = cosmo.chi(1.0 / (1.0 + options.z_min));
  const double chi_hi = cosmo.chi(1.0 / (1.0 + options.z_max));
  const ScaleFactorOfChi a_of_chi(cosmo, 0.9 / (1.0 + options.z_max));

  sim::SkyCone cone;
  cone.half_angle = options.half_angle_deg >= 180.0 ? 4.0 : options.half_angle_deg * kPi / 180.0;
  const double cos_half = std::cos(cone.half_angle);
  require(options.cells >= 1 && options.cells <= 1024, "lightcone cells", options.cells,
          "in [1, 1024]");
  // Refuse cones whose copies of the halos would not fit in memory (a full sky far beyond a
  // small box): the cone's volume in boxes times the halos per box.
  std::size_t mean_halos = 0;
  for (const auto& s : snapshots) mean_halos += s.halos.size();
  const double copies = (1.0 - std::cos(std::min(cone.half_angle, kPi))) / 2.0 * 4.0 / 3.0 * kPi *
                        std::pow(chi_hi / box_size, 3) * static_cast<double>(mean_halos) /
                        static_cast<double>(snapshots.size());
  if (copies > kMaxLightconeHalos)
    throw std::invalid_argument(
        "lightcone halos: z_max = " + std::to_string(options.z_max) +
        " and half_angle_deg = " + std::to_string(options.half_angle_deg) + " hold about " +
        std::to_string(copies) + " halo copies of this " + std::to_string(box_size) +
        " Mpc/h box (allowed: " + std::to_string(kMaxLightconeHalos) +
        "); narrow the cone (half_angle_deg, or a run's flat lensing field via lensing_dir) or "
        "lower z_max");
  const auto replicas = sim::lightcone_replicas(box_size, options.observer, chi_hi, cone,
                                                options.shuffle, options.cells, options.seed);
  const double cell = box_size / options.cells;

  std::size_t max_halos = 1;
  for (const auto& s : snapshots) max_halos = std::max(max_halos, s.halos.size());
  std::vector<LightconeHalo> out;
  for (std::size_t ri = 0; ri < replicas.size(); ++ri) {
    const auto& R = replicas[ri];
    for (std::size_t oi = 0; oi < order.size(); ++oi) {
      // Shell of snapshot oi: between the midpoints to its neighbours in chi.
      const double lo = oi == 0 ? 0.0 : 0.5 * (chi_snap[oi - 1] + chi_snap[oi]);
      const double hi = oi + 1 == order.size() ? chi_hi : 0.5 * (chi_snap[oi] + chi_snap[oi + 1]);
      const double shell_lo = std::max(lo, chi_lo), shell_hi = std::min(hi, chi_hi);
      if (shell_lo >= shell_hi) continue;
      const std::size_t s = order[oi];
      const auto& halos = snapshots[s].halos;
      for (std::size_t h = 0; h < halos.size(); ++h) {
        // Box copy n, shuffled: axis k of the copy is axis perm[k] of the box, shifted.
        std::array<double, 3> r{}, v{};
        for (std::size_t k = 0; k < 3; ++k) {
          const auto d = static_cast<std::size_t>(R.perm[k]);
          double x = std::fmod(halos[h].pos[d] + R.shift[d] * cell, box_size);
          if (x < 0.0) x += box_size;
          r[k] = x + R.n[k] * box_size - options.observer[k];
          v[k] = halos[h].vel[d];
        }
        const double chi = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
        if (!(chi >= shell_lo && chi < shell_hi)) continue;
        if (options.half_angle_deg < 180.0 && r[2] < chi * cos_half) continue;
        LightconeHalo lh;
        lh.halo = halos[h];
        lh.halo.pos = r;
        lh.halo.vel = v;
        lh.halo.a = a_of_chi(chi);
        lh.halo.id = static_cast<std::int64_t>((ri * snapshots.size() + s) * max_halos + h);
        lh.snapshot = static_cast<int>(s);
        lh.source_id = halos[h].id;
        lh.replica = R.n;
        lh.chi = chi;
        lh.redshift = 1.0 / lh.halo.a - 1.0;
        out.push_back(lh);
      }
    }
  }
  return out;
}

}  // namespace cosmograd::surveys
