// `cosmograd vision lens train|evaluate|apply`: the strong-lens finder, a deep ensemble of
// ResNets on every band of a `mock lenses` set (surveys/vision/stamp_classifier.hpp,
// lens_features.hpp), scored on held-out mocks as the Metcalf et al. (2019, A&A 625, A119)
// lens-finding challenge scores: AUROC, TPR0 and TPR10 and the ROC curve, beside a logistic
// regression on 180-degree-rotation residuals and colours.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "apps/vision_classifier_common.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/core/settings.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/h5_arrays.hpp"
#include "surveys/vision/classifier_metrics.hpp"
#include "surveys/vision/lens_features.hpp"
#include "surveys/vision/softmax_regression.hpp"
#include "surveys/vision/stamp_classifier.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

constexpr const char* kModelType = "vision_lens_finder";
constexpr const char* kModelFile = "vision_lens_finder.cgm";

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

/// The stamps of a lens_stamps.h5 file (/images with attributes bands and pixel_scale), without
/// truth.
surveys::LensSet read_lens_images(const std::string& path) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  surveys::LensSet set;
  std::vector<hsize_t> dims;
  set.images = surveys::detail::read_floats(file.get(), "images", 4, dims, path);
  surveys::detail::require_shape(path, "images", dims, {dims[0], dims[1], dims[2], dims[2]});
  set.size = static_cast<int>(dims[2]);
  H5Id dset = h5_open_dataset(file.get(), "images", path);
  set.bands = sim::split_list(h5_read_string_attribute(dset.get(), "bands", path));
  if (set.bands.size() != dims[1])
    throw std::runtime_error(path + ": attribute bands names " + std::to_string(set.bands.size()) +
                             " bands, /images has " + std::to_string(dims[1]));
  set.pixel_scale = h5_read_scalar_attribute<double>(dset.get(), "pixel_scale", path);
  return set;
}

/// The network's view of a header: bands, per-band sigma, crop and softening.
struct LensInputSpec {
  std::vector<std::string> bands;
  std::vector<double> sigma;
  int crop = 32;
  double soften = 3;
  double pixel_scale = 0.2;
};

LensInputSpec input_spec(const nn::ModelHeader& h) {
  LensInputSpec spec;
  spec.bands = sim::split_list(h.get("lens_bands"));
  for (const std::string& b : spec.bands) spec.sigma.push_back(h.get_double("lens_sigma_" + b));
  spec.crop = static_cast<int>(h.get_int("lens_crop"));
  spec.soften = h.get_double("lens_soften");
  spec.pixel_scale = h.get_double("lens_pixel_scale");
  return spec;
}

/// Throws bad_setting naming `key` unless the set has the model's bands and pixel scale.
void check_compatible(const surveys::LensSet& set, const LensInputSpec& spec,
                      const std::string& key, const std::string& value) {
  if (set.bands != spec.bands)
    sim::bad_setting(key, value,
                     "has bands " + join(set.bands) + "; the model takes " + join(spec.bands));
  if (std::abs(set.pixel_scale / spec.pixel_scale - 1) > 0.01)
    sim::bad_setting(key, value,
                     "has pixel_scale " + std::to_string(set.pixel_scale) +
                         " arcsec; the model was trained at " + std::to_string(spec.pixel_scale));
  if (set.size < spec.crop)
    sim::bad_setting(key, value,
                     "holds " + std::to_string(set.size) + " px stamps, smaller than the crop " +
                         std::to_string(spec.crop));
}

