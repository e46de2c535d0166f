// `cosmograd vision detect train|evaluate|apply`: the U-Net detector, segmenter and deblender
// (surveys/vision/detector.hpp) trained on `mock blends` stamps, evaluated on their held-out
// stamps beside SExtractor (precision, recall and F1 of Hungarian matches within 3 pixels per
// magnitude and blendedness bin; deblended flux residuals), and applied to any FITS image.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "sim/io/png.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/image_fits.hpp"
#include "surveys/vision/detector.hpp"
#include "surveys/vision/detector_train.hpp"
#include "surveys/vision/matching.hpp"
#include "surveys/vision/sextractor.hpp"

namespace cosmograd::apps {
namespace {

using surveys::BlendSet;
using surveys::Detection;
using surveys::SextractorObject;
using XY = std::array<double, 2>;

constexpr double kZeroPoint = 31.4;  // AB magnitude of 1 nJy

double mag_of(double flux) { return flux > 0 ? kZeroPoint - 2.5 * std::log10(flux) : INFINITY; }

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  const double hi = v[h];
  if (v.size() % 2 == 1) return hi;
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)));
}

/// 1.4826 times the median absolute deviation from the median (a Gaussian's sigma).
double mad_sigma(const std::vector<double>& v) {
  const double m = median_of(v);
  std::vector<double> d;
  for (double x : v)
    if (std::isfinite(x)) d.push_back(std::abs(x - m));
  return 1.4826 * median_of(d);
}

/// The key `assign_radius`: -1 gives the model's; otherwise >= 0 [pixels] (0: no limit).
double assign_radius_setting(const sim::Settings& s, const surveys::DetectorNet& net) {
  const double r = s.get_double("assign_radius");
  if (r == -1) return net->config().assign_radius;
  sim::require(r >= 0 && std::isfinite(r), "assign_radius", r,
               ">= 0 [pixels] (0: no limit), or -1 for the model's");
  return r;
}

