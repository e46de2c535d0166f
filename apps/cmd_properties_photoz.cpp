// `cosmograd properties photoz train|evaluate|apply`: the mixture density network on a lightcone
// mock's photometry (surveys/properties/photometry_mdn.hpp) for p(z), evaluated on held-out
// galaxies beside kNN and template fits (plus the hybrid CNN when given) on the same galaxies.
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
#include "apps/properties.hpp"
#include "apps/properties_common.hpp"
#include "apps/properties_mdn.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "surveys/properties/hybrid_photoz.hpp"
#include "surveys/properties/knn_photoz.hpp"
#include "surveys/properties/multiband_stamps.hpp"
#include "surveys/properties/photometry_mdn.hpp"
#include "surveys/properties/photoz_metrics.hpp"
#include "surveys/properties/redshift_pdf.hpp"
#include "surveys/properties/sed_emulator.hpp"
#include "surveys/properties/template_fit.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

/// The MDN's p(z) of `rows`.
surveys::RedshiftPdfs mdn_pdfs(surveys::PhotometryMdn& model, const surveys::PhotometrySample& s,
                               const std::vector<std::size_t>& rows,
                               const surveys::RedshiftGrid& grid) {
  const surveys::Mixtures m = model->mixtures(task_features(s, rows, model->config().inputs));
  return surveys::mixture_pdfs(grid, m.components, m.weights, m.means, m.sigmas);
}

/// One photo-z method's results on the test galaxies.
struct PzResult {
  std::string name;
  surveys::RedshiftPdfs pdfs;
  double seconds = 0;  ///< wall time of the predictions [s]
  std::string note;
};

/// z_p against z_s for one method, as a scatter PNG.
void write_scatter_png(const std::string& path, const std::string& title,
                       const std::vector<double>& z_s, const std::vector<double>& z_p,
                       double z_max) {
  viz::PlotSpec p;
  p.title = title;
  p.xlabel = "z#dspec#u (mock truth)";
  p.ylabel = "z#dphot#u (p(z) mode)";
  p.width = 720;
  p.height = 720;
  viz::Series pts;
  const std::size_t stride = std::max<std::size_t>(1, z_s.size() / 4000);
  for (std::size_t i = 0; i < z_s.size(); i += stride) {
    pts.x.push_back(z_s[i]);
    pts.y.push_back(z_p[i]);
  }
  pts.line = viz::LineStyle::none;
  pts.marker = viz::Marker::circle;
  pts.marker_size = 0.3;
  viz::Series diag;
  diag.label = "z#dphot#u = z#dspec#u";
  diag.x = {0, z_max};
  diag.y = {0, z_max};
  diag.color = sim::RGB{0, 0, 0};
  diag.line_width = 1;
  for (double sgn : {-1.0, 1.0}) {
    viz::Series o;
    o.x = {0, z_max};
    o.y = {sgn * 0.15, z_max + sgn * 0.15 * (1 + z_max)};
    o.color = sim::RGB{150, 150, 150};
    o.line = viz::LineStyle::dashed;
    o.line_width = 1;
    p.series.push_back(o);
  }
  p.series.push_back(pts);
  p.series.push_back(diag);
  p.xrange = viz::AxisRange{0, z_max};
  p.yrange = viz::AxisRange{0, z_max};
  p.notes = {"dashed: |ez| = 0.15"};
  viz::write_plot_png(path, p);
}

