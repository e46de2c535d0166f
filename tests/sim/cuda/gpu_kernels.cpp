// gpu label: every CUDA kernel against the CPU engine (float and double), then the CudaSim
// initial conditions and their vjp against lpt_particles_from_noise / lpt_vjp. Errors are
// max |gpu - cpu| / max |cpu|. Tolerances: fields 1e-5 (float) and 1e-10 (double); gradients
// 1e-4 (float) and 1e-9 (double); the Fourier white noise bitwise identical in float and within
// 1e-15 in double (the device's log/sin/cos may differ from glibc's by an ulp). Exits 77 without
// a CUDA device.
#include <cmath>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/cuda/cuda_sim.hpp"
#include "sim/pm/cuda/device_memory.hpp"
#include "sim/pm/cuda/kernels.hpp"
#include "sim/pm/cuda/pm_math.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/lpt.hpp"
#include "sim/pm/sim_spec.hpp"
#include "sim/pm/stepping.hpp"
#include "tests/sim/cuda/gpu_check.hpp"

namespace cs = cosmograd::sim;
namespace cc = cosmograd::sim::cuda;
using cosmograd::test::field_error;
using cosmograd::test::fill_random;
using cosmograd::test::GpuCheck;
using cosmograd::test::max_rel_error;
using cosmograd::test::random_vector;

namespace {

template <class T>
bool is_float() {
  return sizeof(T) == sizeof(float);
}
template <class T>
double field_tol() {
  return is_float<T>() ? 1e-5 : 1e-10;
}
template <class T>
double grad_tol() {
  return is_float<T>() ? 1e-4 : 1e-9;
}
template <class T>
std::string tag(const std::string& name) {
  return name + (is_float<T>() ? " [float]" : " [double]");
}

/// A device copy of a host field's padded buffer.
template <class T>
cc::DeviceBuffer<T> upload(const cs::Field<T>& f) {
  cc::DeviceBuffer<T> d(cc::padded_size(f.n()), "test field");
  d.upload(f.real());
  return d;
}
template <class T>
cc::DeviceBuffer<T> upload(const std::vector<T>& v) {
  cc::DeviceBuffer<T> d(v.size(), "test array");
  d.upload(v.data());
  return d;
}

/// Max relative error over the unpadded cells of a device mesh against a host field.
template <class T>
double mesh_error(const cc::DeviceBuffer<T>& d, const cs::Field<T>& cpu) {
  cs::Field<T> g(cpu.decomp());
  d.download(g.real());
  std::vector<double> a, b;
  const int n = cpu.n();
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        a.push_back(g.at(x, y, z));
        b.push_back(cpu.at(x, y, z));
      }
  return max_rel_error(a.data(), b.data(), a.size());
}

template <class T>
void check_white_noise(GpuCheck& check) {
  const int n = 32;
  const cs::Decomposition d(n);
  for (const cs::NoiseOptions o :
       {cs::NoiseOptions{42, false, false}, cs::NoiseOptions{7, true, true}}) {
    cs::Field<T> cpu(d);
    cs::fill_white_noise(cpu, o);
    cc::DeviceBuffer<T> dev(cc::padded_size(n), "noise");
    cc::fill_white_noise(dev.data(), n, o);
    cs::Field<T> gpu(d);
    dev.download(gpu.real());
    const std::size_t count = 2 * d.local_complex_size();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (std::memcmp(&gpu.real()[i], &cpu.real()[i], sizeof(T)) != 0) ++differ;
    }
    const std::string name = tag<T>("white noise (Fourier), seed " + std::to_string(o.seed));
    if (is_float<T>()) {
      check.expect(differ == 0, name + " bitwise",
                   std::to_string(differ) + " of " + std::to_string(count) + " values differ");
    } else {
      check.expect_rel(name + " (" + std::to_string(differ) + " not bitwise)",
                       max_rel_error(gpu.real(), cpu.real(), count), 1e-15);
    }
    // Real space (fill_white_noise_real): through cuFFT.
    const cs::Fft<T> fft(d, 1, cs::FftPlanning::estimate);
    cs::Field<T> cpu_real(d);
    cs::fill_white_noise_real(cpu_real, o, fft);
    cc::DeviceFft<T> dfft(n);
    dfft.backward(dev.data());
    cc::scale(dev.data(), cc::padded_size(n), static_cast<T>(cs::white_noise_scale(n)));
    check.expect_rel(tag<T>("white noise (real space)"), mesh_error(dev, cpu_real), field_tol<T>());
  }
}

