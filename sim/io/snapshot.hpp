// Particle snapshots in Gadget-4's HDF5 layout (readable by yt, Gadget-4, Pylians, ...).
//
// On disk (one or several files, see snapshot_file_names):
//   /Header      BoxSize, Time (= a), Redshift, NumPart_ThisFile[6], NumPart_Total[6],
//                NumPart_Total_HighWord[6] (uint32, Gadget-2/3 split of 64-bit totals),
//                MassTable[6] (1e10 Msun/h; only type 1 is non-zero), Omega0, OmegaLambda,
//                HubbleParam, NumFilesPerSnapshot, Flag_Sfr, Flag_Cooling, Flag_StellarAge,
//                Flag_Metals, Flag_Feedback, Flag_Entropy_ICs (all 0), Flag_DoublePrecision.
//   /Parameters  UnitLength_in_cm, UnitMass_in_g, UnitVelocity_in_cm_per_s,
//                ComovingIntegrationOn = 1, Omega0, OmegaLambda, HubbleParam, BoxSize.
//   /PartType1/Coordinates  (N, 3) comoving positions wrapped into [0, BoxSize), length unit.
//   /PartType1/Velocities   (N, 3) Gadget's u = v_pec / sqrt(a) = 100 p / a^1.5 [km/s]
//                           (p = a^2 dx/dt / H0 [Mpc/h], sim/core/units.hpp; Springel 2005, sec.
//                           4).
//   /PartType1/ParticleIDs  (N) uint64 = lattice index + 1 (Gadget IDs are >= 1; 0 is
//                           reserved by several tools as "no particle").
// Length unit: kpc/h by default, because yt (4.1.4) ignores the unit attributes of a plain
// Gadget HDF5 file and assumes kpc/h comoving; SnapshotOptions::length_in_kpc = false writes
// Mpc/h (then tell yt: unit_base = {"UnitLength_in_cm": 3.0856775814913673e24}).
// Coordinates and Velocities are float32 (Flag_DoublePrecision = 0) unless
// SnapshotOptions::double_precision asks for float64 (Flag_DoublePrecision = 1). float32
// positions in kpc/h keep ~0.02 kpc/h at L = 256 Mpc/h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mpi/comm.hpp"

namespace cosmograd::sim {

/// Snapshot metadata in cosmograd units.
struct SnapshotHeader {
  double box_size = 0;               ///< comoving box side L [Mpc/h] (BoxSize)
  double a = 1;                      ///< scale factor (Time); Redshift = 1/a - 1
  double Omega_m = 0;                ///< matter density today (Omega0)
  double Omega_lambda = 0;           ///< cosmological-constant density today (OmegaLambda)
  double h = 0;                      ///< H0 / (100 km/s/Mpc) (HubbleParam)
  double particle_mass = 0;          ///< mass of one particle [1e10 Msun/h] (MassTable[1])
  std::uint64_t num_part_total = 0;  ///< particles in the snapshot; filled by read_snapshot
                                     ///< (write_snapshot writes the particles' count)
  int num_files = 1;                 ///< files of the snapshot; filled by read_snapshot
                                     ///< (write_snapshot uses SnapshotOptions::num_files)
  /// Every cosmological parameter of the run (Omega_m and h repeat the fields above), written
  /// to /Parameters when has_cosmology: OmegaBaryon, Sigma8, PrimordialIndex (N-GenIC's
  /// names), DarkEnergyW0, DarkEnergyWa, OmegaCurvature, CMBTemperature, NEff, Radiation,
  /// PrimordialAmplitude. read_snapshot fills it when the file has them all.
  CosmologyParams cosmology;
  bool has_cosmology = false;  ///< whether `cosmology` holds the run's parameters

