// `cosmograd run` and `cosmograd power` end to end: a small simulation through the real
// binary, its files read back with the library's readers, re-run from its own config.ini,
// and its snapshot measured again by `cosmograd power`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "sim/cosmo/cosmology.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "tests/apps/cli_test_util.hpp"

namespace cosmograd::test {
namespace {

constexpr int kParticles = 32;
constexpr int kMesh = 64;
constexpr double kBox = 128.0;  // Mpc/h
const std::string kRunArgs =
    "--particles 32 --mesh 64 --box_size 128 --steps 4 --z_out 1,0 --fft_planning estimate "
    "--progress false";

/// Runs the small simulation into `dir`/`out` and checks that it succeeded.
void small_run(const TempDir& dir, const std::string& out, const std::string& extra = "") {
  const CommandResult r =
      run_cosmograd("run " + kRunArgs + " --output_dir " + out + " " + extra, dir.path());
  ASSERT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "stderr:\n" << r.err;
  EXPECT_EQ(r.err.find("ERROR"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("WARN"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("cosmograd run: "), std::string::npos) << r.out;
}

TEST(CliRun, WritesEveryOutput) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(small_run(dir, "out"));
  const fs::path out = dir / "out";
  for (const char* name :
       {"config.ini", "snapshot_z0p000.hdf5", "snapshot_z1p000.hdf5", "density_z0p000.h5",
        "density_z0p000.png", "density_z1p000.h5", "density_z1p000.png", "power_z0p000.txt",
        "power_z0p000.png", "power_z1p000.txt", "power_z1p000.png"}) {
    EXPECT_TRUE(fs::is_regular_file(out / name)) << name << " missing";
  }
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary file left behind: " << entry.path();
  }
  for (const char* png : {"density_z0p000.png", "power_z0p000.png", "power_z1p000.png"}) {
    EXPECT_TRUE(is_png(out / png)) << png;
  }

  // config.ini: the resolved settings, with the command-line values.
  const std::string ini = read_text(out / "config.ini");
  for (const char* line : {"\nparticles = 32\n", "\nmesh = 64\n", "\nbox_size = 128\n",
                           "\nz_out = 1,0\n", "\noutput_dir = out\n", "\nseed = 42\n"}) {
    EXPECT_NE(ini.find(line), std::string::npos) << "config.ini lacks '" << line + 1 << "'";
  }

  // Snapshots: every particle, the box, the output times.
  for (const auto& [name, a] : {std::pair<std::string, double>{"snapshot_z0p000.hdf5", 1.0},
                                std::pair<std::string, double>{"snapshot_z1p000.hdf5", 0.5}}) {
    const sim::SnapshotData<float> snap = sim::read_snapshot<float>((out / name).string());
    ASSERT_EQ(snap.size(), static_cast<std::size_t>(kParticles * kParticles * kParticles));
    EXPECT_NEAR(snap.header.box_size, kBox, 1e-9 * kBox) << name;
    EXPECT_NEAR(snap.header.a, a, 1e-12) << name;
    EXPECT_EQ(*std::min_element(snap.ids.begin(), snap.ids.end()), 1u) << name;
    EXPECT_EQ(*std::max_element(snap.ids.begin(), snap.ids.end()), snap.size()) << name;
    for (float x : snap.pos) {
      ASSERT_GE(x, 0.0f) << name;
      ASSERT_LT(x, kBox) << name;
    }
  }

  // Density mesh: delta on the force mesh, mean zero, clustered at z = 0.
  const sim::LinearFieldFile<float> density =
      sim::read_linear_field<float>((out / "density_z0p000.h5").string(), kMesh);
  EXPECT_NEAR(density.box_size, kBox, 1e-9 * kBox);
  EXPECT_NEAR(density.redshift, 0.0, 1e-12);
  double sum = 0, sum2 = 0, lo = 0;
  for (int x = 0; x < kMesh; ++x) {
    for (int y = 0; y < kMesh; ++y) {
      for (int z = 0; z < kMesh; ++z) {
        const double d = density.field.at(x, y, z);
        sum += d;
        sum2 += d * d;
        lo = std::min(lo, d);
      }
    }
  }
  const double cells = std::pow(kMesh, 3);
  EXPECT_NEAR(sum / cells, 0.0, 1e-4);
  EXPECT_GT(sum2 / cells, 0.1) << "z = 0 density contrast too small";
  EXPECT_GE(lo, -1.0 - 1e-5) << "delta >= -1";

  // P(k): '#' header, k from the fundamental mode up, positive at low k, and growing
  // between z = 1 and z = 0 by D1(1/2)^-2 on the largest scales (same seed: no cosmic
  // variance in the ratio; nonlinear growth and the 5-step integration stay below 3%).
  const Table p0 = read_table(out / "power_z0p000.txt");
  const Table p1 = read_table(out / "power_z1p000.txt");
  ASSERT_FALSE(p0.comments.empty());
  EXPECT_NE(p0.comments.back().find("k [h/Mpc]"), std::string::npos) << p0.comments.back();
  ASSERT_EQ(p0.columns(), 3u) << "k, P, N_modes";
  ASSERT_GE(p0.rows.size(), 10u);
  ASSERT_EQ(p1.rows.size(), p0.rows.size());
  const double k_f = 2 * 3.14159265358979323846 / kBox;
  EXPECT_GT(p0.rows.front()[0], 0.5 * k_f);
  EXPECT_LT(p0.rows.front()[0], 2.0 * k_f);
  EXPECT_LT(p0.rows.back()[0], std::sqrt(3.0) * k_f * kMesh / 2);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_GT(p0.rows[i][1], 0.0) << "bin " << i;
    EXPECT_GT(p1.rows[i][1], 0.0) << "bin " << i;
    EXPECT_GT(p0.rows[i][2], 0.0) << "bin " << i;
  }
  const double d1 = sim::Cosmology(sim::planck2015()).D1_norm(0.5);
  EXPECT_NEAR(p1.rows[0][1] / p0.rows[0][1] / (d1 * d1), 1.0, 0.03);
}

TEST(CliRun, ConfigIniReproducesTheRunBitwise) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(small_run(dir, "first"));
  const CommandResult r =
      run_cosmograd("run first/config.ini --output_dir second --progress false", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"power_z0p000.txt", "power_z1p000.txt", "density_z0p000.png"}) {
    const std::string a = read_text(dir / "first" / name);
    ASSERT_FALSE(a.empty()) << name;
    EXPECT_TRUE(a == read_text(dir / "second" / name)) << name << " differs between the runs";
  }
  // The snapshots hold the same particles bit for bit (the HDF5 files themselves may differ
  // in HDF5's object time stamps).
  const auto s1 = sim::read_snapshot<float>((dir / "first/snapshot_z0p000.hdf5").string());
  const auto s2 = sim::read_snapshot<float>((dir / "second/snapshot_z0p000.hdf5").string());
  EXPECT_TRUE(s1.ids == s2.ids);
  EXPECT_TRUE(s1.pos == s2.pos);
  EXPECT_TRUE(s1.mom == s2.mom);
  // The second config.ini is the first one with the new output_dir.
  std::string ini = read_text(dir / "first/config.ini");
  const std::string from = "\noutput_dir = first\n";
  ASSERT_NE(ini.find(from), std::string::npos);
  ini.replace(ini.find(from), from.size(), "\noutput_dir = second\n");
  EXPECT_EQ(read_text(dir / "second/config.ini"), ini);
}