template <class T>
void check_painters(GpuCheck& check) {
  const int n_side = 16, n_mesh = 32;
  const double box = 64;
  cs::Particles<T> p = cs::Particles<T>::lattice_grid(n_side, box);
  p.disp = random_vector<T>(3 * p.size(), 1, 3.0);
  const cc::ParticleMesh pm{n_side, n_mesh, box};
  const cc::DeviceBuffer<T> disp = upload(p.disp);
  const cs::Decomposition d(n_mesh);
  const std::vector<T> cot = random_vector<T>(3 * p.size(), 2);
  const cc::DeviceBuffer<T> dcot = upload(cot);
  for (cs::PaintKernel k : {cs::PaintKernel::cic, cs::PaintKernel::tsc, cs::PaintKernel::pcs}) {
    const std::string kn = cs::paint_kernel_name(k);
    const int order = cs::paint_order(k);
    // paint
    cs::Field<T> cpu(d);
    cs::paint(cpu, p, box, k, T(2), cc::kMeshShift);
    cc::DeviceBuffer<T> mesh(cc::padded_size(n_mesh), "mesh");
    mesh.zero();
    cc::paint(mesh.data(), pm, disp.data(), order, T(2), cc::kMeshShift);
    check.expect_rel(tag<T>("paint " + kn), mesh_error(mesh, cpu), field_tol<T>());
    // paint3_weighted
    cs::Field<T> c0(d), c1(d), c2(d);
    cs::Field<T>* cm[3] = {&c0, &c1, &c2};
    cs::paint3_weighted(cm, p, box, k, cot.data(), cc::kMeshShift);
    cc::DeviceBuffer<T> g0(cc::padded_size(n_mesh)), g1(cc::padded_size(n_mesh)),
        g2(cc::padded_size(n_mesh));
    g0.zero();
    g1.zero();
    g2.zero();
    T* gm[3] = {g0.data(), g1.data(), g2.data()};
    cc::paint3_weighted(gm, pm, disp.data(), order, dcot.data(), cc::kMeshShift);
    check.expect_rel(tag<T>("paint3_weighted " + kn),
                     std::max({mesh_error(g0, c0), mesh_error(g1, c1), mesh_error(g2, c2)}),
                     field_tol<T>());
    // readout3 and its position vjp
    cs::Field<T> a(d), b(d), c(d);
    fill_random(a, 3);
    fill_random(b, 4);
    fill_random(c, 5);
    const cs::Field<T>* f3[3] = {&a, &b, &c};
    std::vector<T> out_cpu(3 * p.size()), grad_cpu(3 * p.size(), T(0));
    cs::readout3(f3, p, box, k, out_cpu.data(), cc::kMeshShift);
    const double j_cpu =
        cs::readout3_vjp_positions(f3, p, box, k, cot.data(), grad_cpu.data(), cc::kMeshShift);
    const cc::DeviceBuffer<T> da = upload(a), db = upload(b), dc = upload(c);
    const T* dm[3] = {da.data(), db.data(), dc.data()};
    cc::DeviceBuffer<T> out(3 * p.size()), grad(3 * p.size());
    cc::readout3(dm, pm, disp.data(), order, out.data(), cc::kMeshShift);
    check.expect_rel(tag<T>("readout3 " + kn),
                     max_rel_error(out.to_host().data(), out_cpu.data(), out_cpu.size()),
                     field_tol<T>());
    grad.zero();
    cc::DeviceBuffer<double> j(1);
    j.zero();
    cc::readout3_vjp_positions(dm, pm, disp.data(), order, dcot.data(), grad.data(), cc::kMeshShift,
                               static_cast<T*>(nullptr), j.data());
    check.expect_rel(tag<T>("readout3_vjp_positions " + kn),
                     max_rel_error(grad.to_host().data(), grad_cpu.data(), grad_cpu.size()),
                     grad_tol<T>());
    const double j_gpu = j.to_host()[0];
    check.expect_rel(tag<T>("readout3_vjp_positions dot " + kn), max_rel_error(&j_gpu, &j_cpu, 1),
                     grad_tol<T>());
    // paint_vjp
    std::vector<T> pv_cpu(3 * p.size(), T(0));
    cs::paint_vjp(a, p, box, k, T(2), pv_cpu.data(), cc::kMeshShift);
    grad.zero();
    cc::paint_vjp(da.data(), pm, disp.data(), order, T(2), grad.data(), cc::kMeshShift);
    check.expect_rel(tag<T>("paint_vjp " + kn),
                     max_rel_error(grad.to_host().data(), pv_cpu.data(), pv_cpu.size()),
                     grad_tol<T>());
  }
}

