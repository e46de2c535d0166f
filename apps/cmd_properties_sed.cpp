// `cosmograd properties sed train|evaluate`: the neural emulator of the parametric SED model's
// magnitudes (surveys/properties/sed_emulator.hpp). train draws SED parameters and redshifts
// from the stated prior, computes their magnitudes directly (parametric_sed + ab_magnitudes)
// and fits the network; evaluate compares it with the direct calculation on fresh draws from
// the same prior (|Delta m| per band, speed-up) and, given a lightcone mock, runs the two
// template-fit photo-z variants (surveys/properties/template_fit.hpp) on its galaxies.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/properties.hpp"
#include "apps/properties_common.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/settings.hpp"
#include "surveys/mocks/filters.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/photoz_metrics.hpp"
#include "surveys/properties/redshift_pdf.hpp"
#include "surveys/properties/sed_emulator.hpp"
#include "surveys/properties/template_fit.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

/// Wall time since t0 [s].
/// The training prior from train's prior keys (validated).
surveys::SedPrior prior_from(const sim::Settings& s) {
  surveys::SedPrior p;
  p.log_ssfr_min = s.get_double("log_ssfr_min");
  p.log_ssfr_max = s.get_double("log_ssfr_max");
  p.age_min_gyr = s.get_double("age_min");
  p.age_max_gyr = s.get_double("age_max");
  p.dust_max = s.get_double("dust_max");
  p.metal_min = s.get_double("metal_min");
  p.metal_max = s.get_double("metal_max");
  p.z_max = s.get_double("z_max");
  p.validate();
  return p;
}

/// Comma-separated positive integers of key `key`.
std::vector<int64_t> widths(const sim::Settings& s, const std::string& key) {
  std::vector<int64_t> out;
  for (double v : s.get_doubles(key)) {
    if (!(v >= 1 && v <= 4096 && v == std::floor(v)))
      sim::bad_setting(key, s.get_string(key), "has a width that is not an integer in [1, 4096]");
    out.push_back(static_cast<int64_t>(v));
  }
  if (out.empty()) sim::bad_setting(key, "", "is empty (allowed: widths such as 128,128,128)");
  return out;
}

