// libFuzzer target: sim::read_power_table on raw text (CLASS _pk/_tk, CAMB _matterpower
// layouts), then the log-log interpolator and TablePower on every table it accepts.
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

#include "sim/cosmo/power_table.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace cosmograd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sim::Cosmology cosmo{sim::CosmologyParams{}};
  const std::string path =
      fuzz::write_scratch("table.dat", std::string(reinterpret_cast<const char*>(data), size));
  sim::PowerTable table;
  try {
    table = sim::read_power_table(path);
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // rejected with a message: the expected outcome for a bad table
    return 0;
  }
  try {
    std::vector<double> v = table.value;
    for (double& x : v) x = std::fabs(x);
    const sim::LogLogInterpolator interp(table.k, v);
    for (double k : {1e-6, table.k.front(), 0.5 * (table.k.front() + table.k.back()), 1e6}) {
      (void)interp(k);
    }
    sim::TableOptions options;
    options.keep_table_amplitude = table.k.size() % 2 == 0;
    const sim::TablePower power(cosmo, table, options);
    (void)power.power_today(0.1);
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    // A table the reader accepts may still be refused by TablePower (redshift, amplitude).
    fuzz::report(e.what());
  }
  return 0;
}
