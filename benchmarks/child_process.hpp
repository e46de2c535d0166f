// Benchmarks run each measurement in a fresh process (its own peak RSS, its own MPI job):
// helpers to find this executable and read a child's "result key=value ..." line.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cosmograd::bench {

/// Absolute path of the running executable.
inline std::string self_path() {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) throw std::runtime_error("cannot find /proc/self/exe");
  self[len] = '\0';
  return self;
}

/// Runs the shell command `cmd` and returns the key=value pairs of the "result" lines it
/// prints on stdout (stderr passes through); throws when it fails or prints none.
inline std::map<std::string, double> run_child_command(const std::string& cmd) {
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + cmd);
  std::map<std::string, double> out;
  char line[4096];
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::istringstream is(line);
    std::string word;
    is >> word;
    if (word != "result") continue;
    while (is >> word) {
      const auto eq = word.find('=');
      if (eq != std::string::npos) out[word.substr(0, eq)] = std::stod(word.substr(eq + 1));
    }
  }
  if (pclose(pipe) != 0 || out.empty()) throw std::runtime_error("child failed: " + cmd);
  return out;
}

}  // namespace cosmograd::bench
