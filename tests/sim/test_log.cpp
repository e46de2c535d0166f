#include <gtest/gtest.h>

#include <cctype>
#include <stdexcept>

#include "sim/core/log.hpp"

namespace cg = cosmograd::sim;

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    cg::set_log_level(cg::LogLevel::info);
    cg::set_log_rank(0, 1);
    cg::set_log_all_ranks(false);
  }
};

TEST_F(LogTest, LineHasTimestampLevelAndMessage) {
  testing::internal::CaptureStderr();
  cg::log_info("step ", 3, " of ", 10);
  const std::string out = testing::internal::GetCapturedStderr();
  // "YYYY-mm-dd HH:MM:SS.mmm INFO  step 3 of 10\n": digits where the pattern has 'd'.
  const std::string pattern = "dddd-dd-dd dd:dd:dd.ddd INFO  step 3 of 10\n";
  ASSERT_EQ(out.size(), pattern.size()) << out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (pattern[i] == 'd') {
      EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(out[i]))) << out;
    } else {
      EXPECT_EQ(out[i], pattern[i]) << out;
    }
  }
}

TEST_F(LogTest, RankPrefixWhenSeveralRanks) {
  cg::set_log_rank(1, 2);
  testing::internal::CaptureStderr();
  cg::log_error("boom");
  cg::log_info("rank 1 info is hidden");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("[rank 1] ERROR boom"), std::string::npos) << out;
  EXPECT_EQ(out.find("hidden"), std::string::npos) << out;
  cg::set_log_all_ranks(true);
  testing::internal::CaptureStderr();
  cg::log_info("now shown");
  EXPECT_NE(testing::internal::GetCapturedStderr().find("[rank 1] INFO  now shown"),
            std::string::npos);
}

TEST_F(LogTest, LevelFilters) {
  cg::set_log_level(cg::LogLevel::warn);
  testing::internal::CaptureStderr();
  cg::log_debug("d");
  cg::log_info("i");
  cg::log_warn("w");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find(" i\n"), std::string::npos);
  EXPECT_NE(out.find("WARN  w"), std::string::npos);
}

TEST_F(LogTest, ParseLevel) {
  EXPECT_EQ(cg::parse_log_level("debug"), cg::LogLevel::debug);
  EXPECT_EQ(cg::parse_log_level("off"), cg::LogLevel::off);
  try {
    cg::parse_log_level("verbose");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'verbose'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("debug, info, warn, error, off"), std::string::npos);
  }
}
