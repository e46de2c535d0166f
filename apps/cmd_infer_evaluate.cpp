// `cosmograd infer evaluate`: on the campaign's held-out simulations, posteriors from each NPE
// model and from the Gaussian-likelihood baselines (P(k), P + B; mean emulated by a polynomial
// in the parameters fitted on the training and validation simulations, covariance from the
// fiducial ones or the design residuals with the Hartlap factor, sampled by the affine-invariant
// ensemble), then their calibration (SBC ranks, TARP, marginal coverage) and precision (the
// 1-sigma area in the first two parameters).
#include <torch/torch.h>

#include <Eigen/Dense>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "apps/infer_common.hpp"
#include "apps/options.hpp"
#include "inference/calibration.hpp"
#include "inference/gaussian_likelihood.hpp"
#include "inference/npe.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// The posteriors of one method on every held-out simulation.
struct MethodPosteriors {
  std::string name;                      ///< e.g. "NPE power", "Gaussian likelihood, P(k)"
  std::string file_stem;                 ///< for the PNG names
  std::vector<Eigen::MatrixXd> samples;  ///< per held-out simulation (L, p)
  double seconds_per_posterior = 0;      ///< wall time [s]
  std::string note;                      ///< a diagnostic line for the report (baselines)
};

/// A [n, p] tensor as an Eigen matrix.
Eigen::MatrixXd to_eigen(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(c.data_ptr<double>(), c.size(0), c.size(1));
}

/// Summary vectors of `entries` as rows.
Eigen::MatrixXd summary_rows(const std::vector<driver::CampaignEntry>& entries,
                             inference::SummaryKind kind, double k_max) {
  std::vector<std::vector<double>> rows;
  for (const auto& e : entries) rows.push_back(inference::read_summary_vector(e.file, kind, k_max));
  Eigen::MatrixXd m(rows.size(), rows.empty() ? 0 : rows.front().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != rows.front().size()) {
      throw std::runtime_error(entries[i].file + ": summary length differs from the first file's");
    }
    for (std::size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j];
  }
  return m;
}

/// The Gaussian-likelihood baseline on `kind`.
MethodPosteriors gaussian_baseline(const InferSplit& sp, inference::SummaryKind kind, int degree,
                                   bool design_covariance, int samples,
                                   const inference::EnsembleOptions& mcmc, std::uint64_t seed) {
  MethodPosteriors m;
  m.name = kind == inference::SummaryKind::power ? "Gaussian likelihood, P(k)"
                                                 : "Gaussian likelihood, P(k) + B";
  m.file_stem = std::string("gaussian_") + inference::summary_kind_name(kind);
  std::vector<driver::CampaignEntry> fit = sp.split.train;
  fit.insert(fit.end(), sp.split.validation.begin(), sp.split.validation.end());
  Eigen::MatrixXd x = summary_rows(fit, kind, sp.k_max);
  Eigen::MatrixXd fid = summary_rows(sp.split.fiducial, kind, sp.k_max);
  Eigen::MatrixXd test = summary_rows(sp.split.test, kind, sp.k_max);
  const Eigen::Index np =
      static_cast<Eigen::Index>(inference::power_entries(fit.front().file, sp.k_max));
  for (Eigen::Index j = np; j < x.cols(); ++j) {  // bispectrum: asinh(B / median |B|)
    std::vector<double> a(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) a[i] = std::abs(x(i, j));
    std::nth_element(a.begin(), a.begin() + a.size() / 2, a.end());
    const double scale = std::max(a[a.size() / 2], 1e-300);
    for (Eigen::MatrixXd* mat : {&x, &fid, &test}) {
      mat->col(j) = mat->col(j).unaryExpr([&](double b) { return std::asinh(b / scale); });
    }
  }
  Eigen::MatrixXd theta(fit.size(), sp.split.parameters.size());
  for (std::size_t i = 0; i < fit.size(); ++i)
    for (std::size_t j = 0; j < fit[i].values.size(); ++j) theta(i, j) = fit[i].values[j];
  const Eigen::VectorXd lo = Eigen::Map<const Eigen::VectorXd>(sp.lo.data(), sp.lo.size());
  const Eigen::VectorXd hi = Eigen::Map<const Eigen::VectorXd>(sp.hi.data(), sp.hi.size());
  inference::GaussianLikelihood like =
      inference::fit_gaussian_likelihood(theta, x, fid, degree, lo, hi);
  if (design_covariance) {
    // The covariance of the design simulations' residuals about the emulated mean: averaged
    // over the prior instead of taken at the fiducial cosmology.
    Eigen::MatrixXd residuals(x.rows(), x.cols());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      residuals.row(i) = x.row(i) - like.mean.predict(theta.row(i).transpose()).transpose();
    }
    like = inference::fit_gaussian_likelihood(theta, x, residuals, degree, lo, hi);
    m.name += " (design covariance)";
    m.file_stem += "_design_covariance";
  }
  sim::log_info("infer evaluate: ", m.name, ": ", x.cols(), " summaries, ", fit.size(),
                " simulations for the mean, ", fid.rows(), " fiducial for the covariance (Hartlap ",
                like.hartlap, ")");
  // The likelihood's own check: at the true parameters, r^T C^-1 r of the held-out data should
  // average d (C the fiducial covariance, without the Hartlap factor).
  double chi2 = 0;
  for (Eigen::Index i = 0; i < test.rows(); ++i) {
    Eigen::VectorXd truth(theta.cols());
    for (Eigen::Index j = 0; j < theta.cols(); ++j) truth(j) = sp.split.test[i].values[j];
    const Eigen::VectorXd r = test.row(i).transpose() - like.mean.predict(truth);
    chi2 += r.dot(like.precision * r) / like.hartlap / static_cast<double>(test.rows());
  }
  char note[256];
  std::snprintf(note, sizeof note,
                "%s: %ld summaries; mean chi^2 / d of the held-out data at their true parameters "
                "= %.2f (1 if the covariance and the emulated mean describe them)",
                m.name.c_str(), static_cast<long>(x.cols()), chi2 / static_cast<double>(x.cols()));
  m.note = note;
  sim::log_info("infer evaluate: ", m.note);
  const auto t0 = Clock::now();
  inference::EnsembleOptions eo = mcmc;
  for (Eigen::Index i = 0; i < test.rows(); ++i) {
    eo.seed = seed + static_cast<std::uint64_t>(i);
    const inference::EnsembleResult r =
        inference::sample_gaussian_posterior(like, test.row(i).transpose(), eo);
    Eigen::MatrixXd s(samples, r.samples.cols());  // evenly spaced, so nearly independent
    for (int k = 0; k < samples; ++k) {
      s.row(k) = r.samples.row(
          static_cast<Eigen::Index>((static_cast<double>(k) + 0.5) * r.samples.rows() / samples));
    }
    m.samples.push_back(s);
  }
  m.seconds_per_posterior = std::chrono::duration<double>(Clock::now() - t0).count() /
                            std::max<Eigen::Index>(1, test.rows());
  return m;
}

