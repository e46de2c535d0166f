#include "surveys/mocks/galaxy_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/sed.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kSpeedOfLight = 299792.458;     // [km/s]
constexpr std::int64_t kGalaxiesPerHalo = 4096;  // galaxy id = halo id x this + index in halo

/// A galaxy with where and when it is.
struct Placed {
  HodGalaxy g;
  std::int64_t id = 0;  ///< galaxy id
  double z_cos = 0;     ///< cosmological redshift
  double z_obs = 0;     ///< observed redshift (with the line-of-sight velocity)
  double z_phot = 0;    ///< redshift the magnitudes are computed at
  double chi = 0;       ///< comoving distance [Mpc/h] (lightcone)
  double v_los = 0;     ///< line-of-sight velocity [km/s] (lightcone)
  int snapshot = 0;     ///< source snapshot (lightcone)
  Lensing lensing;      ///< convergence and shear (lightcone with maps)
  bool beyond = false;  ///< behind the last source plane
};

/// Galaxy ids: halo id x kGalaxiesPerHalo + the galaxy's index in its halo (central first).
void assign_ids(std::vector<Placed>& placed) {
  std::int64_t previous = -1, k = 0;
  for (Placed& p : placed) {
    k = p.g.halo_id == previous ? k + 1 : 0;
    previous = p.g.halo_id;
    if (k >= kGalaxiesPerHalo)
      throw std::invalid_argument("halo " + std::to_string(p.g.halo_id) + " has more than " +
                                  std::to_string(kGalaxiesPerHalo) +
                                  " galaxies: the HOD parameters give absurd satellite counts");
    p.id = p.g.halo_id * kGalaxiesPerHalo + k;
  }
}

std::vector<Placed> wrap_galaxies(const std::vector<HodGalaxy>& gals) {
  std::vector<Placed> out(gals.size());
  for (std::size_t i = 0; i < gals.size(); ++i) out[i].g = gals[i];
  assign_ids(out);
  return out;
}

/// The galaxy's SED: the user's template for its kind scaled by its stellar mass, else the
/// parametric SED.
Sed galaxy_sed(const GalaxyMockOptions& o, const StellarProperties& s, const SedParams& sp) {
  const Sed& t = s.quenched ? o.template_quiescent : o.template_star_forming;
  return t.wavelength.empty() ? parametric_sed(sp) : scale(t, s.stellar_mass);
}