/// `properties sed train`: draws, direct magnitudes, training, sed_emulator.cgm.
int sed_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"samples", "", "200000", "draws from the prior (training + validation)"},
      {"validation_fraction", "", "0.05", "draws kept for model selection"},
      {"filters", "", "lsst", "builtin filter set of the magnitudes"},
      {"log_ssfr_min", "log10 1/yr", "-13.5", "prior: lowest log10 sSFR (uniform)"},
      {"log_ssfr_max", "log10 1/yr", "-8", "prior: highest log10 sSFR"},
      {"age_min", "Gyr", "0.1", "prior: youngest age (uniform in log10 age)"},
      {"age_max", "Gyr", "13.8", "prior: oldest age"},
      {"dust_max", "mag", "3", "prior: largest A_V (uniform from 0)"},
      {"metal_min", "", "0.002", "prior: least metallicity Z (uniform in log10 Z)"},
      {"metal_max", "", "0.05", "prior: most Z"},
      {"z_max", "", "1.6", "prior: highest redshift (uniform from 0)"},
      {"hidden", "", "128,128,128", "hidden layer widths"},
      {"activation", "", "silu", "activation after each hidden layer"},
      {"steps", "", "60000", "optimiser steps (cosine schedule length)"},
      {"batch", "", "512", "draws per step"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"validate_every", "", "1000", "steps between validations (the best model is kept)"},
      {"max_seconds", "s", "0", "stop training after this wall time (0: no limit)"},
      {"seed", "", "1", "prior draws, initialisation and batch seed"},
      {"threads", "", "0", "OpenMP (draws) and torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "properties_sed", "output directory (sed_emulator.cgm)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties sed train",
      "usage: cosmograd properties sed train [config.ini] [--samples N] [--key value ...] "
      "[--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  set_torch_threads(s);
  const long long samples = s.get_int("samples");
  sim::check_int_range("samples", samples, 8, 100000000);
  const std::string filter_set = s.get_string("filters");
  const auto sets = surveys::builtin_filter_sets();
  if (std::find(sets.begin(), sets.end(), filter_set) == sets.end())
    sim::bad_setting("filters", filter_set,
                     "is not a builtin filter set (allowed: lsst, "
                     "tophat_ugrizy)");
  const surveys::SedPrior prior = prior_from(s);
  surveys::SedEmulatorTrainOptions o;
  o.hidden = widths(s, "hidden");
  o.activation = s.get_string("activation");
  o.steps = s.get_int("steps");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.validation_fraction = s.get_double("validation_fraction");
  o.validate_every = s.get_int("validate_every");
  o.max_seconds = s.get_double("max_seconds");
  o.seed = seed_setting(s);
  o.validate();
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));

  const auto t0 = Clock::now();
  const std::vector<surveys::SedPoint> points =
      surveys::draw_sed_points(prior, static_cast<std::size_t>(samples), o.seed);
  const std::vector<double> mags = surveys::direct_sed_magnitudes(
      points, surveys::builtin_filters(filter_set), /*parallel=*/true);
  const double gen_seconds = seconds_since(t0);
  surveys::SedEmulatorTrainReport rep;
  surveys::SedEmulator model =
      surveys::train_sed_emulator(points, mags, prior, filter_set, o, &rep);
  nn::ModelHeader h = model->header();
  h.set("sed_train_samples", static_cast<int64_t>(samples));
  h.set("sed_train_seed", static_cast<int64_t>(o.seed));
  h.set("sed_train_steps", o.steps);
  h.set("sed_train_steps_done", rep.steps_done);
  h.set("sed_train_best_step", rep.best_step);
  h.set("sed_train_batch", o.batch);
  h.set("sed_train_lr", o.lr);
  h.set("sed_train_validation_fraction", o.validation_fraction);
  h.set("sed_train_seconds", rep.seconds);
  h.set("sed_train_generation_seconds", gen_seconds);
  h.set("sed_train_threads", static_cast<int64_t>(at::get_num_threads()));
  h.set("sed_train_validation_loss", rep.best_loss);
  h.set("sed_train_validation_mean_abs_dm", rep.validation_mean_abs);
  const std::string path = out.path() + "/sed_emulator.cgm";
  nn::save_model(path, *model, h);
  std::ostringstream sum;
  sum << "# cosmograd properties sed train\ndraws " << samples << " (train " << rep.train
      << ", validation " << rep.validation << ")\ngeneration_seconds " << gen_seconds
      << "\ntraining_seconds " << rep.seconds << "\nsteps " << rep.steps_done << " of " << o.steps
      << "\nbest_step " << rep.best_step << "\nvalidation_loss_initial " << rep.initial_loss
      << "\nvalidation_loss " << rep.best_loss << "\nvalidation_mean_abs_dm_mag "
      << rep.validation_mean_abs << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties sed train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// q-quantile (linear interpolation) of v (copied).
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double x = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(x));
  const std::size_t j = std::min(i + 1, v.size() - 1);
  return v[i] + (x - static_cast<double>(i)) * (v[j] - v[i]);
}

/// One template-fit variant's result on the mock galaxies.
struct FitResult {
  std::string name;
  surveys::TemplateFitReport report;
  surveys::PointMetrics metrics;
  std::vector<double> z_mode;
};

