// `cosmograd sample` end to end on a tiny problem: every output, chains killed with SIGKILL at
// random moments and rerun end with a samples.h5 byte-identical to an uninterrupted run's,
// another run's directory is refused, bad keys are named.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/apps/cli_test_util.hpp"

namespace cosmograd::test {
namespace {

const std::string kData =
    "reconstruct data --particles 8 --mesh 16 --box_size 256 --steps 2 --data_mesh 8 "
    "--noise_power 2000 --threads 1 --out data";
const std::string kSample =
    "sample --data data/data.h5 --chains 2 --warmup 30 --samples 30 --max_tree_depth 4 "
    "--checkpoint_every 3 --threads 1 --progress false";

TEST(CliSample, KilledChainsResumeToTheSameSamples) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd(kData, dir.path()).exit_code, 0);
  const auto t0 = std::chrono::steady_clock::now();
  const CommandResult ref = run_cosmograd(kSample + " --out ref", dir.path());
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const char* f : {"samples.h5", "posterior.txt", "diagnostics.md", "white_noise_mean.h5",
                        "white_noise_std.h5", "chain_000.h5", "chain_001.h5"}) {
    EXPECT_TRUE(fs::exists(dir / "ref" / f)) << f;
  }
  EXPECT_TRUE(is_png(dir / "ref/trace.png"));
  EXPECT_TRUE(is_png(dir / "ref/corner.png"));
  const std::string diag = read_text(dir / "ref/diagnostics.md");
  for (const char* q : {"| Omega_m |", "| sigma8 |", "| w(1,0,0).re |", "| w_rms |", "E-BFMI"}) {
    EXPECT_NE(diag.find(q), std::string::npos) << q << "\n" << diag;
  }
  // The posterior summary: both parameters with ordered quantiles, and the truth's level.
  const std::string post_text = read_text(dir / "ref/posterior.txt");
  EXPECT_NE(post_text.find("truth_level"), std::string::npos) << post_text;
  for (const char* p : {"Omega_m ", "sigma8 "}) {
    const std::vector<std::string> w = words(post_text.substr(post_text.find(p)));
    ASSERT_GE(w.size(), 9u) << post_text;
    const double q2 = std::stod(w[3]), q16 = std::stod(w[4]), q50 = std::stod(w[5]),
                 q84 = std::stod(w[6]), q97 = std::stod(w[7]);
    EXPECT_TRUE(q2 <= q16 && q16 <= q50 && q50 <= q84 && q84 <= q97) << post_text;
    EXPECT_GT(std::stod(w[2]), 0.0) << post_text;
  }

  // Kill at uniformly random moments within the first 30% of the uninterrupted run's time
  // (each start resumes the last), 4 times, then finish.
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> when(0.05, 0.3);
  int kills = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const pid_t pid = spawn_cosmograd(kSample + " --out killed", dir.path());
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(when(rng) * seconds));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++kills;
  }
  EXPECT_GE(kills, 3);
  const CommandResult rerun = run_cosmograd(kSample + " --out killed", dir.path());
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  std::cout << "uninterrupted " << seconds << " s, " << kills << " kills\n";
  EXPECT_EQ(read_text(dir / "killed/samples.h5"), read_text(dir / "ref/samples.h5"));
  EXPECT_EQ(read_text(dir / "killed/posterior.txt"), post_text);
  EXPECT_EQ(read_text(dir / "killed/white_noise_mean.h5"),
            read_text(dir / "ref/white_noise_mean.h5"));
  for (const auto& e : fs::directory_iterator(dir / "killed")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }

  // Another run's directory is refused and keeps its files.
  const std::string before = read_text(dir / "ref/chain_000.h5");
  const CommandResult other = run_cosmograd(kSample + " --seed 2 --out ref", dir.path());
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("chain_000.h5 belongs to another run"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("seed"), std::string::npos) << other.err;
  EXPECT_EQ(read_text(dir / "ref/chain_000.h5"), before);
}

TEST(CliSample, BadKeysAreNamed) {
  TempDir dir;
  ASSERT_EQ(run_cosmograd(kData, dir.path()).exit_code, 0);
  const CommandResult alg = run_cosmograd(kSample + " --algorithm slice --out x", dir.path());
  EXPECT_NE(alg.exit_code, 0);
  EXPECT_NE(alg.err.find("algorithm = 'slice'"), std::string::npos) << alg.err;
  const CommandResult prior =
      run_cosmograd(kSample + " --prior Omega_m:0.5:0.1 --out x", dir.path());
  EXPECT_NE(prior.exit_code, 0);
  EXPECT_NE(prior.err.find("prior"), std::string::npos) << prior.err;
  const CommandResult modes = run_cosmograd(kSample + " --modes 1:0 --out x", dir.path());
  EXPECT_NE(modes.exit_code, 0);
  EXPECT_NE(modes.err.find("modes = '1:0' must be KX:KY:KZ"), std::string::npos) << modes.err;
  const CommandResult accept = run_cosmograd(kSample + " --target_accept 1 --out x", dir.path());
  EXPECT_NE(accept.exit_code, 0);
  EXPECT_NE(accept.err.find("target_accept"), std::string::npos) << accept.err;
  const CommandResult none = run_cosmograd("sample --out x", dir.path());
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("data"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace cosmograd::test
