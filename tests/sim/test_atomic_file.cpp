#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/core/atomic_file.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(AtomicFile, WritesCreatesParentAndLeavesNoTemporary) {
  const fs::path dir = fresh_dir("atomic1");
  const fs::path file = dir / "sub" / "a.txt";
  cg::write_file_atomic(file.string(), "hello\n");
  EXPECT_EQ(slurp(file), "hello\n");
  int n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "sub")) ++n;
  EXPECT_EQ(n, 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, UncommittedWriteKeepsTheOldFile) {
  const fs::path dir = fresh_dir("atomic2");
  const fs::path file = dir / "b.txt";
  cg::write_file_atomic(file.string(), "old");
  std::string temp;
  {
    cg::AtomicWrite w(file.string());
    temp = w.temp_path();
    std::ofstream(w.temp_path()) << "half-written";
    EXPECT_TRUE(fs::exists(temp));
    // no commit: as if an exception had unwound the writer
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(slurp(file), "old");
  fs::remove_all(dir);
}

TEST(AtomicFile, UnwritableTargetThrowsWithPath) {
  try {
    cg::write_file_atomic("/proc/cosmograd_cannot_write_here/x.txt", "x");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cosmograd_cannot_write_here"), std::string::npos)
        << e.what();
  }
}
