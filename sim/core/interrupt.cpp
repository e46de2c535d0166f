#include "sim/core/interrupt.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>

namespace cosmograd::sim {
namespace {

constexpr int kSlots = 64;         // files pending at once (atomic writes, locks) per process
constexpr int kPathMax = 4096;     // bytes of one path, terminator included
constexpr int kMessageMax = 1024;  // bytes of the message

// Fixed storage: the handler may only read memory that exists and call async-signal-safe
// functions (write, unlink, signal, raise).
std::atomic<int> g_state[kSlots];  // 0 free, 1 being written, 2 registered
char g_paths[kSlots][kPathMax];
char g_message[kMessageMax];
std::size_t g_message_len = 0;
char g_notice[kMessageMax];  // printed at a deferred signal
std::size_t g_notice_len = 0;
std::atomic<bool> g_defer{false};
volatile std::sig_atomic_t g_pending = 0;  // the deferred signal, 0 if none

extern "C" void on_interrupt(int sig) {
  if (g_defer.load() && g_pending == 0) {
    g_pending = sig;
    const ssize_t ignored = ::write(2, g_notice, g_notice_len);
    (void)ignored;
    return;
  }
  const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
  // g_message holds "<program>: interrupted by " ... then the advice after a '\x01' marker.
  const char* marker = static_cast<const char*>(std::memchr(g_message, '\x01', g_message_len));
  const std::size_t head = marker != nullptr ? static_cast<std::size_t>(marker - g_message) : 0;
  ssize_t ignored = ::write(2, g_message, head);
  ignored = ::write(2, name, std::strlen(name));
  if (marker != nullptr) ignored = ::write(2, marker + 1, g_message_len - head - 1);
  (void)ignored;
  for (int i = 0; i < kSlots; ++i) {
    if (g_state[i].load() == 2) ::unlink(g_paths[i]);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void install_interrupt_handler(const std::string& program, const std::string& advice) {
  const std::string msg = "\n" + program + ": interrupted by \x01; " + advice + "\n";
  g_message_len = std::min<std::size_t>(msg.size(), kMessageMax);
  std::memcpy(g_message, msg.data(), g_message_len);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

void defer_interrupts(const std::string& notice) {
  const std::string msg = "\n" + notice + "\n";
  g_notice_len = std::min<std::size_t>(msg.size(), kMessageMax);
  std::memcpy(g_notice, msg.data(), g_notice_len);
  g_defer.store(true);
}

int pending_interrupt() { return static_cast<int>(g_pending); }

int register_cleanup_path(const std::string& path) {
  if (path.size() + 1 > static_cast<std::size_t>(kPathMax)) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int free_slot = 0;
    if (g_state[i].compare_exchange_strong(free_slot, 1)) {
      std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
      g_state[i].store(2);
      return i;
    }
  }
  return -1;
}

void unregister_cleanup_path(int slot) {
  if (slot >= 0 && slot < kSlots) g_state[slot].store(0);
}

}  // namespace cosmograd::sim
