// example_pgd_correction: the potential gradient descent (PGD) correction of Dai, Feng &
// Seljak 2018 (JCAP 11, 009) fitted with LibTorch autograd.
//
// A coarse PM run (10 steps) underestimates small-scale power compared with a finer run
// (40 steps) of the same initial conditions. PGD moves every particle of the coarse run by
//   Delta x = -alpha grad( O_l O_s phi ),  laplacian phi = delta,
//   O_l(k) = exp(-k_l^2 / k^2),  O_s(k) = exp(-(k / k_s)^4),
// i.e. in Fourier space Delta x_k = alpha i k O_l O_s delta_k / k^2, so alpha > 0 moves
// particles down the potential, towards overdensities (the paper's alpha grad O_l O_s
// laplacian^-1 delta with laplacian^-1 = -1/k^2 taken as the positive inverse). The three
// parameters (alpha, k_l, k_s) are fitted with Adam so that the binned log power spectrum of
// the corrected coarse run matches the fine run's for k < k_Nyq / 2. Everything after the two
// PM runs is differentiable torch ops: nn::paint (CIC), torch::fft::rfftn, the kernel, i k,
// irfftn, nn::readout at the particles, paint again, P(k) binned with a fixed mode -> bin map.
//
//   example_pgd_correction [--particles 64] [--mesh 128] [--box 128] [--coarse 10]
//                          [--fine 40] [--iters 100] [--lr 0.05]
//                          [--alpha0 0.002] [--seed 42] [--threads 2]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/bridge.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cg = cosmograd::sim;
namespace nn = cosmograd::nn;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Options {
  int particles = 64;     // particles per side
  int mesh = 128;         // force mesh = PGD and P(k) mesh
  double box = 128.0;     // [Mpc/h]
  int coarse = 10;        // steps of the run to correct
  int fine = 40;          // steps of the reference run
  int iters = 100;        // Adam iterations
  double lr = 0.05;       // Adam learning rate of log k_l, log k_s (alpha's: lr * alpha0)
  double alpha0 = 0.002;  // initial alpha
  std::uint64_t seed = 42;
  int threads = 2;
};

void usage() {
  std::printf(
      "usage: example_pgd_correction [--particles N] [--mesh M] [--box L] [--coarse S]\n"
      "                              [--fine S] [--iters I] [--lr R] [--alpha0 A] [--seed S]\n"
      "                              [--threads T]\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--particles")
      o.particles = std::stoi(v);
    else if (a == "--mesh")
      o.mesh = std::stoi(v);
    else if (a == "--box")
      o.box = std::stod(v);
    else if (a == "--coarse")
      o.coarse = std::stoi(v);
    else if (a == "--fine")
      o.fine = std::stoi(v);
    else if (a == "--iters")
      o.iters = std::stoi(v);
    else if (a == "--lr")
      o.lr = std::stod(v);
    else if (a == "--alpha0")
      o.alpha0 = std::stod(v);
    else if (a == "--seed")
      o.seed = std::stoull(v);
    else if (a == "--threads")
      o.threads = std::stoi(v);
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.particles < 2 || o.mesh < 4 || o.mesh % 2 != 0 || !(o.box > 0) || o.coarse < 1 ||
      o.fine < 1 || o.iters < 0 || o.threads < 1) {
    throw std::invalid_argument("invalid option values (mesh must be even)");
  }
  return o;
}

cg::SimSpec make_config(const Options& o, int steps) {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.transfer = {"eisenstein_hu", ""};
  c.particles = o.particles;
  c.mesh = o.mesh;
  c.box_size = o.box;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.seed = o.seed;
  c.threads = o.threads;
  c.fft_planning = cg::FftPlanning::estimate;
  return c;
}

torch::Tensor params_of(const cg::CosmologyParams& p) {
  torch::Tensor t = torch::empty({cg::kNumCosmoParams}, torch::kFloat64);
  for (int i = 0; i < cg::kNumCosmoParams; ++i) {
    t[i] = cg::param(p, static_cast<cg::CosmoParam>(i));
  }
  return t;
}

