// The distributed engine against the serial one, run with 1, 2 and 3 MPI ranks (ctest
// labels `mpi`; meshes of 18, 30 and 32 planes are not divisible by every rank count).
// Every rank also runs the serial computation (Comm::self()) and compares its share, whole
// arrays, particle by particle (matched by id) and plane by plane.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/ghosts.hpp"
#include "sim/mesh/migrate.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/adjoint.hpp"
#include "sim/pm/stepping.hpp"

namespace cg = cosmograd::sim;

namespace {

cg::Comm world() { return cg::Comm::world(); }

cg::SimSpec small_config(int particles, int mesh, int steps) {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.cosmology.w0 = -0.9;
  c.cosmology.wa = 0.1;
  c.transfer = {"eisenstein_hu", ""};
  c.particles = particles;
  c.mesh = mesh;
  c.box_size = 4.0 * particles;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.threads = 1;
  c.fft_planning = cg::FftPlanning::estimate;
  return c;
}

/// Largest |a - b| over every rank's values.
double global_max(double local) { return world().max(local); }

/// Periodic difference of two coordinates in a box of side L.
double periodic_diff(double a, double b, double L) {
  double d = std::fmod(a - b, L);
  if (d > L / 2) d -= L;
  if (d < -L / 2) d += L;
  return d;
}

/// Max |position and momentum difference| of this rank's particles against the serial
/// particles (lattice order: index = id), relative to `scale`; also checks that every id
/// appears exactly once over all ranks.
template <class T>
double particle_difference(const cg::Particles<T>& dist, const cg::Particles<T>& serial) {
  double worst = 0;
  for (std::size_t j = 0; j < dist.size(); ++j) {
    const std::size_t i = static_cast<std::size_t>(dist.id[j]);
    for (int d = 0; d < 3; ++d) {
      worst = std::max(worst, std::abs(periodic_diff(dist.position(j, d), serial.position(i, d),
                                                     dist.box_size)));
      worst = std::max(worst, std::abs(double(dist.mom[3 * j + d]) - serial.mom[3 * i + d]));
    }
  }
  std::vector<std::int64_t> seen(serial.size(), 0);
  for (std::uint64_t id : dist.id) seen[static_cast<std::size_t>(id)] += 1;
  world().sum(seen.data(), seen.size());
  for (std::int64_t s : seen) EXPECT_EQ(s, 1);
  return global_max(worst);
}

/// Max |difference| of this rank's slab of `dist` against the serial field (real space).
template <class T>
double slab_difference(const cg::Field<T>& dist, const cg::Field<T>& serial) {
  const cg::Decomposition& d = dist.decomp();
  double worst = 0;
  for (int xl = 0; xl < d.nx_local(); ++xl)
    for (int y = 0; y < d.n(); ++y)
      for (int z = 0; z < d.n(); ++z)
        worst = std::max(worst,
                         std::abs(double(dist.at(xl, y, z)) - serial.at(d.x_begin() + xl, y, z)));
  return global_max(worst);
}

/// Max |value| of a serial field (for relative tolerances).
template <class T>
double field_scale(const cg::Field<T>& f) {
  double s = 0;
  for (int x = 0; x < f.n(); ++x)
    for (int y = 0; y < f.n(); ++y)
      for (int z = 0; z < f.n(); ++z) s = std::max(s, std::abs(double(f.at(x, y, z))));
  return s;
}

/// A cotangent defined per particle id (so it does not depend on the layout).
template <class T>
cg::StateCotangent<T> id_cotangent(const cg::Particles<T>& p) {
  cg::StateCotangent<T> c;
  c.disp.resize(3 * p.size());
  c.mom.resize(3 * p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    std::mt19937 rng(static_cast<std::uint32_t>(p.id[j]) * 7919u + 13u);
    std::normal_distribution<double> g;
    for (int d = 0; d < 3; ++d) {
      c.disp[3 * j + d] = static_cast<T>(g(rng));
      c.mom[3 * j + d] = static_cast<T>(g(rng));
    }
  }
  return c;
}

}  // namespace

