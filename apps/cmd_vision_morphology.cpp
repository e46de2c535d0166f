// `cosmograd vision morphology train|evaluate|apply`: Galaxy-Zoo-like morphology classes
// (smooth, 2, 3, 4+ spiral arms; surveys/vision/morphology_labels.hpp) from single-galaxy stamps
// by a deep ensemble of ResNets with temperature scaling (surveys/vision/stamp_classifier.hpp),
// scored on held-out mocks for accuracy and calibration (ECE, reliability diagram; Guo et al.
// 2017) beside a softmax regression on non-parametric measures (A, G, M20, C, size, shape, S/N).
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "apps/vision_classifier_common.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/core/settings.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/vision/classifier_metrics.hpp"
#include "surveys/vision/morphology_labels.hpp"
#include "surveys/vision/softmax_regression.hpp"
#include "surveys/vision/stamp_classifier.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

constexpr const char* kModelType = "vision_morphology";
constexpr const char* kModelFile = "vision_morphology.cgm";

/// A stamp set directory of `mock stamps`: stamps.h5 and the table "truth" of truth.h5.
struct MorphologyData {
  surveys::StampSet set;
  surveys::Table truth;
};

MorphologyData read_morphology_data(const std::string& dir) {
  MorphologyData d;
  d.set = surveys::read_stamp_set(dir + "/stamps.h5");
  for (surveys::Table& t : surveys::read_tables_hdf5(dir + "/truth.h5"))
    if (t.name == "truth") d.truth = std::move(t);
  if (d.truth.rows() != d.set.count())
    sim::bad_setting("stamps", dir,
                     "needs truth.h5 with a table 'truth' of one row per stamp (" +
                         std::to_string(d.set.count()) + ")");
  return d;
}

/// Whether the model of header h takes the PSF channel.
bool psf_channel_of(const nn::ModelHeader& h) {
  return h.has("morph_psf_channel") && h.get("morph_psf_channel") == "true";
}

int morphology_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = classifier_train_keys(
      "morphology",
      {"stamps", "", "", "directory of `cosmograd mock stamps` (stamps.h5, truth.h5)"},
      {{"soften", "sigma", "3", "input scaling asinh(image / (soften noise_sigma))"},
       {"psf_channel", "", "true", "give the network each stamp's PSF as a second channel"}},
      "morphology");
  const ParsedArgs parsed = parse_command(
      "vision morphology train",
      "usage: cosmograd vision morphology train --stamps DIR [--key value ...] [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd vision morphology train: give --stamps DIR");
  set_torch_threads(s);
  const ClassifierTrainSettings t = classifier_train_settings(s);
  const double tf = t.test_fraction, soften = t.soften;
  const surveys::StampClassifierTrainOptions& o = t.options;
  surveys::StampClassifierConfig c;
  c.model_type = kModelType;
  const bool psf_channel = s.get_bool("psf_channel");
  c.in_channels = psf_channel ? 2 : 1;
  c.class_names = surveys::morphology_class_names();
  set_classifier_network(s, c);

  const MorphologyData d = read_morphology_data(s.get_string("stamps"));
  c.size = d.set.size;
  c.validate();
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const surveys::StampSplit split = classifier_split(d.set.count(), t);
  const torch::Tensor xt = surveys::morphology_inputs(d.set, split.train, soften, psf_channel);
  const torch::Tensor yt = surveys::morphology_labels(d.truth, split.train);
  const torch::Tensor xv = surveys::morphology_inputs(d.set, split.validation, soften, psf_channel);
  const torch::Tensor yv = surveys::morphology_labels(d.truth, split.validation);

  surveys::StampClassifier model(c);
  surveys::StampClassifierTrainReport rep;
  surveys::train_stamp_classifier(model, xt, yt, xv, yv, o, &rep);

  nn::ModelHeader h = model->header();
  set_split_header(h, "morph_", d.set.count(), t, split);
  h.set("morph_soften", soften);
  h.set("morph_psf_channel", psf_channel ? "true" : "false");
  h.set("morph_pixel_scale", d.set.pixel_scale);
  h.set("morph_band", d.set.band.empty() ? std::string("unknown") : d.set.band);
  h.set("morph_source", s.get_string("stamps"));
  set_training_header(h, o, rep);
  const std::string path = out.path() + "/" + kModelFile;
  nn::save_model(path, *model, h);
  const std::string curve = out.path() + "/training_curve.png";
  write_training_curve_png(curve, "morphology", rep);

  std::ostringstream sum;
  write_split_summary(sum, "morphology", d.set.count(), split, tf);
  write_training_summary(sum, c.members, o, rep);
  finish_mock_dir(out, {path, curve}, sum.str(), s, "cosmograd vision morphology train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Scores of one set of test probabilities.
struct Scores {
  std::string name;
  torch::Tensor p;  // [N, K]
};

void write_reliability_png(const std::string& path, const std::vector<Scores>& rows,
                           const torch::Tensor& y) {
  viz::PlotSpec p;
  p.title = "Morphology reliability on held-out stamps (15 bins)";
  p.xlabel = "confidence (top-class probability)";
  p.ylabel = "accuracy";
  p.xrange = viz::AxisRange{0, 1};
  p.yrange = viz::AxisRange{0, 1};
  p.legend = viz::LegendPosition::lower_right;
  viz::Series diag;
  diag.label = "perfect calibration";
  diag.x = {0, 1};
  diag.y = {0, 1};
  diag.color = sim::RGB{120, 120, 120};
  diag.line = viz::LineStyle::dotted;
  p.series.push_back(diag);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    viz::Series sr;
    for (const auto& b : surveys::reliability_bins(rows[i].p, y)) {
      if (b.count < 5) continue;  // bins of fewer than 5 stamps are noise
      sr.x.push_back(b.confidence);
      sr.y.push_back(b.accuracy);
    }
    std::ostringstream l;
    l << std::setprecision(3) << rows[i].name << " (ECE "
      << surveys::expected_calibration_error(rows[i].p, y) << ")";
    sr.label = l.str();
    sr.color = viz::tab10(static_cast<int>(i));
    sr.marker = viz::Marker::circle;
    p.series.push_back(sr);
  }
  p.notes = {"bins with fewer than 5 stamps not drawn"};
  viz::write_plot_png(path, p);
}

