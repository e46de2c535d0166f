// viz/figures.hpp: the P(k) and mass-function figures of `cosmograd run` and `cosmograd halos`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/png.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/viz/image_checks.hpp"
#include "viz/figures.hpp"

namespace viz = cosmograd::viz;
namespace sim = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::dark_rows;
using cosmograd::testing::fresh_dir;
using cosmograd::testing::invalid_argument_message;
using cosmograd::testing::near;
using cosmograd::testing::pixels;

namespace {

/// A P(k) with 200 linearly spaced bins (dense at high k on a log axis) and theory curves.
viz::PowerSpectrumFigure power_figure() {
  viz::PowerSpectrumFigure f;
  f.title = "P(k) at z = 0.00: 64#u3#d particles, 64#u3#d mesh, L = 100 Mpc/h";
  const auto model = [](double k) { return 2e4 * k / (1.0 + std::pow(k / 0.02, 2.5)) * 1e3; };
  for (int i = 1; i <= 200; ++i) {
    const double k = 0.0628 * i;
    f.k.push_back(k);
    f.power.push_back(model(k) * (1.0 + 5.0 * k * k));
  }
  for (int i = 0; i <= 100; ++i) {
    const double k = 0.05 * std::pow(300.0, i / 100.0);
    f.theory_k.push_back(k);
    f.linear.push_back(model(k));
    f.nonlinear.push_back(model(k) * (1.0 + 5.0 * k * k));
  }
  return f;
}

viz::MassFunctionFigure mass_figure() {
  viz::MassFunctionFigure f;
  f.redshift = 0.5;
  f.linking_length = 0.2;
  f.min_members = 20;
  f.sigma8 = 0.8159;
  f.halos = 321;
  for (int b = 0; b < 8; ++b) {
    f.m_center.push_back(1e12 * std::pow(10.0, 0.2 * b + 0.1));
    f.count.push_back(b < 6 ? 200 >> b : 0);
    f.dndlnm.push_back(f.count.back() * 1e-7);
    f.error.push_back(std::sqrt(static_cast<double>(f.count.back())) * 1e-7);
  }
  for (int i = 0; i <= 30; ++i) {
    const double m = 1e12 * std::pow(10.0, 1.6 * i / 30.0);
    f.theory_m.push_back(m);
    f.tinker.push_back(2e-5 * std::pow(m / 1e12, -1.0));
    f.sheth_tormen.push_back(2.4e-5 * std::pow(m / 1e12, -1.0));
  }
  return f;
}

const viz::Series* find_series(const viz::PlotSpec& spec, const std::string& prefix) {
  for (const viz::Series& s : spec.series) {
    if (s.label.rfind(prefix, 0) == 0) return &s;
  }
  return nullptr;
}

}  // namespace

TEST(PowerSpectrumFigure, ShowsNegativeBinsAsOpenMarkersAndCountsUndefinedOnes) {
  viz::PowerSpectrumFigure f = power_figure();
  f.power[150] = -250.0;  // shot noise subtracted from a small measurement
  f.power[160] = -40.0;
  f.power[170] = 0.0;
  f.power[180] = std::nan("");
  const viz::PlotSpec spec = viz::power_spectrum_plot(f);
  EXPECT_TRUE(spec.logx && spec.logy);
  EXPECT_EQ(spec.xlabel, "k [h/Mpc]");
  EXPECT_EQ(spec.ylabel, "P(k) [(Mpc/h)#u3#d]");
  const viz::Series* negative = find_series(spec, "|P(k)| where P(k) < 0");
  ASSERT_NE(negative, nullptr);
  EXPECT_EQ(negative->label, "|P(k)| where P(k) < 0 (2 bins)");
  EXPECT_EQ(negative->marker, viz::Marker::open_circle);
  EXPECT_EQ(negative->line, viz::LineStyle::none);
  EXPECT_EQ(negative->x, (std::vector<double>{f.k[150], f.k[160]}));
  EXPECT_EQ(negative->y, (std::vector<double>{250.0, 40.0}));
  ASSERT_EQ(spec.notes.size(), 1u);
  EXPECT_EQ(spec.notes[0], "2 bins with P = 0 or undefined not shown");
  // The measured line breaks at the negative bins and thins its markers.
  const viz::Series* measured = find_series(spec, "measured");
  ASSERT_NE(measured, nullptr);
  EXPECT_EQ(measured->x.size(), 198u);
  EXPECT_TRUE(std::isnan(measured->y[150]));
  EXPECT_GT(measured->marker_spacing, 0.0);
  ASSERT_NE(find_series(spec, "linear"), nullptr);
  ASSERT_NE(find_series(spec, "halofit"), nullptr);

  // All positive: no extra legend entry, no note.
  const viz::PlotSpec clean = viz::power_spectrum_plot(power_figure());
  EXPECT_EQ(find_series(clean, "|P(k)|"), nullptr);
  EXPECT_TRUE(clean.notes.empty());
}

