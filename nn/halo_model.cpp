#include "nn/halo_model.hpp"

#include <torch/fft.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/train/trainer.hpp"
#include "sim/adjoint.hpp"
#include "sim/fof.hpp"
#include "sim/snapshot.hpp"

namespace cosmograd::nn {

namespace {

constexpr double kTwoPi = 6.283185307179586;

// |k|^2 [(h/Mpc)^2] of the rfftn half space of a (d, h, w) mesh in a cube of side box_size.
torch::Tensor k_squared(int64_t d, int64_t h, int64_t w, double box_size,
                        const torch::TensorOptions& opts) {
  const double cell = box_size / static_cast<double>(d);
  const torch::Tensor kx = torch::fft::fftfreq(d, cell, opts) * kTwoPi;
  const torch::Tensor ky = torch::fft::fftfreq(h, box_size / static_cast<double>(h), opts) * kTwoPi;
  const torch::Tensor kz =
      torch::fft::rfftfreq(w, box_size / static_cast<double>(w), opts) * kTwoPi;
  return kx.square().view({d, 1, 1}) + ky.square().view({1, h, 1}) +
         kz.square().view({1, 1, w / 2 + 1});
}

// x [N, D, H, W] or [D, H, W] -> [N, D, H, W].
torch::Tensor as_batch(const torch::Tensor& x, const char* what) {
  if (x.dim() == 3) return x.unsqueeze(0);
  if (x.dim() == 4) return x;
  throw std::invalid_argument(std::string("HaloModel: ") + what +
                              " must be [D, H, W] or [N, D, H, W]");
}

// The 48 symmetries of the cube: a random axis permutation and random flips, same for both.
void random_cube_symmetry(std::mt19937_64& rng, torch::Tensor& a, torch::Tensor& b) {
  std::vector<int64_t> perm = {1, 2, 3};
  std::shuffle(perm.begin(), perm.end(), rng);
  a = a.permute({0, perm[0], perm[1], perm[2]});
  b = b.permute({0, perm[0], perm[1], perm[2]});
  std::vector<int64_t> flips;
  for (int64_t d = 1; d <= 3; ++d) {
    if (rng() & 1u) flips.push_back(d);
  }
  if (!flips.empty()) {
    a = a.flip(flips);
    b = b.flip(flips);
  }
  a = a.contiguous();
  b = b.contiguous();
}

}  // namespace

torch::Tensor halo_model_features(const torch::Tensor& delta, double box_size, double r1,
                                  double r2) {
  const torch::Tensor x = as_batch(delta, "delta");
  const int64_t d = x.size(1), h = x.size(2), w = x.size(3);
  const torch::Tensor xk = torch::fft::rfftn(x, c10::nullopt, std::vector<int64_t>{1, 2, 3});
  const torch::Tensor k2 = k_squared(d, h, w, box_size, x.options());
  std::vector<torch::Tensor> channels = {x};
  for (const double r : {r1, r2}) {
    const torch::Tensor filter = torch::exp(-0.5 * r * r * k2);
    channels.push_back(torch::fft::irfftn(xk * filter, std::vector<int64_t>{d, h, w},
                                          std::vector<int64_t>{1, 2, 3}));
  }
  return torch::log1p(0.5 * torch::stack(channels, 1));
}

HaloModelImpl::HaloModelImpl(const HaloModelOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.box_size() <= 0 || o.grid() < 1 || o.r1() <= 0 || o.r2() <= 0 || o.m0() <= 0 ||
      o.depth() < 0 || o.base_channels() < 1) {
    throw std::invalid_argument(
        "HaloModel: box_size, grid, r1, r2, m0 and base_channels must be positive, depth >= 0");
  }
  unet_ = register_module("unet", UNet3d(UNet3dOptions()
                                             .in_channels(3)
                                             .out_channels(1)
                                             .depth(o.depth())
                                             .base_channels(o.base_channels())
                                             .downsample(UNetDownsample::avg_pool)));
}

torch::Tensor HaloModelImpl::forward(const torch::Tensor& delta) {
  const torch::Tensor feats =
      halo_model_features(delta, options.box_size(), options.r1(), options.r2());
  torch::Tensor y = unet_->forward(feats).squeeze(1);
  return delta.dim() == 3 ? y.squeeze(0) : y;
}

torch::Tensor HaloModelImpl::predict_mass_field(const torch::Tensor& delta) {
  return options.m0() * torch::expm1(forward(delta).clamp_min(0.0));
}

ModelHeader HaloModelImpl::header() const {
  ModelHeader h;
  h.set("model", "halo_model");
  h.set("box_size", options.box_size());
  h.set("grid", options.grid());
  h.set("r1", options.r1());
  h.set("r2", options.r2());
  h.set("m0", options.m0());
  h.set("depth", options.depth());
  h.set("base_channels", options.base_channels());
  return h;
}