/// Stellar properties, SED parameters and photometry of every galaxy, and their columns.
void add_property_columns(Table& t, const std::vector<Placed>& placed, const sim::Cosmology& cosmo,
                          const GalaxyMockOptions& o) {
  const double h = cosmo.params().h;
  const double min_subhalo = std::pow(10.0, o.hod.params.log_m_min) / h;  // [Msun]
  const std::size_t n = placed.size(), nb = o.filters.size();
  std::vector<double> mstar(n), sfr(n), age(n), dust(n), metal(n), infall(n);
  // Flags as bytes while threads write them (std::vector<bool> packs neighbours into one word).
  std::vector<char> quenched_bytes(n);
  std::vector<std::vector<double>> mag_true(nb, std::vector<double>(n)),
      flux(nb, std::vector<double>(n)), flux_err(nb, std::vector<double>(n)),
      mag(nb, std::vector<double>(n)), mag_err(nb, std::vector<double>(n));
  std::vector<std::vector<char>> detected_bytes(nb, std::vector<char>(n));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string error;  // the first exception of any thread, rethrown after the loop
#pragma omp parallel for schedule(dynamic, 64)
  for (std::size_t i = 0; i < n; ++i) {
    try {
      const Placed& p = placed[i];
      const double a = 1.0 / (1.0 + p.z_cos);
      const double t_universe = cosmo.age(a);
      const auto id = static_cast<std::uint64_t>(p.id);
      const StellarProperties s =
          draw_stellar_properties(o.star_formation, p.g.halo_mass / h, p.g.central, min_subhalo,
                                  p.z_cos, t_universe, o.hod.seed, id);
      const SedParams sp = galaxy_sed_params(s, t_universe, o.hod.seed, id);
      mstar[i] = s.stellar_mass;
      sfr[i] = s.sfr;
      quenched_bytes[i] = s.quenched;
      infall[i] = s.infall_mass;
      age[i] = sp.age_gyr;
      dust[i] = sp.dust_av;
      metal[i] = sp.metallicity;
      if (nb == 0) continue;
      const bool at_distance = p.z_phot >= 1e-3;
      std::vector<double> m(nb, nan);
      if (at_distance)
        m = ab_magnitudes(galaxy_sed(o, s, sp), p.z_phot,
                          cosmo.luminosity_distance(1.0 / (1.0 + p.z_phot)) / h, o.filters);
      MockRng rng(o.hod.seed, MockStream::kPhotometry, id);
      for (std::size_t b = 0; b < nb; ++b) {
        mag_true[b][i] = m[b];
        const ObservedFlux f = at_distance
                                   ? observe_flux(m[b], o.depths[b].m5, o.snr_threshold, rng)
                                   : ObservedFlux{nan, nan, nan, nan, false};
        flux[b][i] = f.flux_njy;
        flux_err[b][i] = f.flux_err_njy;
        mag[b][i] = f.mag;
        mag_err[b][i] = f.mag_err;
        detected_bytes[b][i] = f.detected;
      }
    } catch (const std::exception& e) {
#pragma omp critical(galaxy_catalog_error)
      if (error.empty()) error = "galaxy " + std::to_string(placed[i].id) + ": " + e.what();
    }
  }
  if (!error.empty()) throw std::invalid_argument(error);
  const std::vector<bool> quenched(quenched_bytes.begin(), quenched_bytes.end());
  std::vector<std::vector<bool>> detected;
  for (const auto& d : detected_bytes) detected.emplace_back(d.begin(), d.end());
  t.add("stellar_mass", "solMass", "stellar mass (Moster+2013 SHMR with scatter)", mstar);
  t.add("sfr", "solMass/yr", "star formation rate (Speagle+2014 main sequence or quenched)", sfr);
  t.add("quenched", "", "drawn from the quenched fraction (Peng+2010, satellite quenching)",
        quenched);
  t.add("infall_mass", "solMass", "halo (central) or subhalo (satellite) mass for the SHMR",
        infall);
  t.add("sed_age", "Gyr", "age of the evolved stellar population in the SED", age);
  t.add("sed_dust_av", "mag", "V-band attenuation of the stars (Calzetti 2000)", dust);
  t.add("sed_metallicity", "", "metal mass fraction Z (Tremonti+2004 relation)", metal);
  for (std::size_t b = 0; b < nb; ++b) {
    const std::string& band = o.filters[b].name;
    t.add("mag_true_" + band, "mag", "noiseless AB magnitude in " + band, mag_true[b]);
    t.add("flux_" + band, "nJy", "measured flux in " + band + " (true + depth noise)", flux[b]);
    t.add("flux_err_" + band, "nJy", "1-sigma flux error in " + band + " (m5 / 5)", flux_err[b]);
    t.add("mag_" + band, "mag", "measured AB magnitude in " + band + " (NaN: not detected)",
          mag[b]);
    t.add("mag_err_" + band, "mag", "magnitude error in " + band + " (NaN: not detected)",
          mag_err[b]);
    t.add("detected_" + band, "", "flux / flux_err >= the S/N threshold in " + band, detected[b]);
  }
}

