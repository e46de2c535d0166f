// Numerical guards (issue 28): a NaN or Inf in the momenta, the positions or the adjoint's
// cotangents stops the stepping with an error naming the step, the quantity and the particle.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "sim/core/non_finite.hpp"
#include "sim/pm/cpu_backend.hpp"
#include "sim/pm/step_schedule.hpp"

namespace cg = cosmograd::sim;

namespace {

/// Six steps from a = 0.1 to 1 of an 8^3 lattice on a 16^3 mesh in 32 Mpc/h.
struct Small {
  cg::Cosmology cosmology{cg::planck2015()};
  cg::StepSchedule schedule{cosmology, std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0}};
  cg::Gravity<float> gravity{16, 32.0, 1, cg::FftPlanning::estimate, cg::ForceOptions{}};
  cg::Particles<float> particles = cg::Particles<float>::lattice_grid(8, 32.0);
};

/// what() of the NonFiniteError `fn` throws ("" if none).
template <class Fn>
std::string non_finite_error(Fn&& fn) {
  try {
    fn();
  } catch (const cg::NonFiniteError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(NonFinite, FirstNonFiniteFindsNanAndInf) {
  std::vector<double> v{1, 2, 3, 4};
  EXPECT_EQ(cg::first_non_finite(v), 4u);
  v[2] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(cg::first_non_finite(v), 2u);
  v[1] = std::nan("");
  EXPECT_EQ(cg::first_non_finite(v), 1u);
  // Three values per particle: value 1 is coordinate 1 of particle 0.
  EXPECT_EQ(cg::describe_first_non_finite(v, {42}, "the momentum"),
            "the momentum of particle 0 (lattice id 42) is nan in coordinate 1");
  EXPECT_EQ(cg::describe_first_non_finite(std::vector<float>{1, 2, 3}, {0}, "x"), "");
}

TEST(NonFinite, NanMomentumStopsAtTheNextForceNamingStepAndParticle) {
  Small s;
  s.particles.mom[3 * 37 + 1] = std::nanf("");  // drifts particle 37 to a NaN position
  const std::string what = non_finite_error(
      [&] { cg::evolve(s.particles, s.gravity, s.schedule, s.cosmology.params().Omega_m); });
  EXPECT_NE(what.find("step 1 of 6 (a = 0.1 to 0.2): the position"), std::string::npos) << what;
  EXPECT_NE(what.find("position of particle 37 is not finite"), std::string::npos) << what;
  EXPECT_NE(what.find("its lattice id is 37"), std::string::npos) << what;
  EXPECT_NE(what.find("momentum (0, nan"), std::string::npos) << what;
}

TEST(NonFinite, InfiniteDisplacementLaterInTheRunNamesItsStep) {
  // An observer that breaks particle 5 after step 3: the error names step 4.
  struct Breaker final : cg::StepObserver<float> {
    cg::Particles<float>* p = nullptr;
    bool wants_state(int step) const override { return step == 3; }
    void on_state(const cg::StepInfo&, const cg::Particles<float>&) override {
      p->disp[3 * 5] = std::numeric_limits<float>::infinity();
    }
  };
  Small s;
  const std::size_t total = s.particles.size();
  cg::CpuBackend<float> backend(s.gravity, total, s.cosmology.params().Omega_m);
  backend.state() = s.particles;
  Breaker breaker;
  breaker.p = &backend.state();
  cg::KdkStepper<float> stepper(backend);
  const std::string what = non_finite_error([&] { stepper.forward(s.schedule, {&breaker}); });
  EXPECT_NE(what.find("step 4 of 6"), std::string::npos) << what;
  EXPECT_NE(what.find("particle 5 is not finite (inf"), std::string::npos) << what;
}

TEST(NonFinite, NanCotangentStopsTheAdjointNamingTheGradient) {
  Small s;
  cg::CpuBackend<float> backend(s.gravity, s.particles.size(), s.cosmology.params().Omega_m);
  backend.state() = s.particles;
  cg::KdkStepper<float> stepper(backend);
  stepper.forward(s.schedule);
  cg::StateCotangent<float> c{std::vector<float>(3 * s.particles.size(), 0.0f),
                              std::vector<float>(3 * s.particles.size(), 0.0f)};
  c.disp[3 * 11 + 2] = std::nanf("");
  backend.set_cotangent(c);
  const std::string what = non_finite_error([&] { stepper.backward(s.schedule); });
  EXPECT_NE(what.find("the adjoint of step"), std::string::npos) << what;
  EXPECT_NE(what.find("cotangent (gradient)"), std::string::npos) << what;
  EXPECT_NE(what.find("is nan"), std::string::npos) << what;
}

TEST(NonFinite, ResumedForwardContinuesBitwise) {
  // The restart's contract (driver/restart.hpp): the state after step k, stepped on from
  // grid point k by a fresh backend, ends bitwise where the uninterrupted run ends.
  struct Keep final : cg::StepObserver<float> {
    cg::Particles<float> at3;
    bool wants_state(int step) const override { return step == 3; }
    void on_state(const cg::StepInfo&, const cg::Particles<float>& p) override { at3 = p; }
  };
  Small s;
  Keep keep;
  cg::Particles<float> whole = s.particles;
  cg::evolve(whole, s.gravity, s.schedule, s.cosmology.params().Omega_m, {&keep});
  cg::Particles<float> resumed = keep.at3;
  cg::Gravity<float> fresh(16, 32.0, 1, cg::FftPlanning::estimate, cg::ForceOptions{});
  cg::evolve(resumed, fresh, s.schedule, s.cosmology.params().Omega_m, {}, 3);
  EXPECT_EQ(resumed.disp, whole.disp);
  EXPECT_EQ(resumed.mom, whole.mom);
  EXPECT_EQ(resumed.id, whole.id);
}
