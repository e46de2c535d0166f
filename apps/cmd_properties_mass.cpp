// `cosmograd properties mass train|evaluate|apply`: the mixture density network for stellar
// masses from a lightcone mock's photometry (optionally with the redshift), evaluated on held-out
// galaxies beside least-squares and kNN regression on the same galaxies.
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
#include "apps/properties_mdn.hpp"
#include "apps/vision.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "surveys/mocks/table.hpp"
#include "surveys/properties/knn_photoz.hpp"
#include "surveys/properties/photometry_mdn.hpp"
#include "surveys/properties/redshift_pdf.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

/// The grid stellar-mass mixtures are evaluated on [log10 Msun] (a RedshiftGrid: any uniform
/// grid of non-negative values).
surveys::RedshiftGrid mass_grid() { return surveys::RedshiftGrid{5.0, 13.0, 801}; }

/// Point estimates (median) and 16-84% ranges of stellar-mass mixtures.
struct MassEstimates {
  std::vector<double> median, lo, hi;
};

MassEstimates mass_estimates(const surveys::Mixtures& m) {
  const surveys::RedshiftPdfs p =
      surveys::mixture_pdfs(mass_grid(), m.components, m.weights, m.means, m.sigmas);
  MassEstimates e;
  for (std::size_t i = 0; i < p.count(); ++i) {
    e.median.push_back(surveys::pdf_quantile(p, i, 0.5));
    e.lo.push_back(surveys::pdf_quantile(p, i, 0.15865));
    e.hi.push_back(surveys::pdf_quantile(p, i, 0.84135));
  }
  return e;
}

/// Ordinary least squares of y on [x, 1] (the classical linear-colour mass-to-light baseline,
/// as Bell & de Jong 2001 fit log M/L against colour); returns the predictions for xq.
std::vector<double> least_squares_predict(const std::vector<float>& x, const std::vector<double>& y,
                                          const std::vector<float>& xq, std::size_t f) {
  auto design = [f](const std::vector<float>& v) {
    const int64_t n = static_cast<int64_t>(v.size() / f);
    torch::Tensor a = torch::ones({n, static_cast<int64_t>(f) + 1}, torch::kFloat64);
    a.slice(1, 0, static_cast<int64_t>(f))
        .copy_(torch::from_blob(const_cast<float*>(v.data()), {n, static_cast<int64_t>(f)},
                                torch::kFloat32)
                   .to(torch::kFloat64));
    return a;
  };
  const torch::Tensor a = design(x);
  const torch::Tensor b = torch::from_blob(const_cast<double*>(y.data()),
                                           {static_cast<int64_t>(y.size()), 1}, torch::kFloat64)
                              .clone();
  const torch::Tensor coef = std::get<0>(torch::linalg_lstsq(a, b));
  const torch::Tensor pred = design(xq).matmul(coef).contiguous();
  return {pred.data_ptr<double>(), pred.data_ptr<double>() + pred.numel()};
}

