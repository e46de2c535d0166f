#include "nn/train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "nn/train/model_file.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::nn {
namespace {

constexpr double kPi = 3.14159265358979323846;

at::Generator default_generator() { return at::detail::getDefaultCPUGenerator(); }

torch::Tensor scalar_i64(int64_t v) { return torch::tensor(v, torch::kInt64); }
torch::Tensor scalar_f64(double v) { return torch::tensor(v, torch::kFloat64); }

std::string format_seconds(double s) {
  if (!std::isfinite(s)) return "?";
  const auto t = static_cast<int64_t>(std::llround(s));
  std::ostringstream os;
  if (t >= 3600) os << t / 3600 << "h";
  if (t >= 60) os << std::setw(t >= 3600 ? 2 : 1) << std::setfill('0') << (t / 60) % 60 << "m";
  os << std::setw(t >= 60 ? 2 : 1) << std::setfill('0') << t % 60 << "s";
  return os.str();
}

}  // namespace

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "adam") return OptimizerKind::adam;
  if (name == "adamw") return OptimizerKind::adamw;
  throw std::invalid_argument("optimizer = '" + name + "' is unknown (valid: adam, adamw)");
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant") return ScheduleKind::constant;
  if (name == "cosine") return ScheduleKind::cosine;
  if (name == "step") return ScheduleKind::step;
  throw std::invalid_argument("schedule = '" + name +
                              "' is unknown (valid: constant, cosine, step)");
}

double LrSchedule::operator()(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps) {
    return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  }
  switch (kind) {
    case ScheduleKind::constant:
      return base_lr;
    case ScheduleKind::cosine: {
      // Cosine annealing (Loshchilov & Hutter 2017, eq. 5), after the warm-up.
      const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
      const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / span);
      return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(kPi * t));
    }
    case ScheduleKind::step:
      return base_lr * std::pow(gamma, static_cast<double>(step / std::max<int64_t>(1, step_size)));
  }
  return base_lr;
}

Trainer::Trainer(std::shared_ptr<torch::nn::Module> model, TrainerOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  if (!model_) throw std::invalid_argument("Trainer: model is null");
  if (options_.max_steps < 0) {
    throw std::invalid_argument("Trainer: max_steps = " + std::to_string(options_.max_steps) +
                                " (must be >= 0)");
  }
  if (options_.checkpoint_every > 0 && options_.checkpoint_path.empty()) {
    throw std::invalid_argument("Trainer: checkpoint_every > 0 needs checkpoint_path");
  }
  if (!(options_.schedule.base_lr > 0.0)) {
    throw std::invalid_argument("Trainer: schedule.base_lr must be > 0");
  }
  if (options_.validate_every < 0 || options_.patience < 0 || options_.checkpoint_every < 0 ||
      options_.log_every < 0) {
    throw std::invalid_argument(
        "Trainer: validate_every, patience, checkpoint_every and log_every must be >= 0");
  }
  options_.schedule.total_steps = options_.max_steps;
  const double lr = options_.schedule(0);
  if (options_.optimizer == OptimizerKind::adam) {
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                                      torch::optim::AdamOptions(lr)
                                                          .betas({options_.beta1, options_.beta2})
                                                          .eps(options_.eps)
                                                          .weight_decay(options_.weight_decay));
  } else {
    optimizer_ = std::make_unique<torch::optim::AdamW>(model_->parameters(),
                                                       torch::optim::AdamWOptions(lr)
                                                           .betas({options_.beta1, options_.beta2})
                                                           .eps(options_.eps)
                                                           .weight_decay(options_.weight_decay));
  }
  torch::manual_seed(options_.seed);
  rng_.seed(options_.seed);
}

