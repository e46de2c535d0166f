// The one PM algorithm (sim/pm/stepping.hpp): the step schedule, observers of grid points and
// drifts (forward and their cotangents in the reverse pass, against finite differences), and
// the reusable engine (set_cosmology() gives a fresh engine's numbers bitwise).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "sim/pm/adjoint.hpp"
#include "sim/pm/step_schedule.hpp"
#include "tests/sim/gradcheck.hpp"

namespace cg = cosmograd::sim;

namespace {

cg::SimSpec small_config(int steps) {
  cg::SimSpec c;
  c.cosmology = cg::planck2015();
  c.transfer = {"eisenstein_hu", ""};
  c.particles = 8;
  c.mesh = 16;
  c.box_size = 32.0;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.threads = 1;
  c.fft_planning = cg::FftPlanning::estimate;
  return c;
}

std::vector<double> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> v(n);
  for (double& x : v) x = g(rng);
  return v;
}

/// Records every grid point and drift it sees.
class Recorder final : public cg::StepObserver<double> {
 public:
  bool wants_state(int) const override { return true; }
  bool wants_drifts() const override { return true; }
  void on_state(const cg::StepInfo& info, const cg::Particles<double>& p) override {
    states.push_back(info.step);
    disp.push_back(p.disp);
  }
  void on_drift(const cg::DriftInfo& info, const cg::Particles<double>& p) override {
    drifts.push_back(info);
    std::vector<double> x0(p.disp);  // x(a0) = x(a1) - D p(ah)
    for (std::size_t i = 0; i < x0.size(); ++i) x0[i] -= info.factor * p.mom[i];
    drift_start.push_back(x0);
  }
  std::vector<int> states;
  std::vector<std::vector<double>> disp, drift_start;
  std::vector<cg::DriftInfo> drifts;
};

/// J = sum_i 0.5 disp_i^2 + c . mom at grid point `step` (reads the state, nonlinear) plus
/// c_d . x(a1) + c_d . p(ah) at the drift of step `drift_step`.
class NonlinearTerms final : public cg::StepObserver<double> {
 public:
  NonlinearTerms(int step, int drift_step, std::vector<double> c, std::vector<double> c_d)
      : step_(step), drift_step_(drift_step), c_(std::move(c)), c_d_(std::move(c_d)) {}
  bool wants_state(int step) const override { return step == step_; }
  bool wants_drifts() const override { return true; }
  bool has_state_cotangent(int step) const override { return step == step_; }
  bool has_drift_cotangent() const override { return true; }
  void on_state(const cg::StepInfo&, const cg::Particles<double>& p) override {
    for (std::size_t i = 0; i < p.disp.size(); ++i) {
      j += 0.5 * p.disp[i] * p.disp[i] + c_[i] * p.mom[i];
    }
  }
  void on_drift(const cg::DriftInfo& info, const cg::Particles<double>& p) override {
    if (info.step != drift_step_) return;
    for (std::size_t i = 0; i < p.disp.size(); ++i) j += c_d_[i] * (p.disp[i] + p.mom[i]);
  }
  void state_cotangent(int, const cg::Particles<double>& p,
                       cg::StateCotangent<double>& cot) override {
    for (std::size_t i = 0; i < p.disp.size(); ++i) {
      cot.disp[i] += p.disp[i];
      cot.mom[i] += c_[i];
    }
  }
  void drift_cotangent(const cg::DriftInfo& info, const cg::Particles<double>&,
                       cg::StateCotangent<double>& cot) override {
    if (info.step != drift_step_) return;
    for (std::size_t i = 0; i < cot.disp.size(); ++i) {
      cot.disp[i] += c_d_[i];
      cot.mom[i] += c_d_[i];
    }
  }
  double j = 0;

 private:
  int step_, drift_step_;
  std::vector<double> c_, c_d_;
};

std::vector<double> field_values(const cg::Field<double>& f) {
  std::vector<double> v;
  for (int x = 0; x < f.n(); ++x)
    for (int y = 0; y < f.n(); ++y)
      for (int z = 0; z < f.n(); ++z) v.push_back(f.at(x, y, z));
  return v;
}

cg::Field<double> field_of(const std::vector<double>& v, int n) {
  cg::Field<double> f{cg::Decomposition(n)};
  std::size_t i = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) f.at(x, y, z) = v[i++];
  return f;
}

}  // namespace

TEST(StepSchedule, FactorsAreTheKickAndDriftFactorsOfEachStep) {
  const cg::SimSpec c = small_config(4);
  const cg::Cosmology cosmo(c.cosmology);
  const cg::CosmologyDual dual(cg::seed_duals(c.cosmology));
  const cg::StepSchedule s(cosmo, dual, c.time_grid());
  ASSERT_EQ(s.steps(), 4);
  for (int i = 0; i < s.steps(); ++i) {
    const double a0 = s.a(i), a1 = s.a(i + 1), ah = std::sqrt(a0 * a1);
    EXPECT_EQ(s[i].ah, ah);
    EXPECT_EQ(s[i].kick1.v, cg::kick_factor(cosmo, a0, ah, a0));  // bitwise: the same call
    EXPECT_EQ(s[i].drift.v, cg::drift_factor(cosmo, a0, a1, ah));
    EXPECT_EQ(s[i].kick2.v, cg::kick_factor(cosmo, ah, a1, a1));
    const cg::CosmoDual d = cg::drift_factor(dual, a0, a1, ah);
    for (int k = 0; k < cg::kNumCosmoParams; ++k) EXPECT_EQ(s[i].drift.d[k], d.d[k]);
  }
  EXPECT_EQ(s.step_at(s.a(2), "x"), 2);
  try {
    s.step_at(0.33, "the output z_out");
    FAIL() << "an a off the grid was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the output z_out at a = 0.33 is not on the time grid"),
              std::string::npos)
        << e.what();
  }
}

