// viz/trace.hpp: the trace plot of MCMC chains (image size, chain colours and their order,
// the truth line, the title strip, no temporary files left, refusal of bad specs).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/png.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/viz/image_checks.hpp"
#include "viz/plot.hpp"
#include "viz/trace.hpp"

namespace viz = cosmograd::viz;
namespace sim = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::fresh_dir;
using cosmograd::testing::ink;
using cosmograd::testing::invalid_argument_message;
using cosmograd::testing::listing;
using cosmograd::testing::near;
using cosmograd::testing::pixels;

namespace {

/// Two quantities, three chains of 400 draws: in the first, chain c wiggles around
/// 10 - 10 c (so chain 1 is on top); in the second all chains wiggle around 0.
viz::TraceSpec trace_spec() {
  viz::TraceSpec s;
  s.title = "HMC trace: 3 chains";
  s.names = {"#gW#dm#u", "#gs#d8#u"};
  s.draws.assign(2, std::vector<std::vector<double>>(3, std::vector<double>(400)));
  for (int c = 0; c < 3; ++c) {
    for (int t = 0; t < 400; ++t) {
      const double wiggle = std::sin(0.7 * t + c) + 0.5 * std::sin(2.3 * t);
      s.draws[0][c][t] = 10.0 - 10.0 * c + wiggle;
      s.draws[1][c][t] = wiggle;
    }
  }
  s.first_draw = 1000;
  return s;
}

/// Pixels of `img` within `tolerance` of colour `c` in rows [y0, y1).
cosmograd::testing::PixelSet colour_in_rows(const sim::Image& img, sim::RGB c, int y0, int y1) {
  cosmograd::testing::PixelSet all = pixels(img, [c](sim::RGB p) { return near(p, c, 40); });
  cosmograd::testing::PixelSet out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all.y[i] >= y0 && all.y[i] < y1) {
      out.x.push_back(all.x[i]);
      out.y.push_back(all.y[i]);
    }
  }
  return out;
}

}  // namespace

TEST(TracePlot, StacksOnePanelPerQuantityWithOneColourPerChain) {
  const fs::path dir = fresh_dir("viz_trace");
  const std::string path = (dir / "trace.png").string();
  const viz::TraceSpec spec = trace_spec();
  viz::write_trace_png(path, spec);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"trace.png"}));
  const sim::Image img = sim::read_png(path);
  ASSERT_EQ(img.width, 1100);
  ASSERT_EQ(img.height, 40 + 2 * 260);
  // The title strip has text.
  const cosmograd::testing::PixelSet title = ink(img);
  int title_ink = 0;
  for (std::size_t i = 0; i < title.size(); ++i) title_ink += title.y[i] < 40 ? 1 : 0;
  EXPECT_GT(title_ink, 50);
  // Every chain's colour appears in both panels; in the first, chain 1 lies above chain 2
  // above chain 3 (rows grow downwards).
  for (int panel = 0; panel < 2; ++panel) {
    const int y0 = 40 + panel * 260;
    double previous_y = -1.0;
    for (int c = 0; c < 3; ++c) {
      const auto chain = colour_in_rows(img, viz::tab10(c), y0, y0 + 260);
      EXPECT_GT(chain.size(), 200u) << "panel " << panel << " chain " << c;
      if (panel == 0 && chain.size() > 0) {
        EXPECT_GT(chain.mean_y(), previous_y + 20.0) << "chain " << c;
        previous_y = chain.mean_y();
      }
    }
  }
}

TEST(TracePlot, DrawsTheTruthLineOnlyWhereGiven) {
  const fs::path dir = fresh_dir("viz_trace_truth");
  viz::TraceSpec spec = trace_spec();
  spec.title.clear();
  const std::string plain = (dir / "plain.png").string();
  viz::write_trace_png(plain, spec);
  spec.truth = {25.0, NAN};  // above every draw of the first quantity; none in the second
  const std::string marked = (dir / "marked.png").string();
  viz::write_trace_png(marked, spec);
  const sim::Image a = sim::read_png(plain);
  const sim::Image b = sim::read_png(marked);
  ASSERT_EQ(a.height, 2 * 260);  // no title strip
  ASSERT_EQ(b.height, 2 * 260);
  const auto black = [](sim::RGB p) { return p.r + p.g + p.b < 3 * 60; };
  const auto dark_in = [&](const sim::Image& img, int y0, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = 0; x < img.width; ++x) n += black(img.get(x, y)) ? 1 : 0;
    }
    return n;
  };
  // The dashed line covers at least a third of the plot width in the first panel.
  EXPECT_GT(dark_in(b, 0, 260), dark_in(a, 0, 260) + 250);
  // The second panel (NaN truth) is unchanged.
  int differing = 0;
  for (int y = 260; y < 520; ++y) {
    for (int x = 0; x < a.width; ++x) differing += a.get(x, y) == b.get(x, y) ? 0 : 1;
  }
  EXPECT_EQ(differing, 0);
}

TEST(TracePlot, SingleDrawAndCustomSizesWork) {
  const fs::path dir = fresh_dir("viz_trace_small");
  viz::TraceSpec spec;
  spec.names = {"x"};
  spec.draws = {{{1.0}, {2.0}}};
  spec.width = 480;
  spec.panel_height = 200;
  const std::string path = (dir / "one.png").string();
  viz::write_trace_png(path, spec);
  const sim::Image img = sim::read_png(path);
  EXPECT_EQ(img.width, 480);
  EXPECT_EQ(img.height, 200);
}

TEST(TracePlot, RejectsBadSpecsNamingTheField) {
  const std::string path = (fresh_dir("viz_trace_bad") / "bad.png").string();
  const auto message = [&](const viz::TraceSpec& s) {
    return invalid_argument_message([&] { viz::write_trace_png(path, s); });
  };
  const auto contains = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  viz::TraceSpec s = trace_spec();
  s.names.clear();
  EXPECT_TRUE(contains(message(s), "TraceSpec.names is empty")) << message(s);
  s = trace_spec();
  s.names.push_back("extra");
  EXPECT_TRUE(contains(message(s), "TraceSpec.draws has 2 quantities")) << message(s);
  s = trace_spec();
  s.draws[1][2].pop_back();
  EXPECT_TRUE(contains(message(s), "TraceSpec.draws[1][2] has 399 draws")) << message(s);
  s = trace_spec();
  s.draws[1].clear();
  EXPECT_TRUE(contains(message(s), "TraceSpec.draws[1] has no chains")) << message(s);
  s = trace_spec();
  for (auto& q : s.draws) {
    for (auto& c : q) c.clear();
  }
  EXPECT_TRUE(contains(message(s), "TraceSpec.draws[0][0] has 0 draws")) << message(s);
  s = trace_spec();
  s.truth = {1.0};
  EXPECT_TRUE(contains(message(s), "TraceSpec.truth has 1 values")) << message(s);
  s = trace_spec();
  s.first_draw = -1;
  EXPECT_TRUE(contains(message(s), "TraceSpec.first_draw = -1")) << message(s);
  s = trace_spec();
  s.width = 100;
  EXPECT_TRUE(contains(message(s), "TraceSpec.width = 100")) << message(s);
  s = trace_spec();
  s.panel_height = 50;
  EXPECT_TRUE(contains(message(s), "TraceSpec.panel_height = 50")) << message(s);
  s = trace_spec();
  s.panel_height = 8000;
  s.names.assign(9, "q");
  s.draws.assign(9, s.draws[0]);
  EXPECT_TRUE(contains(message(s), "TraceSpec.panel_height = 8000 with 9 panels")) << message(s);
  EXPECT_FALSE(fs::exists(path));
}
