// libFuzzer target: the INI path of `cosmograd run` -- apps::parse_command on a config file
// holding the input, then driver::run_config_from on the settings it yields.
#include <cstdint>
#include <exception>
#include <string>

#include "apps/options.hpp"
#include "driver/config.hpp"
#include "sim/core/log.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace cosmograd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      fuzz::write_scratch("config.ini", std::string(reinterpret_cast<const char*>(data), size));
  try {
    const apps::ParsedArgs parsed = apps::parse_command("run", "usage: fuzz", driver::run_keys(),
                                                        {path, "--log_level", "error"});
    (void)driver::run_config_from(parsed.settings);
    (void)parsed.settings.to_ini("fuzz");
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // std::invalid_argument naming the key: expected for a bad config
  }
  return 0;
}