TEST(Stepping, ObserversSeeEveryGridPointAndBothEndsOfEveryDrift) {
  const cg::SimSpec c = small_config(3);
  cg::DifferentiableSim<double> sim(c);
  Recorder rec;
  sim.forward(sim.white_noise(), {&rec});
  ASSERT_EQ(rec.states, (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(rec.drifts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rec.drifts[i].step, i);
    EXPECT_EQ(rec.drifts[i].a0, sim.schedule().a(i));
    EXPECT_EQ(rec.drifts[i].a1, sim.schedule().a(i + 1));
    // x(a0) from the drift's end equals the state seen at grid point i (to rounding).
    double worst = 0;
    for (std::size_t k = 0; k < rec.disp[i].size(); ++k) {
      worst = std::max(worst, std::abs(rec.drift_start[i][k] - rec.disp[i][k]));
    }
    EXPECT_LT(worst, 1e-12) << "drift " << i;
  }
}

TEST(Stepping, ObserverCotangentsMatchFiniteDifferences) {
  // J = final-state term + a nonlinear term at an intermediate grid point that reads the
  // state (so the adjoint must recover p(a_j) exactly) + a drift term; gradient w.r.t. the
  // white noise, adjoint and checkpoint modes, against central differences (1e-6, double).
  // TSC: its force is smooth in the positions, so the differences do not cross CIC's kinks.
  cg::SimSpec c = small_config(4);
  c.painter = cg::PaintKernel::tsc;
  const std::size_t m = 3 * 512;
  const std::vector<double> c_final = random_vector(m, 1), c_state = random_vector(m, 2),
                            c_drift = random_vector(m, 3);
  for (auto mode : {cg::GradientMode::adjoint, cg::GradientMode::checkpoint}) {
    cg::DifferentiableSim<double> sim(c, mode, 3);
    auto objective = [&](const cg::Field<double>& w, bool grad, std::vector<double>* gw) {
      NonlinearTerms terms(2, 1, c_state, c_drift);
      const cg::Particles<double>& p = sim.forward(w, {&terms});
      double j = terms.j;
      for (std::size_t i = 0; i < m; ++i) j += c_final[i] * p.disp[i];
      if (grad) {
        const cg::SimGradients<double> g =
            sim.backward({c_final, std::vector<double>(m, 0.0)}, {}, {&terms});
        *gw = field_values(g.noise);
      }
      return j;
    };
    const cg::Field<double> w0 = sim.white_noise();
    std::vector<double> gw;
    objective(w0, true, &gw);
    auto f = [&](const std::vector<double>& x) {
      return std::vector<double>{objective(field_of(x, 8), false, nullptr)};
    };
    auto vjp = [&](const std::vector<double>&, const std::vector<double>& ct) {
      std::vector<double> out(gw);
      for (double& v : out) v *= ct[0];
      return out;
    };
    EXPECT_LT(cosmograd::testing::check_vjp(f, vjp, field_values(w0), 3, 1e-5).max_rel_error, 1e-6)
        << (mode == cg::GradientMode::adjoint ? "adjoint" : "checkpoint");
  }
}

TEST(Stepping, SetCosmologyGivesAFreshEnginesNumbersBitwise) {
  const cg::SimSpec c = small_config(3);
  cg::SimSpec c2 = c;
  c2.cosmology.Omega_m = 0.35;
  c2.cosmology.sigma8 = 0.75;
  cg::DifferentiableSim<double> reused(c), fresh(c2);
  const cg::Field<double> w = reused.white_noise();
  reused.forward(w);  // a run at the first parameters, then switch
  reused.set_cosmology(c2.cosmology);
  const cg::Particles<double> a = reused.forward(w);
  const cg::Particles<double>& b = fresh.forward(w);
  EXPECT_EQ(a.disp, b.disp);
  EXPECT_EQ(a.mom, b.mom);
  const std::size_t m = a.disp.size();
  const cg::StateCotangent<double> cot{random_vector(m, 4), random_vector(m, 5)};
  const cg::SimGradients<double> ga = reused.backward(cot), gb = fresh.backward(cot);
  EXPECT_EQ(field_values(ga.noise), field_values(gb.noise));
  for (int i = 0; i < cg::kNumCosmoParams; ++i) EXPECT_EQ(ga.cosmology[i], gb.cosmology[i]);
  cg::CosmologyParams bad = c2.cosmology;
  bad.Omega_m = -0.1;
  EXPECT_THROW(reused.set_cosmology(bad), std::invalid_argument);
}
