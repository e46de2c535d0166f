// Shared pieces of `cosmograd properties photoz|mass`: what each task's mixture density network
// predicts from which inputs, its training command, and loading a model with its galaxy sample.
#pragma once

#include <string>
#include <vector>

#include "apps/properties_common.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/settings.hpp"
#include "surveys/properties/photometry_mdn.hpp"
#include "surveys/properties/photometry_sample.hpp"

namespace cosmograd::apps {

/// What a task's MDN predicts and from what.
struct TaskSpec {
  std::string name;    ///< "photoz" or "mass"
  std::string target;  ///< header mdn_target
  std::string file;    ///< model file name in --out
};

/// The photo-z task: p(z) from photometry.
extern const TaskSpec kPhotoz;
/// The stellar-mass task: p(log10 M*) from photometry (optionally with the redshift).
extern const TaskSpec kMass;

/// Network inputs of `rows`: photometry features, plus the true redshift when `inputs` is
/// photometry+redshift (stellar masses of galaxies with spectroscopic redshifts).
std::vector<float> task_features(const surveys::PhotometrySample& s,
                                 const std::vector<std::size_t>& rows, const std::string& inputs);

/// The truths of `rows` for a task (redshift, or log10 M* [log10 Msun]).
std::vector<double> task_targets(const surveys::PhotometrySample& s,
                                 const std::vector<std::size_t>& rows, const TaskSpec& task);

/// `cosmograd properties <task> train`: trains the task's MDN and writes its model file.
int mdn_train(const TaskSpec& task, const std::vector<std::string>& args);

/// An MDN with the galaxy sample it applies to.
struct MdnAndSample {
  surveys::PhotometryMdn mdn{nullptr};  ///< the model
  nn::ModelHeader header;               ///< its header
  LoadedSample sample;                  ///< the --galaxies sample with the model's cuts and split
};

/// Loads --model (an MDN of `task`) and the --galaxies sample with the model's cuts and split;
/// with same_catalogue the sample must be the training one (its size after the cuts).
MdnAndSample load_mdn_and_sample(const sim::Settings& s, const TaskSpec& task, bool same_catalogue);

}  // namespace cosmograd::apps
