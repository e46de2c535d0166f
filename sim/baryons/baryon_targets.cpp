// Synthetic baryon targets around the halos of a dark-matter-only run (see baryon_targets.hpp).
#include "sim/baryons/baryon_targets.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "sim/baryons/ldl.hpp"
#include "sim/io/field_io.hpp"

namespace cosmograd::sim {

namespace {

/// The reference and parameters written with each field.
FieldAttributes attributes(const std::string& reference,
                           const std::vector<std::pair<std::string, double>>& params,
                           const std::string& unit, const std::string& source) {
  FieldAttributes a;
  a.strings = {{"reference", reference},
               {"unit", unit},
               {"source", source},
               {"note",
                "synthetic target: an analytic model painted around the FoF halos of a "
                "dark-matter-only run, not a hydrodynamical simulation"}};
  a.numbers = params;
  return a;
}

}  // namespace

const char* baryon_target_name(BaryonTarget t) {
  switch (t) {
    case BaryonTarget::matter:
      return "bcm_matter";
    case BaryonTarget::electron_pressure:
      return "electron_pressure";
    case BaryonTarget::hi:
      return "hi_density";
  }
  return "?";
}

const char* baryon_target_unit(BaryonTarget t) {
  switch (t) {
    case BaryonTarget::matter:
      return "1 + delta (dimensionless)";
    case BaryonTarget::electron_pressure:
      return "keV cm^-3 (physical)";
    case BaryonTarget::hi:
      return "(Msun/h) / (Mpc/h)^3 (comoving)";
  }
  return "?";
}

BaryonTarget parse_baryon_target(const std::string& name, const std::string& field) {
  std::string valid;
  for (const BaryonTarget t : kBaryonTargets) {
    if (name == baryon_target_name(t)) return t;
    valid += std::string(valid.empty() ? "" : ", ") + baryon_target_name(t);
  }
  throw std::invalid_argument(field + " = '" + name + "': not a baryon target (valid: " + valid +
                              ")");
}

void BaryonTargetOptions::validate() const {
  if (mesh < 4 || mesh % 2 != 0) {
    throw std::invalid_argument("mesh = " + std::to_string(mesh) + ": must be an even number >= 4");
  }
  if (threads < 1) {
    throw std::invalid_argument("threads = " + std::to_string(threads) + ": must be >= 1");
  }
  fof.validate();
  bcm.validate();
  pressure.validate();
  hi.validate();
}

const Field<double>& BaryonTargetSet::field(BaryonTarget t) const {
  switch (t) {
    case BaryonTarget::matter:
      return matter;
    case BaryonTarget::electron_pressure:
      return pressure;
    case BaryonTarget::hi:
      return hi;
  }
  return matter;
}

BaryonTargetSet make_baryon_targets(const Particles<double>& p, const SnapshotHeader& header,
                                    const CosmologyParams& cosmo,
                                    const BaryonTargetOptions& options) {
  options.validate();
  if (!(p.box_size > 0) || std::abs(p.box_size - header.box_size) > 1e-9 * header.box_size) {
    throw std::invalid_argument("baryon targets: particles' box " + std::to_string(p.box_size) +
                                " differs from the header's " + std::to_string(header.box_size));
  }
  if (p.size() == 0) throw std::invalid_argument("baryon targets: no particles");
  const Decomposition decomp(options.mesh);
  const Cosmology background(cosmo);
  BaryonTargetSet t{ldl_density(p, options.mesh),
                    Field<double>(decomp),
                    Field<double>(decomp),
                    Field<double>(decomp),
                    {},
                    {}};
  t.halos = find_halos(p, header, options.fof);
  const double f_b = cosmo.Omega_b / cosmo.Omega_m;
  t.matter = ldl_density(baryonify(p, t.halos, options.bcm, f_b, &t.bcm), options.mesh);
  t.pressure = paint_electron_pressure(t.halos, decomp, background, options.pressure);
  t.hi = paint_hi_density(t.halos, decomp, background, options.hi);
  return t;
}

void write_baryon_targets(const std::string& dir, const BaryonTargetSet& targets,
                          const BaryonTargetOptions& options, const SnapshotHeader& header,
                          const std::string& source) {
  std::filesystem::create_directories(dir);
  const double L = header.box_size, a = header.a;
  const auto path = [&](const std::string& name) { return dir + "/" + name + ".h5"; };
  FieldAttributes dmo;
  dmo.strings = {{"unit", "1 + delta (dimensionless)"},
                 {"source", source},
                 {"note", "CIC density of the dark-matter-only particles"}};
  write_field(path("dmo_density"), targets.dmo, L, a, "dmo_density", dmo);
  std::vector<std::pair<std::string, double>> bcm = options.bcm.named();
  bcm.insert(bcm.end(), {{"halos_baryonified", double(targets.bcm.halos)},
                         {"gas_fraction_of_halo_mass", targets.bcm.gas_fraction}});
  write_field(path("bcm_matter"), targets.matter, L, a, "bcm_matter",
              attributes("baryonic correction model: Schneider & Teyssier 2015, JCAP 12, 049 "
                         "(profiles and fractions), Schneider et al. 2019, JCAP 03, 020 (bound "
                         "gas, truncation); halos: FoF b = 0.2, M200c",
                         bcm, baryon_target_unit(BaryonTarget::matter), source));
  write_field(path("electron_pressure"), targets.pressure, L, a, "electron_pressure",
              attributes("generalised NFW pressure of Arnaud et al. 2010, A&A 517, A92, eqs. "
                         "11-13, around FoF halos (M500c from M200c, Duffy et al. 2008 c(M))",
                         options.pressure.parameters(),
                         baryon_target_unit(BaryonTarget::electron_pressure), source));
  write_field(path("hi_density"), targets.hi, L, a, "hi_density",
              attributes("HI-halo mass relation of Villaescusa-Navarro et al. 2018, ApJ 866, "
                         "135 (FoF halos), painted with their HI profile",
                         options.hi.parameters(), baryon_target_unit(BaryonTarget::hi), source));
}

Field<double> read_baryon_field(const std::string& dir, const std::string& name, int mesh) {
  const std::string path = dir + "/" + name + ".h5";
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error(path + " is missing (make it with `cosmograd paint targets`)");
  }
  return std::move(read_field<double>(path, name, mesh).field);
}

}  // namespace cosmograd::sim
