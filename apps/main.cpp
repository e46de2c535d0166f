// `cosmograd`: one executable, one subcommand per task.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "apps/commands.hpp"
#include "sim/core/build_config.hpp"
#include "sim/core/interrupt.hpp"
#include "sim/core/log.hpp"
#include "sim/mpi/comm.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* help;
};

const Command kCommands[] = {
    {"run", cosmograd::apps::cmd_run, "run the main job (built-in quickstart without a config)"},
    {"theory", cosmograd::apps::cmd_theory, "write background, growth and P(k) tables"},
    {"power", cosmograd::apps::cmd_power, "measure P(k) of a snapshot"},
    {"cl", cosmograd::apps::cmd_cl, "angular power spectrum C_ell of a HEALPix or flat FITS map"},
    {"halos", cosmograd::apps::cmd_halos, "find FoF halos and measure the mass function"},
    {"halomodel", cosmograd::apps::cmd_halomodel,
     "train or apply the neural halo model (density -> halo mass field)"},
    {"emulate", cosmograd::apps::cmd_emulate,
     "emulated run (2LPT -> neural emulator) or super-resolved snapshot (--input) with "
     "run's outputs; data, train, evaluate, superres"},
    {"paint", cosmograd::apps::cmd_paint,
     "baryon painting: targets, hydro fields, LDL fit, evaluate; --model FILE SNAPSHOT"},
    {"reconstruct", cosmograd::apps::cmd_reconstruct,
     "reconstruct initial conditions (L-BFGS, Adam, RIM); data, train, evaluate"},
    {"campaign", cosmograd::apps::cmd_campaign,
     "simulations over a prior reduced to summaries (resumable, MPI task farm)"},
    {"infer", cosmograd::apps::cmd_infer,
     "neural posterior estimation on a campaign: train, evaluate; --model FILE OBSERVED.h5"},
    {"sample", cosmograd::apps::cmd_sample,
     "HMC over the white noise and the cosmology (field-level inference); resumable chains"},
    {"mock", cosmograd::apps::cmd_mock,
     "survey mocks: catalog, lightcurves, images, lenses, blends, stamps"},
    {"imagegen", cosmograd::apps::cmd_imagegen,
     "generative galaxy images: PSF-aware VAE + latent flow; train, evaluate"},
    {"vision", cosmograd::apps::cmd_vision,
     "galaxy vision: detect (deblend), morphology, lens finder, restore; train, evaluate, apply"},
    {"properties", cosmograd::apps::cmd_properties,
     "galaxy properties: photo-z p(z), stellar mass, Sersic structure, SED emulator"},
    {"discover", cosmograd::apps::cmd_discover,
     "discovery: SSL encoder, similarity search, anomalies, map, transients, mass maps, laws"},
    {"gradcheck", cosmograd::apps::cmd_gradcheck,
     "check simulation gradients against finite differences"},
    {"info", cosmograd::apps::cmd_info, "print build features and devices"},
};

void usage(std::ostream& os) {
  os << "usage: cosmograd <command> [options]    (cosmograd <command> --help for its options)\n\n"
        "commands:\n";
  for (const Command& c : kCommands) {
    os << "  " << c.name << std::string(13 - std::string(c.name).size(), ' ') << c.help << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(std::cout);
    return 0;
  }
  if (name == "--version") {
    std::cout << "cosmograd " COSMOGRAD_VERSION "\n";
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    // Under mpirun/mpiexec/srun (Open MPI, MPICH, PMIx), MPI is started; serial runs never
    // touch it.
    const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr ||
                          std::getenv("PMI_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
    if (launched) cosmograd::sim::mpi_init(&argc, &argv);
    cosmograd::sim::install_interrupt_handler(
        "cosmograd " + name,
        "files written so far are complete (no temporaries are left), but the command's outputs "
        "are not: a finished run ends with MANIFEST.txt");
    int status = 1;
    try {
      status = c.run(args);
    } catch (const cosmograd::sim::Interrupted& e) {  // state saved: every rank stops here
      if (cosmograd::sim::Comm::world().rank() == 0) {
        cosmograd::sim::log_error("cosmograd " + name + ": " + e.what());
      }
      status = cosmograd::sim::kExitInterrupted;
    } catch (const std::exception& e) {
      const cosmograd::sim::Comm world = cosmograd::sim::Comm::world();
      // A failing rank ends the whole job (MPI_Abort), so no rank waits forever for it.
      // Messages that already name the command are not prefixed twice.
      const std::string what = e.what();
      const std::string prefix = "cosmograd " + name;
      const std::string msg = what.rfind(prefix, 0) == 0 ? what : prefix + ": " + what;
      if (world.distributed()) world.abort(msg);
      cosmograd::sim::log_error(msg);
    }
    cosmograd::sim::mpi_finalize();
    return status;
  }
  std::cerr << "cosmograd: unknown command '" << name << "'\n\n";
  usage(std::cerr);
  return 2;
}
