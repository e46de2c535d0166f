// The CUDA backend's per-element math (sim/pm/cuda/pm_math.hpp) on the CPU against the CPU engine:
// the same functions the kernels call, driven by host loops that follow the kernels (paint,
// readout and their vjps per window; the force and its vjp through the Fourier kernels; the
// 2LPT initial conditions). Runs without a GPU. Tolerances: relative to the largest value,
// 2e-5 in float (summation order differs) and 1e-11 in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/cuda/pm_math.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/lpt.hpp"
#include "tests/sim/cuda/compare.hpp"

namespace cs = cosmograd::sim;
namespace cc = cosmograd::sim::cuda;
using cosmograd::test::field_error;
using cosmograd::test::fill_random;
using cosmograd::test::max_rel_error;
using cosmograd::test::random_particles;

namespace {

template <class T>
double tol() {
  return sizeof(T) == sizeof(float) ? 2e-5 : 1e-11;
}

struct PlainAdd {
  template <class T>
  void operator()(T* p, T v) const {
    *p += v;
  }
};

/// Cell coordinates of particle j as the kernels compute them.
template <class T>
void position(const cs::Particles<T>& p, int n_mesh, std::size_t j, double shift, double* u) {
  const double inv_cell = n_mesh / p.box_size;
  cc::lattice_position(j, p.n_side, p.box_size / p.n_side * inv_cell, inv_cell, &p.disp[3 * j],
                       shift, u);
}

/// Calls f(std::integral_constant<int, P>) for a window.
template <class F>
void with_order(cs::PaintKernel k, F f) {
  switch (k) {
    case cs::PaintKernel::cic:
      return f(std::integral_constant<int, 2>());
    case cs::PaintKernel::tsc:
      return f(std::integral_constant<int, 3>());
    case cs::PaintKernel::pcs:
      return f(std::integral_constant<int, 4>());
  }
}

/// The kernels' paint (scatter_point per particle) on the host.
template <class T>
void host_paint(cs::Field<T>& mesh, const cs::Particles<T>& p, cs::PaintKernel k, T mass,
                double shift) {
  with_order(k, [&](auto order) {
    T* meshes[1] = {mesh.real()};
    for (std::size_t j = 0; j < p.size(); ++j) {
      double u[3];
      position(p, mesh.n(), j, shift, u);
      cc::scatter_point<decltype(order)::value, 1>(meshes, mesh.n(), u, &mass, PlainAdd());
    }
  });
}

/// The kernels' readout3 / readout3_vjp_positions / paint_vjp (gather_point) on the host:
/// M meshes, cotangent per particle (or the constant c0 when cot is null).
template <int M, class T>
void host_gather(const cs::Field<T>* const* f, const cs::Particles<T>& p, cs::PaintKernel k,
                 const T* cot, T c0, T* out, T* grad, double shift) {
  with_order(k, [&](auto order) {
    const T* meshes[3] = {f[0]->real(), f[M > 1 ? 1 : 0]->real(), f[M > 1 ? 2 : 0]->real()};
    const int n = f[0]->n();
    const T to_mpc = static_cast<T>(n / p.box_size);
    for (std::size_t j = 0; j < p.size(); ++j) {
      double u[3];
      position(p, n, j, shift, u);
      T c[M], v[M], g[3];
      for (int m = 0; m < M; ++m) c[m] = cot == nullptr ? c0 : cot[3 * j + m];
      cc::gather_point<decltype(order)::value, M, true>(meshes, n, u, v, c, g);
      if (grad != nullptr) {
        for (int d = 0; d < 3; ++d) grad[3 * j + d] += to_mpc * g[d];
      }
      if (out != nullptr) {
        for (int m = 0; m < M; ++m) out[3 * j + m] = v[m];
      }
    }
  });
}

const cs::PaintKernel kKernels[] = {cs::PaintKernel::cic, cs::PaintKernel::tsc,
                                    cs::PaintKernel::pcs};

template <class T>
void check_paint_and_readout() {
  const double box = 100;
  const int n_mesh = 16;
  const cs::Particles<T> p = random_particles<T>(8, box, 9.0, 3);
  const cs::Decomposition d(n_mesh);
  for (cs::PaintKernel k : kKernels) {
    for (double shift : {0.0, 0.5}) {
      cs::Field<T> cpu(d), host(d);
      cs::paint(cpu, p, box, k, T(1.5), shift);
      host_paint(host, p, k, T(1.5), shift);
      EXPECT_LE(field_error(host, cpu), tol<T>()) << "paint " << cs::paint_kernel_name(k);

      cs::Field<T> a(d), b(d), c(d);
      fill_random(a, 1);
      fill_random(b, 2);
      fill_random(c, 3);
      const cs::Field<T>* f3[3] = {&a, &b, &c};
      std::vector<T> cot(3 * p.size());
      std::mt19937_64 rng(11);
      std::normal_distribution<double> g;
      for (T& v : cot) v = static_cast<T>(g(rng));
      std::vector<T> out_cpu(3 * p.size()), grad_cpu(3 * p.size(), T(0));
      std::vector<T> out_host(3 * p.size()), grad_host(3 * p.size(), T(0));
      cs::readout3_vjp_positions(f3, p, box, k, cot.data(), grad_cpu.data(), shift, out_cpu.data());
      host_gather<3>(f3, p, k, cot.data(), T(0), out_host.data(), grad_host.data(), shift);
      EXPECT_LE(max_rel_error(out_host.data(), out_cpu.data(), out_cpu.size()), tol<T>())
          << "readout3 " << cs::paint_kernel_name(k);
      EXPECT_LE(max_rel_error(grad_host.data(), grad_cpu.data(), grad_cpu.size()), tol<T>())
          << "readout3 vjp " << cs::paint_kernel_name(k);

      std::vector<T> pv_cpu(3 * p.size(), T(0)), pv_host(3 * p.size(), T(0));
      cs::paint_vjp(a, p, box, k, T(1.5), pv_cpu.data(), shift);
      const cs::Field<T>* f1[1] = {&a};
      host_gather<1>(f1, p, k, static_cast<const T*>(nullptr), T(1.5), static_cast<T*>(nullptr),
                     pv_host.data(), shift);
      EXPECT_LE(max_rel_error(pv_host.data(), pv_cpu.data(), pv_cpu.size()), tol<T>())
          << "paint_vjp " << cs::paint_kernel_name(k);

      // paint3_weighted through scatter_point with three masses.
      cs::Field<T> w0(d), w1(d), w2(d), h0(d), h1(d), h2(d);
      cs::Field<T>* wc[3] = {&w0, &w1, &w2};
      cs::paint3_weighted(wc, p, box, k, cot.data(), shift);
      with_order(k, [&](auto order) {
        T* hm[3] = {h0.real(), h1.real(), h2.real()};
        for (std::size_t j = 0; j < p.size(); ++j) {
          double u[3];
          position(p, n_mesh, j, shift, u);
          cc::scatter_point<decltype(order)::value, 3>(hm, n_mesh, u, &cot[3 * j], PlainAdd());
        }
      });
      EXPECT_LE(field_error(h0, w0), tol<T>());
      EXPECT_LE(field_error(h2, w2), tol<T>());
    }
  }
}

/// The kernels' force pipeline (paint, r2c, force_mode, c2r, readout) on the host.
template <class T>
std::vector<T> host_accelerations(const cs::Particles<T>& p, int n, double box,
                                  const cs::ForceOptions& o, double omega_m) {
  const cs::Decomposition d(n);
  const cs::Fft<T> fft(d, 1, cs::FftPlanning::estimate);
  cs::Field<T> rho(d), fx(d), fy(d);
  const T mass = static_cast<T>(std::pow(static_cast<double>(n), 3) / p.size());
  host_paint(rho, p, o.painter, mass, cc::kMeshShift);
  fft.forward(rho);
  std::vector<double> m2(n), g(n), w2(n);
  for (int i = 0; i < n; ++i) {
    const int m = cc::signed_mode(i, n);
    m2[i] = static_cast<double>(m) * m;
    g[i] = cc::gradient_k(o.gradient == cs::GradientKernel::fd4, m, n, box);
    const double w = cc::window_1d(cs::paint_order(o.painter), m, n);
    w2[i] = o.deconvolve ? 1.0 / (w * w) : 1.0;
  }
  const double kf = 2.0 * M_PI / box;
  const double poisson = 1.5 * omega_m / (std::pow(static_cast<double>(n), 3) * kf * kf);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z <= n / 2; ++z) {
        const double s = cc::force_scale(poisson, m2[x], m2[y], m2[z], w2[x], w2[y], w2[z]);
        const std::complex<T> v = rho.mode(x, y, z);
        T re, im;
        cc::force_mode(g[x], s, v.real(), v.imag(), &re, &im);
        fx.mode(x, y, z) = {re, im};
        cc::force_mode(g[y], s, v.real(), v.imag(), &re, &im);
        fy.mode(x, y, z) = {re, im};
        cc::force_mode(g[z], s, v.real(), v.imag(), &re, &im);
        rho.mode(x, y, z) = {re, im};
      }
  fft.backward(fx);
  fft.backward(fy);
  fft.backward(rho);
  std::vector<T> acc(3 * p.size());
  const cs::Field<T>* f3[3] = {&fx, &fy, &rho};
  host_gather<3>(f3, p, o.painter, static_cast<const T*>(nullptr), T(0), acc.data(),
                 static_cast<T*>(nullptr), cc::kMeshShift);
  return acc;
}

