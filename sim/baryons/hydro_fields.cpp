#include "sim/baryons/hydro_fields.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/core/units.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mesh/plane_order.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cosmograd::sim {

namespace {

/// Proton mass [g] (CODATA 2018).
constexpr double kProtonMassG = 1.67262192369e-24;
/// Boltzmann constant [erg/K] (exact in the 2019 SI).
constexpr double kBoltzmannErgK = 1.380649e-16;
/// One keV [erg] (exact: 1e3 x the elementary charge 1.602176634e-19 C x 1e7 erg/J).
constexpr double kKevErg = 1.602176634e-9;
/// (km/s)^2 in (cm/s)^2.
constexpr double kKm2S2InCm2S2 = 1.0e10;

/// Throws std::invalid_argument when `values` does not hold one entry per particle.
void require(const std::vector<double>& values, std::size_t count, const char* dataset,
             HydroQuantity q) {
  if (values.size() != count) {
    throw std::invalid_argument(
        std::string("paint_hydro_fields: ") + hydro_quantity_name(q) + " needs " + dataset +
        " for " + std::to_string(count) + " particles but the snapshot holds " +
        std::to_string(values.size()) + " values (ask read_hydro_snapshot for this quantity)");
  }
}

}  // namespace

double mean_molecular_weight(double electron_abundance) {
  constexpr double X = kHydrogenMassFraction;
  return 4.0 / (1.0 + 3.0 * X + 4.0 * X * electron_abundance);
}

double gas_temperature(double internal_energy, double electron_abundance) {
  // T = (gamma - 1) u mu m_p / k_B (TNG data release, Nelson et al. 2019).
  return (kGasAdiabaticIndex - 1.0) * internal_energy * kKm2S2InCm2S2 *
         mean_molecular_weight(electron_abundance) * kProtonMassG / kBoltzmannErgK;
}

std::vector<HydroMesh> paint_hydro_fields(const HydroSnapshot& snap, HydroQuantity which, int n,
                                          PaintKernel kernel) {
  const HydroHeader& h = snap.header;
  if (!(h.a > 0) || !(h.h > 0) || !(h.box_size > 0)) {
    throw std::invalid_argument(
        "paint_hydro_fields: header a = " + std::to_string(h.a) + ", h = " + std::to_string(h.h) +
        ", box_size = " + std::to_string(h.box_size) + " must all be positive");
  }
  const Decomposition decomp(n);  // throws for odd n or n < 2
  const double L = h.box_size;
  const double cell = L / n;                                     // [Mpc/h comoving]
  const double cell_volume = cell * cell * cell;                 // [(Mpc/h)^3 comoving]
  const double cell_phys_cm = h.a * cell / h.h * units::mpc_cm;  // physical cell side [cm]
  const double cell_phys_cm3 = cell_phys_cm * cell_phys_cm * cell_phys_cm;

  using Q = HydroQuantity;
  const std::size_t ng = snap.num_gas();
  const bool any_gas =
      contains(which, Q::gas_density | Q::electron_density | Q::electron_pressure | Q::temperature);
  Particles<double> gas;
  PlaneOrder gas_order;
  if (any_gas) {
    require(snap.gas_mass, ng, "gas Masses",
            which & (Q::gas_density | Q::electron_density | Q::electron_pressure | Q::temperature));
    gas = Particles<double>::at_positions(snap.gas_pos, L);
    gas_order.sort(gas, n, L, 0.0);
  }
  // Per-particle electrons N_e = x_e X M / m_p and temperatures T_j, when needed.
  std::vector<double> electrons, temperature;
  if (contains(which, Q::electron_density | Q::electron_pressure)) {
    require(snap.electron_abundance, ng, "ElectronAbundance",
            which & (Q::electron_density | Q::electron_pressure));
    electrons.resize(ng);
    for (std::size_t j = 0; j < ng; ++j) {
      const double mass_g = snap.gas_mass[j] / h.h * units::msun_g;
      electrons[j] = snap.electron_abundance[j] * kHydrogenMassFraction * mass_g / kProtonMassG;
    }
  }
  if (contains(which, Q::electron_pressure | Q::temperature)) {
    const Q q = which & (Q::electron_pressure | Q::temperature);
    require(snap.internal_energy, ng, "InternalEnergy", q);
    require(snap.electron_abundance, ng, "ElectronAbundance", q);
    temperature.resize(ng);
    for (std::size_t j = 0; j < ng; ++j) {
      temperature[j] = gas_temperature(snap.internal_energy[j], snap.electron_abundance[j]);
    }
  }

  std::vector<double> weights(ng);
  const auto paint_gas = [&](Field<double>& mesh) {
    paint_weighted(mesh, gas, L, kernel, weights.data(), 1, 0.0, &gas_order);
  };
  const auto scale = [&](Field<double>& mesh, double factor) {
    for (int x = 0; x < n; ++x)
      for (int y = 0; y < n; ++y)
        for (int z = 0; z < n; ++z) mesh.at(x, y, z) *= factor;
  };

  std::vector<HydroMesh> out;
  for (Q q : kHydroQuantities) {
    if (!contains(which, q)) continue;
    Field<double> mesh(decomp);
    if (q == Q::gas_density) {
      weights = snap.gas_mass;
      paint_gas(mesh);
      scale(mesh, 1.0 / cell_volume);
    } else if (q == Q::electron_density) {
      weights = electrons;
      paint_gas(mesh);
      scale(mesh, 1.0 / cell_phys_cm3);
    } else if (q == Q::electron_pressure) {
      for (std::size_t j = 0; j < ng; ++j) {
        weights[j] = electrons[j] * kBoltzmannErgK * temperature[j] / kKevErg;
      }
      paint_gas(mesh);
      scale(mesh, 1.0 / cell_phys_cm3);
    } else if (q == Q::temperature) {
      Field<double> mass(decomp);
      weights = snap.gas_mass;
      paint_gas(mass);
      for (std::size_t j = 0; j < ng; ++j) weights[j] = snap.gas_mass[j] * temperature[j];
      paint_gas(mesh);
      for (int x = 0; x < n; ++x)
        for (int y = 0; y < n; ++y)
          for (int z = 0; z < n; ++z) {
            const double m = mass.at(x, y, z);
            mesh.at(x, y, z) = m > 0 ? mesh.at(x, y, z) / m : 0.0;
          }
    } else {  // stellar_density
      const std::size_t ns = snap.num_stars();
      require(snap.star_mass, ns, "stellar Masses", q);
      const Particles<double> stars = Particles<double>::at_positions(snap.star_pos, L);
      paint_weighted(mesh, stars, L, kernel, snap.star_mass.data(), 1);
      scale(mesh, 1.0 / cell_volume);
    }
    out.push_back(HydroMesh{q, std::move(mesh)});
  }
  return out;
}

Field<double> paint_hydro_field(const HydroSnapshot& snap, HydroQuantity q, int n,
                                PaintKernel kernel) {
  const char* name = hydro_quantity_name(q);  // throws unless q is a single quantity
  std::vector<HydroMesh> meshes = paint_hydro_fields(snap, q, n, kernel);
  if (meshes.size() != 1) {
    throw std::logic_error(std::string("paint_hydro_field: no field painted for ") + name);
  }
  return std::move(meshes.front().field);
}

}  // namespace cosmograd::sim
