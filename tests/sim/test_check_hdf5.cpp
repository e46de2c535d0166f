#include <gtest/gtest.h>

#include "sim/io/check_hdf5.hpp"

namespace cg = cosmograd::sim;

TEST(CheckHdf5, FailedOpenThrowsWithCallAndHdf5Reason) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // keep HDF5 from printing its own stack
  try {
    cg::check_hdf5(H5Fopen("/nonexistent/cosmograd.h5", H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("H5Fopen failed (HDF5 status -1)"), std::string::npos) << what;
    EXPECT_NE(what.find("unable to open file"), std::string::npos) << what;
  }
}

TEST(CheckHdf5, SuccessPassesThrough) {
  const hid_t space = cg::check_hdf5(H5Screate(H5S_SCALAR), "H5Screate");
  EXPECT_GE(space, 0);
  EXPECT_EQ(cg::check_hdf5(H5Sclose(space), "H5Sclose"), 0);
}