template <class T>
void check_force() {
  const double box = 64, omega_m = 0.31;
  const int n = 16;
  const cs::Particles<T> p = random_particles<T>(8, box, 3.0, 5);
  for (cs::PaintKernel k : kKernels) {
    for (cs::GradientKernel gk : {cs::GradientKernel::fd4, cs::GradientKernel::exact}) {
      for (bool deconvolve : {false, true}) {
        const cs::ForceOptions o{k, gk, deconvolve};
        cs::Gravity<T> gravity(n, box, 1, cs::FftPlanning::estimate, o);
        std::vector<T> cpu;
        gravity.accelerations(p, omega_m, p.size(), cpu);
        const std::vector<T> host = host_accelerations(p, n, box, o, omega_m);
        EXPECT_LE(max_rel_error(host.data(), cpu.data(), cpu.size()), 10 * tol<T>())
            << cs::paint_kernel_name(k) << " " << cs::gradient_kernel_name(gk) << " " << deconvolve;
      }
    }
  }
}

TEST(CudaMath, WindowsMatchCpuPainterFloat) { check_paint_and_readout<float>(); }
TEST(CudaMath, WindowsMatchCpuPainterDouble) { check_paint_and_readout<double>(); }
TEST(CudaMath, ForceKernelsMatchGravityFloat) { check_force<float>(); }
TEST(CudaMath, ForceKernelsMatchGravityDouble) { check_force<double>(); }

