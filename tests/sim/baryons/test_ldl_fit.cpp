// The L-BFGS fit of LDL parameters: targets painted by a known LDL model are fitted back from
// the default starting point.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/baryons/ldl_fit.hpp"

namespace cg = cosmograd::sim;

namespace {

/// A lattice of n^3 particles moved by a few smooth random modes (about `spread` cells).
cg::Particles<double> wavy_particles(int n, double box, int seed, double spread) {
  cg::Particles<double> p = cg::Particles<double>::lattice_grid(n, box);
  const double kf = 2 * M_PI / box, cell = box / n;
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (int d = 0; d < 3; ++d) {
      double s = 0.5;  // half a cell off the mesh points
      for (int m = 1; m <= 3; ++m) {
        const double q = p.lattice(j, (d + m) % 3) + p.lattice(j, d);
        s += spread * std::sin(m * kf * q + 0.7 * seed * m + d) / m;
      }
      p.disp[3 * j + d] = s * cell;
    }
  }
  return p;
}

}  // namespace

// A pressure-like target (a steep power of the density after one outward move) painted by a
// known 8-parameter model is fitted from ldl_initial_model to under 5% of the starting loss,
// and the fitted field's power agrees with the target's to 5%.
TEST(LdlFit, RecoversATargetPaintedByAKnownModel) {
  const int n = 16;
  const double box = 32;
  cg::LdlModel truth;
  truth.mesh = n;
  truth.layers = {cg::LdlLayer{-0.4, 1.0, 0.2, 1.5, -2.0}};
  truth.out = cg::LdlOutput{0.8, 0.0, 2.0};
  std::vector<cg::Particles<double>> boxes;
  std::vector<cg::Field<double>> targets;
  for (int s = 1; s <= 2; ++s) {
    boxes.push_back(wavy_particles(n, box, s, 0.6));
    targets.push_back(cg::ldl_paint(truth, boxes.back()));
  }
  cg::LdlFitOptions o;
  o.loss.smoothing = 1.0;
  o.max_iterations = 80;
  const cg::LdlModel start = cg::ldl_initial_model(n, 1, true, boxes, targets, o);
  const cg::LdlFitResult r = cg::fit_ldl(start, boxes, targets, o);
  EXPECT_GT(r.evaluations, 5);
  EXPECT_LT(r.final_loss, 0.05 * r.initial_loss)
      << "initial " << r.initial_loss << " final " << r.final_loss;
  const cg::Field<double> painted = cg::ldl_paint(r.model, boxes.front());
  double sp = 0, st = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        sp += std::pow(painted.at(x, y, z), 2);
        st += std::pow(targets.front().at(x, y, z), 2);
      }
    }
  }
  EXPECT_NEAR(sp / st, 1.0, 0.05);
}

TEST(LdlFit, RejectsMismatchedInputs) {
  const cg::Particles<double> p = wavy_particles(8, 16, 1, 0.3);
  cg::LdlModel m;
  m.mesh = 8;
  const std::vector<cg::Particles<double>> boxes{p};
  std::vector<cg::Field<double>> none;
  EXPECT_THROW(cg::fit_ldl(m, boxes, none, {}), std::invalid_argument);
  std::vector<cg::Field<double>> wrong;
  wrong.emplace_back(cg::Decomposition(16));
  EXPECT_THROW(cg::fit_ldl(m, boxes, wrong, {}), std::invalid_argument);
}