/// The posteriors of an NPE model file.
MethodPosteriors npe_method(const InferSplit& sp, const std::string& path, int samples,
                            std::uint64_t seed) {
  nn::ModelHeader h;
  nn::NpeNet net = nn::load_npe(path, &h);
  if (h.has("train_simulations") &&
      h.get_int("train_simulations") != static_cast<int64_t>(sp.split.train.size())) {
    throw std::invalid_argument(path + " was trained on " + h.get("train_simulations") +
                                " simulations but this split trains on " +
                                std::to_string(sp.split.train.size()) +
                                ": use the validation and test of its training");
  }
  if (net->config().summary != "density" && net->config().k_max != sp.k_max) {
    throw std::invalid_argument(path + " uses k_max = " + sim::format_setting(net->config().k_max) +
                                " but this evaluation k_max = " + sim::format_setting(sp.k_max) +
                                " (methods are compared at one k_max)");
  }
  MethodPosteriors m;
  m.name = "NPE " + net->config().summary +
           (h.has("compressor_loss") ? " (" + h.get("compressor_loss") + " compressor)" : "");
  m.file_stem = fs::path(path).stem().string();
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < sp.split.test.size(); ++i) {
    m.samples.push_back(
        to_eigen(inference::npe_posterior_samples(net, sp.split.test[i].file, samples, seed + i)));
  }
  m.seconds_per_posterior = std::chrono::duration<double>(Clock::now() - t0).count() /
                            std::max<std::size_t>(1, sp.split.test.size());
  return m;
}

/// pi sqrt(det C) of the first two parameters' sample covariance (the 1-sigma ellipse area
/// of a Gaussian), or the standard deviation for one parameter.
double area(const Eigen::MatrixXd& s) {
  const Eigen::Index q = std::min<Eigen::Index>(2, s.cols());
  const Eigen::MatrixXd c = s.leftCols(q).rowwise() - s.leftCols(q).colwise().mean();
  const Eigen::MatrixXd cov = c.transpose() * c / double(s.rows() - 1);
  return q == 2 ? M_PI * std::sqrt(cov.determinant()) : std::sqrt(cov(0, 0));
}

}  // namespace