TEST(CudaMath, FourierTablesMatchCpuFormulas) {
  for (int n : {8, 16, 30}) {
    for (int i = 0; i < n; ++i) {
      const int m = cc::signed_mode(i, n);
      EXPECT_EQ(m, cs::Decomposition(n).signed_mode(i));
      for (cs::PaintKernel k : kKernels) {
        EXPECT_EQ(cc::window_1d(cs::paint_order(k), m, n), cs::window_1d(k, m, n));
      }
      EXPECT_EQ(cc::gradient_k(true, m, n, 50.0),
                cs::gradient_k(cs::GradientKernel::fd4, m, n, 50));
      EXPECT_EQ(cc::gradient_k(false, m, n, 50.0),
                cs::gradient_k(cs::GradientKernel::exact, m, n, 50));
    }
  }
}

TEST(CudaMath, ForceVjpKernelIsTheTransposeOfTheForceKernel) {
  // <K_d a, b> = <a, K_d^T b> mode by mode, summed over d: force_vjp_mode is the transpose.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g;
  for (int trial = 0; trial < 100; ++trial) {
    const double gd[3] = {g(rng), g(rng), g(rng)}, s = std::abs(g(rng));
    const double are = g(rng), aim = g(rng);
    double bre[3], bim[3], lhs = 0;
    for (int d = 0; d < 3; ++d) {
      bre[d] = g(rng);
      bim[d] = g(rng);
      double re, im;
      cc::force_mode(gd[d], s, are, aim, &re, &im);
      lhs += re * bre[d] + im * bim[d];
    }
    double lre, lim;
    cc::force_vjp_mode(gd, s, bre, bim, &lre, &lim);
    EXPECT_NEAR(lhs, are * lre + aim * lim, 1e-12 * (1 + std::abs(lhs)));
  }
}