/// Columns every mock has: ids, host, position, velocity.
void add_basic_columns(Table& t, const std::vector<Placed>& placed) {
  const std::size_t n = placed.size();
  std::vector<std::int64_t> id(n), halo(n);
  std::vector<bool> central(n);
  std::vector<double> pos[3], vel[3], mass(n), r(n);
  for (int k = 0; k < 3; ++k) {
    pos[k].resize(n);
    vel[k].resize(n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const HodGalaxy& g = placed[i].g;
    id[i] = placed[i].id;
    halo[i] = g.halo_id;
    central[i] = g.central;
    for (int k = 0; k < 3; ++k) {
      pos[k][i] = g.pos[k];
      vel[k][i] = g.vel[k];
    }
    mass[i] = g.halo_mass;
    r[i] = g.r_over_rhalo;
  }
  t.add("galaxy_id", "", "unique id: halo_id x 4096 + index in the halo (central 0)", id);
  t.add("halo_id", "", "host halo id (catalogue index; lightcone: replica/snapshot/index)", halo);
  t.add("central", "", "central galaxy (at the halo centre) or satellite", central);
  const char* axis[3] = {"x", "y", "z"};
  for (int k = 0; k < 3; ++k)
    t.add(axis[k], "Mpc/h", std::string("comoving position ") + axis[k], pos[k]);
  for (int k = 0; k < 3; ++k)
    t.add(std::string("v") + axis[k], "km/s", std::string("peculiar velocity ") + axis[k], vel[k]);
  t.add("halo_mass", "solMass/h", "host halo mass (definition: metadata HaloMassDefinition)", mass);
  t.add("r_over_rhalo", "", "distance from the halo centre / R_Delta (0 for centrals)", r);
}

void add_metadata(Table& t, const GalaxyMockOptions& o, const sim::Cosmology& cosmo) {
  const HodParams& p = o.hod.params;
  t.numeric_meta = {{"Seed", static_cast<double>(o.hod.seed)},
                    {"HodLogMmin", p.log_m_min},
                    {"HodSigmaLogM", p.sigma_log_m},
                    {"HodLogM0", p.log_m0},
                    {"HodLogM1", p.log_m1},
                    {"HodAlpha", p.alpha},
                    {"OmegaM", cosmo.params().Omega_m},
                    {"HubbleParam", cosmo.params().h},
                    {"SnrThreshold", o.snr_threshold}};
  for (std::size_t b = 0; b < o.depths.size(); ++b)
    t.numeric_meta.emplace_back("M5_" + o.depths[b].band, o.depths[b].m5);
  t.string_meta = {{"HaloMassDefinition", halo_mass_name(o.hod.mass_definition)}};
}

/// The table "galaxies" with the basic columns; fills *summary (when given) from `counts`
/// (halos, fallbacks, outside maps) and the galaxies' centrals and satellites.
Table start_table(const std::string& description, const std::vector<Placed>& placed,
                  GalaxyMockSummary counts, GalaxyMockSummary* summary) {
  for (const Placed& p : placed) (p.g.central ? counts.centrals : counts.satellites) += 1;
  if (summary) *summary = counts;
  Table t;
  t.name = "galaxies";
  t.description = description;
  add_basic_columns(t, placed);
  return t;
}

}  // namespace

void GalaxyMockOptions::validate() const {
  hod.params.validate();
  star_formation.validate();
  if (filters.size() != depths.size())
    throw std::invalid_argument("depths: " + std::to_string(depths.size()) + " values for " +
                                std::to_string(filters.size()) + " filters (one per filter)");
  for (std::size_t b = 0; b < filters.size(); ++b) {
    surveys::validate(filters[b]);
    if (filters[b].name != depths[b].band)
      throw std::invalid_argument("depths: band '" + depths[b].band + "' at position " +
                                  std::to_string(b) + " but filter '" + filters[b].name +
                                  "' (same bands, same order)");
    sim::require(std::isfinite(depths[b].m5) && depths[b].m5 > 10 && depths[b].m5 < 40,
                 "m5 of band " + depths[b].band, depths[b].m5, "in (10, 40) [AB mag]");
  }
  sim::require(snr_threshold > 0 && std::isfinite(snr_threshold), "snr_threshold", snr_threshold,
               "finite and > 0");
  sim::require(rsd_axis >= 0 && rsd_axis <= 2, "rsd_axis", rsd_axis, "0, 1 or 2 (x, y, z)");
  sim::require(shape_noise >= 0 && shape_noise <= 0.7, "shape_noise", shape_noise, "in [0, 0.7]");
  for (const Sed* t : {&template_quiescent, &template_star_forming})
    if (!t->wavelength.empty()) surveys::validate(*t);
  sim::require(std::isfinite(photometry_z) && photometry_z <= 10.0, "photometry_z", photometry_z,
               "<= 10 (< 0: the snapshot's redshift)");
}

SedParams galaxy_sed_params(const StellarProperties& g, double age_of_universe_gyr,
                            std::uint64_t seed, std::uint64_t galaxy_id) {
  MockRng rng(seed, MockStream::kSed, galaxy_id);
  SedParams p{};
  p.stellar_mass = g.stellar_mass;
  p.sfr = g.sfr;
  const double fraction = g.quenched ? 0.75 : 0.1;
  p.age_gyr = std::clamp(fraction * age_of_universe_gyr * std::exp(0.15 * rng.normal()), 0.1,
                         std::min(13.8, age_of_universe_gyr));
  const double x = std::log10(g.stellar_mass / 1e10);
  // Garn & Best 2010, eq. 1: A_Halpha(M*), then A_V(stars) = 0.44 A_Halpha R_V / k(Halpha).
  const double a_halpha = 0.91 + 0.77 * x + 0.11 * x * x - 0.09 * x * x * x;
  p.dust_av = g.quenched ? 0.1 : std::clamp(0.44 * a_halpha * 4.05 / calzetti_k(6563.0), 0.0, 3.0);
  // Tremonti et al. 2004, eq. 3 (valid 8.5 < log M* < 11.5, clamped there).
  const double lm = std::clamp(std::log10(g.stellar_mass), 8.5, 11.5);
  const double oh = -1.492 + 1.847 * lm - 0.08026 * lm * lm;
  p.metallicity = std::clamp(0.02 * std::pow(10.0, oh - 8.69), 1e-4, 0.05);
  return p;
}

