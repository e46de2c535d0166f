#include <iostream>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/config.hpp"
#include "driver/simulation.hpp"
#include "sim/core/log.hpp"
#include "sim/mpi/comm.hpp"

namespace cosmograd::apps {

int cmd_run(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_command(
      "run",
      "usage: cosmograd run [config.ini] [--key value ...]\n"
      "  runs a PM simulation; with no config, the built-in quickstart (Planck 2015, 128^3\n"
      "  particles, 256 Mpc/h, 256^3 mesh, 10 steps from a = 0.1 to z = 0)",
      driver::run_keys(), args);
  if (parsed.help) return 0;
  const driver::RunConfig config = driver::run_config_from(parsed.settings);
  const sim::Comm world = sim::Comm::world();  // all ranks under mpirun, else this process
  const driver::RunSummary summary = driver::run_simulation(
      config, parsed.settings.to_ini("cosmograd run: the resolved configuration"), world);
  if (world.rank() == 0) {
    std::cout << "cosmograd run: " << summary.steps << " steps, " << summary.files.size()
              << " files in " << config.out.output_dir << "/\n";
  }
  return 0;
}

}  // namespace cosmograd::apps
