#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "driver/config.hpp"

namespace cg = cosmograd::driver;

namespace {
cg::Settings defaults() { return cg::Settings::defaults(cg::run_keys()); }

std::string error_of(const cg::Settings& s) {
  try {
    cg::run_config_from(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsAreTheQuickstart) {
  const cosmograd::sim::SimSpec c = cg::run_config_from(defaults()).sim;
  EXPECT_EQ(c.particles, 128);
  EXPECT_EQ(c.mesh, 256);
  EXPECT_DOUBLE_EQ(c.box_size, 256);
  EXPECT_DOUBLE_EQ(c.a_init, 0.1);
  EXPECT_EQ(c.steps, 10);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_DOUBLE_EQ(c.cosmology.Omega_m, 0.3089);
  EXPECT_EQ(c.time_grid().size(), 11u);
  EXPECT_DOUBLE_EQ(c.a_final(), 1.0);
}

TEST(Config, EveryKeyHasHelpAndIsRead) {
  cg::Settings s = defaults();
  for (const auto& k : cg::run_keys()) {
    EXPECT_FALSE(k.help.empty()) << k.name;
    EXPECT_TRUE(s.has(k.name)) << k.name;
  }
}

TEST(Config, BadValuesNameKeyValueAndRange) {
  cg::Settings s = defaults();
  s.set("particles", "33");
  EXPECT_EQ(error_of(s), "particles = '33' is odd (allowed: even numbers)");
  s = defaults();
  s.set("steps", "ten");
  EXPECT_EQ(error_of(s), "steps = 'ten' is not an integer");
  s = defaults();
  s.set("Omega_m", "1.5");
  EXPECT_NE(error_of(s).find("Omega_m = 1.5"), std::string::npos) << error_of(s);
  s = defaults();
  s.set("painter", "ngp");
  EXPECT_NE(error_of(s).find("painter = 'ngp'"), std::string::npos);
  s = defaults();
  s.set("z_out", "20");
  EXPECT_NE(error_of(s).find("z_out = '20' has redshift 20 outside the run"), std::string::npos)
      << error_of(s);
  s = defaults();
  s.set("transfer", "table");
  EXPECT_NE(error_of(s).find("transfer_file"), std::string::npos);
  s = defaults();
  s.set("fixed_amplitude", "maybe");
  EXPECT_NE(error_of(s).find("is not a boolean"), std::string::npos);
}

TEST(Config, LightconeKeysAreCheckedBeforeTheRun) {
  // Each bad lightcone value: its key, its value, what is allowed.
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases = {
      {{"lightcone_z_max", "12"}, "lightcone_z_max = '12' is out of range (allowed: 0 < z_max <"},
      {{"lightcone_observer", "1,2"}, "lightcone_observer = '1,2' is not a position"},
      {{"lightcone_observer", "1,2,300"}, "lightcone_observer = '1,2,300' is outside the box"},
      {{"lightcone_shell_width", "0"}, "lightcone_shell_width = '0' is not positive"},
      {{"lightcone_shell_edges", "0,200,100"}, "lightcone shell_edges[2] = 100"},
      {{"lightcone_shell_edges", "0,300,6000"}, "lightcone_shell_edges = '0,300,6000' ends beyond"},
      {{"lightcone_nside", "100"}, "lightcone_nside = 100"},
      {{"lightcone_healpix_deposit", "cic"}, "lightcone_healpix_deposit = 'cic' is not a deposit"},
      {{"lightcone_ray_step", "8"}, "lightcone_ray_step = '8' is out of range"},
      {{"lightcone_field_deg", "90"}, "lightcone_field_deg = 90"},
      {{"lightcone_particle_fraction", "2"}, "lightcone_particle_fraction = 2"},
      {{"source_z", "-1"}, "source_z"},
      {{"source_nz", "smail:2"}, "source_nz"},
  };
  for (const auto& [kv, message] : cases) {
    cg::Settings s = defaults();
    s.set("lightcone", "true");
    s.set(kv.first, kv.second);
    EXPECT_NE(error_of(s).find(message), std::string::npos) << kv.first << ": " << error_of(s);
  }
  cg::Settings s = defaults();
  s.set("lightcone", "true");
  s.set("lightcone_shell_edges", "0,100,250");
  s.set("lightcone_healpix_deposit", "bilinear");
  const cg::RunConfig c = cg::run_config_from(s);
  EXPECT_TRUE(c.out.lightcone.enabled);
  EXPECT_TRUE(c.out.lightcone.healpix_bilinear);
  EXPECT_EQ(c.out.lightcone.shell_edges, (std::vector<double>{0, 100, 250}));
  s.set("lightcone_healpix_deposit", "mesh");
  s.set("lightcone_ray_step", "1.5");
  const cg::RunConfig m = cg::run_config_from(s);
  EXPECT_TRUE(m.out.lightcone.healpix_mesh);
  EXPECT_FALSE(m.out.lightcone.healpix_bilinear);
  EXPECT_EQ(m.out.lightcone.ray_step, 1.5);
}

TEST(Config, OutputsAreInsertedIntoTheTimeGrid) {
  cg::Settings s = defaults();
  s.set("z_out", "0, 1, 0.5");
  const cosmograd::sim::SimSpec c = cg::run_config_from(s).sim;
  EXPECT_EQ(c.z_out, (std::vector<double>{1, 0.5, 0}));
  const auto grid = c.time_grid();
  EXPECT_EQ(grid.size(), 13u);  // 10 steps + a = 0.5 and 2/3
  s.set("a_list", "0.1, 0.5, 0.8, 1");
  s.set("z_out", "0.25");
  EXPECT_EQ(cg::run_config_from(s).sim.time_grid().size(), 4u);
}

TEST(Config, KeyDefaultsAreTheDefaultSpecAndOptions) {
  // Defaults are written once (SimSpec, RunOptions): the keys' defaults parse back to them.
  const cg::RunConfig c = cg::run_config_from(defaults());
  const cosmograd::sim::SimSpec d;
  const cg::RunOptions o;
  EXPECT_EQ(c.sim.particles, d.particles);
  EXPECT_EQ(c.sim.mesh, d.mesh);
  EXPECT_EQ(c.sim.box_size, d.box_size);
  EXPECT_EQ(c.sim.z_out, d.z_out);
  EXPECT_EQ(c.sim.painter, d.painter);
  EXPECT_EQ(c.sim.gradient, d.gradient);
  EXPECT_EQ(c.sim.transfer.name, d.transfer.name);
  EXPECT_EQ(c.sim.cosmology.sigma8, d.cosmology.sigma8);
  EXPECT_EQ(c.sim.fft_planning, d.fft_planning);
  EXPECT_EQ(c.out.output_dir, o.output_dir);
  EXPECT_EQ(c.out.fof.min_members, o.fof.min_members);
  EXPECT_EQ(c.out.snapshot_kpc, o.snapshot_kpc);
}

TEST(Config, AllowedValuesComeFromTheRegistries) {
  for (const auto& k : cg::run_keys()) {
    if (k.name == "painter") {
      EXPECT_NE(k.help.find(cosmograd::sim::paint_kernel_names()), std::string::npos) << k.help;
    }
    if (k.name == "transfer") {
      EXPECT_NE(k.help.find("eisenstein_hu_nowiggle"), std::string::npos) << k.help;
    }
  }
}

TEST(Config, SpecFilledPastTheKeysIsStillValidated) {
  cosmograd::sim::SimSpec s;
  s.particles = 33;
  try {
    s.validate();
    ADD_FAILURE() << "odd particles accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "particles = '33' is odd (allowed: even numbers)");
  }
  s = cosmograd::sim::SimSpec{};
  s.z_out = {0, 1};  // not decreasing
  EXPECT_THROW(s.validate(), std::invalid_argument);
  s = cosmograd::sim::SimSpec{};
  s.mesh = 0;
  EXPECT_THROW(s.validate(), std::invalid_argument);
  EXPECT_NO_THROW(cosmograd::sim::SimSpec{}.validate());
}
