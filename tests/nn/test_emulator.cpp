// The emulator (nn/emulator.hpp): identity at initialisation, receptive field, seamless patches,
// cube symmetries against LPT's own equivariance, the gradient from white noise and cosmology
// through the LPT op and the network against finite differences, the pair data.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "nn/bridge.hpp"
#include "nn/bridge_lpt.hpp"
#include "nn/emulator.hpp"
#include "nn/emulator_data.hpp"
#include "nn/emulator_train.hpp"
#include "nn/halo_model.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "sim/core/build_config.hpp"
#include "sim/cosmo/cosmology.hpp"

namespace cnn = cosmograd::nn;
namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

namespace {

cnn::EmulatorOptions tiny_options(int64_t depth = 1, int64_t channels = 4) {
  return cnn::EmulatorOptions()
      .box_size(64.0)
      .particles(16)
      .disp_scale(3.0)
      .mom_scale(4.0)
      .depth(depth)
      .base_channels(channels);
}

/// Gives the zero-initialised output head random weights, so the residual is not zero.
void randomise_head(cnn::Emulator& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m->named_parameters()) {
    if (p.key().find("head.") != std::string::npos) p.value().normal_(0.0, 0.3);
  }
}

torch::Tensor theta_of(int64_t b, double om = 0.3, double s8 = 0.8) {
  return torch::tensor({om, s8}, torch::kFloat64).view({1, 2}).expand({b, 2}).contiguous();
}

cg::SimSpec tiny_spec(int n, double box) {
  cnn::EmulatorDataOptions o;
  o.box_size = box;
  o.particles = n;
  o.mesh = 2 * n;
  o.steps = 4;
  o.threads = 1;
  return cnn::emulator_sim_spec(o, 0.3, 0.8, 5);
}

TEST(Emulator, StartsAsTwoLptAndKeepsShapes) {
  torch::manual_seed(0);
  cnn::Emulator m(tiny_options());
  const torch::Tensor x = torch::randn({2, 6, 8, 8, 8});
  const torch::Tensor y = m->forward(x, theta_of(2).to(torch::kFloat32));
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(y, x)) << "the zero head must make an untrained emulator the identity";
  EXPECT_THROW(m->forward(x.slice(1, 0, 3), theta_of(2).to(torch::kFloat32)),
               std::invalid_argument);
  EXPECT_THROW(cnn::Emulator(tiny_options().disp_scale(0.0)), std::invalid_argument);
}

TEST(Emulator, ReceptiveRadiusBoundsTheDependence) {
  // d y(centre) / d x: nonzero only within receptive_radius() cells of the centre, and the
  // bound is tight to within the alignment (an over-generous radius wastes patch padding).
  for (int64_t depth : {1, 2}) {
    torch::manual_seed(3);
    cnn::Emulator m(tiny_options(depth, 1));
    randomise_head(m);
    const int64_t n = depth == 1 ? 32 : 64, c = n / 2;  // n > 2 radius: no wrap-around
    const torch::Tensor x = torch::randn({1, 6, n, n, n}).requires_grad_(true);
    const torch::Tensor y = m->forward(x, theta_of(1).to(torch::kFloat32));
    y.index({0, 0, c, c, c}).backward();
    const torch::Tensor g = x.grad().abs().sum({0, 1, 3, 4});  // along x
    const torch::Tensor nz = torch::nonzero(g > 0).flatten();
    const int64_t lo = nz.min().item<int64_t>(), hi = nz.max().item<int64_t>();
    const int64_t reach = std::max(c - lo, hi - c);
    EXPECT_LE(reach, m->receptive_radius()) << "depth " << depth;
    EXPECT_GT(reach, m->receptive_radius() - m->alignment()) << "depth " << depth;
  }
}

TEST(Emulator, PatchesJoinWithoutSeamsAndShiftsCommute) {
  torch::manual_seed(4);
  cnn::Emulator m(tiny_options(1, 1));  // float32, one channel: 27 blocks of 40^3 stay cheap
  randomise_head(m);
  torch::NoGradGuard no_grad;
  const int64_t n = 48;  // > patch + 2 pad = 16 + 2 * 12, so patches are used
  const torch::Tensor x = torch::randn({6, n, n, n});
  const torch::Tensor theta = torch::tensor({0.31f, 0.82f});
  const torch::Tensor whole = m->forward(x.unsqueeze(0), theta.view({1, 2})).squeeze(0);
  int64_t calls = 0, total = 0;
  const torch::Tensor patched =
      cnn::emulate_patched(m, x, theta, 16, -1, [&](int64_t d, int64_t t) {
        ++calls;
        total = t;
        EXPECT_LE(d, t);
      });
  EXPECT_EQ(calls, 27);  // origins 0, 16, 32 per axis
  EXPECT_EQ(total, 27);
  EXPECT_LT((patched - whole).abs().max().item<double>(), 1e-4);  // float rounding
  // Shifting the box by a patch origin shifts the emulated box.
  const std::vector<int64_t> shift = {16, 0, 32};
  const torch::Tensor shifted =
      cnn::emulate_patched(m, torch::roll(x, shift, {1, 2, 3}), theta, 16);
  EXPECT_LT((shifted - torch::roll(patched, shift, {1, 2, 3})).abs().max().item<double>(), 1e-4);
  // Too little padding shows seams: the test can fail.
  const torch::Tensor thin = cnn::emulate_patched(m, x, theta, 16, 2);
  EXPECT_GT((thin - whole).abs().max().item<double>(), 1e-2);
  EXPECT_THROW(cnn::emulate_patched(m, x, theta, 15), std::invalid_argument);
}

