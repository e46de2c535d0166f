// `cosmograd discover massmap data|train|evaluate`: convergence maps from noisy masked shear.
// data cuts the flat Born convergence and shear maps of lightcone runs into tiles (training,
// validation and test runs kept apart); train fits the DeepMass-style U-Net (Jeffrey et al. 2020,
// MNRAS 492, 5023; surveys/discovery/mass_map_net.hpp); evaluate compares it on the held-out test
// tiles with Kaiser-Squires (raw and Gaussian-smoothed at the validation-optimal scale) and the
// masked Wiener filter with the theory (halofit Limber) and the measured C_ell: MSE and Pearson r
// against the true convergence, wall time per tile, and a picture.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "apps/discover.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/io/png.hpp"
#include "surveys/discovery/mass_map_data.hpp"
#include "surveys/discovery/mass_map_filters.hpp"
#include "surveys/discovery/mass_map_net.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void torch_threads(const sim::Settings& s) {
  const long long threads = s.get_int("threads");
  if (threads < 0)
    sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
}

/// The comma-separated run directories of key `key` (may be empty).
std::vector<std::string> dir_list(const sim::Settings& s, const std::string& key) {
  std::vector<std::string> out;
  std::stringstream in(s.get_string(key));
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

/// The comma-separated non-negative increasing numbers of key `key`.
std::vector<double> number_list(const sim::Settings& s, const std::string& key) {
  std::vector<double> out;
  std::stringstream in(s.get_string(key));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() || !std::isfinite(v) || v < 0) throw std::invalid_argument(item);
      if (!out.empty() && v <= out.back()) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      sim::bad_setting(key, s.get_string(key),
                       "is not a list of increasing non-negative numbers (e.g. 1,2,4)");
    }
  }
  if (out.empty()) sim::bad_setting(key, s.get_string(key), "is empty (e.g. 1,2,4)");
  return out;
}

std::vector<sim::KeySpec> noise_keys() {
  return {
      {"sigma_e", "", "0.26", "intrinsic ellipticity rms per shear component"},
      {"n_gal", "arcmin^-2", "30",
       "source galaxy density (noise per pixel sigma_e / "
       "sqrt(n_gal A_pix))"},
      {"mask_fraction", "", "0.15", "masked fraction per tile (random circular holes)"},
      {"hole_min", "pixels", "1", "smallest hole radius"},
      {"hole_max", "pixels", "4", "largest hole radius"},
  };
}

surveys::MassMapNoise noise_of(const sim::Settings& s) {
  surveys::MassMapNoise n;
  n.sigma_e = s.get_double("sigma_e");
  n.n_gal = s.get_double("n_gal");
  n.mask_fraction = s.get_double("mask_fraction");
  n.hole_min = s.get_double("hole_min");
  n.hole_max = s.get_double("hole_max");
  n.validate();
  return n;
}

int massmap_data(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"train_runs", "", "",
       "comma-separated run directories of `cosmograd run --lightcone true "
       "--lightcone_field_deg D` for training"},
      {"validation_runs", "", "", "runs for model selection (KS smoothing scale, U-Net)"},
      {"test_runs", "", "", "held-out runs for `discover massmap evaluate`"},
      {"tile", "pixels", "64", "tile side (non-overlapping tiles; the remainder is dropped)"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "massmap_data", "output directory (massmap_tiles.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "discover massmap data",
      "usage: cosmograd discover massmap data --train_runs D1,D2 --validation_runs D3 "
      "--test_runs D4 [--tile 64] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const long long tile = s.get_int("tile");
  if (tile < 8 || tile > 4096)
    sim::bad_setting("tile", s.get_string("tile"), "is outside [8, 4096]");
  const auto t0 = Clock::now();
  const surveys::MassMapTiles tiles =
      surveys::make_mass_map_tiles(dir_list(s, "train_runs"), dir_list(s, "validation_runs"),
                                   dir_list(s, "test_runs"), static_cast<int>(tile));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string file = out.path() + "/massmap_tiles.h5";
  surveys::write_mass_map_tiles(file, tiles);
  double k2 = 0;
  for (float k : tiles.kappa) k2 += static_cast<double>(k) * k;
  std::ostringstream sum;
  sum << "# cosmograd discover massmap data\ntiles " << tiles.count() << " (train "
      << tiles.indices(surveys::MassMapSplit::train).size() << ", validation "
      << tiles.indices(surveys::MassMapSplit::validation).size() << ", test "
      << tiles.indices(surveys::MassMapSplit::test).size() << ")\ntile_pixels " << tiles.size
      << "\npixel_arcmin " << tiles.pixel_rad * 180 / M_PI * 60 << "\nsource_z " << tiles.source_z
      << "\nkappa_rms " << std::sqrt(k2 / static_cast<double>(tiles.kappa.size())) << "\nseconds "
      << since(t0) << "\nsource " << tiles.source << "\n";
  finish_mock_dir(out, {file}, sum.str(), s, "cosmograd discover massmap data");
  std::printf("%s", sum.str().c_str());
  return 0;
}