int infer_evaluate(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = infer_split_keys();
  const std::vector<sim::KeySpec> more = {
      {"models", "", "", "comma-separated NPE model files (cosmograd infer train)"},
      {"baselines", "", "power,power_bispectrum",
       "Gaussian-likelihood baselines: power, power_bispectrum (empty: none)"},
      {"degree", "", "3", "polynomial degree of the baselines' mean in the parameters"},
      {"samples", "", "999", "posterior samples per held-out simulation (L; L + 1 = 10 k)"},
      {"baseline_covariance", "", "fiducial",
       "baselines' covariance: fiducial (the fiducial simulations), design (residuals of the "
       "design simulations about the emulated mean), or both comma-separated"},
      {"mcmc_walkers", "", "32", "baselines: walkers of the affine-invariant ensemble"},
      {"mcmc_steps", "", "2000", "baselines: ensemble iterations per posterior"},
      {"mcmc_burn_in", "", "500", "baselines: iterations discarded first"},
      {"seed", "", "1", "sampling and TARP seed"},
      {"threads", "", "0", "LibTorch threads (0: all)"},
      {"out", "", "inference-evaluation", "directory of the table and the PNGs"},
  };
  keys.insert(keys.end(), more.begin(), more.end());
  const ParsedArgs parsed = parse_command(
      "infer evaluate",
      "usage: cosmograd infer evaluate --campaign DIR --models A.cgm,B.cgm [--baselines "
      "power,power_bispectrum] --out DIR\n"
      "  posteriors on the held-out simulations from each model and baseline, their SBC ranks,\n"
      "  TARP and marginal coverage, areas; writes DIR/inference.md and the PNGs",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const InferSplit sp = infer_split_from(s);
  set_infer_threads(s);
  const long long samples = s.get_int("samples");
  sim::check_int_range("samples", samples, 9, 1000000);
  if ((samples + 1) % 10 != 0) {
    sim::bad_setting("samples", s.get_string("samples"),
                     "is not allowed (allowed: L with L + 1 a multiple of 10, for 10 rank bins)");
  }
  const long long degree = s.get_int("degree");
  sim::check_int_range("degree", degree, 1, 6);
  const auto seed = static_cast<std::uint64_t>(s.get_int("seed"));
  const fs::path out = s.get_string("out");
  fs::create_directories(out);

  std::vector<MethodPosteriors> methods;
  for (const std::string& path : sim::split_list(s.get_string("models"))) {
    methods.push_back(npe_method(sp, path, static_cast<int>(samples), seed));
    sim::log_info("infer evaluate: ", methods.back().name, " done");
  }
  const std::vector<std::string> covariances = sim::split_list(s.get_string("baseline_covariance"));
  for (const std::string& c : covariances) {
    if (c != "fiducial" && c != "design") {
      sim::bad_setting("baseline_covariance", c, "is not allowed (allowed: fiducial, design)");
    }
  }
  inference::EnsembleOptions mcmc;
  mcmc.walkers = static_cast<int>(s.get_int("mcmc_walkers"));
  mcmc.steps = static_cast<int>(s.get_int("mcmc_steps"));
  mcmc.burn_in = static_cast<int>(s.get_int("mcmc_burn_in"));
  inference::check_ensemble_options(mcmc, static_cast<int>(sp.split.parameters.size()));
  for (const std::string& b : sim::split_list(s.get_string("baselines"))) {
    const inference::SummaryKind kind = inference::parse_summary_kind(b, "baselines");
    if (kind == inference::SummaryKind::density) {
      sim::bad_setting("baselines", b, "is not allowed (allowed: power, power_bispectrum)");
    }
    for (const std::string& cov : covariances) {
      methods.push_back(gaussian_baseline(sp, kind, static_cast<int>(degree), cov == "design",
                                          static_cast<int>(samples), mcmc, seed));
    }
  }
  if (methods.empty()) sim::bad_setting("models", "''", "and baselines are both empty");

  const int n = static_cast<int>(sp.split.test.size());
  const int p = static_cast<int>(sp.split.parameters.size());
  Eigen::MatrixXd truths(n, p);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) truths(i, j) = sp.split.test[i].values[j];
  const Eigen::VectorXd lo = Eigen::Map<const Eigen::VectorXd>(sp.lo.data(), p);
  const Eigen::VectorXd hi = Eigen::Map<const Eigen::VectorXd>(sp.hi.data(), p);
  const std::vector<double> levels{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};

  std::ostringstream table, calib;
  char buf[512];
  double reference_area = 0;
  table << "| method | mean 1-sigma area (" << sp.split.parameters[0]
        << (p > 1 ? ", " + sp.split.parameters[1] : std::string()) << ") | area / first baseline |";
  for (const std::string& name : sp.split.parameters) table << " RMSE " << name << " |";
  table << " s / posterior |\n|---|---|---|";
  for (int j = 0; j < p; ++j) table << "---|";
  table << "---|\n";
  calib << "| method |";
  for (const std::string& name : sp.split.parameters) calib << " SBC p (" << name << ") |";
  calib << " TARP KS p | TARP in band | marginal coverage in band | verdict |\n|---|";
  for (int j = 0; j < p; ++j) calib << "---|";
  calib << "---|---|---|---|\n";
  for (const MethodPosteriors& m : methods) {
    double a = 0;
    Eigen::VectorXd sq = Eigen::VectorXd::Zero(p);
    for (int i = 0; i < n; ++i) {
      a += area(m.samples[i]) / n;
      sq += (m.samples[i].colwise().mean().transpose() - truths.row(i).transpose())
                .array()
                .square()
                .matrix() /
            n;
    }
    const bool is_baseline = m.name.rfind("Gaussian", 0) == 0;
    if (is_baseline && reference_area == 0) reference_area = a;
    const Eigen::MatrixXi ranks = inference::sbc_ranks(m.samples, truths);
    const inference::TarpResult t = inference::tarp(m.samples, truths, lo, hi, seed);
    const Eigen::MatrixXd cov = inference::marginal_coverage(m.samples, truths, levels);
    bool marginal_ok = true;
    for (int j = 0; j < p; ++j) {
      std::vector<double> c(levels.size());
      for (std::size_t l = 0; l < levels.size(); ++l) c[l] = cov(static_cast<Eigen::Index>(l), j);
      marginal_ok = marginal_ok && inference::within_band(levels, c, n);
    }
    const bool tarp_ok = inference::within_band(t.alpha, t.ecp, n);
    std::snprintf(buf, sizeof buf, "| %s |", m.name.c_str());
    calib << buf;
    bool sbc_ok = true;
    for (int j = 0; j < p; ++j) {
      const inference::UniformityTest u =
          inference::rank_uniformity(ranks.col(j), static_cast<int>(samples), 10);
      sbc_ok = sbc_ok && u.p_value > 0.01;
      std::snprintf(buf, sizeof buf, " %.3f |", u.p_value);
      calib << buf;
    }
    const bool pass = sbc_ok && tarp_ok && marginal_ok && t.ks_p_value > 0.01;
    std::snprintf(buf, sizeof buf, " %.3f | %s | %s | %s |\n", t.ks_p_value, tarp_ok ? "yes" : "no",
                  marginal_ok ? "yes" : "no", pass ? "calibrated" : "**miscalibrated**");
    calib << buf;
    inference::write_rank_histogram_png(
        (out / (m.file_stem + "_ranks.png")).string(), ranks, static_cast<int>(samples), 10,
        sp.split.parameters,
        m.name + ": SBC ranks of " + std::to_string(n) + " held-out simulations");
    inference::write_coverage_png((out / (m.file_stem + "_coverage.png")).string(), t, levels, cov,
                                  n, sp.split.parameters, m.name + ": TARP and marginal coverage");
    std::snprintf(
        buf, sizeof buf, "| %s | %.5f | %s |", m.name.c_str(), a,
        reference_area > 0 ? std::to_string(a / reference_area).substr(0, 5).c_str() : "-");
    table << buf;
    for (int j = 0; j < p; ++j) {
      std::snprintf(buf, sizeof buf, " %.4f |", std::sqrt(sq(j)));
      table << buf;
    }
    std::snprintf(buf, sizeof buf, " %.3f |\n", m.seconds_per_posterior);
    table << buf;
  }
  std::ostringstream md;
  md << "Held-out simulations: " << n << " (design points " << sp.split.test.front().index << "-"
     << sp.split.test.back().index << " of " << sp.campaign << "); " << samples
     << " posterior samples each; summaries with k <= "
     << (sp.k_max > 0 ? sim::format_setting(sp.k_max) + " h/Mpc" : std::string("all k"))
     << ". Areas: pi sqrt(det C) of the posterior samples' covariance in the first two "
        "parameters, averaged over the held-out truths; the ratio is to the first Gaussian "
        "baseline listed.\n\n"
     << table.str()
     << "\nCalibration: SBC rank uniformity (Pearson chi-square over 10 bins, p > 0.01 passes); "
        "TARP expected coverage and each parameter's marginal coverage at levels 0.1-0.95 must "
        "stay inside the 95% binomial band of the diagonal for "
     << n
     << " truths (simultaneous over the points, Bonferroni), and TARP's credibilities pass a "
        "Kolmogorov-Smirnov test against U(0, 1) (p > 0.01).\n\n"
     << calib.str();
  for (const MethodPosteriors& m : methods) {
    if (!m.note.empty()) md << "\n" << m.note << ".\n";
  }
  sim::write_file_atomic((out / "inference.md").string(), md.str());
  std::printf("%s\ncosmograd infer evaluate: wrote %s/inference.md and %zu x 2 PNGs\n",
              md.str().c_str(), out.string().c_str(), methods.size());
  return 0;
}

}  // namespace cosmograd::apps