/// The lattice transform of a scalar field [N, N, N] that apply_cube_symmetry applies to grids.
torch::Tensor transform_scalar(const torch::Tensor& w, const cnn::CubeSymmetry& s) {
  torch::Tensor t = w.permute({s.perm[0], s.perm[1], s.perm[2]});
  for (int64_t d = 0; d < 3; ++d) {
    if (s.flip[static_cast<size_t>(d)]) t = torch::roll(torch::flip(t, {d}), {1}, {d});
  }
  return torch::roll(t, {s.shift[0], s.shift[1], s.shift[2]}, {0, 1, 2}).contiguous();
}

TEST(Emulator, CubeSymmetriesCommuteWithLpt) {
  // LPT is equivariant under the lattice symmetries: transforming the white noise transforms
  // the particle field (grid moved, vector components permuted and reflected). This checks
  // the augmentation, the LPT op's geometry and 2LPT's Nyquist handling (before the source's
  // Nyquist planes were zeroed, a reflection was off by 4% of the largest displacement).
  const cg::SimSpec spec = tiny_spec(16, 64.0);  // 2LPT
  const torch::Tensor theta = cnn::cosmo_params_tensor(spec.cosmology);
  torch::manual_seed(5);
  const torch::Tensor w = torch::randn({16, 16, 16}, torch::kFloat64);
  const torch::Tensor f = cnn::particle_rows_to_fields(cnn::lpt_particles(spec, w, theta, 1.0));
  const double scale = f.abs().max().item<double>();
  std::vector<cnn::CubeSymmetry> cases(4);
  cases[0].perm = {1, 2, 0};
  cases[1].flip = {true, false, true};
  cases[1].shift = {3, 0, 5};
  cases[2].perm = {2, 0, 1};
  cases[2].flip = {false, true, false};
  cases[2].shift = {1, 7, 2};
  cases[3].flip = {false, false, true};  // the half-complex axis
  for (const cnn::CubeSymmetry& s : cases) {
    const torch::Tensor a = cnn::apply_cube_symmetry(f.unsqueeze(0), s).squeeze(0);
    const torch::Tensor b =
        cnn::particle_rows_to_fields(cnn::lpt_particles(spec, transform_scalar(w, s), theta, 1.0));
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-10 * scale);
  }
  // A wrong component convention is caught: flip the grid without negating.
  cnn::CubeSymmetry s;
  s.flip = {true, false, false};
  const torch::Tensor grid_only = torch::roll(torch::flip(f, {1}), {1}, {1});
  const torch::Tensor b =
      cnn::particle_rows_to_fields(cnn::lpt_particles(spec, transform_scalar(w, s), theta, 1.0));
  EXPECT_GT((grid_only - b).abs().max().item<double>(), 0.1 * scale);
}

TEST(Emulator, GradientThroughLptAndNetworkMatchesFiniteDifferences) {
  // J = sum(c * emulator(lpt(w, theta), Omega_m, sigma8)) in float64 with a tiny random model;
  // the style takes Omega_m and sigma8 from theta too. Directional derivatives along a random
  // noise direction and along Omega_m and sigma8 against central differences.
  const cg::SimSpec spec = tiny_spec(8, 32.0);
  torch::manual_seed(6);
  cnn::Emulator m(cnn::EmulatorOptions()
                      .box_size(32.0)
                      .particles(8)
                      .disp_scale(1.0)
                      .mom_scale(1.5)
                      .depth(1)
                      .base_channels(2));
  m->to(torch::kFloat64);
  randomise_head(m);
  const torch::Tensor c = torch::randn({6, 8, 8, 8}, torch::kFloat64);
  auto objective = [&](const torch::Tensor& w, const torch::Tensor& theta) {
    const torch::Tensor x = cnn::particle_rows_to_fields(cnn::lpt_particles(spec, w, theta, 1.0));
    const torch::Tensor style = torch::stack({theta[0], theta[4]}).view({1, 2});
    return (c * m->forward(x.unsqueeze(0), style).squeeze(0)).sum();
  };
  const torch::Tensor w0 = torch::randn({8, 8, 8}, torch::kFloat64);
  const torch::Tensor t0 = cnn::cosmo_params_tensor(spec.cosmology);
  const torch::Tensor w = w0.clone().requires_grad_(true);
  const torch::Tensor t = t0.clone().requires_grad_(true);
  objective(w, t).backward();
  torch::NoGradGuard no_grad;
  const torch::Tensor v = torch::randn({8, 8, 8}, torch::kFloat64);
  const double hw = 1e-4;
  const double fd_w =
      (objective(w0 + hw * v, t0) - objective(w0 - hw * v, t0)).item<double>() / (2 * hw);
  const double ad_w = (w.grad() * v).sum().item<double>();
  EXPECT_NEAR(ad_w, fd_w, 1e-5 * std::abs(fd_w)) << "noise direction";
  for (int i : {0, 4}) {  // Omega_m, sigma8
    const double h = 1e-5;
    torch::Tensor tp = t0.clone(), tm = t0.clone();
    tp[i] += h;
    tm[i] -= h;
    const double fd = (objective(w0, tp) - objective(w0, tm)).item<double>() / (2 * h);
    const double ad = t.grad()[i].item<double>();
    EXPECT_NEAR(ad, fd, 1e-5 * std::abs(fd)) << "parameter " << i;
  }
}