/// The device force pipeline from the launchers (as CudaSim does it).
template <class T>
struct DeviceForce {
  cc::ParticleMesh pm;
  int order;
  T mass;
  cc::DeviceFft<T> fft;
  cc::DeviceBuffer<T> mesh[3];
  cc::DeviceBuffer<double> m2, grad, w2;
  cc::ForceTables tables;

  DeviceForce(const cc::ParticleMesh& p, const cs::ForceOptions& o, double omega_m)
      : pm(p),
        order(cs::paint_order(o.painter)),
        mass(static_cast<T>(std::pow(static_cast<double>(p.n_mesh), 3) / p.count())),
        fft(p.n_mesh) {
    const int n = p.n_mesh;
    std::vector<double> hm2(n), hg(n), hw2(n);
    for (int i = 0; i < n; ++i) {
      const int m = cc::signed_mode(i, n);
      hm2[i] = static_cast<double>(m) * m;
      hg[i] = cc::gradient_k(o.gradient == cs::GradientKernel::fd4, m, n, p.box);
      const double w = cc::window_1d(order, m, n);
      hw2[i] = o.deconvolve ? 1.0 / (w * w) : 1.0;
    }
    m2 = upload(hm2);
    grad = upload(hg);
    w2 = upload(hw2);
    const double kf = 2 * M_PI / p.box;
    tables = {m2.data(), grad.data(), w2.data(),
              1.5 * omega_m / (std::pow(static_cast<double>(n), 3) * kf * kf)};
    for (auto& m : mesh) m = cc::DeviceBuffer<T>(cc::padded_size(n), "force mesh");
  }
  void meshes(const T* disp) {
    mesh[2].zero();
    cc::paint(mesh[2].data(), pm, disp, order, mass, cc::kMeshShift);
    fft.forward(mesh[2].data());
    cc::force_modes(mesh[2].data(), mesh[0].data(), mesh[1].data(), pm.n_mesh, tables);
    for (auto& m : mesh) fft.backward(m.data());
  }
  const T* const* ptrs(const T** out) const {
    for (int d = 0; d < 3; ++d) out[d] = mesh[d].data();
    return out;
  }
};

