// surveys/properties/ structural parameters: the Levenberg-Marquardt Sersic fitter (exact
// recovery of noiseless stamps, errors against the scatter of noisy realisations, flags at the
// bounds), the Sersic stamp file (round trip, named errors) and the CNN's inputs, symmetry
// augmentations, sigma calibration and model file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>

#include "surveys/batched/batched_render.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/properties/sersic_fit.hpp"
#include "surveys/properties/sersic_stamps.hpp"
#include "surveys/properties/structure_net.hpp"

namespace cg = cosmograd::surveys;

namespace {

constexpr int kSize = 32;

/// Noiseless PSF-convolved Sersic stamps [B, S, S] and their PSFs [B, P, P] (float64).
torch::Tensor render(double flux, double re, double n, double e1, double e2, double x0, double y0,
                     const torch::Tensor& psf, int copies = 1) {
  const auto o = torch::TensorOptions().dtype(torch::kFloat64);
  const auto t = [&](double v) { return torch::full({copies}, v, o); };
  const cg::SersicBatch b{t(flux), t(re), t(n), t(e1), t(e2), t(x0), t(y0)};
  return cg::convolve_psf_batch(cg::render_sersic_batch(b, kSize, kSize, 3, 4.0),
                                psf.expand({copies, psf.size(0), psf.size(1)}).contiguous());
}

torch::Tensor moffat(double fwhm_px) {
  const cg::Image p = cg::moffat_psf(fwhm_px, 3.5, 11);
  return torch::tensor(p.values, torch::kFloat64).view({11, 11});
}

}  // namespace

TEST(SersicFit, RecoversNoiselessStampExactly) {
  torch::set_num_threads(1);
  const torch::Tensor psf = moffat(2.0);
  const double flux = 1000, re = 3.2, n = 2.7, e1 = 0.2, e2 = -0.15, x0 = 16.3, y0 = 15.6;
  const torch::Tensor img = render(flux, re, n, e1, e2, x0, y0, psf);
  cg::SersicFitOptions o;
  o.max_iterations = 200;
  // sigma small against the peak: the fit must reach the truth, not a noise-level minimum.
  const auto fits = cg::fit_sersic(img, psf.unsqueeze(0), torch::full({1}, 1e-3), o);
  const cg::SersicFit& f = fits[0];
  EXPECT_EQ(f.flags, 0u);
  EXPECT_NEAR(f.flux / flux, 1, 1e-3);
  EXPECT_NEAR(f.re / re, 1, 1e-3);
  EXPECT_NEAR(f.n / n, 1, 1e-3);
  EXPECT_NEAR(f.e1, e1, 1e-3);
  EXPECT_NEAR(f.e2, e2, 1e-3);
  EXPECT_NEAR(f.x0, x0, 1e-3);
  EXPECT_NEAR(f.y0, y0, 1e-3);
  EXPECT_LT(f.chi2_dof, 1e-3);
}

TEST(SersicFit, ErrorsMatchScatterOfNoisyRealisations) {
  torch::set_num_threads(1);
  const torch::Tensor psf = moffat(2.0);
  const int reps = 48;
  const double flux = 3000, re = 3.0, n = 1.5, sigma = 1.0;
  const torch::Tensor clean = render(flux, re, n, 0.1, 0.05, 16.2, 15.9, psf, reps);
  torch::manual_seed(7);
  const torch::Tensor noisy = clean + sigma * torch::randn(clean.sizes(), torch::kFloat64);
  const auto fits = cg::fit_sersic(noisy, psf.unsqueeze(0).expand({reps, 11, 11}).contiguous(),
                                   torch::full({reps}, sigma), cg::SersicFitOptions{});
  // Pull standard deviations (fit - truth) / error of flux, R_e, n and e1, e2 within ~20% of 1
  // (with 48 realisations the sample std itself scatters by ~10%).
  double pf = 0, pr = 0, pn = 0, pe = 0;
  for (const auto& f : fits) {
    pe += std::pow((f.e1 - 0.1) / f.e1_err, 2) + std::pow((f.e2 - 0.05) / f.e2_err, 2);
    EXPECT_EQ(f.flags & cg::kFitNotConverged, 0u);
    pf += std::pow((f.flux - flux) / f.flux_err, 2);
    pr += std::pow((f.re - re) / f.re_err, 2);
    pn += std::pow((f.n - n) / f.n_err, 2);
  }
  EXPECT_NEAR(std::sqrt(pf / reps), 1, 0.25);
  EXPECT_NEAR(std::sqrt(pr / reps), 1, 0.25);
  EXPECT_NEAR(std::sqrt(pn / reps), 1, 0.25);
  EXPECT_NEAR(std::sqrt(pe / (2 * reps)), 1, 0.25);
}