TEST(CliRun, PowerCommandMatchesTheRun) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(small_run(dir, "out"));
  // The run measures on the force mesh with CIC and interlacing, without shot-noise
  // subtraction (lattice particles carry none); `power` does the same by default.
  for (const std::string z : {"z0p000", "z1p000"}) {
    const CommandResult r =
        run_cosmograd("power out/snapshot_" + z +
                          ".hdf5 --mesh 64 --painter cic --power_interlace true "
                          "--out out/p_" +
                          z + ".txt",
                      dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Table run = read_table(dir / ("out/power_" + z + ".txt"));
    const Table measured = read_table(dir / ("out/p_" + z + ".txt"));
    ASSERT_FALSE(measured.comments.empty());
    ASSERT_EQ(measured.rows.size(), run.rows.size()) << z;
    ASSERT_EQ(measured.columns(), 3u);
    // Low k (below a third of the Nyquist frequency, 1.57 h/Mpc). Higher bins may differ by
    // a few modes: modes with integer |n| sit exactly on bin edges and the snapshot's box
    // size reads back 1 ulp off 128 (kpc/h conversion), which can move them (see report).
    std::size_t compared = 0;
    for (std::size_t i = 0; i < run.rows.size() && run.rows[i][0] < 0.5; ++i) {
      EXPECT_NEAR(measured.rows[i][0], run.rows[i][0], 1e-6 * run.rows[i][0]) << z << " bin " << i;
      EXPECT_EQ(measured.rows[i][2], run.rows[i][2]) << z << " bin " << i;
      EXPECT_NEAR(measured.rows[i][1] / run.rows[i][1], 1.0, 0.01)
          << z << " k = " << run.rows[i][0];
      ++compared;
    }
    EXPECT_GE(compared, 5u);
  }
}

