#include "nn/halo_model.hpp"

#include <torch/fft.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numeric>
#include <random>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/train/model_types.hpp"
#include "nn/train/trainer.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/fof.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/pm/adjoint.hpp"

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

HaloModel build_halo_model(const ModelHeader& h) {
  return HaloModel(HaloModelOptions()
                       .box_size(h.get_double("box_size"))
                       .grid(h.get_int("grid"))
                       .r1(h.get_double("r1"))
                       .r2(h.get_double("r2"))
                       .m0(h.get_double("m0"))
                       .depth(h.get_int("depth"))
                       .base_channels(h.get_int("base_channels")));
}

HaloModel load_halo_model(const std::string& path, ModelHeader* header) {
  LoadedModel m = load_model(path);
  if (m.header.get("model") != "halo_model") {
    throw std::runtime_error(path + ": model = " + m.header.get("model") + ", not halo_model");
  }
  if (header != nullptr) *header = m.header;
  return HaloModel(std::dynamic_pointer_cast<HaloModelImpl>(m.module));
}

sim::SimSpec halo_sim_config(int particles, int mesh, double box_size, int steps,
                             std::uint64_t seed) {
  sim::SimSpec c;
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
  return c;
}

HaloSample make_halo_sample(const sim::SimSpec& config, int64_t n, int min_members) {
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
  s.mass = paint_weighted(hpos, hmass, static_cast<int>(n), config.box_size).to(torch::kFloat32);
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
  // The engine's estimator (sim/measure/power_spectrum.hpp): modes delta_k = FFT / N^3, bins of
  // width 2 pi / L; no window compensation (it would cancel in r anyway).
  torch::NoGradGuard no_grad;
  const int n = static_cast<int>(a.size(0));
  const sim::Decomposition d(n);
  const sim::Fft<double> fft(d, torch::get_num_threads(), sim::FftPlanning::estimate);
  auto modes = [&](const torch::Tensor& t) {
    sim::Field<double> f(d);
    tensor_to_field<double>(t.to(torch::kFloat64).contiguous(), f);
    fft.forward(f);
    const double norm = 1.0 / (static_cast<double>(n) * n * n);
    std::complex<double>* c = f.complex();
    for (std::size_t i = 0; i < d.local_complex_size(); ++i) c[i] *= norm;
    return f;
  };
  const sim::Field<double> ak = modes(a), bk = modes(b);
  sim::PowerOptions o;
  o.mesh = n;
  const sim::PowerSpectrum pab = sim::cross_power(ak, bk, box_size, o);
  const sim::PowerSpectrum paa = sim::power_spectrum(ak, box_size, o);
  const sim::PowerSpectrum pbb = sim::power_spectrum(bk, box_size, o);
  const std::vector<double> r = sim::correlation_coefficient(pab, paa, pbb);
  CrossSpectrum out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (pab.modes[i] == 0) continue;
    out.k.push_back(pab.k[i]);
    out.r.push_back(r[i]);
    out.p_a.push_back(paa.power[i]);
    out.p_b.push_back(pbb.power[i]);
    out.modes.push_back(static_cast<int64_t>(pab.modes[i]));
  }
  return out;
}

}  // namespace cosmograd::nn
