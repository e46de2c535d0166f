// Mesh fields of a hydro snapshot: gas and stellar mass densities, free-electron density,
// electron pressure and mass-weighted temperature, painted with a mass-assignment window
// (CIC by default) onto an n^3 serial mesh. Written by `cosmograd paint` with write_field.
//
// Gas thermodynamics (the standard Gadget / IllustrisTNG conversion, e.g. the TNG data
// release FAQ, Nelson et al. 2019, ComAC 6, 2): with hydrogen mass fraction X = 0.76,
// electron abundance x_e = n_e / n_H and specific internal energy u,
//   mu  = 4 / (1 + 3 X + 4 X x_e)            (mean molecular weight, in m_p),
//   T   = (gamma - 1) u mu m_p / k_B,        gamma = 5/3,
//   N_e = x_e X M / m_p                      (free electrons of a particle of mass M).
#pragma once

#include <vector>

#include "sim/io/hydro_snapshot.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mesh/window.hpp"

namespace cosmograd::sim {

/// Hydrogen mass fraction X of the gas (primordial; Gadget's and TNG's HYDROGEN_MASSFRAC).
inline constexpr double kHydrogenMassFraction = 0.76;
/// Adiabatic index gamma of the gas (monatomic ideal gas).
inline constexpr double kGasAdiabaticIndex = 5.0 / 3.0;

/// Mean molecular weight mu = 4 / (1 + 3 X + 4 X x_e) [m_p] for electron abundance x_e.
double mean_molecular_weight(double electron_abundance);

/// Gas temperature T = (gamma - 1) u mu m_p / k_B [K] for specific internal energy u
/// [(km/s)^2] and electron abundance x_e = n_e / n_H.
double gas_temperature(double internal_energy, double electron_abundance);

/// One painted field: its quantity (hydro_quantity_name, hydro_quantity_unit) and values.
struct HydroMesh {
  HydroQuantity quantity;  ///< which field (a single quantity)
  Field<double> field;     ///< n^3 serial mesh, cell i at x = i L / n, in the quantity's unit
};

/// Paints the quantities of `which` from `snap` onto n^3 serial meshes over the box with
/// window `kernel`, one HydroMesh per quantity in kHydroQuantities order:
///   gas_density, stellar_density: painted mass / (L/n)^3 [comoving (Msun/h)/(Mpc/h)^3];
///   electron_density: painted N_e / (a L / (n h) Mpc)^3 [physical cm^-3];
///   electron_pressure: painted N_e k_B T / the same volume [keV cm^-3];
///   temperature: painted M T / painted M [K] (0 in cells that receive no mass).
/// Throws std::invalid_argument when n is odd or < 2, when the header's a or h is not
/// positive, or when `snap` lacks the particle data a quantity needs (naming it).
std::vector<HydroMesh> paint_hydro_fields(const HydroSnapshot& snap, HydroQuantity which, int n,
                                          PaintKernel kernel = PaintKernel::cic);

/// paint_hydro_fields() of the single quantity `q`.
Field<double> paint_hydro_field(const HydroSnapshot& snap, HydroQuantity q, int n,
                                PaintKernel kernel = PaintKernel::cic);

}  // namespace cosmograd::sim
