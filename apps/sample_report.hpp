// What `cosmograd sample` writes once its chains are done: the kept draws (samples.h5), the
// parameters' summary and the truth's credibility level (posterior.txt), the
// posterior mean and standard deviation of the white noise, the diagnostics table
// (diagnostics.md: R-hat, bulk and tail ESS, acceptance, divergences, E-BFMI, ESS per gradient
// evaluation and wall time per effective sample), trace.png and corner.png.
#pragma once

#include <string>
#include <vector>

#include "inference/hmc_chain.hpp"

namespace cosmograd::apps {

/// The chains of one `sample` run and how to label them.
struct SampleResult {
  std::vector<inference::ChainRun> chains;  ///< one per chain, each complete
  int warmup = 0;                           ///< warm-up iterations per chain
  int particles = 0;                        ///< the white noise is particles^3
  double box_size = 0;                      ///< [Mpc/h], for the field files
  std::vector<std::string> quantity_names;  ///< of each chain's recorded quantities
  std::size_t parameters = 0;               ///< the first `parameters` quantities are theta
  std::vector<double> truth;                ///< per quantity (NaN: unknown; empty: none)
  std::string title;                        ///< first line of the report and plots
};

/// The Markdown diagnostics table of `r`.
std::string sample_diagnostics_markdown(const SampleResult& r);

/// The parameters' posterior summary (mean, sd, quantiles, truth) and the truth's joint
/// credibility level (posterior.txt).
std::string sample_posterior_text(const SampleResult& r);

/// Writes samples.h5, posterior.txt, white_noise_mean.h5, white_noise_std.h5, diagnostics.md,
/// trace.png and (with parameters) corner.png into `out`, every file atomically.
void write_sample_outputs(const std::string& out, const SampleResult& r);

}  // namespace cosmograd::apps