TEST(CliRun, HaloModelApplyRefusesSnapshotsOutsideItsTrainingDomain) {
  TempDir dir;
  // A tiny model (untrained for practical purposes: the domain check is what is tested).
  const CommandResult t = run_cosmograd(
      "halomodel train --sims 1 --test_sims 1 --particles 16 --mesh 16 --box_size 64 --steps 2 "
      "--grid 16 --epochs 2 --depth 1 --channels 4 --threads 1 --out model.cgm",
      dir.path());
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  const std::string header = read_text(dir / "model.cgm").substr(0, 2000);
  EXPECT_NE(header.find("train_redshift = 0"), std::string::npos) << header;
  EXPECT_NE(header.find("train_Omega_m = 0.3089"), std::string::npos) << header;

  const std::string common =
      "--particles 16 --mesh 16 --steps 2 --threads 1 --fft_planning estimate --progress false "
      "--write_density false";
  ASSERT_EQ(
      run_cosmograd("run " + common + " --box_size 64 --output_dir same", dir.path()).exit_code, 0);
  const CommandResult ok = run_cosmograd(
      "halomodel apply --model model.cgm same/snapshot_z0p000.hdf5 --out same.h5", dir.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(fs::is_regular_file(dir / "same.h5"));

  ASSERT_EQ(
      run_cosmograd("run " + common + " --box_size 128 --z_out 1 --output_dir far", dir.path())
          .exit_code,
      0);
  const CommandResult refused = run_cosmograd(
      "halomodel apply --model model.cgm far/snapshot_z1p000.hdf5 --out far.h5", dir.path());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("outside the training domain"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("cell size L/grid [Mpc/h] = 8 (trained on 4)"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("redshift = 1 (trained on 0)"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "far.h5"));
  const CommandResult forced = run_cosmograd(
      "halomodel apply --model model.cgm far/snapshot_z1p000.hdf5 --out far.h5 "
      "--outside_domain true",
      dir.path());
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("applying it anyway"), std::string::npos) << forced.err;
}

TEST(CliRun, HalosUseTheRunsCosmology) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd("run --particles 16 --mesh 32 --box_size 64 --steps 2 --sigma8 0.7 "
                          "--n_s 0.95 --fft_planning estimate --progress false "
                          "--write_density false --output_dir out",
                          dir.path())
                .exit_code,
            0);
  const CommandResult r =
      run_cosmograd("halos out/snapshot_z0p000.hdf5 --min_members 5 --out h.hdf5", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("WARN"), std::string::npos) << r.err;
  const std::string table = read_text(dir / "h_massfunction.txt");
  EXPECT_NE(table.find("sigma8 = 0.7, n_s = 0.95"), std::string::npos) << table.substr(0, 400);
  // A snapshot without them (written by another code) falls back to Planck, with a warning.
}

