// The lightcone's particle catalogue as an HDF5 file: every catalogued crossing with its sky
// position, comoving distance, redshift, velocity and particle id.
#pragma once

#include <string>

#include "sim/sky/lightcone.hpp"

namespace cosmograd::sim {

/// Writes `cat` to `path` atomically (HDF5): group /Lightcone with datasets
/// ID (uint64, the lattice index), Replica (int32, 3 per entry: the box copy n),
/// Position (3 per entry, observer frame [Mpc/h]), Velocity (3 per entry [km/s]),
/// RA, Dec [deg] (longitude atan2(y, x) in [0, 360), latitude asin(z / chi)), Chi [Mpc/h],
/// Redshift (1/a - 1 at the crossing), VelocityLOS [km/s] (positive: receding), and the
/// attributes BoxSize [Mpc/h], Observer [Mpc/h], ParticleMass [Msun/h], Fraction (the
/// catalogued fraction). `replicas` are the lightcone's (Lightcone::replicas()).
/// Throws CallError naming the file on any HDF5 failure.
void write_lightcone_catalog(const std::string& path, const LightconeParticles& cat,
                             const std::vector<Replica>& replicas, double box_size,
                             const std::array<double, 3>& observer, double particle_mass,
                             double fraction);

}  // namespace cosmograd::sim
