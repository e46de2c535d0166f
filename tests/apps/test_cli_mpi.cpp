// `mpiexec -n 2 cosmograd run` end to end: the distributed run writes one snapshot file per
// rank whose particles match the serial run's, the same P(k), logs once; a rank that fails
// stops the whole job with a message naming it (no hang). Campaigns and HMC chains shared by
// two ranks give the serial run's files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "sim/io/snapshot.hpp"
#include "tests/apps/cli_test_util.hpp"

namespace cosmograd::test {
namespace {

const std::string kRunArgs =
    "--particles 16 --mesh 32 --box_size 64 --steps 4 --z_out 0 --fft_planning estimate "
    "--progress false --threads 1";

/// mpiexec with `ranks` ranks, bounded by `timeout` so that a hang fails instead of blocking.
std::string launcher(int ranks) {
  std::string l = "timeout 120 " + std::string(COSMOGRAD_MPIEXEC) + " -n " + std::to_string(ranks) +
                  " --oversubscribe";
  if (::geteuid() == 0) l += " --allow-run-as-root";
  return l;
}

TEST(CliMpi, TwoRankCampaignWritesTheFilesOfOneRank) {
  TempDir dir;
  const std::string campaign =
      "campaign --particles 16 --mesh 32 --box_size 128 --steps 4 --simulations 5 "
      "--fiducial_simulations 1 --summaries density,power,bispectrum --bispectrum_dk 0.1 "
      "--threads 1 --out ";
  const CommandResult one = run_cosmograd(campaign + "one", dir.path());
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CommandResult two = run_cosmograd(campaign + "two", dir.path(), launcher(2));
  ASSERT_EQ(two.exit_code, 0) << "stdout:\n" << two.out << "stderr:\n" << two.err;
  EXPECT_NE(two.err.find("[rank 1] sim"), std::string::npos) << "rank 1 ran nothing:\n" << two.err;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "sims/sim_00000" + std::to_string(i) + ".h5";
    ASSERT_TRUE(fs::is_regular_file(dir / "two" / name)) << name;
    EXPECT_EQ(read_text(dir / "two" / name), read_text(dir / "one" / name)) << name;
  }
  EXPECT_EQ(read_text(dir / "two/manifest.txt"), read_text(dir / "one/manifest.txt"));
}

TEST(CliMpi, TwoRanksShareHmcChainsAndMatchTheSerialSamples) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd("reconstruct data --particles 8 --mesh 16 --box_size 256 --steps 2 "
                          "--data_mesh 8 --noise_power 2000 --threads 1 --out data",
                          dir.path())
                .exit_code,
            0);
  const std::string sample =
      "sample --data data/data.h5 --chains 2 --warmup 20 --samples 10 --max_tree_depth 3 "
      "--threads 1 --out ";
  const CommandResult one = run_cosmograd(sample + "one", dir.path());
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CommandResult two = run_cosmograd(sample + "two", dir.path(), launcher(2));
  ASSERT_EQ(two.exit_code, 0) << "stdout:\n" << two.out << "stderr:\n" << two.err;
  EXPECT_NE(two.err.find("[rank 1] chain 1"), std::string::npos) << "rank 1 ran nothing:\n"
                                                                 << two.err;
  EXPECT_EQ(read_text(dir / "two/samples.h5"), read_text(dir / "one/samples.h5"));
  EXPECT_EQ(read_text(dir / "two/posterior.txt"), read_text(dir / "one/posterior.txt"));
}

TEST(CliMpi, TwoRanksMatchTheSerialRun) {
  TempDir dir;
  const CommandResult serial =
      run_cosmograd("run " + kRunArgs + " --output_dir serial", dir.path());
  ASSERT_EQ(serial.exit_code, 0) << serial.err;
  const CommandResult mpi =
      run_cosmograd("run " + kRunArgs + " --output_dir mpi", dir.path(), launcher(2));
  ASSERT_EQ(mpi.exit_code, 0) << "stdout:\n" << mpi.out << "stderr:\n" << mpi.err;
  // Logs once (rank 0), with the load balance.
  const std::string summary = "cosmograd run: ";
  const std::size_t first = mpi.out.find(summary);
  ASSERT_NE(first, std::string::npos) << mpi.out;
  EXPECT_EQ(mpi.out.find(summary, first + 1), std::string::npos) << "printed twice:\n" << mpi.out;
  EXPECT_NE(mpi.err.find("particles per rank min"), std::string::npos) << mpi.err;
  EXPECT_EQ(mpi.err.find("[rank 1]"), std::string::npos) << "rank 1 logged:\n" << mpi.err;

  // snapshot_files = 0: one file per rank, read back as one snapshot.
  EXPECT_TRUE(fs::is_regular_file(dir / "mpi/snapshot_z0p000.0.hdf5"));
  EXPECT_TRUE(fs::is_regular_file(dir / "mpi/snapshot_z0p000.1.hdf5"));
  const auto s = sim::read_snapshot<float>((dir / "serial/snapshot_z0p000.hdf5").string());
  const auto m = sim::read_snapshot<float>((dir / "mpi/snapshot_z0p000.0.hdf5").string());
  ASSERT_EQ(m.size(), s.size());
  std::vector<std::size_t> at(s.size() + 1);  // id -> index in the serial snapshot
  for (std::size_t i = 0; i < s.size(); ++i) at[s.ids[i]] = i;
  double worst = 0;
  const double box = s.header.box_size;
  for (std::size_t j = 0; j < m.size(); ++j) {
    ASSERT_GE(m.ids[j], 1u);
    ASSERT_LE(m.ids[j], s.size());
    const std::size_t i = at[m.ids[j]];
    for (int d = 0; d < 3; ++d) {
      double diff = std::fmod(std::abs(double(m.pos[3 * j + d]) - s.pos[3 * i + d]), box);
      worst = std::max(worst, std::min(diff, box - diff));
    }
  }
  EXPECT_LT(worst, 1e-4 * box) << "float32 positions of 2 ranks vs 1";

  const Table ps = read_table(dir / "serial/power_z0p000.txt");
  const Table pm = read_table(dir / "mpi/power_z0p000.txt");
  ASSERT_EQ(pm.rows.size(), ps.rows.size());
  for (std::size_t b = 0; b < ps.rows.size(); ++b) {
    EXPECT_NEAR(pm.rows[b][1], ps.rows[b][1], 1e-4 * std::abs(ps.rows[b][1])) << "bin " << b;
  }
}

TEST(CliMpi, AFailingRankStopsTheJobAndNamesItself) {
  TempDir dir;
  std::ofstream(dir / "not_a_dir") << "a file where the output directory should go\n";
  // Only rank 0 creates the output directory; rank 1 waits for it at a barrier.
  const CommandResult r =
      run_cosmograd("run " + kRunArgs + " --output_dir not_a_dir", dir.path(), launcher(2));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.exit_code, 124) << "the job hung until the timeout:\n" << r.err;
  EXPECT_NE(r.err.find("[rank 0 of 2]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not_a_dir"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cosmograd::test
