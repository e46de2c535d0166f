// `cosmograd run`'s P(k) output: simulation particles start on a lattice and carry no Poisson
// noise, so the written P(k) must not have V/N subtracted. At z = 3 in a 512 Mpc/h box with
// 32^3 particles, V/N = 4096 (Mpc/h)^3 exceeds the power itself at k > 0.06 h/Mpc: with the
// old default the low-k bins fell far below linear theory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "driver/simulation.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/lpt.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;

TEST(RunOutputs, PowerSpectrumIsNotShotNoiseSubtractedAndFollowsLinearTheory) {
  const std::filesystem::path dir = cosmograd::testing::fresh_dir("run_power");
  cosmograd::driver::RunConfig rc;
  cg::SimSpec& c = rc.sim;
  c.transfer = {"eisenstein_hu", ""};
  c.particles = 32;
  c.mesh = 64;
  c.box_size = 512;
  c.a_init = 0.05;
  c.steps = 5;
  c.z_out = {3.0};
  c.fixed_amplitude = true;
  c.threads = 2;
  c.fft_planning = cg::FftPlanning::estimate;
  rc.out.output_dir = (dir / "out").string();
  rc.out.write_snapshot = false;
  rc.out.write_density = false;
  rc.out.progress = false;
  cosmograd::driver::run_simulation(rc, "");
  const std::string path = rc.out.output_dir + "/power_z3p000.txt";
  const cg::PowerSpectrum ps = cg::read_power_text(path);
  std::ifstream in(path);
  const std::string header((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(header.find("shot noise not subtracted"), std::string::npos) << header;

  // Expected: D^2 P_lin averaged over the same modes (|w| = 1 noise), same estimator.
  const cg::Cosmology cosmo(c.cosmology);
  const auto linear = cg::make_linear_power<double>(c.transfer.name, cosmo);
  cg::PowerOptions o;
  o.mesh = c.mesh;
  o.window = cg::PaintKernel::cic;
  o.interlace = true;
  cg::Field<double> model{cg::Decomposition(o.mesh)};
  cg::fill_white_noise(model, {1, true, false});
  const double d = linear->growth(0.25);
  cg::linear_modes_from_noise(model, c.box_size,
                              [&](double k) { return d * d * linear->power(k); });
  const cg::PowerSpectrum expected = cg::power_spectrum(model, c.box_size, o);
  const double k_nyq = M_PI * c.particles / c.box_size;
  int checked = 0;
  for (std::size_t i = 0; i < ps.k.size() && ps.k[i] < k_nyq / 3; ++i) {
    // 5%: lattice anisotropy towards k_Nyq / 4 (see PmEvolution) and 5 coarse steps.
    EXPECT_NEAR(ps.power[i] / expected.power[i], 1.0, 0.05) << "k = " << ps.k[i];
    std::printf("k = %.4f h/Mpc: P / P_lin = %.4f\n", ps.k[i], ps.power[i] / expected.power[i]);
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

TEST(RunOutputs, DensityFileRecordsWindowMeshAndCosmology) {
  // The density is painted with the run's painter (here TSC); the file must say so, with the
  // mesh, box, epoch and every cosmological parameter used.
  const std::filesystem::path dir = cosmograd::testing::fresh_dir("run_density_attrs");
  cosmograd::driver::RunConfig rc;
  cg::SimSpec& c = rc.sim;
  c.transfer = {"eisenstein_hu", ""};
  c.particles = 16;
  c.mesh = 32;
  c.box_size = 64;
  c.steps = 2;
  c.z_out = {1.0};
  c.painter = cg::PaintKernel::tsc;
  c.cosmology.sigma8 = 0.77;
  c.threads = 1;
  c.fft_planning = cg::FftPlanning::estimate;
  rc.out.output_dir = (dir / "out").string();
  rc.out.write_snapshot = false;
  rc.out.progress = false;
  cosmograd::driver::run_simulation(rc, "");
  const std::string path = rc.out.output_dir + "/density_z1p000.h5";
  cg::detail::H5Id file = cg::detail::h5_open_file(path);
  cg::detail::H5Id dset = cg::detail::h5_open_dataset(file.get(), "delta", path);
  EXPECT_EQ(cg::detail::h5_read_string_attribute(dset.get(), "window", path), "tsc");
  EXPECT_EQ(cg::detail::h5_read_string_attribute(dset.get(), "interlaced", path), "no");
  EXPECT_EQ(cg::detail::h5_read_scalar_attribute<int>(dset.get(), "mesh", path), 32);
  EXPECT_EQ(cg::detail::h5_read_scalar_attribute<int>(dset.get(), "particles", path), 16);
  EXPECT_DOUBLE_EQ(cg::detail::h5_read_scalar_attribute<double>(dset.get(), "box_size", path), 64);
  EXPECT_DOUBLE_EQ(cg::detail::h5_read_scalar_attribute<double>(dset.get(), "redshift", path), 1.0);
  EXPECT_DOUBLE_EQ(cg::detail::h5_read_scalar_attribute<double>(dset.get(), "sigma8", path), 0.77);
  EXPECT_DOUBLE_EQ(cg::detail::h5_read_scalar_attribute<double>(dset.get(), "Omega_m", path),
                   c.cosmology.Omega_m);
}