TEST(MpiDecomposition, SlabsMatchFftwMpiAndCoverTheMesh) {
  for (int n : {2, 8, 18, 30, 32}) {
    const cg::Decomposition d(n, world());
    std::vector<std::int64_t> planes(static_cast<std::size_t>(n), 0);
    for (int xl = 0; xl < d.nx_local(); ++xl)
      planes[static_cast<std::size_t>(d.x_begin() + xl)] += 1;
    world().sum(planes.data(), planes.size());
    for (int x = 0; x < n; ++x) {
      EXPECT_EQ(planes[static_cast<std::size_t>(x)], 1) << "n = " << n << ", plane " << x;
      const int r = d.owner(x);
      EXPECT_GE(x, d.slab_begin(r));
      EXPECT_LT(x, d.slab_begin(r) + d.slab_size(r));
    }
    // The FFT's own slab check (fftw_mpi_local_size_3d) runs in the constructor.
    const cg::Fft<double> fft(d, 1);
  }
}

TEST(MpiGhosts, PaintedGhostPlanesReachTheirOwners) {
  // Paint random points with every window through ghost planes; the reduced slabs equal
  // the serial mesh; fill_ghosts() then gives every ghost plane its owner's values.
  const int n = 18;
  const double L = 36.0;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, L);
  cg::Particles<double> all = cg::Particles<double>::lattice_grid(6, L);
  for (double& x : all.disp) x = u(rng);  // far from home: anywhere in the box
  // Some exactly on a plane and some a rounding error below one: the edges of the windows.
  const double cell = L / n;
  for (std::size_t j = 0; j < 2 * static_cast<std::size_t>(n); ++j) {
    const double target = static_cast<double>(j / 2 + 1) * cell - (j % 2 == 1 ? 1e-13 : 0.0);
    all.disp[3 * j] += target - all.position(j, 0);
  }
  for (cg::PaintKernel k : {cg::PaintKernel::cic, cg::PaintKernel::tsc, cg::PaintKernel::pcs}) {
    for (double shift : {0.0, 0.5}) {
      cg::Field<double> serial{cg::Decomposition(n)};
      cg::paint(serial, all, L, k, 1.0, shift);
      const cg::Decomposition mesh(n, world());
      cg::Particles<double> mine = all;  // rank 0 starts with all of them
      if (world().rank() != 0) mine.resize(0);
      cg::migrate(mine, mesh);
      cg::Field<double> dist(cg::with_paint_ghosts(mesh, mesh, k));
      if (world().distributed() && mesh.nx_local() > 0 && mesh.nx_local() <= n - 4) {
        EXPECT_EQ(dist.decomp().ghost_lo(), k == cg::PaintKernel::cic ? 0 : 1);
        EXPECT_EQ(dist.decomp().ghost_hi(), k == cg::PaintKernel::cic ? 2 : 3);
      }
      cg::paint(dist, mine, L, k, 1.0, shift);
      cg::reduce_ghosts(dist);
      EXPECT_LT(slab_difference(dist, serial), 1e-12) << cg::paint_kernel_name(k);
      cg::fill_ghosts(dist);
      double worst = 0;
      const cg::Decomposition& d = dist.decomp();
      for (int xl = -d.ghost_lo(); xl < d.nx_local() + d.ghost_hi(); ++xl) {
        const double* plane = dist.plane(xl);
        for (int y = 0; y < n; ++y)
          for (int z = 0; z < n; ++z)
            worst =
                std::max(worst, std::abs(plane[static_cast<std::size_t>(y) * d.nz_padded() + z] -
                                         serial.at(d.global_plane(xl), y, z)));
      }
      EXPECT_LT(global_max(worst), 1e-12);
    }
  }
}

TEST(MpiGhosts, PaintingParticlesOfAnotherSlabIsAnError) {
  if (!world().distributed()) GTEST_SKIP() << "one rank holds every plane";
  const cg::Decomposition mesh(18, world());
  cg::Field<double> f(cg::with_paint_ghosts(mesh, mesh, cg::PaintKernel::cic));
  // The whole lattice on every rank, not migrated: each rank holds some of it elsewhere.
  const cg::Particles<double> all = cg::Particles<double>::lattice_grid(6, 36.0);
  EXPECT_THROW(cg::paint(f, all, 36.0, cg::PaintKernel::cic, 1.0, 0.5), std::logic_error);
  std::vector<double> out(all.size());
  EXPECT_THROW(cg::readout(f, all, 36.0, cg::PaintKernel::cic, out.data(), 1, 0.5),
               std::logic_error);
}