void save_halo_model(const std::string& path, HaloModel& model, ModelHeader extra) {
  const ModelHeader arch = model->header();
  for (const auto& [key, value] : arch.values()) extra.set(key, value);
  save_model(path, *model, std::move(extra));
}

HaloModel load_halo_model(const std::string& path) {
  const ModelHeader h = read_model_header(path);
  if (h.get("model") != "halo_model") {
    throw std::runtime_error(path + ": model = " + h.get("model") + ", not halo_model");
  }
  HaloModel model(HaloModelOptions()
                      .box_size(h.get_double("box_size"))
                      .grid(h.get_int("grid"))
                      .r1(h.get_double("r1"))
                      .r2(h.get_double("r2"))
                      .m0(h.get_double("m0"))
                      .depth(h.get_int("depth"))
                      .base_channels(h.get_int("base_channels")));
  load_model_weights(path, *model);
  model->eval();
  return model;
}

torch::Tensor paint_cic_weighted(const torch::Tensor& positions, const torch::Tensor& weights,
                                 int64_t n, double box_size) {
  if (positions.dim() != 2 || positions.size(1) != 3 || weights.dim() != 1 ||
      weights.size(0) != positions.size(0)) {
    throw std::invalid_argument("paint_cic_weighted: positions (M, 3) and weights (M,)");
  }
  const torch::Tensor u =
      torch::remainder(positions * (static_cast<double>(n) / box_size), static_cast<double>(n));
  const torch::Tensor i0 = torch::floor(u);
  const torch::Tensor f = u - i0;
  const torch::Tensor i = i0.to(torch::kLong);
  torch::Tensor mesh = torch::zeros({n * n * n}, positions.options());
  const torch::Tensor w = weights.to(positions.scalar_type());
  for (int corner = 0; corner < 8; ++corner) {
    torch::Tensor idx = torch::zeros({positions.size(0)}, i.options());
    torch::Tensor wt = w;
    for (int dim = 0; dim < 3; ++dim) {
      const bool up = (corner >> dim) & 1;
      const torch::Tensor id = torch::remainder(i.select(1, dim) + (up ? 1 : 0), n);
      const torch::Tensor fd = f.select(1, dim);
      idx = idx * n + id;
      wt = wt * (up ? fd : 1.0 - fd);
    }
    mesh = mesh.index_add(0, idx, wt);
  }
  return mesh.view({n, n, n});
}

sim::SimConfig halo_sim_config(int particles, int mesh, double box_size, int steps,
                               std::uint64_t seed) {
  sim::SimConfig c;
  c.cosmology = sim::planck2015();
  c.transfer = {"eisenstein_hu", ""};
  c.particles = particles;
  c.mesh = mesh;
  c.box_size = box_size;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.seed = seed;
  c.fft_planning = sim::FftPlanning::estimate;
  c.write_snapshot = false;
  c.write_density = false;
  c.progress = false;
  return c;
}

HaloSample make_halo_sample(const sim::SimConfig& config, int64_t n, int min_members) {
  sim::DifferentiableSim<float> engine(config);
  const sim::Field<float> noise = engine.white_noise();
  const sim::Particles<float>& p = engine.forward(noise);
  const std::size_t np = p.size();

  sim::SnapshotHeader header;
  header.box_size = config.box_size;
  header.a = engine.time_grid().back();
  header.Omega_m = config.cosmology.Omega_m;
  header.Omega_lambda = 1.0 - config.cosmology.Omega_m - config.cosmology.Omega_k;
  header.h = config.cosmology.h;
  header.particle_mass = sim::lattice_particle_mass(config.cosmology.Omega_m, config.box_size, np);
  header.num_part_total = np;
  sim::FofOptions fof;
  fof.min_members = min_members;
  const sim::HaloCatalog cat = sim::find_halos(p, header, fof);

  torch::Tensor pos = torch::empty({static_cast<int64_t>(np), 3}, torch::kFloat32);
  float* pp = pos.data_ptr<float>();
  for (std::size_t j = 0; j < np; ++j) {
    for (int d = 0; d < 3; ++d) pp[3 * j + d] = static_cast<float>(p.position(j, d));
  }
  HaloSample s;
  const double mean = static_cast<double>(np) / static_cast<double>(n * n * n);
  s.delta = paint(pos, static_cast<int>(n), config.box_size) / mean - 1.0;
  const int64_t nh = static_cast<int64_t>(cat.size());
  torch::Tensor hpos = torch::empty({nh, 3}, torch::kFloat64);
  torch::Tensor hmass = torch::empty({nh}, torch::kFloat64);
  for (int64_t g = 0; g < nh; ++g) {
    const sim::Halo& halo = cat.halos[static_cast<std::size_t>(g)];
    for (int d = 0; d < 3; ++d) hpos[g][d] = halo.pos[static_cast<std::size_t>(d)];
    hmass[g] = halo.mass;
    s.total_mass += halo.mass;
  }
  s.mass = paint_cic_weighted(hpos, hmass, n, config.box_size).to(torch::kFloat32);
  s.num_halos = nh;
  s.particle_mass = header.particle_mass * 1e10;
  return s;
}

