#include <iostream>

#include "apps/commands.hpp"
#include "nn/device.hpp"
#include "sim/core/backend.hpp"

namespace cosmograd::apps {

int cmd_info(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: cosmograd info\n  prints build features, OpenMP threads, CUDA devices "
                 "and the LibTorch version\n";
    return 0;
  }
  std::cout << sim::build_summary() << "  " << nn::torch_summary() << "\n";
  return 0;
}

}  // namespace cosmograd::apps