TEST(MpiWhiteNoise, IdenticalToSerial) {
  for (int n : {16, 18}) {
    const cg::Decomposition d(n, world());
    cg::Field<double> dist(d), serial{cg::Decomposition(n)};
    const cg::NoiseOptions o{7, false, false};
    cg::fill_white_noise(dist, o);
    cg::fill_white_noise(serial, o);
    // Fourier space: bitwise identical, mode by mode.
    std::int64_t differ = 0;
    for (int xl = 0; xl < d.nx_local(); ++xl)
      for (int y = 0; y < n; ++y)
        for (int z = 0; z < d.nz_complex(); ++z)
          differ += dist.mode(xl, y, z) != serial.mode(d.x_begin() + xl, y, z);
    EXPECT_EQ(world().sum(differ), 0);
    // Real space (through the distributed c2r): equal to rounding.
    cg::Field<double> rdist(d), rserial{cg::Decomposition(n)};
    cg::fill_white_noise_real(rdist, o, cg::Fft<double>(d, 1));
    cg::fill_white_noise_real(rserial, o, cg::Fft<double>(cg::Decomposition(n), 1));
    EXPECT_LT(slab_difference(rdist, rserial), 1e-12);
  }
}

TEST(MpiForce, ParticlesCrossingManySlabsAndThePeriodicBoundary) {
  // Particles thrown anywhere in the box (many slabs from their lattice home) and a sheet
  // driven across x = L -> 0 (last rank -> first): migrate, then the PM force equals the
  // serial one particle by particle.
  const int ns = 8, mesh = 18;
  const double L = 32.0;
  cg::Particles<double> all = cg::Particles<double>::lattice_grid(ns, L);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-L, 2 * L);
  for (std::size_t j = 0; j < all.size(); ++j) {
    if (all.id[j] / (ns * ns) == ns - 1) {  // the last lattice sheet, near x = L
      all.mom[3 * j] = 4.0;                 // drifts across the boundary below
      all.disp[3 * j] = 0.5;
    } else {
      for (int d = 0; d < 3; ++d) all.disp[3 * j + d] = u(rng);
    }
  }
  for (const char* kernel : {"cic", "pcs"}) {
    const cg::ForceOptions fo{cg::parse_paint_kernel(kernel), cg::GradientKernel::fd4, false};
    cg::Gravity<double> gs(mesh, L, 1, cg::FftPlanning::estimate, fo);
    cg::Gravity<double> gd(mesh, L, 1, cg::FftPlanning::estimate, fo, world());
    cg::Particles<double> serial = all, mine = all;
    // Start from the lattice layout of the particle grid, as after the ICs.
    const cg::Decomposition grid(ns, world());
    if (world().rank() != 0) mine.resize(0);
    cg::migrate_home(mine, grid);
    cg::drift(serial, 1.0);
    cg::drift(mine, 1.0);  // the sheet moves from x = 28.5 to 32.5, i.e. 0.5 (wrapped)
    std::int64_t sheet_on_first = 0;
    const std::size_t left = cg::migrate(mine, gd.decomp());
    for (std::size_t j = 0; j < mine.size(); ++j) {
      EXPECT_EQ(gd.decomp().owner(cg::particle_plane(mine, j, mesh)), world().rank());
      if (mine.id[j] / (ns * ns) == ns - 1) sheet_on_first += world().rank() == 0;
    }
    if (world().size() > 1) {
      EXPECT_GT(world().sum(static_cast<std::int64_t>(left)), 0);
    }
    EXPECT_EQ(world().sum(sheet_on_first), ns * ns);
    std::vector<double> as, ad;
    gs.accelerations(serial, 0.3, serial.size(), as);
    gd.accelerations(mine, 0.3, all.size(), ad);
    double worst = 0, scale = 0;
    for (double a : as) scale = std::max(scale, std::abs(a));
    for (std::size_t j = 0; j < mine.size(); ++j)
      for (int d = 0; d < 3; ++d)
        worst = std::max(worst, std::abs(ad[3 * j + d] - as[3 * mine.id[j] + d]));
    EXPECT_LT(global_max(worst), 1e-12 * scale) << kernel;
    // The force's vjp against a per-id cotangent, likewise.
    const cg::StateCotangent<double> cs = id_cotangent(serial), cd = id_cotangent(mine);
    std::vector<double> gs_grad(3 * serial.size(), 0.0), gd_grad(3 * mine.size(), 0.0);
    const double js = gs.accelerations_vjp(serial, 0.3, serial.size(), cs.disp, gs_grad);
    const double jd = world().sum(gd.accelerations_vjp(mine, 0.3, all.size(), cd.disp, gd_grad));
    EXPECT_NEAR(jd, js, 1e-10 * std::abs(js));
    double gscale = 0;
    for (double g : gs_grad) gscale = std::max(gscale, std::abs(g));
    worst = 0;
    for (std::size_t j = 0; j < mine.size(); ++j)
      for (int d = 0; d < 3; ++d)
        worst = std::max(worst, std::abs(gd_grad[3 * j + d] - gs_grad[3 * mine.id[j] + d]));
    EXPECT_LT(global_max(worst), 1e-11 * gscale) << kernel;
  }
}