TEST(SersicFit, FlagsFitsAtTheIndexBound) {
  torch::set_num_threads(1);
  const torch::Tensor psf = moffat(2.0);
  // A profile steeper than the bound allows: n = 6.2 is the renderer's maximum, so fit with a
  // tighter bound n_max = 3 and expect n pinned there and flagged.
  const torch::Tensor img = render(2000, 2.5, 5.5, 0.0, 0.0, 16, 16, psf);
  cg::SersicFitOptions o;
  o.n_max = 3;
  const auto fits = cg::fit_sersic(img, psf.unsqueeze(0), torch::full({1}, 0.01), o);
  EXPECT_NE(fits[0].flags & cg::kFitNAtBound, 0u);
  EXPECT_NEAR(fits[0].n, 3, 1e-3);
}

TEST(SersicFit, BadInputNamesTheField) {
  cg::SersicFitOptions o;
  o.n_max = 7;
  try {
    o.validate();
    FAIL() << "n_max = 7 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("n_max"), std::string::npos) << e.what();
  }
  const torch::Tensor img = torch::zeros({1, kSize, kSize}, torch::kFloat64);
  try {
    cg::fit_sersic(img, moffat(2).unsqueeze(0), torch::zeros({1}), cg::SersicFitOptions{});
    FAIL() << "sigma = 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sigma"), std::string::npos) << e.what();
  }
}

/// A small valid set of two stamps.
cg::SersicStampSet tiny_set() {
  cg::SersicStampSet s;
  s.size = 16;
  s.psf_size = 5;
  s.source = "test";
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < 256; ++i) s.images.push_back(0.1f * static_cast<float>(i % 7 + k));
    for (int i = 0; i < 25; ++i) s.psfs.push_back(i == 12 ? 1.0f : 0.0f);
    s.noise_sigma.push_back(0.5 + k);
    s.flux.push_back(100 + k);
    s.half_light_radius.push_back(2 + k);
    s.n.push_back(1 + k);
    s.q.push_back(0.5);
    s.pa.push_back(0.3 * k);
    s.x0.push_back(8);
    s.y0.push_back(8.2);
    s.mag.push_back(26.4);
    s.psf_fwhm.push_back(2);
    s.snr.push_back(30);
    s.redshift.push_back(0.5);
    s.galaxy_id.push_back(1000 + k);
  }
  return s;
}

TEST(SersicStamps, FileRoundTrips) {
  const cg::SersicStampSet s = tiny_set();
  const std::string path = ::testing::TempDir() + "/sersic_stamps_roundtrip.h5";
  cg::write_sersic_stamps(path, s);
  const cg::SersicStampSet r = cg::read_sersic_stamps(path);
  EXPECT_EQ(r.size, s.size);
  EXPECT_EQ(r.psf_size, s.psf_size);
  EXPECT_EQ(r.images, s.images);
  EXPECT_EQ(r.psfs, s.psfs);
  EXPECT_EQ(r.flux, s.flux);
  EXPECT_EQ(r.half_light_radius, s.half_light_radius);
  EXPECT_EQ(r.n, s.n);
  EXPECT_EQ(r.pa, s.pa);
  EXPECT_EQ(r.galaxy_id, s.galaxy_id);
  EXPECT_EQ(r.truncation, s.truncation);
  EXPECT_EQ(r.source, s.source);
  std::remove(path.c_str());
}

TEST(SersicStamps, BadFieldIsNamed) {
  cg::SersicStampSet s = tiny_set();
  s.n[1] = 9;
  try {
    s.validate();
    FAIL() << "n = 9 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("n[1]"), std::string::npos) << e.what();
  }
  try {
    cg::read_sersic_stamps(::testing::TempDir() + "/no_such_sersic_file.h5");
    FAIL() << "missing file accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_sersic_file.h5"), std::string::npos);
  }
}

TEST(StructureNet, InputAndModelFileRoundTrip) {
  torch::set_num_threads(1);
  const cg::SersicStampSet s = tiny_set();
  const cg::StructureRows rows = cg::structure_rows(s, {0, 1});
  const torch::Tensor x = cg::structure_input(rows.images, rows.psfs, rows.sigma, 3.0);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 2, 16, 16}));
  EXPECT_FLOAT_EQ(x[0][1][8][8].item<float>(), 1.0f);  // the PSF peak at the stamp centre
  cg::StructureNetConfig c;
  c.size = 16;
  c.channels = {4, 8};
  c.hidden = 8;
  cg::StructureNet net(c);
  const std::string path = ::testing::TempDir() + "/structure_net_test.cgm";
  cosmograd::nn::save_model(path, *net, net->header());
  cg::StructureNet back = cg::load_structure_net(path);
  const auto a = net->predict(rows.images, rows.psfs, rows.sigma);
  const auto b = back->predict(rows.images, rows.psfs, rows.sigma);
  ASSERT_EQ(a.re.size(), 2u);
  EXPECT_DOUBLE_EQ(a.re[1], b.re[1]);
  EXPECT_DOUBLE_EQ(a.n_err[0], b.n_err[0]);
  std::remove(path.c_str());
}

