#include <gtest/gtest.h>

#include "sim/cosmo/time_grid.hpp"

namespace cg = cosmograd::sim;

TEST(TimeGrid, LinearLogAndOutputs) {
  const auto lin = cg::make_time_grid(0.1, 1.0, 9, cg::StepSpacing::linear);
  ASSERT_EQ(lin.size(), 10u);
  EXPECT_DOUBLE_EQ(lin[1], 0.2);
  EXPECT_DOUBLE_EQ(lin.back(), 1.0);
  const auto lg = cg::make_time_grid(0.01, 1.0, 2, cg::StepSpacing::log);
  EXPECT_NEAR(lg[1], 0.1, 1e-15);
  const auto with_out = cg::make_time_grid(0.1, 1.0, 9, cg::StepSpacing::linear, {0.5, 0.25, 0.3});
  EXPECT_EQ(with_out.size(), 11u);  // 0.25 inserted, 0.3 and 0.5 already there
  EXPECT_EQ(cg::make_time_grid(0.1, 0.1, 0, cg::StepSpacing::linear).size(), 1u);
}

TEST(TimeGrid, BadInputNamesTheKey) {
  EXPECT_THROW(cg::make_time_grid(0.0, 1.0, 5, cg::StepSpacing::linear), std::invalid_argument);
  EXPECT_THROW(cg::make_time_grid(0.5, 0.2, 5, cg::StepSpacing::linear), std::invalid_argument);
  try {
    cg::checked_time_list({0.1, 0.3, 0.2});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("a_list entry 2 = 0.2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cg::parse_step_spacing("quadratic"), std::invalid_argument);
}
