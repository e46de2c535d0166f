#include "apps/vision_classifier_common.hpp"

#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "sim/core/require.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {

std::vector<sim::KeySpec> classifier_train_keys(const std::string& task, const sim::KeySpec& data,
                                                const std::vector<sim::KeySpec>& input,
                                                const std::string& default_out) {
  std::vector<sim::KeySpec> keys = {
      data,
      {"members", "", "3", "ensemble members (independent ResNets)"},
      {"epochs", "", "6", "passes over the training stamps per member"},
      {"batch", "", "64", "stamps per optimiser step"},
      {"lr", "", "2e-3", "AdamW peak learning rate (warm-up, cosine decay to 1/50)"},
      {"weight_decay", "", "1e-4", "AdamW decoupled weight decay"},
      {"temperature_prior", "", "0.5",
       "sigma of the log-normal prior of the temperature fit (0: plain validation NLL)"},
      {"stage_channels", "", "16,32,64", "ResNet stage widths (each after the first halves H, W)"},
      {"blocks_per_stage", "", "2", "ResNet basic blocks per stage"},
  };
  keys.insert(keys.end(), input.begin(), input.end());
  const std::vector<sim::KeySpec> tail = {
      {"train_stamps", "", "0", "use at most this many training stamps (0: all)"},
      {"validation_fraction", "", "0.1", "stamps for model selection and the temperature"},
      {"test_fraction", "", "0.2", "held-out stamps for `vision " + task + " evaluate`"},
      {"seed", "", "1", "split, initialisation and batch seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", default_out, "output directory"},
  };
  keys.insert(keys.end(), tail.begin(), tail.end());
  return keys;
}

ClassifierTrainSettings classifier_train_settings(const sim::Settings& s) {
  ClassifierTrainSettings t;
  t.validation_fraction = s.get_double("validation_fraction");
  t.test_fraction = s.get_double("test_fraction");
  const double vf = t.validation_fraction, tf = t.test_fraction;
  sim::require(vf > 0 && tf > 0 && vf + tf < 0.9, "validation_fraction + test_fraction", vf + tf,
               "both > 0, sum < 0.9");
  t.soften = s.get_double("soften");
  sim::require(sim::positive(t.soften), "soften", t.soften, "> 0");
  t.train_stamps = s.get_int("train_stamps");
  sim::require(t.train_stamps >= 0, "train_stamps", static_cast<double>(t.train_stamps), ">= 0");
  t.seed = seed_setting(s);
  surveys::StampClassifierTrainOptions& o = t.options;
  o.epochs = s.get_int("epochs");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.temperature_prior_sigma = s.get_double("temperature_prior");
  o.seed = t.seed;
  o.validate();
  return t;
}

void set_classifier_network(const sim::Settings& s, surveys::StampClassifierConfig& c) {
  c.stage_channels = int_list(s, "stage_channels");
  c.blocks_per_stage = s.get_int("blocks_per_stage");
  c.members = s.get_int("members");
}

surveys::StampSplit classifier_split(std::size_t n, const ClassifierTrainSettings& t) {
  surveys::StampSplit split =
      surveys::split_stamps(n, t.validation_fraction, t.test_fraction, t.seed);
  if (t.train_stamps > 0 && static_cast<std::size_t>(t.train_stamps) < split.train.size())
    split.train.resize(static_cast<std::size_t>(t.train_stamps));
  return split;
}

void set_split_header(nn::ModelHeader& h, const std::string& prefix, std::size_t n,
                      const ClassifierTrainSettings& t, const surveys::StampSplit& split) {
  h.set(prefix + "stamps", static_cast<int64_t>(n));
  h.set(prefix + "split_seed", static_cast<int64_t>(t.seed));
  h.set(prefix + "validation_fraction", t.validation_fraction);
  h.set(prefix + "test_fraction", t.test_fraction);
  h.set(prefix + "train_stamps", static_cast<int64_t>(split.train.size()));
}

