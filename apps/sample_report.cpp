// The outputs of `cosmograd sample` (see sample_report.hpp).
#include "apps/sample_report.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>
#include <sstream>

#include "inference/mcmc_diagnostics.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/io/field_io.hpp"
#include "viz/corner.hpp"
#include "viz/trace.hpp"

namespace cosmograd::apps {

using namespace sim::detail;  // the HDF5 helpers

namespace {

// Kept draws of quantity j: one row per chain.
inference::ChainDraws kept_draws(const SampleResult& r, std::size_t j) {
  inference::ChainDraws d;
  for (const auto& c : r.chains) {
    std::vector<double> x;
    for (std::size_t t = static_cast<std::size_t>(r.warmup); t < c.quantities.size(); ++t) {
      x.push_back(c.quantities[t][j]);
    }
    d.push_back(std::move(x));
  }
  return d;
}

std::string fmt(double v, const char* f = "%.4g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Gradient evaluations of a chain's sampling phase (after warm-up).
std::int64_t sampling_gradients(const SampleResult& r, const inference::ChainRun& c) {
  std::int64_t n = 0;
  for (std::size_t t = static_cast<std::size_t>(r.warmup); t < c.transitions.size(); ++t) {
    n += c.transitions[t].leapfrog_steps;
  }
  return n;
}

}  // namespace

std::string sample_posterior_text(const SampleResult& r) {
  const std::size_t np = r.parameters;
  std::vector<std::vector<double>> draws(np);
  for (std::size_t j = 0; j < np; ++j) {
    for (const auto& chain : kept_draws(r, j)) {
      draws[j].insert(draws[j].end(), chain.begin(), chain.end());
    }
  }
  std::ostringstream os;
  os << "# parameter mean sd q2.5 q16 q50 q84 q97.5 truth (all chains' kept draws)\n";
  std::vector<double> mean(np, 0.0);
  for (std::size_t j = 0; j < np; ++j) {
    std::vector<double> v = draws[j];
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    double var = 0;
    for (double x : v) var += (x - m) * (x - m) / (v.size() - 1);
    std::sort(v.begin(), v.end());
    const auto q = [&](double p) { return v[static_cast<std::size_t>(p * (v.size() - 1) + 0.5)]; };
    mean[j] = m;
    os << r.quantity_names[j] << " " << fmt(m, "%.6g") << " " << fmt(std::sqrt(var), "%.6g");
    for (double p : {0.025, 0.16, 0.5, 0.84, 0.975}) os << " " << fmt(q(p), "%.6g");
    os << " " << fmt(j < r.truth.size() ? r.truth[j] : std::nan(""), "%.6g") << "\n";
  }
  if (np == 0 || r.truth.size() < np || !std::isfinite(r.truth[0])) return os.str();
  // The truth's credibility level: the fraction of draws with a smaller Mahalanobis distance
  // from the posterior mean (sample covariance) than the truth's; inside the level-alpha region
  // when below alpha.
  Eigen::MatrixXd x(static_cast<Eigen::Index>(draws[0].size()), static_cast<Eigen::Index>(np));
  for (std::size_t j = 0; j < np; ++j) {
    for (std::size_t t = 0; t < draws[j].size(); ++t) x(t, j) = draws[j][t] - mean[j];
  }
  const Eigen::MatrixXd cov = x.transpose() * x / static_cast<double>(x.rows() - 1);
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  Eigen::VectorXd t(static_cast<Eigen::Index>(np));
  for (std::size_t j = 0; j < np; ++j) t(j) = r.truth[j] - mean[j];
  const double d_truth = t.dot(llt.solve(t));
  int closer = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::VectorXd xi = x.row(i).transpose();
    closer += xi.dot(llt.solve(xi)) < d_truth;
  }
  os << "# joint: fraction of draws nearer the mean than the truth (Mahalanobis distance)\n"
     << "truth_level " << fmt(static_cast<double>(closer) / x.rows(), "%.4f") << "\n";
  return os.str();
}

std::string sample_diagnostics_markdown(const SampleResult& r) {
  std::ostringstream os;
  const int kept = r.chains.empty() ? 0 : r.chains.front().kept;
  os << "# " << r.title << "\n\n"
     << r.chains.size() << " chain(s), " << r.warmup << " warm-up + " << kept
     << " kept iterations each.\n\n## Chains\n\n"
     << "| chain | acceptance | step size | mean leapfrog steps | max tree depth | divergent | "
        "E-BFMI | gradient evaluations (all / sampling) | wall time [s] |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  std::int64_t sampling_total = 0, all_total = 0;
  double seconds = 0;
  for (std::size_t c = 0; c < r.chains.size(); ++c) {
    const inference::ChainRun& run = r.chains[c];
    double accept = 0, steps = 0;
    int depth = 0, divergent = 0;
    std::vector<double> energy;
    for (std::size_t t = static_cast<std::size_t>(r.warmup); t < run.transitions.size(); ++t) {
      const inference::HmcTransition& tr = run.transitions[t];
      accept += tr.accept_stat / kept;
      steps += static_cast<double>(tr.leapfrog_steps) / kept;
      depth = std::max(depth, tr.tree_depth);
      divergent += tr.divergent;
      energy.push_back(tr.energy);
    }
    const std::int64_t sg = sampling_gradients(r, run);
    sampling_total += sg;
    all_total += run.state.gradient_evaluations;
    const double sec = run.seconds;
    seconds += sec;
    os << "| " << c << " | " << fmt(accept, "%.3f") << " | " << fmt(run.state.step_size) << " | "
       << fmt(steps, "%.1f") << " | " << depth << " | " << divergent << " | "
       << fmt(inference::e_bfmi(energy), "%.2f") << " | " << run.state.gradient_evaluations << " / "
       << sg << " | " << fmt(sec, "%.1f") << " |\n";
  }
  os << "\nE-BFMI below 0.3 flags a momentum resampling too weak for the energy distribution "
        "(Betancourt 2016); divergences flag regions the step size cannot integrate.\n\n"
     << "## Quantities\n\n"
     << "| quantity | truth | mean | sd | MCSE | R-hat | bulk ESS | tail ESS | bulk ESS per "
        "sampling gradient | wall time per effective sample [s] |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (std::size_t j = 0; j < r.quantity_names.size(); ++j) {
    const inference::QuantityDiagnostics d =
        inference::diagnose(r.quantity_names[j], kept_draws(r, j));
    const double truth = j < r.truth.size() ? r.truth[j] : std::nan("");
    os << "| " << d.name << " | " << fmt(truth) << " | " << fmt(d.mean) << " | " << fmt(d.sd)
       << " | " << fmt(d.mcse, "%.2g") << " | " << fmt(d.rhat, "%.3f") << " | "
       << fmt(d.ess_bulk, "%.0f") << " | " << fmt(d.ess_tail, "%.0f") << " | "
       << fmt(d.ess_bulk / static_cast<double>(sampling_total), "%.2e") << " | "
       << fmt(seconds / d.ess_bulk, "%.3g") << " |\n";
  }
  os << "\nR-hat is the rank-normalised split R-hat and the ESS are Stan's multi-chain estimators "
        "(Vehtari et al. 2021); the per-gradient and per-second rates divide by the sampling "
        "phase's gradient evaluations ("
     << sampling_total << " of " << all_total << " in all) and by the wall time of all chains, "
     << "warm-up included (" << fmt(seconds, "%.1f") << " s).\n";
  return os.str();
}

