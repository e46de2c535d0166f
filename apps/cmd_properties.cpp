// `cosmograd properties <task> <mode> ...`: dispatch to the property modules (apps/properties.hpp).
#include <cstdio>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/properties.hpp"

namespace cosmograd::apps {

int cmd_properties(const std::vector<std::string>& args) {
  static const char* usage =
      "usage: cosmograd properties <task> <mode> [config.ini] [--key value ...]\n\n"
      "tasks (`cosmograd properties TASK MODE --help`):\n"
      "  photoz     photometric redshifts: MDN p(z) (train, evaluate, apply) against kNN,\n"
      "             template fits and the hybrid CNN on the same held-out galaxies\n"
      "  mass       stellar masses from photometry: MDN (train, evaluate, apply)\n"
      "  stamps     multi-band (ugrizy) stamps of a catalogue's galaxies for the hybrid CNN\n"
      "  hybrid     CNN on stamps + photometry -> p(z) (train, apply)\n"
      "  structure  Sersic parameters with uncertainties from stamps: CNN against a\n"
      "             Levenberg-Marquardt fitter (data, train, evaluate, apply)\n"
      "  sed        neural emulator of the SED model's magnitudes (train, evaluate)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage);
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "photoz") return properties_photoz(rest);
  if (args[0] == "mass") return properties_mass(rest);
  if (args[0] == "stamps") return properties_stamps(rest);
  if (args[0] == "hybrid") return properties_hybrid(rest);
  if (args[0] == "structure") return properties_structure(rest);
  if (args[0] == "sed") return properties_sed(rest);
  throw std::invalid_argument("cosmograd properties: task '" + args[0] +
                              "' is not one of photoz, mass, stamps, hybrid, structure, sed");
}

}  // namespace cosmograd::apps
