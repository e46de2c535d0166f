// `cosmograd discover <task> ...`: discovery modules trained and evaluated on the project's own
// mocks: a self-supervised stamp encoder and its linear probe, similarity search, anomaly
// detection and a self-organising map of the embeddings, transient classification, mass maps
// from shear, and symbolic regression. Each task function takes the arguments after the task
// name (args[0] is the mode where a task has modes).
#pragma once

#include <string>
#include <vector>

namespace cosmograd::apps {

/// `cosmograd discover ssl train|embed|probe ...`: the contrastive (SimCLR) stamp encoder, its
/// embeddings file, and the linear probe against a supervised network with the same labels.
int discover_ssl(const std::vector<std::string>& args);
/// `cosmograd discover inject ...`: a stamp set with rare objects (lenses, mergers, artefacts)
/// injected among ordinary galaxies, with their labels.
int discover_inject(const std::vector<std::string>& args);
/// `cosmograd discover search ...`: nearest neighbours in embedding space, recall@k, a picture.
int discover_search(const std::vector<std::string>& args);
/// `cosmograd discover anomalies ...`: isolation-forest and kNN-distance anomaly scores.
int discover_anomalies(const std::vector<std::string>& args);
/// `cosmograd discover map ...`: a self-organising map of embeddings drawn as a stamp mosaic.
int discover_map(const std::vector<std::string>& args);
/// `cosmograd discover transients train|evaluate ...`: light-curve classifier (GRU) against a
/// Bazin-feature tree-ensemble baseline, full and partial curves.
int discover_transients(const std::vector<std::string>& args);
/// `cosmograd discover massmap data|train|evaluate ...`: convergence maps from noisy masked
/// shear: Kaiser-Squires, Wiener filter and a U-Net.
int discover_massmap(const std::vector<std::string>& args);
/// `cosmograd discover symbolic ...`: genetic-programming symbolic regression on mock data.
int discover_symbolic(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
