// Emulator training (nn::Trainer, cube-symmetry augmentation) and held-out evaluation.
#include "nn/emulator_train.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/emulator_data.hpp"
#include "nn/halo_model.hpp"
#include "nn/train/trainer.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::nn {

torch::Tensor apply_cube_symmetry(const torch::Tensor& fields, const CubeSymmetry& s) {
  if (fields.dim() != 5 || fields.size(1) % 3 != 0) {
    throw std::invalid_argument("apply_cube_symmetry: fields must be [B, 3 G, N, N, N]");
  }
  const int64_t groups = fields.size(1) / 3;
  torch::Tensor out = fields.permute({0, 1, 2 + s.perm[0], 2 + s.perm[1], 2 + s.perm[2]});
  std::vector<int64_t> channels;
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t d = 0; d < 3; ++d) channels.push_back(3 * g + s.perm[static_cast<size_t>(d)]);
  }
  out = out.index_select(1, torch::tensor(channels, torch::kLong));
  std::vector<int64_t> flipped;
  std::vector<float> sign(3, 1.0f);
  for (int64_t d = 0; d < 3; ++d) {
    if (s.flip[static_cast<size_t>(d)]) {
      flipped.push_back(2 + d);
      sign[static_cast<size_t>(d)] = -1.0f;
    }
  }
  if (!flipped.empty()) {
    // Reversing index i -> N - 1 - i maps lattice point q to L - q - spacing; rolling by one
    // more cell makes it q -> -q (mod L), the reflection that negates the components.
    out = torch::flip(out, flipped);
    std::vector<int64_t> ones(flipped.size(), 1);
    out = torch::roll(out, ones, flipped);
    out = out * torch::tensor(sign, out.options()).repeat({groups}).view({1, 3 * groups, 1, 1, 1});
  }
  if (s.shift[0] != 0 || s.shift[1] != 0 || s.shift[2] != 0) {
    out = torch::roll(out, {s.shift[0], s.shift[1], s.shift[2]}, {2, 3, 4});
  }
  return out.contiguous();
}

CubeSymmetry random_cube_symmetry(std::mt19937_64& rng, int64_t n) {
  CubeSymmetry s;
  std::shuffle(s.perm.begin(), s.perm.end(), rng);
  for (int d = 0; d < 3; ++d) {
    s.flip[static_cast<size_t>(d)] = (rng() & 1u) != 0;
    s.shift[static_cast<size_t>(d)] = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  }
  return s;
}

TrainerOptions emulator_trainer_options(int64_t steps, double lr, uint64_t seed,
                                        int64_t log_every) {
  TrainerOptions to;
  to.max_steps = steps;
  to.schedule.kind = ScheduleKind::cosine;
  to.schedule.base_lr = lr;
  to.schedule.min_lr = lr / 20.0;
  to.schedule.warmup_steps = std::min<int64_t>(50, steps / 10);
  to.clip_norm = 1.0;
  to.seed = seed;
  to.log_every = log_every;
  return to;
}

