// `cosmograd discover ssl train|embed|probe`: a self-supervised (SimCLR, Chen et al. 2020)
// encoder of single-band galaxy stamps with astronomical augmentations (Hayat et al. 2021;
// Stein et al. 2022), its embeddings file (surveys/discovery/embeddings_file.hpp), and the
// linear probe of those embeddings on mock labels (morphology class, redshift bin) beside a
// ResNet of the encoder's architecture trained with the same labels and a softmax regression
// on non-parametric measures, at a small share of labels and at all of them.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

#include "apps/discover.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/core/settings.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/discovery/embeddings_file.hpp"
#include "surveys/discovery/ssl_encoder.hpp"
#include "surveys/discovery/ssl_probe.hpp"
#include "surveys/mocks/table.hpp"
#include "surveys/vision/morphology_labels.hpp"
#include "surveys/vision/stamp_classifier.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

constexpr const char* kModelFile = "discover_ssl_encoder.cgm";

/// A stamp set (DIR/stamps.h5, or a stamps file) and its truth table when present.
struct SslData {
  surveys::StampSet set;
  surveys::Table truth;  // no columns when there is no truth.h5
  std::string path;
};

SslData read_ssl_data(const std::string& key, const std::string& path) {
  namespace fs = std::filesystem;
  SslData d;
  d.path = path;
  const bool dir = fs::is_directory(path);
  const std::string stamps = dir ? path + "/stamps.h5" : path;
  if (!fs::exists(stamps))
    sim::bad_setting(key, path, "has no stamp set (give a `mock stamps` directory or stamps file)");
  d.set = surveys::read_stamp_set(stamps);
  const std::string truth = (fs::path(stamps).parent_path() / "truth.h5").string();
  if (fs::exists(truth)) {
    for (surveys::Table& t : surveys::read_tables_hdf5(truth))
      if (t.name == "truth") d.truth = std::move(t);
    if (!d.truth.columns.empty() && d.truth.rows() != d.set.count())
      sim::bad_setting(key, path,
                       "has a truth table of " + std::to_string(d.truth.rows()) + " rows for " +
                           std::to_string(d.set.count()) + " stamps");
  }
  return d;
}

bool has_column(const surveys::Table& t, const std::string& name) {
  for (const surveys::Column& c : t.columns)
    if (c.name == name) return true;
  return false;
}

/// Integer labels of a truth column (int32 or int64) at rows.
std::vector<int32_t> int_column(const surveys::Table& t, const std::string& name,
                                const std::vector<std::size_t>& rows) {
  const surveys::Column& c = t.column(name);
  std::vector<int32_t> out;
  for (std::size_t r : rows) {
    if (c.type_name() == "int32")
      out.push_back(c.as<int32_t>()[r]);
    else if (c.type_name() == "int64")
      out.push_back(static_cast<int32_t>(c.as<int64_t>()[r]));
    else
      throw std::invalid_argument("truth column '" + name + "' is " + c.type_name() +
                                  " (need int32 or int64)");
  }
  return out;
}

std::vector<double> redshifts(const surveys::Table& t, const std::vector<std::size_t>& rows) {
  const surveys::Column& c = t.column("redshift_true");
  std::vector<double> z;
  for (std::size_t r : rows)
    z.push_back(c.type_name() == "float32" ? static_cast<double>(c.as<float>()[r])
                                           : c.as<double>()[r]);
  return z;
}

std::vector<double> header_edges(const nn::ModelHeader& h) {
  std::vector<double> e;
  for (const std::string& v : sim::split_list(h.get("ssl_zbin_edges"))) e.push_back(std::stod(v));
  if (e.size() < 3) throw std::runtime_error(h.source() + ": ssl_zbin_edges needs >= 3 values");
  return e;
}