TEST(Emulator, SaveLoadRoundTripAndTypeCheck) {
  const fs::path dir = fs::temp_directory_path() / ("emu_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  torch::manual_seed(7);
  cnn::Emulator m(tiny_options());
  randomise_head(m);
  cnn::ModelHeader extra;
  extra.set("parameters", int64_t{123});
  cnn::save_emulator((dir / "e.cgm").string(), m, extra);
  cnn::ModelHeader h;
  cnn::Emulator back = cnn::load_emulator((dir / "e.cgm").string(), &h);
  EXPECT_EQ(h.get("parameters"), "123");
  EXPECT_EQ(back->options.particles(), 16);
  torch::NoGradGuard no_grad;
  m->eval();
  const torch::Tensor x = torch::randn({1, 6, 8, 8, 8});
  const torch::Tensor th = theta_of(1).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(m->forward(x, th), back->forward(x, th)));
  cnn::HaloModel other(cnn::HaloModelOptions().grid(8).depth(1).base_channels(2));
  cnn::save_halo_model((dir / "h.cgm").string(), other);
  try {
    cnn::load_emulator((dir / "h.cgm").string());
    ADD_FAILURE() << "a halo model loaded as an emulator";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not emulator"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(Emulator, LatinHypercubeHasOnePointPerStratum) {
  const auto p = cnn::latin_hypercube(10, 0.25, 0.35, 0.7, 0.9, 3);
  std::vector<int> a(10, 0), b(10, 0);
  for (const auto& q : p) {
    ++a[static_cast<size_t>((q[0] - 0.25) / 0.01)];
    ++b[static_cast<size_t>((q[1] - 0.7) / 0.02)];
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(a[static_cast<size_t>(i)], 1);
    EXPECT_EQ(b[static_cast<size_t>(i)], 1);
  }
}

#if COSMOGRAD_HAVE_HDF5
TEST(Emulator, PairsShareLargeScalesAndRoundTripThroughTheFile) {
  // 2LPT and PM of one noise agree on the largest scales (r > 0.99, power within 6% in the
  // first bin at z = 0) and the PM run has more small-scale power than 2LPT.
  const cg::SimSpec spec = tiny_spec(16, 128.0);
  const cnn::EmulatorPair pair = cnn::make_emulator_pair(spec);
  ASSERT_EQ(pair.input.sizes(), (std::vector<int64_t>{6, 16, 16, 16}));
  const torch::Tensor d_lpt = cnn::lattice_density(pair.input.slice(0, 0, 3), 128.0, 32);
  const torch::Tensor d_pm = cnn::lattice_density(pair.target.slice(0, 0, 3), 128.0, 32);
  const cnn::CrossSpectrum cs = cnn::cross_correlation(d_lpt, d_pm, 128.0);
  EXPECT_GT(cs.r[0], 0.99);
  EXPECT_NEAR(cs.p_a[0] / cs.p_b[0], 1.0, 0.06);
  EXPECT_LT(cs.p_a[6] / cs.p_b[6], 0.95);

  const fs::path file =
      fs::temp_directory_path() / ("emu_pairs_" + std::to_string(getpid()) + ".h5");
  cnn::EmulatorDataOptions o;
  o.box_size = 128.0;
  o.particles = 16;
  o.mesh = 32;
  o.steps = 4;
  cnn::write_emulator_data(file.string(), {pair, pair}, {5, 6}, o);
  const cnn::EmulatorDataInfo info = cnn::read_emulator_data_info(file.string());
  EXPECT_EQ(info.options.particles, 16);
  EXPECT_DOUBLE_EQ(info.options.box_size, 128.0);
  EXPECT_NEAR(info.disp_rms, pair.input.slice(0, 0, 3).square().mean().sqrt().item<double>(), 1e-5);
  cnn::Hdf5FieldDatasetOptions dopt;
  dopt.shuffle = false;
  dopt.batch_size = 2;
  const cnn::Hdf5FieldDataset data(file.string(), dopt);
  EXPECT_EQ(data.channels(), 12);
  EXPECT_EQ(data.num_params(), 3);
  const cnn::FieldBatch b = data.read({1});
  EXPECT_TRUE(torch::equal(b.fields[0].slice(0, 6, 12), pair.target));
  EXPECT_FLOAT_EQ(b.params[0][2].item<float>(), 6.0f);
  fs::remove(file);
}
#endif

}  // namespace
