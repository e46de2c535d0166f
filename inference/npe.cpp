#include "inference/npe.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "nn/train/trainer.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::inference {
namespace {

/// A copy of a module's parameters (the best state seen by a validation).
std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<torch::Tensor> s;
  for (const torch::Tensor& p : m.parameters()) s.push_back(p.detach().clone());
  return s;
}
void restore(torch::nn::Module& m, const std::vector<torch::Tensor>& s) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(s[i]);
}

/// The varied parameters of `entries` [N, p] (double).
torch::Tensor theta_of(const std::vector<driver::CampaignEntry>& entries) {
  const int64_t p = entries.empty() ? 0 : static_cast<int64_t>(entries.front().values.size());
  torch::Tensor t = torch::empty({static_cast<int64_t>(entries.size()), p}, torch::kFloat64);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (int64_t j = 0; j < p; ++j) t[i][j] = entries[i].values[j];
  }
  return t;
}

/// The summary vectors of `entries` [N, d] (double).
torch::Tensor summaries_of(const std::vector<driver::CampaignEntry>& entries, SummaryKind kind,
                           double k_max) {
  std::vector<torch::Tensor> rows;
  for (const driver::CampaignEntry& e : entries) {
    const std::vector<double> v = read_summary_vector(e.file, kind, k_max);
    if (!rows.empty() && rows.front().size(0) != static_cast<int64_t>(v.size())) {
      throw std::runtime_error(e.file + ": " + std::to_string(v.size()) +
                               " summary entries, the first file has " +
                               std::to_string(rows.front().size(0)));
    }
    rows.push_back(torch::tensor(v, torch::kFloat64));
  }
  return torch::stack(rows, 0);
}

/// Fields `indices` of `stream` as [B, 1, n, n, n] float, each randomly transformed by a
/// symmetry of the periodic cube (axis permutation, flips, shift) when `rng` is given.
torch::Tensor field_batch(FieldStream& stream, const std::vector<std::size_t>& indices,
                          std::mt19937_64* rng) {
  const int64_t n = stream.mesh();
  std::vector<torch::Tensor> fields;
  for (std::size_t i : indices) {
    torch::Tensor f =
        torch::from_blob(const_cast<float*>(stream.get(i).data()), {1, n, n, n}, torch::kFloat32)
            .clone();
    if (rng != nullptr) {
      static const int64_t perms[6][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3},
                                          {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
      const int64_t* q = perms[(*rng)() % 6];
      f = f.permute({0, q[0], q[1], q[2]});
      for (int64_t axis = 1; axis <= 3; ++axis) {
        if ((*rng)() % 2) f = f.flip({axis});
        f = f.roll({static_cast<int64_t>((*rng)() % n)}, {axis});
      }
      f = f.contiguous();
    }
    fields.push_back(f);
  }
  return torch::stack(fields, 0);
}

/// Uniform random indices in [0, n).
std::vector<std::size_t> draw(std::mt19937_64& rng, std::size_t n, int count) {
  std::vector<std::size_t> idx(count);
  for (std::size_t& i : idx) i = rng() % n;
  return idx;
}

/// Contexts of every field of `stream` (no augmentation), in chunks.
torch::Tensor field_contexts(nn::NpeNet& net, FieldStream& stream) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < stream.size(); i += 16) {
    std::vector<std::size_t> idx;
    for (std::size_t j = i; j < std::min(stream.size(), i + 16); ++j) idx.push_back(j);
    out.push_back(net->context(field_batch(stream, idx, nullptr)));
  }
  return torch::cat(out, 0);
}

nn::TrainerOptions trainer_options(const NpeTrainOptions& o, int steps, std::uint64_t seed) {
  nn::TrainerOptions t;
  t.schedule.kind = nn::ScheduleKind::cosine;
  t.schedule.base_lr = o.lr;
  t.schedule.min_lr = 0.01 * o.lr;
  t.max_steps = steps;
  t.validate_every = o.validate_every;
  t.patience = o.patience;
  t.clip_norm = 5.0;
  t.seed = seed;
  t.log_every = o.log_every;
  return t;
}

/// A module holding other modules' parameters, so a Trainer optimises exactly them.
struct Holder : torch::nn::Module {
  void hold(const std::string& name, std::shared_ptr<torch::nn::Module> m) {
    register_module(name, std::move(m));
  }
};

