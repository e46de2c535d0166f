#include "sim/sky/lightcone_catalog.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::sim {

void write_lightcone_catalog(const std::string& path, const LightconeParticles& cat,
                             const std::vector<Replica>& replicas, double box_size,
                             const std::array<double, 3>& observer, double particle_mass,
                             double fraction) {
  const std::size_t n = cat.size();
  std::vector<std::int32_t> replica;
  std::vector<double> ra, dec, chi, z, vlos;
  replica.reserve(3 * n);
  for (std::size_t e = 0; e < n; ++e) {
    for (int k = 0; k < 3; ++k) replica.push_back(replicas.at(cat.replica[e]).n[k]);
    const double* r = &cat.pos[3 * e];
    const double* v = &cat.vel[3 * e];
    const double d = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    double phi = std::atan2(r[1], r[0]) * 180.0 / M_PI;
    if (phi < 0) phi += 360.0;
    ra.push_back(phi);
    dec.push_back(d > 0 ? std::asin(r[2] / d) * 180.0 / M_PI : 0.0);
    chi.push_back(d);
    z.push_back(1.0 / cat.a[e] - 1.0);
    vlos.push_back(d > 0 ? (r[0] * v[0] + r[1] * v[1] + r[2] * v[2]) / d : 0.0);
  }
  AtomicWrite out(path);
  {
    detail::H5Id file = detail::h5_create_file(out.temp_path());
    detail::H5Id g = detail::h5_create_group(file.get(), "Lightcone", path);
    const std::string where = path + ": /Lightcone";
    detail::h5_write_dataset(g.get(), "ID", H5T_STD_U64LE, cat.id, 0, where);
    detail::h5_write_dataset(g.get(), "Replica", H5T_STD_I32LE, replica, 3, where);
    detail::h5_write_dataset(g.get(), "Position", H5T_IEEE_F64LE, cat.pos, 3, where);
    detail::h5_write_dataset(g.get(), "Velocity", H5T_IEEE_F64LE, cat.vel, 3, where);
    detail::h5_write_dataset(g.get(), "RA", H5T_IEEE_F64LE, ra, 0, where);
    detail::h5_write_dataset(g.get(), "Dec", H5T_IEEE_F64LE, dec, 0, where);
    detail::h5_write_dataset(g.get(), "Chi", H5T_IEEE_F64LE, chi, 0, where);
    detail::h5_write_dataset(g.get(), "Redshift", H5T_IEEE_F64LE, z, 0, where);
    detail::h5_write_dataset(g.get(), "VelocityLOS", H5T_IEEE_F64LE, vlos, 0, where);
    detail::h5_write_attribute(g.get(), "BoxSize", box_size, where);
    detail::h5_write_attribute(g.get(), "Observer",
                               std::vector<double>(observer.begin(), observer.end()), where);
    detail::h5_write_attribute(g.get(), "ParticleMass", particle_mass, where);
    detail::h5_write_attribute(g.get(), "Fraction", fraction, where);
    g.close("H5Gclose", where);
    file.close("H5Fclose", path);
  }
  out.commit();
}

}  // namespace cosmograd::sim
