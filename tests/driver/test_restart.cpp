// Restart files of `cosmograd run` (driver/restart.hpp): restart_every parsed, the rank files
// read back bit for bit, damaged or hostile files refused with their names before anything
// is allocated, and a restart of another configuration refused naming the key.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "driver/config.hpp"
#include "driver/output_dir.hpp"
#include "driver/restart.hpp"
#include "tests/sim/temp_files.hpp"

namespace fs = std::filesystem;
namespace dr = cosmograd::driver;
namespace cg = cosmograd::sim;
using cosmograd::testing::fresh_dir;

namespace {

void touch(const fs::path& p) { std::ofstream(p) << "x"; }

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

const std::string kIni =
    "# cosmograd run: the resolved configuration\nOmega_m = 0.3\noutput_dir = out\nsteps = 10\n"
    "threads = 2\nprogress = true\nsigma8 = 0.8\n";

dr::RestartInfo info_for(const std::string& ini, int step) {
  dr::RestartInfo info;
  info.step = step;
  info.steps = 10;
  info.a = 0.25;
  info.config = dr::restart_config_text(ini);
  info.config_hash = dr::fnv1a64(info.config);
  info.files = {"snapshot_z1p000.hdf5", "power_z1p000.txt"};
  return info;
}

template <class T>
cg::Particles<T> some_particles() {
  cg::Particles<T> p = cg::Particles<T>::lattice_grid(4, 16.0);
  for (std::size_t i = 0; i < p.disp.size(); ++i) {
    p.disp[i] = static_cast<T>(0.001 * i - 0.03);
    p.mom[i] = static_cast<T>(1.0 / (i + 3.0));
  }
  return p;
}

std::string the_rank_file(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir / "restart")) {
    if (e.path().extension() == ".bin") return e.path().string();
  }
  return "";
}

}  // namespace

TEST(Restart, RestartEveryTakesStepsMinutesOrHours) {
  EXPECT_EQ(dr::parse_restart_every("0").steps, 0);
  EXPECT_EQ(dr::parse_restart_every("5").steps, 5);
  EXPECT_DOUBLE_EQ(dr::parse_restart_every("30 min").minutes, 30.0);
  EXPECT_DOUBLE_EQ(dr::parse_restart_every("30min").minutes, 30.0);
  EXPECT_DOUBLE_EQ(dr::parse_restart_every("1.5 h").minutes, 90.0);
  for (const char* bad : {"", "-1", "2.5", "5 steps", "0 min", "nan", "3 h x"}) {
    const std::string why = refusal([&] { dr::parse_restart_every(bad); });
    EXPECT_NE(why.find("restart_every"), std::string::npos) << bad << ": " << why;
    EXPECT_NE(why.find("allowed"), std::string::npos) << bad << ": " << why;
  }
}

TEST(Restart, ConfigTextLeavesOutWhatMayChange) {
  EXPECT_EQ(dr::restart_config_text(kIni), "Omega_m = 0.3\nsteps = 10\nsigma8 = 0.8\n");
}

TEST(Restart, RankFilesReadBackBitwiseAndOlderStepsAreRemoved) {
  const fs::path dir = fresh_dir("restart_roundtrip");
  const cg::Comm self = cg::Comm::self();
  const auto pf = some_particles<float>();
  dr::write_restart(dir.string(), info_for(kIni, 2), pf, self);
  dr::write_restart(dir.string(), info_for(kIni, 3), pf, self);  // supersedes step 2
  const dr::RestartInfo info = dr::read_restart_info(dir.string());
  EXPECT_EQ(info.step, 3);
  EXPECT_EQ(info.steps, 10);
  EXPECT_DOUBLE_EQ(info.a, 0.25);
  EXPECT_EQ(info.files, info_for(kIni, 3).files);
  EXPECT_EQ(info.scalar_bytes, 4);
  int bins = 0;
  for (const auto& e : fs::directory_iterator(dir / "restart"))
    bins += e.path().extension() == ".bin";
  EXPECT_EQ(bins, 1);
  const auto back = dr::read_restart_particles<float>(dir.string(), info, self);
  EXPECT_EQ(back.id, pf.id);
  EXPECT_EQ(back.disp, pf.disp);
  EXPECT_EQ(back.mom, pf.mom);
  EXPECT_EQ(back.n_side, 4);
  EXPECT_EQ(back.box_size, 16.0);
  dr::check_restart_matches(info, dr::restart_config_text(kIni), 1, 4);  // no throw
  // A double run cannot take a float restart, and the rank count must match.
  EXPECT_NE(refusal([&] { dr::check_restart_matches(info, info.config, 1, 8); }).find("float"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              dr::check_restart_matches(info, info.config, 2, 4);
            }).find("written by 1 MPI rank(s), this run has 2"),
            std::string::npos);
  dr::remove_restart(dir.string());
  EXPECT_FALSE(fs::exists(dir / "restart"));
}

