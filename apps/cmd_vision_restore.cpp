// `cosmograd vision restore train|evaluate|apply`: the U-Net that denoises and deconvolves
// single-galaxy stamps to their noiseless, PSF-free light (surveys/vision/restorer.hpp),
// trained and evaluated on a stamp set with /intrinsic (`cosmograd mock stamps`), against
// Wiener deconvolution and Richardson-Lucy (surveys/vision/deconvolution.hpp) on the same
// held-out stamps.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/io/png.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/vision/restorer.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int restore_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"stamps", "", "", "stamp set with /intrinsic (stamps.h5 of `mock stamps`)"},
      {"depth", "", "3", "U-Net downsamplings (the stamp side must be a multiple of 2^depth)"},
      {"base_channels", "", "16", "U-Net channels at the finest level (doubling per level)"},
      {"norm_groups", "", "4", "group-norm groups (0: none)"},
      {"soften", "sigma", "3", "asinh softening of the input and output scaling"},
      {"output", "", "asinh", "output scaling of the intrinsic image: asinh or linear"},
      {"linear_weight", "", "1", "weight of the linear (x_hat - x)^2 / (soften sigma)^2 loss term"},
      {"flux_weight", "", "0.1",
       "weight of the flux term ((sum x_hat - sum x) / (soften sigma S))^2"},
      {"residual", "", "true", "learn a correction to the noisy input"},
      {"steps", "", "4000", "optimiser steps"},
      {"batch", "", "32", "stamps per step"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"validation_fraction", "", "0.1", "stamps for model selection and the RL iterations"},
      {"test_fraction", "", "0.2", "held-out stamps for `vision restore evaluate`"},
      {"validate_every", "", "250", "steps between validations (the best model is kept)"},
      {"rl_max_iterations", "", "200", "Richardson-Lucy iterations tried on the validation set"},
      {"rl_pedestal", "sigma", "3", "Richardson-Lucy background pedestal"},
      {"seed", "", "1", "split, initialisation and batch seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "vision_restore", "output directory (vision_restorer.cgm)"},
  };
  const ParsedArgs parsed = parse_command(
      "vision restore train",
      "usage: cosmograd vision restore train [config.ini] --stamps FILE [--key value ...] "
      "[--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "",
                     "is empty (allowed: a stamp set with /intrinsic, --stamps FILE)");
  set_torch_threads(s);
  surveys::RestorerTrainOptions o;
  o.depth = s.get_int("depth");
  o.base_channels = s.get_int("base_channels");
  o.norm_groups = s.get_int("norm_groups");
  o.soften = s.get_double("soften");
  o.output = s.get_string("output");
  o.linear_weight = s.get_double("linear_weight");
  o.flux_weight = s.get_double("flux_weight");
  o.residual = s.get_bool("residual");
  o.steps = s.get_int("steps");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.validation_fraction = s.get_double("validation_fraction");
  o.test_fraction = s.get_double("test_fraction");
  o.validate_every = s.get_int("validate_every");
  o.log_every = o.validate_every;
  o.rl_max_iterations = s.get_int("rl_max_iterations");
  o.rl_pedestal_sigmas = s.get_double("rl_pedestal");
  o.seed = seed_setting(s);
  o.validate();
  const surveys::StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::RestorerTrainReport rep;
  surveys::Restorer model = surveys::train_restorer(set, o, &rep);
  nn::ModelHeader header = model->header();
  surveys::add_restorer_training_header(header, set, o, rep);
  const std::string path = out.path() + "/vision_restorer.cgm";
  nn::save_model(path, *model, header);
  std::ostringstream sum;
  sum << "# cosmograd vision restore train\nstamps " << set.count() << " (train " << rep.train
      << ", validation " << rep.validation << ", test " << rep.test << ")\nseconds " << rep.seconds
      << "\nbest_step " << rep.best_step << "\nvalidation_mse_sigma2_unet "
      << rep.validation_mse_sigma2 << "\nvalidation_mse_sigma2_wiener "
      << rep.validation_wiener_mse_sigma2 << "\nvalidation_mse_sigma2_richardson_lucy "
      << rep.validation_rl_mse_sigma2 << "\nrl_iterations " << model->config().rl_iterations
      << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd vision restore train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Per-stamp metrics of one method on the test rows.
