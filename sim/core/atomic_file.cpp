#include "sim/core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/core/check.hpp"
#include "sim/core/interrupt.hpp"

namespace cosmograd::sim {

AtomicWrite::AtomicWrite(std::string path)
    : path_(std::move(path)), temp_(path_ + ".tmp." + std::to_string(::getpid())) {
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      call_failed("OS", "create_directories", ec.value(), parent.string() + ": " + ec.message());
  }
  cleanup_slot_ = register_cleanup_path(temp_);
}

AtomicWrite::~AtomicWrite() {
  if (!committed_) std::remove(temp_.c_str());
  unregister_cleanup_path(cleanup_slot_);
}

void AtomicWrite::commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    call_failed("OS", "rename", err, temp_ + " -> " + path_ + ": " + std::strerror(err));
  }
  committed_ = true;
  unregister_cleanup_path(cleanup_slot_);
  cleanup_slot_ = -1;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicWrite w(path);
  {
    std::ofstream out(w.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) call_failed("OS", "open", errno, w.temp_path() + ": " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) call_failed("OS", "write", errno, w.temp_path() + ": " + std::strerror(errno));
  }
  w.commit();
}

}  // namespace cosmograd::sim