surveys::SextractorSettings sextractor_settings(double pixel_scale) {
  surveys::SextractorSettings o;
  o.pixel_scale = pixel_scale;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Pictures.

struct Canvas {
  sim::Image img;
  int zoom = 1, ox = 0, oy = 0, size_y = 0;  // cell origin and its image height [pixels]
  /// Canvas pixel of image coordinates (x, y) (y up).
  std::array<int, 2> at(double x, double y) const {
    return {ox + static_cast<int>(std::lround(x * zoom)),
            oy + static_cast<int>(std::lround((size_y - y) * zoom))};
  }
};

void draw_image(Canvas& c, const std::vector<float>& v, int w, int h, double sigma) {
  const double peak = *std::max_element(v.begin(), v.end());
  const double norm = std::asinh(std::max(peak, 3 * sigma) / sigma);
  for (int iy = 0; iy < h; ++iy)
    for (int ix = 0; ix < w; ++ix) {
      const double f =
          std::clamp(std::asinh(v[static_cast<std::size_t>(iy) * w + ix] / sigma) / norm, 0.0, 1.0);
      const auto g = static_cast<std::uint8_t>(std::lround(255 * f));
      for (int dy = 0; dy < c.zoom; ++dy)
        for (int dx = 0; dx < c.zoom; ++dx)
          c.img.set_clipped(c.ox + ix * c.zoom + dx, c.oy + (h - 1 - iy) * c.zoom + dy, {g, g, g});
    }
}

/// Lines along the edges between pixels of different segmentation labels.
void draw_outlines(Canvas& c, const std::vector<std::int32_t>& seg, int w, int h, sim::RGB col) {
  auto label = [&](int ix, int iy) {
    return (ix < 0 || iy < 0 || ix >= w || iy >= h) ? 0
                                                    : seg[static_cast<std::size_t>(iy) * w + ix];
  };
  for (int iy = 0; iy < h; ++iy)
    for (int ix = 0; ix <= w; ++ix) {
      const int a = label(ix - 1, iy), b = label(ix, iy);
      if (a == b) continue;
      for (int k = 0; k < c.zoom; ++k)
        c.img.set_clipped(c.ox + ix * c.zoom, c.oy + (h - 1 - iy) * c.zoom + k, col);
    }
  for (int iy = 0; iy <= h; ++iy)
    for (int ix = 0; ix < w; ++ix) {
      const int a = label(ix, iy - 1), b = label(ix, iy);
      if (a == b) continue;
      for (int k = 0; k < c.zoom; ++k)
        c.img.set_clipped(c.ox + ix * c.zoom + k, c.oy + (h - iy) * c.zoom, col);
    }
}

enum class Mark { plus, cross, circle };

void draw_mark(Canvas& c, double x, double y, Mark m, int r, sim::RGB col) {
  const auto p = c.at(x, y);
  if (m == Mark::circle) {
    for (int k = 0; k < 8 * r; ++k) {
      const double t = 2 * M_PI * k / (8 * r);
      c.img.set_clipped(p[0] + static_cast<int>(std::lround(r * std::cos(t))),
                        p[1] + static_cast<int>(std::lround(r * std::sin(t))), col);
    }
    return;
  }
  for (int k = -r; k <= r; ++k) {
    if (m == Mark::plus) {
      c.img.set_clipped(p[0] + k, p[1], col);
      c.img.set_clipped(p[0], p[1] + k, col);
    } else {
      c.img.set_clipped(p[0] + k, p[1] + k, col);
      c.img.set_clipped(p[0] + k, p[1] - k, col);
    }
  }
}

const sim::RGB kTruthColour{60, 220, 60}, kUnetColour{255, 60, 60}, kSexColour{60, 200, 255},
    kOutlineColour{230, 200, 40};

// ---------------------------------------------------------------------------------------------
// train

int detect_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"blends", "", "", "directory of `cosmograd mock blends` (blends.h5, truth.h5)"},
      {"depth", "", "3", "U-Net downsamplings"},
      {"base_channels", "", "16", "U-Net channels at the finest level"},
      {"norm_groups", "", "4", "group-norm groups"},
      {"heatmap_sigma", "pixels", "1.5", "Gaussian sigma of the centre heatmap targets"},
      {"assign_radius", "pixels", "0",
       "largest miss of a footprint pixel's centre + offset from its detection (0: no limit)"},
      {"steps", "", "2000", "optimiser steps"},
      {"batch", "", "16", "stamps per step"},
      {"crop", "pixels", "0", "train on random crop x crop windows (0: whole stamps)"},
      {"lr", "", "2e-3", "Adam learning rate (cosine decay to 1/20)"},
      {"heatmap_weight", "", "1", "weight of the heatmap (quality focal) loss"},
      {"offset_weight", "1/pixel", "0.1", "weight of the L1 offset loss"},
      {"validation_fraction", "", "0.1", "stamps for model selection and the threshold"},
      {"test_fraction", "", "0.2", "held-out stamps for `vision detect evaluate`"},
      {"validate_every", "", "250", "steps between validations (the best F1 is kept)"},
      {"seed", "", "1", "split, initialisation, batch and augmentation seed"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier model in --out"},
      {"out", "", "vision_detect", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision detect train",
      "usage: cosmograd vision detect train [config.ini] --blends DIR [--key value ...] "
      "[--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("blends").empty())
    throw std::invalid_argument("cosmograd vision detect train: give --blends DIR");
  set_torch_threads(s);
  surveys::DetectorTrainOptions o;
  o.config.depth = s.get_int("depth");
  o.config.base_channels = s.get_int("base_channels");
  o.config.norm_groups = s.get_int("norm_groups");
  o.config.heatmap_sigma = s.get_double("heatmap_sigma");
  o.config.assign_radius = s.get_double("assign_radius");
  o.steps = s.get_int("steps");
  o.batch = s.get_int("batch");
  o.crop = s.get_int("crop");
  o.lr = s.get_double("lr");
  o.heatmap_weight = s.get_double("heatmap_weight");
  o.offset_weight = s.get_double("offset_weight");
  o.validation_fraction = s.get_double("validation_fraction");
  o.test_fraction = s.get_double("test_fraction");
  o.validate_every = s.get_int("validate_every");
  o.seed = seed_setting(s);
  o.validate();
  const BlendSet set = surveys::read_blend_set(s.get_string("blends"));
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  surveys::DetectorTrainReport rep;
  surveys::DetectorNet net = surveys::train_detector(set, o, &rep);
  nn::ModelHeader header = net->header();
  surveys::add_detector_training_header(header, set, o, rep);
  const std::string path = out.path() + "/detector.pt";
  nn::save_model(path, *net, header);
  std::ostringstream sum;
  sum << "# cosmograd vision detect train\nstamps " << set.count() << " (train " << rep.train
      << ", validation " << rep.validation << ", test " << rep.test << ")\nseconds " << rep.seconds
      << "\nbest_step " << rep.best_step << "\nthreshold " << rep.threshold << "\nvalidation_f1 "
      << rep.validation_f1 << "\nvalidation_precision " << rep.validation_precision
      << "\nvalidation_recall " << rep.validation_recall << "\nfinal_loss " << rep.final_loss
      << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd vision detect train");
  std::printf("%s", sum.str().c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// evaluate

/// Truth of one galaxy of a test stamp.
struct TrueGalaxy {
  int64_t slot = 0;
  double x = 0, y = 0, mag = 0, blendedness = 0, flux_in_stamp = 0;
};

/// A bin's counts: truths, matched truths, unmatched detections assigned to it.
struct BinCounts {
  double truths = 0, matched = 0, false_positives = 0;
  double precision() const {
    return matched + false_positives > 0 ? matched / (matched + false_positives) : NAN;
  }
  double recall() const { return truths > 0 ? matched / truths : NAN; }
  double f1() const {
    const double d = truths + matched + false_positives;  // 2 TP + FP + FN
    return d > 0 ? 2 * matched / d : NAN;
  }
};

const std::vector<std::string> kMagBins = {"mag < 22", "22 - 23", "23 - 24", "24 - 25.3"};
const std::vector<std::string> kBlendBins = {"isolated (b < 0.05)", "0.05 <= b < 0.3", "b >= 0.3"};

int mag_bin(double mag) {
  if (mag < 22) return 0;
  if (mag < 23) return 1;
  if (mag < 24) return 2;
  return 3;  // 24 - 25.3 and every fainter (or non-positive) measured flux
}

int blend_bin(double b) {
  if (b < 0.05) return 0;
  if (b < 0.3) return 1;
  return 2;
}

/// Per-method results of the test stamps.
struct MethodScore {
  std::vector<BinCounts> mag = std::vector<BinCounts>(4), blend = std::vector<BinCounts>(3);
  BinCounts all;
  std::vector<std::vector<double>> residual = std::vector<std::vector<double>>(4);  // 3 bins, all
  std::vector<double> distance;  // matched separations [pixels]
};

/// Adds one stamp's detections `det` (positions, measured fluxes) matched to `truth`; returns
/// the detection matched to each truth (-1: none).
std::vector<int> score_stamp(MethodScore& m, const std::vector<TrueGalaxy>& truth,
                             const std::vector<XY>& det, const std::vector<double>& flux,
                             double max_distance) {
  std::vector<XY> txy;
  for (const TrueGalaxy& t : truth) txy.push_back({t.x, t.y});
  const auto pairs = surveys::match_positions(txy, det, max_distance);
  std::vector<int> of_truth(truth.size(), -1);
  std::vector<char> used(det.size(), 0);
  for (const auto& p : pairs) {
    of_truth[static_cast<std::size_t>(p.truth)] = p.detection;
    used[static_cast<std::size_t>(p.detection)] = 1;
    m.distance.push_back(p.distance);
  }
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const TrueGalaxy& t = truth[i];
    const bool hit = of_truth[i] >= 0;
    for (BinCounts* b : {&m.mag[static_cast<std::size_t>(mag_bin(t.mag))],
                         &m.blend[static_cast<std::size_t>(blend_bin(t.blendedness))], &m.all}) {
      b->truths += 1;
      if (hit) b->matched += 1;
    }
    if (hit && t.flux_in_stamp > 0) {
      const double r =
          (flux[static_cast<std::size_t>(of_truth[i])] - t.flux_in_stamp) / t.flux_in_stamp;
      m.residual[static_cast<std::size_t>(blend_bin(t.blendedness))].push_back(r);
      m.residual[3].push_back(r);
    }
  }
  for (std::size_t j = 0; j < det.size(); ++j) {
    if (used[j]) continue;
    m.all.false_positives += 1;
    m.mag[static_cast<std::size_t>(mag_bin(mag_of(flux[j])))].false_positives += 1;
    // Blendedness bin of a false positive: that of the nearest true galaxy of the stamp (it is
    // most often a shred of that galaxy or a peak between it and a neighbour).
    std::size_t near = 0;
    double best = INFINITY;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      const double d = std::hypot(truth[i].x - det[j][0], truth[i].y - det[j][1]);
      if (d < best) {
        best = d;
        near = i;
      }
    }
    if (!truth.empty())
      m.blend[static_cast<std::size_t>(blend_bin(truth[near].blendedness))].false_positives += 1;
  }
  return of_truth;
}

std::string fmt(double v, int digits = 3) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

BinCounts merged(const BinCounts& a, const BinCounts& b) {
  return {a.truths + b.truths, a.matched + b.matched, a.false_positives + b.false_positives};
}

int detect_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "detector.pt of `vision detect train`"},
      {"blends", "", "", "the blend set it was trained on (its held-out stamps are evaluated)"},
      {"match_distance", "pixels", "3", "largest separation of a match (Hungarian algorithm)"},
      {"assign_radius", "pixels", "-1", "footprint assignment radius (-1: the model's)"},
      {"sextractor", "", "true", "run the SExtractor baseline"},
      {"pictures", "", "8", "test stamps drawn in detections.png (those with >= 3 galaxies)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "vision_detect_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision detect evaluate",
      "usage: cosmograd vision detect evaluate --model FILE --blends DIR [--out DIR]", keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty() || s.get_string("blends").empty())
    throw std::invalid_argument("cosmograd vision detect evaluate: give --model FILE --blends DIR");
  const double max_distance = s.get_double("match_distance");
  sim::require(sim::positive(max_distance), "match_distance", max_distance, "> 0 [pixels]");
  const long long pictures = s.get_int("pictures");
  sim::check_int_range("pictures", pictures, 0, 64);
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::DetectorNet net = surveys::load_detector(s.get_string("model"), &h);
  const double assign_radius = assign_radius_setting(s, net);
  const BlendSet set = surveys::read_blend_set(s.get_string("blends"));
  if (h.get_int("detector_train_stamps") != static_cast<int64_t>(set.count()))
    sim::bad_setting("blends", s.get_string("blends"),
                     "holds " + std::to_string(set.count()) + " stamps; the model was trained on " +
                         h.get("detector_train_stamps") + " (give the same set)");
  const surveys::StampSplit split =
      surveys::split_stamps(set.count(), h.get_double("detector_train_validation_fraction"),
                            h.get_double("detector_train_test_fraction"),
                            static_cast<std::uint64_t>(h.get_int("detector_train_seed")));
  if (split.test.empty())
    throw std::invalid_argument(
        "vision detect evaluate: the model was trained with test_fraction 0");
  const std::string ref = set.ref_band;
  const double sigma = set.sigma.at(surveys::reference_band(set));
  const int size = set.size;
  const std::size_t px = static_cast<std::size_t>(size) * size;

  // Truth per test stamp.
  const auto& t_stamp = set.truth.column("stamp");
  std::vector<int64_t> stamp_of;
  if (t_stamp.type_name() == "int32") {
    for (auto v : t_stamp.as<std::int32_t>()) stamp_of.push_back(v);
  } else {
    stamp_of = t_stamp.as<std::int64_t>();
  }
  const auto& t_slot = set.truth.column("slot");
  std::vector<int64_t> slot_of;
  if (t_slot.type_name() == "int32") {
    for (auto v : t_slot.as<std::int32_t>()) slot_of.push_back(v);
  } else {
    slot_of = t_slot.as<std::int64_t>();
  }
  const auto& tx = set.truth.column("x").as<double>();
  const auto& ty = set.truth.column("y").as<double>();
  const auto& tflux = set.truth.column("flux_" + ref).as<double>();
  const auto& tstamp_flux = set.truth.column("flux_in_stamp_" + ref).as<double>();
  const auto& tblend = set.truth.column("blendedness").as<double>();
  std::vector<int> test_index(set.count(), -1);
  for (std::size_t k = 0; k < split.test.size(); ++k)
    test_index[split.test[k]] = static_cast<int>(k);
  std::vector<std::vector<TrueGalaxy>> truth(split.test.size());
  for (std::size_t r = 0; r < stamp_of.size(); ++r) {
    const int k = test_index.at(static_cast<std::size_t>(stamp_of[r]));
    if (k < 0) continue;
    truth[static_cast<std::size_t>(k)].push_back(
        {slot_of[r], tx[r], ty[r], mag_of(tflux[r]), tblend[r], tstamp_flux[r]});
  }

  // The U-Net.
  const torch::Tensor images = surveys::blend_images(set, split.test);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<surveys::DetectorMaps> maps =
      surveys::predict_maps(net, images, std::vector<double>(split.test.size(), sigma));
  std::vector<surveys::DetectionMap> unet;
  std::vector<std::vector<float>> stamp_pixels;
  const float* all_px = images.data_ptr<float>();
  for (std::size_t k = 0; k < split.test.size(); ++k) {
    stamp_pixels.emplace_back(all_px + k * px, all_px + (k + 1) * px);
    unet.push_back(surveys::decode_detections(maps[k], stamp_pixels.back(), net->config().threshold,
                                              net->config().foreground, assign_radius));
  }
  const double unet_ms =
      1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
      static_cast<double>(split.test.size());

  // SExtractor on the same stamps (one mosaic).
  const bool run_sex = s.get_bool("sextractor");
  const surveys::SextractorSettings sex_settings = sextractor_settings(set.pixel_scale);
  std::vector<std::vector<SextractorObject>> sex(split.test.size());
  double sex_ms = NAN;
  if (run_sex) {
    const auto t1 = std::chrono::steady_clock::now();
    sex =
        surveys::run_sextractor_stamps(std::vector<float>(all_px, all_px + split.test.size() * px),
                                       split.test.size(), size, sex_settings);
    sex_ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() /
             static_cast<double>(split.test.size());
  }

  // Scores and the per-object table.
  MethodScore su, sa, si;  // U-Net; SExtractor FLUX_AUTO; FLUX_ISO (same matches as AUTO)
  std::ostringstream csv;
  csv << std::setprecision(8);
  csv << "kind,stamp,slot,x_true,y_true,mag_true,blendedness,flux_in_stamp,unet_x,unet_y,"
         "unet_flux,unet_pixels,unet_score,sex_x,sex_y,sex_flux_auto,sex_flux_iso\n";
  std::vector<std::vector<int>> unet_of(split.test.size()), sex_of(split.test.size());
  for (std::size_t k = 0; k < split.test.size(); ++k) {
    std::vector<XY> du, ds;
    std::vector<double> fu, fa, fi;
    for (const Detection& d : unet[k].objects) {
      du.push_back({d.x, d.y});
      fu.push_back(d.flux);
    }
    for (const SextractorObject& o : sex[k]) {
      ds.push_back({o.x, o.y});
      fa.push_back(o.flux_auto);
      fi.push_back(o.flux_iso);
    }
    unet_of[k] = score_stamp(su, truth[k], du, fu, max_distance);
    if (run_sex) {
      sex_of[k] = score_stamp(sa, truth[k], ds, fa, max_distance);
      score_stamp(si, truth[k], ds, fi, max_distance);
    } else {
      sex_of[k].assign(truth[k].size(), -1);
    }
    const std::size_t stamp = split.test[k];
    std::vector<char> u_used(du.size(), 0), s_used(ds.size(), 0);
    for (std::size_t i = 0; i < truth[k].size(); ++i) {
      const TrueGalaxy& t = truth[k][i];
      csv << "truth," << stamp << "," << t.slot << "," << t.x << "," << t.y << "," << t.mag << ","
          << t.blendedness << "," << t.flux_in_stamp;
      const int u = unet_of[k][i], v = sex_of[k][i];
      if (u >= 0) {
        const Detection& d = unet[k].objects[static_cast<std::size_t>(u)];
        u_used[static_cast<std::size_t>(u)] = 1;
        csv << "," << d.x << "," << d.y << "," << d.flux << "," << d.pixels << "," << d.score;
      } else {
        csv << ",,,,,";
      }
      if (v >= 0) {
        const SextractorObject& o = sex[k][static_cast<std::size_t>(v)];
        s_used[static_cast<std::size_t>(v)] = 1;
        csv << "," << o.x << "," << o.y << "," << o.flux_auto << "," << o.flux_iso << "\n";
      } else {
        csv << ",,,,\n";
      }
    }
    for (std::size_t j = 0; j < du.size(); ++j) {
      if (u_used[j]) continue;
      const Detection& d = unet[k].objects[j];
      csv << "unet_unmatched," << stamp << ",,,,,,," << d.x << "," << d.y << "," << d.flux << ","
          << d.pixels << "," << d.score << ",,,,\n";
    }
    for (std::size_t j = 0; j < ds.size(); ++j) {
      if (s_used[j]) continue;
      const SextractorObject& o = sex[k][j];
      csv << "sextractor_unmatched," << stamp << ",,,,,,,,,,,," << o.x << "," << o.y << ","
          << o.flux_auto << "," << o.flux_iso << "\n";
    }
  }

  // The report.
  std::ostringstream md;
  md << "# U-Net detection and deblending vs SExtractor (held-out mock blends)\n\n"
     << "Model " << s.get_string("model") << " (trained " << h.get("date") << ", "
     << h.get_int("detector_train_steps") << " steps, threshold " << net->config().threshold
     << ", footprint assignment radius " << assign_radius << " px (0: none)); blend set "
     << s.get_string("blends") << ": " << split.test.size() << " test stamps of " << set.count()
     << " (split seed " << h.get("detector_train_seed") << "), " << size << "x" << size
     << " pixels of " << set.pixel_scale << "\", band " << ref << ", sigma " << fmt(sigma)
     << " nJy.\n\nMatches: Hungarian algorithm per stamp within " << max_distance
     << " pixels. Recall per bin = matched truths / truths of the bin; precision per bin = "
        "matched truths of the bin / (those + unmatched detections assigned to the bin). "
        "Unmatched detections go to the magnitude bin of their measured flux (fainter than 24: "
        "the last bin) and to the blendedness bin of the nearest true galaxy of their stamp. "
        "Magnitude = 31.4 - 2.5 log10 flux_"
     << ref
     << " [nJy]; blendedness b as `mock blends` "
        "defines it.\n\n";
  md << "| bin | truths | U-Net precision | U-Net recall | U-Net F1 | SExtractor precision | "
        "SExtractor recall | SExtractor F1 |\n|---|---|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& name, const BinCounts& u, const BinCounts& a) {
    md << "| " << name << " | " << static_cast<long long>(u.truths) << " | " << fmt(u.precision())
       << " | " << fmt(u.recall()) << " | " << fmt(u.f1()) << " | "
       << (run_sex ? fmt(a.precision()) : "-") << " | " << (run_sex ? fmt(a.recall()) : "-")
       << " | " << (run_sex ? fmt(a.f1()) : "-") << " |\n";
  };
  for (std::size_t b = 0; b < kMagBins.size(); ++b) row(kMagBins[b], su.mag[b], sa.mag[b]);
  for (std::size_t b = 0; b < kBlendBins.size(); ++b) row(kBlendBins[b], su.blend[b], sa.blend[b]);
  row("**blended (b >= 0.05)**", merged(su.blend[1], su.blend[2]),
      merged(sa.blend[1], sa.blend[2]));
  row("**all**", su.all, sa.all);
  md << "\nDeblended fluxes of matched galaxies: (flux - flux_in_stamp_" << ref
     << ") / flux_in_stamp_" << ref
     << "; median and scatter = 1.4826 MAD (U-Net: the image summed over its footprint; "
        "SExtractor FLUX_AUTO, Kron aperture, and FLUX_ISO, isophotal).\n\n"
     << "| blendedness | U-Net N | U-Net median | U-Net scatter | AUTO N | AUTO median | AUTO "
        "scatter | ISO median | ISO scatter |\n|---|---|---|---|---|---|---|---|---|\n";
  const std::vector<std::string> res_names = {kBlendBins[0], kBlendBins[1], kBlendBins[2], "all"};
  for (std::size_t b = 0; b < 4; ++b)
    md << "| " << res_names[b] << " | " << su.residual[b].size() << " | "
       << fmt(median_of(su.residual[b])) << " | " << fmt(mad_sigma(su.residual[b])) << " | "
       << sa.residual[b].size() << " | " << fmt(median_of(sa.residual[b])) << " | "
       << fmt(mad_sigma(sa.residual[b])) << " | " << fmt(median_of(si.residual[b])) << " | "
       << fmt(mad_sigma(si.residual[b])) << " |\n";
  md << "\nMedian separation of matches: U-Net " << fmt(median_of(su.distance)) << " px";
  if (run_sex) md << ", SExtractor " << fmt(median_of(sa.distance)) << " px";
  md << ". Time per stamp (this CPU): U-Net " << fmt(unet_ms, 2) << " ms (network + decoding)";
  if (run_sex) md << ", SExtractor " << fmt(sex_ms, 2) << " ms (mosaic, including file I/O)";
  md << ".\n\nSExtractor settings: " << sex_settings.describe()
     << ". The test stamps run as one mosaic (stamps side by side); each object belongs to the "
        "stamp holding its centre.\n\n"
     << "detections.png: test stamps with >= 3 galaxies (asinh grey); green +: true centres, "
        "red circles: U-Net detections, cyan x: SExtractor detections, yellow: U-Net "
        "segmentation outlines.\n";

  // Picture.
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string table = out.path() + "/detect_eval.md", png = out.path() + "/detections.png",
                    csv_path = out.path() + "/objects.csv";
  sim::write_file_atomic(table, md.str());
  sim::write_file_atomic(csv_path, csv.str());
  std::vector<std::string> files = {table, csv_path};
  std::vector<std::size_t> chosen;
  for (std::size_t k = 0; k < split.test.size() && static_cast<long long>(chosen.size()) < pictures;
       ++k)
    if (truth[k].size() >= 3) chosen.push_back(k);
  if (!chosen.empty()) {
    const int zoom = 4, gap = 4, cols = std::min<int>(4, static_cast<int>(chosen.size()));
    const int rows = (static_cast<int>(chosen.size()) + cols - 1) / cols;
    const int cell = size * zoom + gap;
    Canvas c{sim::Image(cols * cell, rows * cell, sim::RGB{40, 40, 40}), zoom, 0, 0, size};
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const std::size_t k = chosen[i];
      c.ox = static_cast<int>(i % static_cast<std::size_t>(cols)) * cell;
      c.oy = static_cast<int>(i / static_cast<std::size_t>(cols)) * cell;
      draw_image(c, stamp_pixels[k], size, size, sigma);
      draw_outlines(c, unet[k].segmentation, size, size, kOutlineColour);
      for (const TrueGalaxy& t : truth[k]) draw_mark(c, t.x, t.y, Mark::plus, 5, kTruthColour);
      for (const Detection& d : unet[k].objects)
        draw_mark(c, d.x, d.y, Mark::circle, 6, kUnetColour);
      for (const SextractorObject& o : sex[k]) draw_mark(c, o.x, o.y, Mark::cross, 4, kSexColour);
    }
    sim::write_png(png, c.img);
    files.push_back(png);
  }
  finish_mock_dir(out, files, md.str(), s, "cosmograd vision detect evaluate");
  std::printf("%s", md.str().c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// apply

int detect_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "detector.pt of `vision detect train`"},
      {"image", "", "", "FITS image (first image HDU; background subtracted, TAN WCS)"},
      {"sigma", "image units", "0",
       "background rms per input pixel (0: 1.4826 MAD of the rebinned image)"},
      {"rebin", "", "1", "sum rebin x rebin input pixels first (towards the training scale)"},
      {"tile", "pixels", "256", "network tile side (images up to this run whole)"},
      {"overlap", "pixels", "32", "overlap of neighbouring tiles"},
      {"sextractor", "", "true", "also run SExtractor and compare on its brightest objects"},
      {"brightest", "", "50", "SExtractor objects (by FLUX_AUTO) the comparison uses"},
      {"match_distance", "pixels", "3", "largest separation of a match [rebinned pixels]"},
      {"assign_radius", "pixels", "-1", "footprint assignment radius (-1: the model's)"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "vision_detect_apply", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "vision detect apply",
      "usage: cosmograd vision detect apply --model FILE --image IMAGE.fits [--sigma S] "
      "[--rebin N] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("model").empty() || s.get_string("image").empty())
    throw std::invalid_argument("cosmograd vision detect apply: give --model FILE --image FILE");
  const long long rebin = s.get_int("rebin");
  sim::check_int_range("rebin", rebin, 1, 64);
  const double sigma_in = s.get_double("sigma");
  sim::require(sigma_in >= 0 && std::isfinite(sigma_in), "sigma", sigma_in, ">= 0 (0: estimated)");
  const long long brightest = s.get_int("brightest");
  sim::check_int_range("brightest", brightest, 1, 100000);
  const double max_distance = s.get_double("match_distance");
  sim::require(sim::positive(max_distance), "match_distance", max_distance, "> 0 [pixels]");
  set_torch_threads(s);
  nn::ModelHeader h;
  surveys::DetectorNet net = surveys::load_detector(s.get_string("model"), &h);
  const double assign_radius = assign_radius_setting(s, net);
  surveys::TanWcs wcs;
  const std::vector<surveys::BandImage> bands =
      surveys::read_image_fits(s.get_string("image"), &wcs);
  const surveys::BandImage& in = bands.at(0);
  const int n = static_cast<int>(rebin);
  const int w = in.nx / n, hh = in.ny / n;
  if (w < 8 || hh < 8)
    sim::bad_setting("rebin", std::to_string(rebin),
                     "leaves " + std::to_string(w) + " x " + std::to_string(hh) +
                         " pixels (at least 8 x 8 needed)");
  std::vector<float> img(static_cast<std::size_t>(w) * hh, 0.f);
  std::size_t bad = 0;
  for (int iy = 0; iy < hh * n; ++iy)
    for (int ix = 0; ix < w * n; ++ix) {
      double v = in.values[static_cast<std::size_t>(iy) * in.nx + ix];
      if (!std::isfinite(v)) {
        v = 0;
        ++bad;
      }
      img[static_cast<std::size_t>(iy / n) * w + ix / n] += static_cast<float>(v);
    }
  // Summing n x n pixels of white noise multiplies its rms by n.
  const double sigma =
      sigma_in > 0 ? sigma_in * n : mad_sigma(std::vector<double>(img.begin(), img.end()));
  if (!sim::positive(sigma))
    sim::bad_setting("sigma", fmt(sigma, 6),
                     "estimated as <= 0: the image is constant; give --sigma");
  const double scale = wcs.pixel_scale_arcsec * n;
  const auto t0 = std::chrono::steady_clock::now();
  const surveys::DetectorMaps maps =
      surveys::predict_maps_tiled(net, img, w, hh, sigma, static_cast<int>(s.get_int("tile")),
                                  static_cast<int>(s.get_int("overlap")));
  const surveys::DetectionMap det = surveys::decode_detections(
      maps, img, net->config().threshold, net->config().foreground, assign_radius);
  const double unet_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  std::vector<std::string> files;
  // Catalogue.
  {
    std::ostringstream c;
    c << std::setprecision(8) << "# cosmograd vision detect apply: U-Net detections of "
      << s.get_string("image") << " rebinned " << n << "x" << n
      << "; x, y in rebinned pixels (pixel ix spans [ix, ix+1]);"
      << " x_input = rebin x, y_input = rebin y in input pixels; flux = footprint sum [image "
         "units]\n"
      << "id,x,y,x_input,y_input,ra_deg,dec_deg,flux,pixels,score\n";
    for (std::size_t k = 0; k < det.objects.size(); ++k) {
      const Detection& d = det.objects[k];
      // 0-based FITS-convention coordinates of the input (pixel centres at integers).
      const auto sky = surveys::pixel_to_sky(wcs, n * d.x - 0.5, n * d.y - 0.5);
      c << k + 1 << "," << d.x << "," << d.y << "," << n * d.x << "," << n * d.y << "," << sky[0]
        << "," << sky[1] << "," << d.flux << "," << d.pixels << "," << d.score << "\n";
    }
    files.push_back(out.path() + "/catalog.csv");
    sim::write_file_atomic(files.back(), c.str());
  }
  // Segmentation, on the rebinned grid (its WCS: scale x rebin, reference pixel moved).
  {
    surveys::BandImage seg;
    seg.band = "segmentation";
    seg.nx = w;
    seg.ny = hh;
    seg.values.assign(det.segmentation.begin(), det.segmentation.end());
    surveys::TanWcs sw = wcs;
    sw.pixel_scale_arcsec = scale;
    sw.crpix1 = (wcs.crpix1 - 1 - 0.5 * (n - 1)) / n + 1;
    sw.crpix2 = (wcs.crpix2 - 1 - 0.5 * (n - 1)) / n + 1;
    files.push_back(out.path() + "/segmentation.fits");
    surveys::write_single_image_fits(files.back(), seg, sw,
                                     {{"REBIN", static_cast<double>(n), "input pixels per side"}});
  }
  // SExtractor on the same (rebinned) image and the comparison on its brightest objects.
  std::vector<SextractorObject> sex;
  std::ostringstream md;
  md << "# U-Net detections of " << s.get_string("image") << "\n\n"
     << "Input " << in.nx << " x " << in.ny << " pixels of " << wcs.pixel_scale_arcsec
     << "\", rebinned " << n << "x" << n << " (sum) to " << w << " x " << hh << " pixels of "
     << scale << "\" (model trained at " << net->config().pixel_scale << "\"); sigma " << sigma
     << (sigma_in > 0 ? " (given x rebin)" : " (1.4826 MAD of the rebinned image)")
     << (bad > 0 ? "; " + std::to_string(bad) + " non-finite pixels set to 0" : std::string())
     << ".\n\nU-Net: " << det.objects.size() << " detections (threshold " << net->config().threshold
     << ", footprint assignment radius " << assign_radius << " px) in " << fmt(unet_s, 2)
     << " s.\n";
  if (s.get_bool("sextractor")) {
    surveys::SextractorSettings so = sextractor_settings(scale);
    sex = surveys::run_sextractor(img, w, hh, so);
    std::vector<std::size_t> order(sex.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return sex[a].flux_auto > sex[b].flux_auto; });
    order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(brightest)));
    std::vector<XY> bright, found;
    for (std::size_t i : order) bright.push_back({sex[i].x, sex[i].y});
    for (const Detection& d : det.objects) found.push_back({d.x, d.y});
    const auto pairs = surveys::match_positions(bright, found, max_distance);
    std::vector<double> ratio;
    for (const auto& p : pairs)
      ratio.push_back(det.objects[static_cast<std::size_t>(p.detection)].flux /
                      sex[order[static_cast<std::size_t>(p.truth)]].flux_auto);
    std::vector<XY> all_sex;
    for (const SextractorObject& o : sex) all_sex.push_back({o.x, o.y});
    const auto all_pairs = surveys::match_positions(all_sex, found, max_distance);
    md << "SExtractor: " << sex.size() << " objects (" << so.describe() << ").\n\n"
       << "| comparison | value |\n|---|---|\n"
       << "| brightest SExtractor objects (FLUX_AUTO) | " << bright.size() << " |\n"
       << "| of those found by the U-Net within " << max_distance << " px | " << pairs.size()
       << " (" << fmt(bright.empty() ? NAN : static_cast<double>(pairs.size()) / bright.size())
       << ") |\n"
       << "| median U-Net flux / FLUX_AUTO on them | " << fmt(median_of(ratio)) << " |\n"
       << "| all SExtractor objects matched by a U-Net detection | " << all_pairs.size() << " of "
       << sex.size() << " |\n";
    std::ostringstream c;
    c << std::setprecision(8) << "# SExtractor on the rebinned image; x, y as catalog.csv\n"
      << "id,x,y,flux_auto,flux_iso,isoarea\n";
    for (std::size_t k = 0; k < sex.size(); ++k)
      c << k + 1 << "," << sex[k].x << "," << sex[k].y << "," << sex[k].flux_auto << ","
        << sex[k].flux_iso << "," << sex[k].isoarea << "\n";
    files.push_back(out.path() + "/sextractor.csv");
    sim::write_file_atomic(files.back(), c.str());
  }
  md << "\ndetections.png: the rebinned image (asinh grey, north up); red circles: U-Net, cyan "
        "x: SExtractor, yellow: U-Net segmentation outlines.\n";
  {
    const int zoom = std::max(1, std::min(4, 1024 / std::max(w, hh)));
    Canvas c{sim::Image(w * zoom, hh * zoom, sim::RGB{0, 0, 0}), zoom, 0, 0, hh};
    draw_image(c, img, w, hh, sigma);
    draw_outlines(c, det.segmentation, w, hh, kOutlineColour);
    for (const SextractorObject& o : sex) draw_mark(c, o.x, o.y, Mark::cross, 3, kSexColour);
    for (const Detection& d : det.objects)
      draw_mark(c, d.x, d.y, Mark::circle, 2 + zoom, kUnetColour);
    files.push_back(out.path() + "/detections.png");
    sim::write_png(files.back(), c.img);
  }
  files.push_back(out.path() + "/apply.md");
  sim::write_file_atomic(files.back(), md.str());
  finish_mock_dir(out, files, md.str(), s, "cosmograd vision detect apply");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace

int vision_detect(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd vision detect train|evaluate|apply [config.ini] [--key value ...]\n"
      "  train     the U-Net detector / deblender on `mock blends` stamps\n"
      "  evaluate  precision, recall, F1 and flux residuals on its held-out stamps vs SExtractor\n"
      "  apply     catalogue, segmentation and picture of a FITS image (and SExtractor on it)";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument("cosmograd vision detect: give train, evaluate or apply");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") return detect_train(rest);
  if (args[0] == "evaluate") return detect_evaluate(rest);
  if (args[0] == "apply") return detect_apply(rest);
  throw std::invalid_argument("cosmograd vision detect: unknown mode '" + args[0] +
                              "' (allowed: train, evaluate, apply)");
}

}  // namespace cosmograd::apps
