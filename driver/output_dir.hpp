// A run's output directory: refused when it holds another run's files (unless overwrite),
// locked against a second run writing into it at the same time, and closed by a manifest
// written last, so that consumers can tell a finished run from a killed one.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::driver {

/// The manifest's file name inside the output directory.
inline constexpr const char* kManifestName = "MANIFEST.txt";
/// The restart files' subdirectory (driver/restart.hpp), removed when a run finishes.
inline constexpr const char* kRestartDirName = "restart";
/// The lock's file name inside the output directory.
inline constexpr const char* kLockName = ".cosmograd.lock";

/// Exclusive use of an output directory for one run (rank 0 of a job).
class OutputDir {
 public:
  /// Creates `path` when missing. An existing directory with entries is refused with
  /// std::invalid_argument naming output_dir, the count and an entry, unless `overwrite`:
  /// then the files of the earlier run (those its manifest lists, else cosmograd's output
  /// names: config.ini, snapshot_z*, density_z*, power_z*, halos_z*, MANIFEST.txt, restart/) are
  /// removed first, and any other entry is still refused. Takes the lock (a file holding this
  /// process's id); a lock of a process that is still alive is refused, one of a dead process
  /// is taken over. With `resume`, the directory of a stopped run is taken as it is (nothing
  /// removed or refused; the caller checks its restart) and only locked.
  OutputDir(const std::string& path, bool overwrite, bool resume = false);
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Writes the manifest (one line per file: size in bytes and name relative to the
  /// directory, after a header line), atomically; call it after every other output.
  void write_manifest(const std::vector<std::string>& files) const;
  /// The directory.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string lock_;
  int cleanup_slot_ = -1;  // removal of the lock on SIGINT/SIGTERM (sim/core/interrupt.hpp)
};

}  // namespace cosmograd::driver
