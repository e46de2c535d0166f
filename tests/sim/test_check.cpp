#include <gtest/gtest.h>

#include "sim/core/check.hpp"
#include "sim/core/log.hpp"
#include "sim/mesh/check_fftw.hpp"

namespace cg = cosmograd::sim;

TEST(Check, AssertReportsFileLineRankAndExpression) {
  cg::set_log_rank(3, 4);
  try {
    const int n = 2;
    COSMOGRAD_ASSERT(n == 3, "n was " + std::to_string(n));
    FAIL() << "no throw";
  } catch (const cg::InternalError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("test_check.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("[rank 3]"), std::string::npos) << what;
    EXPECT_NE(what.find("`n == 3`"), std::string::npos) << what;
    EXPECT_NE(what.find("n was 2"), std::string::npos) << what;
  }
  cg::set_log_rank(0, 1);
}

TEST(Check, AssertPassesSilently) { EXPECT_NO_THROW(COSMOGRAD_ASSERT(1 + 1 == 2, "")); }

TEST(Check, CallFailedNamesLibraryCallAndCode) {
  try {
    cg::call_failed("MPI", "MPI_Allreduce", 17, "message truncated");
  } catch (const cg::CallError& e) {
    EXPECT_STREQ(e.what(), "MPI_Allreduce failed (MPI status 17): message truncated [rank 0]");
  }
}

TEST(Check, FftwNullPlanThrowsWithCallName) {
  struct Plan;
  Plan* null_plan = nullptr;
  try {
    cg::check_fftw_plan(null_plan, "fftwf_plan_dft_r2c_3d");
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find("fftwf_plan_dft_r2c_3d failed"), std::string::npos);
  }
  int dummy = 0;
  EXPECT_EQ(cg::check_fftw_plan(&dummy, "x"), &dummy);
}
