// Ctrl-C and kill: say what was interrupted and remove the files a finished run would not
// leave (temporaries of atomic writes, lock files), then die of the signal (exit 130 / 143).
#pragma once

#include <stdexcept>
#include <string>

namespace cosmograd::sim {

/// Installs handlers for SIGINT and SIGTERM that print "<program>: interrupted by SIGINT;
/// <advice>" to stderr, remove every registered cleanup path and re-raise the signal.
/// `program` and `advice` are copied; call it once, early in main().
void install_interrupt_handler(const std::string& program, const std::string& advice);

/// Exit status of a command that stopped at a signal after saving what it needs to continue
/// (sysexits' EX_TEMPFAIL: "try again later").
inline constexpr int kExitInterrupted = 75;

/// From now on the first SIGINT or SIGTERM is only recorded (pending_interrupt()) and
/// `notice` printed, so that the program can stop at a safe point; a second signal acts as
/// without deferral (cleanup, then death by the signal). Call after install_interrupt_handler().
void defer_interrupts(const std::string& notice);
/// The signal recorded while deferred (SIGINT or SIGTERM), or 0.
int pending_interrupt();

/// Thrown by a command that stopped at a deferred signal after saving its state; main() ends
/// with kExitInterrupted and what() as the message.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Registers `path` for removal if a signal interrupts the process; returns a slot for
/// unregister_cleanup_path(), or -1 when all slots are taken (the path is then not removed).
int register_cleanup_path(const std::string& path);
/// Forgets slot `slot` (the file was committed or removed normally); -1 is ignored.
void unregister_cleanup_path(int slot);

}  // namespace cosmograd::sim
