// Runs under mpiexec with 2 ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include "sim/mpi/check_mpi.hpp"

namespace cg = cosmograd::sim;

TEST(CheckMpi, ErrorCodeThrowsWithMpiErrorString) {
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = -1;
  cg::check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  int size = 0;
  cg::check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  EXPECT_EQ(size, 2);
  int sum = 0;
  cg::check_mpi(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  EXPECT_EQ(sum, 1);
  int x = 0;
  try {
    // rank 99 does not exist in a 2-rank world: MPI_ERR_RANK
    cg::check_mpi(MPI_Send(&x, 1, MPI_INT, 99, 0, MPI_COMM_WORLD), "MPI_Send");
    FAIL() << "no throw";
  } catch (const cg::CallError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("MPI_Send failed (MPI status"), std::string::npos) << what;
    EXPECT_NE(what.find("rank"), std::string::npos) << what;
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const int result = RUN_ALL_TESTS();
  MPI_Finalize();
  return result;
}