/// The labels of rows: "morphology" (truth column arms) and "zbin" (redshift_true in the
/// model's bins) when the truth has them, and any int column "anomaly".
std::map<std::string, std::vector<int32_t>> truth_labels(const SslData& d,
                                                         const std::vector<double>& edges,
                                                         const std::vector<std::size_t>& rows) {
  std::map<std::string, std::vector<int32_t>> out;
  if (d.truth.columns.empty()) return out;
  if (has_column(d.truth, "arms")) {
    std::vector<int32_t> m;
    for (int32_t a : int_column(d.truth, "arms", rows))
      m.push_back(a < 0 ? -1 : static_cast<int32_t>(surveys::morphology_class(a)));
    out["morphology"] = m;
  }
  if (has_column(d.truth, "redshift_true")) {
    std::vector<int32_t> b;
    for (double z : redshifts(d.truth, rows)) b.push_back(surveys::bin_of(z, edges));
    out["zbin"] = b;
  }
  if (has_column(d.truth, "anomaly")) out["anomaly"] = int_column(d.truth, "anomaly", rows);
  return out;
}

std::string join_doubles(const std::vector<double>& v) {
  std::ostringstream s;
  s << std::setprecision(17);
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

/// The train/validation/test split recorded in a model header (the set must hold the same N).
surveys::StampSplit model_split(const nn::ModelHeader& h, std::size_t n, const std::string& key,
                                const std::string& value) {
  if (h.get_int("ssl_stamps") != static_cast<int64_t>(n))
    sim::bad_setting(key, value,
                     "holds " + std::to_string(n) + " stamps; the model was trained on a set of " +
                         h.get("ssl_stamps") + " (give the same set, or --split all)");
  surveys::StampSplit split = surveys::split_stamps(
      n, h.get_double("ssl_validation_fraction"), h.get_double("ssl_test_fraction"),
      static_cast<std::uint64_t>(h.get_int("ssl_split_seed")));
  const auto nt = static_cast<std::size_t>(h.get_int("ssl_train_stamps"));
  if (nt < split.train.size()) split.train.resize(nt);
  return split;
}

int ssl_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"stamps", "", "", "directory of `cosmograd mock stamps` (stamps.h5, truth.h5)"},
      {"epochs", "", "10", "passes over the training stamps (2 views each)"},
      {"batch", "", "256", "stamps per step (NT-Xent over 2 x batch views)"},
      {"lr", "", "2e-3", "AdamW peak learning rate (warm-up, cosine decay to 1/50)"},
      {"weight_decay", "", "1e-4", "AdamW decoupled weight decay"},
      {"temperature", "", "0.2", "NT-Xent temperature tau"},
      {"max_seconds", "s", "0", "stop training after this wall time (0: no limit)"},
      {"stage_channels", "", "16,32,64", "ResNet stage widths (each after the first halves H, W)"},
      {"blocks_per_stage", "", "2", "ResNet basic blocks per stage"},
      {"embedding_dim", "", "64", "dimension D of the representation (the embedding)"},
      {"projection_dim", "", "64", "output dimension of the 2-layer projection head"},
      {"soften", "sigma", "3", "input scaling asinh(image / (soften noise_sigma))"},
      {"symmetries", "", "true", "random symmetry of the square (rotations by 90 deg, mirror)"},
      {"jitter_px", "pixels", "2", "centre shift, uniform in [-jitter, jitter] per axis"},
      {"scale_min", "", "0.9", "size scaling, log-uniform in [scale_min, scale_max]"},
      {"scale_max", "", "1.1", "upper end of the size scaling"},
      {"warp_probability", "", "0.5",
       "share of views resampled (scaling, sub-pixel shift); others shift by whole pixels"},
      {"flux_min", "", "0.8", "brightness factor, log-uniform in [flux_min, flux_max]"},
      {"flux_max", "", "1.25", "upper end of the brightness factor"},
      {"noise_max", "sigma", "1",
       "added Gaussian noise, sigma uniform in [0, noise_max] x stamp sigma"},
      {"zbins", "", "4", "redshift bins (equal shares of the training stamps' redshift_true)"},
      {"train_stamps", "", "0", "use at most this many training stamps (0: all)"},
      {"validation_fraction", "", "0.1", "stamps for the validation loss"},
      {"test_fraction", "", "0.2", "held-out stamps for `discover ssl probe`"},
      {"seed", "", "1", "split, initialisation, batch and augmentation seed"},
      {"threads", "", "1", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "ssl_train", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "discover ssl train",
      "usage: cosmograd discover ssl train --stamps DIR [--key value ...] [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd discover ssl train: give --stamps DIR");
  set_torch_threads(s);
  surveys::SslTrainOptions o;
  o.epochs = s.get_int("epochs");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.temperature = s.get_double("temperature");
  o.max_seconds = s.get_double("max_seconds");
  o.seed = seed_setting(s);
  surveys::SslAugmentOptions& a = o.augment;
  a.symmetries = s.get_bool("symmetries");
  a.jitter_px = s.get_double("jitter_px");
  a.scale_min = s.get_double("scale_min");
  a.scale_max = s.get_double("scale_max");
  a.warp_probability = s.get_double("warp_probability");
  a.flux_min = s.get_double("flux_min");
  a.flux_max = s.get_double("flux_max");
  a.noise_max = s.get_double("noise_max");
  a.soften = s.get_double("soften");
  o.validate();
  const double vf = s.get_double("validation_fraction"), tf = s.get_double("test_fraction");
  sim::require(vf > 0 && tf > 0 && vf + tf < 0.9, "validation_fraction + test_fraction", vf + tf,
               "both > 0, sum < 0.9");
  const long long zbins = s.get_int("zbins");
  sim::check_int_range("zbins", zbins, 2, 20);
  const long long max_train = s.get_int("train_stamps");
  sim::require(max_train >= 0, "train_stamps", static_cast<double>(max_train), ">= 0");
  surveys::SslEncoderConfig c;
  c.stage_channels = int_list(s, "stage_channels");
  c.blocks_per_stage = s.get_int("blocks_per_stage");
  c.embedding_dim = s.get_int("embedding_dim");
  c.projection_dim = s.get_int("projection_dim");

  const SslData d = read_ssl_data("stamps", s.get_string("stamps"));
  c.size = d.set.size;
  c.validate();
  if (d.truth.columns.empty() || !has_column(d.truth, "redshift_true"))
    sim::bad_setting("stamps", d.path, "needs truth.h5 with redshift_true (for the zbin edges)");
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::StampSplit split = surveys::split_stamps(d.set.count(), vf, tf, o.seed);
  if (max_train > 0 && static_cast<std::size_t>(max_train) < split.train.size())
    split.train.resize(static_cast<std::size_t>(max_train));
  if (split.train.size() < 2)
    sim::bad_setting("stamps", d.path, "leaves fewer than 2 training stamps");
  const std::vector<double> edges =
      surveys::quantile_bin_edges(redshifts(d.truth, split.train), static_cast<int>(zbins));
  torch::Tensor st, sv;
  const torch::Tensor xt = surveys::ssl_raw_stamps(d.set, split.train, &st);
  const torch::Tensor xv = surveys::ssl_raw_stamps(d.set, split.validation, &sv);

  surveys::SslEncoder model(c);
  surveys::SslTrainReport rep;
  surveys::train_ssl_encoder(model, xt, st, xv, sv, o, &rep);

  nn::ModelHeader h = model->header();
  h.set("ssl_stamps", static_cast<int64_t>(d.set.count()));
  h.set("ssl_split_seed", static_cast<int64_t>(o.seed));
  h.set("ssl_validation_fraction", vf);
  h.set("ssl_test_fraction", tf);
  h.set("ssl_train_stamps", static_cast<int64_t>(split.train.size()));
  h.set("ssl_soften", a.soften);
  h.set("ssl_zbin_edges", join_doubles(edges));
  h.set("ssl_pixel_scale", d.set.pixel_scale);
  h.set("ssl_band", d.set.band.empty() ? std::string("unknown") : d.set.band);
  h.set("ssl_source", d.path);
  h.set("aug_symmetries", a.symmetries ? "true" : "false");
  h.set("aug_jitter_px", a.jitter_px);
  h.set("aug_scale_min", a.scale_min);
  h.set("aug_scale_max", a.scale_max);
  h.set("aug_warp_probability", a.warp_probability);
  h.set("aug_flux_min", a.flux_min);
  h.set("aug_flux_max", a.flux_max);
  h.set("aug_noise_max", a.noise_max);
  h.set("train_epochs", static_cast<int64_t>(o.epochs));
  h.set("train_epochs_done", rep.epochs_done);
  h.set("train_steps", rep.steps);
  h.set("train_batch", static_cast<int64_t>(o.batch));
  h.set("train_lr", o.lr);
  h.set("train_weight_decay", o.weight_decay);
  h.set("train_temperature", o.temperature);
  h.set("train_seconds", rep.seconds);
  h.set("train_loss_final", rep.train_loss.back());
  h.set("train_validation_loss_final", rep.validation_loss.back());
  const std::string path = out.path() + "/" + kModelFile;
  nn::save_model(path, *model, h);

  viz::PlotSpec p;
  p.title = "discover ssl: SimCLR training (batch " + std::to_string(o.batch) + ")";
  p.xlabel = "epoch";
  p.ylabel = "NT-Xent [nats per view]";
  viz::Series tr, va;
  for (std::size_t e = 0; e < rep.train_loss.size(); ++e) {
    tr.x.push_back(static_cast<double>(e + 1));
    tr.y.push_back(rep.train_loss[e]);
  }
  va.x = tr.x;
  va.y = rep.validation_loss;
  tr.label = "training (mean over the epoch)";
  va.label = "validation (end of epoch)";
  tr.marker = va.marker = viz::Marker::circle;
  p.series = {tr, va};
  const std::string curve = out.path() + "/training_curve.png";
  viz::write_plot_png(curve, p);

  std::ostringstream sum;
  sum << std::setprecision(5) << "# cosmograd discover ssl train\nstamps " << d.set.count()
      << " (train " << split.train.size() << ", validation " << split.validation.size() << ", test "
      << split.test.size() << ")\nepochs " << rep.epochs_done << " of " << o.epochs << " ("
      << rep.steps << " steps of " << std::min<int64_t>(o.batch, xt.size(0)) << ")\nseconds "
      << rep.seconds << "\ntrain_loss";
  for (double v : rep.train_loss) sum << " " << v;
  sum << "\nvalidation_loss";
  for (double v : rep.validation_loss) sum << " " << v;
  sum << "\nzbin_edges " << join_doubles(edges) << "\n";
  finish_mock_dir(out, {path, curve}, sum.str(), s, "cosmograd discover ssl train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Rows of the set named by `which` (all, train, validation, test).
std::vector<std::size_t> rows_of(const std::string& which, const nn::ModelHeader& h,
                                 const SslData& d) {
  if (which == "all") {
    std::vector<std::size_t> r(d.set.count());
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = i;
    return r;
  }
  const surveys::StampSplit split = model_split(h, d.set.count(), "stamps", d.path);
  if (which == "train") return split.train;
  if (which == "validation") return split.validation;
  if (which == "test") return split.test;
  sim::bad_setting("split", which, "is not all, train, validation or test");
}

/// The encoder inputs (ssl_scale with the model's soften) of rows, the stamp size checked.
torch::Tensor ssl_inputs(const nn::ModelHeader& h, const SslData& d,
                         const std::vector<std::size_t>& rows) {
  if (d.set.size != h.get_int("ssl_size"))
    sim::bad_setting(
        "stamps", d.path,
        "holds " + std::to_string(d.set.size) + " px stamps; the model takes " + h.get("ssl_size"));
  torch::Tensor sigma;
  const torch::Tensor x = surveys::ssl_raw_stamps(d.set, rows, &sigma);
  return surveys::ssl_scale(x, sigma, h.get_double("ssl_soften"));
}

int ssl_embed(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "discover_ssl_encoder.cgm of `discover ssl train`"},
      {"stamps", "", "", "a `mock stamps` (or `discover inject`) directory or stamps file"},
      {"split", "", "all", "rows to embed: all, or the model's train, validation or test split"},
      {"threads", "", "1", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an existing --out file"},
      {"out", "", "embeddings.h5", "embeddings file (surveys/discovery/embeddings_file.hpp)"},
  };
  const ParsedArgs parsed = parse_command(
      "discover ssl embed",
      "usage: cosmograd discover ssl embed --model FILE --stamps DIR [--out FILE.h5]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty() || s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd discover ssl embed: give --model FILE --stamps DIR");
  const std::string out = s.get_string("out");
  if (std::filesystem::exists(out) && !s.get_bool("overwrite"))
    sim::bad_setting("out", out, "exists (give --overwrite true to replace it)");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::SslEncoder model = surveys::load_ssl_encoder(s.get_string("model"), &h);
  const SslData d = read_ssl_data("stamps", s.get_string("stamps"));
  const std::vector<std::size_t> rows = rows_of(s.get_string("split"), h, d);
  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor emb = model->embed(ssl_inputs(h, d, rows)).contiguous();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  surveys::Embeddings e;
  e.dim = emb.size(1);
  e.values.assign(emb.data_ptr<float>(), emb.data_ptr<float>() + emb.numel());
  for (std::size_t r : rows) e.index.push_back(static_cast<std::int64_t>(r));
  const std::vector<double> edges = header_edges(h);
  e.labels = truth_labels(d, edges, rows);
  if (e.labels.count("morphology")) e.label_names["morphology"] = surveys::morphology_class_names();
  if (e.labels.count("zbin")) e.label_names["zbin"] = surveys::redshift_bin_names(edges);
  e.source = d.path + " (" + s.get_string("split") + ")";
  e.model = s.get_string("model");
  const std::filesystem::path parent = std::filesystem::path(out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  surveys::write_embeddings(out, e);
  std::printf("# cosmograd discover ssl embed\nstamps %zu (%s)\ndim %lld\nlabels", rows.size(),
              s.get_string("split").c_str(), static_cast<long long>(e.dim));
  for (const auto& [name, v] : e.labels) std::printf(" %s", name.c_str());
  std::printf("\nseconds %.3f (%.3f ms per stamp)\nout %s\n", sec,
              rows.empty() ? 0.0 : 1e3 * sec / static_cast<double>(rows.size()), out.c_str());
  return 0;
}

/// One row of the probe table.
struct ProbeRow {
  std::string label;
  double fraction = 0;
  std::size_t labelled = 0;
  double ssl = NAN, supervised = NAN, features = NAN, chance = NAN;
  double supervised_seconds = 0;
};

/// Rows of `rows` (positions into it) whose label is >= 0.
std::vector<std::size_t> known(const std::vector<int32_t>& y) {
  std::vector<std::size_t> k;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] >= 0) k.push_back(i);
  return k;
}