template <class T>
void check_force(GpuCheck& check) {
  const int n_side = 16, n_mesh = 32;
  const double box = 64, omega_m = 0.3;
  cs::Particles<T> p = cs::Particles<T>::lattice_grid(n_side, box);
  p.disp = random_vector<T>(3 * p.size(), 7, 2.0);
  const cc::DeviceBuffer<T> disp = upload(p.disp);
  const std::vector<T> cot = random_vector<T>(3 * p.size(), 8);
  const cc::DeviceBuffer<T> dcot = upload(cot);
  for (cs::PaintKernel k : {cs::PaintKernel::cic, cs::PaintKernel::tsc, cs::PaintKernel::pcs}) {
    for (bool deconvolve : {false, true}) {
      for (cs::GradientKernel gk : {cs::GradientKernel::fd4, cs::GradientKernel::exact}) {
        const cs::ForceOptions o{k, gk, deconvolve};
        const std::string name = std::string("force ") + cs::paint_kernel_name(k) + " " +
                                 cs::gradient_kernel_name(gk) + (deconvolve ? " deconv" : "");
        cs::Gravity<T> gravity(n_mesh, box, 1, cs::FftPlanning::estimate, o);
        std::vector<T> acc_cpu;
        gravity.accelerations(p, omega_m, p.size(), acc_cpu);
        DeviceForce<T> f({n_side, n_mesh, box}, o, omega_m);
        f.meshes(disp.data());
        cc::DeviceBuffer<T> acc(3 * p.size());
        const T* m[3];
        cc::readout3(f.ptrs(m), f.pm, disp.data(), f.order, acc.data(), cc::kMeshShift);
        check.expect_rel(tag<T>(name),
                         max_rel_error(acc.to_host().data(), acc_cpu.data(), acc_cpu.size()),
                         field_tol<T>());
        // The vjp (as CudaSim::accelerations_vjp).
        std::vector<T> grad_cpu(3 * p.size(), T(0));
        const double dom_cpu =
            gravity.accelerations_vjp(p, omega_m, p.size(), cot, grad_cpu, nullptr);
        cc::DeviceBuffer<T> grad(3 * p.size());
        grad.zero();
        cc::DeviceBuffer<double> j(1);
        j.zero();
        f.meshes(disp.data());
        cc::readout3_vjp_positions(f.ptrs(m), f.pm, disp.data(), f.order, dcot.data(), grad.data(),
                                   cc::kMeshShift, acc.data(), j.data());
        for (auto& mm : f.mesh) mm.zero();
        T* wm[3] = {f.mesh[0].data(), f.mesh[1].data(), f.mesh[2].data()};
        cc::paint3_weighted(wm, f.pm, disp.data(), f.order, dcot.data(), cc::kMeshShift);
        for (auto& mm : f.mesh) f.fft.forward(mm.data());
        cc::force_vjp_modes(f.mesh[0].data(), f.mesh[1].data(), f.mesh[2].data(), n_mesh, f.tables);
        f.fft.backward(f.mesh[2].data());
        cc::paint_vjp(f.mesh[2].data(), f.pm, disp.data(), f.order, f.mass, grad.data(),
                      cc::kMeshShift);
        check.expect_rel(tag<T>(name + " vjp"),
                         max_rel_error(grad.to_host().data(), grad_cpu.data(), grad_cpu.size()),
                         grad_tol<T>());
        const double dom_gpu = j.to_host()[0] / omega_m;
        check.expect_rel(tag<T>(name + " vjp dJ/dOmega_m"), max_rel_error(&dom_gpu, &dom_cpu, 1),
                         grad_tol<T>());
      }
    }
  }
}

template <class T>
void check_integrator(GpuCheck& check) {
  const std::size_t n = 3 * 4096;
  cs::Particles<T> p = cs::Particles<T>::lattice_grid(16, 64);
  p.disp = random_vector<T>(n, 9);
  p.mom = random_vector<T>(n, 10);
  const std::vector<T> acc = random_vector<T>(n, 11);
  cc::DeviceBuffer<T> disp = upload(p.disp), mom = upload(p.mom);
  const cc::DeviceBuffer<T> dacc = upload(acc);
  cs::kick(p, acc, 0.37);
  cs::drift(p, -1.3);
  cc::kick(mom.data(), dacc.data(), 0.37, n);
  cc::drift(disp.data(), mom.data(), -1.3, n);
  check.expect_rel(tag<T>("kick"), max_rel_error(mom.to_host().data(), p.mom.data(), n),
                   field_tol<T>());
  check.expect_rel(tag<T>("drift"), max_rel_error(disp.to_host().data(), p.disp.data(), n),
                   field_tol<T>());
  cc::DeviceBuffer<double> s(1);
  s.zero();
  cc::dot(disp.data(), mom.data(), n, s.data());
  double want = 0;
  for (std::size_t i = 0; i < n; ++i) want += static_cast<double>(p.disp[i]) * p.mom[i];
  const double got = s.to_host()[0];
  check.expect_rel(tag<T>("dot"), max_rel_error(&got, &want, 1), 1e-12);
  std::vector<T> ax(n);
  const T fa = static_cast<T>(0.5), fb = static_cast<T>(-2.0);
  for (std::size_t i = 0; i < n; ++i) ax[i] = fa * p.disp[i] + fb * p.mom[i];
  cc::axpby(0.5, disp.data(), -2.0, mom.data(), disp.data(), n);
  check.expect_rel(tag<T>("axpby"), max_rel_error(disp.to_host().data(), ax.data(), n),
                   field_tol<T>());
}