Table galaxy_table_snapshot(const sim::HaloCatalog& catalog, const sim::Cosmology& cosmo,
                            const GalaxyMockOptions& options, GalaxyMockSummary* summary) {
  options.validate();
  const double a = catalog.header.a, box = catalog.header.box_size;
  std::size_t fallbacks = 0;
  const auto halos = hod_halos(catalog, options.hod.mass_definition, &fallbacks);
  std::vector<Placed> placed = wrap_galaxies(populate_hod(halos, options.hod, a, box));
  const double z_phot = options.photometry_z >= 0.0 ? options.photometry_z : 1.0 / a - 1.0;
  for (Placed& p : placed) {
    p.z_cos = p.z_obs = 1.0 / a - 1.0;
    p.z_phot = z_phot;
  }
  Table t = start_table("HOD galaxies of one snapshot's halos (periodic box)", placed,
                        {halos.size(), 0, 0, fallbacks, 0}, summary);
  std::vector<double> s(placed.size());
  const int axis = options.rsd_axis;
  for (std::size_t i = 0; i < placed.size(); ++i)
    s[i] =
        redshift_space_coordinate(placed[i].g.pos[static_cast<std::size_t>(axis)],
                                  placed[i].g.vel[static_cast<std::size_t>(axis)], cosmo, a, box);
  const char* names[3] = {"x_rsd", "y_rsd", "z_rsd"};
  t.add(names[axis], "Mpc/h", "redshift-space coordinate along the line of sight (Kaiser 1987)", s);
  add_property_columns(t, placed, cosmo, options);
  add_metadata(t, options, cosmo);
  t.numeric_meta.insert(t.numeric_meta.begin(), {{"BoxSize", box},
                                                 {"Redshift", 1.0 / a - 1.0},
                                                 {"PhotometryRedshift", z_phot},
                                                 {"RsdAxis", static_cast<double>(axis)}});
  return t;
}

