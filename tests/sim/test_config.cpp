#include <gtest/gtest.h>

#include "sim/config.hpp"

namespace cg = cosmograd::sim;

namespace {
cg::Settings defaults() { return cg::Settings::defaults(cg::run_keys()); }

std::string error_of(const cg::Settings& s) {
  try {
    cg::sim_config_from(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsAreTheQuickstart) {
  const cg::SimConfig c = cg::sim_config_from(defaults());
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

TEST(Config, OutputsAreInsertedIntoTheTimeGrid) {
  cg::Settings s = defaults();
  s.set("z_out", "0, 1, 0.5");
  const cg::SimConfig c = cg::sim_config_from(s);
  EXPECT_EQ(c.z_out, (std::vector<double>{1, 0.5, 0}));
  const auto grid = c.time_grid();
  EXPECT_EQ(grid.size(), 13u);  // 10 steps + a = 0.5 and 2/3
  s.set("a_list", "0.1, 0.5, 0.8, 1");
  s.set("z_out", "0.25");
  EXPECT_EQ(cg::sim_config_from(s).time_grid().size(), 4u);
}
