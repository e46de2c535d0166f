// Super-resolution training (nn::Trainer, cube-symmetry augmentation on both lattices, a density
// term through the engine painter's vjp) and held-out evaluation (spectra, halo mass function,
// stacked halo profiles) against the real high-resolution run and two baselines.
#include "nn/superres_train.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/emulator.hpp"
#include "nn/emulator_train.hpp"
#include "nn/superres_data.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "nn/train/trainer.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/fof.hpp"

namespace cosmograd::nn {
namespace {

/// CIC density contrast of fine particles displaced by disp [3, n, n, n] on an m^3 mesh, by
/// the engine's painter (differentiable in disp through sim::paint_vjp).
torch::Tensor painted_density(const torch::Tensor& disp, double box, int m) {
  const torch::Tensor pos = displaced_positions(disp, box);
  const double per_cell = static_cast<double>(pos.size(0)) / (static_cast<double>(m) * m * m);
  return paint(pos, m, box) / per_cell - 1.0;
}

/// The pair file's checks: fields with 6 + 6 f^3 channels for the model's f.
void check_pair_file(const Hdf5FieldDataset& data, const SuperRes& model, const std::string& path) {
  const int64_t f = model->options.factor();
  if (data.channels() != 6 + 6 * f * f * f) {
    throw std::runtime_error(path + ": not a super-resolution pair file for factor " +
                             std::to_string(f) + " (need fields with " +
                             std::to_string(6 + 6 * f * f * f) + " channels, found " +
                             std::to_string(data.channels()) + ")");
  }
  if (data.mesh() % model->alignment() != 0) {
    throw std::runtime_error(
        path + ": particles per side " + std::to_string(data.mesh()) +
        " is not a multiple of 2^depth = " + std::to_string(model->alignment()));
  }
}

}  // namespace

torch::Tensor binned_log_power(const torch::Tensor& delta) {
  const int64_t m = delta.size(0);
  const torch::Tensor dk = torch::fft::rfftn(delta);
  const torch::Tensor p = torch::view_as_real(dk).square().sum(-1).reshape({-1});
  // |k| in units of the fundamental for the rfft layout, rounded to the bin index.
  const auto opts = torch::TensorOptions().dtype(delta.scalar_type());
  const torch::Tensor f = torch::fft::fftfreq(m, 1.0 / static_cast<double>(m), opts);
  const torch::Tensor fz = torch::fft::rfftfreq(m, 1.0 / static_cast<double>(m), opts);
  const torch::Tensor k2 =
      f.view({-1, 1, 1}).square() + f.view({1, -1, 1}).square() + fz.view({1, 1, -1}).square();
  const torch::Tensor bin = torch::round(torch::sqrt(k2)).to(torch::kLong).reshape({-1});
  const int64_t bins = m / 2 + 1;
  const torch::Tensor keep = (bin >= 1) & (bin < bins);
  const torch::Tensor idx = bin.masked_select(keep);
  const torch::Tensor sum =
      torch::zeros({bins}, p.options()).index_add(0, idx, p.masked_select(keep));
  const torch::Tensor cnt =
      torch::zeros({bins}, p.options()).index_add(0, idx, torch::ones_like(idx, p.options()));
  return torch::log(sum.slice(0, 1) / cnt.slice(0, 1));
}

std::vector<double> train_superres(SuperRes& model, const std::string& data_path,
                                   const SuperResTrainOptions& o) {
  Hdf5FieldDatasetOptions dopt;
  dopt.batch_size = o.batch;
  dopt.seed = o.seed;
  const Hdf5FieldDataset data(data_path, dopt);
  check_pair_file(data, model, data_path);
  const double box = read_superres_data_info(data_path).options.box_size;
  model->train();
  Trainer trainer(model.ptr(), emulator_trainer_options(o.steps, o.lr, o.seed, o.log_every));
  std::vector<double> losses;
  const torch::Tensor inv_scale = 1.0 / model->named_buffers()["scale"];
  const int64_t n = data.mesh(), f = model->options.factor();
  const auto loss = [&](int64_t step) {
    const FieldBatch b = data.batch(step);
    const CubeSymmetry s = random_cube_symmetry(trainer.rng(), n);
    // The same symmetry on the fine lattice: fine point f i sits on coarse point i.
    CubeSymmetry fine = s;
    for (auto& sh : fine.shift) sh *= f;
    const torch::Tensor x = apply_cube_symmetry(b.fields.slice(1, 0, 6), s);
    const torch::Tensor t = apply_cube_symmetry(depth_to_space(b.fields.slice(1, 6), f), fine);
    const torch::Tensor noise =
        o.noise ? model->make_noise(x.size(0), n, o.seed * 1000003u + static_cast<uint64_t>(step))
                : torch::Tensor();
    const torch::Tensor y = model->forward(x, noise);
    const torch::Tensor e2 = ((y - t) * inv_scale).square();
    torch::Tensor l = e2.slice(1, 0, 3).mean() + o.momentum_weight * e2.slice(1, 3, 6).mean();
    if (o.density_weight > 0 || o.power_weight > 0) {
      const int mesh = static_cast<int>(f * n);
      for (int64_t i = 0; i < y.size(0); ++i) {
        torch::Tensor d_hr;
        {
          torch::NoGradGuard no_grad;
          d_hr = painted_density(t[i].slice(0, 0, 3), box, mesh);
        }
        const torch::Tensor d_sr = painted_density(y[i].slice(0, 0, 3), box, mesh);
        l = l + o.density_weight / static_cast<double>(y.size(0)) * (d_sr - d_hr).square().mean() /
                    d_hr.var();
        if (o.power_weight > 0) {
          l = l + o.power_weight / static_cast<double>(y.size(0)) *
                      (binned_log_power(d_sr) - binned_log_power(d_hr)).square().mean();
        }
      }
    }
    losses.push_back(l.item<double>());
    return l;
  };
  trainer.fit(loss);
  model->eval();
  return losses;
}

HaloStats halo_stats(const torch::Tensor& fields, double box, double omega_m,
                     const std::vector<int64_t>& edges, const std::vector<double>& shells,
                     int halos) {
  const int64_t n = fields.size(1);
  const std::size_t np = static_cast<std::size_t>(n * n * n);
  sim::Particles<float> p;
  p.n_side = static_cast<int>(n);
  p.box_size = box;
  p.id.resize(np);
  std::iota(p.id.begin(), p.id.end(), std::uint64_t{0});
  from_particle_rows(fields_to_particle_rows(fields.to(torch::kFloat32)).contiguous(), p.id, p.disp,
                     p.mom);
  sim::SnapshotHeader header;
  header.box_size = box;
  header.a = 1.0;
  header.Omega_m = omega_m;
  header.Omega_lambda = 1.0 - omega_m;
  header.h = sim::planck2015().h;
  header.particle_mass = sim::lattice_particle_mass(omega_m, box, np);
  header.num_part_total = np;
  sim::FofOptions fof;
  fof.min_members = static_cast<int>(edges.front());
  const sim::HaloCatalog cat = sim::find_halos(p, header, fof);

  HaloStats s;
  s.counts.assign(edges.size(), 0);
  for (const sim::Halo& h : cat.halos) {
    const auto m = static_cast<int64_t>(h.num_members);
    const auto bin = std::upper_bound(edges.begin(), edges.end(), m) - edges.begin() - 1;
    if (bin >= 0) ++s.counts[static_cast<size_t>(bin)];
  }
  // The most massive by m200m, then shells of r / r200m around so_pos.
  std::vector<const sim::Halo*> order;
  for (const sim::Halo& h : cat.halos) {
    if (h.r200m > 0) order.push_back(&h);
  }
  std::sort(order.begin(), order.end(),
            [](const sim::Halo* a, const sim::Halo* b) { return a->m200m > b->m200m; });
  order.resize(std::min<size_t>(order.size(), static_cast<size_t>(halos)));
  s.profile.assign(shells.size() - 1, 0.0);
  const double n_mean = static_cast<double>(np) / (box * box * box);
  std::vector<double> pos(3 * np);
  for (std::size_t j = 0; j < np; ++j) {
    for (int d = 0; d < 3; ++d) pos[3 * j + d] = p.position(j, d);
  }
  for (const sim::Halo* h : order) {
    std::vector<double> count(shells.size() - 1, 0.0);
    const double r_max = shells.back() * h->r200m;
    for (std::size_t j = 0; j < np; ++j) {
      double r2 = 0;
      for (int d = 0; d < 3; ++d) {
        double dx = pos[3 * j + d] - h->so_pos[static_cast<size_t>(d)];
        dx -= box * std::round(dx / box);
        r2 += dx * dx;
      }
      if (r2 >= r_max * r_max) continue;
      const double u = std::sqrt(r2) / h->r200m;
      const auto k = std::upper_bound(shells.begin(), shells.end(), u) - shells.begin() - 1;
      if (k >= 0 && k < static_cast<long>(count.size())) count[static_cast<size_t>(k)] += 1;
    }
    for (size_t k = 0; k < count.size(); ++k) {
      const double r0 = shells[k] * h->r200m, r1 = shells[k + 1] * h->r200m;
      const double volume = 4.0 / 3.0 * M_PI * (r1 * r1 * r1 - r0 * r0 * r0);
      s.profile[k] += count[k] / (volume * n_mean);
    }
  }
  s.profiled = static_cast<int64_t>(order.size());
  return s;
}

SuperResMetrics evaluate_superres(SuperRes& model, const std::string& data_path, int64_t noise_seed,
                                  int min_members, int profile_halos) {
  Hdf5FieldDatasetOptions dopt;
  dopt.batch_size = 1;
  dopt.shuffle = false;
  const Hdf5FieldDataset data(data_path, dopt);
  check_pair_file(data, model, data_path);
  const SuperResDataInfo info = read_superres_data_info(data_path);
  const double box = info.options.box_size;
  const int64_t n = data.mesh(), f = model->options.factor();
  const int n_mesh = static_cast<int>(2 * f * n);
  SuperResMetrics m;
  m.k_nyq = M_PI * static_cast<double>(f * n) / box;
  m.particle_mass =
      1e10 * sim::lattice_particle_mass(info.options.omega_m, box,
                                        static_cast<std::uint64_t>(f * n * f * n * f * n));
  for (int64_t e = min_members; e <= 32 * min_members; e *= 2) m.hmf_edges.push_back(e);
  m.profile_edges = {0.2, 0.3, 0.45, 0.65, 1.0};
  m.profile_halos = profile_halos;
  // Per run (HR, SR, interpolated, 2LPT): halo counts, summed profiles, halos profiled.
  std::vector<int64_t>* hmf[4] = {&m.hmf_hr, &m.hmf_sr, &m.hmf_interp, &m.hmf_lpt};
  std::vector<double>* prof[4] = {&m.prof_hr, &m.prof_sr, &m.prof_interp, &m.prof_lpt};
  int64_t profiled[4] = {0, 0, 0, 0};
  for (size_t r = 0; r < 4; ++r) {
    hmf[r]->assign(m.hmf_edges.size(), 0);
    prof[r]->assign(m.profile_edges.size() - 1, 0.0);
  }
  torch::NoGradGuard no_grad;
  model->eval();
  SpectrumSums sr, interp, lpt, mom_sr, mom_int;
  double ds = 0, di = 0, ms = 0, mi = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    const FieldBatch b = data.read({i});
    const torch::Tensor x = b.fields.slice(1, 0, 6);
    const torch::Tensor t = depth_to_space(b.fields.slice(1, 6), f)[0];
    const auto seed = static_cast<std::uint64_t>(std::llround(b.params[0][2].item<double>()));
    const torch::Tensor noise = noise_seed >= 0
                                    ? model->make_noise(1, n, static_cast<uint64_t>(noise_seed) + i)
                                    : torch::Tensor();
    const auto t0 = std::chrono::steady_clock::now();
    const torch::Tensor y = model->forward(x, noise)[0];
    m.sr_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const torch::Tensor xi = upsample_lattice(x, f)[0];
    const torch::Tensor xl = superres_lpt_target(info.options, seed);
    const torch::Tensor d_hr = lattice_density(t.slice(0, 0, 3), box, n_mesh);
    sr.add(cross_correlation(lattice_density(y.slice(0, 0, 3), box, n_mesh), d_hr, box));
    interp.add(cross_correlation(lattice_density(xi.slice(0, 0, 3), box, n_mesh), d_hr, box));
    lpt.add(cross_correlation(lattice_density(xl.slice(0, 0, 3), box, n_mesh), d_hr, box));
    mom_sr.add(vector_cross(y.slice(0, 3, 6), t.slice(0, 3, 6), box));
    mom_int.add(vector_cross(xi.slice(0, 3, 6), t.slice(0, 3, 6), box));
    ds += (y - t).slice(0, 0, 3).square().mean().item<double>();
    di += (xi - t).slice(0, 0, 3).square().mean().item<double>();
    ms += (y - t).slice(0, 3, 6).square().mean().item<double>();
    mi += (xi - t).slice(0, 3, 6).square().mean().item<double>();
    const torch::Tensor* runs[4] = {&t, &y, &xi, &xl};
    for (size_t r = 0; r < 4; ++r) {
      const HaloStats h = halo_stats(*runs[r], box, info.options.omega_m, m.hmf_edges,
                                     m.profile_edges, profile_halos);
      for (size_t k = 0; k < h.counts.size(); ++k) (*hmf[r])[k] += h.counts[k];
      for (size_t k = 0; k < h.profile.size(); ++k) (*prof[r])[k] += h.profile[k];
      profiled[r] += h.profiled;
    }
  }
  const double s = static_cast<double>(data.size());
  m.boxes = data.size();
  m.sr_seconds /= s;
  m.disp_rmse_sr = std::sqrt(ds / s);
  m.disp_rmse_interp = std::sqrt(di / s);
  m.mom_rmse_sr = std::sqrt(ms / s);
  m.mom_rmse_interp = std::sqrt(mi / s);
  for (size_t r = 0; r < 4; ++r) {
    for (double& v : *prof[r]) v /= static_cast<double>(std::max<int64_t>(1, profiled[r]));
  }
  for (size_t i = 0; i < sr.k.size(); ++i) {
    if (sr.k[i] > m.k_nyq) break;
    m.k.push_back(sr.k[i]);
    m.ratio_sr.push_back(sr.ratio(i));
    m.r_sr.push_back(sr.r(i));
    m.ratio_interp.push_back(interp.ratio(i));
    m.r_interp.push_back(interp.r(i));
    m.ratio_lpt.push_back(lpt.ratio(i));
    m.r_lpt.push_back(lpt.r(i));
    m.mom_ratio_sr.push_back(mom_sr.ratio(i));
    m.mom_ratio_int.push_back(mom_int.ratio(i));
  }
  return m;
}

}  // namespace cosmograd::nn
