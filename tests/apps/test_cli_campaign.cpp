// `cosmograd campaign` end to end: killed with SIGKILL at random moments and rerun, it ends
// with every simulation present once and byte-identical to an uninterrupted campaign; slices
// (--tasks) add up to the whole; another campaign's directory is refused.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "tests/apps/cli_test_util.hpp"

namespace cosmograd::test {
namespace {

const std::string kCampaignKeys =
    "campaign --particles 16 --mesh 32 --box_size 128 --steps 6 --simulations 20 "
    "--fiducial_simulations 4 --density_mesh 16 --bispectrum_dk 0.1 --min_members 8 --threads 1";
const std::string kCampaign = kCampaignKeys + " --summaries density,power,bispectrum,halos";
/// Simulations of kCampaign.
constexpr std::size_t kSims = 24;

/// The names of the regular files under dir/sims.
std::vector<std::string> sim_files(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::is_directory(dir / "sims")) return names;
  for (const auto& e : fs::directory_iterator(dir / "sims")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// dir/sims holds exactly ref/sims's `sims` files, byte-identical, and the same manifest.
void expect_same_campaign(const fs::path& ref, const fs::path& dir, std::size_t sims) {
  const std::vector<std::string> names = sim_files(ref);
  ASSERT_EQ(names.size(), sims);
  EXPECT_EQ(sim_files(dir), names);  // nothing more (no temporaries), nothing less
  for (const std::string& n : names) {
    EXPECT_EQ(read_text(dir / "sims" / n), read_text(ref / "sims" / n)) << n;
  }
  EXPECT_EQ(read_text(dir / "manifest.txt"), read_text(ref / "manifest.txt"));
  EXPECT_EQ(read_text(dir / "design.txt"), read_text(ref / "design.txt"));
}

TEST(CliCampaign, KilledAtRandomMomentsAndRerunItMatchesAnUninterruptedCampaign) {
  TempDir dir;
  // Larger simulations than the other tests (~0.1-0.2 s each), so that kills land inside them.
  const std::string campaign =
      "campaign --particles 32 --mesh 64 --steps 8 --simulations 14 --fiducial_simulations 2 "
      "--summaries density,power,bispectrum,halos --density_mesh 16 --bispectrum_dk 0.1 "
      "--threads 1";
  const std::size_t sims = 16;
  const auto t0 = std::chrono::steady_clock::now();
  const CommandResult ref = run_cosmograd(campaign + " --out ref", dir.path());
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(ref.out.find("16 simulations run"), std::string::npos) << ref.out;
  // The manifest lists the complete files with the design's parameters.
  EXPECT_EQ(words(read_text(dir / "ref/manifest.txt")).size(), 7u + sims * 6u);
  const double per_sim = seconds / sims;  // an upper bound (start-up included)

  // Each attempt: start the campaign, wait until it is writing a simulation, then kill it with
  // SIGKILL after a uniformly random delay of 0 to 2.5 simulations (fixed seed); 6 kills.
  std::mt19937 rng(2026);
  std::uniform_real_distribution<double> delay(0.0, 2.5);
  int kills = 0, mid_write = 0;
  for (int attempt = 0; attempt < 40 && kills < 6; ++attempt) {
    const std::vector<std::string> before = sim_files(dir / "killed");
    const pid_t pid = spawn_cosmograd(campaign + " --out killed", dir.path());
    ASSERT_GT(pid, 0);
    int status = 0;
    bool exited = false;
    for (;;) {  // until a new name (temporary or complete) appears in sims/
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      bool writing = false;
      for (const std::string& n : sim_files(dir / "killed")) {
        writing = writing || std::find(before.begin(), before.end(), n) == before.end();
      }
      if (writing) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (exited) break;  // it finished: nothing left to interrupt
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(rng) * per_sim));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++kills;
    if (WIFEXITED(status)) break;
    for (const std::string& n : sim_files(dir / "killed")) {
      mid_write += n.find(".tmp.") != std::string::npos ? 1 : 0;  // removed by the next start
    }
  }
  EXPECT_GE(kills, 5);
  const std::vector<std::string> left = sim_files(dir / "killed");
  const CommandResult rerun = run_cosmograd(campaign + " --out killed", dir.path());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  std::cout << "uninterrupted " << seconds << " s; " << kills << " kills (" << mid_write
            << " while a file was being written) left " << left.size()
            << " entries in sims/; rerun: " << rerun.out;
  expect_same_campaign(dir / "ref", dir / "killed", sims);

  // A rerun of a complete campaign runs nothing.
  const CommandResult again = run_cosmograd(campaign + " --out killed", dir.path());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 simulations run, 16 already complete"), std::string::npos)
      << again.out;
}

TEST(CliCampaign, TaskSlicesAddUpToTheWholeCampaign) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd(kCampaign + " --out whole", dir.path()).exit_code, 0);
  for (const char* slice : {"0:7", "7:24"}) {
    const CommandResult r = run_cosmograd(kCampaign + " --out sliced --tasks " + slice, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  expect_same_campaign(dir / "whole", dir / "sliced", kSims);
  const CommandResult bad = run_cosmograd(kCampaign + " --out x --tasks 5:25", dir.path());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("tasks = '5:25' is out of range (allowed: 0 <= I < J <= 24)"),
            std::string::npos)
      << bad.err;
}

TEST(CliCampaign, AnotherCampaignsDirectoryIsRefusedAndKeepsItsFiles) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd(kCampaign + " --tasks 0:2 --out c", dir.path()).exit_code, 0);
  const std::string before = read_text(dir / "c/sims/sim_000000.h5");
  const CommandResult r = run_cosmograd(kCampaign + " --out c --prior Omega_m:0.2:0.4", dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("holds another campaign: its campaign.ini has prior = "
                       "'Omega_m:0.1:0.5,sigma8:0.6:1.0' where this one has 'Omega_m:0.2:0.4'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(dir / "c/sims/sim_000000.h5"), before);
  const CommandResult s =
      run_cosmograd(kCampaignKeys + " --out d --summaries power,shear", dir.path());
  EXPECT_NE(s.err.find("summaries = 'shear' is not a summary"), std::string::npos) << s.err;
}

TEST(CliCampaign, InferTrainEvaluateAndApplyOnASmallCampaign) {
  TempDir dir;
  const CommandResult c = run_cosmograd(
      "campaign --particles 16 --mesh 32 --box_size 128 --steps 4 --simulations 60 "
      "--fiducial_simulations 30 --summaries density,power,bispectrum --density_mesh 16 "
      "--bispectrum_dk 0.3 --threads 2 --progress false --out c",
      dir.path());
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string campaign = " --campaign c --validation 10 --test 20 --threads 2";
  const std::string split = campaign + " --k_max 0.4";
  const CommandResult t = run_cosmograd(
      "infer train" + split + " --summary power --members 2 --steps 100 --out power.cgm",
      dir.path());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("power NPE on 30 simulations (10 validation), 2 members"), std::string::npos)
      << t.out;
  const CommandResult td = run_cosmograd("infer train" + split +
                                             " --summary density --members 1 --steps 50 "
                                             "--compressor_loss vmim --compressor_steps 10 "
                                             "--out density.cgm",
                                         dir.path());
  ASSERT_EQ(td.exit_code, 0) << td.err;
  const CommandResult tm = run_cosmograd("infer train" + split +
                                             " --summary density --members 1 --steps 20 "
                                             "--compressor_steps 5 --out density_mse.cgm",
                                         dir.path());
  ASSERT_EQ(tm.exit_code, 0) << tm.err;
  const CommandResult e =
      run_cosmograd("infer evaluate" + split +
                        " --models power.cgm,density.cgm,density_mse.cgm --samples 199 --out eval",
                    dir.path());
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const std::string table = read_text(dir / "eval/inference.md");
  for (const char* row :
       {"| NPE power |", "| NPE density (vmim compressor) |", "| NPE density (mse compressor) |",
        "| Gaussian likelihood, P(k) |", "| Gaussian likelihood, P(k) + B |"}) {
    EXPECT_NE(table.find(row), std::string::npos) << row << " missing from\n" << table;
  }
  for (const char* png : {"power_ranks.png", "density_coverage.png", "gaussian_power_ranks.png",
                          "gaussian_power_bispectrum_coverage.png"}) {
    EXPECT_TRUE(is_png(dir / "eval" / png)) << png;
  }
  const CommandResult a = run_cosmograd(
      "infer --model power.cgm c/sims/sim_000055.h5 --samples 500 --out post", dir.path());
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(is_png(dir / "post/corner.png"));
  const std::vector<std::string> w = words(read_text(dir / "post/summary.txt"));
  ASSERT_GE(w.size(), 15u);
  EXPECT_EQ(w[8], "Omega_m");
  // Methods are compared at one k_max.
  const CommandResult bad = run_cosmograd(
      "infer train" + campaign + " --k_max 0.2 --summary power --members 1 --steps 20 --out k2.cgm",
      dir.path());
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  const CommandResult mismatch = run_cosmograd(
      "infer evaluate" + split + " --models k2.cgm --baselines '' --samples 199 --out e2",
      dir.path());
  EXPECT_NE(mismatch.exit_code, 0);
  EXPECT_NE(mismatch.err.find("k2.cgm uses k_max = 0.2 but this evaluation k_max = 0.4"),
            std::string::npos)
      << mismatch.err;
}

}  // namespace
}  // namespace cosmograd::test
