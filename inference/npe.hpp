// Training and using neural posterior estimators (nn/npe_net.hpp) on a simulation campaign:
// vector summaries standardised, or density fields through a CNN compressor trained by
// variational mutual-information maximisation (VMIM: jointly with a conditional flow, Jeffrey,
// Alsing & Lanusse 2021) or by MSE on the parameters; then an ensemble of flows on the
// summaries, each with early stopping on the validation simulations, weighted by their mean
// validation log-probability (softmax; ltu-ili's ensemble weighting).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "inference/campaign_data.hpp"
#include "nn/npe_net.hpp"

namespace cosmograd::inference {

/// How an NPE is trained.
struct NpeTrainOptions {
  SummaryKind summary = SummaryKind::power;  ///< what the posterior is conditioned on
  double k_max = 0;                          ///< summaries use k <= k_max [h/Mpc] (0: all)
  std::string flow = "nsf";                  ///< nsf or maf
  int flow_layers = 4;                       ///< layers of each flow
  int flow_hidden = 64;                      ///< hidden width of the conditioners
  int members = 4;                           ///< ensemble members
  int steps = 3000;                          ///< optimizer steps per member
  int batch = 64;                            ///< simulations per step (flows)
  double lr = 1e-3;                          ///< peak learning rate (cosine decay)
  int validate_every = 50;                   ///< steps between validations
  int patience = 20;                         ///< validations without improvement before stopping
  std::string compressor_loss = "mse";       ///< mse or vmim (density)
  int compressor_steps = 3000;               ///< optimizer steps of the compressor
  int compressor_batch = 16;                 ///< fields per compressor step
  int compressor_channels = 8;               ///< first-block channels of the CNN
  int compressed = 0;                        ///< compressor outputs (0: the parameters' number)
  bool augment = true;  ///< random axis permutations, flips and periodic shifts of the fields
  std::size_t cache_bytes = std::size_t(1) << 30;  ///< fields kept in memory, then streamed
  std::uint64_t seed = 1;                          ///< seeds every member (member k: seed + k)
  int log_every = 0;                               ///< progress line every this many steps
};

/// What training measured.
struct NpeTrainReport {
  int train = 0, validation = 0;            ///< simulations used
  double compressor_val_loss = 0;           ///< best validation loss of the compressor
  int compressor_steps = 0;                 ///< steps the compressor took
  std::vector<double> member_val_log_prob;  ///< mean validation log q per member
  std::vector<double> weights;              ///< ensemble weights
  std::vector<int> member_steps;            ///< steps each member took
  double seconds = 0;                       ///< wall time [s]
};

/// Trains an NPE on split.train (early stopping on split.validation) over the prior box
/// [lo, hi] of split.parameters.
nn::NpeNet train_npe(const CampaignSplit& split, const std::vector<double>& lo,
                     const std::vector<double>& hi, const NpeTrainOptions& options,
                     NpeTrainReport* report = nullptr);

/// The observation tensor the network takes for one summary file: the summary vector [1, d]
/// or the density field [1, 1, n, n, n]; throws naming the file when it does not match.
torch::Tensor npe_observation(const nn::NpeNet& net, const std::string& file);

/// n posterior samples [n, p] for the observation in `file` (torch's default generator seeded
/// with `seed`).
torch::Tensor npe_posterior_samples(nn::NpeNet& net, const std::string& file, int64_t n,
                                    std::uint64_t seed);

}  // namespace cosmograd::inference
