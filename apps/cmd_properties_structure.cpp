// `cosmograd properties structure data|train|evaluate|apply`: single-Sersic stamps of a
// lightcone mock with their truth (surveys/properties/sersic_stamps.hpp), the CNN that predicts
// Sersic flux, R_e, n, q and PA with uncertainties (structure_net.hpp; DeepLeGATo, Tuccillo et
// al. 2018; GaLNets, Li et al. 2022), and its comparison with a Levenberg-Marquardt Sersic
// fitter (sersic_fit.hpp) on the same held-out stamps: fractional bias and NMAD, calibration of
// the predicted sigmas, fitter flags and galaxies per second.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/properties.hpp"
#include "apps/properties_common.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/mocks/table.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/sersic_fit.hpp"
#include "surveys/properties/sersic_stamps.hpp"
#include "surveys/properties/structure_net.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

/// The comma-separated increasing numbers of key `key`.
std::vector<double> double_list(const sim::Settings& s, const std::string& key) {
  std::vector<double> out;
  std::stringstream in(s.get_string(key));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() || !std::isfinite(v)) throw std::invalid_argument(item);
      if (!out.empty() && v <= out.back()) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      sim::bad_setting(key, s.get_string(key), "is not a list of increasing numbers (e.g. 20,40)");
    }
  }
  return out;
}