/// Final particle positions (M, 3) in [0, L) of a PM run from `noise`.
torch::Tensor run_pm(const cg::SimSpec& c, const torch::Tensor& noise) {
  torch::NoGradGuard no_grad;
  const torch::Tensor state = nn::simulate_particles(c, noise, params_of(c.cosmology));
  const torch::Tensor q = nn::lattice_positions(c.particles, c.box_size, noise.scalar_type());
  return torch::remainder(q + state.slice(1, 0, 3), c.box_size).contiguous();
}

/// Wavenumbers of the rfftn modes of an n^3 mesh of side L: kx, ky, kz broadcastable to
/// (n, n, n/2+1) [h/Mpc].
struct Wavenumbers {
  torch::Tensor kx, ky, kz, k2;
};

Wavenumbers wavenumbers(int n, double box, torch::ScalarType dtype) {
  const double kf = 2.0 * M_PI / box;
  const auto opt = torch::TensorOptions().dtype(dtype);
  const torch::Tensor f = torch::fft::fftfreq(n, 1.0 / n, opt) * kf;  // integers * kf
  const torch::Tensor fz = torch::fft::rfftfreq(n, 1.0 / n, opt) * kf;
  Wavenumbers w;
  w.kx = f.view({n, 1, 1});
  w.ky = f.view({1, n, 1});
  w.kz = fz.view({1, 1, n / 2 + 1});
  w.k2 = w.kx * w.kx + w.ky * w.ky + w.kz * w.kz;
  return w;
}

/// A fixed map from rfftn modes to linear k bins of width k_f centred on j k_f
/// (j = 1..nbins), k up to k_max; modes outside go to the spill bin nbins.
struct Binning {
  torch::Tensor index;   // (n^2 (n/2+1),) long
  torch::Tensor counts;  // (nbins,)
  torch::Tensor k_mean;  // (nbins,) mean |k| of the bin's modes
  int nbins = 0;
};

Binning make_binning(const Wavenumbers& w, double box, double k_max) {
  const double kf = 2.0 * M_PI / box;
  Binning b;
  b.nbins = static_cast<int>(std::floor(k_max / kf - 0.5));
  if (b.nbins < 1) throw std::invalid_argument("no k bins below k_Nyq/2");
  const torch::Tensor k = w.k2.sqrt().flatten().to(torch::kFloat64);
  torch::Tensor j = torch::floor(k / kf + 0.5).to(torch::kLong) - 1;  // bin of centre (j+1) kf
  j = torch::where((k > 0.5 * kf) & (j < b.nbins), j, torch::full_like(j, b.nbins));
  b.index = j;
  const torch::Tensor ones = torch::ones_like(k);
  b.counts =
      torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, j, ones).slice(0, 0, b.nbins);
  b.k_mean = torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, j, k).slice(0, 0, b.nbins) /
             b.counts;
  return b;
}

/// Density contrast of the particles on an n^3 CIC mesh (differentiable in positions).
torch::Tensor density(const torch::Tensor& pos, int n, double box) {
  const torch::Tensor mesh = nn::paint(pos, n, box, cg::PaintKernel::cic);
  const double mean = static_cast<double>(pos.size(0)) / (double(n) * n * n);
  return mesh / mean - 1.0;
}

/// Binned P(k) [(Mpc/h)^3] of a real n^3 field, float64 (differentiable).
torch::Tensor power(const torch::Tensor& delta, const Binning& b, double box) {
  const double n3 = static_cast<double>(delta.numel());
  const torch::Tensor dk = torch::fft::rfftn(delta);
  const torch::Tensor p = torch::view_as_real(dk).square().sum(-1).flatten().to(torch::kFloat64);
  const torch::Tensor sums = torch::zeros({b.nbins + 1}, torch::kFloat64).index_add(0, b.index, p);
  return sums.slice(0, 0, b.nbins) / b.counts * (box * box * box / (n3 * n3));
}

/// The PGD operator on the coarse particles, precomputed where it does not depend on the
/// parameters: base_d = i k_d delta_k / k^2 (d = 0, 1, 2).
struct Pgd {
  Wavenumbers w;
  torch::Tensor k2_safe;            // k^2 with the k = 0 mode set to 1
  std::vector<torch::Tensor> base;  // 3 complex (n, n, n/2+1)
  int n = 0;
  double box = 0;
};

