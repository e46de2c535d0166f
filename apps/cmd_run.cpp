#include <algorithm>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/config.hpp"
#include "driver/restart.hpp"
#include "driver/simulation.hpp"
#include "sim/core/log.hpp"
#include "sim/mpi/comm.hpp"

namespace cosmograd::apps {

namespace {

/// The arguments of `cosmograd run --resume DIR [--key value ...]` as those of a run of
/// DIR/config.ini with the same keys; "" as `dir` when there is no --resume. Only the keys of
/// driver::resume_overridable_keys() may follow.
std::vector<std::string> resume_args(const std::vector<std::string>& args, std::string& dir) {
  const auto at = std::find(args.begin(), args.end(), "--resume");
  if (at == args.end()) return args;
  if (at + 1 == args.end()) throw std::invalid_argument("--resume needs a directory");
  dir = *(at + 1);
  if (!std::filesystem::is_regular_file(dir + "/config.ini")) {
    throw std::invalid_argument("--resume " + dir +
                                ": no config.ini in it (allowed: the output_dir of a run)");
  }
  std::vector<std::string> rest(args.begin(), at);
  rest.insert(rest.end(), at + 2, args.end());
  const auto& free = driver::resume_overridable_keys();
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const std::string key = rest[i].rfind("--", 0) == 0 ? rest[i].substr(2) : "";
    if (key.empty() || std::find(free.begin(), free.end(), key) == free.end()) {
      throw std::invalid_argument(
          "--resume " + dir + ": '" + rest[i] +
          "' cannot be given (the configuration is the run's own config.ini; allowed after "
          "--resume: --threads, --progress, --restart_every, --log_level)");
    }
    ++i;  // its value
  }
  rest.insert(rest.begin(), dir + "/config.ini");
  return rest;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  std::string resume_dir;
  const ParsedArgs parsed = parse_command(
      "run",
      "usage: cosmograd run [config.ini] [--key value ...]\n"
      "       cosmograd run --resume DIR [--threads N] [--progress B] [--restart_every X]\n"
      "  runs a PM simulation; with no config, the built-in quickstart (Planck 2015, 128^3\n"
      "  particles, 256 Mpc/h, 256^3 mesh, 10 steps from a = 0.1 to z = 0); --resume continues\n"
      "  the run in DIR from its restart files (restart_every, or written at SIGTERM/SIGINT)",
      driver::run_keys(), resume_args(args, resume_dir));
  if (parsed.help) return 0;
  sim::Settings settings = parsed.settings;
  if (!resume_dir.empty()) {
    settings.set("output_dir", resume_dir);  // config.ini may name it relative to elsewhere
    settings.set("overwrite", "false");
  }
  driver::RunConfig config = driver::run_config_from(settings);
  config.out.resume = !resume_dir.empty();
  const sim::Comm world = sim::Comm::world();  // all ranks under mpirun, else this process
  const driver::RunSummary summary = driver::run_simulation(
      config, settings.to_ini("cosmograd run: the resolved configuration"), world);
  if (world.rank() == 0) {
    std::cout << "cosmograd run: " << summary.steps << " steps, " << summary.files.size()
              << " files in " << config.out.output_dir << "/\n";
  }
  return 0;
}

}  // namespace cosmograd::apps