/// lpt_particles_from_noise through the kernels' per-mode functions (host loops + CPU FFT).
template <class T>
void check_lpt(int order) {
  const int n = 16;
  const double box = 128, a = 0.1;
  const cs::Cosmology cosmo(cs::planck2015());
  const auto linear = cs::make_linear_power<double>("eisenstein_hu", cosmo);
  const cs::Decomposition d(n);
  const cs::Fft<T> fft(d, 1, cs::FftPlanning::estimate);
  cs::Field<T> w(d);
  cs::fill_white_noise_real(w, cs::NoiseOptions{7, false, false}, fft);
  const cs::Particles<T> cpu = cs::lpt_particles_from_noise(w, box, order, cosmo, *linear, a, fft);

  const cs::ModePower power(*linear, n, box);
  const double volume = box * box * box, kf = 2 * M_PI / box;
  cs::Field<T> modes = w.clone();
  fft.forward(modes);
  for (std::size_t i = 0; i < modes.buffer_size(); ++i) {
    modes.real()[i] *= static_cast<T>(cs::white_noise_scale(n));
  }
  // apply(in, out, kernel(mode) -> (kr, ki)): out = in * K, mode by mode (the lpt_filter kernel)
  auto apply = [&](const cs::Field<T>& in, cs::Field<T>& out, auto kernel) {
    for (int x = 0; x < n; ++x)
      for (int y = 0; y < n; ++y)
        for (int z = 0; z <= n / 2; ++z) {
          const cc::LptMode q = cc::lpt_mode(x, y, z, n, kf);
          const std::array<double, 2> k = kernel(q);
          const std::complex<T> v = in.mode(x, y, z);
          double re, im;
          cc::complex_mul(v.real(), v.imag(), k[0], k[1], &re, &im);
          out.mode(x, y, z) = {static_cast<T>(re), static_cast<T>(im)};
        }
  };
  apply(modes, modes, [&](const cc::LptMode& q) -> std::array<double, 2> {
    if (cc::nyquist_or_mean(q, n)) return {0.0, 0.0};
    return {std::sqrt(cs::value(power.at_m2(cc::mode_m2(q))) / volume), 0.0};
  });
  const double d1 = cosmo.D1_norm(a), d2 = cosmo.D2_norm(a), vfac = a * a * cosmo.E(a);
  const double f[4] = {d1, vfac * d1 * cosmo.f1(a), d2, vfac * d2 * cosmo.f2(a)};
  std::vector<T> disp(3 * cpu.size(), T(0)), mom(3 * cpu.size(), T(0));
  cs::Field<T> work(d);
  auto add = [&](int dim, double cd, double cm) {
    for (int x = 0; x < n; ++x)
      for (int y = 0; y < n; ++y)
        for (int z = 0; z < n; ++z) {
          const std::size_t j = (static_cast<std::size_t>(x) * n + y) * n + z;
          disp[3 * j + dim] += static_cast<T>(cd * work.at(x, y, z));
          mom[3 * j + dim] += static_cast<T>(cm * work.at(x, y, z));
        }
  };
  for (int dim = 0; dim < 3; ++dim) {
    apply(modes, work, [&](const cc::LptMode& q) -> std::array<double, 2> {
      return {0.0, cc::displacement_kernel_im(q, dim, -1.0)};
    });
    fft.backward(work);
    add(dim, f[0], f[1]);
  }
  if (order == 2) {
    cs::Field<T> h[6] = {cs::Field<T>(d), cs::Field<T>(d), cs::Field<T>(d),
                         cs::Field<T>(d), cs::Field<T>(d), cs::Field<T>(d)};
    const int ij[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
    for (int c = 0; c < 6; ++c) {
      apply(modes, h[c], [&](const cc::LptMode& q) -> std::array<double, 2> {
        return {cc::hessian_kernel(q, ij[c][0], ij[c][1]), 0.0};
      });
      fft.backward(h[c]);
    }
    cs::Field<T> s(d);
    for (std::size_t i = 0; i < s.buffer_size(); ++i) {
      const T xx = h[0].real()[i], yy = h[1].real()[i], zz = h[2].real()[i];
      T v = xx * yy + (xx + yy) * zz;
      for (int c = 3; c < 6; ++c) v -= h[c].real()[i] * h[c].real()[i];
      s.real()[i] = v;
    }
    fft.forward(s);
    for (std::size_t i = 0; i < s.buffer_size(); ++i) {
      s.real()[i] *= static_cast<T>(1.0 / (static_cast<double>(n) * n * n));
    }
    for (int dim = 0; dim < 3; ++dim) {
      apply(s, work, [&](const cc::LptMode& q) -> std::array<double, 2> {
        // The source's Nyquist planes and mean are zeroed (zero_nyquist_and_mean_kernel).
        if (cc::nyquist_or_mean(q, n)) return {0.0, 0.0};
        return {0.0, cc::displacement_kernel_im(q, dim, +1.0)};
      });
      fft.backward(work);
      add(dim, f[2], f[3]);
    }
  }
  EXPECT_LE(max_rel_error(disp.data(), cpu.disp.data(), disp.size()), tol<T>())
      << "order " << order;
  EXPECT_LE(max_rel_error(mom.data(), cpu.mom.data(), mom.size()), tol<T>()) << "order " << order;
}

TEST(CudaMath, LptModeKernelsMatchCpuLptFloat) {
  check_lpt<float>(1);
  check_lpt<float>(2);
}
TEST(CudaMath, LptModeKernelsMatchCpuLptDouble) {
  check_lpt<double>(1);
  check_lpt<double>(2);
}

TEST(CudaMath, WhiteNoiseModeIsHostDeviceCallable) {
  // The kernel calls white_noise_mode per mode; on the host it gives fill_white_noise's values.
  const int n = 8;
  const cs::Decomposition d(n);
  cs::Field<double> f(d);
  const cs::NoiseOptions o{3, false, false};
  cs::fill_white_noise(f, o);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z <= n / 2; ++z) {
        double re, im;
        cs::white_noise_mode(o, n, cc::signed_mode(x, n), cc::signed_mode(y, n), z, &re, &im);
        EXPECT_EQ(re, f.mode(x, y, z).real());
        EXPECT_EQ(im, f.mode(x, y, z).imag());
      }
}

}  // namespace