std::vector<double> train_emulator(Emulator& model, const std::string& data_path,
                                   const EmulatorTrainOptions& o) {
  Hdf5FieldDatasetOptions dopt;
  dopt.batch_size = o.batch;
  dopt.seed = o.seed;
  const Hdf5FieldDataset data(data_path, dopt);
  if (data.channels() != 12 || data.num_params() < 2) {
    throw std::runtime_error(data_path +
                             ": not an emulator pair file (need fields with 12 "
                             "channels and params (Omega_m, sigma8, ...))");
  }
  if (data.mesh() % model->alignment() != 0) {
    throw std::runtime_error(
        data_path + ": particles per side " + std::to_string(data.mesh()) +
        " is not a multiple of 2^depth = " + std::to_string(model->alignment()));
  }
  model->train();
  Trainer trainer(model.ptr(), emulator_trainer_options(o.steps, o.lr, o.seed, o.log_every));
  std::vector<double> losses;
  const torch::Tensor inv_scale = 1.0 / model->named_buffers()["scale"];
  const int64_t n = data.mesh();
  const double box = read_emulator_data_info(data_path).options.box_size;
  const auto loss = [&](int64_t step) {
    const FieldBatch b = data.batch(step);
    const torch::Tensor f = apply_cube_symmetry(b.fields, random_cube_symmetry(trainer.rng(), n));
    const torch::Tensor x = f.slice(1, 0, 6), t = f.slice(1, 6, 12);
    const torch::Tensor y = model->forward(x, b.params.slice(1, 0, 2));
    const torch::Tensor e2 = ((y - t) * inv_scale).square();
    torch::Tensor l = e2.slice(1, 0, 3).mean() + o.momentum_weight * e2.slice(1, 3, 6).mean();
    if (o.density_weight > 0) {
      for (int64_t i = 0; i < y.size(0); ++i) {
        const int mesh = 2 * static_cast<int>(n);
        const torch::Tensor d_pm = lattice_density(t[i].slice(0, 0, 3), box, mesh);
        const torch::Tensor d_emu = lattice_density(y[i].slice(0, 0, 3), box, mesh);
        l = l + o.density_weight / static_cast<double>(y.size(0)) * (d_emu - d_pm).square().mean() /
                    d_pm.var().detach();
      }
    }
    losses.push_back(l.item<double>());
    return l;
  };
  trainer.fit(loss);
  model->eval();
  return losses;
}

torch::Tensor displaced_positions(const torch::Tensor& disp, double box) {
  const torch::Tensor q =
      lattice_positions(static_cast<int>(disp.size(1)), box, disp.scalar_type());
  return torch::remainder(q + disp.permute({1, 2, 3, 0}).reshape({-1, 3}), box).contiguous();
}

void SpectrumSums::add(const CrossSpectrum& c) {
  if (k.empty()) {
    k = c.k;
    paa.assign(k.size(), 0.0);
    pbb.assign(k.size(), 0.0);
    pab.assign(k.size(), 0.0);
  }
  for (size_t i = 0; i < k.size(); ++i) {
    paa[i] += c.p_a[i];
    pbb[i] += c.p_b[i];
    pab[i] += c.r[i] * std::sqrt(c.p_a[i] * c.p_b[i]);
  }
}

CrossSpectrum vector_cross(const torch::Tensor& a, const torch::Tensor& b, double box) {
  CrossSpectrum sum;
  for (int64_t d = 0; d < 3; ++d) {
    const CrossSpectrum c = cross_correlation(a[d], b[d], box);
    if (d == 0) {
      sum = c;
      for (size_t i = 0; i < c.k.size(); ++i) sum.r[i] = c.r[i] * std::sqrt(c.p_a[i] * c.p_b[i]);
      continue;
    }
    for (size_t i = 0; i < c.k.size(); ++i) {
      sum.p_a[i] += c.p_a[i];
      sum.p_b[i] += c.p_b[i];
      sum.r[i] += c.r[i] * std::sqrt(c.p_a[i] * c.p_b[i]);
    }
  }
  for (size_t i = 0; i < sum.k.size(); ++i) sum.r[i] /= std::sqrt(sum.p_a[i] * sum.p_b[i]);
  return sum;
}

torch::Tensor lattice_density(const torch::Tensor& disp, double box_size, int n_mesh) {
  return cic_density(displaced_positions(disp, box_size), n_mesh, box_size);
}