Table galaxy_table_lightcone(const std::vector<sim::HaloCatalog>& catalogs,
                             const sim::Cosmology& cosmo, const LightconeHaloOptions& lightcone,
                             const std::vector<SourcePlane>& planes,
                             const GalaxyMockOptions& options, GalaxyMockSummary* summary) {
  options.validate();
  sim::require(lightcone.z_min >= 1e-3, "lightcone z_min", lightcone.z_min,
               ">= 0.001 (galaxies need a distance for their magnitudes)");
  if (catalogs.empty()) throw std::invalid_argument("lightcone mock: no halo catalogues");
  const double box = catalogs.front().header.box_size;
  std::vector<SnapshotHalos> snaps;
  std::size_t fallbacks = 0;
  for (const auto& cat : catalogs) {
    if (std::fabs(cat.header.box_size - box) > 1e-9 * box)
      throw std::invalid_argument("lightcone mock: halo catalogues of different boxes (" +
                                  std::to_string(box) + " and " +
                                  std::to_string(cat.header.box_size) + " Mpc/h)");
    std::size_t f = 0;
    snaps.push_back({cat.header.a, hod_halos(cat, options.hod.mass_definition, &f)});
    fallbacks += f;
  }
  const auto lc_halos = lightcone_halos(snaps, box, cosmo, lightcone);
  std::vector<HodHalo> halos;
  halos.reserve(lc_halos.size());
  for (const auto& h : lc_halos) halos.push_back(h.halo);
  std::vector<Placed> all = wrap_galaxies(populate_hod(halos, options.hod, 1.0, 0.0));

  const ScaleFactorOfChi a_of_chi(cosmo, 0.8 / (1.0 + lightcone.z_max));
  std::vector<Placed> placed;
  placed.reserve(all.size());
  std::size_t outside = 0, h = 0;
  for (Placed& p : all) {
    while (lc_halos[h].halo.id != p.g.halo_id) ++h;  // galaxies come halo by halo
    const auto& r = p.g.pos;
    p.chi = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    p.z_cos = 1.0 / a_of_chi(p.chi) - 1.0;
    p.v_los = (p.g.vel[0] * r[0] + p.g.vel[1] * r[1] + p.g.vel[2] * r[2]) / p.chi;
    p.z_obs = (1.0 + p.z_cos) * (1.0 + p.v_los / kSpeedOfLight) - 1.0;
    p.z_phot = p.z_cos;
    p.snapshot = lc_halos[h].snapshot;
    if (!planes.empty() && !lensing_at(planes, r, p.z_cos, p.lensing, &p.beyond)) {
      ++outside;
      continue;
    }
    placed.push_back(p);
  }
  Table t = start_table("HOD galaxies on the past lightcone (observer at the origin of x, y, z)",
                        placed, {halos.size(), 0, 0, fallbacks, outside}, summary);
  const std::size_t n = placed.size();
  std::vector<double> ra(n), dec(n), chi(n), zc(n), zo(n), vlos(n);
  std::vector<std::int32_t> snap(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto rd = ra_dec_deg(placed[i].g.pos);
    ra[i] = rd[0];
    dec[i] = rd[1];
    chi[i] = placed[i].chi;
    zc[i] = placed[i].z_cos;
    zo[i] = placed[i].z_obs;
    vlos[i] = placed[i].v_los;
    snap[i] = placed[i].snapshot;
  }
  t.add("ra", "deg", "right ascension atan2(y, x) in [0, 360)", ra);
  t.add("dec", "deg", "declination asin(z / chi)", dec);
  t.add("chi", "Mpc/h", "comoving distance", chi);
  t.add("redshift_true", "", "cosmological redshift 1/a(chi) - 1", zc);
  t.add("redshift", "", "observed redshift (1 + z_true)(1 + v_los / c) - 1", zo);
  t.add("v_los", "km/s", "line-of-sight peculiar velocity (positive: receding)", vlos);
  t.add("snapshot", "", "index of the halo catalogue the host came from", snap);
  if (!planes.empty()) {
    std::vector<double> kappa(n), g1(n), g2(n), e1i(n), e2i(n), e1(n), e2(n);
    std::vector<bool> beyond(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Placed& p = placed[i];
      MockRng rng(options.hod.seed, MockStream::kShape, static_cast<std::uint64_t>(p.id));
      const Ellipticity ei = draw_intrinsic_ellipticity(options.shape_noise, rng);
      const Ellipticity e = lens_ellipticity(ei, p.lensing);
      kappa[i] = p.lensing.kappa;
      g1[i] = p.lensing.gamma1;
      g2[i] = p.lensing.gamma2;
      e1i[i] = ei.e1;
      e2i[i] = ei.e2;
      e1[i] = e.e1;
      e2[i] = e.e2;
      beyond[i] = p.beyond;
    }
    t.add("kappa", "", "convergence at the galaxy (source planes interpolated in z)", kappa);
    t.add("gamma1", "", "shear component 1 (HEALPix: e_theta - e_phi; flat: xi - eta)", g1);
    t.add("gamma2", "", "shear component 2", g2);
    t.add("e1_int", "", "intrinsic ellipticity 1 (Gaussian, sigma_e per component)", e1i);
    t.add("e2_int", "", "intrinsic ellipticity 2", e2i);
    t.add("e1", "", "lensed ellipticity 1 (Seitz & Schneider 1997)", e1);
    t.add("e2", "", "lensed ellipticity 2", e2);
    t.add("beyond_last_plane", "", "behind the last source plane: its lensing used", beyond);
  }
  add_property_columns(t, placed, cosmo, options);
  add_metadata(t, options, cosmo);
  t.numeric_meta.insert(t.numeric_meta.begin(), {{"BoxSize", box},
                                                 {"ZMin", lightcone.z_min},
                                                 {"ZMax", lightcone.z_max},
                                                 {"HalfAngleDeg", lightcone.half_angle_deg},
                                                 {"ObserverX", lightcone.observer[0]},
                                                 {"ObserverY", lightcone.observer[1]},
                                                 {"ObserverZ", lightcone.observer[2]},
                                                 {"ShapeNoise", options.shape_noise}});
  return t;
}

}  // namespace cosmograd::surveys
