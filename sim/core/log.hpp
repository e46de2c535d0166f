// Logging: levels, wall-clock timestamps and an MPI rank prefix.
#pragma once

#include <sstream>
#include <string>

namespace cosmograd::sim {

/// Severity of a log message; messages below the current level are dropped.
enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Parses "debug", "info", "warn", "error" or "off"; throws std::invalid_argument otherwise.
LogLevel parse_log_level(const std::string& name);
/// Sets the lowest level that is printed (default info, or $COSMOGRAD_LOG_LEVEL).
void set_log_level(LogLevel level);
/// The lowest level that is printed.
LogLevel log_level();
/// Sets this process's MPI rank and the number of ranks (printed as a prefix when > 1).
void set_log_rank(int rank, int size);
/// This process's MPI rank (0 when serial).
int log_rank();
/// When false (default), debug and info messages are printed by rank 0 only.
void set_log_all_ranks(bool all);
/// Prints one line "YYYY-mm-dd HH:MM:SS.mmm [rank r] LEVEL message" to stderr.
void log_message(LogLevel level, const std::string& message);

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

/// Logs the concatenation of args at debug level.
template <class... Args>
void log_debug(const Args&... args) {
  if (log_level() <= LogLevel::debug) log_message(LogLevel::debug, detail::concat(args...));
}
/// Logs the concatenation of args at info level.
template <class... Args>
void log_info(const Args&... args) {
  if (log_level() <= LogLevel::info) log_message(LogLevel::info, detail::concat(args...));
}
/// Logs the concatenation of args at warning level.
template <class... Args>
void log_warn(const Args&... args) {
  if (log_level() <= LogLevel::warn) log_message(LogLevel::warn, detail::concat(args...));
}
/// Logs the concatenation of args at error level.
template <class... Args>
void log_error(const Args&... args) {
  if (log_level() <= LogLevel::error) log_message(LogLevel::error, detail::concat(args...));
}

}  // namespace cosmograd::sim