int photoz_evaluate(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = {
      {"model", "", "", "photoz_mdn.cgm of `properties photoz train`"},
      {"galaxies", "", "", "the catalogue it was trained on (its held-out galaxies are evaluated)"},
      {"knn", "", "true", "evaluate the kNN baseline"},
      {"templates", "", "true", "evaluate the classic template fit (10 parametric SEDs)"},
      {"sed_emulator", "", "",
       "sed_emulator.cgm of `properties sed train`: adds the fine-grid emulated template fit"},
      {"hybrid", "", "", "hybrid_photoz.cgm of `properties hybrid train`: adds the hybrid CNN"},
      {"stamps", "", "", "multiband_stamps.h5 of `properties stamps` (with --hybrid)"},
      {"knn_k", "", "5,10,20,40,80", "neighbour counts tried on the validation galaxies"},
      {"knn_bandwidth", "", "0.005,0.01,0.02,0.04", "kernel widths tried [redshift]"},
      {"write_pdfs", "", "true", "write each method's test p(z) as pz_<method>.h5"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "properties_photoz_eval", "output directory"},
  };
  const std::vector<sim::KeySpec> g = grid_keys();
  keys.insert(keys.end(), g.begin(), g.end());
  const ParsedArgs parsed = parse_command(
      "properties photoz evaluate",
      "usage: cosmograd properties photoz evaluate --model FILE --galaxies FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const surveys::RedshiftGrid grid = grid_from(s);
  MdnAndSample ms = load_mdn_and_sample(s, kPhotoz, true);
  surveys::PhotometryMdn& mdn = ms.mdn;
  const LoadedSample& l = ms.sample;
  const std::vector<std::size_t>& test = l.split.test;
  if (test.empty()) throw std::invalid_argument("properties photoz evaluate: no test galaxies");
  const std::vector<double> z_s = task_targets(l.sample, test, kPhotoz);
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));

  std::vector<PzResult> results;
  // Runs one method on the test galaxies, timing it; f may set the table's note.
  auto run = [&](const std::string& name,
                 const std::function<surveys::RedshiftPdfs(std::string*)>& f) {
    const auto t0 = Clock::now();
    PzResult r;
    r.name = name;
    r.pdfs = f(&r.note);
    r.seconds = seconds_since(t0);
    results.push_back(std::move(r));
  };
  run("mdn", [&](std::string* note) {
    *note = "mixture density network on asinh magnitudes and colours";
    return mdn_pdfs(mdn, l.sample, test, grid);
  });
  if (s.get_bool("knn")) {
    auto parse_list = [&](const std::string& key) {
      std::vector<double> v;
      std::stringstream ss(s.get_string(key));
      std::string item;
      while (std::getline(ss, item, ',')) {
        double x = 0;
        try {
          x = std::stod(item);
        } catch (const std::exception&) {
          sim::bad_setting(key, s.get_string(key), "is not a comma-separated list of numbers");
        }
        if (!(x > 0)) sim::bad_setting(key, s.get_string(key), "has a value <= 0 (allowed: > 0)");
        v.push_back(x);
      }
      if (v.empty()) sim::bad_setting(key, "", "is empty (allowed: a list of numbers > 0)");
      return v;
    };
    std::vector<std::size_t> ks;
    for (double k : parse_list("knn_k")) ks.push_back(static_cast<std::size_t>(k));
    const std::vector<double> bws = parse_list("knn_bandwidth");
    const auto t0 = Clock::now();
    surveys::KnnPhotoz knn(surveys::photometry_features(l.sample, l.split.train),
                           task_targets(l.sample, l.split.train, kPhotoz),
                           surveys::photometry_feature_count(l.sample.band_count()));
    knn.tune(surveys::photometry_features(l.sample, l.split.validation),
             task_targets(l.sample, l.split.validation, kPhotoz), ks, bws, grid);
    const double tune_seconds = seconds_since(t0);
    std::ostringstream note;
    note << "k = " << knn.k() << ", bandwidth " << knn.bandwidth() << " (tuned on validation in "
         << std::fixed << std::setprecision(1) << tune_seconds << " s)";
    run("knn", [&](std::string* n) {
      *n = note.str();
      return knn.pdfs(surveys::photometry_features(l.sample, test), knn.k(), knn.bandwidth(), grid);
    });
  }
  // The chi^2 template fit (surveys/properties/template_fit.hpp) of the test galaxies.
  auto template_fit = [&](const std::string& kind, surveys::SedEmulator* emulator,
                          std::string* note) {
    surveys::TemplateFitOptions o;
    o.templates = kind;
    o.grid = grid;
    o.validate();
    surveys::TemplateFitReport rep;
    surveys::RedshiftPdfs p = surveys::template_fit_pdfs(l.sample, test, o, emulator, &rep);
    std::ostringstream n;
    n << rep.templates << " templates x " << grid.points << " z, flat prior; model grid "
      << std::setprecision(3) << rep.grid_seconds << " s";
    if (rep.direct_grid_seconds > 0)
      n << " (direct calculation: " << rep.direct_grid_seconds << " s)";
    *note = n.str();
    return p;
  };
  if (s.get_bool("templates"))
    run("template", [&](std::string* note) { return template_fit("classic", nullptr, note); });
  if (!s.get_string("sed_emulator").empty()) {
    surveys::SedEmulator emulator = surveys::load_sed_emulator(s.get_string("sed_emulator"));
    run("template_emulated",
        [&](std::string* note) { return template_fit("emulated", &emulator, note); });
  }
  if (!s.get_string("hybrid").empty()) {
    if (s.get_string("stamps").empty())
      sim::bad_setting("stamps", "",
                       "is empty (allowed: the multiband_stamps.h5 of the "
                       "catalogue, needed with --hybrid)");
    nn::ModelHeader hh;
    surveys::HybridPhotoz hybrid = surveys::load_hybrid_photoz(s.get_string("hybrid"), &hh);
    const surveys::MultibandStamps stamps = surveys::read_multiband_stamps(s.get_string("stamps"));
    run("hybrid_cnn", [&](std::string* note) {
      *note = "CNN on ugrizy stamps + photometry MLP -> mixture density";
      return surveys::hybrid_photoz_pdfs(hybrid, l.sample, stamps, test, grid);
    });
  }

  std::vector<std::string> files;
  std::ostringstream md;
  md << "# Photometric redshifts on held-out mock galaxies\n\n"
     << "Test galaxies: " << test.size() << " of " << l.sample.count() << " (" << l.cuts.band
     << " <= " << l.cuts.max_mag << ") in `" << l.sample.source
     << "`; the same galaxies for every method; z_p = the p(z) mode on a grid of " << grid.points
     << " points over [" << grid.z_min << ", " << grid.z_max << "].\n"
     << "Truth is the mock's observed redshift (synthetic). PIT-KS passes at 5% when D < "
        "D_crit.\n\n"
     << "| method | bias | sigma_MAD | sigma_IQR | outliers | PIT KS D | D_crit(5%) | KS p | "
        "CvM | AD | CDE loss | ms / galaxy | notes |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<viz::Series> pit_series;
  for (std::size_t m = 0; m < results.size(); ++m) {
    const PzResult& r = results[m];
    const std::vector<double> z_p = surveys::pdf_modes(r.pdfs);
    const surveys::PointMetrics pm = surveys::point_metrics(z_p, z_s);
    const surveys::PdfMetrics dm = surveys::pdf_metrics(r.pdfs, z_s);
    md << std::setprecision(4) << "| " << r.name << " | " << pm.bias << " | " << pm.sigma_mad
       << " | " << pm.sigma_iqr << " | " << pm.outlier_fraction << " | " << dm.pit_test.ks << " | "
       << dm.pit_test.ks_critical_5 << " | " << dm.pit_test.ks_p_value << " | " << dm.pit_test.cvm
       << " | " << dm.pit_test.ad << " | " << dm.cde_loss << " | " << 1e3 * r.seconds / test.size()
       << " | " << r.note << " |\n";
    std::printf("%-18s bias %+.4f sigma_MAD %.4f outliers %.4f PIT-KS %.4f (crit %.4f) CDE %.3f\n",
                r.name.c_str(), pm.bias, pm.sigma_mad, pm.outlier_fraction, dm.pit_test.ks,
                dm.pit_test.ks_critical_5, dm.cde_loss);
    const std::string scatter = out.path() + "/pz_scatter_" + r.name + ".png";
    write_scatter_png(scatter, r.name + ": z#dphot#u vs z#dspec#u (test galaxies)", z_s, z_p,
                      grid.z_max);
    files.push_back(scatter);
    viz::Series ps;
    ps.label = r.name;
    const int bins = 20;
    const std::vector<double> hist = surveys::unit_histogram(dm.pit, bins);
    for (int b = 0; b < bins; ++b) {
      const double density = hist[b] * bins / static_cast<double>(dm.pit.size());
      ps.x.push_back(static_cast<double>(b) / bins);
      ps.y.push_back(density);
      ps.x.push_back(static_cast<double>(b + 1) / bins);
      ps.y.push_back(density);
    }
    pit_series.push_back(ps);
    if (s.get_bool("write_pdfs")) {
      const std::string pz = out.path() + "/pz_" + r.name + ".h5";
      std::vector<std::int64_t> ids;
      for (std::size_t i : test) ids.push_back(l.sample.galaxy_id[i]);
      surveys::write_redshift_pdfs(pz, r.pdfs, ids, z_s, r.name, l.sample.source);
      files.push_back(pz);
    }
  }
  viz::PlotSpec pit;
  pit.title = "PIT histograms (test galaxies); flat = calibrated";
  pit.xlabel = "PIT = CDF(z#dspec#u)";
  pit.ylabel = "density";
  pit.series = pit_series;
  viz::Series one;
  one.label = "uniform";
  one.x = {0, 1};
  one.y = {1, 1};
  one.color = sim::RGB{0, 0, 0};
  one.line = viz::LineStyle::dashed;
  pit.series.push_back(one);
  pit.xrange = viz::AxisRange{0, 1};
  const std::string pit_png = out.path() + "/pit.png";
  viz::write_plot_png(pit_png, pit);
  files.push_back(pit_png);
  const std::string md_path = out.path() + "/photoz.md";
  sim::write_file_atomic(md_path, md.str());
  files.push_back(md_path);
  finish_mock_dir(out, files, md.str(), s, "cosmograd properties photoz evaluate");
  return 0;
}

