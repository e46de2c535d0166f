// Atomic file writes: write under a temporary name, rename over the target when complete.
#pragma once

#include <string>

namespace cosmograd::sim {

/// A pending write of `path`: write to temp_path(), then commit() renames it into place.
/// If commit() is never called (an exception, a crash), the temporary is removed and
/// any existing file at `path` is left untouched.
class AtomicWrite {
 public:
  /// Creates the parent directory of `path` if needed; throws CallError on failure.
  explicit AtomicWrite(std::string path);
  ~AtomicWrite();
  AtomicWrite(const AtomicWrite&) = delete;
  AtomicWrite& operator=(const AtomicWrite&) = delete;

  /// The final file name.
  const std::string& path() const { return path_; }
  /// The temporary name to write to ("<path>.tmp.<pid>"), in the same directory.
  const std::string& temp_path() const { return temp_; }
  /// Renames the temporary onto path(); throws CallError when the rename fails.
  void commit();

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
  int cleanup_slot_ = -1;  // removal of temp_ on SIGINT/SIGTERM (sim/core/interrupt.hpp)
};

/// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace cosmograd::sim
