#include "sim/core/check.hpp"

#include "sim/core/log.hpp"

namespace cosmograd::sim {

void assertion_failed(const char* expr, const char* file, int line, const std::string& message) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + " [rank " +
                      std::to_string(log_rank()) + "]: assertion `" + expr + "` failed" +
                      (message.empty() ? std::string() : ": " + message));
}

void call_failed(const char* library, const char* call, long long code, const std::string& detail) {
  throw CallError(std::string(call) + " failed (" + library + " status " + std::to_string(code) +
                  ")" + (detail.empty() ? std::string() : ": " + detail) + " [rank " +
                  std::to_string(log_rank()) + "]");
}

}  // namespace cosmograd::sim
