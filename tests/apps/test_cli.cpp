// The `cosmograd` command line (apps/): help texts, exit codes, error messages, and the
// tables of `cosmograd theory`, checked by running the real binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <string>

#include "driver/config.hpp"
#include "tests/apps/cli_test_util.hpp"

namespace cosmograd::test {
namespace {

/// The line of `help` that documents `--key` ("" when there is none).
std::string help_line(const std::string& help, const std::string& key) {
  std::istringstream in(help);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> w = words(line);
    if (!w.empty() && w[0] == "--" + key) return line;
  }
  return "";
}

TEST(Cli, HelpListsTheCommands) {
  TempDir dir;
  for (const char* flag : {"--help", "-h", "help"}) {
    const CommandResult r = run_cosmograd(flag, dir.path());
    EXPECT_EQ(r.exit_code, 0) << flag << ": " << r.err;
    EXPECT_NE(r.out.find("usage: cosmograd <command>"), std::string::npos) << r.out;
    for (const char* command : {"run", "theory", "power", "info"}) {
      EXPECT_NE(r.out.find(std::string("\n  ") + command + " "), std::string::npos)
          << flag << " does not list `" << command << "`:\n"
          << r.out;
    }
  }
}

TEST(Cli, NoCommandPrintsUsageAndExits2) {
  TempDir dir;
  const CommandResult r = run_cosmograd("", dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage: cosmograd"), std::string::npos) << r.err;
}

TEST(Cli, UnknownCommandExits2) {
  TempDir dir;
  const CommandResult r = run_cosmograd("frobnicate --output_dir out", dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: cosmograd"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, RunHelpListsEveryKeyWithUnitAndDefault) {
  TempDir dir;
  const CommandResult r = run_cosmograd("run --help", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("usage: cosmograd run"), std::string::npos) << r.out;
  for (const sim::KeySpec& k : driver::run_keys()) {
    const std::string line = help_line(r.out, k.name);
    ASSERT_FALSE(line.empty()) << "`cosmograd run --help` does not list --" << k.name << ":\n"
                               << r.out;
    if (!k.unit.empty()) {
      EXPECT_NE(line.find("[" + k.unit + "]"), std::string::npos) << line;
    }
    const std::string def = k.default_value.empty() ? "none" : k.default_value;
    EXPECT_NE(line.find("(default: " + def + ")"), std::string::npos) << line;
  }
  // A few spelled out, so a change of the key table itself shows up here too.
  EXPECT_NE(help_line(r.out, "box_size").find("[Mpc/h]"), std::string::npos);
  EXPECT_NE(help_line(r.out, "box_size").find("(default: 256)"), std::string::npos);
  EXPECT_NE(help_line(r.out, "particles").find("[per side]"), std::string::npos);
  EXPECT_NE(help_line(r.out, "particles").find("(default: 128)"), std::string::npos);
  EXPECT_NE(help_line(r.out, "T_cmb").find("[K]"), std::string::npos);
  EXPECT_NE(help_line(r.out, "seed").find("(default: 42)"), std::string::npos);
  EXPECT_NE(help_line(r.out, "z_out").find("(default: 0)"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "cosmograd-out")) << "--help must not run anything";
}

TEST(Cli, TheoryAndPowerHaveHelp) {
  TempDir dir;
  for (const std::string command : {"theory", "power", "info"}) {
    const CommandResult r = run_cosmograd(command + " --help", dir.path());
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find("usage: cosmograd " + command), std::string::npos) << r.out;
  }
  const CommandResult theory = run_cosmograd("theory --help", dir.path());
  EXPECT_FALSE(help_line(theory.out, "Omega_m").empty()) << theory.out;
  EXPECT_FALSE(help_line(theory.out, "z").empty()) << theory.out;
  EXPECT_FALSE(help_line(theory.out, "out").empty()) << theory.out;
  EXPECT_FALSE(fs::exists(dir / "cosmograd-theory"));
}

TEST(Cli, UnknownKeyIsNamed) {
  TempDir dir;
  const CommandResult r = run_cosmograd("run --bogus 1 --output_dir out", dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cosmograd run --help"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, UnknownKeyInConfigFileIsNamed) {
  TempDir dir;
  {
    std::ofstream ini(dir / "bad.ini");
    ini << "particles = 8\nbogus_key = 3\n";
  }
  const CommandResult r = run_cosmograd("run bad.ini --output_dir out", dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad.ini"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bogus_key"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, BadValueExits1WithAnActionableMessage) {
  TempDir dir;
  const CommandResult r = run_cosmograd("run --particles 33 --output_dir out", dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("particles = '33' is odd (allowed: even numbers)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "out")) << "bad input must not create the output directory";

  const CommandResult not_a_number =
      run_cosmograd("run --box_size big --output_dir out", dir.path());
  EXPECT_EQ(not_a_number.exit_code, 1);
  EXPECT_NE(not_a_number.err.find("box_size = 'big' is not a finite number"), std::string::npos)
      << not_a_number.err;
  EXPECT_FALSE(fs::exists(dir / "out"));

  const CommandResult missing = run_cosmograd("run missing.ini --output_dir out", dir.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("missing.ini"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, OneConfigFileServesEveryCommand) {
  // A run's config (with `;` comments and quotes) read by `theory`: the run-only keys are
  // skipped, the cosmology is used; `[section]` headers are refused naming the line.
  TempDir dir;
  fs::create_directories(dir / "cfg");
  {
    std::ofstream ini(dir / "cfg/run.ini");
    ini << "; my run\nbox_size = 512 ; Mpc/h\nmesh = 64\na_init = 0.05\n"
        << "output_dir = \"my run\"\nOmega_m = 0.25   # lower than Planck\n";
  }
  const CommandResult r = run_cosmograd("theory cfg/run.ini --out tables", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream bg(dir / "tables/background.txt");
  const std::string text((std::istreambuf_iterator<char>(bg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Omega_m=0.25 "), std::string::npos) << text.substr(0, 400);
  {
    std::ofstream ini(dir / "cfg/sections.ini");
    ini << "[run]\nmesh = 64\n";
  }
  const CommandResult s = run_cosmograd("theory cfg/sections.ini --out t2", dir.path());
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("sections.ini', line 1: '[run]': sections are not used"), std::string::npos)
      << s.err;
  // A relative input file resolves against the INI's folder, not the working directory.
  {
    std::ofstream ini(dir / "cfg/table.ini");
    ini << "transfer = table\ntransfer_file = nothere_pk.dat\n";
  }
  const CommandResult t = run_cosmograd("theory cfg/table.ini --out t3", dir.path());
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("cfg/nothere_pk.dat"), std::string::npos) << t.err;
  // So does each n(z) file of source_nz (its smail: entries stay as they are).
  {
    std::ofstream ini(dir / "cfg/nz.ini");
    ini << "source_nz = smail:2:1.5:0.3, nothere_nz.txt\n";
  }
  const CommandResult n = run_cosmograd("theory cfg/nz.ini --out t4", dir.path());
  EXPECT_EQ(n.exit_code, 1);
  EXPECT_NE(n.err.find("cfg/nothere_nz.txt"), std::string::npos) << n.err;
}

// ---- cosmograd theory ------------------------------------------------------------------

class CliTheory : public testing::Test {
 protected:
  static constexpr double kOmegaM = 0.3;

  void SetUp() override {
    const CommandResult r = run_cosmograd(
        "theory --out tables --z 0,1 --Omega_m " + std::to_string(kOmegaM), dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"background.txt", "linear_power.txt", "halofit_power.txt"}) {
      ASSERT_TRUE(fs::exists(dir_ / "tables" / name)) << name << " missing; stderr:\n" << r.err;
    }
    background_ = read_table(dir_ / "tables/background.txt");
    linear_ = read_table(dir_ / "tables/linear_power.txt");
    halofit_ = read_table(dir_ / "tables/halofit_power.txt");
  }

  /// Index of the column of `t` whose header word (in the last '#' line) starts with
  /// `prefix`; fails the test when there is none.
  static std::size_t column_of(const Table& t, const std::string& prefix) {
    if (t.comments.empty()) {
      ADD_FAILURE() << "table without a '#' header";
      return 0;
    }
    const std::vector<std::string> names = words(t.comments.back());
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i].rfind(prefix, 0) == 0) return i;
    }
    ADD_FAILURE() << "no column '" << prefix << "...' in '#" << t.comments.back() << "'";
    return 0;
  }

  TempDir dir_;
  Table background_, linear_, halofit_;
};

TEST_F(CliTheory, BackgroundTable) {
  ASSERT_FALSE(background_.comments.empty());
  // The column header names every column, with units where there are any.
  const std::vector<std::string> names = words(background_.comments.back());
  ASSERT_EQ(names.size(), background_.columns()) << "#" << background_.comments.back();
  EXPECT_NE(background_.comments.back().find("chi[Mpc/h]"), std::string::npos);
  EXPECT_NE(background_.comments.front().find("Omega_m=0.3 "), std::string::npos)
      << "--Omega_m not applied: #" << background_.comments.front();

  const std::size_t ia = column_of(background_, "a"), iz = column_of(background_, "z");
  const std::size_t iD1 = column_of(background_, "D1"), if1 = column_of(background_, "f1");
  ASSERT_GE(background_.rows.size(), 200u);
  const std::vector<double> a = background_.column(ia);
  EXPECT_NEAR(a.front(), 1e-3, 1e-9);
  EXPECT_NEAR(a.back(), 1.0, 1e-12);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0) {
      ASSERT_GT(a[i], a[i - 1]) << "a not increasing at row " << i;
    }
    EXPECT_NEAR(background_.rows[i][iz], 1.0 / a[i] - 1.0, 1e-6 * (1.0 / a[i]));
  }
  const std::vector<double>& today = background_.rows.back();
  EXPECT_NEAR(today[iD1], 1.0, 1e-9);
  // f = dlnD/dlna ~ Omega_m(a)^0.55 (Linder 2005), good to a few 1e-3 for LCDM.
  EXPECT_NEAR(today[if1], std::pow(kOmegaM, 0.55), 5e-3);
  // Deep in matter domination D1 ~ a and f1 ~ 1.
  EXPECT_NEAR(background_.rows.front()[if1], 1.0, 1e-3);
}

TEST_F(CliTheory, PowerTables) {
  for (const Table* t : {&linear_, &halofit_}) {
    ASSERT_EQ(t->rows.size(), 500u);
    ASSERT_EQ(t->columns(), 3u) << "k and one P column per redshift";
    ASSERT_FALSE(t->comments.empty());
    const std::string& header = t->comments.back();
    EXPECT_NE(header.find("k[h/Mpc]"), std::string::npos) << header;
    EXPECT_NE(header.find("P(z=0)"), std::string::npos) << header;
    EXPECT_NE(header.find("P(z=1)"), std::string::npos) << header;
    EXPECT_NE(header.find("[(Mpc/h)^3]"), std::string::npos) << header;
    EXPECT_NEAR(t->rows.front()[0], 1e-4, 1e-10);
    EXPECT_NEAR(t->rows.back()[0], 10.0, 1e-6);
    for (std::size_t i = 0; i < t->rows.size(); ++i) {
      if (i > 0) {
        ASSERT_GT(t->rows[i][0], t->rows[i - 1][0]) << "k not increasing at row " << i;
      }
      ASSERT_GT(t->rows[i][1], 0.0) << "row " << i;
      ASSERT_GT(t->rows[i][2], 0.0) << "row " << i;
    }
  }
  // Linear theory: P(k, z=1) / P(k, z=0) = D1(a=1/2)^2 at large scales (scale-independent
  // growth), with D1 taken from background.txt.
  const double d1 = interp_loglog(background_.column(column_of(background_, "a")),
                                  background_.column(column_of(background_, "D1")), 0.5);
  EXPECT_GT(d1, 0.5);
  EXPECT_LT(d1, 0.7);
  for (std::size_t i : {0, 50, 100}) {
    const std::vector<double>& row = linear_.rows[i];
    EXPECT_NEAR(row[2] / row[1] / (d1 * d1), 1.0, 1e-3) << "k = " << row[0];
  }
  // Halofit tends to linear theory on large scales.
  std::size_t i3 = 0;
  for (std::size_t i = 0; i < linear_.rows.size(); ++i) {
    if (std::abs(std::log(linear_.rows[i][0] / 1e-3)) <
        std::abs(std::log(linear_.rows[i3][0] / 1e-3))) {
      i3 = i;
    }
  }
  ASSERT_NEAR(linear_.rows[i3][0], 1e-3, 2e-5);
  ASSERT_EQ(halofit_.rows[i3][0], linear_.rows[i3][0]);
  for (std::size_t c : {1, 2}) {
    EXPECT_NEAR(halofit_.rows[i3][c] / linear_.rows[i3][c], 1.0, 1e-3) << "column " << c;
  }
  // ... and is well above it at k = 1 h/Mpc, z = 0.
  std::size_t i1 = 0;
  while (linear_.rows[i1][0] < 1.0) ++i1;
  EXPECT_GT(halofit_.rows[i1][1] / linear_.rows[i1][1], 2.0);
}

TEST(Cli, TheoryRejectsANegativeRedshift) {
  TempDir dir;
  const CommandResult r = run_cosmograd("theory --out tables --z 0,-1", dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("z = '0,-1' is out of range"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "tables"));

  const CommandResult empty = run_cosmograd("theory --out tables --z ''", dir.path());
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("z = '' is empty"), std::string::npos) << empty.err;
  EXPECT_FALSE(fs::exists(dir / "tables"));
}

TEST(Cli, PowerCommandErrors) {
  TempDir dir;
  const CommandResult none = run_cosmograd("power --out p.txt", dir.path());
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("give one SNAPSHOT"), std::string::npos) << none.err;
  const CommandResult missing = run_cosmograd("power nothing.hdf5 --out p.txt", dir.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nothing"), std::string::npos) << missing.err;
  const CommandResult odd = run_cosmograd("power nothing.hdf5 --mesh 63 --out p.txt", dir.path());
  EXPECT_EQ(odd.exit_code, 1);
  EXPECT_NE(odd.err.find("mesh = '63'"), std::string::npos) << odd.err;
  EXPECT_FALSE(fs::exists(dir / "p.txt"));
}

TEST(Cli, GradcheckPassesAndCanFail) {
  TempDir dir;
  const CommandResult ok = run_cosmograd("gradcheck --steps 3", dir.path());
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("PASS: worst relative error"), std::string::npos) << ok.out;
  for (const char* name : {"noise", "Omega_m", "Omega_b", "h", "n_s", "sigma8", "w0", "wa"}) {
    EXPECT_NE(ok.out.find(std::string("\n") + name + " "), std::string::npos) << name;
  }
  // An impossible tolerance must fail with exit status 1.
  const CommandResult strict = run_cosmograd("gradcheck --steps 3 --tolerance 1e-30", dir.path());
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.out.find("FAIL"), std::string::npos) << strict.out;
  const CommandResult bad = run_cosmograd("gradcheck --gradient_mode magic", dir.path());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("gradient_mode = 'magic'"), std::string::npos) << bad.err;
}

