// The lightcone over 1, 2 and 3 MPI ranks against one rank (ctest label `mpi`): every rank
// deposits its own particles (or marches its share of the rays through the summed density),
// the maps are summed, and the flat-sky gradient of a Born kappa loss is the serial one. Every rank
// also runs the serial computation (Comm::self()).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <vector>

#include "sim/pm/adjoint.hpp"
#include "sim/sky/born.hpp"
#include "sim/sky/lightcone.hpp"

namespace cg = cosmograd::sim;

namespace {

cg::SimSpec small_config() {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.particles = 16;
  c.mesh = 32;
  c.box_size = 64;
  c.a_list = {0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0};
  c.threads = 1;
  c.fft_planning = cg::FftPlanning::estimate;
  return c;
}

cg::LightconeSpec lightcone_spec() {
  cg::LightconeSpec s;
  s.observer = {32, 32, 32};
  for (int i = 0; i <= 6; ++i) s.shell_edges.push_back(100.0 * i);
  s.nside = 16;
  s.flat_field_deg = 15;
  s.flat_pixels = 12;
  s.shuffle = false;
  return s;
}

/// Max |a - b| / max |b| over the maps.
template <class Map>
double relative_difference(const std::vector<Map>& a, const std::vector<Map>& b) {
  double diff = 0, scale = 0;
  for (std::size_t s = 0; s < b.size(); ++s) {
    for (std::size_t i = 0; i < b[s].values.size(); ++i) {
      diff = std::max(diff, std::abs(a[s].values[i] - b[s].values[i]));
      scale = std::max(scale, std::abs(b[s].values[i]));
    }
  }
  return diff / scale;
}

}  // namespace

/// One rank against `world` for the lightcone `ls`; with `healpix_gradient` the loss also
/// takes the (bilinear) HEALPix maps' kappa.
void maps_and_gradient_match(const cg::LightconeSpec& ls, bool healpix_gradient) {
  const cg::SimSpec c = small_config();
  const cg::Comm world = cg::Comm::world();
  cg::DifferentiableSim<double> serial(c), dist(c, cg::GradientMode::adjoint, 1, world);
  cg::Lightcone<double> lc_serial(ls, c.box_size, c.particles);
  cg::Lightcone<double> lc_dist(ls, c.box_size, c.particles, world);
  const cg::Cosmology cosmo(c.cosmology);
  const cg::CosmologyDual dual(cg::seed_duals(c.cosmology));
  lc_serial.bind(cosmo, &dual, serial.schedule());
  lc_dist.bind(cosmo, &dual, dist.schedule());
  serial.forward(serial.white_noise(), {&lc_serial});
  dist.forward(dist.white_noise(), {&lc_dist});
  EXPECT_LT(relative_difference(lc_dist.healpix_shells(), lc_serial.healpix_shells()), 1e-5);
  EXPECT_LT(relative_difference(lc_dist.flat_shells(), lc_serial.flat_shells()), 1e-5);
  EXPECT_EQ(world.sum(static_cast<std::int64_t>(lc_dist.crossings())),
            static_cast<std::int64_t>(lc_serial.crossings()));

  // J = sum kappa^2 / 2 for a source plane at z = 0.3: the same gradients.
  const cg::SourceDistribution src = cg::SourceDistribution::plane(0.3);
  const std::vector<double> w = cg::born_weights(cosmo, src, ls.shell_edges);
  std::vector<double> mean;
  for (std::size_t s = 0; s + 1 < ls.shell_edges.size(); ++s) {
    mean.push_back(lc_serial.mean_particles_per_sr(static_cast<int>(s)));
  }
  auto gradients = [&](cg::DifferentiableSim<double>& sim, cg::Lightcone<double>& lc) {
    const cg::FlatMap kappa = cg::born_kappa(lc.flat_shells(), mean, w);
    lc.set_flat_cotangent(cg::born_kappa_vjp(kappa, lc.flat_shells(), mean, w));
    if (healpix_gradient) {
      const cg::HealpixMap sky = cg::born_kappa(lc.healpix_shells(), mean, w);
      lc.set_healpix_cotangent(cg::born_kappa_vjp(sky, lc.healpix_shells(), mean, w));
    }
    const std::size_t np = sim.final_state().size();
    return sim.backward({std::vector<double>(3 * np, 0.0), std::vector<double>(3 * np, 0.0)}, {},
                        {&lc});
  };
  const cg::SimGradients<double> gs = gradients(serial, lc_serial);
  const cg::SimGradients<double> gd = gradients(dist, lc_dist);
  const cg::Decomposition& d = gd.noise.decomp();
  double diff = 0, scale = 0;
  for (int xl = 0; xl < d.nx_local(); ++xl)
    for (int y = 0; y < d.n(); ++y)
      for (int z = 0; z < d.n(); ++z) {
        diff =
            std::max(diff, std::abs(gd.noise.at(xl, y, z) - gs.noise.at(d.x_begin() + xl, y, z)));
        scale = std::max(scale, std::abs(gs.noise.at(d.x_begin() + xl, y, z)));
      }
  EXPECT_LT(world.max(diff), 1e-8 * world.max(scale));
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_NEAR(gd.cosmology[i], gs.cosmology[i], 1e-8 * std::abs(gs.cosmology[i]) + 1e-14)
        << cg::cosmo_param_name(static_cast<cg::CosmoParam>(i));
  }
}

TEST(MpiLightcone, MapsAndKappaGradientMatchOneRank) {
  maps_and_gradient_match(lightcone_spec(), false);
}

TEST(MpiLightcone, BilinearHealpixMapsAndGradientMatchOneRank) {
  cg::LightconeSpec ls = lightcone_spec();
  ls.healpix_bilinear = true;
  ls.shell_edges = {0, 100, 200, 300};  // a full-sky reverse pass: fewer crossings
  maps_and_gradient_match(ls, true);
}

TEST(MpiLightcone, RaymarchedHealpixMapsMatchOneRank) {
  // The ranks' particles summed on one mesh, the pixels shared out: the serial maps up to the
  // order of the mesh's sums (float particles, double maps: 1e-5).
  const cg::SimSpec c = small_config();
  const cg::Comm world = cg::Comm::world();
  cg::LightconeSpec ls = lightcone_spec();
  ls.flat_field_deg = 0;
  ls.healpix_mesh = 16;
  cg::DifferentiableSim<float> serial(c), dist(c, cg::GradientMode::adjoint, 1, world);
  cg::Lightcone<float> lc_serial(ls, c.box_size, c.particles);
  cg::Lightcone<float> lc_dist(ls, c.box_size, c.particles, world);
  const cg::Cosmology cosmo(c.cosmology);
  lc_serial.bind(cosmo, nullptr, serial.schedule());
  lc_dist.bind(cosmo, nullptr, dist.schedule());
  serial.forward(serial.white_noise(), {&lc_serial});
  dist.forward(dist.white_noise(), {&lc_dist});
  EXPECT_GT(lc_serial.ray_samples(), 0u);
  EXPECT_EQ(world.sum(static_cast<std::int64_t>(lc_dist.ray_samples())),
            static_cast<std::int64_t>(lc_serial.ray_samples()));
  EXPECT_LT(relative_difference(lc_dist.healpix_shells(), lc_serial.healpix_shells()), 1e-5);
}