/// Trains the compressor (and, for VMIM, member 0's flow with it) on fields; returns the best
/// validation loss and sets *steps.
double train_compressor(nn::NpeNet& net, FieldStream& train, FieldStream& val,
                        const torch::Tensor& theta_train, const torch::Tensor& theta_val,
                        const NpeTrainOptions& o, int* steps) {
  const bool vmim = o.compressor_loss == "vmim";
  // Input standardisation from (up to) 32 training fields.
  {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < std::min<std::size_t>(32, train.size()); ++i) idx.push_back(i);
    const torch::Tensor t = nn::FieldCompressorImpl::transform(field_batch(train, idx, nullptr));
    net->compressor->input_mean.fill_(t.mean().item<double>());
    net->compressor->input_std.fill_(t.std().item<double>());
  }
  auto holder = std::make_shared<Holder>();
  holder->hold("compressor", net->compressor.ptr());
  if (vmim) holder->hold("flow", net->named_children()["flow0"]);
  const auto loss_of = [&](const torch::Tensor& fields, const torch::Tensor& theta) {
    const torch::Tensor ctx = net->context(fields);
    if (vmim) return -net->member_log_prob(0, theta, ctx).mean();
    const torch::Tensor u = net->to_unbounded(theta).first;
    return (ctx - torch::tanh(0.5 * u)).pow(2).mean();  // tanh(u/2) = the box scaled to [-1, 1]
  };
  nn::Trainer trainer(holder, trainer_options(o, o.compressor_steps, o.seed + 1000));
  std::vector<torch::Tensor> best = snapshot(*holder);
  double best_loss = std::numeric_limits<double>::infinity();
  const auto loss = [&](int64_t) {
    const std::vector<std::size_t> idx = draw(trainer.rng(), train.size(), o.compressor_batch);
    const torch::Tensor th =
        theta_train.index({torch::tensor(std::vector<int64_t>(idx.begin(), idx.end()))});
    return loss_of(field_batch(train, idx, o.augment ? &trainer.rng() : nullptr), th);
  };
  const auto validate = [&]() {
    double total = 0;
    for (std::size_t i = 0; i < val.size(); i += 16) {
      std::vector<std::size_t> idx;
      for (std::size_t j = i; j < std::min(val.size(), i + 16); ++j) idx.push_back(j);
      const torch::Tensor th = theta_val.slice(0, i, i + idx.size());
      total += loss_of(field_batch(val, idx, nullptr), th).item<double>() * idx.size();
    }
    const double v = total / val.size();
    if (v < best_loss) best_loss = v, best = snapshot(*holder);
    return v;
  };
  const nn::TrainResult r = trainer.fit(loss, validate);
  {
    torch::NoGradGuard no_grad;
    validate();  // the final state competes too (and is the only one when steps < validate_every)
  }
  restore(*holder, best);
  *steps = static_cast<int>(r.steps);
  return best_loss;
}

}  // namespace

