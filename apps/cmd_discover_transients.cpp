// `cosmograd discover transients train|evaluate`: light-curve classification of the mock
// transients of `cosmograd mock lightcurves` (six classes: SNIa, SNII, SNIbc, SLSN-I, TDE, AGN)
// by a GRU (surveys/discovery/transient_classifier.hpp; SuperNNova-like, Moeller & de Boissiere
// 2020) against a feature baseline: joint Bazin fits (Bazin et al. 2009) summarised as features
// and a random forest (Breiman 2001). Scored on a held-out light-curve set at full phase, at the
// true peak and before it, with and without the host redshift: the PLAsTiCC flat-weighted
// log-loss (Malz et al. 2019), accuracy and the SN Ia vs rest AUC.
#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "apps/discover.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/core/settings.hpp"
#include "surveys/discovery/lightcurve_data.hpp"
#include "surveys/discovery/random_forest.hpp"
#include "surveys/discovery/transient_classifier.hpp"
#include "surveys/discovery/transient_features.hpp"
#include "surveys/discovery/transient_metrics.hpp"
#include "surveys/vision/classifier_metrics.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

namespace sv = surveys;
constexpr const char* kModelFile = "discover_transients_gru.cgm";
const char* const kClassNames[sv::kLightCurveClasses] = {"SNIa",   "SNII", "SNIbc",
                                                         "SLSN-I", "TDE",  "AGN"};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void set_threads(const sim::Settings& s) {
  const long long threads = s.get_int("threads");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
}

std::string class_counts(const sv::LightCurveSet& set) {
  std::vector<int> n(sv::kLightCurveClasses, 0);
  for (const auto& lc : set.curves) ++n[static_cast<std::size_t>(lc.label)];
  std::ostringstream s;
  for (int k = 0; k < sv::kLightCurveClasses; ++k)
    s << (k ? ", " : "") << kClassNames[k] << " " << n[static_cast<std::size_t>(k)];
  return s.str();
}