int massmap_train(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = {
      {"tiles", "", "", "massmap_tiles.h5 of `discover massmap data`"},
      {"depth", "", "3", "U-Net downsamplings (the tile side must be a multiple of 2^depth)"},
      {"base_channels", "", "16", "U-Net channels at the finest level"},
      {"norm_groups", "", "4", "group-norm groups (divides base_channels; 0: none)"},
      {"input_iterations", "", "30",
       "CG iterations of the masked Wiener map fed to the U-Net (0: the unmasked closed form)"},
      {"steps", "", "2000", "optimiser steps"},
      {"batch", "", "16", "tiles per step (fresh noise and mask each time)"},
      {"lr", "", "1e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"validate_every", "", "100", "steps between validations (the best model is kept)"},
      {"max_seconds", "s", "0", "stop training after this wall time (0: no limit)"},
      {"seed", "", "1", "initialisation, batches, noise and masks"},
      {"threads", "", "1", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "massmap_train", "output directory (massmap_unet.cgm)"},
  };
  for (const auto& k : noise_keys()) keys.push_back(k);
  const ParsedArgs parsed = parse_command(
      "discover massmap train",
      "usage: cosmograd discover massmap train --tiles FILE [--key value ...] [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("tiles").empty())
    sim::bad_setting("tiles", "", "is empty (allowed: massmap_tiles.h5, --tiles FILE)");
  torch_threads(s);
  surveys::MassMapNetConfig c;
  c.depth = s.get_int("depth");
  c.base_channels = s.get_int("base_channels");
  c.norm_groups = s.get_int("norm_groups");
  c.input_iterations = s.get_int("input_iterations");
  c.noise = noise_of(s);
  surveys::MassMapTrainOptions o;
  o.steps = s.get_int("steps");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.validate_every = s.get_int("validate_every");
  o.max_seconds = s.get_double("max_seconds");
  o.seed = seed_setting(s);
  o.validate();
  const surveys::MassMapTiles tiles = surveys::read_mass_map_tiles(s.get_string("tiles"));
  if (tiles.size % (1 << c.depth) != 0)
    sim::bad_setting(
        "depth", s.get_string("depth"),
        "needs the tile side " + std::to_string(tiles.size) + " to be a multiple of 2^depth");
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::MassMapTrainReport rep;
  surveys::MassMapNet model = surveys::train_mass_map_net(tiles, c, o, &rep);
  nn::ModelHeader h = model->header();
  h.set("massmap_train_tiles", s.get_string("tiles"));
  h.set("massmap_train_count", static_cast<int64_t>(rep.train));
  h.set("massmap_train_validation_count", static_cast<int64_t>(rep.validation));
  h.set("massmap_train_steps", o.steps);
  h.set("massmap_train_steps_done", rep.steps_done);
  h.set("massmap_train_best_step", rep.best_step);
  h.set("massmap_train_batch", o.batch);
  h.set("massmap_train_lr", o.lr);
  h.set("massmap_train_seed", static_cast<int64_t>(o.seed));
  h.set("massmap_train_seconds", rep.seconds);
  h.set("massmap_train_validation_mse", rep.validation_mse);
  h.set("massmap_train_input_mse", rep.input_mse);
  h.set("massmap_train_threads", static_cast<int64_t>(at::get_num_threads()));
  const std::string path = out.path() + "/massmap_unet.cgm";
  nn::save_model(path, *model, h);
  std::ostringstream sum;
  sum << "# cosmograd discover massmap train\ntiles train " << rep.train << ", validation "
      << rep.validation << "\nthreads " << at::get_num_threads() << "\nseconds " << rep.seconds
      << "\nsteps_done " << rep.steps_done << "\nbest_step " << rep.best_step << "\nvalidation_mse "
      << rep.validation_mse << "\ninput_filter_validation_mse " << rep.input_mse << "\nkappa_scale "
      << model->config().kappa_scale << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd discover massmap train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// A colour of the viridis map (Smith & van der Walt 2015) at t in [0, 1], from 5 anchors.
sim::RGB viridis(double t) {
  static const double a[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  auto c = [&](int k) { return static_cast<std::uint8_t>(a[i][k] + f * (a[i + 1][k] - a[i][k])); };
  return sim::RGB{c(0), c(1), c(2)};
}

/// Writes the maps (each [T, T] double, [iy][ix], iy drawn upwards) side by side, same colour
/// scale [lo, hi], masked pixels of `mask` grey in the panels flagged in `show_mask`.
void write_panels_png(const std::string& path, const std::vector<torch::Tensor>& maps,
                      const torch::Tensor& mask, const std::vector<bool>& show_mask, double lo,
                      double hi, int zoom) {
  const int t = static_cast<int>(maps[0].size(0)), gap = 6;
  const int w = static_cast<int>(maps.size()) * (t * zoom + gap) + gap, h = t * zoom + 2 * gap;
  sim::Image img(w, h, sim::RGB{255, 255, 255});
  const auto m = mask.accessor<double, 2>();
  for (std::size_t p = 0; p < maps.size(); ++p) {
    const auto a = maps[p].accessor<double, 2>();
    const int x0 = gap + static_cast<int>(p) * (t * zoom + gap);
    for (int iy = 0; iy < t; ++iy)
      for (int ix = 0; ix < t; ++ix) {
        const sim::RGB c = (show_mask[p] && m[iy][ix] <= 0) ? sim::RGB{128, 128, 128}
                                                            : viridis((a[iy][ix] - lo) / (hi - lo));
        for (int dy = 0; dy < zoom; ++dy)
          for (int dx = 0; dx < zoom; ++dx)
            img.set_clipped(x0 + ix * zoom + dx, gap + (t - 1 - iy) * zoom + dy, c);
      }
  }
  sim::write_png(path, img);
}

struct MethodResult {
  std::string name;
  torch::Tensor kappa;  // [B, T, T]
  double seconds = 0;
  std::string note;
};

int massmap_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"tiles", "", "", "massmap_tiles.h5 of `discover massmap data` (test split evaluated)"},
      {"model", "", "",
       "massmap_unet.cgm of `discover massmap train` (its noise and mask "
       "settings are used)"},
      {"seed", "", "2024", "seed of the test and validation noise and masks (fixed)"},
      {"smoothing", "pixels", "0.5,1,1.5,2,2.5,3,4,5,6",
       "Gaussian smoothing scales tried for Kaiser-Squires (best on the validation tiles)"},
      {"tolerance", "", "1e-6", "Wiener CG: stop when |r| / |b| < tolerance for every tile"},
      {"max_iterations", "", "1000", "Wiener CG iteration limit"},
      {"picture_tile", "", "0", "test tile (index within the test split) drawn in the PNG"},
      {"threads", "", "1", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "massmap_eval",
       "output directory (massmap.md, massmap_metrics.csv, "
       "massmap_maps.png)"},
  };
  const ParsedArgs parsed = parse_command(
      "discover massmap evaluate",
      "usage: cosmograd discover massmap evaluate --tiles FILE --model FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("tiles").empty())
    sim::bad_setting("tiles", "", "is empty (allowed: massmap_tiles.h5, --tiles FILE)");
  if (s.get_string("model").empty())
    sim::bad_setting("model", "", "is empty (allowed: massmap_unet.cgm, --model FILE)");
  const double tol = s.get_double("tolerance");
  if (!(tol > 0) || tol >= 1)
    sim::bad_setting("tolerance", s.get_string("tolerance"), "is outside (0, 1)");
  const long long max_it = s.get_int("max_iterations");
  if (max_it < 1) sim::bad_setting("max_iterations", s.get_string("max_iterations"), "is < 1");
  const std::vector<double> smoothing = number_list(s, "smoothing");
  torch_threads(s);
  const std::uint64_t seed = seed_setting(s);
  nn::ModelHeader h;
  surveys::MassMapNet model = surveys::load_mass_map_net(s.get_string("model"), &h);
  const surveys::MassMapNetConfig& cfg = model->config();
  const surveys::MassMapTiles tiles = surveys::read_mass_map_tiles(s.get_string("tiles"));
  if (std::abs(tiles.pixel_rad / cfg.pixel_rad - 1) > 0.01)
    sim::bad_setting("tiles", s.get_string("tiles"),
                     "has pixels of " + std::to_string(tiles.pixel_rad * 180 / M_PI * 60) +
                         " arcmin (allowed: the model's " +
                         std::to_string(cfg.pixel_rad * 180 / M_PI * 60) + " +-1%)");
  if (tiles.size % (1 << cfg.depth) != 0)
    sim::bad_setting("tiles", s.get_string("tiles"),
                     "has tiles of side " + std::to_string(tiles.size) +
                         " (allowed: a multiple of the model's 2^depth = " +
                         std::to_string(1 << cfg.depth) + ")");
  const std::vector<std::size_t> test = tiles.indices(surveys::MassMapSplit::test),
                                 val = tiles.indices(surveys::MassMapSplit::validation),
                                 train = tiles.indices(surveys::MassMapSplit::train);
  if (test.empty()) sim::bad_setting("tiles", s.get_string("tiles"), "has no test tiles");
  if (val.empty()) sim::bad_setting("tiles", s.get_string("tiles"), "has no validation tiles");
  const long long pic = s.get_int("picture_tile");
  if (pic < 0 || pic >= static_cast<long long>(test.size()))
    sim::bad_setting("picture_tile", s.get_string("picture_tile"),
                     "is outside [0, " + std::to_string(test.size() - 1) + "]");
  const int64_t t = tiles.size;
  const surveys::MassMapNoise& noise = cfg.noise;
  const double sigma = noise.sigma_pixel(tiles.pixel_rad), sigma2 = std::max(sigma * sigma, 1e-30);
  const auto truth_of = [&](const std::vector<float>& k, std::size_t n) {
    return torch::from_blob(const_cast<float*>(k.data()), {static_cast<int64_t>(n), t, t},
                            torch::kFloat32)
        .to(torch::kFloat64);
  };
  // Fixed observations: test with `seed`, validation with seed + 1 (draw 0, no transforms).
  std::vector<float> tk, vk;
  const surveys::MassMapObservation tobs =
      surveys::observe_tiles(tiles, test, noise, seed, 0, nullptr, &tk);
  const surveys::MassMapObservation vobs =
      surveys::observe_tiles(tiles, val, noise, seed + 1, 0, nullptr, &vk);
  const torch::Tensor truth = truth_of(tk, test.size()), vtruth = truth_of(vk, val.size());
  const std::vector<torch::Tensor> to = surveys::observation_tensors(tobs, t),
                                   vo = surveys::observation_tensors(vobs, t);
  const torch::Tensor& mask = to[2];
  const double masked_frac = 1 - mask.mean().item<double>();

  // Kaiser-Squires smoothing scale of least validation MSE.
  const torch::Tensor vks = surveys::ks_kappa(vo[0], vo[1]);
  double best_sigma = 0, best_val = surveys::masked_mse(vks, vtruth, vo[2]);
  std::ostringstream scan;
  scan << "0: " << std::setprecision(4) << best_val;
  for (double sg : smoothing) {
    const double v = surveys::masked_mse(surveys::gaussian_smooth(vks, sg), vtruth, vo[2]);
    scan << ", " << sg << ": " << v;
    if (v < best_val) {
      best_val = v;
      best_sigma = sg;
    }
  }
  // Priors: theory (halofit Limber of the run, times the pixel window) and measured on the
  // training tiles (all tiles when there are none).
  const torch::Tensor p_theory =
      surveys::prior_from_cl(tiles.cl_ell, tiles.cl_theory, tiles.cl_pixwin2, t, tiles.pixel_rad);
  std::vector<float> trk;
  {
    const std::vector<std::size_t>& rows = train.empty() ? val : train;
    for (std::size_t r : rows)
      trk.insert(trk.end(), tiles.kappa.begin() + r * tiles.pixels(),
                 tiles.kappa.begin() + (r + 1) * tiles.pixels());
    trk.shrink_to_fit();
  }
  const torch::Tensor p_measured =
      surveys::prior_measured(truth_of(trk, trk.size() / tiles.pixels()));

  std::vector<MethodResult> methods;
  {
    auto t0 = Clock::now();
    torch::Tensor k = surveys::ks_kappa(to[0], to[1]);
    methods.push_back({"Kaiser-Squires", k, since(t0), "masked shear set to 0"});
    t0 = Clock::now();
    k = surveys::gaussian_smooth(surveys::ks_kappa(to[0], to[1]), best_sigma);
    std::ostringstream note;
    note << "Gaussian sigma " << best_sigma << " pixels (best of the validation scan)";
    methods.push_back({"Kaiser-Squires smoothed", k, since(t0), note.str()});
  }
  int it_theory = 0, it_measured = 0;
  double res_theory = 0, res_measured = 0;
  {
    auto t0 = Clock::now();
    surveys::WienerResult w =
        surveys::wiener_filter(to[0], to[1], mask, p_theory, sigma2, tol, static_cast<int>(max_it));
    it_theory = w.iterations;
    res_theory = w.residuals.empty() ? 0 : w.residuals.back();
    methods.push_back({"Wiener (theory C_ell)", w.kappa, since(t0),
                       std::to_string(w.iterations) + " CG iterations"});
    t0 = Clock::now();
    w = surveys::wiener_filter(to[0], to[1], mask, p_measured, sigma2, tol,
                               static_cast<int>(max_it));
    it_measured = w.iterations;
    res_measured = w.residuals.empty() ? 0 : w.residuals.back();
    methods.push_back({"Wiener (C_ell of the training tiles)", w.kappa, since(t0),
                       std::to_string(w.iterations) + " CG iterations"});
  }
  {
    model->predict(to[0].narrow(0, 0, 1), to[1].narrow(0, 0, 1), mask.narrow(0, 0, 1));  // warm-up
    const auto t0 = Clock::now();
    const torch::Tensor k = model->predict(to[0], to[1], mask);
    methods.push_back({"U-Net", k, since(t0),
                       cfg.input_iterations > 0
                           ? "input: Wiener (theory C_ell, " +
                                 std::to_string(cfg.input_iterations) +
                                 " CG iterations) + mask; time includes it"
                           : std::string("input: unmasked Wiener of the zero-filled KS + mask")});
  }

  const std::size_t n = test.size();
  std::ostringstream md, csv;
  md << std::setprecision(4);
  md << "Test tiles: " << n << " tiles of " << t << " x " << t << " pixels ("
     << tiles.pixel_rad * 180 / M_PI * 60 << " arcmin) from the held-out test runs (never used "
     << "in training or model selection), source z = " << tiles.source_z
     << ". Truth: the flat Born convergence of cosmograd PM lightcone runs (synthetic); shear: "
        "the full field's Kaiser-Squires shear cut into the same tiles. Observation: shape noise "
     << sigma << " per pixel and component (sigma_e " << noise.sigma_e << ", n_gal " << noise.n_gal
     << " arcmin^-2), masked fraction " << masked_frac << " (random circular holes of radius "
     << noise.hole_min << "-" << noise.hole_max << " pixels); noise and mask fixed by seed " << seed
     << ".\n\n"
     << "| method | MSE unmasked | r unmasked | MSE all pixels | r all pixels | ms per tile | "
        "notes |\n|---|---|---|---|---|---|---|\n";
  csv << "method,mse_unmasked,r_unmasked,mse_all,r_all,ms_per_tile\n";
  for (const MethodResult& m : methods) {
    const double mu = surveys::masked_mse(m.kappa, truth, mask),
                 ru = surveys::masked_pearson(m.kappa, truth, mask),
                 ma = surveys::masked_mse(m.kappa, truth),
                 ra = surveys::masked_pearson(m.kappa, truth);
    const double ms = 1000 * m.seconds / static_cast<double>(n);
    md << "| " << m.name << " | " << mu << " | " << ru << " | " << ma << " | " << ra << " | " << ms
       << " | " << m.note << " |\n";
    csv << std::setprecision(8) << '"' << m.name << "\"," << mu << "," << ru << "," << ma << ","
        << ra << "," << ms << "\n";
  }
  md << "\nThe true convergence variance over the unmasked test pixels is "
     << surveys::masked_mse(torch::zeros_like(truth), truth - truth.mean(), mask)
     << " (the MSE of predicting the mean). Kaiser-Squires smoothing scan (sigma [pixels]: "
        "validation MSE over unmasked pixels): "
     << scan.str() << ". Wiener CG: theory prior " << it_theory << " iterations (|r|/|b| "
     << res_theory << "), measured prior " << it_measured << " iterations (|r|/|b| " << res_measured
     << "), tolerance " << tol << ". U-Net: " << h.get("massmap_train_steps_done")
     << " steps of batch " << h.get("massmap_train_batch") << " on " << h.get("massmap_train_count")
     << " training tiles in " << h.get_double("massmap_train_seconds") << " s (kept step "
     << h.get("massmap_train_best_step") << "); ms per tile with " << at::get_num_threads()
     << " torch thread(s), all " << n << " test tiles in one call.\n"
     << "\nmassmap_maps.png: test tile " << pic
     << ": true kappa, Kaiser-Squires, smoothed Kaiser-Squires, Wiener (theory C_ell), U-Net, "
        "one colour scale (viridis, the truth's 0.5-99.5 percentiles), masked pixels grey in "
        "the Kaiser-Squires panel.\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/massmap.md",
                    csv_path = out.path() + "/massmap_metrics.csv",
                    png = out.path() + "/massmap_maps.png";
  sim::write_file_atomic(table, md.str());
  sim::write_file_atomic(csv_path, csv.str());
  {
    const torch::Tensor tt = truth[pic].contiguous();
    const torch::Tensor sorted = std::get<0>(tt.flatten().sort());
    const auto q = [&](double f) {
      return sorted[static_cast<int64_t>(f * static_cast<double>(sorted.numel() - 1))]
          .item<double>();
    };
    const double lo = q(0.005), hi = std::max(q(0.995), lo + 1e-12);
    write_panels_png(png,
                     {tt, methods[0].kappa[pic].contiguous(), methods[1].kappa[pic].contiguous(),
                      methods[2].kappa[pic].contiguous(), methods[4].kappa[pic].contiguous()},
                     mask[pic].contiguous(), {false, true, false, false, false}, lo, hi,
                     std::max(1, static_cast<int>(256 / t)));
  }
  finish_mock_dir(out, {table, csv_path, png}, md.str(), s, "cosmograd discover massmap evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace

int discover_massmap(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd discover massmap data|train|evaluate [config.ini] [--key value ...]\n"
      "  data      tiles of true convergence and shear from lightcone runs (train, validation,\n"
      "            test runs)\n"
      "  train     the U-Net from noisy masked shear to convergence (fresh noise and masks)\n"
      "  evaluate  Kaiser-Squires, smoothed KS, Wiener (theory and measured C_ell) and the\n"
      "            U-Net on the held-out test tiles: MSE, Pearson r, time per tile, a picture";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd discover massmap: give data, train or evaluate");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "data") return massmap_data(rest);
  if (args[0] == "train") return massmap_train(rest);
  if (args[0] == "evaluate") return massmap_evaluate(rest);
  throw std::invalid_argument("cosmograd discover massmap: unknown mode '" + args[0] +
                              "' (allowed: data, train, evaluate)");
}

}  // namespace cosmograd::apps