int mass_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "mass_mdn.cgm of `properties mass train`"},
      {"galaxies", "", "", "the catalogue it was trained on (its held-out galaxies are evaluated)"},
      {"knn_k", "", "20", "neighbours of the kNN-mean baseline"},
      {"outlier_dex", "dex", "0.3", "|log M_pred - log M_true| counted as an outlier"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier evaluation in --out"},
      {"out", "", "properties_mass_eval", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "properties mass evaluate",
      "usage: cosmograd properties mass evaluate --model FILE --galaxies FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const long long k = s.get_int("knn_k");
  if (k < 1 || k > 10000)
    sim::bad_setting("knn_k", std::to_string(k), "is out of range (1 to 1e4)");
  const double outlier_dex = s.get_double("outlier_dex");
  if (!(outlier_dex > 0))
    sim::bad_setting("outlier_dex", s.get_string("outlier_dex"), "is not > 0");
  MdnAndSample ms = load_mdn_and_sample(s, kMass, true);
  surveys::PhotometryMdn& mdn = ms.mdn;
  const LoadedSample& l = ms.sample;
  const std::vector<std::size_t>& test = l.split.test;
  if (test.empty()) throw std::invalid_argument("properties mass evaluate: no test galaxies");
  const std::string inputs = mdn->config().inputs;
  const std::vector<double> truth = task_targets(l.sample, test, kMass);
  const std::vector<float> x_train = task_features(l.sample, l.split.train, inputs);
  const std::vector<float> x_test = task_features(l.sample, test, inputs);
  const std::size_t f = x_test.size() / test.size();
  const std::vector<double> y_train = task_targets(l.sample, l.split.train, kMass);

  struct Row {
    std::string name;
    std::vector<double> pred, lo, hi;
    double seconds;
  };
  std::vector<Row> rows;
  auto t0 = Clock::now();
  const MassEstimates e = mass_estimates(mdn->mixtures(x_test));
  rows.push_back({"mdn", e.median, e.lo, e.hi, seconds_since(t0)});
  t0 = Clock::now();
  rows.push_back({"least_squares",
                  least_squares_predict(x_train, y_train, x_test, f),
                  {},
                  {},
                  seconds_since(t0)});
  t0 = Clock::now();
  {
    surveys::KnnPhotoz knn(x_train, y_train, f);
    const std::vector<std::size_t> nb = knn.neighbours(x_test, static_cast<std::size_t>(k));
    const std::size_t kk = nb.size() / test.size();
    std::vector<double> pred(test.size(), 0.0);
    for (std::size_t i = 0; i < test.size(); ++i) {
      for (std::size_t m = 0; m < kk; ++m) pred[i] += y_train[nb[i * kk + m]];
      pred[i] /= kk;
    }
    rows.push_back({"knn_mean", pred, {}, {}, seconds_since(t0)});
  }
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  std::ostringstream md;
  md << "# Stellar masses on held-out mock galaxies\n\nTest galaxies: " << test.size() << " of "
     << l.sample.count() << "; inputs: " << inputs
     << "; truth: the mock's log10 M* [Msun] (synthetic, Moster+2013 SHMR). Delta = log M_pred - "
        "log M_true [dex]; NMAD = 1.4826 median |Delta - median Delta|; outliers |Delta| > "
     << outlier_dex << " dex; the MDN's point estimate is its median.\n\n"
     << "| method | bias (median Delta) [dex] | NMAD [dex] | rms [dex] | outliers | 68% coverage "
        "| ms / galaxy |\n|---|---|---|---|---|---|---|\n";
  std::vector<std::string> files;
  viz::PlotSpec plot;
  plot.title = "Stellar mass: predicted vs true (test galaxies)";
  plot.xlabel = "log#d10#u M#d*#u true [M#d#(2281)#u]";
  plot.ylabel = "log#d10#u M#d*#u predicted";
  plot.width = plot.height = 720;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    std::vector<double> d(test.size());
    double ss = 0, out_n = 0, inside = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
      d[i] = row.pred[i] - truth[i];
      ss += d[i] * d[i];
      out_n += std::abs(d[i]) > outlier_dex;
      if (!row.lo.empty()) inside += truth[i] >= row.lo[i] && truth[i] <= row.hi[i];
    }
    double med = 0, nmad = 0;
    median_nmad(d, &med, &nmad);
    const double n = static_cast<double>(test.size());
    md << std::setprecision(4) << "| " << row.name << " | " << med << " | " << nmad << " | "
       << std::sqrt(ss / n) << " | " << out_n / n << " | "
       << (row.lo.empty() ? std::string("-") : std::to_string(inside / n)) << " | "
       << 1e3 * row.seconds / n << " |\n";
    std::printf("%-14s bias %+.4f NMAD %.4f rms %.4f outliers %.4f\n", row.name.c_str(), med, nmad,
                std::sqrt(ss / n), out_n / n);
    if (row.name == "knn_mean") continue;
    viz::Series pts;
    pts.label = row.name;
    const std::size_t stride = std::max<std::size_t>(1, test.size() / 3000);
    for (std::size_t i = 0; i < test.size(); i += stride) {
      pts.x.push_back(truth[i]);
      pts.y.push_back(row.pred[i]);
    }
    pts.line = viz::LineStyle::none;
    pts.marker = viz::Marker::circle;
    pts.marker_size = 0.3;
    plot.series.insert(plot.series.begin(), pts);  // the MDN drawn last, on top
  }
  viz::Series diag;
  diag.x = {8, 12.5};
  diag.y = {8, 12.5};
  diag.color = sim::RGB{0, 0, 0};
  diag.line_width = 1;
  plot.series.push_back(diag);
  const std::string png = out.path() + "/mass_scatter.png";
  viz::write_plot_png(png, plot);
  files.push_back(png);
  const std::string md_path = out.path() + "/mass.md";
  sim::write_file_atomic(md_path, md.str());
  files.push_back(md_path);
  finish_mock_dir(out, files, md.str(), s, "cosmograd properties mass evaluate");
  return 0;
}

int mass_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "mass_mdn.cgm of `properties mass train`"},
      {"galaxies", "", "", "catalogue with the training catalogue's bands and depths"},
      {"threads", "", "0", "torch threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier masses.h5 in --out"},
      {"out", "", "properties_mass_apply", "output directory (masses.h5)"},
  };
  const ParsedArgs parsed = parse_command(
      "properties mass apply",
      "usage: cosmograd properties mass apply --model FILE --galaxies FILE [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  MdnAndSample ms = load_mdn_and_sample(s, kMass, false);
  surveys::PhotometryMdn& mdn = ms.mdn;
  const LoadedSample& l = ms.sample;
  std::vector<std::size_t> rows(l.sample.count());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const std::vector<float> x = task_features(l.sample, rows, mdn->config().inputs);
  const MassEstimates e = mass_estimates(mdn->mixtures(x));
  surveys::Table t;
  t.name = "stellar_masses";
  t.description = "MDN stellar masses from photometry (cosmograd properties mass apply)";
  t.add("galaxy_id", "", "the catalogue's galaxy id", l.sample.galaxy_id);
  t.add("log_stellar_mass", "dex(solMass)", "median of p(log M*)", e.median);
  t.add("log_stellar_mass_lo", "dex(solMass)", "15.87% quantile of p(log M*)", e.lo);
  t.add("log_stellar_mass_hi", "dex(solMass)", "84.13% quantile of p(log M*)", e.hi);
  t.add("log_stellar_mass_true", "dex(solMass)", "the mock's truth", l.sample.log_stellar_mass);
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string path = out.path() + "/masses.h5";
  surveys::write_tables_hdf5(path, {t});
  std::ostringstream sum;
  sum << "# cosmograd properties mass apply\ngalaxies " << rows.size() << "\n";
  finish_mock_dir(out, {path}, sum.str(), s, "cosmograd properties mass apply");
  std::printf("%s", sum.str().c_str());
  return 0;
}

}  // namespace

int properties_mass(const std::vector<std::string>& args) {
  const std::string mode = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (mode == "train") return mdn_train(kMass, rest);
  if (mode == "evaluate") return mass_evaluate(rest);
  if (mode == "apply") return mass_apply(rest);
  throw std::invalid_argument("cosmograd properties mass: mode '" + mode +
                              "' is not one of train, evaluate, apply");
}

}  // namespace cosmograd::apps