TEST(CliRun, HaloModelTrainingIsBitwiseReproducible) {
  // Same seed and thread count, same weights (the initial weights were drawn before the
  // trainer seeded torch's generator, so two runs of one command gave r(k) 0.942 vs 0.953).
  TempDir dir;
  const std::string args =
      "halomodel train --sims 1 --test_sims 1 --particles 16 --mesh 16 --box_size 64 --steps 2 "
      "--grid 16 --epochs 10 --depth 1 --channels 4 --threads 2 --out ";
  ASSERT_EQ(run_cosmograd(args + "a.cgm", dir.path()).exit_code, 0);
  ASSERT_EQ(run_cosmograd(args + "b.cgm", dir.path()).exit_code, 0);
  const std::string a = read_text(dir / "a.cgm"), b = read_text(dir / "b.cgm");
  const auto wa = a.find("@weights"), wb = b.find("@weights");
  ASSERT_NE(wa, std::string::npos);
  ASSERT_NE(wb, std::string::npos);
  EXPECT_TRUE(a.substr(wa) == b.substr(wb)) << "the weights differ between two identical runs";
}

TEST(CliRun, EmulatePipelineWritesRunOutputsAndRefusesWhatTheModelCannotDo) {
  // data -> train (a tiny model) -> an emulated run with run's outputs; then the refusals.
  TempDir dir;
  const CommandResult d = run_cosmograd(
      "emulate data --sims 2 --particles 16 --mesh 32 --box_size 64 --steps 2 --threads 1 "
      "--out pairs.h5",
      dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const CommandResult t = run_cosmograd(
      "emulate train --data pairs.h5 --test pairs.h5 --steps 2 --depth 1 --channels 2 "
      "--threads 1 --out m.cgm --report r.md",
      dir.path());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("P_emu / P_PM"), std::string::npos) << t.out;
  EXPECT_NE(read_text(dir / "r.md").find("2LPT + PGD"), std::string::npos);
  const std::string header = read_text(dir / "m.cgm").substr(0, 2000);
  EXPECT_NE(header.find("model = emulator"), std::string::npos) << header;

  const std::string common =
      "--model m.cgm --mesh 32 --threads 1 --progress false --fft_planning estimate ";
  const CommandResult ok = run_cosmograd(
      "emulate " + common + "--particles 16 --box_size 64 --output_dir out", dir.path());
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(fs::is_regular_file(dir / "out/snapshot_z0p000.hdf5"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out/power_z0p000.txt"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out/MANIFEST.txt"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out/config.ini"));
  // A larger box at the same particle spacing (patches: tests/nn/test_emulator.cpp).
  const CommandResult big = run_cosmograd(
      "emulate " + common + "--particles 32 --box_size 128 --output_dir big", dir.path());
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_TRUE(fs::is_regular_file(dir / "big/power_z0p000.txt"));

  const CommandResult spacing = run_cosmograd(
      "emulate " + common + "--particles 16 --box_size 128 --output_dir no1", dir.path());
  EXPECT_NE(spacing.exit_code, 0);
  EXPECT_NE(spacing.err.find("particles"), std::string::npos) << spacing.err;
  EXPECT_NE(spacing.err.find("was trained at 4 Mpc/h"), std::string::npos) << spacing.err;
  const CommandResult redshift = run_cosmograd(
      "emulate " + common + "--particles 16 --box_size 64 --z_out 1 --output_dir no2", dir.path());
  EXPECT_NE(redshift.exit_code, 0);
  EXPECT_NE(redshift.err.find("z_out"), std::string::npos) << redshift.err;
  const CommandResult domain = run_cosmograd(
      "emulate " + common + "--particles 16 --box_size 64 --Omega_m 0.5 --output_dir no3",
      dir.path());
  EXPECT_NE(domain.exit_code, 0);
  EXPECT_NE(domain.err.find("outside the training domain"), std::string::npos) << domain.err;
  EXPECT_NE(domain.err.find("Omega_m = 0.5"), std::string::npos) << domain.err;
  for (const char* refused : {"no1", "no2", "no3"}) EXPECT_FALSE(fs::exists(dir / refused));
}

TEST(CliRun, SuperResolutionPipelineUpsamplesARunAndRefusesWhatTheModelCannotDo) {
  // superres data -> train (a tiny model) -> evaluate; then `run` at low resolution and
  // `emulate --input` on its snapshot, with run's outputs at 2^3 times the particles.
  TempDir dir;
  const CommandResult d = run_cosmograd(
      "emulate superres data --sims 2 --particles 8 --box_size 32 --steps 2 --threads 1 "
      "--out sr.h5",
      dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const CommandResult t = run_cosmograd(
      "emulate superres train --data sr.h5 --test sr.h5 --steps 2 --depth 1 --lr_channels 2 "
      "--hr_channels 2 --threads 1 --out sr.cgm --report r.md",
      dir.path());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("P_SR / P_HR"), std::string::npos) << t.out;
  EXPECT_NE(read_text(dir / "r.md").find("Stacked halo profiles"), std::string::npos);
  const CommandResult e = run_cosmograd(
      "emulate superres evaluate --model sr.cgm --test sr.h5 --noise_seed -1 --threads 1",
      dir.path());
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("injected noise off"), std::string::npos) << e.out;

  const std::string lo = "run --steps 2 --threads 1 --progress false --fft_planning estimate ";
  ASSERT_EQ(run_cosmograd(lo + "--particles 8 --mesh 16 --box_size 32 --transfer eisenstein_hu "
                               "--output_dir lo",
                          dir.path())
                .exit_code,
            0);
  const std::string sr = "emulate --model sr.cgm --threads 1 --progress false ";
  const CommandResult ok =
      run_cosmograd(sr + "--input lo/snapshot_z0p000.hdf5 --output_dir hi", dir.path());
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const sim::SnapshotData<float> snap =
      sim::read_snapshot<float>((dir / "hi/snapshot_z0p000.hdf5").string());
  EXPECT_EQ(snap.size(), 16u * 16u * 16u);
  EXPECT_DOUBLE_EQ(snap.header.box_size, 32.0);
  EXPECT_TRUE(fs::is_regular_file(dir / "hi/power_z0p000.txt"));
  EXPECT_TRUE(fs::is_regular_file(dir / "hi/MANIFEST.txt"));
  const std::string ini = read_text(dir / "hi/config.ini");
  EXPECT_NE(ini.find("particles = 16"), std::string::npos) << ini;  // from the snapshot
  EXPECT_NE(ini.find("mesh = 32"), std::string::npos) << ini;

  // Another particle spacing, another cosmology: refused, nothing written.
  ASSERT_EQ(
      run_cosmograd(lo + "--particles 8 --mesh 16 --box_size 64 --output_dir wide", dir.path())
          .exit_code,
      0);
  const CommandResult spacing =
      run_cosmograd(sr + "--input wide/snapshot_z0p000.hdf5 --output_dir no1", dir.path());
  EXPECT_NE(spacing.exit_code, 0);
  EXPECT_NE(spacing.err.find("particle spacing 8 Mpc/h"), std::string::npos) << spacing.err;
  ASSERT_EQ(run_cosmograd(lo + "--particles 8 --mesh 16 --box_size 32 --Omega_m 0.25 "
                               "--output_dir other",
                          dir.path())
                .exit_code,
            0);
  const CommandResult cosmo =
      run_cosmograd(sr + "--input other/snapshot_z0p000.hdf5 --output_dir no2", dir.path());
  EXPECT_NE(cosmo.exit_code, 0);
  EXPECT_NE(cosmo.err.find("Omega_m = 0.25"), std::string::npos) << cosmo.err;
  for (const char* refused : {"no1", "no2"}) EXPECT_FALSE(fs::exists(dir / refused));
}

TEST(CliRun, BaryonPaintingPipelineFitsEvaluatesAndPaints) {
  // run -> paint targets (two boxes) -> paint fit (LDL, a few L-BFGS iterations) -> paint
  // evaluate -> paint --model; then the errors a user meets first.
  TempDir dir;
  const std::string run =
      "run --particles 32 --mesh 64 --box_size 64 --steps 6 --threads 1 "
      "--progress false --fft_planning estimate --write_density false ";
  for (const char* seed : {"1", "2"}) {
    ASSERT_EQ(
        run_cosmograd(run + "--seed " + seed + " --output_dir run" + seed, dir.path()).exit_code,
        0);
    const CommandResult t = run_cosmograd(std::string("paint targets run") + seed +
                                              "/snapshot_z0p000.hdf5 --mesh 16 --threads 1 "
                                              "--pressure_min_mass 0 --out t" +
                                              seed,
                                          dir.path());
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("halos"), std::string::npos) << t.out;
    for (const char* f : {"dmo_density", "bcm_matter", "electron_pressure", "hi_density"}) {
      EXPECT_TRUE(fs::is_regular_file(dir / ("t" + std::string(seed)) / (std::string(f) + ".h5")))
          << f;
    }
  }
  const sim::FieldFile<double> target =
      sim::read_field<double>((dir / "t1/bcm_matter.h5").string(), "bcm_matter", 16);
  EXPECT_DOUBLE_EQ(target.box_size, 64.0);
  const CommandResult fit = run_cosmograd(
      "paint fit --train t1 --target bcm_matter --mesh 16 --layers 1 --iterations 3 --threads 1 "
      "--out m.cgm",
      dir.path());
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("5 parameters"), std::string::npos) << fit.out;
  const CommandResult ev = run_cosmograd(
      "paint evaluate --models m.cgm --train t1 --test t2 --mesh 16 --threads 1 --report r.md",
      dir.path());
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  const std::string report = read_text(dir / "r.md");
  EXPECT_NE(report.find("SYNTHETIC"), std::string::npos);
  EXPECT_NE(report.find("S_target"), std::string::npos) << report;
  const CommandResult paint = run_cosmograd(
      "paint --model m.cgm run2/snapshot_z0p000.hdf5 --out p --threads 1", dir.path());
  ASSERT_EQ(paint.exit_code, 0) << paint.err;
  const sim::FieldFile<double> painted =
      sim::read_field<double>((dir / "p/bcm_matter.h5").string(), "bcm_matter", 16);
  double mean = 0;
  for (int x = 0; x < 16; ++x) {
    for (int y = 0; y < 16; ++y) {
      for (int z = 0; z < 16; ++z) mean += painted.field.at(x, y, z) / 4096.0;
    }
  }
  EXPECT_NEAR(mean, 1.0, 1e-9);  // the painted matter keeps the mass (1 + delta)
  EXPECT_TRUE(fs::is_regular_file(dir / "p/bcm_matter_power.txt"));
  // Another box size is another cell size, part of an LDL model: refused.
  ASSERT_EQ(run_cosmograd("run --particles 16 --mesh 32 --box_size 32 --steps 2 --threads 1 "
                          "--progress false --fft_planning estimate --output_dir small",
                          dir.path())
                .exit_code,
            0);
  const CommandResult other =
      run_cosmograd("paint --model m.cgm small/snapshot_z0p000.hdf5 --out q", dir.path());
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("fitted on 64 Mpc/h"), std::string::npos) << other.err;

  // A directory that paint targets did not make, a dark-matter snapshot given as hydro input,
  // an unknown target: each refused with the name of what is wrong.
  const CommandResult no_dir =
      run_cosmograd("paint fit --train run1 --target bcm_matter --mesh 16 --out x.cgm", dir.path());
  EXPECT_NE(no_dir.exit_code, 0);
  EXPECT_NE(no_dir.err.find("source.txt is missing"), std::string::npos) << no_dir.err;
  const CommandResult hydro =
      run_cosmograd("paint hydro run1/snapshot_z0p000.hdf5 --out h", dir.path());
  EXPECT_NE(hydro.exit_code, 0);
  EXPECT_NE(hydro.err.find("/PartType0 holds no particles"), std::string::npos) << hydro.err;
  const CommandResult bad_target =
      run_cosmograd("paint fit --train t1 --target gas --mesh 16 --out x.cgm", dir.path());
  EXPECT_NE(bad_target.exit_code, 0);
  EXPECT_NE(bad_target.err.find("electron_pressure"), std::string::npos) << bad_target.err;
  EXPECT_FALSE(fs::exists(dir / "x.cgm"));
}

}  // namespace
}  // namespace cosmograd::test