nn::NpeNet train_npe(const CampaignSplit& split, const std::vector<double>& lo,
                     const std::vector<double>& hi, const NpeTrainOptions& o,
                     NpeTrainReport* report) {
  const auto start = std::chrono::steady_clock::now();
  if (o.compressor_loss != "vmim" && o.compressor_loss != "mse") {
    throw std::invalid_argument("compressor_loss = '" + o.compressor_loss +
                                "' is not allowed (allowed: vmim, mse)");
  }
  if (split.validation.empty()) {
    throw std::invalid_argument("npe: no validation simulations (validation must be >= 1)");
  }
  NpeTrainReport rep;
  rep.train = static_cast<int>(split.train.size());
  rep.validation = static_cast<int>(split.validation.size());
  nn::NpeConfig c;
  c.parameters = split.parameters;
  c.lo = lo;
  c.hi = hi;
  c.summary = summary_kind_name(o.summary);
  c.k_max = o.k_max;
  c.compressor_channels = o.compressor_channels;
  c.compressed = o.compressed;
  c.flow = o.flow;
  c.flow_layers = o.flow_layers;
  c.flow_hidden = o.flow_hidden;
  c.members = o.members;
  const torch::Tensor theta_train = theta_of(split.train), theta_val = theta_of(split.validation);

  torch::Tensor ctx_train, ctx_val;
  nn::NpeNet net{nullptr};
  if (o.summary == SummaryKind::density) {
    std::vector<std::string> ftrain, fval;
    for (const auto& e : split.train) ftrain.push_back(e.file);
    for (const auto& e : split.validation) fval.push_back(e.file);
    FieldStream train(ftrain, o.cache_bytes), val(fval, o.cache_bytes);
    c.field_mesh = train.mesh();
    net = nn::NpeNet(c);
    rep.compressor_val_loss =
        train_compressor(net, train, val, theta_train, theta_val, o, &rep.compressor_steps);
    for (const auto& p : net->compressor->parameters()) p.set_requires_grad(false);
    ctx_train = field_contexts(net, train);
    ctx_val = field_contexts(net, val);
  } else {
    const torch::Tensor x_train = summaries_of(split.train, o.summary, o.k_max);
    const torch::Tensor x_val = summaries_of(split.validation, o.summary, o.k_max);
    c.summary_dim = x_train.size(1);
    net = nn::NpeNet(c);
    const int64_t np = static_cast<int64_t>(power_entries(split.train.front().file, o.k_max));
    torch::NoGradGuard no_grad;
    if (np < c.summary_dim) {  // bispectrum entries: asinh scale = median |B| of the training set
      net->summary_scale.slice(0, np).copy_(std::get<0>(x_train.slice(1, np).abs().median(0)));
    }
    net->summary_mean.zero_();
    net->summary_std.fill_(1.0);
    const torch::Tensor t = net->context(x_train);
    net->summary_mean.copy_(t.mean(0));
    net->summary_std.copy_(t.std(0).clamp_min(1e-12));
    ctx_train = net->context(x_train);
    ctx_val = net->context(x_val);
  }

  // The ensemble: each member on the (frozen) contexts, early stopping on the validation set.
  const int64_t n_train = theta_train.size(0);
  for (int64_t k = 0; k < o.members; ++k) {
    auto holder = std::make_shared<Holder>();
    holder->hold("flow", net->named_children()["flow" + std::to_string(k)]);
    nn::Trainer trainer(holder, trainer_options(o, o.steps, o.seed + k));
    std::vector<torch::Tensor> best = snapshot(*holder);
    double best_val = std::numeric_limits<double>::infinity();
    const auto loss = [&](int64_t) {
      std::vector<int64_t> idx(std::min<int64_t>(o.batch, n_train));
      for (int64_t& i : idx) i = static_cast<int64_t>(trainer.rng()() % n_train);
      const torch::Tensor sel = torch::tensor(idx);
      return -net->member_log_prob(k, theta_train.index({sel}), ctx_train.index({sel})).mean();
    };
    const auto validate = [&]() {
      const double v = -net->member_log_prob(k, theta_val, ctx_val).mean().item<double>();
      if (v < best_val) best_val = v, best = snapshot(*holder);
      return v;
    };
    const nn::TrainResult r = trainer.fit(loss, validate);
    {
      torch::NoGradGuard no_grad;
      validate();  // the final state competes too
    }
    if (!std::isfinite(best_val)) {
      throw std::runtime_error("npe member " + std::to_string(k) +
                               ": the validation log-probability is not finite (training "
                               "diverged; lower lr or raise steps)");
    }
    restore(*holder, best);
    rep.member_val_log_prob.push_back(-best_val);
    rep.member_steps.push_back(static_cast<int>(r.steps));
  }
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor lp = torch::tensor(rep.member_val_log_prob, torch::kFloat64);
    net->log_weights.copy_(torch::log_softmax(lp, 0));
    const torch::Tensor w = net->log_weights.exp();
    rep.weights.assign(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
  }
  net->eval();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (report != nullptr) *report = rep;
  return net;
}

torch::Tensor npe_observation(const nn::NpeNet& net, const std::string& file) {
  const nn::NpeConfig& c = net->config();
  if (c.summary == "density") {
    int n = 0;
    std::vector<float> f = read_density_field(file, &n);
    if (n != c.field_mesh) {
      throw std::runtime_error(file + ": density mesh " + std::to_string(n) +
                               " but the model was trained on " + std::to_string(c.field_mesh));
    }
    return torch::from_blob(f.data(), {1, 1, n, n, n}, torch::kFloat32).clone();
  }
  const std::vector<double> v = read_summary_vector(file, parse_summary_kind(c.summary), c.k_max);
  if (static_cast<int64_t>(v.size()) != c.summary_dim) {
    throw std::runtime_error(file + ": " + std::to_string(v.size()) + " " + c.summary +
                             " entries for k <= " + std::to_string(c.k_max) +
                             " but the model takes " + std::to_string(c.summary_dim) +
                             " (a campaign with other summary settings?)");
  }
  return torch::tensor(v, torch::kFloat64).unsqueeze(0);
}

torch::Tensor npe_posterior_samples(nn::NpeNet& net, const std::string& file, int64_t n,
                                    std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  const torch::Tensor ctx = net->context(npe_observation(net, file));
  return net->sample(n, ctx);
}

}  // namespace cosmograd::inference
