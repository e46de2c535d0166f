// The FoF halo-mass field and the bias fit (see halo_data.hpp).
#include "inference/halo_data.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/snapshot.hpp"
#include "sim/mesh/ghosts.hpp"

namespace cosmograd::inference {

sim::Field<double> halo_mass_field(const sim::Particles<double>& p, const sim::SimSpec& spec,
                                   int mesh, const sim::FofOptions& fof, std::size_t* halos) {
  sim::SnapshotHeader h;
  h.box_size = spec.box_size;
  h.a = spec.a_final();
  h.Omega_m = spec.cosmology.Omega_m;
  h.Omega_lambda = sim::Cosmology(spec.cosmology).Omega_de();
  h.h = spec.cosmology.h;
  const std::uint64_t total = static_cast<std::uint64_t>(p.n_side) * p.n_side * p.n_side;
  h.particle_mass = sim::lattice_particle_mass(spec.cosmology.Omega_m, spec.box_size, total);
  const sim::HaloCatalog cat = sim::find_halos(p, h, fof);
  if (halos != nullptr) *halos = cat.halos.size();
  if (cat.halos.empty()) {
    throw std::runtime_error("halo data: no FoF halo with at least " +
                             std::to_string(fof.min_members) + " members in this run (" +
                             std::to_string(p.n_side) +
                             "^3 particles); use more particles or "
                             "a smaller min_members");
  }
  std::vector<double> pos, mass;
  double total_mass = 0;
  for (const sim::Halo& halo : cat.halos) {
    pos.insert(pos.end(), halo.pos.begin(), halo.pos.end());
    mass.push_back(halo.mass);
    total_mass += halo.mass;
  }
  const sim::Particles<double> centres = sim::Particles<double>::at_positions(pos, spec.box_size);
  const double cells = std::pow(static_cast<double>(mesh), 3);
  for (double& m : mass) m *= cells / total_mass;  // mean 1 per cell
  sim::Field<double> f{sim::Decomposition(mesh)};
  sim::paint_weighted(f, centres, spec.box_size, sim::PaintKernel::cic, mass.data(), 1);
  sim::reduce_ghosts(f);
  for (int x = 0; x < mesh; ++x) {
    for (int y = 0; y < mesh; ++y) {
      for (int z = 0; z < mesh; ++z) f.at(x, y, z) -= 1.0;
    }
  }
  return f;
}

BiasFit fit_halo_bias(const DataModel& model, const sim::Particles<double>& p,
                      const sim::Field<double>& halo_field) {
  DataModel matter = model;
  matter.tracer = Tracer::matter;
  sim::Field<double> s = observe(matter, p);
  gaussian_smooth(s, model.box_size, model.bias_smoothing, model.threads);
  const int n = model.mesh;
  const double cells = std::pow(static_cast<double>(n), 3);
  double mean_sq = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) mean_sq += s.at(x, y, z) * s.at(x, y, z) / cells;
    }
  }
  // Normal equations of h = b1 u + b2 v (all three of zero mean up to the painting).
  double uu = 0, uv = 0, vv = 0, uh = 0, vh = 0, hh = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const double u = s.at(x, y, z), v = u * u - mean_sq, t = halo_field.at(x, y, z);
        uu += u * u, uv += u * v, vv += v * v, uh += u * t, vh += v * t, hh += t * t;
      }
    }
  }
  const double det = uu * vv - uv * uv;
  if (!(det > 0)) throw std::runtime_error("halo bias fit: the matter field is degenerate");
  BiasFit fit;
  fit.b1 = (uh * vv - vh * uv) / det;
  fit.b2 = (vh * uu - uh * uv) / det;
  const double rss = hh - 2 * (fit.b1 * uh + fit.b2 * vh) + fit.b1 * fit.b1 * uu +
                     2 * fit.b1 * fit.b2 * uv + fit.b2 * fit.b2 * vv;
  fit.noise_power = std::max(rss, 0.0) / cells * model.cell_volume();
  return fit;
}

}  // namespace cosmograd::inference