  /// Redshift z = 1/a - 1.
  double redshift() const { return 1.0 / a - 1.0; }
};

/// How write_snapshot lays out the files.
struct SnapshotOptions {
  bool length_in_kpc = true;      ///< lengths in kpc/h (yt's assumption) instead of Mpc/h
  int num_files = 1;              ///< files to split the particles over, >= 1
  bool double_precision = false;  ///< float64 Coordinates/Velocities instead of float32
};

/// Particle data read from a snapshot, in cosmograd units. T = float or double.
template <class T>
struct SnapshotData {
  SnapshotHeader header;           ///< metadata (box_size in Mpc/h, mass in 1e10 Msun/h)
  std::vector<T> pos;              ///< comoving positions [Mpc/h], 3 per particle, as stored
  std::vector<T> mom;              ///< momenta p = a^1.5 u / 100 [Mpc/h], 3 per particle
  std::vector<std::uint64_t> ids;  ///< ParticleIDs as stored (cosmograd: lattice index + 1)

  /// Number of particles read.
  std::size_t size() const { return ids.size(); }
};

/// Mass of one of num_part particles sharing the matter of a box of side box_size [Mpc/h]:
/// Omega_m rho_crit L^3 / N, in [1e10 Msun/h].
double lattice_particle_mass(double Omega_m, double box_size, std::uint64_t num_part);

/// The files of the snapshot with base name `base` ("out/snap_005"; a trailing ".hdf5" is
/// ignored): {"out/snap_005.hdf5"} for one file, {"out/snap_005.0.hdf5", ...,
/// "out/snap_005.<k-1>.hdf5"} for k > 1 (Gadget-4's naming). yt derives the other files'
/// names from the part of the file name before its first '.', so keep dots out of the base
/// file name for multi-file snapshots (write_snapshot logs a warning otherwise).
std::vector<std::string> snapshot_file_names(const std::string& base, int num_files);

/// Writes the particles of `p` (this process holds all of them) as a Gadget-4 HDF5 snapshot
/// under the base name `path` (see snapshot_file_names), splitting the particles
/// contiguously over o.num_files files. Every file is written to a temporary name and all
/// are renamed into place only after the last one is complete; files of an earlier snapshot
/// under the same base name but another layout (base.hdf5, or base.<i>.hdf5 beyond the new
/// count) are then removed so readers never mix two snapshots. Throws
/// std::invalid_argument on a bad header/option (box_size <= 0 or different from p.box_size,
/// a <= 0, particle_mass <= 0, num_files < 1 or > max(1, N)), std::runtime_error on a
/// non-finite position or velocity, and CallError (naming the file) when writing fails.
template <class T>
void write_snapshot(const std::string& path, const Particles<T>& p, const SnapshotHeader& h,
                    const SnapshotOptions& o = {});

/// write_snapshot() of particles distributed over `comm` (collective): the ranks form
/// o.num_files contiguous groups (0: one file per rank; at most one file per rank), each
/// group's first rank gathers its particles and writes one file of the snapshot
/// (NumFilesPerSnapshot = the number of files, NumPart_Total = all ranks' particles), and
/// the files are renamed into place once every one is complete. Errors on any rank throw
/// on all. Serial `comm`: write_snapshot() above (num_files 0 meaning 1).
template <class T>
void write_snapshot(const std::string& path, const Particles<T>& p, const SnapshotHeader& h,
                    const SnapshotOptions& o, const Comm& comm);

/// Reads the type-1 (dark matter) particles of a Gadget HDF5 snapshot, single- or
/// multi-file, written by cosmograd, Gadget-2/3/4 or compatible codes. `path` may name any
/// file of the snapshot ("snap.hdf5", "snap.0.hdf5", "snap.3.hdf5") or its base ("snap",
/// tried as "snap.hdf5" then "snap.0.hdf5"). Units: taken from /Parameters
/// UnitLength_in_cm / UnitVelocity_in_cm_per_s / UnitMass_in_g, else from the same
/// attributes in /Header, else Gadget's defaults (kpc/h, km/s, 1e10 Msun/h) as yt assumes;
/// BoxSize and Coordinates are converted to Mpc/h. Omega0, OmegaLambda and HubbleParam are
/// read from /Header, else /Parameters (Gadget-4 keeps them there). When MassTable[1] is 0
/// a uniform /PartType1/Masses is used. Throws std::runtime_error naming the file and the
/// missing or inconsistent group, dataset or attribute.
template <class T>
SnapshotData<T> read_snapshot(const std::string& path);

}  // namespace cosmograd::sim
