// FoF halo catalogues in HDF5, following Gadget-4's fof_tab layout where it applies.
//
// On disk (one file):
//   /Header      Ngroups_ThisFile, Ngroups_Total, Nids_ThisFile, Nids_Total (int64),
//                NumFiles (int32 = 1), BoxSize (length unit), Time (= a), Redshift, Omega0,
//                OmegaLambda, HubbleParam; cosmograd extras: LinkingLength (mean
//                separations), MinMembers, ParticleMass (1e10 Msun/h).
//   /Parameters  UnitLength_in_cm, UnitMass_in_g, UnitVelocity_in_cm_per_s (as snapshots).
//   /Group/GroupLen (uint32), GroupMass (1e10 Msun/h), GroupPos (N, 3; centre of mass,
//          length unit), GroupVel (N, 3; mean peculiar velocity v = 100 p / a, km/s;
//          Arepo/Illustris catalogues store a x v_pec there: do not divide by a),
//          Group_M_Mean200, Group_R_Mean200, Group_M_Crit200, Group_R_Crit200 (1e10 Msun/h,
//          length unit; spherical overdensity around Group_Pos_SO, counting all particles;
//          0 when no sphere there reaches 200 x the mean / critical density, e.g. a group
//          with no resolved dense core), GroupOffset (uint64, first index into /IDs/ID);
//          cosmograd extras: Group_Pos_SO (N, 3; SO centre = shrinking-sphere density peak,
//          Power et al. 2003, as GroupPos: length unit, in [0, BoxSize); read as GroupPos when
//          absent), GroupVelDisp (km/s, 1-D), GroupRadius (length unit; farthest member from
//          GroupPos), GroupFirstID (uint64, smallest member id).
//   /IDs/ID      member particle ids (uint64), halo after halo in /Group order.
// Floating-point datasets are float64. Length unit kpc/h by default (as snapshots).
#pragma once

#include <string>

#include "sim/measure/fof.hpp"

namespace cosmograd::sim {

/// Writes `catalog` to `path` atomically (temporary file renamed when complete); lengths in
/// kpc/h when length_in_kpc, else Mpc/h. Throws CallError naming the file when writing fails.
void write_halo_catalog(const std::string& path, const HaloCatalog& catalog,
                        bool length_in_kpc = true);

/// Reads a catalogue written by write_halo_catalog (lengths converted to Mpc/h, masses to
/// Msun/h). Throws std::runtime_error naming the file and the missing or inconsistent
/// group, dataset or attribute.
HaloCatalog read_halo_catalog(const std::string& path);

}  // namespace cosmograd::sim