TEST(Cli, GradcheckIsSoundAt16Cubed) {
  // With CIC, central differences straddled cell-boundary kinks here (1.9e-4 > 1e-6);
  // gradcheck's default window is TSC, whose weights have continuous derivatives.
  TempDir dir;
  const CommandResult r = run_cosmograd("gradcheck --particles 16 --mesh 32", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
}

TEST(Cli, OneNamePerConceptAndCommonKeys) {
  TempDir dir;
  const CommandResult old_name = run_cosmograd("halomodel train --box 64", dir.path());
  EXPECT_EQ(old_name.exit_code, 1);
  EXPECT_NE(old_name.err.find("key 'box' is now called 'box_size'"), std::string::npos)
      << old_name.err;
  std::ofstream(dir / "old.ini") << "halo_min_members = 10\n";
  const CommandResult old_ini = run_cosmograd("run old.ini --output_dir out", dir.path());
  EXPECT_EQ(old_ini.exit_code, 1);
  EXPECT_NE(old_ini.err.find("'halo_min_members' is now called 'min_members'"), std::string::npos)
      << old_ini.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  // log_level and threads on every command, theory included.
  const CommandResult theory =
      run_cosmograd("theory --log_level warn --threads 1 --out th", dir.path());
  EXPECT_EQ(theory.exit_code, 0) << theory.err;
  EXPECT_EQ(theory.err.find("INFO"), std::string::npos) << theory.err;
}

TEST(Cli, FlagsWithoutAValueAndNormalizedInConfigIni) {
  TempDir dir;
  const CommandResult r = run_cosmograd(
      "run --particles 8 --mesh 16 --box_size 32 --steps 1 --fft_planning estimate "
      "--write_density false --halos yes --min_members 2 --output_dir out --progress",
      dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string ini = read_text(dir / "out" / "config.ini");
  EXPECT_NE(ini.find("\nhalos = true\n"), std::string::npos) << ini;
  EXPECT_NE(ini.find("\nprogress = true\n"), std::string::npos) << ini;
  // Each file is reported once.
  std::size_t count = 0;
  for (std::size_t at = r.err.find("halos_z0p000.hdf5"); at != std::string::npos;
       at = r.err.find("halos_z0p000.hdf5", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << r.err;
}

TEST(Cli, SnapshotNotFoundListsEachCandidateOnce) {
  TempDir dir;
  const CommandResult r = run_cosmograd("halos nothere.hdf5", dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tried nothere.hdf5 and nothere.0.hdf5"), std::string::npos) << r.err;
  const CommandResult none = run_cosmograd("halos", dir.path());
  EXPECT_NE(none.err.find("ERROR cosmograd halos: give one SNAPSHOT"), std::string::npos)
      << none.err;
  EXPECT_EQ(none.err.find("halos: cosmograd halos"), std::string::npos) << none.err;
}

/// Starts `cosmograd run` (64^3 particles, 200 steps) in `dir` writing into dir/out, stderr to
/// dir/.stderr; returns its pid once it holds the output directory, 300 ms into the run.
pid_t start_long_run(const TempDir& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    const int fd = ::open(".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    execl(COSMOGRAD_BINARY, COSMOGRAD_BINARY, "run", "--particles", "64", "--mesh", "128",
          "--steps", "200", "--fft_planning", "estimate", "--progress", "false", "--output_dir",
          "out", static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path lock = dir / "out" / ".cosmograd.lock";
  for (int i = 0; i < 600 && pid > 0 && !fs::exists(lock); ++i) usleep(10000);
  usleep(300000);
  return pid;
}

/// Checks that dir/out holds no lock, no manifest and no temporary.
void expect_nothing_partial(const fs::path& out) {
  EXPECT_FALSE(fs::exists(out / ".cosmograd.lock"));
  EXPECT_FALSE(fs::exists(out / "MANIFEST.txt"));
  for (const fs::path& d : {out, out / "restart"}) {
    if (!fs::exists(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    }
  }
}

TEST(Cli, InterruptWritesARestartAndExits75) {
  // The first SIGINT: a restart after the step in progress, exit 75 saying how to continue.
  TempDir dir;
  const pid_t pid = start_long_run(dir);
  ASSERT_GT(pid, 0);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 75);
  const std::string err = read_text(dir / ".stderr");
  EXPECT_NE(err.find("stopped by SIGINT after step"), std::string::npos) << err;
  EXPECT_NE(err.find("continue with: cosmograd run --resume out"), std::string::npos) << err;
  EXPECT_TRUE(fs::exists(dir / "out" / "restart" / "RESTART.txt"));
  expect_nothing_partial(dir / "out");
}

TEST(Cli, SecondInterruptStopsAtOnceLeavingNoTemporariesOrLock) {
  TempDir dir;
  const pid_t pid = start_long_run(dir);
  ASSERT_GT(pid, 0);
  kill(pid, SIGINT);
  usleep(1000);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  // Killed by the second signal, unless the first one's restart was already done.
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGINT);  // a shell reports 130
    const std::string err = read_text(dir / ".stderr");
    EXPECT_NE(err.find("cosmograd run: interrupted by SIGINT"), std::string::npos) << err;
  } else {
    EXPECT_EQ(WEXITSTATUS(status), 75);
  }
  expect_nothing_partial(dir / "out");
}

}  // namespace
}  // namespace cosmograd::test
