// Gas and star particles of hydrodynamical-simulation snapshots in HDF5 (Gadget-2/3/4,
// AREPO / IllustrisTNG and CAMELS layouts), converted to cosmograd units.
//
// On disk (one or several files name.0.hdf5, name.1.hdf5, ... with NumFilesPerSnapshot):
//   /Header      BoxSize, Time (= a), Redshift, NumPart_ThisFile[6], NumPart_Total[6]
//                (+ NumPart_Total_HighWord[6] when 32-bit), MassTable[6], NumFilesPerSnapshot;
//                Omega0, OmegaLambda, HubbleParam here or in /Parameters (Gadget-4).
//   Units        UnitLength_in_cm, UnitMass_in_g, UnitVelocity_in_cm_per_s (per h, comoving)
//                looked up in /Parameters (Gadget-4), /Header (AREPO, TNG, CAMELS), /Units;
//                Gadget's defaults (kpc/h, 1e10 Msun/h, km/s) where none is present.
//   /PartType0   Coordinates (N, 3), Masses (N) (or MassTable[0]), Density, InternalEnergy
//                (specific, UnitVelocity^2), ElectronAbundance (n_e / n_H),
//                StarFormationRate [Msun/yr]; float32 or float64.
//   /PartType4   Coordinates, Masses (or MassTable[4]): stars.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::sim {

/// Mesh fields painted from a hydro snapshot (bit flags; combine with |).
enum class HydroQuantity : unsigned {
  none = 0,
  gas_density = 1u << 0,        ///< gas mass density [comoving (Msun/h)/(Mpc/h)^3]
  electron_density = 1u << 1,   ///< free-electron number density n_e [physical cm^-3]
  electron_pressure = 1u << 2,  ///< electron pressure P_e = n_e k_B T [keV cm^-3 physical]
  temperature = 1u << 3,        ///< mass-weighted gas temperature [K]
  stellar_density = 1u << 4,    ///< stellar mass density [comoving (Msun/h)/(Mpc/h)^3]
};

/// Union of two sets of quantities.
constexpr HydroQuantity operator|(HydroQuantity a, HydroQuantity b) {
  return static_cast<HydroQuantity>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
/// Intersection of two sets of quantities.
constexpr HydroQuantity operator&(HydroQuantity a, HydroQuantity b) {
  return static_cast<HydroQuantity>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
/// Whether the set `set` holds any quantity of `q`.
constexpr bool contains(HydroQuantity set, HydroQuantity q) {
  return (set & q) != HydroQuantity::none;
}

/// Every single quantity, in the order fields are painted and listed.
inline constexpr std::array<HydroQuantity, 5> kHydroQuantities = {
    HydroQuantity::gas_density, HydroQuantity::electron_density, HydroQuantity::electron_pressure,
    HydroQuantity::temperature, HydroQuantity::stellar_density};

/// Name of one quantity ("gas_density", "electron_density", "electron_pressure",
/// "temperature", "stellar_density"); throws std::invalid_argument for a set or none.
const char* hydro_quantity_name(HydroQuantity q);

/// The quantity named `name` (see hydro_quantity_name); throws std::invalid_argument naming
/// `field`, the value and the valid names otherwise.
HydroQuantity parse_hydro_quantity(const std::string& name,
                                   const std::string& field = "hydro field");

/// Unit of one quantity as text ("(Msun/h)/(Mpc/h)^3 comoving", "cm^-3 physical", ...).
const char* hydro_quantity_unit(HydroQuantity q);

/// Snapshot metadata in cosmograd units.
struct HydroHeader {
  double box_size = 0;                      ///< comoving box side L [Mpc/h] (BoxSize)
  double a = 1;                             ///< scale factor (Time)
  double redshift = 0;                      ///< Redshift (1/a - 1 when absent)
  double Omega_m = 0;                       ///< matter density today (Omega0)
  double Omega_lambda = 0;                  ///< dark-energy density today (OmegaLambda)
  double h = 0;                             ///< H0 / (100 km/s/Mpc) (HubbleParam)
  int num_files = 1;                        ///< files of the snapshot (NumFilesPerSnapshot)
  std::array<std::uint64_t, 6> num_part{};  ///< particles per type in all files
  double length_unit_mpc_h = 0;             ///< file length unit [Mpc/h comoving]
  double mass_unit_msun_h = 0;              ///< file mass unit [Msun/h]
  double velocity_unit_km_s = 0;            ///< file velocity unit [km/s]
};

/// Gas and star particles of a hydro snapshot in cosmograd units; a vector not read (not
/// needed and not asked for) is empty. Gas particle j has entries j (3 j .. 3 j + 2 for pos).
struct HydroSnapshot {
  HydroHeader header;                       ///< metadata
  std::vector<double> gas_pos;              ///< comoving positions in [0, L) [Mpc/h], 3 per gas
  std::vector<double> gas_mass;             ///< masses [Msun/h]
  std::vector<double> gas_density;          ///< Density [comoving (Msun/h)/(Mpc/h)^3]
  std::vector<double> internal_energy;      ///< specific internal energy u [(km/s)^2]
  std::vector<double> electron_abundance;   ///< x_e = n_e / n_H (ElectronAbundance)
  std::vector<double> star_formation_rate;  ///< StarFormationRate [Msun/yr]
  std::vector<double> star_pos;             ///< stellar comoving positions in [0, L) [Mpc/h]
  std::vector<double> star_mass;            ///< stellar masses [Msun/h]

  /// Number of gas particles read.
  std::size_t num_gas() const { return gas_pos.size() / 3; }
  /// Number of star particles read.
  std::size_t num_stars() const { return star_pos.size() / 3; }
};

/// Reads the gas (PartType0) and star (PartType4) particles that the quantities `needed`
/// require from the HDF5 snapshot `path` ("snap", "snap.hdf5" or "snap.0.hdf5"; every file
/// of a multi-file snapshot is read): gas Coordinates + Masses for any gas quantity,
/// ElectronAbundance for electron_density, InternalEnergy + ElectronAbundance for
/// temperature, both for electron_pressure, PartType4 Coordinates + Masses for
/// stellar_density. With `read_all` every other supported dataset present is read too
/// (Density, StarFormationRate, stars). Masses come from MassTable[type] when the Masses
/// dataset is absent. Throws std::runtime_error naming the file and the missing attribute or
/// dataset (e.g. "gas.h5: /PartType0/ElectronAbundance is missing (needed for
/// electron_pressure)").
HydroSnapshot read_hydro_snapshot(const std::string& path,
                                  HydroQuantity needed = HydroQuantity::gas_density,
                                  bool read_all = false);

}  // namespace cosmograd::sim
