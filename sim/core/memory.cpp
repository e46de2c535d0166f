#include "sim/core/memory.hpp"

#include <fstream>
#include <string>

namespace cosmograd::sim {
namespace {

/// Value of a "Key:   123 kB" line of /proc/self/status [bytes].
std::size_t status_kb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return std::stoull(line.substr(key.size())) * 1024;
  }
  return 0;
}

}  // namespace

std::size_t peak_rss_bytes() { return status_kb("VmHWM:"); }
std::size_t current_rss_bytes() { return status_kb("VmRSS:"); }

}  // namespace cosmograd::sim