template <class T>
void forward_matches_serial(int particles, int mesh, double tol) {
  const cg::SimSpec c = small_config(particles, mesh, 5);
  cg::DifferentiableSim<T> serial(c), dist(c, cg::GradientMode::adjoint, 1, world());
  const cg::Particles<T>& ps = serial.forward(serial.white_noise());
  const cg::Particles<T>& pd = dist.forward(dist.white_noise());
  double scale = 0;
  for (std::size_t i = 0; i < ps.size(); ++i)
    for (int d = 0; d < 3; ++d) scale = std::max(scale, std::abs(double(ps.mom[3 * i + d])));
  EXPECT_LT(particle_difference(pd, ps), tol * scale);
  // The density of the final state on the force mesh.
  const cg::Field<T>& ds = serial.gravity().density(ps, serial.total_particles());
  const cg::Field<T>& dd = dist.gravity().density(pd, dist.total_particles());
  EXPECT_LT(slab_difference(dd, ds), tol * field_scale(ds));
}

TEST(MpiForward, FinalParticlesAndDensityMatchSerialDouble) {
  forward_matches_serial<double>(16, 32, 1e-10);
  forward_matches_serial<double>(10, 30, 1e-10);  // 10 and 30 planes: uneven slabs
}

TEST(MpiForward, FinalParticlesAndDensityMatchSerialFloat) {
  forward_matches_serial<float>(16, 32, 1e-4);
}

TEST(MpiAdjoint, GradientsMatchSerial) {
  const cg::SimSpec c = small_config(12, 18, 4);
  cg::DifferentiableSim<double> serial(c), dist(c, cg::GradientMode::adjoint, 1, world());
  const cg::Field<double> ws = serial.white_noise(), wd = dist.white_noise();
  const cg::Particles<double>& ps = serial.forward(ws);
  const cg::Particles<double>& pd = dist.forward(wd);
  // J = a per-id linear functional of the final state plus a density likelihood.
  cg::Field<double> data{cg::Decomposition(c.mesh)};
  cg::Field<double> data_d{cg::Decomposition(c.mesh, world())};
  for (int x = 0; x < c.mesh; ++x)
    for (int y = 0; y < c.mesh; ++y)
      for (int z = 0; z < c.mesh; ++z) {
        const double v = std::sin(0.3 * x + 0.2 * y) * std::cos(0.5 * z);
        data.at(x, y, z) = v;
        const int xl = x - data_d.decomp().x_begin();
        if (xl >= 0 && xl < data_d.decomp().nx_local()) data_d.at(xl, y, z) = v;
      }
  cg::StateCotangent<double> cs = id_cotangent(ps), cd = id_cotangent(pd);
  const double chi_s = cg::density_chi2(ps, data, 0.5, cg::PaintKernel::cic, &cs);
  const double chi_d =
      cg::density_chi2(pd, data_d, 0.5, cg::PaintKernel::cic, &cd, &dist.gravity().decomp());
  EXPECT_NEAR(chi_d, chi_s, 1e-10 * chi_s);
  const cg::SimGradients<double> gs = serial.backward(cs);
  const cg::SimGradients<double> gd = dist.backward(cd);
  EXPECT_LT(slab_difference(gd.noise, gs.noise), 1e-8 * field_scale(gs.noise));
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    EXPECT_NEAR(gd.cosmology[i], gs.cosmology[i], 1e-8 * std::abs(gs.cosmology[i]) + 1e-10)
        << "parameter " << i;
  }
  // Reversal brought every particle home, in lattice order.
  const cg::Particles<double>& home = dist.recovered_initial();
  const cg::Decomposition grid(c.particles, world());
  ASSERT_EQ(home.size(), grid.local_cells());
  for (std::size_t j = 0; j < home.size(); ++j) {
    EXPECT_EQ(home.id[j],
              static_cast<std::uint64_t>(grid.x_begin()) * c.particles * c.particles + j);
  }
}