void write_sample_outputs(const std::string& out, const SampleResult& r) {
  namespace fs = std::filesystem;
  fs::create_directories(out);
  const std::size_t nq = r.quantity_names.size();
  const int kept = r.chains.empty() ? 0 : r.chains.front().kept;
  // samples.h5: kept draws, chain-major.
  {
    const std::string path = (fs::path(out) / "samples.h5").string();
    std::vector<double> quantities, stats;
    for (const auto& c : r.chains) {
      for (std::size_t t = static_cast<std::size_t>(r.warmup); t < c.transitions.size(); ++t) {
        quantities.insert(quantities.end(), c.quantities[t].begin(), c.quantities[t].end());
        const inference::HmcTransition& tr = c.transitions[t];
        stats.insert(
            stats.end(),
            {tr.log_density, tr.accept_stat, tr.step_size, static_cast<double>(tr.leapfrog_steps),
             static_cast<double>(tr.tree_depth), tr.divergent ? 1.0 : 0.0, tr.energy});
      }
    }
    std::string names;
    for (std::size_t j = 0; j < nq; ++j) names += (j ? "," : "") + r.quantity_names[j];
    sim::AtomicWrite write(path);
    {
      H5Id f = h5_create_file(write.temp_path());
      const hid_t dbl = h5_file_float_type<double>();
      h5_write_dataset(f.get(), "quantities", dbl, quantities, static_cast<hsize_t>(nq), path);
      h5_write_dataset(f.get(), "stats", dbl, stats, 7, path);
      h5_write_string_attribute(f.get(), "quantity_names", names, path);
      h5_write_string_attribute(
          f.get(), "stats_names",
          "log_density,accept_stat,step_size,leapfrog_steps,tree_depth,divergent,energy", path);
      h5_write_attribute(f.get(), "chains", static_cast<int>(r.chains.size()), path);
      h5_write_attribute(f.get(), "samples", kept, path);
      h5_write_attribute(f.get(), "parameters", static_cast<int>(r.parameters), path);
      if (!r.truth.empty()) h5_write_attribute(f.get(), "truth", r.truth, path);
      f.close("H5Fclose", path);
    }
    write.commit();
  }
  // The white noise's posterior mean and standard deviation over all kept draws (the chains'
  // Welford sums combined; Chan et al. 1979).
  {
    const int n = r.particles;
    const std::size_t cells = static_cast<std::size_t>(n) * n * n;
    std::vector<double> mean(cells, 0.0), m2(cells, 0.0);
    double count = 0;
    for (const auto& c : r.chains) {
      const double nb = c.kept;
      for (std::size_t i = 0; i < cells; ++i) {
        const double delta = c.field_mean[i] - mean[i];
        const double total = count + nb;
        mean[i] += delta * nb / total;
        m2[i] += c.field_m2[i] + delta * delta * count * nb / total;
      }
      count += nb;
    }
    sim::Field<double> fm{sim::Decomposition(n)}, fs_{sim::Decomposition(n)};
    std::size_t i = 0;
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z, ++i) {
          fm.at(x, y, z) = mean[i];
          fs_.at(x, y, z) = count > 1 ? std::sqrt(m2[i] / (count - 1)) : 0.0;
        }
      }
    }
    sim::write_field((fs::path(out) / "white_noise_mean.h5").string(), fm, r.box_size, 1.0,
                     "white_noise");
    sim::write_field((fs::path(out) / "white_noise_std.h5").string(), fs_, r.box_size, 1.0,
                     "white_noise");
  }
  sim::write_file_atomic((fs::path(out) / "diagnostics.md").string(),
                         sample_diagnostics_markdown(r));
  sim::write_file_atomic((fs::path(out) / "posterior.txt").string(), sample_posterior_text(r));
  viz::TraceSpec trace;
  trace.title = r.title + ": kept draws";
  trace.names = r.quantity_names;
  for (std::size_t j = 0; j < nq; ++j) trace.draws.push_back(kept_draws(r, j));
  trace.truth = r.truth;
  trace.first_draw = r.warmup;
  viz::write_trace_png((fs::path(out) / "trace.png").string(), trace);
  if (r.parameters > 0) {
    viz::CornerSpec corner;
    corner.title = r.title;
    for (std::size_t j = 0; j < r.parameters; ++j) corner.names.push_back(r.quantity_names[j]);
    for (const auto& c : r.chains) {
      for (std::size_t t = static_cast<std::size_t>(r.warmup); t < c.quantities.size(); ++t) {
        corner.samples.emplace_back(c.quantities[t].begin(),
                                    c.quantities[t].begin() + static_cast<long>(r.parameters));
      }
    }
    if (!r.truth.empty()) corner.truth.assign(r.truth.begin(), r.truth.begin() + r.parameters);
    viz::write_corner_png((fs::path(out) / "corner.png").string(), corner);
  }
}

}  // namespace cosmograd::apps
