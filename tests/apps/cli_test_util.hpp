// Helpers for tests that run the real `cosmograd` binary (COSMOGRAD_BINARY, set by CMake)
// in a temporary directory of their own and read back what it wrote.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef COSMOGRAD_BINARY
#error "COSMOGRAD_BINARY (path of the cosmograd executable) must be defined by CMake"
#endif

namespace cosmograd::test {

namespace fs = std::filesystem;

/// Exit status and captured output of one `cosmograd` call.
struct CommandResult {
  int exit_code = -1;  ///< the process's exit status (-1 when it did not exit normally)
  std::string out;     ///< stdout
  std::string err;     ///< stderr
};

/// The whole content of `path` ("" when it cannot be opened).
inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// `s` quoted for /bin/sh.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A fresh directory for one test, removed at the end unless the test failed (then its
/// path is printed so the files can be inspected).
class TempDir {
 public:
  TempDir() {
    const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "cosmograd_cli_";
    if (info != nullptr) name += std::string(info->test_suite_name()) + "_" + info->name() + "_";
    std::string templ = (fs::path(testing::TempDir()) / (name + "XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + templ);
    path_ = templ;
  }
  ~TempDir() {
    if (testing::Test::HasFailure()) {
      std::cerr << "kept the files of the failed test in " << path_ << "\n";
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory.
  const fs::path& path() const { return path_; }
  /// A path inside it.
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

/// Runs `cosmograd ARGS` (ARGS as typed in a shell) with `dir` as working directory,
/// capturing stdout and stderr into files there; `launcher` (e.g. "mpiexec -n 2") goes
/// before the binary.
inline CommandResult run_cosmograd(const std::string& args, const fs::path& dir,
                                   const std::string& launcher = "") {
  const fs::path out = dir / ".cosmograd_stdout";
  const fs::path err = dir / ".cosmograd_stderr";
  const std::string cmd = "cd " + shell_quote(dir.string()) + " && " + launcher + " " +
                          shell_quote(COSMOGRAD_BINARY) + " " + args + " >" +
                          shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int status = std::system(cmd.c_str());
  CommandResult r;
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = read_text(out);
  r.err = read_text(err);
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(err, ec);
  return r;
}

/// Starts `cosmograd ARGS` in `dir` (output discarded); returns its pid.
inline pid_t spawn_cosmograd(const std::string& args, const fs::path& dir) {
  const std::string cmd = "cd " + shell_quote(dir.string()) + " && exec " +
                          shell_quote(COSMOGRAD_BINARY) + " " + args + " >/dev/null 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

/// A whitespace-separated numeric table with '#' comment lines.
struct Table {
  std::vector<std::string> comments;      ///< the '#' lines, without the '#'
  std::vector<std::vector<double>> rows;  ///< one entry per data line
  std::size_t columns() const { return rows.empty() ? 0 : rows.front().size(); }
  std::vector<double> column(std::size_t i) const {
    std::vector<double> c;
    for (const auto& r : rows) c.push_back(r.at(i));
    return c;
  }
};

/// Reads a text table; throws std::runtime_error on a non-numeric entry or a ragged row.
inline Table read_table(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be opened");
  Table t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      t.comments.push_back(line.substr(1));
      continue;
    }
    std::istringstream is(line);
    std::vector<double> row;
    std::string item;
    while (is >> item) {
      char* end = nullptr;
      const double v = std::strtod(item.c_str(), &end);
      if (*end != '\0') throw std::runtime_error(path.string() + ": bad number '" + item + "'");
      row.push_back(v);
    }
    if (!t.rows.empty() && row.size() != t.rows.front().size()) {
      throw std::runtime_error(path.string() + ": ragged row '" + line + "'");
    }
    t.rows.push_back(row);
  }
  return t;
}

/// The whitespace-separated words of `s`.
inline std::vector<std::string> words(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> w;
  std::string item;
  while (is >> item) w.push_back(item);
  return w;
}

/// y(x) by linear interpolation in (ln x, ln y) between the samples (xs ascending, y > 0).
inline double interp_loglog(const std::vector<double>& xs, const std::vector<double>& ys,
                            double x) {
  if (xs.size() < 2 || x < xs.front() || x > xs.back()) {
    throw std::out_of_range("interp_loglog: x outside the table");
  }
  std::size_t i = 1;
  while (i + 1 < xs.size() && xs[i] < x) ++i;
  const double t = std::log(x / xs[i - 1]) / std::log(xs[i] / xs[i - 1]);
  return std::exp(std::log(ys[i - 1]) + t * std::log(ys[i] / ys[i - 1]));
}

/// True when the file starts with the PNG signature.
inline bool is_png(const fs::path& path) {
  return read_text(path).rfind("\x89PNG\r\n\x1a\n", 0) == 0;
}

}  // namespace cosmograd::test