int morphology_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_morphology.cgm of `vision morphology train`"},
      {"stamps", "", "", "the stamp directory it was trained on (its test split is scored)"},
      {"l2", "", "1e-3", "L2 penalty of the baseline's softmax regression"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "morphology_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision morphology evaluate",
      "usage: cosmograd vision morphology evaluate --model FILE --stamps DIR [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::ModelHeader h;
  surveys::StampClassifier model =
      load_classifier_for(s, "vision morphology evaluate", "stamps", "DIR", kModelType, &h);
  const MorphologyData d = read_morphology_data(s.get_string("stamps"));
  const surveys::StampSplit split =
      header_split(h, "morph_", d.set.count(), "stamps", s.get_string("stamps"));
  const double soften = h.get_double("morph_soften");
  const std::vector<std::string>& names = model->config().class_names;
  const int64_t k = model->config().classes();

  const torch::Tensor x = surveys::morphology_inputs(d.set, split.test, soften, psf_channel_of(h));
  const torch::Tensor y = surveys::morphology_labels(d.truth, split.test);
  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor z = model->class_logits(x);
  const double ms = 1e3 *
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                    static_cast<double>(split.test.size());
  const double temp = model->temperature();
  // Baseline: softmax regression on the training split, temperature on the validation split.
  const std::vector<std::string>& fnames = surveys::morphology_feature_names();
  const torch::Tensor ft = surveys::morphology_features(d.set, split.train);
  surveys::SoftmaxRegression base = surveys::fit_softmax_regression(
      ft, surveys::morphology_labels(d.truth, split.train), k, fnames, s.get_double("l2"));
  base.temperature = surveys::fit_temperature(
      base.logits(surveys::morphology_features(d.set, split.validation)),
      surveys::morphology_labels(d.truth, split.validation), header_temperature_prior(h));
  const torch::Tensor fx = surveys::morphology_features(d.set, split.test);

  const std::vector<Scores> rows = {
      {"ResNet ensemble, T = 1", surveys::ensemble_probabilities(z, 1.0)},
      {"ResNet ensemble, calibrated", surveys::ensemble_probabilities(z, temp)},
      {"ResNet member 1 alone, T = 1", surveys::ensemble_probabilities(z[0], 1.0)},
      {"baseline, T = 1", base.probabilities(fx, false)},
      {"baseline, calibrated", base.probabilities(fx, true)},
  };
  const torch::Tensor& pe = rows[1].p;
  const torch::Tensor& pb = rows[4].p;
  std::ostringstream md;
  md << std::setprecision(4);
  md << "# vision morphology: held-out evaluation\n\nmodel " << s.get_string("model") << " ("
     << model->config().members << " ResNet2d members, stages " << h.get("clf_stage_channels")
     << ", temperature " << temp << ")\nstamps " << s.get_string("stamps") << ": test split "
     << split.test.size() << " of " << d.set.count() << " (seed " << h.get("morph_split_seed")
     << ")\nclasses:";
  for (const std::string& n : names) md << " " << n;
  md << "\nbaseline: softmax regression (L2 " << s.get_double("l2")
     << ") on standardised non-parametric measures:";
  for (const std::string& n : fnames) md << " " << n;
  md << "; temperature " << base.temperature << " fitted on the validation split\n\n"
     << "| method | accuracy | ECE (15 bins) | NLL [nats] | Brier |\n|---|---|---|---|---|\n";
  for (const Scores& r : rows)
    md << "| " << r.name << " | " << surveys::top1_accuracy(r.p, y) << " | "
       << surveys::expected_calibration_error(r.p, y) << " | " << surveys::multiclass_nll(r.p, y)
       << " | " << surveys::brier_score(r.p, y) << " |\n";
  // Galaxy Zoo's first question, smooth or featured: P(armed) = 1 - P(smooth).
  md << "\n| smooth vs armed (P(armed) = 1 - P(smooth)) | accuracy | AUROC | ECE |\n"
     << "|---|---|---|---|\n";
  std::vector<bool> armed;
  for (int64_t i = 0; i < y.size(0); ++i) armed.push_back(y[i].item<int64_t>() != 0);
  const torch::Tensor ya = y.ne(0).to(torch::kLong);
  for (const Scores& r : {rows[1], rows[4]}) {
    const torch::Tensor p_armed = 1 - r.p.select(1, 0);
    const torch::Tensor p2 = torch::stack({1 - p_armed, p_armed}, 1);
    const torch::Tensor pa = p_armed.contiguous();
    const std::vector<double> sc(pa.data_ptr<double>(), pa.data_ptr<double>() + pa.numel());
    // AUROC needs both classes among the test stamps (small sets may hold one).
    const bool both = std::count(armed.begin(), armed.end(), true) > 0 &&
                      std::count(armed.begin(), armed.end(), false) > 0;
    md << "| " << r.name << " | " << surveys::top1_accuracy(p2, ya) << " | "
       << (both ? std::to_string(surveys::auroc(sc, armed)) : std::string("n/a (one class)"))
       << " | " << surveys::expected_calibration_error(p2, ya) << " |\n";
  }
  const torch::Tensor ce = surveys::confusion_matrix(pe, y), cb = surveys::confusion_matrix(pb, y);
  md << "\n| class | test stamps | recall ensemble | recall baseline |\n|---|---|---|---|\n";
  for (int64_t i = 0; i < k; ++i) {
    const double n = static_cast<double>(ce[i].sum().item<int64_t>());
    md << "| " << names[static_cast<std::size_t>(i)] << " | " << n << " | "
       << (n > 0 ? static_cast<double>(ce[i][i].item<int64_t>()) / n : NAN) << " | "
       << (n > 0 ? static_cast<double>(cb[i][i].item<int64_t>()) / n : NAN) << " |\n";
  }
  for (const auto& [title, cm] :
       {std::make_pair("ensemble (calibrated)", ce), std::make_pair("baseline (calibrated)", cb)}) {
    md << "\nconfusion matrix, " << title << " (rows true, columns predicted)\n\n| true \\ pred |";
    for (const std::string& n : names) md << " " << n << " |";
    md << "\n|---|";
    for (int64_t i = 0; i < k; ++i) md << "---|";
    md << "\n";
    for (int64_t i = 0; i < k; ++i) {
      md << "| " << names[static_cast<std::size_t>(i)] << " |";
      for (int64_t j = 0; j < k; ++j) md << " " << cm[i][j].item<int64_t>() << " |";
      md << "\n";
    }
  }
  // Accuracy in quartiles of the magnitude: where each method wins.
  std::vector<double> mags;
  for (std::size_t r : split.test) mags.push_back(d.set.mag[r]);
  std::vector<double> sorted = mags;
  std::sort(sorted.begin(), sorted.end());
  md << "\n| " << d.set.band << " mag range | stamps | accuracy ensemble | accuracy baseline | "
     << "ECE ensemble | ECE baseline |\n|---|---|---|---|---|---|\n";
  for (int q = 0; q < 4; ++q) {
    const double lo = sorted[sorted.size() * q / 4];
    const double hi = q == 3 ? sorted.back() : sorted[sorted.size() * (q + 1) / 4];
    std::vector<int64_t> idx;
    for (std::size_t i = 0; i < mags.size(); ++i)
      if (mags[i] >= lo && (q == 3 ? mags[i] <= hi : mags[i] < hi))
        idx.push_back(static_cast<int64_t>(i));
    if (idx.empty()) continue;
    const torch::Tensor sel = torch::tensor(idx, torch::kLong);
    const torch::Tensor ys = y.index_select(0, sel);
    md << "| " << lo << " - " << hi << " | " << idx.size() << " | "
       << surveys::top1_accuracy(pe.index_select(0, sel), ys) << " | "
       << surveys::top1_accuracy(pb.index_select(0, sel), ys) << " | "
       << surveys::expected_calibration_error(pe.index_select(0, sel), ys) << " | "
       << surveys::expected_calibration_error(pb.index_select(0, sel), ys) << " |\n";
  }
  md << "\ninference: " << ms << " ms per stamp for the whole ensemble (" << at::get_num_threads()
     << " torch threads, this CPU)\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/morphology_eval.md";
  const std::string png = out.path() + "/reliability.png";
  const std::string csv = out.path() + "/predictions.csv";
  sim::write_file_atomic(table, md.str());
  write_reliability_png(png, {rows[0], rows[1], rows[4]}, y);
  std::ostringstream c;
  c << std::setprecision(6) << "stamp,true_class";
  for (const std::string& n : names) c << ",p_" << n;
  c << ",predicted";
  for (const std::string& n : names) c << ",baseline_p_" << n;
  c << ",baseline_predicted\n";
  const torch::Tensor ae = pe.argmax(1), ab = pb.argmax(1);
  for (std::size_t i = 0; i < split.test.size(); ++i) {
    const auto r = static_cast<int64_t>(i);
    c << split.test[i] << "," << names[static_cast<std::size_t>(y[r].item<int64_t>())];
    for (int64_t j = 0; j < k; ++j) c << "," << pe[r][j].item<double>();
    c << "," << names[static_cast<std::size_t>(ae[r].item<int64_t>())];
    for (int64_t j = 0; j < k; ++j) c << "," << pb[r][j].item<double>();
    c << "," << names[static_cast<std::size_t>(ab[r].item<int64_t>())] << "\n";
  }
  sim::write_file_atomic(csv, c.str());
  finish_mock_dir(out, {table, png, csv}, md.str(), s, "cosmograd vision morphology evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

int morphology_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_morphology.cgm of `vision morphology train`"},
      {"stamps", "", "", "a stamp-set file (stamps.h5 layout, surveys/images/stamp_set.hpp)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "morphology_apply", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision morphology apply",
      "usage: cosmograd vision morphology apply --model FILE --stamps FILE.h5 [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::ModelHeader h;
  surveys::StampClassifier model =
      load_classifier_for(s, "vision morphology apply", "stamps", "FILE", kModelType, &h);
  const surveys::StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  if (set.size != model->config().size)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "holds " + std::to_string(set.size) + " px stamps; the model takes " +
                         std::to_string(model->config().size));
  const double ps = h.get_double("morph_pixel_scale");
  if (std::abs(set.pixel_scale / ps - 1) > 0.01)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has pixel_scale " + std::to_string(set.pixel_scale) +
                         " arcsec; the model was trained at " + std::to_string(ps) + " (+-1%)");
  std::vector<std::size_t> rows(set.count());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const torch::Tensor p = model->probabilities(
      surveys::morphology_inputs(set, rows, h.get_double("morph_soften"), psf_channel_of(h)));
  const std::vector<std::string>& names = model->config().class_names;
  std::ostringstream c;
  c << std::setprecision(6) << "stamp";
  for (const std::string& n : names) c << ",p_" << n;
  c << ",class,confidence\n";
  const auto [conf, cls] = p.max(1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<int64_t>(i);
    c << i;
    for (std::size_t j = 0; j < names.size(); ++j)
      c << "," << p[r][static_cast<int64_t>(j)].item<double>();
    c << "," << names[static_cast<std::size_t>(cls[r].item<int64_t>())] << ","
      << conf[r].item<double>() << "\n";
  }
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string csv = out.path() + "/probabilities.csv";
  sim::write_file_atomic(csv, c.str());
  std::ostringstream sum;
  sum << "# cosmograd vision morphology apply\nstamps " << rows.size() << "\ntemperature "
      << model->temperature() << "\n";
  finish_mock_dir(out, {csv}, sum.str(), s, "cosmograd vision morphology apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int vision_morphology(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd vision morphology train|evaluate|apply [config.ini] [--key value ...]\n"
      "  train     a ResNet ensemble on a `mock stamps` directory (classes: smooth, 2_arms,\n"
      "            3_arms, 4+_arms), temperature-scaled on its validation split\n"
      "  evaluate  accuracy, ECE, NLL, Brier, reliability diagram on the held-out split,\n"
      "            beside a softmax regression on non-parametric measures\n"
      "  apply     calibrated class probabilities of every stamp of a stamp-set file";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd vision morphology: give train, evaluate or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return morphology_train(rest);
  if (args[0] == "evaluate") return morphology_evaluate(rest);
  if (args[0] == "apply") return morphology_apply(rest);
  throw std::invalid_argument("cosmograd vision morphology: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate, apply)");
}

}  // namespace cosmograd::apps