TEST(MpiMeasurements, PowerSpectrumMatchesSerial) {
  const cg::SimSpec c = small_config(16, 32, 3);
  cg::DifferentiableSim<double> serial(c), dist(c, cg::GradientMode::adjoint, 1, world());
  const cg::Particles<double>& ps = serial.forward(serial.white_noise());
  const cg::Particles<double>& pd = dist.forward(dist.white_noise());
  for (int mesh : {32, 30}) {  // the force mesh, and another one (other slabs, wider ghosts)
    cg::PowerOptions o;
    o.mesh = mesh;
    o.interlace = true;
    const cg::PowerSpectrum s = cg::particle_power(ps, ps.size(), o, 1);
    const cg::PowerSpectrum d =
        cg::particle_power(pd, serial.total_particles(), o, 1, &dist.gravity().decomp());
    ASSERT_EQ(s.k.size(), d.k.size());
    for (std::size_t b = 0; b < s.k.size(); ++b) {
      EXPECT_NEAR(d.power[b], s.power[b], 1e-10 * std::abs(s.power[b]) + 1e-12) << "bin " << b;
      EXPECT_EQ(d.modes[b], s.modes[b]);
    }
  }
}

TEST(MpiOutputs, MultiFileSnapshotAndDistributedDensityReadBack) {
  const cg::SimSpec c = small_config(8, 16, 2);
  cg::DifferentiableSim<double> dist(c, cg::GradientMode::adjoint, 1, world());
  const cg::Particles<double>& pd = dist.forward(dist.white_noise());
  const std::string dir = "mpi_outputs_np" + std::to_string(world().size());
  if (world().rank() == 0) std::filesystem::create_directories(dir);
  world().barrier();
  cg::SnapshotHeader h;
  h.box_size = c.box_size;
  h.a = 1.0;
  h.Omega_m = 0.3;
  h.Omega_lambda = 0.7;
  h.h = 0.7;
  h.particle_mass = cg::lattice_particle_mass(0.3, c.box_size, dist.total_particles());
  cg::SnapshotOptions o;
  o.length_in_kpc = false;
  o.double_precision = true;
  o.num_files = 0;  // one per rank
  cg::write_snapshot(dir + "/snap", pd, h, o, world());
  const cg::Field<double>& delta = dist.gravity().density(pd, dist.total_particles());
  cg::write_field(dir + "/delta.h5", delta, c.box_size, 1.0, "delta");
  // Read back (every rank reads the whole snapshot): the ranks' particles, all of them.
  const cg::SnapshotData<double> back = cg::read_snapshot<double>(dir + "/snap");
  EXPECT_EQ(back.header.num_files, world().size());
  ASSERT_EQ(back.size(), dist.total_particles());
  std::vector<double> pos(3 * back.size());
  for (std::size_t j = 0; j < back.size(); ++j)
    for (int d = 0; d < 3; ++d) pos[3 * (back.ids[j] - 1) + d] = back.pos[3 * j + d];
  double worst = 0;
  for (std::size_t j = 0; j < pd.size(); ++j)
    for (int d = 0; d < 3; ++d)
      worst = std::max(
          worst, std::abs(periodic_diff(pos[3 * pd.id[j] + d], pd.position(j, d), c.box_size)));
  EXPECT_LT(global_max(worst), 1e-12 * c.box_size);
  const cg::LinearFieldFile<double> field =
      cg::read_linear_field<double>(dir + "/delta.h5", c.mesh);
  EXPECT_LT(slab_difference(delta, field.field), 1e-14);
  world().barrier();
  if (world().rank() == 0) std::filesystem::remove_all(dir);
}

/// Prints the failed assertions of a rank other than 0, named by rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", cg::Comm::world().rank(),
                 r.file_name() != nullptr ? r.file_name() : "?", r.line_number(), r.message());
  }
};

int main(int argc, char** argv) {
  cg::mpi_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Rank 0 prints GoogleTest's report; other ranks print only their failures.
  if (cg::Comm::world().rank() != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter);
  }
  const int result = RUN_ALL_TESTS();
  const int failed = static_cast<int>(cg::Comm::world().max(result));
  cg::mpi_finalize();
  return failed;
}