namespace {

/// Second-moment ellipticity (Q11 - Q22, 2 Q12) / (Q11 + Q22) of image [S, S] about its centroid,
/// axis 1 the last tensor axis.
std::pair<double, double> moment_ellipticity(const torch::Tensor& img) {
  const torch::Tensor w = img.to(torch::kFloat64);
  const auto s = w.size(0);
  const torch::Tensor c = torch::arange(s, torch::kFloat64);
  const torch::Tensor a = c.view({1, s}), b = c.view({s, 1});  // last axis, first axis
  const double f = w.sum().item<double>();
  const double ma = (w * a).sum().item<double>() / f, mb = (w * b).sum().item<double>() / f;
  const double q11 = (w * (a - ma).square()).sum().item<double>() / f;
  const double q22 = (w * (b - mb).square()).sum().item<double>() / f;
  const double q12 = (w * (a - ma) * (b - mb)).sum().item<double>() / f;
  return {(q11 - q22) / (q11 + q22), 2 * q12 / (q11 + q22)};
}

}  // namespace

TEST(StructureNet, AugmentationsTransformEllipticityLikeTheImage) {
  torch::set_num_threads(1);
  // A Moffat PSF (symmetric under the whole group) and an off-centre elliptical Sersic stamp.
  const torch::Tensor psf = moffat(2.0);
  const double e1 = 0.25, e2 = -0.15;
  const torch::Tensor img = render(1000, 2.5, 1.5, e1, e2, 15.2, 16.4, psf);
  const torch::Tensor x = torch::stack({img[0], torch::zeros_like(img[0])}).unsqueeze(0);
  const torch::Tensor e = torch::tensor({{e1, e2}}, torch::kFloat64);
  const auto m0 = moment_ellipticity(img[0]);
  ASSERT_GT(std::abs(m0.first), 0.05);
  ASSERT_GT(std::abs(m0.second), 0.05);
  for (int turns = 0; turns < 4; ++turns)
    for (bool mirror : {false, true}) {
      const auto [xa, ea] = cg::structure_augment(x, e, turns, mirror);
      const double te1 = ea[0][0].item<double>(), te2 = ea[0][1].item<double>();
      // The augmented stamp's moments equal those of the stamp rendered with the transformed
      // (e1, e2): rotation by 90 deg (e1, e2) -> -(e1, e2); x -> -x: e2 -> -e2; transposition
      // (odd turns with mirror): e1 -> -e1, e2 unchanged.
      const auto ma = moment_ellipticity(xa[0][0]);
      const auto mr = moment_ellipticity(render(1000, 2.5, 1.5, te1, te2, 15.2, 16.4, psf)[0]);
      EXPECT_NEAR(ma.first, mr.first, 2e-3) << "turns " << turns << " mirror " << mirror;
      EXPECT_NEAR(ma.second, mr.second, 2e-3) << "turns " << turns << " mirror " << mirror;
      EXPECT_NEAR(std::abs(te1), e1, 1e-12);
      EXPECT_NEAR(std::abs(te2), std::abs(e2), 1e-12);
      if (turns % 2 == 1 && mirror) {
        EXPECT_NEAR(te1, -e1, 1e-12);
        EXPECT_NEAR(te2, e2, 1e-12);
      }
      EXPECT_EQ(xa.sizes(), x.sizes());
    }
}

TEST(StructureNet, StemStrideAndCalibrationRoundTrip) {
  torch::set_num_threads(1);
  const cg::SersicStampSet s = tiny_set();
  const cg::StructureRows rows = cg::structure_rows(s, {0, 1});
  cg::StructureNetConfig c;
  c.size = 16;
  c.channels = {4, 8};
  c.stem_stride = 2;
  c.hidden = 8;
  cg::StructureNet net(c);
  EXPECT_EQ(net->forward(cg::structure_input(rows.images, rows.psfs, rows.sigma, 3.0)).sizes(),
            (std::vector<int64_t>{2, 10}));
  net->set_sigma_scale({2, 1, 0.5, 1, 1});
  const auto cal = net->predict(rows.images, rows.psfs, rows.sigma);
  const auto raw = net->predict(rows.images, rows.psfs, rows.sigma, false);
  EXPECT_NEAR(cal.flux_err[0] / raw.flux_err[0], 2, 1e-9);
  EXPECT_NEAR(cal.n_err[1] / raw.n_err[1], 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(cal.re[0], raw.re[0]);
  const std::string path = ::testing::TempDir() + "/structure_net_stem_test.cgm";
  cosmograd::nn::save_model(path, *net, net->header());
  cg::StructureNet back = cg::load_structure_net(path);
  EXPECT_EQ(back->config().stem_stride, 2);
  EXPECT_DOUBLE_EQ(back->config().sigma_scale[0], 2);
  EXPECT_DOUBLE_EQ(back->predict(rows.images, rows.psfs, rows.sigma).n_err[1], cal.n_err[1]);
  std::remove(path.c_str());
  c.stem_stride = 3;
  try {
    cg::StructureNet bad(c);
    FAIL() << "stem_stride = 3 accepted";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("stem_stride"), std::string::npos) << ex.what();
  }
}