EmulatorMetrics evaluate_emulator(Emulator& model, const std::string& data_path,
                                  const std::string& pgd_fit_path, int pgd_fit_boxes) {
  Hdf5FieldDatasetOptions dopt;
  dopt.batch_size = 1;
  dopt.shuffle = false;
  const Hdf5FieldDataset data(data_path, dopt);
  if (data.channels() != 12 || data.num_params() < 2) {
    throw std::runtime_error(data_path + ": not an emulator pair file");
  }
  const double box = read_emulator_data_info(data_path).options.box_size;
  EmulatorMetrics m;
  const int n_mesh = 2 * static_cast<int>(data.mesh());
  const double k_nyq = M_PI * static_cast<double>(data.mesh()) / box;
  if (!pgd_fit_path.empty()) {
    Hdf5FieldDatasetOptions fopt;
    fopt.batch_size = 1;
    fopt.shuffle = false;
    const Hdf5FieldDataset fit(pgd_fit_path, fopt);
    std::vector<torch::Tensor> from, to;
    for (int64_t i = 0; i < std::min<int64_t>(pgd_fit_boxes, fit.size()); ++i) {
      const torch::Tensor f = fit.read({i}).fields[0];
      from.push_back(displaced_positions(f.slice(0, 0, 3), box));
      to.push_back(displaced_positions(f.slice(0, 6, 9), box));
    }
    m.pgd = fit_pgd(from, to, n_mesh, box, 0.5 * k_nyq, 100);
    m.pgd_fit_boxes = static_cast<int64_t>(from.size());
  }
  torch::NoGradGuard no_grad;
  model->eval();
  SpectrumSums emu, lpt, pgd, mom_emu, mom_lpt;
  double de = 0, dl = 0, me = 0, ml = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    const FieldBatch b = data.read({i});
    const torch::Tensor x = b.fields.slice(1, 0, 6), t = b.fields.slice(1, 6, 12);
    const auto t0 = std::chrono::steady_clock::now();
    const torch::Tensor y = model->forward(x, b.params.slice(1, 0, 2));
    m.emulate_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const torch::Tensor d_pm = lattice_density(t[0].slice(0, 0, 3), box, n_mesh);
    emu.add(cross_correlation(lattice_density(y[0].slice(0, 0, 3), box, n_mesh), d_pm, box));
    lpt.add(cross_correlation(lattice_density(x[0].slice(0, 0, 3), box, n_mesh), d_pm, box));
    if (m.pgd_fit_boxes > 0) {
      const torch::Tensor pos = displaced_positions(x[0].slice(0, 0, 3), box);
      const torch::Tensor moved =
          torch::remainder(apply_pgd(make_pgd(pos, n_mesh, box), pos, torch::tensor(m.pgd.alpha),
                                     torch::tensor(m.pgd.k_l), torch::tensor(m.pgd.k_s)),
                           box);
      pgd.add(cross_correlation(cic_density(moved, n_mesh, box), d_pm, box));
    }
    mom_emu.add(vector_cross(y[0].slice(0, 3, 6), t[0].slice(0, 3, 6), box));
    mom_lpt.add(vector_cross(x[0].slice(0, 3, 6), t[0].slice(0, 3, 6), box));
    de += (y - t).slice(1, 0, 3).square().mean().item<double>();
    dl += (x - t).slice(1, 0, 3).square().mean().item<double>();
    me += (y - t).slice(1, 3, 6).square().mean().item<double>();
    ml += (x - t).slice(1, 3, 6).square().mean().item<double>();
  }
  const double s = static_cast<double>(data.size());
  m.boxes = data.size();
  m.emulate_seconds /= s;
  m.disp_rmse_emu = std::sqrt(de / s);
  m.disp_rmse_lpt = std::sqrt(dl / s);
  m.mom_rmse_emu = std::sqrt(me / s);
  m.mom_rmse_lpt = std::sqrt(ml / s);
  m.k_nyq = k_nyq;
  for (size_t i = 0; i < emu.k.size(); ++i) {
    if (emu.k[i] > m.k_nyq) break;
    m.k.push_back(emu.k[i]);
    m.ratio_emu.push_back(emu.ratio(i));
    m.r_emu.push_back(emu.r(i));
    m.ratio_lpt.push_back(lpt.ratio(i));
    m.r_lpt.push_back(lpt.r(i));
    if (m.pgd_fit_boxes > 0) {
      m.ratio_pgd.push_back(pgd.ratio(i));
      m.r_pgd.push_back(pgd.r(i));
    }
    m.mom_ratio_emu.push_back(i < mom_emu.k.size() ? mom_emu.ratio(i) : NAN);
    m.mom_ratio_lpt.push_back(i < mom_lpt.k.size() ? mom_lpt.ratio(i) : NAN);
  }
  return m;
}

}  // namespace cosmograd::nn