Pgd make_pgd(const torch::Tensor& pos, int n, double box) {
  torch::NoGradGuard no_grad;
  Pgd g;
  g.n = n;
  g.box = box;
  g.w = wavenumbers(n, box, pos.scalar_type());
  g.k2_safe = torch::where(g.w.k2 > 0, g.w.k2, torch::ones_like(g.w.k2));
  const torch::Tensor dk = torch::fft::rfftn(density(pos, n, box));
  const torch::Tensor inv_k2 =
      torch::where(g.w.k2 > 0, 1.0 / g.k2_safe, torch::zeros_like(g.k2_safe));
  const torch::Tensor s = dk * inv_k2;  // delta_k / k^2
  const c10::complex<double> i_unit(0.0, 1.0);
  for (const torch::Tensor& kd : {g.w.kx, g.w.ky, g.w.kz}) {
    torch::Tensor b = s * kd * i_unit;
    // Zero the Nyquist planes of the odd gradient (their i k has no real counterpart).
    b = b * (kd.abs() < (M_PI * n / box) * (1.0 - 1e-6)).to(kd.scalar_type());
    g.base.push_back(b);
  }
  return g;
}

/// Corrected positions pos + Delta x (differentiable in alpha, k_l, k_s).
torch::Tensor apply_pgd(const Pgd& g, const torch::Tensor& pos, const torch::Tensor& alpha,
                        const torch::Tensor& k_l, const torch::Tensor& k_s) {
  const torch::Tensor kernel =
      alpha * torch::exp(-k_l.square() / g.k2_safe - (g.k2_safe.sqrt() / k_s).pow(4));
  std::vector<torch::Tensor> dx;
  for (const torch::Tensor& b : g.base) {
    const torch::Tensor field = torch::fft::irfftn(b * kernel, {g.n, g.n, g.n});
    dx.push_back(nn::readout(field, pos, g.box, cg::PaintKernel::cic));
  }
  return pos + torch::stack(dx, 1);
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  const auto t_start = Clock::now();
  torch::set_num_threads(o.threads);
  const auto dtype = torch::kFloat32;
  std::printf(
      "PGD correction (Dai, Feng & Seljak 2018): %d^3 particles, %d^3 mesh, L = %g Mpc/h,"
      " a = 0.1 -> 1, %d vs %d PM steps, %d threads\n",
      o.particles, o.mesh, o.box, o.coarse, o.fine, o.threads);

  // The same initial conditions for both runs.
  torch::manual_seed(o.seed);
  const torch::Tensor noise =
      torch::randn({o.particles, o.particles, o.particles}, torch::TensorOptions().dtype(dtype));
  auto t0 = Clock::now();
  const torch::Tensor pos_fine = run_pm(make_config(o, o.fine), noise);
  const double t_fine = seconds_since(t0);
  t0 = Clock::now();
  const torch::Tensor pos_coarse = run_pm(make_config(o, o.coarse), noise);
  const double t_coarse = seconds_since(t0);
  std::printf("PM runs: %d steps %.1f s, %d steps %.1f s\n", o.fine, t_fine, o.coarse, t_coarse);

  const int n = o.mesh;
  const double k_nyq = M_PI * n / o.box;
  const Pgd pgd = make_pgd(pos_coarse, n, o.box);
  const Binning bins = make_binning(pgd.w, o.box, 0.5 * k_nyq);
  torch::Tensor p_fine, p_coarse;
  {
    torch::NoGradGuard no_grad;
    p_fine = power(density(pos_fine, n, o.box), bins, o.box);
    p_coarse = power(density(pos_coarse, n, o.box), bins, o.box);
  }
  const torch::Tensor log_p_fine = p_fine.log();
  auto loss_of = [&](const torch::Tensor& p) { return (p.log() - log_p_fine).square().mean(); };

  // Parameters: alpha directly, k_l and k_s through their logs (positive, scale-free steps).
  const auto popt = torch::TensorOptions().dtype(dtype);
  torch::Tensor alpha = torch::full({}, o.alpha0, popt).requires_grad_(true);
  torch::Tensor log_kl = torch::full({}, std::log(0.3), popt).requires_grad_(true);
  torch::Tensor log_ks = torch::full({}, std::log(3.0), popt).requires_grad_(true);
  // alpha is small (the coarse run is already close): its own, smaller step size.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{alpha},
                      std::make_unique<torch::optim::AdamOptions>(o.lr * o.alpha0));
  groups.emplace_back(std::vector<torch::Tensor>{log_kl, log_ks},
                      std::make_unique<torch::optim::AdamOptions>(o.lr));
  torch::optim::Adam adam(std::move(groups), torch::optim::AdamOptions(o.lr));

  const double loss_before = loss_of(p_coarse).item<double>();
  double best_loss = loss_before;
  double best[3] = {0.0, std::exp(log_kl.item<double>()), std::exp(log_ks.item<double>())};
  t0 = Clock::now();
  std::printf("\n iter      loss     alpha   k_l [h/Mpc]   k_s [h/Mpc]\n");
  std::printf("%5s %9.3e %9s %13s %13s   (no correction)\n", "-", loss_before, "0", "-", "-");
  for (int it = 0; it < o.iters; ++it) {
    adam.zero_grad();
    const torch::Tensor k_l = log_kl.exp();
    const torch::Tensor k_s = log_ks.exp();
    const torch::Tensor pos = apply_pgd(pgd, pos_coarse, alpha, k_l, k_s);
    const torch::Tensor loss = loss_of(power(density(pos, n, o.box), bins, o.box));
    loss.backward();
    const double l = loss.item<double>();
    if (l < best_loss) {
      best_loss = l;
      best[0] = alpha.item<double>();
      best[1] = k_l.item<double>();
      best[2] = k_s.item<double>();
    }
    if (it % 10 == 0 || it == o.iters - 1) {
      std::printf("%5d %9.3e %9.5f %13.4f %13.4f\n", it, l, alpha.item<double>(),
                  k_l.item<double>(), k_s.item<double>());
    }
    adam.step();
    // Exponential decay of every step size to a tenth over the run.
    const double decay = std::pow(0.1, 1.0 / std::max(1, o.iters - 1));
    for (auto& group : adam.param_groups()) {
      auto& ao = static_cast<torch::optim::AdamOptions&>(group.options());
      ao.lr(ao.lr() * decay);
    }
  }
  const double t_fit = seconds_since(t0);

  // The corrected spectrum at the best parameters seen.
  torch::Tensor p_pgd;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor pos =
        apply_pgd(pgd, pos_coarse, torch::full({}, best[0], popt), torch::full({}, best[1], popt),
                  torch::full({}, best[2], popt));
    p_pgd = power(density(pos, n, o.box), bins, o.box);
  }

  std::printf(
      "\nfitted: alpha = %.5f, k_l = %.4f h/Mpc, k_s = %.4f h/Mpc"
      " (Delta x = -alpha grad O_l O_s phi, laplacian phi = delta)\n",
      best[0], best[1], best[2]);
  std::printf(
      "loss mean (log P - log P_%d)^2 over %d bins, k < k_Nyq/2 = %.3f h/Mpc:"
      " %.3e before, %.3e after\n\n",
      o.fine, bins.nbins, 0.5 * k_nyq, loss_before, best_loss);

  std::printf("| k [h/Mpc] | P_%d [(Mpc/h)^3] | P_%d / P_%d - 1 | PGD / P_%d - 1 |\n", o.fine,
              o.coarse, o.fine, o.fine);
  std::printf("|---:|---:|---:|---:|\n");
  const double targets[] = {0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.2, 1.5};
  std::vector<int> shown;
  for (double kt : targets) {
    const torch::Tensor d = (bins.k_mean - kt).abs();
    const int j = static_cast<int>(d.argmin().item<int64_t>());
    if (kt > 0.5 * k_nyq * 1.02 || std::find(shown.begin(), shown.end(), j) != shown.end())
      continue;
    shown.push_back(j);
    const double pf = p_fine[j].item<double>();
    std::printf("| %.3f | %.4g | %+.2f%% | %+.2f%% |\n", bins.k_mean[j].item<double>(), pf,
                100.0 * (p_coarse[j].item<double>() / pf - 1.0),
                100.0 * (p_pgd[j].item<double>() / pf - 1.0));
  }
  std::printf("\nwall time: %.1f s (PM runs %.1f s, %d Adam iterations %.1f s)\n",
              seconds_since(t_start), t_fine + t_coarse, o.iters, t_fit);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_pgd_correction: %s\n", e.what());
  return 1;
}
