// What the `cosmograd infer` subcommands share: the campaign split and its prior, threads, and
// the posterior outputs (samples file, summary table).
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "inference/campaign_data.hpp"
#include "sim/core/settings.hpp"

namespace cosmograd::apps {

/// Keys choosing the campaign and its split: campaign, validation, test, k_max.
std::vector<sim::KeySpec> infer_split_keys();

/// A campaign, its split and the prior box of its varied parameters (from campaign.ini).
struct InferSplit {
  std::string campaign;            ///< the campaign directory
  inference::CampaignSplit split;  ///< train / validation / test / fiducial
  std::vector<double> lo, hi;      ///< the prior box, in split.parameters order
  double k_max = 0;                ///< summaries use k <= k_max [h/Mpc] (0: all)
};
/// The InferSplit of infer_split_keys(); throws naming the key or the file.
InferSplit infer_split_from(const sim::Settings& s);

/// Sets OpenMP's and LibTorch's thread counts from the `threads` key (0: all cores).
void set_infer_threads(const sim::Settings& s);

/// The parameters stored in a campaign summary file (attribute `parameters`) when it holds
/// `count` of them, else empty (an observation without a known truth).
std::vector<double> observed_truth(const std::string& file, std::size_t count);

/// Rows of a [n, p] tensor.
std::vector<std::vector<double>> tensor_rows(const torch::Tensor& t);

/// Writes samples [n, p] as dataset `samples` (float64) with the parameter names and the
/// observation's file as attributes (atomic).
void write_posterior_samples(const std::string& path, const torch::Tensor& samples,
                             const std::vector<std::string>& names, const std::string& observed);

/// A text table: per parameter the mean, standard deviation, 16/50/84% quantiles (and truth).
std::string posterior_table(const torch::Tensor& samples, const std::vector<std::string>& names,
                            const std::vector<double>& truth);

}  // namespace cosmograd::apps
