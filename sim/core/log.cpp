#include "sim/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <stdexcept>

namespace cosmograd::sim {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("COSMOGRAD_LOG_LEVEL");
  if (env == nullptr || *env == '\0') return LogLevel::info;
  try {
    return parse_log_level(env);
  } catch (const std::invalid_argument&) {
    return LogLevel::info;
  }
}

std::atomic<int> g_level{static_cast<int>(initial_level())};
std::atomic<int> g_rank{0};
std::atomic<int> g_size{1};
std::atomic<bool> g_all_ranks{false};
std::mutex g_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::info:
      return "INFO ";
    case LogLevel::warn:
      return "WARN ";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::off:
      break;
  }
  return "?    ";
}

std::string timestamp() {
  using clock = std::chrono::system_clock;
  const auto now = clock::now();
  const std::time_t secs = clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms));
  return out;
}

}  // namespace

LogLevel parse_log_level(const std::string& name) {
  if (name == "debug") return LogLevel::debug;
  if (name == "info") return LogLevel::info;
  if (name == "warn") return LogLevel::warn;
  if (name == "error") return LogLevel::error;
  if (name == "off") return LogLevel::off;
  throw std::invalid_argument("log_level = '" + name +
                              "' is not a level (allowed: debug, info, warn, error, off)");
}

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }
void set_log_rank(int rank, int size) {
  g_rank = rank;
  g_size = size;
}
int log_rank() { return g_rank; }
void set_log_all_ranks(bool all) { g_all_ranks = all; }

void log_message(LogLevel level, const std::string& message) {
  if (level < log_level() || level == LogLevel::off) return;
  if (level < LogLevel::warn && g_rank != 0 && !g_all_ranks) return;
  std::string line = timestamp();
  if (g_size > 1) line += " [rank " + std::to_string(g_rank.load()) + "]";
  line += " ";
  line += level_name(level);
  line += " ";
  line += message;
  line += "\n";
  const std::lock_guard<std::mutex> lock(g_mutex);
  std::cerr << line << std::flush;
}

}  // namespace cosmograd::sim