namespace cosmograd::test {
namespace {

TEST(CliRun, ReconstructionPipelineDataMapRimEvaluate) {
  // reconstruct data (matter; masked redshift space) -> reconstruct with Adam and L-BFGS ->
  // train a tiny RIM -> reconstruct with it -> evaluate; then the errors a user meets first.
  TempDir dir;
  const std::string small = "--particles 16 --mesh 16 --box_size 100 --steps 2 --threads 1 ";
  ASSERT_EQ(run_cosmograd("reconstruct data " + small + "--seed 5 --out d", dir.path()).exit_code,
            0);
  for (const char* f : {"data.h5", "data.ini", "truth_white_noise.h5", "truth_linear.h5"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / "d" / f)) << f;
  }
  const CommandResult adam = run_cosmograd(
      "reconstruct --data d/data.h5 --method adam --iterations 30 --threads 1 --out a", dir.path());
  ASSERT_EQ(adam.exit_code, 0) << adam.err;
  for (const char* f : {"white_noise.h5", "linear.h5", "trace.txt", "transfer.txt", "slices.png"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / "a" / f)) << f;
  }
  // transfer.txt: k r T modes; the largest scales are recovered (r > 0.8 at this noise).
  std::istringstream t(read_text(dir / "a/transfer.txt"));
  std::string header;
  std::getline(t, header);
  double k = 0, r = 0, tk = 0, modes = 0;
  t >> k >> r >> tk >> modes;
  EXPECT_GT(r, 0.8) << read_text(dir / "a/transfer.txt");
  const std::string trace = read_text(dir / "a/trace.txt");
  EXPECT_EQ(std::count(trace.begin(), trace.end(), '\n'), 31);  // header + one per evaluation
  ASSERT_EQ(
      run_cosmograd("reconstruct data " + small + "--seed 6 --los z --mask_fraction 0.25 --out m",
                    dir.path())
          .exit_code,
      0);
  const CommandResult lbfgs = run_cosmograd(
      "reconstruct --data m/data.h5 --method lbfgs --iterations 10 --anneal 12,0 --threads 1 "
      "--out l",
      dir.path());
  ASSERT_EQ(lbfgs.exit_code, 0) << lbfgs.err;
  const CommandResult train = run_cosmograd("reconstruct train " + small +
                                                "--train_steps 3 --rim_channels 2 --rim_kernel 3 "
                                                "--rim_iterations 2 --out rim.cgm",
                                            dir.path());
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const CommandResult rim = run_cosmograd(
      "reconstruct --data d/data.h5 --method rim --model rim.cgm --threads 1 --out r", dir.path());
  ASSERT_EQ(rim.exit_code, 0) << rim.err;
  EXPECT_NE(rim.out.find("2 iterations, 2 engine evaluations"), std::string::npos) << rim.out;
  const CommandResult ev = run_cosmograd(
      "reconstruct evaluate --data d/data.h5 --model rim.cgm --lbfgs_iterations 5 "
      "--anneal_iterations 5 --threads 1 --out e.md",
      dir.path());
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  const std::string report = read_text(dir / "e.md");
  for (const char* row : {"RIM-2", "Adam-10", "Adam-100", "L-BFGS-5", "annealed Adam-5"}) {
    EXPECT_NE(report.find(row), std::string::npos) << row << "\n" << report;
  }
  EXPECT_TRUE(fs::is_regular_file(dir / "e.png"));
  // Errors name the setting.
  const CommandResult bad_method =
      run_cosmograd("reconstruct --data d/data.h5 --method newton --out x", dir.path());
  EXPECT_NE(bad_method.exit_code, 0);
  EXPECT_NE(bad_method.err.find("method"), std::string::npos) << bad_method.err;
  const CommandResult no_data = run_cosmograd("reconstruct --data d/nothing.h5", dir.path());
  EXPECT_NE(no_data.exit_code, 0);
  EXPECT_NE(no_data.err.find("data.h5"), std::string::npos) << no_data.err;
  const CommandResult bad_noise =
      run_cosmograd("reconstruct data " + small + "--noise_power 0 --out z", dir.path());
  EXPECT_NE(bad_noise.exit_code, 0);
  EXPECT_NE(bad_noise.err.find("noise_power"), std::string::npos) << bad_noise.err;
  EXPECT_FALSE(fs::exists(dir / "z"));
}

}  // namespace
}  // namespace cosmograd::test