struct MethodResult {
  std::string name;
  torch::Tensor restored;                        // [B, S, S] float64 [unit]
  std::vector<double> mse, rel_mse, flux, size;  // per stamp; size: relative R_e error
  double ms_per_stamp = 0;
};

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

double mean_of(const std::vector<double>& v, const std::vector<std::size_t>& rows) {
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t i : rows)
    if (std::isfinite(v[i])) {
      sum += v[i];
      ++n;
    }
  return n ? sum / static_cast<double>(n) : std::nan("");
}

std::vector<double> pick(const std::vector<double>& v, const std::vector<std::size_t>& rows) {
  std::vector<double> out;
  for (std::size_t i : rows) out.push_back(v[i]);
  return out;
}

int restore_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_restorer.cgm of `vision restore train`"},
      {"stamps", "", "", "the stamp set it was trained on (its held-out rows are evaluated)"},
      {"mag_split", "mag", "22", "magnitude splitting the two bins of the tables"},
      {"examples", "", "8", "stamps in the example grid (spread over magnitude)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "vision_restore_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision restore evaluate",
      "usage: cosmograd vision restore evaluate --model FILE --stamps FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a vision_restorer.cgm, --model FILE)");
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "", "is empty (allowed: the model's training stamp set)");
  const double mag_split = s.get_double("mag_split");
  const long long n_examples = s.get_int("examples");
  if (n_examples < 1 || n_examples > 64)
    sim::bad_setting("examples", std::to_string(n_examples), "is out of range (allowed: 1 to 64)");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::Restorer model = surveys::load_restorer(s.get_string("model"), &h);
  const surveys::RestorerConfig& c = model->config();
  const surveys::StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  if (h.get_int("restore_train_stamps") != static_cast<int64_t>(set.count()))
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "holds " + std::to_string(set.count()) + " stamps; the model was trained on " +
                         h.get("restore_train_stamps") + " (give the same file)");
  if (set.intrinsic.empty())
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has no /intrinsic (allowed: a stamp set with the truth of `mock stamps`)");
  if (set.size != c.size)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has stamps of side " + std::to_string(set.size) + " (allowed: the model's " +
                         std::to_string(c.size) + ")");
  const surveys::StampSplit split =
      surveys::split_stamps(set.count(), h.get_double("restore_train_validation_fraction"),
                            h.get_double("restore_train_test_fraction"),
                            static_cast<std::uint64_t>(h.get_int("restore_train_seed")));
  if (split.test.empty())
    throw std::invalid_argument(
        "vision restore evaluate: the model was trained with "
        "test_fraction 0 (no held-out stamps)");
  const surveys::RestoreRows test = surveys::restore_rows(set, split.test);
  const std::size_t n = split.test.size();
  std::vector<double> sigma = to_vector(test.sigma), mag;
  for (std::size_t r : split.test) mag.push_back(set.mag[r]);

  std::vector<MethodResult> methods;
  auto run = [&](const std::string& name, const std::function<torch::Tensor()>& f) {
    const auto t0 = Clock::now();
    MethodResult m;
    m.name = name;
    m.restored = f().to(torch::kFloat64);
    m.ms_per_stamp = 1e3 * seconds_since(t0) / static_cast<double>(n);
    methods.push_back(std::move(m));
  };
  run("noisy input (no restoration)", [&] { return test.images; });
  run("U-Net", [&] { return model->restore(test.images, test.psfs, test.sigma); });
  run("Wiener", [&] {
    return surveys::wiener_deconvolve(test.images, test.psfs, test.sigma,
                                      surveys::wiener_prior_grid(c.wiener));
  });
  run("Richardson-Lucy", [&] {
    return surveys::richardson_lucy(test.images, test.psfs, test.sigma, c.rl_iterations,
                                    c.rl_pedestal_sigmas);
  });
  // Sizes: measure_stamp's half-light radius on each restoration (with the stamp's sigma) and
  // on the truth (sigma 1e-6 of the stamp's: the whole galaxy).
  std::vector<double> tiny;
  for (double v : sigma) tiny.push_back(1e-6 * v);
  const std::vector<double> re_true = surveys::half_light_radii(test.intrinsic, tiny);
  for (MethodResult& m : methods) {
    m.mse = to_vector(surveys::mse_over_sigma2(m.restored, test.intrinsic, test.sigma));
    m.rel_mse = to_vector(surveys::relative_mse(m.restored, test.intrinsic));
    m.flux = to_vector(surveys::flux_error(m.restored, test.intrinsic));
    const std::vector<double> re = surveys::half_light_radii(m.restored, sigma);
    for (std::size_t i = 0; i < n; ++i) m.size.push_back(re[i] / re_true[i] - 1);
  }

  std::vector<std::size_t> all(n), bright, faint;
  for (std::size_t i = 0; i < n; ++i) {
    all[i] = i;
    (mag[i] < mag_split ? bright : faint).push_back(i);
  }
  std::ostringstream md;
  md << std::setprecision(4);
  md << "# Restoration of held-out stamps: U-Net against Wiener and Richardson-Lucy\n\n"
     << "stamps: " << s.get_string("stamps") << " (" << set.source << "), held-out test split " << n
     << " of " << set.count() << " (seed " << h.get("restore_train_seed")
     << ", never seen in training or model selection)\nmodel: " << s.get_string("model")
     << " (trained " << h.get("restore_train_steps") << " steps, batch "
     << h.get("restore_train_batch") << ", " << std::setprecision(3)
     << h.get_double("restore_train_seconds") << std::setprecision(4) << " s; kept step "
     << h.get("restore_train_best_step") << ")\nreproduce: cosmograd vision "
     << "restore evaluate --model " << s.get_string("model") << " --stamps "
     << s.get_string("stamps") << " --mag_split " << mag_split << "\n\n"
     << "Truth: /intrinsic, the pixel-integrated light before the PSF. Wiener: X = H* Y / "
        "(|H|^2 + sigma^2 S^2 / P(k)) with P(k) the mean power spectrum of the training "
        "split's intrinsic images (annuli in |k|, log-interpolated; a real Wiener filter with a "
        "prior learned from the training set, periodic stamps). Richardson-Lucy: "
     << c.rl_iterations << " iterations (least validation MSE), on y + " << c.rl_pedestal_sigmas
     << " sigma, pedestal subtracted after, from a flat start.\n\n"
     << "Columns: MSE/sigma^2 = mean over pixels of (restored - truth)^2 / sigma^2 (mean and "
        "median over stamps); relative MSE = sum (restored - truth)^2 / sum truth^2 per stamp "
        "(median); flux = (sum restored - sum truth) / sum truth over the stamp; size = "
        "R_e(restored) / R_e(truth) - 1 with R_e measure_stamp's half-light radius; bias = "
        "median, scatter = 1.4826 MAD. The noisy row is the PSF-convolved input itself.\n";
  struct Bin {
    std::string title;
    const std::vector<std::size_t>* rows;
  };
  std::ostringstream bl, fl;
  bl << "mag < " << mag_split;
  fl << "mag >= " << mag_split;
  for (const Bin& bin : {Bin{"all", &all}, Bin{bl.str(), &bright}, Bin{fl.str(), &faint}}) {
    md << "\n## " << bin.title << " (" << bin.rows->size() << " stamps)\n\n"
       << "| method | MSE/sigma^2 mean | MSE/sigma^2 median | relative MSE median | flux bias | "
          "flux scatter | size bias | size scatter | sizes measured |\n"
       << "|---|---|---|---|---|---|---|---|---|\n";
    if (bin.rows->empty()) continue;
    for (const MethodResult& m : methods) {
      const surveys::RobustStats mse = surveys::robust_stats(pick(m.mse, *bin.rows));
      const surveys::RobustStats rel = surveys::robust_stats(pick(m.rel_mse, *bin.rows));
      const surveys::RobustStats flux = surveys::robust_stats(pick(m.flux, *bin.rows));
      const surveys::RobustStats size = surveys::robust_stats(pick(m.size, *bin.rows));
      md << "| " << m.name << " | " << mean_of(m.mse, *bin.rows) << " | " << mse.median << " | "
         << rel.median << " | " << flux.median << " | " << flux.scatter << " | " << size.median
         << " | " << size.scatter << " | " << size.count << " |\n";
    }
  }
  md << "\nTime per stamp on this CPU (" << at::get_num_threads() << " torch threads): ";
  for (std::size_t k = 1; k < methods.size(); ++k)
    md << (k > 1 ? ", " : "") << methods[k].name << " " << methods[k].ms_per_stamp << " ms";
  md << ".\n\nFiles: restore_eval.csv (per stamp), restore_examples.png (rows: noisy, U-Net, "
        "Wiener, Richardson-Lucy, truth; columns: stamps spread over magnitude, bright to faint; "
        "asinh grey, one stretch per column), restore_mse_vs_mag.png.\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/restore_eval.md",
                    csv_path = out.path() + "/restore_eval.csv",
                    png = out.path() + "/restore_examples.png",
                    plot = out.path() + "/restore_mse_vs_mag.png";
  sim::write_file_atomic(table, md.str());
  {
    std::ostringstream csv;
    csv << std::setprecision(7) << "stamp,mag,sigma,re_true_px";
    const char* tags[] = {"noisy", "unet", "wiener", "rl"};
    for (const char* t : tags)
      csv << "," << t << "_mse_sigma2," << t << "_relative_mse," << t << "_flux_error," << t
          << "_size_error";
    csv << "\n";
    for (std::size_t i = 0; i < n; ++i) {
      csv << split.test[i] << "," << mag[i] << "," << sigma[i] << "," << re_true[i];
      for (const MethodResult& m : methods)
        csv << "," << m.mse[i] << "," << m.rel_mse[i] << "," << m.flux[i] << "," << m.size[i];
      csv << "\n";
    }
    sim::write_file_atomic(csv_path, csv.str());
  }
  {
    // Examples spread over magnitude: quantiles of the test stamps sorted bright to faint.
    std::vector<std::size_t> order(all);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return mag[a] < mag[b]; });
    const auto cols = static_cast<std::size_t>(std::min<long long>(n_examples, n));
    std::vector<int64_t> chosen;
    std::vector<double> chosen_sigma;
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t i = order[(2 * j + 1) * n / (2 * cols)];
      chosen.push_back(static_cast<int64_t>(i));
      chosen_sigma.push_back(sigma[i]);
    }
    const torch::Tensor idx = torch::tensor(chosen, torch::kLong);
    std::vector<torch::Tensor> rows;
    for (const MethodResult& m : methods) rows.push_back(m.restored.index_select(0, idx));
    rows.push_back(test.intrinsic.index_select(0, idx));
    write_stamp_rows_png(png, rows, chosen_sigma, rows.size() - 1);
  }
  {
    // Median MSE/sigma^2 in magnitude bins of 0.5 mag.
    viz::PlotSpec spec;
    spec.title = "Restoration of held-out stamps: median MSE / #gs#u2#d per 0.5 mag bin";
    spec.xlabel = "i [AB mag]";
    spec.ylabel = "MSE / #gs#u2#d";
    spec.logy = true;
    const double lo = std::floor(2 * *std::min_element(mag.begin(), mag.end())) / 2;
    const double hi = std::ceil(2 * *std::max_element(mag.begin(), mag.end())) / 2;
    for (std::size_t k = 0; k < methods.size(); ++k) {
      viz::Series ser;
      ser.label = methods[k].name;
      ser.marker = viz::Marker::circle;
      for (double m0 = lo; m0 < hi - 1e-9; m0 += 0.5) {
        std::vector<double> v;
        for (std::size_t i = 0; i < n; ++i)
          if (mag[i] >= m0 && mag[i] < m0 + 0.5) v.push_back(methods[k].mse[i]);
        if (v.size() < 5) continue;
        ser.x.push_back(m0 + 0.25);
        ser.y.push_back(surveys::robust_stats(v).median);
      }
      spec.series.push_back(ser);
    }
    viz::write_plot_png(plot, spec);
  }
  finish_mock_dir(out, {table, csv_path, png, plot}, md.str(), s,
                  "cosmograd vision restore evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

int restore_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "vision_restorer.cgm of `vision restore train`"},
      {"stamps", "", "", "stamp set to restore (same pixel scale; side a multiple of 2^depth)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "vision_restored", "output directory (restored.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "vision restore apply",
      "usage: cosmograd vision restore apply --model FILE --stamps FILE [--out DIR]\n"
      "writes restored.h5: a stamp set whose /images are the U-Net's restorations (the light\n"
      "before the PSF), /psfs centred deltas, /noise_sigma the input's, other fields copied",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a vision_restorer.cgm, --model FILE)");
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "", "is empty (allowed: a stamp set, --stamps FILE)");
  set_torch_threads(s);
  surveys::Restorer model = surveys::load_restorer(s.get_string("model"));
  const surveys::RestorerConfig& c = model->config();
  surveys::StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  if (std::abs(set.pixel_scale / c.pixel_scale - 1) > 0.01)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has pixel_scale " + std::to_string(set.pixel_scale) +
                         " arcsec (allowed: the model's " + std::to_string(c.pixel_scale) +
                         " +-1%)");
  if (set.size % (1 << c.depth) != 0)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has stamps of side " + std::to_string(set.size) +
                         " (allowed: a multiple of 2^depth = " + std::to_string(1 << c.depth) +
                         ")");
  std::vector<std::size_t> rows(set.count());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const auto t0 = Clock::now();
  const surveys::RestoreRows in = surveys::restore_rows(set, rows);
  const torch::Tensor restored = model->restore(in.images, in.psfs, in.sigma).contiguous();
  const double seconds = seconds_since(t0);
  set.images.assign(restored.data_ptr<float>(), restored.data_ptr<float>() + restored.numel());
  set.noiseless.clear();
  const std::size_t pp = static_cast<std::size_t>(set.psf_size) * set.psf_size;
  std::fill(set.psfs.begin(), set.psfs.end(), 0.0f);
  for (std::size_t k = 0; k < set.count(); ++k) set.psfs[k * pp + pp / 2] = 1.0f;
  set.source += "; restored by cosmograd vision restore apply --model " + s.get_string("model");
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string path = out.path() + "/restored.h5";
  surveys::write_stamp_set(path, set);
  std::ostringstream sum;
  sum << "# cosmograd vision restore apply\nstamps " << set.count() << "\nseconds " << seconds
      << "\nrestored " << path << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd vision restore apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int vision_restore(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd vision restore train|evaluate|apply [config.ini] [--key value ...]\n"
      "  train     the restoration U-Net on a stamp set with /intrinsic (and the baselines' "
      "tuning)\n"
      "  evaluate  U-Net, Wiener and Richardson-Lucy on its held-out stamps: MSE, flux and size "
      "bias\n"
      "  apply     restore every stamp of a stamp set into restored.h5";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd vision restore: give train, evaluate or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return restore_train(rest);
  if (args[0] == "evaluate") return restore_evaluate(rest);
  if (args[0] == "apply") return restore_apply(rest);
  throw std::invalid_argument("cosmograd vision restore: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate, apply)");
}

}  // namespace cosmograd::apps
