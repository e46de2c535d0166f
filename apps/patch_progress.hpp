// A progress line for patch-wise network evaluation (emulate, emulate --input).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "sim/core/log.hpp"

namespace cosmograd::apps {

/// Redraws "[#####     ] patch 5/27  ETA 3.1 s" on a terminal, else logs every tenth.
class PatchProgress {
 public:
  void operator()(int64_t done, int64_t total) {
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = t / static_cast<double>(done) * static_cast<double>(total - done);
    const int filled = static_cast<int>(30 * done / total);
    char line[128];
    std::snprintf(line, sizeof line, "[%s%s] patch %lld/%lld  ETA %.1f s",
                  std::string(static_cast<size_t>(filled), '#').c_str(),
                  std::string(static_cast<size_t>(30 - filled), ' ').c_str(),
                  static_cast<long long>(done), static_cast<long long>(total), eta);
    if (tty_) {
      std::fprintf(stderr, "\r%s%s", line, done == total ? "\n" : "");
    } else if (done == total || done % std::max<int64_t>(1, total / 10) == 0) {
      sim::log_info(line);
    }
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool tty_ = isatty(2) != 0;
};

}  // namespace cosmograd::apps