int transients_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"lightcurves", "", "", "directory (or lightcurves.h5) of `cosmograd mock lightcurves`"},
      {"hidden", "", "64", "GRU hidden units"},
      {"layers", "", "2", "stacked GRU layers"},
      {"epochs", "", "20", "passes over the training curves"},
      {"batch", "", "64", "curves per step"},
      {"lr", "", "2e-3", "peak AdamW learning rate (cosine decay to lr/20)"},
      {"weight_decay", "", "1e-4", "AdamW weight decay"},
      {"validation_fraction", "", "0.1", "curves held out for model selection"},
      {"truncate_fraction", "", "0.5", "training curves truncated at random per epoch"},
      {"truncate_lo_days", "d", "-25", "truncation at reference peak + U(lo, hi)"},
      {"truncate_hi_days", "d", "40", "upper end of the truncation offset"},
      {"z_drop", "", "0.5", "fraction of training curves whose host redshift is masked"},
      {"min_detections", "", "2", "curves (and truncations) need this many S/N >= 5 points"},
      {"before_days", "d", "10", "the validation's before-peak phase: peak - before_days"},
      {"window_pre_days", "d", "30", "window start before the first detection"},
      {"window_post_days", "d", "150", "window end after the first detection"},
      {"max_seconds", "s", "0", "stop training after this wall time (0: no limit)"},
      {"seed", "", "1", "random seed (split, augmentation, initial weights)"},
      {"threads", "", "1", "torch threads"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "transients_train", "output directory (" + std::string(kModelFile) + ")"},
  };
  const ParsedArgs parsed = parse_command(
      "discover transients train",
      "usage: cosmograd discover transients train --lightcurves DIR [--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("lightcurves").empty())
    sim::bad_setting("lightcurves", "",
                     "is empty (allowed: --lightcurves DIR of `cosmograd mock "
                     "lightcurves`)");
  set_threads(s);
  sv::TransientNetConfig c;
  c.hidden = s.get_int("hidden");
  c.layers = s.get_int("layers");
  c.window_pre_days = s.get_double("window_pre_days");
  c.window_post_days = s.get_double("window_post_days");
  c.validate();
  sv::TransientTrainOptions o;
  o.epochs = static_cast<int>(s.get_int("epochs"));
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.validation_fraction = s.get_double("validation_fraction");
  o.truncate_fraction = s.get_double("truncate_fraction");
  o.truncate_lo_days = s.get_double("truncate_lo_days");
  o.truncate_hi_days = s.get_double("truncate_hi_days");
  o.z_drop = s.get_double("z_drop");
  o.min_detections = static_cast<int>(s.get_int("min_detections"));
  o.before_days = s.get_double("before_days");
  o.max_seconds = s.get_double("max_seconds");
  const long long seed = s.get_int("seed");
  if (seed < 0) sim::bad_setting("seed", s.get_string("seed"), "is negative (allowed: >= 0)");
  o.seed = static_cast<std::uint64_t>(seed);
  o.validate();
  const sv::LightCurveSet set = sv::read_light_curves(s.get_string("lightcurves"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  torch::manual_seed(o.seed);
  sv::TransientNet net(c);
  sv::TransientTrainReport rep;
  sv::train_transient_net(net, set, o, &rep);

  nn::ModelHeader h = net->header();
  h.set("tr_min_detections", static_cast<int64_t>(o.min_detections));
  h.set("tr_before_days", o.before_days);
  h.set("tr_z_drop", o.z_drop);
  h.set("tr_truncate_fraction", o.truncate_fraction);
  h.set("tr_truncate_lo_days", o.truncate_lo_days);
  h.set("tr_truncate_hi_days", o.truncate_hi_days);
  h.set("tr_train_source", s.get_string("lightcurves"));
  h.set("tr_train_curves", rep.train_curves);
  h.set("tr_val_curves", rep.val_curves);
  h.set("tr_best_epoch", static_cast<int64_t>(rep.best_epoch));
  h.set("tr_epochs_run", static_cast<int64_t>(rep.train_loss.size()));
  h.set("tr_train_seconds", rep.seconds);
  h.set("tr_seed", static_cast<int64_t>(o.seed));
  const std::string path = out.path() + "/" + kModelFile;
  nn::save_model(path, *net, h);

  viz::PlotSpec p;
  p.title = "discover transients: GRU training";
  p.xlabel = "epoch";
  p.ylabel = "loss [nats]";
  viz::Series tl, vl;
  tl.label = "training (class-weighted cross-entropy, augmented)";
  vl.label = "validation flat log-loss (all phases)";
  tl.marker = vl.marker = viz::Marker::circle;
  for (std::size_t e = 0; e < rep.train_loss.size(); ++e) {
    tl.x.push_back(static_cast<double>(e + 1));
    tl.y.push_back(rep.train_loss[e]);
    vl.x.push_back(static_cast<double>(e + 1));
    vl.y.push_back(rep.val_loss[e]);
  }
  p.series = {tl, vl};
  const std::string curve = out.path() + "/training_curve.png";
  viz::write_plot_png(curve, p);

  std::ostringstream sum;
  sum << "# cosmograd discover transients train\nlightcurves " << s.get_string("lightcurves")
      << "\nobjects " << set.curves.size() << " (" << class_counts(set) << ")\ndropped "
      << rep.dropped_curves << " with fewer than " << o.min_detections
      << " detections\ntrain_curves " << rep.train_curves << "\nval_curves " << rep.val_curves
      << "\nepochs_run " << rep.train_loss.size() << "\nbest_epoch " << rep.best_epoch + 1
      << "\nbest_val_flat_log_loss "
      << (rep.best_epoch >= 0 ? rep.val_loss[static_cast<std::size_t>(rep.best_epoch)] : NAN)
      << "\nseconds " << rep.seconds << "\n";
  finish_mock_dir(out, {path, curve}, sum.str(), s, "cosmograd discover transients train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Scores of one method at one phase with or without redshift.
struct Row {
  std::string method, phase;
  bool with_z = false;
  double log_loss = NAN, accuracy = NAN, auc = NAN;
  int64_t n = 0;
};

Row score(const std::string& method, const std::string& phase, bool z, const torch::Tensor& p,
          const torch::Tensor& y) {
  Row r{method, phase, z};
  r.n = y.numel();
  if (r.n == 0) return r;
  r.log_loss = sv::flat_log_loss(p, y);
  r.accuracy = sv::top1_accuracy(p, y);
  r.auc = sv::one_vs_rest_auc(p, y, 0);
  return r;
}

/// Feature rows of windowed curves.
std::vector<std::vector<double>> features_of(const std::vector<sv::LightCurve>& w, bool z) {
  std::vector<std::vector<double>> x;
  x.reserve(w.size());
  for (const auto& lc : w) x.push_back(sv::transient_features(lc, z));
  return x;
}

/// The windowed curves of `set` truncated at `phase` (cut offset for kAtPeak: `offset_days`
/// after the reference peak; NaN = the phase's own cut), those with >= min_det detections.
struct PhaseCurves {
  std::vector<sv::LightCurve> windows;
  std::vector<int64_t> labels;
};

PhaseCurves phase_curves(const sv::LightCurveSet& set, bool full, double offset_days, int min_det,
                         const sv::TransientNetConfig& c) {
  PhaseCurves pc;
  for (const auto& lc : set.curves) {
    const double cut = full ? std::numeric_limits<double>::infinity()
                            : sv::reference_peak_mjd(lc, set.first_mjd, set.last_mjd) + offset_days;
    const sv::LightCurve tr = sv::truncate_light_curve(lc, cut);
    if (sv::count_detections(tr) < min_det) continue;
    pc.windows.push_back(sv::observation_window(tr, c.window_pre_days, c.window_post_days));
    pc.labels.push_back(lc.label);
  }
  return pc;
}

/// Random-forest probabilities [N, K] (float64) mixed with the uniform: (1 - floor) p + floor/K.
torch::Tensor forest_probabilities(const sv::RandomForest& rf,
                                   const std::vector<std::vector<double>>& x, double floor) {
  torch::Tensor p =
      torch::zeros({static_cast<int64_t>(x.size()), sv::kLightCurveClasses}, torch::kFloat64);
  auto a = p.accessor<double, 2>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::vector<double> q = rf.predict_proba(x[i]);
    for (int k = 0; k < sv::kLightCurveClasses; ++k)
      a[static_cast<int64_t>(i)][k] =
          (1 - floor) * q[static_cast<std::size_t>(k)] + floor / sv::kLightCurveClasses;
  }
  return p;
}

/// Flat class weights 1 / N_c of labels.
std::vector<double> flat_weights(const std::vector<int64_t>& y) {
  std::vector<double> n(sv::kLightCurveClasses, 0.0), w;
  for (int64_t v : y) n[static_cast<std::size_t>(v)] += 1;
  for (int64_t v : y) w.push_back(1.0 / n[static_cast<std::size_t>(v)]);
  return w;
}

std::vector<std::vector<double>> drop_last(std::vector<std::vector<double>> x) {
  for (auto& r : x) r.pop_back();
  return x;
}

/// Confusion "bubble" plot: a square per (predicted, true) cell sized by the row fraction.
void write_confusion_png(const std::string& path, const std::string& title,
                         const torch::Tensor& cm) {
  viz::PlotSpec p;
  p.title = title;
  p.xlabel = "predicted class (0 SNIa, 1 SNII, 2 SNIbc, 3 SLSN-I, 4 TDE, 5 AGN)";
  p.ylabel = "true class (same codes)";
  p.xrange = viz::AxisRange{-0.7, 5.7};
  p.yrange = viz::AxisRange{-0.7, 8.3};  // rows 0-5, the recall notes above them
  p.width = 900;
  p.height = 820;
  for (int64_t i = 0; i < cm.size(0); ++i) {
    const double n = static_cast<double>(cm[i].sum().item<int64_t>());
    std::ostringstream note;
    note << kClassNames[i] << " (" << n << " objects): recall " << std::setprecision(3)
         << (n > 0 ? cm[i][i].item<int64_t>() / n : NAN);
    p.notes.push_back(note.str());
    for (int64_t j = 0; j < cm.size(1); ++j) {
      const double f = n > 0 ? cm[i][j].item<int64_t>() / n : 0.0;
      if (f <= 0) continue;
      viz::Series s;
      s.x = {static_cast<double>(j)};
      s.y = {static_cast<double>(i)};
      s.line = viz::LineStyle::none;
      s.marker = viz::Marker::square;
      s.marker_size = std::min(5.0, 0.3 + 4.7 * std::sqrt(f));
      s.color = i == j ? viz::tab10(2) : viz::tab10(3);
      p.series.push_back(s);
    }
  }
  p.legend = viz::LegendPosition::upper_right;
  viz::write_plot_png(path, p);
}

int transients_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "discover_transients_gru.cgm of `discover transients train`"},
      {"train", "", "", "training light curves (the baseline's random forests are fitted here)"},
      {"test", "", "", "held-out light curves (another `mock lightcurves` seed)"},
      {"before_days", "d", "10", "the before-peak phase: observations up to peak - before_days"},
      {"min_detections", "", "-1",
       "objects need this many S/N >= 5 points at a phase (-1: the model's)"},
      {"trees", "", "200", "random-forest trees"},
      {"max_depth", "", "16", "random-forest tree depth"},
      {"min_leaf", "", "3", "random-forest minimum rows per leaf"},
      {"floor", "", "0.01", "baseline probabilities (1 - floor) p + floor / 6 (log-loss)"},
      {"curve_offsets", "d", "-20,-10,-5,0,5,10,20,40,80",
       "truncations (days after the peak) of the GRU's phase curve"},
      {"seed", "", "1", "random-forest seed"},
      {"threads", "", "1", "torch threads"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "transients_eval", "output directory (transients_eval.md, PNGs)"},
  };
  const ParsedArgs parsed = parse_command(
      "discover transients evaluate",
      "usage: cosmograd discover transients evaluate --model FILE --train DIR --test DIR "
      "[--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  for (const char* k : {"model", "train", "test"})
    if (s.get_string(k).empty())
      sim::bad_setting(k, "", "is empty (give --model FILE --train DIR --test DIR)");
  const double before = s.get_double("before_days");
  if (!(before >= 0)) sim::bad_setting("before_days", s.get_string("before_days"), "must be >= 0");
  const double floor = s.get_double("floor");
  if (!(floor >= 0 && floor < 1))
    sim::bad_setting("floor", s.get_string("floor"), "is outside [0, 1)");
  const long long seed = s.get_int("seed");
  if (seed < 0) sim::bad_setting("seed", s.get_string("seed"), "is negative (allowed: >= 0)");
  set_threads(s);
  nn::ModelHeader h;
  sv::TransientNet net = sv::load_transient_net(s.get_string("model"), &h);
  const sv::TransientNetConfig& c = net->config();
  int min_det = static_cast<int>(s.get_int("min_detections"));
  if (min_det < 0) min_det = static_cast<int>(h.get_int("tr_min_detections"));
  sv::RandomForestOptions ro;
  ro.trees = static_cast<int>(s.get_int("trees"));
  ro.max_depth = static_cast<int>(s.get_int("max_depth"));
  ro.min_leaf = static_cast<int>(s.get_int("min_leaf"));
  ro.seed = static_cast<std::uint64_t>(seed);
  ro.validate();
  const std::vector<double> offsets = s.get_doubles("curve_offsets");
  const sv::LightCurveSet train = sv::read_light_curves(s.get_string("train"));
  const sv::LightCurveSet test = sv::read_light_curves(s.get_string("test"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));

  struct PhaseDef {
    std::string name;
    bool full;
    double offset;
  };
  const std::vector<PhaseDef> phases = {
      {"full", true, 0.0}, {"at peak", false, 0.0}, {"before peak", false, -before}};
  std::vector<Row> rows;
  double t_gru = 0, t_fit = 0, t_forest = 0;
  torch::Tensor cm_gru, cm_rf;
  std::vector<double> importance;
  std::vector<Row> base_rows;
  for (const PhaseDef& ph : phases) {
    const PhaseCurves te = phase_curves(test, ph.full, ph.offset, min_det, c);
    const torch::Tensor y = torch::tensor(te.labels, torch::kLong);
    for (bool z : {false, true}) {
      auto t0 = std::chrono::steady_clock::now();
      const torch::Tensor p = te.windows.empty()
                                  ? torch::zeros({0, sv::kLightCurveClasses}, torch::kFloat64)
                                  : sv::transient_probabilities(net, te.windows, z);
      t_gru += seconds_since(t0);
      rows.push_back(score("GRU", ph.name, z, p, y));
      if (ph.full && !z && y.numel() > 0) cm_gru = sv::confusion_matrix(p, y);
    }
    // Baseline: features of the training curves at the same phase, a forest with and without z.
    auto t0 = std::chrono::steady_clock::now();
    const PhaseCurves tr = phase_curves(train, ph.full, ph.offset, min_det, c);
    const auto xtr = features_of(tr.windows, true);
    const auto xte = features_of(te.windows, true);
    t_fit += seconds_since(t0);
    std::vector<int> ytr(tr.labels.begin(), tr.labels.end());
    const std::vector<double> wtr = flat_weights(tr.labels);
    for (bool z : {false, true}) {
      Row r{"Bazin + random forest", ph.name, z};
      if (!xtr.empty() && !xte.empty()) {
        t0 = std::chrono::steady_clock::now();
        sv::RandomForest rf;
        rf.fit(z ? xtr : drop_last(xtr), ytr, sv::kLightCurveClasses, wtr, ro);
        const torch::Tensor p = forest_probabilities(rf, z ? xte : drop_last(xte), floor);
        t_forest += seconds_since(t0);
        r = score(r.method, ph.name, z, p, y);
        if (ph.full && !z) {
          cm_rf = sv::confusion_matrix(p, y);
          importance = rf.importance();
        }
      }
      base_rows.push_back(r);
    }
    sim::log_info("discover transients: phase ", ph.name, " done (", te.windows.size(), " test, ",
                  tr.windows.size(), " training curves)");
  }
  rows.insert(rows.end(), base_rows.begin(), base_rows.end());

  // The GRU's phase curve: accuracy and Ia AUC against the truncation offset.
  std::vector<std::array<Row, 2>> curve;
  for (double d : offsets) {
    const PhaseCurves te = phase_curves(test, false, d, min_det, c);
    const torch::Tensor y = torch::tensor(te.labels, torch::kLong);
    std::array<Row, 2> rr;
    for (int z = 0; z < 2; ++z)
      rr[static_cast<std::size_t>(z)] =
          te.windows.empty()
              ? Row{"GRU", "", z == 1}
              : score("GRU", "", z == 1, sv::transient_probabilities(net, te.windows, z == 1), y);
    curve.push_back(rr);
  }

  std::ostringstream md;
  md << std::setprecision(4);
  md << "model " << s.get_string("model") << " (GRU " << c.layers << " x " << c.hidden
     << ", trained on " << h.get("tr_train_curves") << " curves of " << h.get("tr_train_source")
     << ")\n\n"
     << "test " << s.get_string("test") << ": " << test.curves.size() << " objects ("
     << class_counts(test) << ")\n"
     << "train (baseline) " << s.get_string("train") << ": " << train.curves.size() << " objects ("
     << class_counts(train) << ")\n\n"
     << "Phases: full = all observations; at peak = observations up to the true rest-frame B "
        "peak (metadata true_peakmjd); before peak = up to peak - "
     << before
     << " observer days. AGN (no peak) use a pseudo-peak uniform over the survey +- 50 d "
        "(hash of the object id). An object enters a phase with >= "
     << min_det
     << " detections (S/N >= 5) up to the cut; both methods see the same objects and the same "
        "observation window ([first detection - "
     << c.window_pre_days << " d, + " << c.window_post_days
     << " d] of the truncated curve). The GRU is one network for all phases, redshift masked "
        "in half its training curves; the baseline is a random forest ("
     << ro.trees << " trees, depth " << ro.max_depth << ", flat class weights, probabilities "
     << "(1 - " << floor << ") p + " << floor
     << "/6) refitted per phase and per redshift setting on the training set's curves "
        "truncated the same way, on joint Bazin-fit features.\n\n"
     << "| method | phase | host z | flat log-loss | accuracy | SN Ia AUC | objects |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows)
    md << "| " << r.method << " | " << r.phase << " | " << (r.with_z ? "yes" : "no") << " | "
       << r.log_loss << " | " << r.accuracy << " | " << r.auc << " | " << r.n << " |\n";
  if (cm_gru.defined() && cm_rf.defined()) {
    md << "\n| class (full phase, no z) | test objects | recall GRU | recall baseline |\n"
       << "|---|---|---|---|\n";
    for (int64_t i = 0; i < sv::kLightCurveClasses; ++i) {
      const double n = static_cast<double>(cm_gru[i].sum().item<int64_t>());
      md << "| " << kClassNames[i] << " | " << n << " | "
         << (n > 0 ? cm_gru[i][i].item<int64_t>() / n : NAN) << " | "
         << (n > 0 ? cm_rf[i][i].item<int64_t>() / n : NAN) << " |\n";
    }
  }
  md << "\nGRU against the truncation time (observations up to peak + offset; full-phase "
        "objects with fewer detections by then drop out):\n\n"
     << "| offset [d] | objects | accuracy (no z) | Ia AUC (no z) | accuracy (z) | Ia AUC (z) "
        "|\n|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < offsets.size(); ++i)
    md << "| " << offsets[i] << " | " << curve[i][0].n << " | " << curve[i][0].accuracy << " | "
       << curve[i][0].auc << " | " << curve[i][1].accuracy << " | " << curve[i][1].auc << " |\n";
  if (!importance.empty()) {
    const auto names = sv::transient_feature_names(false);
    std::vector<std::size_t> ord(importance.size());
    for (std::size_t i = 0; i < ord.size(); ++i) ord[i] = i;
    std::sort(ord.begin(), ord.end(),
              [&](std::size_t a, std::size_t b) { return importance[a] > importance[b]; });
    md << "\nBaseline feature importance (Gini decrease, full phase, no z), top 8:";
    for (std::size_t i = 0; i < std::min<std::size_t>(8, ord.size()); ++i)
      md << " " << names[ord[i]] << " " << importance[ord[i]] << (i + 1 < 8 ? "," : "");
    md << "\n";
  }
  md << "\nwall times: GRU inference " << t_gru << " s (all phases, both z settings), Bazin fits "
     << t_fit << " s (training and test curves, 3 phases), random forests " << t_forest
     << " s (6 fits and predictions); " << at::get_num_threads() << " torch thread(s)\n";

  const std::string table = out.path() + "/transients_eval.md";
  sim::write_file_atomic(table, md.str());
  std::vector<std::string> files = {table};
  if (cm_gru.defined()) {
    const std::string png = out.path() + "/confusion_gru.png";
    write_confusion_png(png, "GRU, held-out curves, full phase, no host z (row fractions)", cm_gru);
    files.push_back(png);
  }
  if (cm_rf.defined()) {
    const std::string png = out.path() + "/confusion_baseline.png";
    write_confusion_png(
        png, "Bazin + random forest, held-out curves, full phase, no host z (row fractions)",
        cm_rf);
    files.push_back(png);
  }
  {
    viz::PlotSpec p;
    p.title = "SN Ia AUC and accuracy against the truncation time (held-out curves)";
    p.xlabel = "last observation used: days after the true peak (observer frame)";
    p.ylabel = "accuracy (6 classes) / SN Ia vs rest AUC";
    p.yrange = viz::AxisRange{0, 1.02};
    p.legend = viz::LegendPosition::lower_right;
    const auto add = [&](const std::string& label, int z, bool auc, int color, viz::LineStyle ls) {
      viz::Series sr;
      sr.label = label;
      sr.color = viz::tab10(color);
      sr.line = ls;
      sr.marker = viz::Marker::circle;
      for (std::size_t i = 0; i < offsets.size(); ++i) {
        sr.x.push_back(offsets[i]);
        sr.y.push_back(auc ? curve[i][static_cast<std::size_t>(z)].auc
                           : curve[i][static_cast<std::size_t>(z)].accuracy);
      }
      p.series.push_back(sr);
    };
    add("GRU Ia AUC, no z", 0, true, 0, viz::LineStyle::solid);
    add("GRU Ia AUC, with z", 1, true, 0, viz::LineStyle::dashed);
    add("GRU accuracy, no z", 0, false, 1, viz::LineStyle::solid);
    add("GRU accuracy, with z", 1, false, 1, viz::LineStyle::dashed);
    for (int m = 0; m < 2; ++m) {
      viz::Series sr;
      sr.label = m == 0 ? "baseline Ia AUC, no z (at -" + sim::format_setting(before) + ", 0 d)"
                        : "baseline accuracy, no z";
      sr.color = viz::tab10(m == 0 ? 2 : 3);
      sr.line = viz::LineStyle::none;
      sr.marker = viz::Marker::square;
      for (const Row& r : base_rows) {
        if (r.with_z || r.phase == "full") continue;
        sr.x.push_back(r.phase == "at peak" ? 0.0 : -before);
        sr.y.push_back(m == 0 ? r.auc : r.accuracy);
      }
      p.series.push_back(sr);
    }
    const std::string png = out.path() + "/phase_curve.png";
    viz::write_plot_png(png, p);
    files.push_back(png);
  }
  std::ostringstream sum;
  sum << "# cosmograd discover transients evaluate\n" << md.str();
  finish_mock_dir(out, files, "", s, "cosmograd discover transients evaluate");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int discover_transients(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd discover transients train|evaluate [config.ini] [--key value ...]\n"
      "  train     a GRU light-curve classifier on `mock lightcurves` (random truncations,\n"
      "            host redshift masked at random), model discover_transients_gru.cgm\n"
      "  evaluate  flat log-loss, accuracy, SN Ia AUC on held-out curves at full phase, at\n"
      "            and before the peak, with and without z, beside a Bazin-feature random forest";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd discover transients: give train or evaluate");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return transients_train(rest);
  if (args[0] == "evaluate") return transients_evaluate(rest);
  throw std::invalid_argument("cosmograd discover transients: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate)");
}

}  // namespace cosmograd::apps
