// What `cosmograd vision lens` and `cosmograd vision morphology` share: the training keys of a
// stamp-classifier ensemble, their parsing and the split, the training header keys and
// summary, the training-curve plot and the loading of a trained model.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/core/settings.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/vision/stamp_classifier.hpp"

namespace cosmograd::apps {

/// The keys of `vision <task> train`: `data` first, then the ensemble and optimiser keys,
/// `input` (the task's input keys), the split, seed, threads, overwrite and out.
std::vector<sim::KeySpec> classifier_train_keys(const std::string& task, const sim::KeySpec& data,
                                                const std::vector<sim::KeySpec>& input,
                                                const std::string& default_out);

/// The checked settings of classifier_train_keys() shared by the tasks.
struct ClassifierTrainSettings {
  surveys::StampClassifierTrainOptions options;  ///< epochs, batch, lr, ... (validated)
  double validation_fraction = 0;                ///< share of stamps for validation
  double test_fraction = 0;                      ///< share of stamps held out for evaluate
  double soften = 0;                             ///< the asinh softening of the inputs
  long long train_stamps = 0;                    ///< at most this many training stamps (0: all)
  std::uint64_t seed = 0;                        ///< split, initialisation and batch seed
};
/// Reads and checks the shared training settings (and `soften`); throws naming the key.
ClassifierTrainSettings classifier_train_settings(const sim::Settings& s);

/// Sets the ensemble's stage_channels, blocks_per_stage and members from the settings.
void set_classifier_network(const sim::Settings& s, surveys::StampClassifierConfig& c);

/// split_stamps of n stamps with the settings' fractions and seed, training rows cut to
/// train_stamps.
surveys::StampSplit classifier_split(std::size_t n, const ClassifierTrainSettings& t);

/// Header keys <prefix>stamps, split_seed, validation_fraction, test_fraction, train_stamps.
void set_split_header(nn::ModelHeader& h, const std::string& prefix, std::size_t n,
                      const ClassifierTrainSettings& t, const surveys::StampSplit& split);

/// Header keys train_epochs, batch, lr, weight_decay, temperature_prior, seconds and
/// validation_nll_*.
void set_training_header(nn::ModelHeader& h, const surveys::StampClassifierTrainOptions& o,
                         const surveys::StampClassifierTrainReport& rep);

/// Writes "# cosmograd vision <task> train\nstamps n (train a, validation b, test c)".
void write_split_summary(std::ostream& out, const std::string& task, std::size_t n,
                         const surveys::StampSplit& split, double test_fraction);

/// Writes the summary lines members, epochs, best_epochs, seconds, temperature, NLLs.
void write_training_summary(std::ostream& out, int64_t members,
                            const surveys::StampClassifierTrainOptions& o,
                            const surveys::StampClassifierTrainReport& rep);

/// Plots validation NLL and training loss per epoch of every member (PNG).
void write_training_curve_png(const std::string& path, const std::string& task,
                              const surveys::StampClassifierTrainReport& rep);

/// Checks --model and --<data_key> were given (else throws "give --model FILE --<data_key>
/// <data_arg>"), sets torch's threads and loads the model of `model_type` with its header.
surveys::StampClassifier load_classifier_for(const sim::Settings& s, const std::string& command,
                                             const std::string& data_key,
                                             const std::string& data_arg,
                                             const std::string& model_type, nn::ModelHeader* h);

/// The split a model was trained on (header keys <prefix>*); throws bad_setting naming
/// `key` unless the data holds the model's n stamps.
surveys::StampSplit header_split(const nn::ModelHeader& h, const std::string& prefix, std::size_t n,
                                 const std::string& key, const std::string& value);

/// The model's train_temperature_prior, 0 when the header has none.
double header_temperature_prior(const nn::ModelHeader& h);

}  // namespace cosmograd::apps