TrainResult Trainer::fit(const LossFn& loss_fn, const ValidFn& validate) {
  if (!loss_fn) throw std::invalid_argument("Trainer::fit: loss function is empty");
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const int64_t start_step = step_;
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  bool checkpoint_current = false;
  model_->train();
  while (step_ < options_.max_steps && !stopped_early_) {
    const double lr = options_.schedule(step_);
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    optimizer_->zero_grad();
    const torch::Tensor loss = loss_fn(step_);
    if (!loss.defined() || loss.numel() != 1) {
      throw std::runtime_error("Trainer::fit: the loss at step " + std::to_string(step_) +
                               " is not a scalar tensor");
    }
    last_loss = loss.item<double>();
    if (!std::isfinite(last_loss)) {
      throw std::runtime_error("Trainer::fit: non-finite loss " + std::to_string(last_loss) +
                               " at step " + std::to_string(step_));
    }
    loss.backward();
    if (options_.clip_norm > 0.0) {
      torch::nn::utils::clip_grad_norm_(model_->parameters(), options_.clip_norm);
    }
    optimizer_->step();
    ++step_;
    checkpoint_current = false;

    if (options_.log_every > 0 && step_ % options_.log_every == 0) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double per_step = elapsed / static_cast<double>(step_ - start_step);
      sim::log_info("train step ", step_, "/", options_.max_steps, " loss ", std::setprecision(6),
                    last_loss, " lr ", lr, " eta ",
                    format_seconds(per_step * static_cast<double>(options_.max_steps - step_)));
    }
    if (validate && options_.validate_every > 0 && step_ % options_.validate_every == 0) {
      double val = 0.0;
      {
        torch::NoGradGuard no_grad;
        model_->eval();
        val = validate();
        model_->train();
      }
      if (val < best_val_ - options_.min_delta) {
        best_val_ = val;
        best_step_ = step_;
        bad_validations_ = 0;
      } else {
        ++bad_validations_;
      }
      sim::log_info("train step ", step_, " validation loss ", std::setprecision(6), val, " (best ",
                    best_val_, " at step ", best_step_, ")");
      if (options_.patience > 0 && bad_validations_ >= options_.patience) {
        stopped_early_ = true;
        sim::log_info("train: early stop at step ", step_, " (no improvement in ", bad_validations_,
                      " validations)");
      }
    }
    if (options_.checkpoint_every > 0 && step_ % options_.checkpoint_every == 0) {
      save_checkpoint(options_.checkpoint_path);
      checkpoint_current = true;
    }
  }
  if (options_.checkpoint_every > 0 && !checkpoint_current && step_ > start_step) {
    save_checkpoint(options_.checkpoint_path);
  }
  TrainResult result;
  result.steps = step_;
  result.last_loss = last_loss;
  result.best_val_loss = best_val_;
  result.best_step = best_step_;
  result.stopped_early = stopped_early_;
  return result;
}

void Trainer::save_checkpoint(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model_->save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer_->save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("step", scalar_i64(step_));
  archive.write("best_val", scalar_f64(best_val_));
  archive.write("best_step", scalar_i64(best_step_));
  archive.write("bad_validations", scalar_i64(bad_validations_));
  archive.write("stopped_early", scalar_i64(stopped_early_ ? 1 : 0));
  {
    at::Generator gen = default_generator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("torch_rng", gen.get_state());
  }
  std::ostringstream rng_text;
  rng_text << rng_;
  const std::string s = rng_text.str();
  archive.write("std_rng", torch::from_blob(const_cast<char*>(s.data()),
                                            {static_cast<int64_t>(s.size())}, torch::kUInt8)
                               .clone());
  write_file_atomically(path, [&](std::ostream& out) { archive.save_to(out); });
}

void Trainer::load_checkpoint(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error(path + ": cannot open checkpoint (does it exist?)");
  }
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model_->load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer_->load(optimizer_archive);
    // A defined tensor would be overwritten in place by InputArchive::read: read into fresh ones.
    const auto read = [&archive](const char* key) {
      torch::Tensor t;
      archive.read(key, t);
      return t;
    };
    step_ = read("step").item<int64_t>();
    best_val_ = read("best_val").item<double>();
    best_step_ = read("best_step").item<int64_t>();
    bad_validations_ = read("bad_validations").item<int64_t>();
    stopped_early_ = read("stopped_early").item<int64_t>() != 0;
    {
      const torch::Tensor state = read("torch_rng");
      at::Generator gen = default_generator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    }
    const torch::Tensor bytes = read("std_rng").contiguous();
    std::istringstream rng_text(std::string(static_cast<const char*>(bytes.data_ptr()),
                                            static_cast<std::size_t>(bytes.numel())));
    rng_text >> rng_;
    if (!rng_text) throw std::runtime_error("bad std_rng entry");
  } catch (const c10::Error& e) {
    throw std::runtime_error(path +
                             ": corrupt or incompatible checkpoint: " + e.what_without_backtrace());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": corrupt or incompatible checkpoint: " + e.what());
  }
}

}  // namespace cosmograd::nn
