// `cosmograd imagegen train|evaluate`: the PSF-aware galaxy VAE with a latent flow prior
// (Lanusse et al. 2021) trained on a stamp set, and its samples compared with held-out stamps
// beside a parametric (exponential-profile) baseline on the same stamps.
#include <ATen/Parallel.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <random>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "inference/calibration.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/io/png.hpp"
#include "surveys/batched/batched_render.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/stamp_measures.hpp"

namespace cosmograd::apps {
namespace {

using surveys::StampSet;

int imagegen_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"stamps", "", "", "stamp set (stamps.h5 of `mock stamps` or scripts/hdf_cutouts.py)"},
      {"latent", "", "16", "latent dimension"},
      {"channels", "", "16", "first-level convolution channels (doubling per level)"},
      {"flow_layers", "", "4", "rational-quadratic spline flow layers of the latent prior"},
      {"flow_hidden", "", "64", "hidden width of each flow conditioner"},
      {"steps", "", "3000", "autoencoder optimiser steps"},
      {"flow_steps", "", "2000", "latent-flow optimiser steps"},
      {"batch", "", "64", "stamps per step"},
      {"lr", "", "1e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"beta", "", "0.1", "KL weight of the autoencoder's evidence lower bound"},
      {"validation_fraction", "", "0.1", "stamps for model selection"},
      {"validate_every", "", "100", "steps between validations (the best model is kept)"},
      {"test_fraction", "", "0.15", "held-out stamps for `imagegen evaluate`"},
      {"seed", "", "1", "split, initialisation and batch seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "imagegen", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "imagegen train",
      "usage: cosmograd imagegen train [config.ini] --stamps FILE [--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd imagegen train: give --stamps FILE");
  set_torch_threads(s);
  surveys::GalaxyVaeTrainOptions o;
  o.latent = s.get_int("latent");
  o.channels = s.get_int("channels");
  o.flow_layers = s.get_int("flow_layers");
  o.flow_hidden = s.get_int("flow_hidden");
  o.steps = s.get_int("steps");
  o.flow_steps = s.get_int("flow_steps");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.beta = s.get_double("beta");
  o.validation_fraction = s.get_double("validation_fraction");
  o.validate_every = s.get_int("validate_every");
  o.test_fraction = s.get_double("test_fraction");
  o.seed = seed_setting(s);
  o.validate();
  const StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::GalaxyVaeTrainReport rep;
  surveys::GalaxyVae model = surveys::train_galaxy_vae(set, o, &rep);
  nn::ModelHeader header = model->header();
  surveys::add_training_header(header, set, o, rep);
  const std::string path = out.path() + "/galaxy_vae.pt";
  nn::save_model(path, *model, header);
  std::ostringstream sum;
  sum << "# cosmograd imagegen train\nstamps " << set.count() << " (train " << rep.train
      << ", validation " << rep.validation << ", test " << rep.test << ")\n"
      << "seconds_autoencoder " << rep.seconds_autoencoder << "\nseconds_flow " << rep.seconds_flow
      << "\nvalidation_chi2_per_pixel " << rep.validation_chi2_per_pixel << "\nvalidation_kl_nats "
      << rep.validation_kl << "\nvalidation_flow_nll_nats " << rep.validation_flow_nll
      << "\nvalidation_normal_nll_nats " << rep.validation_normal_nll << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd imagegen train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// Measurements of every stamp of a (B, S, S) tensor [image units] with per-stamp sigma.
std::vector<surveys::StampMeasures> measure_all(const torch::Tensor& stamps,
                                                const std::vector<double>& sigma) {
  const torch::Tensor host = stamps.to(torch::kFloat64).contiguous();
  const int s = static_cast<int>(host.size(1));
  std::vector<surveys::StampMeasures> out(static_cast<std::size_t>(host.size(0)));
  for (std::size_t i = 0; i < out.size(); ++i) {
    surveys::Image img = surveys::Image::zeros(s, s);
    const double* v = host[static_cast<int64_t>(i)].data_ptr<double>();
    std::copy(v, v + s * s, img.values.begin());
    out[i] = surveys::measure_stamp(img, sigma[i]);
  }
  return out;
}

/// Two-sample Kolmogorov-Smirnov D and its asymptotic p-value (Stephens 1970 scaling of
/// sqrt(n_eff) D, n_eff = n m / (n + m)); NaNs are dropped.
std::pair<double, double> ks_two_sample(std::vector<double> a, std::vector<double> b) {
  auto clean = [](std::vector<double>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }),
            v.end());
    std::sort(v.begin(), v.end());
  };
  clean(a);
  clean(b);
  if (a.empty() || b.empty()) return {NAN, NAN};
  double d = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d,
                 std::abs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  const double ne = static_cast<double>(a.size()) * b.size() / (a.size() + b.size());
  const double t = (std::sqrt(ne) + 0.12 + 0.11 / std::sqrt(ne)) * d;
  return {d, inference::kolmogorov_survival(t)};
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