int structure_data(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"count", "", "30000", "stamps (fewer when fewer galaxies pass the cuts)"},
      {"size", "pixels", "48", "stamp side"},
      {"pixel_scale", "arcsec", "0.1", "pixel side"},
      {"band", "", "i", "band of the fluxes (mag_true_<band>) and of the noise"},
      {"max_mag", "mag", "24.5", "candidates have mag_true <= this"},
      {"min_snr", "", "20", "keep stamps with matched-filter S/N sqrt(sum model^2)/sigma >= this"},
      {"min_re_pixels", "pixels", "1", "keep R_e (van der Wel et al. 2014 size) >= this"},
      {"max_re_pixels", "pixels", "6", "keep R_e <= this"},
      {"n_min", "", "0.5", "Sersic index drawn log-uniform in [n_min, n_max]"},
      {"n_max", "", "6", "upper end of the Sersic index range (<= 6.2)"},
      {"max_ellipticity", "", "0.7", "keep lensed |e| = (a - b)/(a + b) <= this"},
      {"psf_fwhm_min", "arcsec", "0.15",
       "each stamp's Moffat (beta 3.5) FWHM is uniform in [psf_fwhm_min, psf_fwhm_max]"},
      {"psf_fwhm_max", "arcsec", "0.3", "upper end of the PSF FWHM range"},
      {"depth_mag", "mag", "", "5-sigma point-source depth (empty: the table's M5_<band>)"},
      {"sky", "mag/arcsec^2", "20.5", "sky brightness (LSST i dark sky)"},
      {"read_noise", "electrons", "9", "read noise per pixel (in the background rms)"},
      {"oversample", "", "3", "renderer sub-samples per pixel side"},
      {"truncation", "R_e", "4", "Sersic profiles truncated at this radius (the renderer's)"},
      {"seed", "", "1", "random seed (order, n, offsets, PSFs, noise)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "structure_data", "output directory (sersic_stamps.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties structure data",
      "usage: cosmograd properties structure data --galaxies FILE [--count 30000] [--key value "
      "...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty())
    sim::bad_setting("galaxies", "", "is empty (allowed: galaxies.h5 of `mock catalog`)");
  set_torch_threads(s);
  surveys::SersicStampOptions o;
  o.count = static_cast<int>(s.get_int("count"));
  o.size = static_cast<int>(s.get_int("size"));
  o.pixel_scale = s.get_double("pixel_scale");
  o.max_mag = s.get_double("max_mag");
  o.min_snr = s.get_double("min_snr");
  o.min_re_pixels = s.get_double("min_re_pixels");
  o.max_re_pixels = s.get_double("max_re_pixels");
  o.n_min = s.get_double("n_min");
  o.n_max = s.get_double("n_max");
  o.max_ellipticity = s.get_double("max_ellipticity");
  o.psf_fwhm_min = s.get_double("psf_fwhm_min");
  o.psf_fwhm_max = s.get_double("psf_fwhm_max");
  o.depth_mag = s.get_string("depth_mag").empty() ? std::nan("") : s.get_double("depth_mag");
  o.sky = s.get_double("sky");
  o.read_noise = s.get_double("read_noise");
  o.oversample = static_cast<int>(s.get_int("oversample"));
  o.truncation = s.get_double("truncation");
  o.seed = seed_setting(s);
  o.validate();
  const std::string band = s.get_string("band");
  surveys::SampleCuts cuts;
  cuts.band = band;
  cuts.max_mag = o.max_mag + 2;  // measured-magnitude preselection; the cut is on mag_true
  const surveys::PhotometrySample sample = surveys::read_photometry_sample(path, cuts);
  const auto t0 = Clock::now();
  const surveys::SersicStampSet set = surveys::make_sersic_stamps(sample, band, o);
  const double seconds = seconds_since(t0);
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string file = out.path() + "/sersic_stamps.h5";
  surveys::write_sersic_stamps(file, set);
  std::vector<double> snr = set.snr, re = set.half_light_radius;
  std::sort(snr.begin(), snr.end());
  std::sort(re.begin(), re.end());
  std::ostringstream sum;
  sum << "# cosmograd properties structure data\nstamps " << set.count() << "\nrequested "
      << o.count << "\nsize_pixels " << set.size << "\npsf_size_pixels " << set.psf_size
      << "\npixel_scale_arcsec " << set.pixel_scale << "\nband " << band << "\nsnr_median "
      << snr[snr.size() / 2] << "\nre_median_pixels " << re[re.size() / 2] << "\nseconds "
      << seconds << "\nsource " << set.source << "\n";
  finish_mock_dir(out, {file}, sum.str(), s, "cosmograd properties structure data");
  std::printf("%s", sum.str().c_str());
  return 0;
}

int structure_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"stamps", "", "", "sersic_stamps.h5 of `properties structure data`"},
      {"channels", "", "16,32,48,64",
       "CNN channels per stage (each stage after the first halves "
       "the side; the side must be a multiple of stem_stride 2^(stages-1))"},
      {"stem_stride", "", "2", "stride of the first convolution (1 or 2)"},
      {"hidden", "", "128", "width of the hidden fully connected layer"},
      {"soften", "sigma", "3", "asinh softening of the input scaling"},
      {"steps", "", "6000", "optimiser steps"},
      {"batch", "", "64", "stamps per step"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"weight_decay", "", "0", "Adam L2 weight decay"},
      {"validation_fraction", "", "0.1", "stamps for model selection"},
      {"test_fraction", "", "0.1", "held-out stamps for `properties structure evaluate`"},
      {"validate_every", "", "500", "steps between validations (the best model is kept)"},
      {"max_seconds", "s", "0", "stop training after this wall time (0: no limit)"},
      {"seed", "", "1", "split, initialisation and batch seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "properties_structure", "output directory (structure_net.cgm)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties structure train",
      "usage: cosmograd properties structure train --stamps FILE [--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "", "is empty (allowed: sersic_stamps.h5, --stamps FILE)");
  set_torch_threads(s);
  surveys::StructureTrainOptions o;
  o.channels = int_list(s, "channels");
  o.stem_stride = s.get_int("stem_stride");
  o.hidden = s.get_int("hidden");
  o.soften = s.get_double("soften");
  o.steps = s.get_int("steps");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.validation_fraction = s.get_double("validation_fraction");
  o.test_fraction = s.get_double("test_fraction");
  o.validate_every = s.get_int("validate_every");
  o.max_seconds = s.get_double("max_seconds");
  o.seed = seed_setting(s);
  o.validate();
  const surveys::SersicStampSet set = surveys::read_sersic_stamps(s.get_string("stamps"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::StructureTrainReport rep;
  surveys::StructureNet model = surveys::train_structure_net(set, o, &rep);
  nn::ModelHeader header = model->header();
  surveys::add_structure_training_header(header, set, o, rep);
  const std::string path = out.path() + "/structure_net.cgm";
  nn::save_model(path, *model, header);
  std::ostringstream sum;
  sum << "# cosmograd properties structure train\nstamps " << set.count() << " (train " << rep.train
      << ", validation " << rep.validation << ", test " << rep.test << ")\nthreads "
      << at::get_num_threads() << "\nseconds " << rep.seconds << "\nsteps_done " << rep.steps_done
      << "\nbest_step " << rep.best_step << "\nvalidation_nll " << rep.validation_nll
      << "\nsigma_scale (flux, R_e, n, e1, e2)";
  for (double f : rep.sigma_scale) sum << " " << f;
  sum << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties structure train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// One method's estimates on the evaluated stamps.
struct Estimates {
  std::string name;
  std::vector<double> flux, flux_err, re, re_err, n, n_err, e1, e1_err, e2, e2_err, q, q_err, pa,
      pa_err;
  bool log_errors = false;  // errors of flux, R_e and n are of their logarithms (the CNN's)
  double seconds = 0;
};

/// Median and 1.4826 x median absolute deviation (NMAD) of the finite values.
struct Robust {
  double median = std::nan(""), nmad = std::nan("");
  std::size_t count = 0;
};
Robust robust(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  Robust r;
  r.count = v.size();
  if (v.empty()) return r;
  const auto med = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    const std::size_t n = x.size();
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  };
  r.median = med(v);
  for (double& x : v) x = std::abs(x - r.median);
  r.nmad = 1.4826 * med(v);
  return r;
}

/// PA difference wrapped into [-pi/2, pi/2) [rad].
double pa_diff(double a, double b) {
  double d = std::fmod(a - b + 0.5 * M_PI, M_PI);
  if (d < 0) d += M_PI;
  return d - 0.5 * M_PI;
}

/// Errors per stamp of one method against the truth of rows `rows` of set.
struct Errors {
  std::vector<double> flux, re, n, q, pa_deg;  // fractional (flux, re, n), absolute (q, PA)
  std::vector<double> p_flux, p_re, p_n, p_e1, p_e2, p_q, p_pa;  // |truth - pred| / sigma
};
Errors errors_of(const Estimates& m, const surveys::SersicStampSet& set,
                 const std::vector<std::size_t>& rows) {
  Errors e;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t r = rows[i];
    const double et = (1 - set.q[r]) / (1 + set.q[r]);
    const double e1t = et * std::cos(2 * set.pa[r]), e2t = et * std::sin(2 * set.pa[r]);
    e.flux.push_back(m.flux[i] / set.flux[r] - 1);
    e.re.push_back(m.re[i] / set.half_light_radius[r] - 1);
    e.n.push_back(m.n[i] / set.n[r] - 1);
    e.q.push_back(m.q[i] - set.q[r]);
    e.pa_deg.push_back(pa_diff(m.pa[i], set.pa[r]) * 180 / M_PI);
    // Pulls in the method's own parametrisation: logarithms for the CNN (its Gaussian is in
    // log10), ln flux and ln R_e for the fitter (its parameters), n linear for the fitter.
    e.p_flux.push_back(std::abs(std::log(set.flux[r] / m.flux[i])) / (m.flux_err[i] / m.flux[i]));
    e.p_re.push_back(std::abs(std::log(set.half_light_radius[r] / m.re[i])) /
                     (m.re_err[i] / m.re[i]));
    e.p_n.push_back(m.log_errors ? std::abs(std::log(set.n[r] / m.n[i])) / (m.n_err[i] / m.n[i])
                                 : std::abs(set.n[r] - m.n[i]) / m.n_err[i]);
    e.p_e1.push_back(std::abs(e1t - m.e1[i]) / m.e1_err[i]);
    e.p_e2.push_back(std::abs(e2t - m.e2[i]) / m.e2_err[i]);
    e.p_q.push_back(std::abs(set.q[r] - m.q[i]) / m.q_err[i]);
    e.p_pa.push_back(std::abs(pa_diff(set.pa[r], m.pa[i])) / m.pa_err[i]);
  }
  return e;
}

/// The values of v at the indices `keep`.
std::vector<double> pick(const std::vector<double>& v, const std::vector<std::size_t>& keep) {
  std::vector<double> out;
  for (std::size_t i : keep) out.push_back(v[i]);
  return out;
}

/// Fraction of finite pulls below 1.
double below_one(const std::vector<double>& p) {
  std::size_t n = 0, k = 0;
  for (double x : p)
    if (std::isfinite(x)) {
      ++n;
      k += x < 1;
    }
  return n ? static_cast<double>(k) / static_cast<double>(n) : std::nan("");
}

/// Markdown row: bias and NMAD of flux, R_e, n (fractional), q (absolute), PA NMAD [deg].
std::string metric_row(const std::string& label, const Errors& e,
                       const std::vector<std::size_t>& keep, double per_second) {
  std::ostringstream o;
  o << std::setprecision(3);
  const Robust f = robust(pick(e.flux, keep)), r = robust(pick(e.re, keep)),
               n = robust(pick(e.n, keep)), q = robust(pick(e.q, keep)),
               pa = robust(pick(e.pa_deg, keep));
  o << "| " << label << " | " << keep.size() << " | " << f.median << " | " << f.nmad << " | "
    << r.median << " | " << r.nmad << " | " << n.median << " | " << n.nmad << " | " << q.median
    << " | " << q.nmad << " | " << pa.nmad << " | ";
  if (per_second > 0)
    o << per_second;
  else
    o << "-";
  o << " |\n";
  return o.str();
}

int structure_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "structure_net.cgm of `properties structure train`"},
      {"stamps", "", "", "the stamp set it was trained on (its held-out rows are evaluated)"},
      {"fit_count", "", "1000",
       "held-out stamps given to both methods (the first of the test split; 0: all)"},
      {"max_iterations", "", "100", "Levenberg-Marquardt trials per stamp"},
      {"snr_bins", "", "20,40,100", "S/N bin edges of the per-bin table (last bin open)"},
      {"threads", "", "0", "torch threads (0: all; 1 for the timings of the table)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "properties_structure_eval", "output directory (structure.md)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties structure evaluate",
      "usage: cosmograd properties structure evaluate --model FILE --stamps FILE [--fit_count "
      "1000] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a structure_net.cgm, --model FILE)");
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "", "is empty (allowed: the model's training stamp set)");
  const long long fit_count = s.get_int("fit_count");
  if (fit_count < 0)
    sim::bad_setting("fit_count", s.get_string("fit_count"), "is negative (allowed: >= 0)");
  surveys::SersicFitOptions fo;
  fo.max_iterations = static_cast<int>(s.get_int("max_iterations"));
  const std::vector<double> snr_edges = double_list(s, "snr_bins");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::StructureNet model = surveys::load_structure_net(s.get_string("model"), &h);
  const surveys::SersicStampSet set = surveys::read_sersic_stamps(s.get_string("stamps"));
  fo.oversample = set.oversample;
  fo.truncation = set.truncation;
  fo.validate();
  if (h.get_int("structure_train_stamps") != static_cast<int64_t>(set.count()))
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "holds " + std::to_string(set.count()) + " stamps; the model was trained on " +
                         h.get("structure_train_stamps") + " (give the same file)");
  if (set.size != model->config().size)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has stamps of side " + std::to_string(set.size) + " (allowed: the model's " +
                         std::to_string(model->config().size) + ")");
  const surveys::StampSplit split =
      surveys::split_stamps(set.count(), h.get_double("structure_train_validation_fraction"),
                            h.get_double("structure_train_test_fraction"),
                            static_cast<std::uint64_t>(h.get_int("structure_train_seed")));
  if (split.test.empty())
    throw std::invalid_argument(
        "properties structure evaluate: the model was trained with test_fraction 0 (no "
        "held-out stamps)");
  std::vector<std::size_t> rows = split.test;
  if (fit_count > 0 && static_cast<std::size_t>(fit_count) < rows.size())
    rows.resize(static_cast<std::size_t>(fit_count));
  const std::size_t n = rows.size();
  const surveys::StructureRows in = surveys::structure_rows(set, rows);

  Estimates cnn, lm;
  cnn.name = "CNN";
  cnn.log_errors = true;
  {
    // Untimed warm-up (one-off allocations and kernel setup): the CNN on one batch of up to 256
    // stamps, the fitter on the first stamp.
    const int64_t w = std::min<int64_t>(256, static_cast<int64_t>(n)), w1 = std::min<int64_t>(1, w);
    model->predict(in.images.narrow(0, 0, w), in.psfs.narrow(0, 0, w), in.sigma.narrow(0, 0, w));
    surveys::fit_sersic(in.images.narrow(0, 0, w1), in.psfs.narrow(0, 0, w1),
                        in.sigma.narrow(0, 0, w1), fo);
  }
  {
    const auto t0 = Clock::now();
    const surveys::StructurePrediction p = model->predict(in.images, in.psfs, in.sigma);
    cnn.seconds = seconds_since(t0);
    cnn.flux = p.flux, cnn.flux_err = p.flux_err, cnn.re = p.re, cnn.re_err = p.re_err;
    cnn.n = p.n, cnn.n_err = p.n_err, cnn.e1 = p.e1, cnn.e1_err = p.e1_err, cnn.e2 = p.e2;
    cnn.e2_err = p.e2_err, cnn.q = p.q, cnn.q_err = p.q_err, cnn.pa = p.pa, cnn.pa_err = p.pa_err;
  }
  lm.name = "LM fit";
  std::vector<surveys::SersicFit> fits;
  {
    const auto t0 = Clock::now();
    fits = surveys::fit_sersic(in.images, in.psfs, in.sigma, fo);
    lm.seconds = seconds_since(t0);
    for (const auto& f : fits) {
      lm.flux.push_back(f.flux), lm.flux_err.push_back(f.flux_err), lm.re.push_back(f.re);
      lm.re_err.push_back(f.re_err), lm.n.push_back(f.n), lm.n_err.push_back(f.n_err);
      lm.e1.push_back(f.e1), lm.e1_err.push_back(f.e1_err), lm.e2.push_back(f.e2);
      lm.e2_err.push_back(f.e2_err), lm.q.push_back(f.q), lm.q_err.push_back(f.q_err);
      lm.pa.push_back(f.pa), lm.pa_err.push_back(f.pa_err);
    }
  }
  // The CNN on the whole test split as well (its metrics beyond the fitted subset).
  const surveys::StructureRows in_all = surveys::structure_rows(set, split.test);
  Estimates cnn_all;
  cnn_all.name = "CNN (whole test split)";
  cnn_all.log_errors = true;
  {
    const auto t0 = Clock::now();
    const surveys::StructurePrediction p = model->predict(in_all.images, in_all.psfs, in_all.sigma);
    cnn_all.seconds = seconds_since(t0);
    cnn_all.flux = p.flux, cnn_all.flux_err = p.flux_err, cnn_all.re = p.re;
    cnn_all.re_err = p.re_err, cnn_all.n = p.n, cnn_all.n_err = p.n_err, cnn_all.e1 = p.e1;
    cnn_all.e1_err = p.e1_err, cnn_all.e2 = p.e2, cnn_all.e2_err = p.e2_err, cnn_all.q = p.q;
    cnn_all.q_err = p.q_err, cnn_all.pa = p.pa, cnn_all.pa_err = p.pa_err;
  }
  // The same predictions with the raw (uncalibrated) sigmas: calibration before / after.
  Estimates cnn_raw;
  cnn_raw.log_errors = true;
  {
    const surveys::StructurePrediction p =
        model->predict(in_all.images, in_all.psfs, in_all.sigma, false);
    cnn_raw.flux = p.flux, cnn_raw.flux_err = p.flux_err, cnn_raw.re = p.re;
    cnn_raw.re_err = p.re_err, cnn_raw.n = p.n, cnn_raw.n_err = p.n_err, cnn_raw.e1 = p.e1;
    cnn_raw.e1_err = p.e1_err, cnn_raw.e2 = p.e2, cnn_raw.e2_err = p.e2_err, cnn_raw.q = p.q;
    cnn_raw.q_err = p.q_err, cnn_raw.pa = p.pa, cnn_raw.pa_err = p.pa_err;
  }
  const Errors ec = errors_of(cnn, set, rows), el = errors_of(lm, set, rows),
               ea = errors_of(cnn_all, set, split.test), er = errors_of(cnn_raw, set, split.test);
  std::vector<std::size_t> all(n), unflagged;
  std::size_t flag_n = 0, flag_re = 0, flag_q = 0, flag_nc = 0, flag_c = 0;
  for (std::size_t i = 0; i < n; ++i) {
    all[i] = i;
    const auto f = fits[i].flags;
    if (f == 0) unflagged.push_back(i);
    flag_n += (f & surveys::kFitNAtBound) != 0;
    flag_re += (f & surveys::kFitReAtBound) != 0;
    flag_q += (f & surveys::kFitQAtBound) != 0;
    flag_nc += (f & surveys::kFitNotConverged) != 0;
    flag_c += (f & surveys::kFitCentreAtBound) != 0;
  }
  std::vector<std::size_t> all_test(split.test.size());
  for (std::size_t i = 0; i < all_test.size(); ++i) all_test[i] = i;
  const double cnn_rate = static_cast<double>(n) / cnn.seconds,
               lm_rate = static_cast<double>(n) / lm.seconds;
  const auto frac = [&](std::size_t k) { return static_cast<double>(k) / static_cast<double>(n); };

  std::ostringstream md;
  md << std::setprecision(4);
  md << "# Sersic structural parameters of held-out stamps: CNN against a Levenberg-Marquardt "
        "fitter\n\nstamps: "
     << s.get_string("stamps") << " (" << set.source << "); held-out test split "
     << split.test.size() << " of " << set.count() << " (seed " << h.get("structure_train_seed")
     << ", never seen in training or model selection); both methods on the same " << n
     << " test stamps (the first of the split)\nmodel: " << s.get_string("model") << " (trained "
     << h.get("structure_train_steps_done") << " steps of batch " << h.get("structure_train_batch")
     << " in " << std::setprecision(3) << h.get_double("structure_train_seconds")
     << std::setprecision(4) << " s; kept step " << h.get("structure_train_best_step")
     << ")\nreproduce: cosmograd properties structure evaluate --model " << s.get_string("model")
     << " --stamps " << s.get_string("stamps") << " --fit_count " << fit_count
     << " --max_iterations " << fo.max_iterations << " --threads " << s.get_string("threads")
     << "\n\n"
     << "Truth: the single-Sersic parameters each stamp was rendered with (batched renderer, "
        "oversample "
     << set.oversample << ", truncated at " << set.truncation
     << " R_e, its Moffat PSF, Gaussian background noise). The fitter's model is that "
        "renderer (a perfectly specified model with the known noise sigma), started from image "
        "moments with n = 2; parameters ln flux, x0, y0, ln R_e, n in ["
     << fo.n_min << ", " << fo.n_max << "], e1, e2 with |e| <= " << fo.max_ellipticity
     << "; R_e in [" << fo.re_min << ", " << set.size / 3.0 << "] pixels.\n\n"
     << "Columns: flux, R_e, n: fractional error pred/true - 1 (bias = median, NMAD = 1.4826 "
        "median |x - median x|); q: pred - true; PA: wrapped pred - true [deg]. R_e is the "
        "circularised half-light radius [pixels]. galaxies/s: wall time with "
     << at::get_num_threads()
     << " torch thread(s), input tensors already in memory, after an untimed warm-up (CNN: "
        "batches of 256, input scaling included).\n";
  const std::string head =
      "| method | stamps | flux bias | flux NMAD | R_e bias | R_e NMAD | n bias | n NMAD | q bias "
      "| q NMAD | PA NMAD [deg] | galaxies/s "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  md << "\n## All " << n << " evaluated stamps\n\n" << head;
  md << metric_row("CNN", ec, all, cnn_rate) << metric_row("LM fit", el, all, lm_rate);
  md << "\n## The " << unflagged.size() << " stamps whose fit is not flagged\n\n" << head;
  md << metric_row("CNN", ec, unflagged, 0) << metric_row("LM fit", el, unflagged, 0);
  md << "\n## CNN on the whole test split\n\n"
     << head
     << metric_row("CNN", ea, all_test, static_cast<double>(split.test.size()) / cnn_all.seconds);
  md << "\nSpeed: CNN " << std::setprecision(4) << cnn_rate << " galaxies/s, LM fitter " << lm_rate
     << " galaxies/s: the CNN is " << std::setprecision(3) << cnn_rate / lm_rate
     << "x faster (target >= 100x).\n";

  md << "\n## Per S/N bin (matched-filter S/N of the noiseless stamp)\n\n"
     << "| S/N | stamps | flux NMAD CNN | flux NMAD LM | R_e NMAD CNN | R_e NMAD LM | n NMAD CNN "
        "| n NMAD LM | q NMAD CNN | q NMAD LM | CNN / LM scatter (R_e, n, flux) |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<double> edges = snr_edges;
  edges.push_back(std::numeric_limits<double>::infinity());
  for (std::size_t bI = 0; bI + 1 < edges.size(); ++bI) {
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < n; ++i)
      if (set.snr[rows[i]] >= edges[bI] && set.snr[rows[i]] < edges[bI + 1]) keep.push_back(i);
    std::ostringstream label;
    label << "[" << edges[bI] << ", " << edges[bI + 1] << ")";
    if (keep.empty()) {
      md << "| " << label.str() << " | 0 | | | | | | | | | |\n";
      continue;
    }
    const auto nm = [&](const std::vector<double>& v) { return robust(pick(v, keep)).nmad; };
    md << std::setprecision(3) << "| " << label.str() << " | " << keep.size() << " | "
       << nm(ec.flux) << " | " << nm(el.flux) << " | " << nm(ec.re) << " | " << nm(el.re) << " | "
       << nm(ec.n) << " | " << nm(el.n) << " | " << nm(ec.q) << " | " << nm(el.q) << " | "
       << nm(ec.re) / nm(el.re) << ", " << nm(ec.n) / nm(el.n) << ", " << nm(ec.flux) / nm(el.flux)
       << " |\n";
  }

  md << "\n## Calibration: fraction of |truth - pred| / sigma < 1 (0.683 for calibrated "
        "Gaussian errors)\n\nCNN sigmas are scaled per target by the validation pull rms "
        "(structure_sigma_scale "
     << (h.has("structure_sigma_scale") ? h.get("structure_sigma_scale") : std::string("absent"))
     << "); 'uncalibrated' uses the raw sigmas. CNN: its Gaussians are in log10 flux, log10 R_e, "
        "log10 n, e1, e2; "
        "q and PA errors propagated linearly. LM: errors from (J^T J)^-1 in ln flux, ln R_e, n, "
        "e1, e2 (q, PA propagated).\n\n"
     << "| method | stamps | flux | R_e | n | e1 | e2 | q | PA "
        "|\n|---|---|---|---|---|---|---|---|---|\n";
  const auto cal_row = [&](const std::string& label, const Errors& e,
                           const std::vector<std::size_t>& keep) {
    md << std::setprecision(3) << "| " << label << " | " << keep.size() << " | "
       << below_one(pick(e.p_flux, keep)) << " | " << below_one(pick(e.p_re, keep)) << " | "
       << below_one(pick(e.p_n, keep)) << " | " << below_one(pick(e.p_e1, keep)) << " | "
       << below_one(pick(e.p_e2, keep)) << " | " << below_one(pick(e.p_q, keep)) << " | "
       << below_one(pick(e.p_pa, keep)) << " |\n";
  };
  cal_row("CNN", ec, all);
  cal_row("CNN (whole test split)", ea, all_test);
  cal_row("CNN uncalibrated sigma (whole test split)", er, all_test);
  cal_row("LM fit (all)", el, all);
  cal_row("LM fit (unflagged)", el, unflagged);

  md << "\n## Fitter flags\n\n| flag | fraction |\n|---|---|\n"
     << std::setprecision(3) << "| any | " << frac(n - unflagged.size()) << " |\n"
     << "| n at a bound (" << fo.n_min << " or " << fo.n_max << ") | " << frac(flag_n) << " |\n"
     << "| R_e at a bound | " << frac(flag_re) << " |\n"
     << "| q at its bound (|e| = " << fo.max_ellipticity << ") | " << frac(flag_q) << " |\n"
     << "| not converged in " << fo.max_iterations << " trials | " << frac(flag_nc) << " |\n"
     << "| centre at the stamp edge | " << frac(flag_c) << " |\n";
  md << "\nFiles: structure_eval.csv (per stamp), structure_re.png and structure_n.png (true "
        "against estimated R_e and n, both methods).\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/structure.md", csv = out.path() + "/structure_eval.csv",
                    png_re = out.path() + "/structure_re.png",
                    png_n = out.path() + "/structure_n.png";
  sim::write_file_atomic(table, md.str());
  {
    std::ostringstream c;
    c << std::setprecision(7)
      << "stamp,galaxy_id,snr,flux_true,re_true,n_true,q_true,pa_true,cnn_flux,cnn_flux_err,"
         "cnn_re,cnn_re_err,cnn_n,cnn_n_err,cnn_q,cnn_q_err,cnn_pa,cnn_pa_err,lm_flux,lm_flux_err,"
         "lm_re,lm_re_err,lm_n,lm_n_err,lm_q,lm_q_err,lm_pa,lm_pa_err,lm_chi2_dof,lm_iterations,"
         "lm_flags\n";
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = rows[i];
      c << r << "," << set.galaxy_id[r] << "," << set.snr[r] << "," << set.flux[r] << ","
        << set.half_light_radius[r] << "," << set.n[r] << "," << set.q[r] << "," << set.pa[r];
      for (const Estimates* m : {&cnn, &lm})
        c << "," << m->flux[i] << "," << m->flux_err[i] << "," << m->re[i] << "," << m->re_err[i]
          << "," << m->n[i] << "," << m->n_err[i] << "," << m->q[i] << "," << m->q_err[i] << ","
          << m->pa[i] << "," << m->pa_err[i];
      c << "," << fits[i].chi2_dof << "," << fits[i].iterations << "," << fits[i].flags << "\n";
    }
    sim::write_file_atomic(csv, c.str());
  }
  const auto recovery_plot = [&](const std::string& path, const std::string& what,
                                 const std::vector<double>& truth_all, const std::vector<double>& a,
                                 const std::vector<double>& b, double lo, double hi) {
    viz::PlotSpec spec;
    spec.title = "Recovery of " + what + " on " + std::to_string(n) + " held-out stamps";
    spec.xlabel = "true " + what;
    spec.ylabel = "estimated " + what;
    spec.logx = spec.logy = true;
    spec.xrange = viz::AxisRange{lo, hi};
    spec.yrange = viz::AxisRange{lo, hi};
    std::vector<double> truth;
    for (std::size_t r : rows) truth.push_back(truth_all[r]);
    viz::Series sl, sc;
    sl.label = "LM fit";
    sl.x = truth;
    sl.y = b;
    sl.line = viz::LineStyle::none;
    sl.marker = viz::Marker::circle;
    sl.marker_size = 0.3;
    sc = sl;
    sc.label = "CNN";
    sc.y = a;
    viz::Series one;
    one.label = "1:1";
    one.x = {lo, hi};
    one.y = {lo, hi};
    one.color = sim::RGB{0, 0, 0};
    one.line = viz::LineStyle::dashed;
    spec.series = {sl, sc, one};
    viz::write_plot_png(path, spec);
  };
  recovery_plot(png_re, "R_e [pixels]", set.half_light_radius, cnn.re, lm.re, 0.3, 30);
  recovery_plot(png_n, "Sersic n", set.n, cnn.n, lm.n, 0.25, 8);
  finish_mock_dir(out, {table, csv, png_re, png_n}, md.str(), s,
                  "cosmograd properties structure evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

int structure_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "structure_net.cgm of `properties structure train`"},
      {"stamps", "", "", "sersic_stamps.h5 to measure (same stamp side and pixel scale)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "properties_structure_apply", "output directory (structure_predictions.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties structure apply",
      "usage: cosmograd properties structure apply --model FILE --stamps FILE [--out DIR]\n"
      "writes structure_predictions.h5: table 'structure', one row per stamp, the CNN's Sersic\n"
      "parameters with 1-sigma errors",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: a structure_net.cgm, --model FILE)");
  if (s.get_string("stamps").empty())
    sim::bad_setting("stamps", "", "is empty (allowed: a sersic_stamps.h5, --stamps FILE)");
  set_torch_threads(s);
  surveys::StructureNet model = surveys::load_structure_net(s.get_string("model"));
  const surveys::SersicStampSet set = surveys::read_sersic_stamps(s.get_string("stamps"));
  if (set.size != model->config().size)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has stamps of side " + std::to_string(set.size) + " (allowed: the model's " +
                         std::to_string(model->config().size) + ")");
  if (std::abs(set.pixel_scale / model->config().pixel_scale - 1) > 0.01)
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "has pixel_scale " + std::to_string(set.pixel_scale) +
                         " arcsec (allowed: the model's " +
                         std::to_string(model->config().pixel_scale) + " +-1%)");
  std::vector<std::size_t> rows(set.count());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const auto t0 = Clock::now();
  const surveys::StructureRows in = surveys::structure_rows(set, rows);
  const surveys::StructurePrediction p = model->predict(in.images, in.psfs, in.sigma);
  const double seconds = seconds_since(t0);
  std::vector<std::int64_t> stamp(rows.begin(), rows.end());
  surveys::Table t;
  t.name = "structure";
  t.description = "CNN Sersic parameters with 1-sigma errors, one row per stamp";
  t.add("stamp", "", "index into the stamp file", stamp)
      .add("galaxy_id", "", "galaxy_id in the galaxy mock", set.galaxy_id)
      .add("flux", "nJy", "total Sersic flux", p.flux)
      .add("flux_err", "nJy", "1-sigma error of flux", p.flux_err)
      .add("half_light_radius", "pixel", "circularised half-light radius", p.re)
      .add("half_light_radius_err", "pixel", "1-sigma error of half_light_radius", p.re_err)
      .add("n", "", "Sersic index", p.n)
      .add("n_err", "", "1-sigma error of n", p.n_err)
      .add("q", "", "axis ratio b/a", p.q)
      .add("q_err", "", "1-sigma error of q", p.q_err)
      .add("pa", "rad", "major-axis angle from +x towards +y", p.pa)
      .add("pa_err", "rad", "1-sigma error of pa", p.pa_err)
      .add("e1", "", "ellipticity (a - b)/(a + b) along x", p.e1)
      .add("e1_err", "", "1-sigma error of e1", p.e1_err)
      .add("e2", "", "ellipticity along the diagonal", p.e2)
      .add("e2_err", "", "1-sigma error of e2", p.e2_err);
  t.numeric_meta = {{"PixelScale", set.pixel_scale}};
  t.string_meta = {{"Model", s.get_string("model")}, {"Band", set.band}};
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string path = out.path() + "/structure_predictions.h5";
  surveys::write_tables_hdf5(path, {t});
  std::ostringstream sum;
  sum << "# cosmograd properties structure apply\nstamps " << set.count() << "\nseconds " << seconds
      << "\npredictions " << path << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties structure apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int properties_structure(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd properties structure data|train|evaluate|apply [config.ini] [--key value "
      "...]\n"
      "  data      single-Sersic stamps with truth from a lightcone galaxy mock\n"
      "  train     the CNN predicting Sersic flux, R_e, n, q, PA with uncertainties\n"
      "  evaluate  CNN and Levenberg-Marquardt fits on the held-out stamps: bias, NMAD, speed,\n"
      "            calibration, fitter flags\n"
      "  apply     the CNN's predictions for every stamp of a stamp file";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument(
          "cosmograd properties structure: give data, train, evaluate or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "data") return structure_data(rest);
  if (args[0] == "train") return structure_train(rest);
  if (args[0] == "evaluate") return structure_evaluate(rest);
  if (args[0] == "apply") return structure_apply(rest);
  throw std::invalid_argument("cosmograd properties structure: unknown mode '" + args[0] +
                              "' (allowed: data, train, evaluate, apply)");
}

}  // namespace cosmograd::apps
