// Baryon targets built from a dark-matter-only run, the painters' training data here: no
// hydrodynamical simulation can be downloaded, so these targets are SYNTHETIC (analytic models
// around the run's FoF halos) and every file says so in its `reference` attribute:
//   bcm_matter         1 + delta of the baryonified particles (Schneider & Teyssier 2015),
//   electron_pressure  GNFW electron pressure around halos (Arnaud et al. 2010) [keV cm^-3],
//   hi_density         HI from the HI-halo mass relation (Villaescusa-Navarro et al. 2018)
//                      [comoving (Msun/h)/(Mpc/h)^3],
// beside dmo_density, 1 + delta of the dark-matter-only particles (the painters' input).
// Real hydro fields (sim/baryons/hydro_fields.hpp) take the targets' place when a user has
// them.
#pragma once

#include <string>
#include <vector>

#include "sim/baryons/baryonification.hpp"
#include "sim/baryons/gas_pressure.hpp"
#include "sim/baryons/hi_painting.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// A painted target.
enum class BaryonTarget { matter, electron_pressure, hi };

/// Every target, in file order.
inline constexpr BaryonTarget kBaryonTargets[] = {
    BaryonTarget::matter, BaryonTarget::electron_pressure, BaryonTarget::hi};

/// The target's field name ("bcm_matter", "electron_pressure", "hi_density"), also its file
/// name without ".h5" and its dataset name.
const char* baryon_target_name(BaryonTarget t);
/// The target's unit, in words.
const char* baryon_target_unit(BaryonTarget t);
/// The target named `name`; throws std::invalid_argument naming `field` and the valid names.
BaryonTarget parse_baryon_target(const std::string& name, const std::string& field = "target");

/// How the targets are made.
struct BaryonTargetOptions {
  int mesh = 64;                ///< cells per side of every field
  FofOptions fof;               ///< halo finding (b = 0.2, >= 20 members)
  BcmParams bcm;                ///< baryonification
  GasPressureOptions pressure;  ///< GNFW pressure
  HiOptions hi;                 ///< HI-halo mass relation
  int threads = 1;              ///< threads

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
};

/// The targets of one run.
struct BaryonTargetSet {
  Field<double> dmo;       ///< 1 + delta of the dark-matter-only particles (CIC)
  Field<double> matter;    ///< 1 + delta of the baryonified particles (CIC)
  Field<double> pressure;  ///< electron pressure [keV cm^-3, physical]
  Field<double> hi;        ///< HI density [comoving (Msun/h)/(Mpc/h)^3]
  HaloCatalog halos;       ///< the FoF halos the targets were built around
  BcmReport bcm;           ///< what baryonification did

  /// The field of target t.
  const Field<double>& field(BaryonTarget t) const;
};

/// Finds the halos of `p` (a run at header.a with header.box_size, Omega_m, particle_mass) and
/// paints every target on options.mesh^3 with cosmology `cosmo` (f_b = Omega_b / Omega_m).
BaryonTargetSet make_baryon_targets(const Particles<double>& p, const SnapshotHeader& header,
                                    const CosmologyParams& cosmo,
                                    const BaryonTargetOptions& options);

/// Writes dmo_density.h5, bcm_matter.h5, electron_pressure.h5 and hi_density.h5 into `dir`
/// (created if missing; each file atomic) with the model's reference and parameters as dataset
/// attributes, and `source` (the input snapshot) as an attribute of each.
void write_baryon_targets(const std::string& dir, const BaryonTargetSet& targets,
                          const BaryonTargetOptions& options, const SnapshotHeader& header,
                          const std::string& source);

/// Reads field `name` ("dmo_density" or a target name) of a directory written by
/// write_baryon_targets; throws naming the file when it is missing or its mesh is not `mesh`.
Field<double> read_baryon_field(const std::string& dir, const std::string& name, int mesh);

}  // namespace cosmograd::sim
