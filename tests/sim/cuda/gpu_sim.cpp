// gpu label: the full CUDA forward (final displacements and momenta) and gradient (dJ/dw and
// the 7 cosmological-parameter gradients) against DifferentiableSim on the CPU, for 32^3
// particles on a 64^3 mesh with 5 steps (2LPT, CIC, fd4), float and double. J is linear in the
// final state with random cotangents. Errors are max |gpu - cpu| / max |cpu|. Tolerances: fields
// 1e-5 (float) and 1e-9 (double); gradients 1e-4 (float) and 1e-8 (double). Exits 77 without a
// CUDA device.
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/pm/adjoint.hpp"
#include "sim/pm/cuda/cuda_sim.hpp"
#include "sim/pm/sim_spec.hpp"
#include "tests/sim/cuda/gpu_check.hpp"

namespace cs = cosmograd::sim;
namespace cc = cosmograd::sim::cuda;
using cosmograd::test::field_error;
using cosmograd::test::GpuCheck;
using cosmograd::test::max_rel_error;
using cosmograd::test::random_vector;

namespace {

/// 32^3 particles on a 64^3 mesh, 5 steps from a = 0.1, 2LPT.
cs::SimSpec small_config(cs::PaintKernel painter) {
  cs::SimSpec c;
  c.cosmology = cs::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.box_size = 64;
  c.particles = 32;
  c.mesh = 64;
  c.a_init = 0.1;
  c.steps = 5;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.painter = painter;
  c.threads = 0;
  c.fft_planning = cs::FftPlanning::estimate;
  return c;
}

template <class T>
void check_sim(GpuCheck& check, cs::PaintKernel painter) {
  const bool f = sizeof(T) == sizeof(float);
  const double field_tol = f ? 1e-5 : 1e-9, grad_tol = f ? 1e-4 : 1e-8;
  const std::string tag =
      std::string(f ? " [float, " : " [double, ") + cs::paint_kernel_name(painter) + "]";
  const cs::SimSpec c = small_config(painter);
  cs::DifferentiableSim<T> cpu(c);
  cc::CudaSim<T> gpu(c);
  const cs::Field<T> w = cpu.white_noise();
  check.expect_rel("white_noise() real space" + tag, field_error(gpu.white_noise(), w), field_tol);
  const cs::Particles<T>& p_cpu = cpu.forward(w);
  gpu.forward(w);
  cs::Particles<T> p_gpu;
  gpu.final_state(p_gpu);
  check.expect_rel("forward: final displacements" + tag,
                   max_rel_error(p_gpu.disp.data(), p_cpu.disp.data(), p_cpu.disp.size()),
                   field_tol);
  check.expect_rel("forward: final momenta" + tag,
                   max_rel_error(p_gpu.mom.data(), p_cpu.mom.data(), p_cpu.mom.size()), field_tol);

  const cs::StateCotangent<T> cot{random_vector<T>(p_cpu.disp.size(), 21),
                                  random_vector<T>(p_cpu.mom.size(), 22)};
  const cs::SimGradients<T> g_cpu = cpu.backward(cot);
  const cs::SimGradients<T> g_gpu = gpu.backward(cot);
  check.expect_rel("gradient: dJ/dw" + tag, field_error(g_gpu.noise, g_cpu.noise), grad_tol);
  for (int i = 0; i < cs::kNumCosmoParams; ++i) {
    check.expect_rel(
        std::string("gradient: dJ/d") + cs::cosmo_param_name(static_cast<cs::CosmoParam>(i)) + tag,
        max_rel_error(&g_gpu.cosmology[i], &g_cpu.cosmology[i], 1), grad_tol);
  }
  cs::Particles<T> back;
  gpu.final_state(back);
  check.expect_rel(
      "recovered initial displacements" + tag,
      max_rel_error(back.disp.data(), cpu.recovered_initial().disp.data(), back.disp.size()),
      10 * field_tol);
}

/// device = cuda through the public entry point: DifferentiableSim runs the CUDA engine and
/// gives CudaSim's numbers to the bit.
template <class T>
void check_device_dispatch(GpuCheck& check) {
  cs::SimSpec c = small_config(cs::PaintKernel::cic);
  c.device = cs::Device::cuda;
  cs::DifferentiableSim<T> via(c);
  cc::CudaSim<T> direct(c);
  const cs::Field<T> w = via.white_noise();
  check.expect_rel("DifferentiableSim(device = cuda): white noise",
                   field_error(w, direct.white_noise()), 0);
  const cs::Particles<T>& p = via.forward(w);
  direct.forward(w);
  cs::Particles<T> q;
  direct.final_state(q);
  check.expect_rel("DifferentiableSim(device = cuda): final displacements",
                   max_rel_error(p.disp.data(), q.disp.data(), q.disp.size()), 0);
  const cs::StateCotangent<T> cot{random_vector<T>(p.disp.size(), 31),
                                  random_vector<T>(p.mom.size(), 32)};
  const cs::SimGradients<T> g_via = via.backward(cot);
  const cs::SimGradients<T> g_direct = direct.backward(cot);
  check.expect_rel("DifferentiableSim(device = cuda): dJ/dw",
                   field_error(g_via.noise, g_direct.noise), 0);
  check.expect_rel(
      "DifferentiableSim(device = cuda): dJ/dtheta",
      max_rel_error(g_via.cosmology.data(), g_direct.cosmology.data(), g_direct.cosmology.size()),
      0);
}

}  // namespace

int main() {
  GpuCheck check("gpu_sim");
  check.skip_without_device();
  try {
    check_sim<float>(check, cs::PaintKernel::cic);
    check_sim<double>(check, cs::PaintKernel::cic);
    check_sim<float>(check, cs::PaintKernel::tsc);
    check_device_dispatch<float>(check);
  } catch (const std::exception& e) {
    check.expect(false, "exception", e.what());
  }
  return check.finish();
}