void set_training_header(nn::ModelHeader& h, const surveys::StampClassifierTrainOptions& o,
                         const surveys::StampClassifierTrainReport& rep) {
  h.set("train_epochs", static_cast<int64_t>(o.epochs));
  h.set("train_batch", static_cast<int64_t>(o.batch));
  h.set("train_lr", o.lr);
  h.set("train_weight_decay", o.weight_decay);
  h.set("train_temperature_prior", o.temperature_prior_sigma);
  h.set("train_seconds", rep.seconds);
  h.set("train_validation_nll_uncalibrated", rep.validation_nll_uncalibrated);
  h.set("train_validation_nll_calibrated", rep.validation_nll_calibrated);
}

void write_split_summary(std::ostream& out, const std::string& task, std::size_t n,
                         const surveys::StampSplit& split, double test_fraction) {
  out << "# cosmograd vision " << task << " train\nstamps " << n << " (train " << split.train.size()
      << ", validation " << split.validation.size() << ", test "
      << std::lround(test_fraction * static_cast<double>(n)) << ")";
}

void write_training_summary(std::ostream& out, int64_t members,
                            const surveys::StampClassifierTrainOptions& o,
                            const surveys::StampClassifierTrainReport& rep) {
  out << "\nmembers " << members << "\nepochs " << o.epochs << "\nbest_epochs";
  for (int64_t e : rep.best_epoch) out << " " << e;
  out << "\nseconds " << rep.seconds << "\ntemperature " << rep.temperature
      << "\nvalidation_nll_uncalibrated " << rep.validation_nll_uncalibrated
      << "\nvalidation_nll_calibrated " << rep.validation_nll_calibrated << "\n";
}

void write_training_curve_png(const std::string& path, const std::string& task,
                              const surveys::StampClassifierTrainReport& rep) {
  viz::PlotSpec p;
  p.title = "vision " + task + ": ResNet ensemble training";
  p.xlabel = "epoch";
  p.ylabel = "NLL [nats per stamp]";
  for (std::size_t m = 0; m < rep.validation_nll.size(); ++m) {
    viz::Series v, t;
    for (std::size_t e = 0; e < rep.validation_nll[m].size(); ++e) {
      v.x.push_back(static_cast<double>(e + 1));
      v.y.push_back(rep.validation_nll[m][e]);
    }
    v.label = "member " + std::to_string(m + 1) + " validation";
    v.color = viz::tab10(static_cast<int>(m));
    v.marker = viz::Marker::circle;
    t.x = v.x;
    t.y = rep.train_loss[m];
    t.label = "member " + std::to_string(m + 1) + " training (augmented)";
    t.color = v.color;
    t.line = viz::LineStyle::dashed;
    p.series.push_back(v);
    p.series.push_back(t);
  }
  viz::write_plot_png(path, p);
}

surveys::StampClassifier load_classifier_for(const sim::Settings& s, const std::string& command,
                                             const std::string& data_key,
                                             const std::string& data_arg,
                                             const std::string& model_type, nn::ModelHeader* h) {
  if (s.get_string("model").empty() || s.get_string(data_key).empty())
    throw std::invalid_argument("cosmograd " + command + ": give --model FILE --" + data_key + " " +
                                data_arg);
  set_torch_threads(s);
  return surveys::load_stamp_classifier(s.get_string("model"), model_type, h);
}

surveys::StampSplit header_split(const nn::ModelHeader& h, const std::string& prefix, std::size_t n,
                                 const std::string& key, const std::string& value) {
  if (h.get_int(prefix + "stamps") != static_cast<int64_t>(n))
    sim::bad_setting(key, value,
                     "holds " + std::to_string(n) + " stamps; the model was trained on a set of " +
                         h.get(prefix + "stamps") + " (give the same directory)");
  return surveys::split_stamps(n, h.get_double(prefix + "validation_fraction"),
                               h.get_double(prefix + "test_fraction"),
                               static_cast<std::uint64_t>(h.get_int(prefix + "split_seed")));
}

double header_temperature_prior(const nn::ModelHeader& h) {
  return h.has("train_temperature_prior") ? h.get_double("train_temperature_prior") : 0.0;
}

}  // namespace cosmograd::apps