int lens_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = classifier_train_keys(
      "lens", {"lenses", "", "", "directory of `cosmograd mock lenses` (lens_stamps.h5, truth.h5)"},
      {{"crop", "pixels", "32", "central crop the network sees (even)"},
       {"soften", "sigma", "3", "input scaling asinh(image / (soften sigma_band))"}},
      "lens");
  const ParsedArgs parsed = parse_command(
      "vision lens train",
      "usage: cosmograd vision lens train --lenses DIR [--key value ...] [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("lenses").empty())
    throw std::invalid_argument("cosmograd vision lens train: give --lenses DIR");
  set_torch_threads(s);
  const ClassifierTrainSettings t = classifier_train_settings(s);
  const double tf = t.test_fraction, soften = t.soften;
  const int crop = static_cast<int>(s.get_int("crop"));
  const surveys::StampClassifierTrainOptions& o = t.options;

  const surveys::LensSet set = surveys::read_lens_set(s.get_string("lenses"));
  surveys::StampClassifierConfig c;
  c.model_type = kModelType;
  c.in_channels = static_cast<int64_t>(set.bands.size());
  c.size = crop;
  c.class_names = {"non_lens", "lens"};
  c.binary = true;
  set_classifier_network(s, c);
  c.validate();
  const std::size_t n = set.truth.rows();
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const surveys::StampSplit split = classifier_split(n, t);
  const std::vector<double> sigma = surveys::lens_band_sigma(set, split.train);
  const torch::Tensor xt = surveys::lens_inputs(set, split.train, sigma, crop, soften);
  const torch::Tensor yt = surveys::lens_labels(set, split.train);
  const torch::Tensor xv = surveys::lens_inputs(set, split.validation, sigma, crop, soften);
  const torch::Tensor yv = surveys::lens_labels(set, split.validation);

  surveys::StampClassifier model(c);
  surveys::StampClassifierTrainReport rep;
  surveys::train_stamp_classifier(model, xt, yt, xv, yv, o, &rep);

  nn::ModelHeader h = model->header();
  set_split_header(h, "lens_", n, t, split);
  h.set("lens_bands", join(set.bands));
  for (std::size_t b = 0; b < set.bands.size(); ++b) h.set("lens_sigma_" + set.bands[b], sigma[b]);
  h.set("lens_crop", static_cast<int64_t>(crop));
  h.set("lens_soften", soften);
  h.set("lens_pixel_scale", set.pixel_scale);
  h.set("lens_source", s.get_string("lenses"));
  set_training_header(h, o, rep);
  const std::string path = out.path() + "/" + kModelFile;
  nn::save_model(path, *model, h);
  const std::string curve = out.path() + "/training_curve.png";
  write_training_curve_png(curve, "lens", rep);

  std::ostringstream sum;
  write_split_summary(sum, "lens", n, split, tf);
  sum << "\nbands " << join(set.bands) << "\nband_sigma_nJy";
  for (double v : sigma) sum << " " << v;
  write_training_summary(sum, c.members, o, rep);
  finish_mock_dir(out, {path, curve}, sum.str(), s, "cosmograd vision lens train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// P(lens) [N] of two-class probabilities [N, 2].
std::vector<double> lens_scores(const torch::Tensor& p) {
  const torch::Tensor c = p.select(1, 1).to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

/// One row of the evaluation: a method and its test probabilities [N, 2].
struct Row {
  std::string name;
  torch::Tensor p;
};

/// The ROC curves of `rows` on a log FPR axis into p (FPR 0 drawn at half a false positive).
void add_roc_series(viz::PlotSpec& p, const std::vector<Row>& rows,
                    const std::vector<surveys::RocCurve>& rocs, const std::vector<bool>& truth) {
  const double fpr_min = 0.5 / static_cast<double>(rocs[0].negatives);
  p.xrange = viz::AxisRange{fpr_min, 1};
  // The TPR axis starts a little below the lowest TPR0, so near-perfect curves stay apart.
  double tpr_lo = 1;
  for (const surveys::RocCurve& r : rocs)
    tpr_lo = std::min(tpr_lo, surveys::tpr_below_false_positives(r, 1));
  p.yrange = viz::AxisRange{std::max(0.0, std::floor((tpr_lo - 0.02) * 50) / 50), 1.002};
  p.legend = viz::LegendPosition::lower_right;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    viz::Series sr;
    std::ostringstream l;
    l << std::setprecision(4) << rows[i].name << ": AUROC "
      << surveys::auroc(lens_scores(rows[i].p), truth) << ", TPR0 "
      << surveys::tpr_below_false_positives(rocs[i], 1) << ", TPR10 "
      << surveys::tpr_below_false_positives(rocs[i], 10);
    sr.label = l.str();
    for (std::size_t k = 0; k < rocs[i].fpr.size(); ++k) {
      // FPR = 0 (no false positive yet) is drawn at half a false positive.
      sr.x.push_back(std::max(rocs[i].fpr[k], fpr_min));
      sr.y.push_back(rocs[i].tpr[k]);
    }
    sr.color = viz::tab10(static_cast<int>(i));
    p.series.push_back(sr);
  }
  p.notes = {"FPR 0 drawn at half a false positive (" + std::to_string(rocs[0].negatives) +
             " non-lenses)"};
}

int lens_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_lens_finder.cgm of `vision lens train`"},
      {"lenses", "", "", "the lens directory it was trained on (its test split is scored)"},
      {"l2", "", "1e-3", "L2 penalty of the baseline's logistic regression"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "lens_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision lens evaluate",
      "usage: cosmograd vision lens evaluate --model FILE --lenses DIR [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::ModelHeader h;
  surveys::StampClassifier model =
      load_classifier_for(s, "vision lens evaluate", "lenses", "DIR", kModelType, &h);
  const LensInputSpec spec = input_spec(h);
  const surveys::LensSet set = surveys::read_lens_set(s.get_string("lenses"));
  check_compatible(set, spec, "lenses", s.get_string("lenses"));
  const std::size_t n = set.truth.rows();
  const surveys::StampSplit split = header_split(h, "lens_", n, "lenses", s.get_string("lenses"));

  const torch::Tensor x = surveys::lens_inputs(set, split.test, spec.sigma, spec.crop, spec.soften);
  const torch::Tensor y = surveys::lens_labels(set, split.test);
  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor z = model->class_logits(x);
  const double ms = 1e3 *
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                    static_cast<double>(split.test.size());
  // Baseline: logistic regression on the training split, temperature on the validation split.
  const std::vector<std::string> fnames = surveys::lens_feature_names(set);
  surveys::SoftmaxRegression base = surveys::fit_softmax_regression(
      surveys::lens_features(set, split.train, spec.sigma), surveys::lens_labels(set, split.train),
      2, fnames, s.get_double("l2"));
  base.temperature = surveys::fit_temperature(
      base.logits(surveys::lens_features(set, split.validation, spec.sigma)),
      surveys::lens_labels(set, split.validation), header_temperature_prior(h));
  const torch::Tensor fx = surveys::lens_features(set, split.test, spec.sigma);

  const std::vector<Row> rows = {
      {"ResNet ensemble, calibrated", surveys::ensemble_probabilities(z, model->temperature())},
      {"ResNet member 1 alone", surveys::ensemble_probabilities(z[0], 1.0)},
      {"baseline (logistic regression), calibrated", base.probabilities(fx, true)},
  };
  std::vector<bool> truth;
  for (int64_t i = 0; i < y.size(0); ++i) truth.push_back(y[i].item<int64_t>() == 1);
  std::ostringstream md;
  md << std::setprecision(4);
  md << "# vision lens: held-out evaluation\n\nmodel " << s.get_string("model") << " ("
     << model->config().members << " ResNet2d members, stages " << h.get("clf_stage_channels")
     << ", bands " << h.get("lens_bands") << ", central " << spec.crop << " x " << spec.crop
     << " px, temperature " << model->temperature() << ")\nlenses " << s.get_string("lenses")
     << ": test split " << split.test.size() << " of " << n << " (seed " << h.get("lens_split_seed")
     << "), " << y.sum().item<int64_t>() << " lenses\n"
     << "baseline: logistic regression (L2 " << s.get_double("l2") << ") on standardised features:";
  for (const std::string& f : fnames) md << " " << f;
  md << " (annulus 0.6\"-3\" about the centre after subtracting the 180-degree-rotated image; "
        "lens_features.hpp)\n\nTPR0: highest true-positive rate before the first false "
        "positive; TPR10: before the tenth (Metcalf et al. 2019, A&A 625, A119)\n\n"
     << "| method | AUROC | TPR0 | TPR10 | accuracy at 0.5 | ECE | NLL [nats] | Brier |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  // The ROC needs both classes among the test stamps (a tiny set may hold one).
  const auto n_lens = std::count(truth.begin(), truth.end(), true);
  const bool both = n_lens > 0 && n_lens < static_cast<std::ptrdiff_t>(truth.size());
  std::vector<surveys::RocCurve> rocs;
  for (const Row& r : rows) {
    const std::vector<double> sc = lens_scores(r.p);
    md << "| " << r.name << " | ";
    if (both) {
      rocs.push_back(surveys::roc_curve(sc, truth));
      md << surveys::auroc(sc, truth) << " | " << surveys::tpr_below_false_positives(rocs.back(), 1)
         << " | " << surveys::tpr_below_false_positives(rocs.back(), 10) << " | ";
    } else {
      md << "n/a (one class) | n/a | n/a | ";
    }
    md << surveys::top1_accuracy(r.p, y) << " | " << surveys::expected_calibration_error(r.p, y)
       << " | " << surveys::multiclass_nll(r.p, y) << " | " << surveys::brier_score(r.p, y)
       << " |\n";
  }
  // Completeness at P(lens) >= 0.5 in bins of the Einstein radius.
  const auto& theta_all = set.truth.column("theta_e").as<double>();
  std::vector<double> theta;
  for (std::size_t r : split.test) theta.push_back(theta_all[r]);
  const std::vector<double> edges = {0.6, 0.7, 0.8, 1.0, 1.3, 1e9};
  const std::vector<double> se = lens_scores(rows[0].p), sb = lens_scores(rows[2].p);
  md << "\n| theta_E [arcsec] | lenses | recall ensemble (p >= 0.5) | recall baseline |\n"
     << "|---|---|---|---|\n";
  for (std::size_t b = 0; b + 1 < edges.size(); ++b) {
    std::size_t cnt = 0, he = 0, hb = 0;
    for (std::size_t i = 0; i < theta.size(); ++i) {
      if (!truth[i] || theta[i] < edges[b] || theta[i] >= edges[b + 1]) continue;
      ++cnt;
      he += se[i] >= 0.5;
      hb += sb[i] >= 0.5;
    }
    if (cnt == 0) continue;
    md << "| " << edges[b];
    if (b + 2 == edges.size())
      md << "+";
    else
      md << " - " << edges[b + 1];
    md << " | " << cnt << " | " << static_cast<double>(he) / cnt << " | "
       << static_cast<double>(hb) / cnt << " |\n";
  }
  md << "\ninference: " << ms << " ms per stamp for the whole ensemble (" << at::get_num_threads()
     << " torch threads, this CPU)\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/lens_eval.md";
  const std::string png = out.path() + "/roc.png";
  const std::string csv = out.path() + "/scores.csv";
  sim::write_file_atomic(table, md.str());
  viz::PlotSpec p;
  p.title = "Lens finder ROC on held-out mocks";
  p.xlabel = "false-positive rate";
  p.ylabel = "true-positive rate";
  p.logx = true;
  p.empty_message = "The test split holds one class only: no ROC";
  if (both) add_roc_series(p, rows, rocs, truth);
  viz::write_plot_png(png, p);
  std::ostringstream c;
  c << std::setprecision(6) << "stamp,is_lens,theta_e,p_lens,baseline_p_lens\n";
  for (std::size_t i = 0; i < split.test.size(); ++i)
    c << split.test[i] << "," << (truth[i] ? 1 : 0) << "," << theta[i] << "," << se[i] << ","
      << sb[i] << "\n";
  sim::write_file_atomic(csv, c.str());
  finish_mock_dir(out, {table, png, csv}, md.str(), s, "cosmograd vision lens evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

int lens_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_lens_finder.cgm of `vision lens train`"},
      {"images", "", "",
       "a lens_stamps.h5 file (/images [N, bands, S, S] nJy, attributes "
       "bands and pixel_scale)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "lens_apply", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision lens apply",
      "usage: cosmograd vision lens apply --model FILE --images FILE.h5 [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::ModelHeader h;
  surveys::StampClassifier model =
      load_classifier_for(s, "vision lens apply", "images", "FILE", kModelType, &h);
  const LensInputSpec spec = input_spec(h);
  const surveys::LensSet set = read_lens_images(s.get_string("images"));
  check_compatible(set, spec, "images", s.get_string("images"));
  const std::size_t n = set.images.size() / (set.bands.size() * set.size * set.size);
  std::vector<std::size_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  const std::vector<double> sc = lens_scores(
      model->probabilities(surveys::lens_inputs(set, rows, spec.sigma, spec.crop, spec.soften)));
  std::ostringstream c;
  c << std::setprecision(6) << "stamp,p_lens\n";
  for (std::size_t i = 0; i < n; ++i) c << i << "," << sc[i] << "\n";
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string csv = out.path() + "/scores.csv";
  sim::write_file_atomic(csv, c.str());
  std::ostringstream sum;
  sum << "# cosmograd vision lens apply\nstamps " << n << "\ncandidates_p_ge_0.5 "
      << std::count_if(sc.begin(), sc.end(), [](double v) { return v >= 0.5; }) << "\n";
  finish_mock_dir(out, {csv}, sum.str(), s, "cosmograd vision lens apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int vision_lens(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd vision lens train|evaluate|apply [config.ini] [--key value ...]\n"
      "  train     a ResNet ensemble on a `mock lenses` directory (all bands as channels),\n"
      "            temperature-scaled on its validation split\n"
      "  evaluate  AUROC, TPR0, TPR10, ROC curve on the held-out split, beside a logistic\n"
      "            regression on rotation residuals and colours\n"
      "  apply     P(lens) of every stamp of a lens_stamps.h5 file";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd vision lens: give train, evaluate or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return lens_train(rest);
  if (args[0] == "evaluate") return lens_evaluate(rest);
  if (args[0] == "apply") return lens_apply(rest);
  throw std::invalid_argument("cosmograd vision lens: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate, apply)");
}

}  // namespace cosmograd::apps
