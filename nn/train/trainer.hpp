// A deterministic, resumable training loop: Adam/AdamW, learning-rate schedules, gradient
// clipping, validation with early stopping, atomic checkpoints and progress logging.
//
// Resuming from a checkpoint reproduces an uninterrupted run bit for bit (same thread count):
// the checkpoint holds the module's parameters and buffers, the optimizer state, the step, the
// early-stopping state and both random states (torch's default CPU generator and rng()), and the
// learning rate is a pure function of the step.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>

namespace cosmograd::nn {

/// Optimizers of Trainer.
enum class OptimizerKind { adam, adamw };
/// Learning-rate schedules: constant, cosine decay to min_lr at max_steps (Loshchilov & Hutter
/// 2017, SGDR, without restarts), step decay by gamma every step_size steps.
enum class ScheduleKind { constant, cosine, step };

/// Parses "adam" or "adamw"; throws std::invalid_argument otherwise.
OptimizerKind parse_optimizer(const std::string& name);
/// Parses "constant", "cosine" or "step"; throws std::invalid_argument otherwise.
ScheduleKind parse_schedule(const std::string& name);

/// Learning-rate schedule: a pure function of the step (so resuming is exact).
struct LrSchedule {
  /// Shape of the decay.
  ScheduleKind kind = ScheduleKind::constant;
  /// Peak learning rate.
  double base_lr = 1e-3;
  /// Floor of the cosine schedule.
  double min_lr = 0.0;
  /// Linear warm-up from base_lr / warmup_steps to base_lr over the first warmup_steps steps.
  int64_t warmup_steps = 0;
  /// Total steps (cosine reaches min_lr here).
  int64_t total_steps = 1000;
  /// Step schedule: decay period in steps.
  int64_t step_size = 1000;
  /// Step schedule: factor applied every step_size steps.
  double gamma = 0.1;

  /// The learning rate for step `step` (0-based: the step about to be taken).
  double operator()(int64_t step) const;
};

/// Options of Trainer.
struct TrainerOptions {
  /// Optimizer.
  OptimizerKind optimizer = OptimizerKind::adam;
  /// Adam beta1, beta2 and epsilon.
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  /// Weight decay (L2 for Adam, decoupled for AdamW).
  double weight_decay = 0.0;
  /// Learning-rate schedule; its total_steps is set to max_steps.
  LrSchedule schedule;
  /// Number of optimizer steps of the whole run.
  int64_t max_steps = 1000;
  /// Clip gradients to this global L2 norm (<= 0: no clipping).
  double clip_norm = 0.0;
  /// Validate every this many steps (0: never).
  int64_t validate_every = 0;
  /// Stop after this many validations without improvement (0: never stop early).
  int64_t patience = 0;
  /// Smallest decrease of the validation loss that counts as an improvement.
  double min_delta = 0.0;
  /// Write a checkpoint every this many steps (0: never) and at the end.
  int64_t checkpoint_every = 0;
  /// Checkpoint file (written atomically; required when checkpoint_every > 0).
  std::string checkpoint_path;
  /// Log a progress line every this many steps (0: never).
  int64_t log_every = 0;
  /// Seed of torch's default CPU generator and of rng(), set by the constructor.
  uint64_t seed = 0;
};

/// Outcome of Trainer::fit.
struct TrainResult {
  /// Steps taken in total (including those before a resume).
  int64_t steps = 0;
  /// Training loss of the last step.
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  /// Best validation loss (infinity when never validated).
  double best_val_loss = std::numeric_limits<double>::infinity();
  /// Step at which best_val_loss was reached (-1 when never validated).
  int64_t best_step = -1;
  /// Whether early stopping ended the run.
  bool stopped_early = false;
};

/// The loss of one training step, a scalar tensor with a graph to the parameters; receives the
/// 0-based step (use it, rng() or torch's default generator to draw the batch).
using LossFn = std::function<torch::Tensor(int64_t step)>;
/// The validation loss (called under torch::NoGradGuard).
using ValidFn = std::function<double()>;

/// Trains a module; see the file comment for the determinism contract.
class Trainer {
 public:
  /// Builds the optimizer over model's parameters and seeds torch's default CPU generator and
  /// rng() with options.seed; throws std::invalid_argument for inconsistent options.
  Trainer(std::shared_ptr<torch::nn::Module> model, TrainerOptions options);

  /// Runs from the current step to options.max_steps (or early stop); `validate` may be empty.
  TrainResult fit(const LossFn& loss, const ValidFn& validate = nullptr);
  /// Writes a checkpoint of the complete training state to `path` (atomic).
  void save_checkpoint(const std::string& path) const;
  /// Restores the state written by save_checkpoint; throws std::runtime_error naming the file
  /// when it is missing or corrupt.
  void load_checkpoint(const std::string& path);

  /// The next step to take (0-based; = steps taken).
  int64_t step() const { return step_; }
  /// Best validation loss so far (infinity when never validated).
  double best_val_loss() const { return best_val_; }
  /// Random generator for user batch sampling; part of the checkpointed state.
  std::mt19937_64& rng() { return rng_; }
  /// The optimizer.
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  /// The options.
  const TrainerOptions& options() const { return options_; }

 private:
  std::shared_ptr<torch::nn::Module> model_;
  TrainerOptions options_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::mt19937_64 rng_;
  int64_t step_ = 0;
  double best_val_ = std::numeric_limits<double>::infinity();
  int64_t best_step_ = -1;
  int64_t bad_validations_ = 0;
  bool stopped_early_ = false;
};

}  // namespace cosmograd::nn
