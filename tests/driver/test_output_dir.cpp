// The output directory of a run: non-empty refused unless overwrite (which removes only the
// earlier run's files), a lock against two runs at once (a dead process's lock taken over),
// the manifest written last, and nothing created when a check fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "driver/output_dir.hpp"
#include "driver/simulation.hpp"
#include "tests/sim/temp_files.hpp"

namespace fs = std::filesystem;
namespace dr = cosmograd::driver;
using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {

void touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p) << text; }

/// The message of the std::invalid_argument that f throws ("" when it throws none).
template <class F>
std::string refusal(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

dr::RunConfig tiny_run(const fs::path& out) {
  dr::RunConfig rc;
  cosmograd::sim::SimSpec& c = rc.sim;
  c.transfer = {"eisenstein_hu", ""};
  c.particles = 8;
  c.mesh = 16;
  c.box_size = 32;
  c.steps = 1;
  c.z_out = {0.0};
  c.threads = 1;
  c.fft_planning = cosmograd::sim::FftPlanning::estimate;
  rc.out.output_dir = out.string();
  rc.out.write_snapshot = false;
  rc.out.progress = false;
  return rc;
}

}  // namespace

TEST(OutputDir, NonEmptyIsRefusedUnlessOverwriteWhichRemovesOnlyARunsFiles) {
  const fs::path dir = fresh_dir("outdir_nonempty");
  touch(dir / "config.ini");
  touch(dir / "density_z1p000.h5");  // an earlier run with another z_out
  const std::string msg = refusal([&] { dr::OutputDir d(dir.string(), false); });
  EXPECT_NE(msg.find("output_dir = '" + dir.string() + "' is not empty (2 entries"),
            std::string::npos)
      << msg;
  EXPECT_EQ(listing(dir), (std::set<std::string>{"config.ini", "density_z1p000.h5"}));
  {
    dr::OutputDir d(dir.string(), true);
    EXPECT_EQ(listing(dir), (std::set<std::string>{dr::kLockName}));
  }
  EXPECT_TRUE(listing(dir).empty());  // the lock is released
  touch(dir / "notes.txt");           // not a run's file: overwrite does not delete it
  const std::string foreign = refusal([&] { dr::OutputDir d(dir.string(), true); });
  EXPECT_NE(foreign.find("holds 'notes.txt', which no cosmograd run wrote"), std::string::npos)
      << foreign;
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
}

TEST(OutputDir, ALiveRunsLockIsRefusedAndADeadOnesIsTakenOver) {
  const fs::path dir = fresh_dir("outdir_lock");
  touch(dir / dr::kLockName, std::to_string(::getppid()) + "\n");  // a live process
  const std::string msg = refusal([&] { dr::OutputDir d(dir.string(), false); });
  EXPECT_NE(msg.find("is in use by another run (process " + std::to_string(::getppid())),
            std::string::npos)
      << msg;
  EXPECT_TRUE(fs::exists(dir / dr::kLockName));  // still the other run's
  touch(dir / dr::kLockName, "2147483646\n");    // no such process: a killed run's lock
  dr::OutputDir d(dir.string(), false);
  std::ifstream in(dir / dr::kLockName);
  long pid = 0;
  in >> pid;
  EXPECT_EQ(pid, static_cast<long>(::getpid()));
}

TEST(OutputDir, ARunWritesItsManifestLastAndAFailedCheckCreatesNothing) {
  const fs::path root = fresh_dir("outdir_run");
  dr::RunConfig bad = tiny_run(root / "bad");
  bad.sim.transfer = {"table", (root / "missing_pk.dat").string()};
  EXPECT_ANY_THROW(dr::run_simulation(bad, "[run]\n"));
  EXPECT_FALSE(fs::exists(root / "bad"));  // the directory comes after every check

  const dr::RunConfig c = tiny_run(root / "good");
  const dr::RunSummary s = dr::run_simulation(c, "[run]\n");
  const fs::path manifest = root / "good" / dr::kManifestName;
  ASSERT_TRUE(fs::exists(manifest));
  auto newest = fs::last_write_time(manifest);
  for (const std::string& f : s.files) EXPECT_LE(fs::last_write_time(f), newest) << f;
  std::ifstream in(manifest);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(" config.ini\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" power_z0p000.txt\n"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(root / "good" / dr::kLockName));
  // A second run into it: refused before writing anything, then allowed with overwrite.
  const auto before = listing(root / "good");
  EXPECT_NE(refusal([&] { dr::run_simulation(c, "[run]\n"); }).find("is not empty"),
            std::string::npos);
  EXPECT_EQ(listing(root / "good"), before);
  dr::RunConfig again = c;
  again.out.overwrite = true;
  again.sim.z_out = {1.0};  // the z = 0 files of the first run must not survive
  dr::run_simulation(again, "[run]\n");
  EXPECT_FALSE(fs::exists(root / "good" / "power_z0p000.txt"));
  EXPECT_TRUE(fs::exists(root / "good" / "power_z1p000.txt"));
}