/// The parametric baseline: exponential (Sersic n = 1) profiles of each row's flux and
/// intrinsic R_e [pixels], ellipticities resampled from `shapes` (measured on training stamps),
/// centred at S/2 plus a uniform sub-pixel offset, convolved with each row's PSF, plus noise
/// [model units].
torch::Tensor parametric_baseline(const surveys::StampTensors& rows, const std::vector<double>& re,
                                  double zero_point, double flux_scale,
                                  const std::vector<std::array<double, 2>>& shapes,
                                  std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  const int64_t n = rows.images.size(0), s = rows.images.size(1);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  std::uniform_int_distribution<std::size_t> pick(0, shapes.size() - 1);
  std::vector<double> e1(n), e2(n), x0(n), y0(n);
  for (int64_t i = 0; i < n; ++i) {
    const auto& e = shapes[pick(rng)];
    e1[i] = e[0];
    e2[i] = e[1];
    x0[i] = 0.5 * s + u(rng);
    y0[i] = 0.5 * s + u(rng);
  }
  const auto opts = torch::TensorOptions(torch::kFloat64);
  const torch::Tensor mag = rows.conditions.select(1, 1).to(torch::kFloat64);
  surveys::SersicBatch b{torch::pow(10.0, -0.4 * (mag - zero_point)) / flux_scale,
                         torch::tensor(re, opts),
                         torch::ones({n}, opts),
                         torch::tensor(e1, opts),
                         torch::tensor(e2, opts),
                         torch::tensor(x0, opts),
                         torch::tensor(y0, opts)};
  const torch::Tensor img =
      surveys::render_sersic_batch(b, static_cast<int>(s), static_cast<int>(s));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  torch::Tensor obs = surveys::convolve_psf_batch(img, rows.psfs.to(torch::kFloat64));
  return (obs + rows.sigma.to(torch::kFloat64).view({-1, 1, 1}) *
                    torch::randn(obs.sizes(), gen, obs.options()))
      .to(torch::kFloat32);
}