/// Photometric redshifts of every galaxy of a catalogue passing the model's cuts, as p(z).
int photoz_apply(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = {
      {"model", "", "", "photoz_mdn.cgm of `properties photoz train`"},
      {"galaxies", "", "", "catalogue with the training catalogue's bands and depths"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier pz.h5 in --out"},
      {"out", "", "properties_photoz_apply", "output directory (pz.h5)"},
  };
  const std::vector<sim::KeySpec> g = grid_keys();
  keys.insert(keys.end(), g.begin(), g.end());
  const ParsedArgs parsed = parse_command(
      "properties photoz apply",
      "usage: cosmograd properties photoz apply --model FILE --galaxies FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const surveys::RedshiftGrid grid = grid_from(s);
  MdnAndSample ms = load_mdn_and_sample(s, kPhotoz, false);
  const LoadedSample& l = ms.sample;
  std::vector<std::size_t> rows(l.sample.count());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const surveys::RedshiftPdfs pdfs = mdn_pdfs(ms.mdn, l.sample, rows, grid);
  const std::string path = out.path() + "/pz.h5";
  surveys::write_redshift_pdfs(path, pdfs, l.sample.galaxy_id, l.sample.redshift, "mdn",
                               l.sample.source);
  std::ostringstream sum;
  sum << "# cosmograd properties photoz apply\ngalaxies " << rows.size() << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties photoz apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int properties_photoz(const std::vector<std::string>& args) {
  const std::string mode = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (mode == "train") return mdn_train(kPhotoz, rest);
  if (mode == "evaluate") return photoz_evaluate(rest);
  if (mode == "apply") return photoz_apply(rest);
  throw std::invalid_argument("cosmograd properties photoz: mode '" + mode +
                              "' is not one of train, evaluate, apply");
}

}  // namespace cosmograd::apps
