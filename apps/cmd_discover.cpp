// `cosmograd discover <task> ...`: dispatch to the discovery modules (apps/discover.hpp).
#include <cstdio>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/discover.hpp"

namespace cosmograd::apps {

int cmd_discover(const std::vector<std::string>& args) {
  static const char* usage =
      "usage: cosmograd discover <task> [mode] [config.ini] [--key value ...]\n\n"
      "tasks (`cosmograd discover TASK [MODE] --help`):\n"
      "  ssl         contrastive (SimCLR) stamp encoder: train, embed (HDF5 embeddings),\n"
      "              probe (linear probe against a supervised network with the same labels)\n"
      "  inject      a stamp set with rare objects (lenses, mergers, artefacts) injected\n"
      "  search      nearest neighbours in embedding space: recall@k, query + matches picture\n"
      "  anomalies   isolation forest and kNN-distance scores; injected objects in the top N\n"
      "  map         self-organising map of the embeddings drawn as a stamp mosaic\n"
      "  transients  light-curve classifier (GRU) against Bazin features + trees: train,\n"
      "              evaluate on full and partial curves\n"
      "  massmap     convergence from noisy masked shear: data, train (U-Net), evaluate\n"
      "              against Kaiser-Squires and the Wiener filter\n"
      "  symbolic    symbolic regression (genetic programming over expression trees)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage);
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "ssl") return discover_ssl(rest);
  if (args[0] == "inject") return discover_inject(rest);
  if (args[0] == "search") return discover_search(rest);
  if (args[0] == "anomalies") return discover_anomalies(rest);
  if (args[0] == "map") return discover_map(rest);
  if (args[0] == "transients") return discover_transients(rest);
  if (args[0] == "massmap") return discover_massmap(rest);
  if (args[0] == "symbolic") return discover_symbolic(rest);
  throw std::invalid_argument("cosmograd discover: task '" + args[0] +
                              "' is not one of ssl, inject, search, anomalies, map, transients, "
                              "massmap, symbolic");
}

}  // namespace cosmograd::apps
