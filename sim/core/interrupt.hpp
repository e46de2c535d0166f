// Ctrl-C and kill: say what was interrupted and remove the files a finished run would not
// leave (temporaries of atomic writes, lock files), then die of the signal (exit 130 / 143).
#pragma once

#include <string>

namespace cosmograd::sim {

/// Installs handlers for SIGINT and SIGTERM that print "<program>: interrupted by SIGINT;
/// <advice>" to stderr, remove every registered cleanup path and re-raise the signal.
/// `program` and `advice` are copied; call it once, early in main().
void install_interrupt_handler(const std::string& program, const std::string& advice);

/// Registers `path` for removal if a signal interrupts the process; returns a slot for
/// unregister_cleanup_path(), or -1 when all slots are taken (the path is then not removed).
int register_cleanup_path(const std::string& path);
/// Forgets slot `slot` (the file was committed or removed normally); -1 is ignored.
void unregister_cleanup_path(int slot);

}  // namespace cosmograd::sim