TEST(PowerSpectrumFigure, RendersTheOpenMarkersOfNegativeBins) {
  const fs::path dir = fresh_dir("viz_power_figure");
  viz::PowerSpectrumFigure f = power_figure();
  for (int i = 120; i < 130; ++i) f.power[static_cast<std::size_t>(i)] *= -1e-3;
  const std::string path = (dir / "power.png").string();
  viz::write_plot_png(path, viz::power_spectrum_plot(f));
  const sim::Image img = sim::read_png(path);
  EXPECT_EQ(img.width, 960);
  // The measured colour (tab10 blue) is drawn in the lower half, where |P| of the negative
  // bins lies, three decades below the positive ones.
  const auto blue = pixels(img, [](sim::RGB c) { return near(c, viz::tab10(0)); });
  int low = 0;
  for (std::size_t i = 0; i < blue.size(); ++i) low += blue.y[i] > 0.6 * img.height;
  EXPECT_GT(low, 20);
}

TEST(PowerSpectrumFigure, RejectsMismatchedVectors) {
  viz::PowerSpectrumFigure f = power_figure();
  f.power.pop_back();
  const std::string m = invalid_argument_message([&] { viz::power_spectrum_plot(f); });
  EXPECT_NE(m.find("PowerSpectrumFigure.power = 199 values"), std::string::npos) << m;
  f = power_figure();
  f.nonlinear.push_back(1.0);
  EXPECT_THROW(viz::power_spectrum_plot(f), std::invalid_argument);
}

TEST(MassFunctionFigure, StatesTheHaloFinderAndSigma8) {
  const viz::MassFunctionFigure f = mass_figure();
  const viz::PlotSpec spec = viz::mass_function_plot(f);
  EXPECT_NE(spec.title.find("z = 0.50"), std::string::npos) << spec.title;
  EXPECT_NE(spec.title.find("321 halos"), std::string::npos) << spec.title;
  EXPECT_NE(spec.title.find("b = 0.2"), std::string::npos) << spec.title;
  EXPECT_NE(spec.title.find("≥ 20 members"), std::string::npos) << spec.title;
  ASSERT_EQ(spec.notes.size(), 1u);
  EXPECT_NE(spec.notes[0].find("σ#d8#u = 0.816"), std::string::npos) << spec.notes[0];
  EXPECT_EQ(spec.xlabel, "M [M#d⊙#u/h]");
  EXPECT_EQ(spec.ylabel, "dn/dlnM [(h/Mpc)#u3#d]");
  EXPECT_TRUE(spec.empty_message.empty());
  // Occupied bins only, with their Poisson error bars.
  const viz::Series* measured = find_series(spec, "FoF halos");
  ASSERT_NE(measured, nullptr);
  ASSERT_EQ(measured->x.size(), 6u);
  EXPECT_DOUBLE_EQ(measured->y_hi[0] - measured->y[0], f.error[0]);
  EXPECT_DOUBLE_EQ(measured->y[0] - measured->y_lo[0], f.error[0]);
  ASSERT_NE(find_series(spec, "Tinker et al. 2008"), nullptr);
  ASSERT_NE(find_series(spec, "Sheth & Tormen 1999"), nullptr);
}

TEST(MassFunctionFigure, WithoutHalosSaysSoInsteadOfDrawingAxes) {
  viz::MassFunctionFigure f = mass_figure();
  f.halos = 0;
  for (long long& c : f.count) c = 0;
  for (double& v : f.dndlnm) v = 0.0;
  const viz::PlotSpec spec = viz::mass_function_plot(f);
  EXPECT_EQ(spec.empty_message, "No halos found");
  EXPECT_TRUE(spec.series.empty());
  ASSERT_EQ(spec.notes.size(), 1u);
  EXPECT_NE(spec.notes[0].find("b = 0.2"), std::string::npos);
  EXPECT_NE(spec.notes[0].find("20 members"), std::string::npos);

  const fs::path dir = fresh_dir("viz_mass_function_empty");
  const std::string path = (dir / "mf.png").string();
  viz::write_plot_png(path, spec);
  EXPECT_EQ(dark_rows(sim::read_png(path)), 0);  // no frame lines

  const std::string full = (dir / "mf_full.png").string();
  viz::write_plot_png(full, viz::mass_function_plot(mass_figure()));
  EXPECT_GE(dark_rows(sim::read_png(full)), 2);
}

TEST(MassFunctionFigure, RejectsMismatchedVectors) {
  viz::MassFunctionFigure f = mass_figure();
  f.error.pop_back();
  const std::string m = invalid_argument_message([&] { viz::mass_function_plot(f); });
  EXPECT_NE(m.find("MassFunctionFigure.error = 7 values"), std::string::npos) << m;
}