TEST(Restart, AnotherConfigurationIsRefusedNamingTheKey) {
  const dr::RestartInfo info = info_for(kIni, 4);
  std::string edited = kIni;
  edited.replace(edited.find("sigma8 = 0.8"), 12, "sigma8 = 0.9");
  const std::string why =
      refusal([&] { dr::check_restart_matches(info, dr::restart_config_text(edited), 1, 4); });
  EXPECT_NE(why.find("'sigma8 = 0.8' where config.ini now has 'sigma8 = 0.9'"), std::string::npos)
      << why;
  // threads and progress may change.
  std::string threads = kIni;
  threads.replace(threads.find("threads = 2"), 11, "threads = 8");
  dr::check_restart_matches(info, dr::restart_config_text(threads), 1, 4);
}

TEST(Restart, DamagedOrHostileRankFilesAreRefusedByName) {
  const fs::path dir = fresh_dir("restart_damaged");
  const cg::Comm self = cg::Comm::self();
  const dr::RestartInfo info = info_for(kIni, 5);
  dr::write_restart(dir.string(), info, some_particles<double>(), self);
  const std::string file = the_rank_file(dir);
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto rewrite = [&](const std::string& b) { std::ofstream(file, std::ios::binary) << b; };
  const auto why = [&] {
    return refusal([&] { dr::read_restart_particles<double>(dir.string(), info, self); });
  };
  // Truncated.
  rewrite(bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(why().find(file + ": "), std::string::npos);
  EXPECT_NE(why().find("truncated"), std::string::npos) << why();
  rewrite(bytes.substr(0, 30));
  EXPECT_NE(why().find("shorter than its header"), std::string::npos) << why();
  // A flipped payload byte.
  std::string flipped = bytes;
  flipped[bytes.size() - 7] ^= 0x10;
  rewrite(flipped);
  EXPECT_NE(why().find("checksum mismatch"), std::string::npos) << why();
  // A hostile particle count (2^40) is refused from the file size, before any allocation.
  std::string hostile = bytes;
  const std::uint64_t huge = std::uint64_t(1) << 40;
  std::memcpy(&hostile[56], &huge, 8);  // RankHeader::count
  rewrite(hostile);
  EXPECT_NE(why().find("1099511627776 particles need"), std::string::npos) << why();
  // Not a restart file at all; another step's file.
  rewrite("GARBAGE" + bytes.substr(7));
  EXPECT_NE(why().find("not a restart file"), std::string::npos) << why();
  rewrite(bytes);
  dr::RestartInfo other = info;
  other.config_hash ^= 1;
  EXPECT_NE(refusal([&] {
              dr::read_restart_particles<double>(dir.string(), other, self);
            }).find("not for this rank"),
            std::string::npos);
  // A missing or edited RESTART.txt.
  const fs::path marker = dir / "restart" / "RESTART.txt";
  std::string text;
  {
    std::ifstream in(marker);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(marker) << text.substr(0, text.find("config = ")) << "config = Omega_m = 0.4\n";
  EXPECT_NE(refusal([&] { dr::read_restart_info(dir.string()); }).find("do not match"),
            std::string::npos);
  fs::remove(marker);
  EXPECT_NE(refusal([&] { dr::read_restart_info(dir.string()); }).find("no restart in it"),
            std::string::npos);
}

TEST(Restart, AStoppedRunsDirectoryPointsToResume) {
  const fs::path dir = fresh_dir("restart_stopped_run");
  dr::write_restart(dir.string(), info_for(kIni, 2), some_particles<float>(), cg::Comm::self());
  const std::string why = refusal([&] { dr::OutputDir(dir.string(), false); });
  EXPECT_NE(why.find("holds a stopped run with a restart"), std::string::npos) << why;
  EXPECT_NE(why.find("cosmograd run --resume " + dir.string()), std::string::npos) << why;
  // overwrite = true starts again: the restart goes with the earlier run's files.
  { const dr::OutputDir again(dir.string(), true); }
  EXPECT_FALSE(fs::exists(dir / "restart"));
  // --resume takes the directory as it is and removes temporaries a kill left.
  dr::write_restart(dir.string(), info_for(kIni, 2), some_particles<float>(), cg::Comm::self());
  touch(dir / "restart" / "step_000003.rank_0000.bin.tmp.999999");
  { const dr::OutputDir resumed(dir.string(), false, true); }
  EXPECT_FALSE(fs::exists(dir / "restart" / "step_000003.rank_0000.bin.tmp.999999"));
  EXPECT_EQ(dr::read_restart_info(dir.string()).step, 2);
}
