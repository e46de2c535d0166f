// `cosmograd properties stamps` and `cosmograd properties hybrid train|apply`: multi-band
// (ugrizy) stamps of a lightcone mock's galaxies (surveys/properties/multiband_stamps.hpp) and
// the hybrid CNN + photometry photo-z network on them (surveys/properties/hybrid_photoz.hpp;
// Pasquet et al. 2019, A&A 621, A26), trained on split_sample's training part, the split every
// photo-z method of `cosmograd properties` uses.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/properties.hpp"
#include "apps/properties_common.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/properties/hybrid_photoz.hpp"
#include "surveys/properties/multiband_stamps.hpp"
#include "surveys/properties/photoz_metrics.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

/// The file key `key`, which must not be empty.
std::string file_key(const sim::Settings& s, const std::string& key, const std::string& what) {
  const std::string v = s.get_string(key);
  if (v.empty()) sim::bad_setting(key, "", "is empty (allowed: " + what + ")");
  return v;
}

/// Rows 0..n-1.
std::vector<std::size_t> all_rows(std::size_t n) {
  std::vector<std::size_t> r(n);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

int stamps_make(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true` (photometry)"},
      {"cut_band", "", "i", "band of the magnitude cut (the photo-z sample's, SampleCuts)"},
      {"max_mag", "mag", "25.3", "keep galaxies with measured magnitude <= this (LSST gold)"},
      {"z_max", "", "10", "keep galaxies with redshift <= this"},
      {"size", "pixels", "25", "stamp side (odd; the galaxy sits on the central pixel)"},
      {"pixel_scale", "arcsec", "0.2", "pixel side (LSST)"},
      {"psf_fwhm", "arcsec", "",
       "per-band Moffat FWHM BAND:VALUE,... (empty: LSST seeing u:0.92,g:0.87,r:0.83,i:0.80,"
       "z:0.78,y:0.76, Ivezic et al. 2019 Table 2)"},
      {"psf_beta", "", "3.5", "Moffat beta of every band's PSF"},
      {"oversample", "", "3",
       "renderer point samples per pixel and axis (the central 4 x 4 pixels 4x finer)"},
      {"noise", "", "true", "add background noise at each band's m5 (false: noiseless)"},
      {"seed", "", "1", "noise seed (draws keyed by seed and galaxy_id)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace earlier stamps in --out"},
      {"out", "", "properties_stamps", "output directory (multiband_stamps.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties stamps",
      "usage: cosmograd properties stamps [config.ini] --galaxies FILE [--key value ...] "
      "[--out DIR]\nwrites multiband_stamps.h5 (N x B x S x S stamps of every galaxy passing the "
      "cuts, in the sample's order) and multiband_stamps.png (i, r, g composites)",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string galaxies = file_key(s, "galaxies", "a lightcone galaxies.h5, --galaxies FILE");
  set_torch_threads(s);
  surveys::SampleCuts cuts;
  cuts.band = s.get_string("cut_band");
  cuts.max_mag = s.get_double("max_mag");
  cuts.z_max = s.get_double("z_max");
  cuts.validate();
  surveys::MultibandStampOptions o;
  o.size = static_cast<int>(s.get_int("size"));
  o.pixel_scale = s.get_double("pixel_scale");
  o.psf_fwhm = band_values(s, "psf_fwhm");
  o.psf_beta = s.get_double("psf_beta");
  o.oversample = static_cast<int>(s.get_int("oversample"));
  o.noise = s.get_bool("noise");
  o.seed = seed_setting(s);
  if (o.size < 5 || o.size > 255 || o.size % 2 == 0)
    sim::bad_setting("size", s.get_string("size"), "is not allowed (allowed: odd, 5 to 255)");
  o.validate();
  const surveys::PhotometrySample sample = surveys::read_photometry_sample(galaxies, cuts);
  if (sample.count() == 0)
    sim::bad_setting("max_mag", s.get_string("max_mag"),
                     "leaves no galaxy of " + galaxies + " (allowed: a fainter cut)");
  const auto t0 = Clock::now();
  surveys::MultibandStamps st = surveys::render_multiband_stamps(sample, o);
  st.cuts = cuts;
  const double render_s = seconds_since(t0);
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string path = out.path() + "/multiband_stamps.h5",
                    png = out.path() + "/multiband_stamps.png";
  const auto t1 = Clock::now();
  surveys::write_multiband_stamps(path, st);
  const double write_s = seconds_since(t1);
  std::vector<std::string> files = {path};
  // 16 galaxies spread over the brighter half in the cut band, bright to faint.
  const std::size_t cb = sample.band_index(cuts.band), nb = sample.band_count();
  std::vector<std::size_t> order = all_rows(sample.count()), cells;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return sample.mag_true[a * nb + cb] < sample.mag_true[b * nb + cb];
  });
  const std::size_t half = std::max<std::size_t>(1, order.size() / 2);
  for (std::size_t j = 0; j < 16 && j < order.size(); ++j) cells.push_back(order[j * half / 16]);
  if (write_stamp_grid_png(png, st.images, nb, st.size, cells, std::clamp(128 / st.size, 1, 4)))
    files.push_back(png);
  std::ostringstream sum;
  sum << "# cosmograd properties stamps\ngalaxies " << st.count() << "\nbands";
  for (const std::string& b : st.bands) sum << " " << b;
  sum << "\nsize_pixels " << st.size << "\npsf_size_pixels " << st.psf_size
      << "\npixel_scale_arcsec " << st.pixel_scale << "\npsf_fwhm_arcsec";
  for (double f : st.psf_fwhm) sum << " " << f;
  sum << "\nnoise_sigma_nJy";
  for (std::size_t b = 0; b < nb; ++b) sum << " " << (st.count() ? st.noise_sigma[b] : 0.0f);
  sum << "\nm5";
  for (double m : st.m5) sum << " " << m;
  sum << "\ncuts " << cuts.band << " <= " << cuts.max_mag << ", z <= " << cuts.z_max
      << "\nrender_seconds " << render_s << "\nwrite_seconds " << write_s << "\n";
  finish_mock_dir(out, files, sum.str(), s, "cosmograd properties stamps");
  std::printf("%s", sum.str().c_str());
  return 0;
}

/// The sample of the stamps' cuts from `galaxies`, checked against the stamps.
surveys::PhotometrySample aligned_sample(const std::string& galaxies,
                                         const surveys::MultibandStamps& st) {
  surveys::PhotometrySample sample = surveys::read_photometry_sample(galaxies, st.cuts);
  surveys::require_aligned(sample, st);
  return sample;
}

int hybrid_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 the stamps were made from"},
      {"stamps", "", "", "multiband_stamps.h5 of `properties stamps` (its cuts select the sample)"},
      {"channels", "", "16,32,64", "CNN stage channels (3x3 conv + BN + ReLU, 2x2 pooling)"},
      {"photometry_hidden", "", "64,64", "photometry MLP widths"},
      {"hidden", "", "128", "joint layer width before the mixture head"},
      {"components", "", "5", "Gaussian mixture components of p(z)"},
      {"soften", "sigma", "3", "asinh softening of the stamps"},
      {"epochs", "", "8", "passes over the training split"},
      {"batch", "", "128", "galaxies per step"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"weight_decay", "", "1e-5", "Adam L2 weight decay"},
      {"augment", "", "true", "random flips and 90-degree rotations of the stamps"},
      {"max_minutes", "min", "0", "stop training after this wall time (0: no limit)"},
      {"validation_fraction", "", "0.1", "split_sample's validation share (model selection)"},
      {"test_fraction", "", "0.2", "split_sample's held-out share (every photo-z method's)"},
      {"split_seed", "", "1", "split_sample's seed (the same for every photo-z method)"},
      {"seed", "", "1", "initialisation, batch order and augmentation seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "properties_hybrid", "output directory (hybrid_photoz.cgm)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties hybrid train",
      "usage: cosmograd properties hybrid train [config.ini] --galaxies FILE --stamps FILE "
      "[--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string galaxies = file_key(s, "galaxies", "the galaxies.h5 of the stamps");
  const std::string stamps_path = file_key(s, "stamps", "a multiband_stamps.h5");
  set_torch_threads(s);
  surveys::HybridPhotozTrainOptions o;
  o.channels = int_list(s, "channels");
  o.photometry_hidden = int_list(s, "photometry_hidden");
  o.hidden = s.get_int("hidden");
  o.components = s.get_int("components");
  o.soften = s.get_double("soften");
  o.epochs = s.get_int("epochs");
  o.batch = s.get_int("batch");
  o.lr = s.get_double("lr");
  o.weight_decay = s.get_double("weight_decay");
  o.augment = s.get_bool("augment");
  o.max_seconds = 60 * s.get_double("max_minutes");
  o.validation_fraction = s.get_double("validation_fraction");
  o.test_fraction = s.get_double("test_fraction");
  const long long split_seed = s.get_int("split_seed");
  if (split_seed < 0)
    sim::bad_setting("split_seed", s.get_string("split_seed"), "is negative (allowed: >= 0)");
  o.split_seed = static_cast<std::uint64_t>(split_seed);
  o.seed = seed_setting(s);
  o.validate();
  const surveys::MultibandStamps st = surveys::read_multiband_stamps(stamps_path);
  const surveys::PhotometrySample sample = aligned_sample(galaxies, st);
  const surveys::SampleSplit split =
      surveys::split_sample(sample, o.validation_fraction, o.test_fraction, o.split_seed);
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::HybridPhotozTrainReport rep;
  surveys::HybridPhotoz model = surveys::train_hybrid_photoz(sample, st, split, o, &rep);
  nn::ModelHeader header = model->header();
  surveys::add_hybrid_training_header(header, sample, st, st.cuts, o, rep);
  const std::string path = out.path() + "/hybrid_photoz.cgm";
  nn::save_model(path, *model, header);
  // Validation point metrics (the test split is left to `properties photoz evaluate`).
  const surveys::RedshiftPdfs pdfs =
      surveys::hybrid_photoz_pdfs(model, sample, st, split.validation, surveys::RedshiftGrid{});
  std::vector<double> zs;
  for (std::size_t r : split.validation) zs.push_back(sample.redshift[r]);
  const surveys::PointMetrics pm = surveys::point_metrics(surveys::pdf_modes(pdfs), zs);
  std::ostringstream sum;
  sum << "# cosmograd properties hybrid train\ngalaxies " << sample.count() << " (train "
      << rep.train << ", validation " << rep.validation << ", test " << rep.test << ")\nseconds "
      << rep.seconds << "\nthreads " << at::get_num_threads() << "\nepochs_run " << rep.epochs_run
      << "\nbest_epoch " << rep.best_epoch << "\nstopped_by_time "
      << (rep.stopped_by_time ? "true" : "false") << "\nvalidation_nll " << rep.validation_nll
      << "\nvalidation_bias " << pm.bias << "\nvalidation_sigma_mad " << pm.sigma_mad
      << "\nvalidation_outlier_fraction " << pm.outlier_fraction << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties hybrid train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

int hybrid_apply(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = {
      {"model", "", "", "hybrid_photoz.cgm of `properties hybrid train`"},
      {"galaxies", "", "", "galaxies.h5 the stamps were made from"},
      {"stamps", "", "", "multiband_stamps.h5 of `properties stamps` (same bands and side)"},
      {"rows", "", "all",
       "galaxies to apply to: all, or the model's split part train, validation or test"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "properties_hybrid_apply", "output directory (hybrid_pdfs.h5)"},
  };
  const std::vector<sim::KeySpec> g = grid_keys();
  keys.insert(keys.end(), g.begin(), g.end());
  const ParsedArgs parsed = parse_command(
      "properties hybrid apply",
      "usage: cosmograd properties hybrid apply --model FILE --galaxies FILE --stamps FILE "
      "[--rows all|train|validation|test] [--out DIR]\nwrites hybrid_pdfs.h5 (qp interp layout, "
      "redshift_pdf.hpp) and, the mock's truth known, point metrics of the p(z) modes",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string model_path = file_key(s, "model", "a hybrid_photoz.cgm, --model FILE");
  const std::string galaxies = file_key(s, "galaxies", "the galaxies.h5 of the stamps");
  const std::string stamps_path = file_key(s, "stamps", "a multiband_stamps.h5");
  const std::string which = s.get_string("rows");
  if (which != "all" && which != "train" && which != "validation" && which != "test")
    sim::bad_setting("rows", which, "is not allowed (allowed: all, train, validation, test)");
  const surveys::RedshiftGrid grid = grid_from(s);
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::HybridPhotoz model = surveys::load_hybrid_photoz(model_path, &h);
  const surveys::MultibandStamps st = surveys::read_multiband_stamps(stamps_path);
  const surveys::PhotometrySample sample = aligned_sample(galaxies, st);
  std::vector<std::size_t> rows = all_rows(sample.count());
  if (which != "all") {
    const surveys::SampleSplit split =
        surveys::split_sample(sample, h.get_double("hybrid_train_validation_fraction"),
                              h.get_double("hybrid_train_test_fraction"),
                              static_cast<std::uint64_t>(h.get_int("hybrid_train_split_seed")));
    rows = which == "train" ? split.train : which == "validation" ? split.validation : split.test;
  }
  if (rows.empty())
    sim::bad_setting("rows", which, "selects no galaxy (allowed: a part with galaxies)");
  const auto t0 = Clock::now();
  const surveys::RedshiftPdfs pdfs = surveys::hybrid_photoz_pdfs(model, sample, st, rows, grid);
  const double seconds = seconds_since(t0);
  std::vector<std::int64_t> ids;
  std::vector<double> zs;
  for (std::size_t r : rows) {
    ids.push_back(sample.galaxy_id[r]);
    zs.push_back(sample.redshift[r]);
  }
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string path = out.path() + "/hybrid_pdfs.h5";
  surveys::write_redshift_pdfs(path, pdfs, ids, zs,
                               "hybrid CNN + photometry MDN (" + model_path + ")",
                               galaxies + "; " + stamps_path);
  const surveys::PointMetrics pm = surveys::point_metrics(surveys::pdf_modes(pdfs), zs);
  std::ostringstream sum;
  sum << "# cosmograd properties hybrid apply\nrows " << which << "\ngalaxies " << rows.size()
      << "\nseconds " << seconds << "\nms_per_galaxy " << 1e3 * seconds / rows.size()
      << "\n# point metrics of the p(z) modes against the mock's redshifts\nbias " << pm.bias
      << "\nsigma_mad " << pm.sigma_mad << "\nsigma_iqr " << pm.sigma_iqr << "\noutlier_fraction "
      << pm.outlier_fraction << "\nrms " << pm.rms << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties hybrid apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int properties_stamps(const std::vector<std::string>& args) { return stamps_make(args); }

int properties_hybrid(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd properties hybrid train|apply [config.ini] [--key value ...]\n"
      "  train  the CNN + photometry mixture density network on multi-band stamps\n"
      "  apply  p(z) of a sample's galaxies (all or one split part) into hybrid_pdfs.h5";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd properties hybrid: give train or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return hybrid_train(rest);
  if (args[0] == "apply") return hybrid_apply(rest);
  throw std::invalid_argument("cosmograd properties hybrid: unknown mode '" + args[0] +
                              "' (allowed: train, apply)");
}

}  // namespace cosmograd::apps