/// A small configuration: n_side^3 particles, mesh^3 cells, `steps` steps.
cs::SimSpec small_config(int n_side, int mesh, int steps, int order) {
  cs::SimSpec c;
  c.cosmology = cs::planck2015();
  c.transfer.name = "eisenstein_hu";
  c.box_size = 2.0 * n_side;
  c.particles = n_side;
  c.mesh = mesh;
  c.a_init = 0.1;
  c.steps = steps;
  c.z_out = {0.0};
  c.lpt_order = order;
  c.threads = 1;
  c.fft_planning = cs::FftPlanning::estimate;
  c.device = cs::Device::cuda;
  return c;
}

template <class T>
void check_lpt(GpuCheck& check) {
  for (int order : {1, 2}) {
    const cs::SimSpec c = small_config(32, 64, 2, order);
    cc::CudaSim<T> sim(c);
    const cs::Field<T> w = sim.white_noise();
    const cs::Decomposition d(c.particles);
    const cs::Fft<T> fft(d, 1, cs::FftPlanning::estimate);
    const cs::Cosmology cosmo(c.cosmology);
    const auto linear = cs::make_linear_power<double>(c.transfer.name, cosmo);
    const double a = c.time_grid().front();
    const cs::Particles<T> cpu =
        cs::lpt_particles_from_noise(w, c.box_size, order, cosmo, *linear, a, fft);
    sim.initial_conditions(w);
    cs::Particles<T> gpu;
    sim.final_state(gpu);
    const std::string o = " (order " + std::to_string(order) + ")";
    check.expect_rel(tag<T>("lpt displacements" + o),
                     max_rel_error(gpu.disp.data(), cpu.disp.data(), cpu.disp.size()),
                     field_tol<T>());
    check.expect_rel(tag<T>("lpt momenta" + o),
                     max_rel_error(gpu.mom.data(), cpu.mom.data(), cpu.mom.size()), field_tol<T>());
    cs::StateCotangent<T> cot{random_vector<T>(cpu.disp.size(), 12),
                              random_vector<T>(cpu.mom.size(), 13)};
    const cs::CosmologyDual cosmo_dual(cs::seed_duals(c.cosmology));
    const auto linear_dual = cs::make_linear_power<cs::CosmoDual>(c.transfer.name, cosmo_dual);
    const cs::LptGradients<T> g_cpu =
        cs::lpt_vjp(w, c.box_size, order, cosmo_dual, *linear_dual, a, cot.disp, cot.mom, fft);
    const cs::SimGradients<T> g_gpu = sim.initial_conditions_vjp(cot);
    check.expect_rel(tag<T>("lpt_vjp dJ/dw" + o), field_error(g_gpu.noise, g_cpu.noise),
                     grad_tol<T>());
    for (int i = 0; i < cs::kNumCosmoParams; ++i) {
      check.expect_rel(tag<T>(std::string("lpt_vjp dJ/d") +
                              cs::cosmo_param_name(static_cast<cs::CosmoParam>(i)) + o),
                       max_rel_error(&g_gpu.cosmology[i], &g_cpu.cosmology[i], 1), grad_tol<T>());
    }
  }
}

}  // namespace

int main() {
  GpuCheck check("gpu_kernels");
  check.skip_without_device();
  try {
    check_white_noise<float>(check);
    check_white_noise<double>(check);
    check_painters<float>(check);
    check_painters<double>(check);
    check_force<float>(check);
    check_force<double>(check);
    check_integrator<float>(check);
    check_integrator<double>(check);
    check_lpt<float>(check);
    check_lpt<double>(check);
  } catch (const std::exception& e) {
    check.expect(false, "exception", e.what());
  }
  return check.finish();
}