torch::Tensor take(const torch::Tensor& x, const std::vector<std::size_t>& pos) {
  std::vector<int64_t> p(pos.begin(), pos.end());
  return x.index_select(0, torch::tensor(p, torch::kLong));
}

torch::Tensor labels_tensor(const std::vector<int32_t>& y, const std::vector<std::size_t>& pos) {
  std::vector<int64_t> v;
  for (std::size_t p : pos) v.push_back(y[p]);
  return torch::tensor(v, torch::kLong);
}

int ssl_probe(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "discover_ssl_encoder.cgm of `discover ssl train`"},
      {"stamps", "", "", "the stamp directory it was trained on (its test split is scored)"},
      {"labels", "", "morphology,zbin", "labels to probe (morphology, zbin)"},
      {"label_fraction", "", "0.1",
       "share of the training (and validation) stamps whose labels are used; also run at 1"},
      {"label_seed", "", "1", "seed of the labelled subset"},
      {"l2", "", "1e-3", "L2 penalty of the linear probes (standardised features)"},
      {"supervised", "", "true", "also train the supervised ResNet (the comparison)"},
      {"supervised_epochs", "", "4",
       "supervised epochs with all labels; with a share f of them epochs / f (same steps)"},
      {"supervised_batch", "", "64", "supervised stamps per step"},
      {"supervised_lr", "", "2e-3", "supervised AdamW peak learning rate"},
      {"threads", "", "1", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier probe in --out"},
      {"out", "", "ssl_probe", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "discover ssl probe",
      "usage: cosmograd discover ssl probe --model FILE --stamps DIR [--key value ...]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty() || s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd discover ssl probe: give --model FILE --stamps DIR");
  const double frac = s.get_double("label_fraction");
  sim::require(frac > 0 && frac <= 1, "label_fraction", frac, "in (0, 1]");
  const double l2 = s.get_double("l2");
  sim::require(l2 >= 0, "l2", l2, ">= 0");
  const long long sup_epochs = s.get_int("supervised_epochs");
  sim::check_int_range("supervised_epochs", sup_epochs, 1, 1000);
  const std::uint64_t label_seed = static_cast<std::uint64_t>(s.get_int("label_seed"));
  const std::vector<std::string> label_names = sim::split_list(s.get_string("labels"));
  if (label_names.empty()) sim::bad_setting("labels", "", "names no label (morphology, zbin)");
  for (const std::string& l : label_names)
    if (l != "morphology" && l != "zbin")
      sim::bad_setting("labels", s.get_string("labels"), "may hold only morphology and zbin");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::SslEncoder model = surveys::load_ssl_encoder(s.get_string("model"), &h);
  const SslData d = read_ssl_data("stamps", s.get_string("stamps"));
  const surveys::StampSplit split = model_split(h, d.set.count(), "stamps", d.path);
  if (split.test.empty() || split.train.empty())
    sim::bad_setting("stamps", d.path, "leaves no training or test stamps");
  const std::vector<double> edges = header_edges(h);
  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor xt = ssl_inputs(h, d, split.train), xv = ssl_inputs(h, d, split.validation),
                      xs = ssl_inputs(h, d, split.test);
  const torch::Tensor et = model->embed(xt), es = model->embed(xs);
  const double embed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const torch::Tensor ft = surveys::morphology_features(d.set, split.train);
  const torch::Tensor fs = surveys::morphology_features(d.set, split.test);
  const auto lt = truth_labels(d, edges, split.train),
             lv = truth_labels(d, edges, split.validation), ls = truth_labels(d, edges, split.test);

  std::vector<double> fractions = {frac};
  if (frac < 1) fractions.push_back(1.0);
  std::vector<ProbeRow> table;
  surveys::SslEncoderConfig ec = model->config();
  for (const std::string& name : label_names) {
    if (!lt.count(name))
      sim::bad_setting("stamps", d.path,
                       "has no truth for label " + name + " (needs arms / redshift_true)");
    const int64_t k = name == "morphology"
                          ? static_cast<int64_t>(surveys::morphology_class_names().size())
                          : static_cast<int64_t>(edges.size() - 1);
    const std::vector<std::size_t> kt = known(lt.at(name)), kv = known(lv.at(name)),
                                   ks = known(ls.at(name));
    const torch::Tensor ys = labels_tensor(ls.at(name), ks);
    const torch::Tensor counts = torch::bincount(ys, {}, k);
    for (double f : fractions) {
      ProbeRow row;
      row.label = name;
      row.fraction = f;
      row.chance = counts.max().item<double>() / static_cast<double>(ys.size(0));
      // Nested labelled subsets: positions into kt (and kv for model selection).
      std::vector<std::size_t> pt, pv;
      for (std::size_t i : surveys::labelled_subset(kt.size(), f, label_seed)) pt.push_back(kt[i]);
      for (std::size_t i : surveys::labelled_subset(kv.size(), f, label_seed + 1))
        pv.push_back(kv[i]);
      row.labelled = pt.size();
      const torch::Tensor ytr = labels_tensor(lt.at(name), pt);
      row.ssl = surveys::linear_probe_accuracy(take(et, pt), ytr, take(es, ks), ys, k, l2);
      row.features = surveys::linear_probe_accuracy(take(ft, pt), ytr, take(fs, ks), ys, k, l2);
      if (s.get_bool("supervised")) {
        surveys::StampClassifierConfig c;
        c.model_type = "discover_ssl_supervised";
        c.in_channels = 1;
        c.size = ec.size;
        c.class_names = name == "morphology" ? surveys::morphology_class_names()
                                             : surveys::redshift_bin_names(edges);
        for (std::string& n : c.class_names) std::replace(n.begin(), n.end(), '.', 'p');
        c.stage_channels = ec.stage_channels;
        c.blocks_per_stage = ec.blocks_per_stage;
        c.members = 1;
        surveys::StampClassifierTrainOptions o;
        o.epochs = std::min<int64_t>(1000, std::llround(static_cast<double>(sup_epochs) / f));
        o.batch = s.get_int("supervised_batch");
        o.lr = s.get_double("supervised_lr");
        o.seed = label_seed;
        o.log = false;
        surveys::StampClassifier net(c);
        surveys::StampClassifierTrainReport rep;
        surveys::train_stamp_classifier(net, take(xt, pt), ytr, take(xv, pv),
                                        labels_tensor(lv.at(name), pv), o, &rep);
        row.supervised_seconds = rep.seconds;
        const torch::Tensor pred = net->class_logits(take(xs, ks))[0].argmax(1);
        row.supervised = pred.eq(ys).to(torch::kFloat64).mean().item<double>();
      }
      std::printf(
          "probe %s at %.3g of the labels (%zu): ssl %.4f, supervised %.4f, features %.4f\n",
          name.c_str(), f, row.labelled, row.ssl, row.supervised, row.features);
      std::fflush(stdout);
      table.push_back(row);
    }
  }

  std::ostringstream md;
  md << std::setprecision(4) << std::fixed;
  md << "# discover ssl: linear probe of the self-supervised embeddings\n\nmodel "
     << s.get_string("model") << " (SimCLR, ResNet2d stages " << h.get("ssl_stage_channels")
     << ", D = " << h.get("ssl_embedding_dim") << ", " << h.get("train_epochs_done") << " epochs, "
     << std::setprecision(0) << h.get_double("train_seconds") << std::setprecision(4)
     << " s)\nstamps " << d.path << ": train " << split.train.size() << ", validation "
     << split.validation.size() << ", test " << split.test.size() << " (split seed "
     << h.get("ssl_split_seed")
     << "); mock truth (synthetic)\nzbins (quantiles of the training redshift_true):";
  for (const std::string& n : surveys::redshift_bin_names(edges)) md << " " << n;
  md << "\n\n"
     << "- SSL probe: softmax regression (L2 " << l2 << std::setprecision(4)
     << ") on the standardised encoder representations\n"
     << "- supervised: the encoder's ResNet2d (1 member) trained from scratch with "
        "cross-entropy on the labelled stamps (symmetry augmentation; epoch of lowest NLL on the "
        "same share of the validation labels)\n"
     << "- features: the same softmax regression on the non-parametric measures of "
        "`vision morphology` (A, G, M20, C, size, shape, S/N, PSF FWHM, azimuthal modes)\n\n"
     << "| label | labels used | SSL linear probe | supervised ResNet | features probe | "
        "majority class | SSL - supervised [points] |\n|---|---|---|---|---|---|---|\n";
  for (const ProbeRow& r : table)
    md << "| " << r.label << " | " << r.labelled << " (" << std::setprecision(0) << 100 * r.fraction
       << "%) | " << std::setprecision(4) << r.ssl << " | " << r.supervised << " | " << r.features
       << " | " << r.chance << " | " << std::setprecision(1) << 100 * (r.ssl - r.supervised)
       << " |\n"
       << std::setprecision(4);
  md << "\nembedding " << xt.size(0) + xs.size(0) << " stamps took " << std::setprecision(2)
     << embed_s << " s; supervised training [s]:";
  for (const ProbeRow& r : table)
    md << " " << r.label << "@" << r.fraction << " " << r.supervised_seconds;
  md << " (" << at::get_num_threads() << " torch threads)\n";

  viz::PlotSpec p;
  p.title = "Linear probe vs supervised on held-out mock stamps";
  p.xlabel = "labelled training stamps";
  p.ylabel = "test accuracy";
  p.logx = true;
  p.yrange = viz::AxisRange{0, 1};  // chance levels (0.25 for 4 classes) and the legend fit
  p.legend = viz::LegendPosition::lower_right;
  int color = 0;
  for (const std::string& name : label_names) {
    for (int m = 0; m < 3; ++m) {
      viz::Series sr;
      for (const ProbeRow& r : table)
        if (r.label == name) {
          sr.x.push_back(static_cast<double>(r.labelled));
          sr.y.push_back(m == 0 ? r.ssl : m == 1 ? r.supervised : r.features);
        }
      sr.label = name + (m == 0 ? ": SSL probe" : m == 1 ? ": supervised" : ": features probe");
      sr.color = viz::tab10(color);
      sr.line = m == 0   ? viz::LineStyle::solid
                : m == 1 ? viz::LineStyle::dashed
                         : viz::LineStyle::dotted;
      sr.marker = viz::Marker::circle;
      p.series.push_back(sr);
    }
    ++color;
  }
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string mdf = out.path() + "/ssl_probe.md";
  const std::string png = out.path() + "/probe.png";
  const std::string csv = out.path() + "/probe.csv";
  sim::write_file_atomic(mdf, md.str());
  viz::write_plot_png(png, p);
  std::ostringstream c;
  c << std::setprecision(6)
    << "label,fraction,labelled,ssl_probe,supervised,features_probe,majority,supervised_seconds\n";
  for (const ProbeRow& r : table)
    c << r.label << "," << r.fraction << "," << r.labelled << "," << r.ssl << "," << r.supervised
      << "," << r.features << "," << r.chance << "," << r.supervised_seconds << "\n";
  sim::write_file_atomic(csv, c.str());
  finish_mock_dir(out, {mdf, png, csv}, md.str(), s, "cosmograd discover ssl probe");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace

int discover_ssl(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd discover ssl train|embed|probe [config.ini] [--key value ...]\n"
      "  train  a SimCLR encoder (ResNet + projection head, NT-Xent) on the unlabelled\n"
      "         training stamps of a `mock stamps` directory, with astronomical augmentations\n"
      "  embed  the encoder's representations of a stamp set as an embeddings file (HDF5)\n"
      "         with the truth's labels (morphology, zbin, anomaly)\n"
      "  probe  linear-probe accuracy on the held-out split at a share of the labels and at\n"
      "         all of them, beside a supervised ResNet and a probe on hand-made features";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd discover ssl: give train, embed or probe");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return ssl_train(rest);
  if (args[0] == "embed") return ssl_embed(rest);
  if (args[0] == "probe") return ssl_probe(rest);
  throw std::invalid_argument("cosmograd discover ssl: unknown mode '" + args[0] +
                              "' (allowed: train, embed, probe)");
}

}  // namespace cosmograd::apps
