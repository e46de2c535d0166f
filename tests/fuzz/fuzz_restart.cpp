// libFuzzer target: the restart files of `cosmograd run` (driver/restart.hpp) --
// read_restart_info on RESTART.txt and read_restart_particles<float/double> on the rank file.
// Input: one byte (bit 0: double), two bytes n (little-endian), n bytes of RESTART.txt, the
// rest the rank file step_<step>.rank_0000.bin for the step RESTART.txt names.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

#include "driver/restart.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace cosmograd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  fuzz::clear_scratch();
  const bool as_double = (data[0] & 1) != 0;
  const std::size_t n = std::min<std::size_t>(data[1] | (std::size_t{data[2]} << 8), size - 3);
  const std::string text(reinterpret_cast<const char*>(data) + 3, n);
  const std::string bin(reinterpret_cast<const char*>(data) + 3 + n, size - 3 - n);
  const std::string dir = fuzz::scratch_dir().string();
  std::filesystem::create_directories(dir + "/restart");
  fuzz::write_scratch("restart/RESTART.txt", text);
  try {
    const driver::RestartInfo info = driver::read_restart_info(dir);
    char name[64];
    std::snprintf(name, sizeof name, "restart/step_%06d.rank_0000.bin", info.step);
    fuzz::write_scratch(name, bin);
    const sim::Comm self = sim::Comm::self();
    if (as_double) {
      (void)driver::read_restart_particles<double>(dir, info, self);
    } else {
      (void)driver::read_restart_particles<float>(dir, info, self);
    }
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // std::invalid_argument naming the file: expected
  }
  return 0;
}
