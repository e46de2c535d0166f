// Shared pieces of `cosmograd properties photoz|mass`: task inputs and targets, MDN training,
// loading a model with its sample.
#include "apps/properties_mdn.hpp"

#include <cstdio>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::apps {
namespace {

std::vector<float> to_float(const std::vector<double>& v) { return {v.begin(), v.end()}; }

}  // namespace

const TaskSpec kPhotoz{"photoz", "redshift", "photoz_mdn.cgm"};
const TaskSpec kMass{"mass", "log_stellar_mass", "mass_mdn.cgm"};

/// Network inputs of `rows`: photometry features, plus the true redshift when `inputs` says so
/// (stellar masses of galaxies with spectroscopic redshifts).
std::vector<float> task_features(const surveys::PhotometrySample& s,
                                 const std::vector<std::size_t>& rows, const std::string& inputs) {
  std::vector<float> f = surveys::photometry_features(s, rows);
  if (inputs != "photometry+redshift") return f;
  const std::size_t nf = surveys::photometry_feature_count(s.band_count());
  std::vector<float> out;
  out.reserve(rows.size() * (nf + 1));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    out.insert(out.end(), f.begin() + k * nf, f.begin() + (k + 1) * nf);
    out.push_back(static_cast<float>(s.redshift[rows[k]]));
  }
  return out;
}

/// The truths of `rows` for a task.
std::vector<double> task_targets(const surveys::PhotometrySample& s,
                                 const std::vector<std::size_t>& rows, const TaskSpec& task) {
  std::vector<double> y;
  for (std::size_t r : rows)
    y.push_back(task.name == "photoz" ? s.redshift[r] : s.log_stellar_mass[r]);
  return y;
}

int mdn_train(const TaskSpec& task, const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = sample_keys();
  const std::vector<sim::KeySpec> more = {
      {"inputs", "", "photometry",
       "network inputs: photometry (asinh magnitudes and colours) or photometry+redshift "
       "(mass only: the true redshift added, as for a spectroscopic sample)"},
      {"hidden", "", "128,128,128", "MLP widths"},
      {"components", "", "5", "Gaussian mixture components"},
      {"epochs", "", "100", "passes over the training galaxies"},
      {"batch", "", "256", "galaxies per step"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"weight_decay", "", "1e-5", "Adam L2 weight decay"},
      {"seed", "", "1", "initialisation and batch-order seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "properties_" + task.name, "output directory (" + task.file + ")"},
  };
  keys.insert(keys.end(), more.begin(), more.end());
  const ParsedArgs parsed =
      parse_command("properties " + task.name + " train",
                    "usage: cosmograd properties " + task.name +
                        " train [config.ini] --galaxies FILE [--key value ...] [--out DIR]",
                    keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  set_torch_threads(s);
  const std::string inputs = s.get_string("inputs");
  if (inputs != "photometry" && !(task.name == "mass" && inputs == "photometry+redshift"))
    sim::bad_setting("inputs", inputs,
                     task.name == "mass" ? "is not allowed (allowed: photometry, "
                                           "photometry+redshift)"
                                         : "is not allowed (allowed: photometry)");
  surveys::PhotometryMdnConfig c;
  c.target = task.target;
  c.inputs = inputs;
  c.hidden = int_list(s, "hidden");

  c.components = s.get_int("components");
  surveys::PhotometryMdnTrainOptions o;
  o.epochs = s.get_int("epochs");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.seed = seed_setting(s);
  o.validate();
  const LoadedSample l = load_sample(s);
  sim::require(l.split.train.size() >= 2 && !l.split.validation.empty(), "galaxies",
               static_cast<double>(l.sample.count()),
               "enough galaxies for >= 2 training and >= 1 validation galaxies after the cuts");
  const std::vector<float> x = task_features(l.sample, l.split.train, inputs);
  const std::vector<float> xv = task_features(l.sample, l.split.validation, inputs);
  c.features = static_cast<int64_t>(x.size() / l.split.train.size());
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::PhotometryMdnTrainReport rep;
  surveys::PhotometryMdn model = surveys::train_photometry_mdn(
      c, x, to_float(task_targets(l.sample, l.split.train, task)), xv,
      to_float(task_targets(l.sample, l.split.validation, task)), o, &rep);
  nn::ModelHeader h = model->header();
  add_sample_header(h, l);
  h.set("train_epochs", o.epochs);
  h.set("train_batch", o.batch);
  h.set("train_lr", o.lr);
  h.set("train_seed", static_cast<int64_t>(o.seed));
  h.set("train_best_epoch", rep.best_epoch);
  h.set("train_validation_nll", rep.validation_nll);
  h.set("train_seconds", rep.seconds);
  const std::string path = out.path() + "/" + task.file;
  nn::save_model(path, *model, h);
  std::ostringstream sum;
  sum << "# cosmograd properties " << task.name << " train\ngalaxies " << l.sample.count()
      << " (train " << rep.train << ", validation " << rep.validation << ", test "
      << l.split.test.size() << ")\ninputs " << inputs << "\nseconds " << rep.seconds
      << "\nbest_epoch " << rep.best_epoch << "\nvalidation_nll " << rep.validation_nll << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties " + task.name + " train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Loads --model (an MDN of `task`) and the --galaxies sample with the model's cuts and split;
/// with same_catalogue the sample must be the training one (its size after the cuts).
MdnAndSample load_mdn_and_sample(const sim::Settings& s, const TaskSpec& task,
                                 bool same_catalogue) {
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a " + task.file + ", --model FILE)");
  if (s.get_string("galaxies").empty())
    sim::bad_setting("galaxies", "",
                     same_catalogue ? "is empty (allowed: the model's training catalogue)"
                                    : "is empty (allowed: galaxies.h5 of `mock catalog`)");
  set_torch_threads(s);
  MdnAndSample m;
  m.mdn = surveys::load_photometry_mdn(s.get_string("model"), task.target, &m.header);
  m.sample = load_sample_like(s.get_string("galaxies"), m.header);
  if (same_catalogue &&
      static_cast<int64_t>(m.sample.sample.count()) != m.header.get_int("sample_count"))
    sim::bad_setting("galaxies", s.get_string("galaxies"),
                     "gives " + std::to_string(m.sample.sample.count()) +
                         " galaxies after the cuts; the model was trained on a catalogue of " +
                         m.header.get("sample_count") + " (give the same file)");
  if (m.mdn->config().features !=
      static_cast<int64_t>(surveys::photometry_feature_count(m.sample.sample.band_count())) +
          (m.mdn->config().inputs == "photometry+redshift" ? 1 : 0))
    sim::bad_setting("galaxies", s.get_string("galaxies"),
                     "has " + std::to_string(m.sample.sample.band_count()) +
                         " bands, not the model's (its features: " +
                         std::to_string(m.mdn->config().features) + ")");
  return m;
}

}  // namespace cosmograd::apps