std::vector<double> train_halo_model(HaloModel& model, const std::vector<HaloSample>& samples,
                                     const HaloTrainOptions& options) {
  if (samples.empty()) throw std::invalid_argument("train_halo_model: no samples");
  std::vector<torch::Tensor> xs, ys;
  for (const HaloSample& s : samples) {
    xs.push_back(s.delta);
    ys.push_back(torch::log1p(s.mass / model->options.m0()));
  }
  const torch::Tensor x_all = torch::stack(xs);
  const torch::Tensor y_all = torch::stack(ys);
  const int64_t k = x_all.size(0);
  const int64_t batch = options.batch <= 0 ? k : std::min(options.batch, k);

  TrainerOptions t;
  t.optimizer = OptimizerKind::adam;
  t.schedule.kind = ScheduleKind::cosine;
  t.schedule.base_lr = options.lr;
  t.schedule.min_lr = options.lr / 20.0;
  t.schedule.warmup_steps = std::min<int64_t>(20, options.steps / 10);
  t.max_steps = options.steps;
  t.clip_norm = 10.0;
  t.log_every = options.log_every;
  t.seed = options.seed;
  model->train();
  Trainer trainer(model.ptr(), t);
  std::vector<double> losses;
  const auto loss_fn = [&](int64_t) {
    std::vector<int64_t> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), trainer.rng());
    order.resize(static_cast<std::size_t>(batch));
    const torch::Tensor idx = torch::tensor(order, torch::kLong);
    torch::Tensor x = x_all.index_select(0, idx);
    torch::Tensor y = y_all.index_select(0, idx);
    random_cube_symmetry(trainer.rng(), x, y);
    torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    losses.push_back(loss.item<double>());
    return loss;
  };
  trainer.fit(loss_fn);
  model->eval();
  return losses;
}

double halo_model_loss(HaloModel& model, const std::vector<HaloSample>& samples) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  for (const HaloSample& s : samples) {
    sum += torch::mse_loss(model->forward(s.delta), torch::log1p(s.mass / model->options.m0()))
               .item<double>();
  }
  return sum / static_cast<double>(samples.size());
}

CrossSpectrum cross_correlation(const torch::Tensor& a, const torch::Tensor& b, double box_size) {
  if (a.dim() != 3 || !a.sizes().equals(b.sizes()) || a.size(0) != a.size(1) ||
      a.size(0) != a.size(2)) {
    throw std::invalid_argument("cross_correlation: a and b must be equal (n, n, n) meshes");
  }
  torch::NoGradGuard no_grad;
  const int64_t n = a.size(0);
  const torch::Tensor ad = a.to(torch::kFloat64), bd = b.to(torch::kFloat64);
  const torch::Tensor ak = torch::fft::rfftn(ad - ad.mean());
  const torch::Tensor bk = torch::fft::rfftn(bd - bd.mean());
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor kmag = k_squared(n, n, n, box_size, opts).sqrt().flatten();
  const double kf = kTwoPi / box_size;
  const int64_t nbins = n / 2 + 1;
  const torch::Tensor bin = torch::round(kmag / kf).to(torch::kLong).clamp_max(nbins);
  const auto sum = [&](const torch::Tensor& v) {
    return torch::zeros({nbins + 1}, opts).index_add(0, bin, v.flatten());
  };
  const torch::Tensor pab = sum(torch::real(ak * torch::conj(bk)));
  const torch::Tensor paa = sum(ak.abs().square());
  const torch::Tensor pbb = sum(bk.abs().square());
  const torch::Tensor ks = sum(kmag);
  const torch::Tensor cnt = sum(torch::ones_like(kmag));
  CrossSpectrum out;
  for (int64_t i = 1; i < nbins; ++i) {
    const double c = cnt[i].item<double>();
    if (c == 0) continue;
    out.k.push_back(ks[i].item<double>() / c);
    out.r.push_back(pab[i].item<double>() /
                    std::sqrt(paa[i].item<double>() * pbb[i].item<double>()));
    out.modes.push_back(static_cast<int64_t>(c));
  }
  return out;
}

}  // namespace cosmograd::nn