int imagegen_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "galaxy_vae.pt of `imagegen train`"},
      {"stamps", "", "", "the stamp set it was trained on (its held-out rows are evaluated)"},
      {"seed", "", "7", "sampling seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "imagegen_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "imagegen evaluate",
      "usage: cosmograd imagegen evaluate --model FILE --stamps FILE [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty() || s.get_string("stamps").empty())
    throw std::invalid_argument("cosmograd imagegen evaluate: give --model FILE --stamps FILE");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::GalaxyVae model = surveys::load_galaxy_vae(s.get_string("model"), &h);
  const StampSet set = surveys::read_stamp_set(s.get_string("stamps"));
  if (h.get_int("vae_train_stamps") != static_cast<int64_t>(set.count()))
    sim::bad_setting("stamps", s.get_string("stamps"),
                     "holds " + std::to_string(set.count()) + " stamps; the model was trained on " +
                         h.get("vae_train_stamps") + " (give the same file)");
  const auto& c = model->config();
  const surveys::StampSplit split =
      surveys::split_stamps(set.count(), h.get_double("vae_train_validation_fraction"),
                            h.get_double("vae_train_test_fraction"),
                            static_cast<std::uint64_t>(h.get_int("vae_train_seed")));
  if (split.test.empty())
    throw std::invalid_argument("imagegen evaluate: the model was trained with test_fraction 0");
  const std::uint64_t seed = seed_setting(s);
  const surveys::StampTensors test = surveys::stamp_tensors(set, split.test, c.flux_scale);

  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor vae = surveys::sample_observations(model, test, true, seed);
  const double sample_ms =
      1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
      static_cast<double>(split.test.size());
  const torch::Tensor vae_clean = surveys::sample_observations(model, test, false, seed);
  std::vector<double> sigma;
  for (std::size_t r : split.test) sigma.push_back(set.noise_sigma[r]);
  // Baseline ellipticities: the measured ones of the training stamps.
  std::vector<std::array<double, 2>> shapes;
  {
    const surveys::StampTensors train = surveys::stamp_tensors(set, split.train, c.flux_scale);
    std::vector<double> sig_train;
    for (std::size_t r : split.train) sig_train.push_back(set.noise_sigma[r] / c.flux_scale);
    for (const auto& m : measure_all(train.images, sig_train))
      if (m.ok) shapes.push_back({m.e1, m.e2});
  }
  if (shapes.empty()) throw std::runtime_error("imagegen evaluate: no training stamp measured");
  // Baseline sizes: the conditions, or for observed (PSF-convolved) sizes the conditions minus
  // the PSF's half-light radius in quadrature (at least a quarter of them).
  std::vector<double> re;
  for (std::size_t r : split.test) {
    double v = set.half_light_radius[r];
    if (set.size_kind == "observed") {
      const int p = set.psf_size;
      surveys::Image psf = surveys::Image::zeros(p, p);
      std::copy_n(set.psfs.begin() + static_cast<std::ptrdiff_t>(r * p * p), p * p,
                  psf.values.begin());
      const double psf_re = surveys::measure_stamp(psf, 1e-6).half_light_radius;
      v = std::sqrt(std::max(v * v - psf_re * psf_re, v * v / 16));
    }
    re.push_back(v);
  }
  const torch::Tensor base =
      parametric_baseline(test, re, c.zero_point, c.flux_scale, shapes, seed);

  const double fs = c.flux_scale;
  const auto m_real = measure_all(test.images * fs, sigma);
  const auto m_vae = measure_all(vae * fs, sigma);
  const auto m_base = measure_all(base * fs, sigma);
  struct Quantity {
    const char* name;
    double (*get)(const surveys::StampMeasures&, double zp);
  };
  const Quantity quantities[] = {
      {"mag", [](const surveys::StampMeasures& m,
                 double zp) { return m.flux > 0 ? zp - 2.5 * std::log10(m.flux) : NAN; }},
      {"half_light_radius_px",
       [](const surveys::StampMeasures& m, double) { return m.ok ? m.half_light_radius : NAN; }},
      {"ellipticity",
       [](const surveys::StampMeasures& m, double) { return m.ok ? std::hypot(m.e1, m.e2) : NAN; }},
      {"e1", [](const surveys::StampMeasures& m, double) { return m.ok ? m.e1 : NAN; }},
      {"asymmetry",
       [](const surveys::StampMeasures& m, double) { return m.ok ? m.asymmetry : NAN; }},
      {"gini", [](const surveys::StampMeasures& m, double) { return m.ok ? m.gini : NAN; }},
      {"m20", [](const surveys::StampMeasures& m, double) { return m.ok ? m.m20 : NAN; }},
  };
  std::ostringstream md;
  md << std::setprecision(3);
  md << "held-out stamps: " << split.test.size() << " of " << set.count() << " (" << set.source
     << ")\n\n| quantity | median real | median VAE | median exponential | KS D VAE | p VAE | "
        "KS D exponential | p exponential |\n|---|---|---|---|---|---|---|---|\n";
  for (const Quantity& q : quantities) {
    std::vector<double> r, v, b;
    for (const auto& m : m_real) r.push_back(q.get(m, c.zero_point));
    for (const auto& m : m_vae) v.push_back(q.get(m, c.zero_point));
    for (const auto& m : m_base) b.push_back(q.get(m, c.zero_point));
    const auto [dv, pv] = ks_two_sample(r, v);
    const auto [db, pb] = ks_two_sample(r, b);
    md << "| " << q.name << " | " << median(r) << " | " << median(v) << " | " << median(b) << " | "
       << dv << " | " << pv << " | " << db << " | " << pb << " |\n";
  }
  md << "\nsampling: " << sample_ms << " ms per stamp (latent flow + decoder + PSF + noise, "
     << "this CPU)\n";
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/imagegen_eval.md", png = out.path() + "/samples.png";
  sim::write_file_atomic(table, md.str());
  const int64_t cols = std::min<int64_t>(8, test.images.size(0));
  // Rows: held-out stamps, samples (noisy), samples (noiseless), baseline; stretched by the
  // held-out stamp's peak.
  write_stamp_rows_png(png,
                       {test.images.narrow(0, 0, cols) * fs, vae.narrow(0, 0, cols) * fs,
                        vae_clean.narrow(0, 0, cols) * fs, base.narrow(0, 0, cols) * fs},
                       std::vector<double>(sigma.begin(), sigma.begin() + cols), 0);
  finish_mock_dir(out, {table, png}, md.str(), s, "cosmograd imagegen evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace

sim::KeySpec generative_model_key() {
  return {"generative_model", "", "",
          "galaxy_vae.pt of `imagegen train`: galaxies drawn as its samples conditioned on their "
          "size and magnitude (empty: bulge + disk)"};
}

surveys::GalaxyPainter generative_painter(const sim::Settings& s, std::uint64_t seed) {
  const std::string path = s.get_string("generative_model");
  if (path.empty()) return {};
  return surveys::vae_painter(surveys::load_galaxy_vae(path), seed);
}

int cmd_imagegen(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd imagegen train|evaluate [config.ini] [--key value ...]\n"
      "  train     the PSF-aware galaxy VAE and its latent flow on a stamp set\n"
      "  evaluate  its samples against held-out stamps, beside an exponential-profile baseline";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty()) throw std::invalid_argument("cosmograd imagegen: give train or evaluate");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return imagegen_train(rest);
  if (args[0] == "evaluate") return imagegen_evaluate(rest);
  throw std::invalid_argument("cosmograd imagegen: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate)");
}

}  // namespace cosmograd::apps