/// `properties sed evaluate`: held-out |Delta m|, timings and optionally the template fits.
int sed_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "sed_emulator.cgm of `properties sed train`"},
      {"samples", "", "10000", "held-out draws from the model's prior"},
      {"seed", "", "1000003", "seed of the held-out draws (must differ from the training seed)"},
      {"single_calls", "", "200", "draws also emulated one at a time (latency per call)"},
      {"galaxies", "", "", "optional lightcone mock (galaxies.h5): run the template fits on it"},
      {"max_mag", "mag", "25.3", "template fits: i-band cut of the galaxies"},
      {"fit_galaxies", "", "5000", "template fits: galaxies fitted (random, seeded by --seed)"},
      {"fit_grid_points", "", "301", "template fits: redshift grid points over [0, 1.5]"},
      {"fit_direct_templates", "", "16",
       "template fits: emulated-grid templates timed by the direct calculation (0: none)"},
      {"fit_fine_direct", "", "false",
       "template fits: also fit the fine grid computed directly (slow; isolates the emulator)"},
      {"threads", "", "0", "OpenMP and torch threads (0: all; use 1 for the timings)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "properties_sed_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "properties sed evaluate",
      "usage: cosmograd properties sed evaluate --model FILE [--galaxies FILE] [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a sed_emulator.cgm, --model FILE)");
  set_torch_threads(s);
  const long long samples = s.get_int("samples");
  sim::check_int_range("samples", samples, 1, 10000000);
  const long long single_calls = s.get_int("single_calls");
  sim::check_int_range("single_calls", single_calls, 0, samples);
  const std::uint64_t seed = seed_setting(s);
  nn::ModelHeader h;
  surveys::SedEmulator model = surveys::load_sed_emulator(s.get_string("model"), &h);
  const surveys::SedEmulatorConfig& c = model->config();
  if (h.has("sed_train_seed") && static_cast<std::uint64_t>(h.get_int("sed_train_seed")) == seed)
    sim::bad_setting("seed", s.get_string("seed"),
                     "is the training seed (allowed: any other, so the draws are held out)");
  const std::vector<surveys::SedPoint> points =
      surveys::draw_sed_points(c.prior, static_cast<std::size_t>(samples), seed);
  std::vector<surveys::Filter> filters;
  for (const std::string& band : c.bands)
    for (const surveys::Filter& f : surveys::builtin_filters(c.filter_set))
      if (f.name == band) filters.push_back(f);

  auto t0 = Clock::now();
  const std::vector<double> direct = surveys::direct_sed_magnitudes(points, filters, false);
  const double direct_s = seconds_since(t0);
  t0 = Clock::now();
  const std::vector<double> emulated = model->predict(points);
  const double emul_s = seconds_since(t0);
  double single_s = 0;
  if (single_calls > 0) {
    t0 = Clock::now();
    for (long long i = 0; i < single_calls; ++i)
      model->predict({points[static_cast<std::size_t>(i)]});
    single_s = seconds_since(t0);
  }
  const std::size_t nb = c.bands.size(), n = points.size();
  std::vector<std::vector<double>> dm(nb);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < nb; ++b)
      dm[b].push_back(std::abs(emulated[i * nb + b] - direct[i * nb + b]));

  std::ostringstream md;
  md << std::setprecision(4);
  md << "# SED emulator against the direct calculation\n\nmodel: " << s.get_string("model") << " ("
     << h.get("sed_hidden") << " " << h.get("sed_activation") << " MLP; trained on "
     << (h.has("sed_train_samples") ? h.get("sed_train_samples") : "?") << " draws, "
     << (h.has("sed_train_steps_done") ? h.get("sed_train_steps_done") : "?") << " steps, "
     << std::setprecision(3)
     << (h.has("sed_train_seconds") ? h.get_double("sed_train_seconds") : std::nan(""))
     << " s training + "
     << (h.has("sed_train_generation_seconds") ? h.get_double("sed_train_generation_seconds")
                                               : std::nan(""))
     << " s generating the set)\n"
     << std::setprecision(4) << "held-out draws: " << n << " from the same prior, seed " << seed
     << " (training seed " << (h.has("sed_train_seed") ? h.get("sed_train_seed") : "?")
     << ")\nreproduce: cosmograd properties sed evaluate --model " << s.get_string("model")
     << " --samples " << samples << " --seed " << seed << " --threads 1\n\n"
     << "Emulated quantity: t_b = AB magnitude in band b of 1 Msun of parametric_sed at "
        "redshift z seen from d_L = 10 pc (observed frame); m_b = t_b - 2.5 log10(M*/Msun) + "
        "5 log10(d_L / 10 pc) exactly. Prior (independent): log10 sSFR uniform in ["
     << c.prior.log_ssfr_min << ", " << c.prior.log_ssfr_max << "] [1/yr], age log-uniform in ["
     << c.prior.age_min_gyr << ", " << c.prior.age_max_gyr << "] Gyr, A_V uniform in ["
     << c.prior.dust_min << ", " << c.prior.dust_max << "] mag, Z log-uniform in ["
     << c.prior.metal_min << ", " << c.prior.metal_max << "], z uniform in [" << c.prior.z_min
     << ", " << c.prior.z_max << "].\n\n"
     << "| band | median abs(dm) [mag] | 68th pct [mag] | 99th pct [mag] | max [mag] |\n"
     << "|---|---|---|---|---|\n";
  std::vector<double> all_dm;
  for (std::size_t b = 0; b < nb; ++b) {
    md << "| " << c.bands[b] << " | " << quantile(dm[b], 0.5) << " | " << quantile(dm[b], 0.68)
       << " | " << quantile(dm[b], 0.99) << " | " << *std::max_element(dm[b].begin(), dm[b].end())
       << " |\n";
    all_dm.insert(all_dm.end(), dm[b].begin(), dm[b].end());
  }
  md << "| all | " << quantile(all_dm, 0.5) << " | " << quantile(all_dm, 0.68) << " | "
     << quantile(all_dm, 0.99) << " | " << *std::max_element(all_dm.begin(), all_dm.end())
     << " |\n\n";
  const int threads = at::get_num_threads();
  md << "| calculation (" << threads << " thread" << (threads == 1 ? "" : "s")
     << ") | time per draw, " << nb << " bands [ms] | speed-up |\n|---|---|---|\n"
     << "| direct (parametric_sed + ab_magnitudes) | " << 1e3 * direct_s / n << " | 1 |\n"
     << "| emulator, batched | " << 1e3 * emul_s / n << " | " << direct_s / emul_s << " |\n";
  if (single_calls > 0)
    md << "| emulator, one draw per call | " << 1e3 * single_s / single_calls << " | "
       << (direct_s / n) / (single_s / single_calls) << " |\n";

  std::vector<std::string> files;
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  {
    // Cumulative distribution of |Delta m| per band.
    viz::PlotSpec spec;
    spec.title = "SED emulator on held-out draws: fraction with |#gDm| below x";
    spec.xlabel = "|m#demulated#u - m#ddirect#u| [mag]";
    spec.ylabel = "fraction of draws";
    spec.logx = true;
    spec.legend = viz::LegendPosition::lower_right;
    for (std::size_t b = 0; b < nb; ++b) {
      std::vector<double> v = dm[b];
      std::sort(v.begin(), v.end());
      viz::Series ser;
      ser.label = c.bands[b];
      for (int k = 1; k <= 200; ++k) {
        const std::size_t i = std::min(v.size() - 1, k * v.size() / 200);
        ser.x.push_back(std::max(v[i], 1e-6));
        ser.y.push_back(static_cast<double>(i + 1) / static_cast<double>(v.size()));
      }
      spec.series.push_back(ser);
    }
    const std::string png = out.path() + "/sed_emulator_dm.png";
    viz::write_plot_png(png, spec);
    files.push_back(png);
  }

  if (!s.get_string("galaxies").empty()) {
    surveys::SampleCuts cuts;
    cuts.max_mag = s.get_double("max_mag");
    const surveys::PhotometrySample sample =
        surveys::read_photometry_sample(s.get_string("galaxies"), cuts);
    const long long fit_n = s.get_int("fit_galaxies");
    sim::check_int_range("fit_galaxies", fit_n, 1, 100000000);
    std::vector<std::size_t> rows(sample.count());
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    std::mt19937_64 rng(seed);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(std::min<std::size_t>(rows.size(), static_cast<std::size_t>(fit_n)));
    std::sort(rows.begin(), rows.end());
    if (rows.empty())
      sim::bad_setting("galaxies", s.get_string("galaxies"),
                       "has no galaxy passing i <= max_mag (allowed: a mock with some)");
    std::vector<double> z_true;
    for (std::size_t r : rows) z_true.push_back(sample.redshift[r]);
    std::vector<FitResult> results;
    std::vector<std::string> variants = {"classic", "emulated"};
    if (s.get_bool("fit_fine_direct")) variants.push_back("fine_direct");
    for (const std::string& variant : variants) {
      surveys::TemplateFitOptions fo;
      fo.templates = variant;
      fo.grid.points = static_cast<int>(s.get_int("fit_grid_points"));
      fo.direct_timing_templates = static_cast<int>(s.get_int("fit_direct_templates"));
      FitResult r;
      r.name = variant == "classic"    ? "template (classic, direct)"
               : variant == "emulated" ? "template_emulated (fine grid, emulator)"
                                       : "fine grid, direct calculation (reference)";
      const surveys::RedshiftPdfs pdfs =
          surveys::template_fit_pdfs(sample, rows, fo, &model, &r.report);
      r.z_mode = surveys::pdf_modes(pdfs);
      r.metrics = surveys::point_metrics(r.z_mode, z_true);
      results.push_back(std::move(r));
    }
    md << "\n## Template-fit photo-z on " << rows.size() << " galaxies of "
       << s.get_string("galaxies") << " (i <= " << cuts.max_mag << ", " << sample.count()
       << " pass)\n\nz_p = mode of p(z) on " << s.get_int("fit_grid_points")
       << " points over [0, 1.5]; p(z) ~ sum_templates exp(-chi2_min/2), flat prior in z, "
          "amplitude >= 0 free, 2% template error in quadrature; ez = (z_p - z_s)/(1 + z_s), "
          "bias = median ez, outliers |ez| > max(0.06, 3 sigma_IQR).\n\n"
       << "| variant | templates | models | grid build [s] | direct grid build [s] | fit time "
          "per galaxy [ms] | bias | sigma_MAD | outlier fraction |\n"
       << "|---|---|---|---|---|---|---|---|---|\n";
    for (const FitResult& r : results) {
      md << "| " << r.name << " | " << r.report.templates << " | " << r.report.models << " | "
         << r.report.grid_seconds << " | ";
      if (r.report.direct_grid_seconds > 0)
        md << r.report.direct_grid_seconds
           << (r.report.direct_grid_extrapolated ? " (scaled from a subset)" : "");
      else
        md << r.report.grid_seconds;
      md << " | " << 1e3 * r.report.fit_seconds / static_cast<double>(rows.size()) << " | "
         << r.metrics.bias << " | " << r.metrics.sigma_mad << " | " << r.metrics.outlier_fraction
         << " |\n";
    }
    const surveys::TemplateFitReport& er = results[1].report;
    if (er.direct_grid_seconds > 0)
      md << "\nEmulated grid against the direct calculation on the timed templates: median "
            "abs(dm) "
         << er.grid_median_abs_dm << " mag, max " << er.grid_max_abs_dm << " mag.\n";
    viz::PlotSpec spec;
    spec.title = "Template-fit photo-z: mode of p(z) against the true redshift";
    spec.xlabel = "z#dtrue#u";
    spec.ylabel = "z#dphot#u (mode)";
    spec.legend = viz::LegendPosition::upper_left;
    for (const FitResult& r : results) {
      viz::Series ser;
      ser.label = r.name;
      ser.x = z_true;
      ser.y = r.z_mode;
      ser.line = viz::LineStyle::none;
      ser.marker = viz::Marker::circle;
      ser.marker_size = 0.3;
      spec.series.push_back(ser);
    }
    const std::string png = out.path() + "/template_fit_zz.png";
    viz::write_plot_png(png, spec);
    files.push_back(png);
  }
  const std::string table = out.path() + "/sed_emulator.md";
  sim::write_file_atomic(table, md.str());
  files.insert(files.begin(), table);
  finish_mock_dir(out, files, md.str(), s, "cosmograd properties sed evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace

int properties_sed(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd properties sed train|evaluate [config.ini] [--key value ...]\n"
      "  train     draw SED parameters from the prior, compute magnitudes directly, fit the "
      "emulator\n"
      "  evaluate  emulator against the direct calculation on held-out draws (abs(dm), "
      "speed-up);\n"
      "            with --galaxies also the classic and emulated template-fit photo-z";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd properties sed: give train or evaluate");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return sed_train(rest);
  if (args[0] == "evaluate") return sed_evaluate(rest);
  throw std::invalid_argument("cosmograd properties sed: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate)");
}

}  // namespace cosmograd::apps
