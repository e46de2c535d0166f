#include "driver/output_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/interrupt.hpp"

namespace cosmograd::driver {
namespace {

namespace fs = std::filesystem;

/// Whether `name` is one of the files `cosmograd run` writes: config.ini, MANIFEST.txt or
/// <what>_z<digits>... for the outputs (snapshot, density, power, halos).
bool is_run_output(const std::string& name) {
  if (name == "config.ini" || name == kManifestName) return true;
  for (const char* what : {"snapshot_z", "density_z", "power_z", "halos_z"}) {
    const std::string prefix(what);
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size()])) != 0) {
      return true;
    }
  }
  return false;
}

/// The files a manifest lists (relative names), empty when there is none.
std::set<std::string> manifest_files(const fs::path& dir) {
  std::set<std::string> names;
  std::ifstream in(dir / kManifestName);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string size, name;
    if (ls >> size >> name) names.insert(name);
  }
  if (!names.empty()) names.insert(kManifestName);
  return names;
}

/// The process id in a lock file (0 when unreadable).
long lock_owner(const std::string& lock) {
  std::ifstream in(lock);
  long pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

OutputDir::OutputDir(const std::string& path, bool overwrite, bool resume) : path_(path) {
  const fs::path dir(path);
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw std::invalid_argument("output_dir = '" + path +
                                "' exists and is not a directory (allowed: a new or empty "
                                "directory)");
  }
  if (resume && !fs::is_directory(dir)) {
    throw std::invalid_argument("--resume " + path + ": no such directory");
  }
  if (fs::exists(dir) && !resume) {
    const std::set<std::string> listed = manifest_files(dir);
    std::vector<fs::path> ours;
    std::string foreign;
    std::size_t entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name == kLockName) continue;  // judged below
      ++entries;
      const bool from_run = name == kRestartDirName ||
                            (listed.empty() ? is_run_output(name) : listed.count(name) != 0);
      if (from_run && (e.is_regular_file() || name == kRestartDirName)) {
        ours.push_back(e.path());
      } else if (foreign.empty()) {
        foreign = name;
      }
    }
    if (!overwrite && fs::exists(dir / kRestartDirName / "RESTART.txt")) {
      throw std::invalid_argument("output_dir = '" + path +
                                  "' holds a stopped run with a restart (allowed: continue it "
                                  "with cosmograd run --resume " +
                                  path + ", or overwrite = true to start again)");
    }
    if (entries > 0 && !overwrite) {
      throw std::invalid_argument(
          "output_dir = '" + path + "' is not empty (" + std::to_string(entries) +
          " entries, e.g. '" + (foreign.empty() ? ours.front().filename().string() : foreign) +
          "'; allowed: a new or empty directory, or overwrite = true to replace an earlier "
          "run's outputs)");
    }
    if (!foreign.empty()) {
      throw std::invalid_argument("output_dir = '" + path + "' holds '" + foreign +
                                  "', which no cosmograd run wrote (overwrite = true replaces "
                                  "only a run's outputs; allowed: a new or empty directory)");
    }
  }
  std::error_code made;
  fs::create_directories(dir, made);
  if (made) {
    throw std::invalid_argument("output_dir = '" + path + "' cannot be created (" + made.message() +
                                "; allowed: a directory this process can write)");
  }
  lock_ = (dir / kLockName).string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(lock_.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
      const std::string pid = std::to_string(::getpid()) + "\n";
      const bool ok = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
      ::close(fd);
      if (!ok) throw std::runtime_error("output_dir: cannot write the lock " + lock_);
      cleanup_slot_ = sim::register_cleanup_path(lock_);
      break;
    }
    if (errno != EEXIST) {
      const int err = errno;
      throw std::invalid_argument("output_dir = '" + path + "' is not writable (creating " +
                                  kLockName + " failed: " + std::strerror(err) +
                                  "; allowed: a directory this process can write)");
    }
    const long owner = lock_owner(lock_);
    if (attempt == 0 && owner > 0 && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) {
      fs::remove(lock_);  // a run that died (killed, crashed) left it
      continue;
    }
    lock_.clear();
    throw std::invalid_argument("output_dir = '" + path + "' is in use by another run (process " +
                                std::to_string(owner) + ", lock file " + kLockName +
                                "); allowed: a directory no other run writes to");
  }
  if (resume) {  // temporaries of writes a kill interrupted (a live run's are behind the lock)
    std::vector<fs::path> stale;
    for (const fs::path& d : {dir, dir / kRestartDirName}) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(d, ec)) {
        if (e.path().filename().string().find(".tmp.") != std::string::npos) stale.push_back(e);
      }
    }
    for (const fs::path& f : stale) {
      std::error_code ec;
      fs::remove(f, ec);
    }
  }
  if (!overwrite) return;
  try {  // the earlier run's files, now that we hold the lock
    const std::set<std::string> listed = manifest_files(dir);
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name == kLockName) continue;
      if (name == kRestartDirName) {
        fs::remove_all(e.path());
      } else if (listed.empty() ? is_run_output(name) : listed.count(name) != 0) {
        fs::remove(e.path());
      }
    }
  } catch (...) {
    std::error_code ec;
    fs::remove(lock_, ec);  // the destructor does not run for a constructor that throws
    sim::unregister_cleanup_path(cleanup_slot_);
    throw;
  }
}

OutputDir::~OutputDir() {
  if (!lock_.empty()) {
    std::error_code ec;
    fs::remove(lock_, ec);
  }
  sim::unregister_cleanup_path(cleanup_slot_);
}

void OutputDir::write_manifest(const std::vector<std::string>& files) const {
  std::ostringstream os;
  os << "# cosmograd run: complete; size [bytes] and file, relative to this directory\n";
  for (const std::string& f : files) {
    const fs::path p(f);
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    os << (ec ? 0 : size) << " " << fs::relative(p, path_, ec).string() << "\n";
  }
  sim::write_file_atomic((fs::path(path_) / kManifestName).string(), os.str());
}

}  // namespace cosmograd::driver
