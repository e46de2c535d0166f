#include "sim/pm/lpt.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "sim/mesh/white_noise.hpp"

// Transposes. On the half-complex layout (stored modes kz in [0, n/2], each a pair of real
// numbers), FFTW's forward F: f -> F(k) = sum_x f(x) e^{-ik.x} has transpose
// F^T Y = sum_stored Re(Y_k e^{ik.x}), and its c2r B (a mode with 0 < kz < n/2 stands for
// itself and its implied partner -k) is B X = sum_stored c_k Re(X_k e^{ik.x}) = F^T (c X), with
// multiplicity c_k = 1 on the kz = 0 and kz = n/2 planes and 2 elsewhere. Hence
// B^T = c F and F^T = B c^{-1}. On the kz = 0 and n/2 planes this reads B X = B (Hermitian part
// of X), which is what FFTW's c2r does with non-Hermitian input there (checked in
// tests/sim/test_lpt_vjp.cpp); the kernels would make such input on the Nyquist planes, which
// the linear modes and the 2LPT source therefore do not have (zero_nyquist_and_mean). A mode-wise
// multiplication by K has transpose multiplication by conj(K): the gradient kernel i k / k^2 (odd,
// imaginary) transposes to -i k / k^2.

namespace cosmograd::sim {
namespace {

/// One stored Fourier mode of the half-complex layout.
struct Mode {
  std::array<int, 3> m;  ///< integer wavenumber, kx, ky in [-n/2, n/2), kz in [0, n/2]
  double k[3];           ///< k = 2 pi m / L [h/Mpc]
  double k2;             ///< |k|^2 [(h/Mpc)^2]
  double multiplicity;   ///< 1 on the kz = 0 and kz = n/2 planes, 2 elsewhere (see above)
};

/// out_k = f(mode, in_k) for every local mode (in and out may be the same field).
template <class T, class F>
void apply_kernel(const Field<T>& in, Field<T>& out, double box, F f) {
  const Decomposition& d = in.decomp();
  const int n = d.n();
  const double kf = 2.0 * M_PI / box;
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        Mode q{m, {kf * m[0], kf * m[1], kf * m[2]}, 0.0, m[2] == 0 || 2 * m[2] == n ? 1.0 : 2.0};
        q.k2 = q.k[0] * q.k[0] + q.k[1] * q.k[1] + q.k[2] * q.k[2];
        const std::complex<double> v = f(q, std::complex<double>(in.mode(xl, y, z)));
        out.mode(xl, y, z) = std::complex<T>(static_cast<T>(v.real()), static_cast<T>(v.imag()));
      }
    }
  }
}

/// acc += add over the local modes (Fourier space).
template <class T>
void add_modes(const Field<T>& add, Field<T>& acc) {
  const std::complex<T>* a = add.complex();
  std::complex<T>* c = acc.complex();
  const std::ptrdiff_t size = static_cast<std::ptrdiff_t>(acc.decomp().local_complex_size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < size; ++i) c[i] += a[i];
}

/// out = B(K in) for a mode-wise kernel K(mode) (double or complex): kernel-filtered modes
/// taken to real space.
template <class T, class K>
void filter_to_real(const Field<T>& in, Field<T>& out, double box, K kernel, const Fft<T>& fft) {
  apply_kernel(in, out, box,
               [&kernel](const Mode& q, std::complex<double> v) { return v * kernel(q); });
  fft.backward(out);
}

/// Transpose of filter_to_real() in `in`: acc_k += conj(K) c_k FFT(g)_k (B^T = c F);
/// the real-space cotangent g is overwritten.
template <class T, class K>
void filter_to_real_vjp(Field<T>& g, Field<T>& acc, double box, K kernel, const Fft<T>& fft) {
  fft.forward(g);
  apply_kernel(g, g, box, [&kernel](const Mode& q, std::complex<double> v) {
    return v * (std::conj(kernel(q)) * q.multiplicity);
  });
  add_modes(g, acc);
}

/// f -> scale FFT(f), in place (real to Fourier).
template <class T>
void scaled_forward_fft(Field<T>& f, double scale, const Fft<T>& fft) {
  fft.forward(f);
  T* c = f.real();
  const std::ptrdiff_t size = static_cast<std::ptrdiff_t>(f.buffer_size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < size; ++i) c[i] *= static_cast<T>(scale);
}

/// Transpose of scaled_forward_fft(), in place (Fourier to real): scale F^T Y = scale B(Y / c).
template <class T>
void scaled_forward_fft_vjp(Field<T>& y, double scale, double box, const Fft<T>& fft) {
  apply_kernel(y, y, box, [scale](const Mode& q, std::complex<double> v) {
    return v * (scale / q.multiplicity);
  });
  fft.backward(y);
}

/// Kernel of d^2 phi / dx_i dx_j with laplacian(phi) = delta: k_i k_j / k^2.
auto hessian_kernel(int i, int j) {
  return [i, j](const Mode& q) { return q.k2 == 0 ? 0.0 : q.k[i] * q.k[j] / q.k2; };
}

/// Kernel of component `dim` of the displacement whose divergence is `sign` * source:
/// Psi_k = -sign i k source_k / k^2.
auto displacement_kernel(int dim, double sign) {
  return [dim, sign](const Mode& q) {
    return q.k2 == 0 ? std::complex<double>(0) : std::complex<double>(0, -sign * q.k[dim] / q.k2);
  };
}

/// out = d^2 phi / dx_i dx_j in real space, phi the potential with laplacian(phi) = delta.
template <class T>
void hessian_component(const Field<T>& delta_k, Field<T>& out, double box, int i, int j,
                       const Fft<T>& fft) {
  filter_to_real(delta_k, out, box, hessian_kernel(i, j), fft);
}

/// Transpose of hessian_component(): acc += its vjp of the real-space cotangent g (destroyed).
template <class T>
void hessian_component_vjp(Field<T>& g, Field<T>& acc, double box, int i, int j,
                           const Fft<T>& fft) {
  filter_to_real_vjp(g, acc, box, hessian_kernel(i, j), fft);
}

/// out = component `dim` of the displacement whose divergence is `sign` * source, real space.
template <class T>
void displacement_component(const Field<T>& source_k, Field<T>& out, double box, int dim,
                            double sign, const Fft<T>& fft) {
  filter_to_real(source_k, out, box, displacement_kernel(dim, sign), fft);
}

/// Transpose of displacement_component(): acc += its vjp of the real-space cotangent g
/// (destroyed).
template <class T>
void displacement_component_vjp(Field<T>& g, Field<T>& acc, double box, int dim, double sign,
                                const Fft<T>& fft) {
  filter_to_real_vjp(g, acc, box, displacement_kernel(dim, sign), fft);
}

/// delta2_k (this file's normalisation, Fourier layout) of the 2LPT source
/// delta2 = sum_{i<j} phi_ii phi_jj - phi_ij^2 (Scoccimarro 1998 eq. B5), assembled from the
/// linear modes with `work` and two more Hessian buffers.
template <class T>
void second_order_source(const Field<T>& delta_k, Field<T>& delta2, Field<T>& work, double box,
                         const Fft<T>& fft) {
  const Decomposition& d = delta_k.decomp();
  Field<T> a_xx(d), b_yy(d);
  hessian_component(delta_k, a_xx, box, 0, 0, fft);
  hessian_component(delta_k, b_yy, box, 1, 1, fft);
  hessian_component(delta_k, work, box, 2, 2, fft);
  T* s = delta2.real();
  const T* xx = a_xx.real();
  const T* yy = b_yy.real();
  const T* w = work.real();  // phi_zz, then each off-diagonal phi_ij
  const std::size_t size = delta2.buffer_size();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < size; ++i) s[i] = xx[i] * yy[i] + (xx[i] + yy[i]) * w[i];
  const int off[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (const auto& ij : off) {
    hessian_component(delta_k, work, box, ij[0], ij[1], fft);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < size; ++i) s[i] -= w[i] * w[i];
  }
  const int n = d.n();
  scaled_forward_fft(delta2, 1.0 / (static_cast<double>(n) * n * n), fft);
  // The products alias power onto the Nyquist planes, where the odd displacement kernel i k has
  // no real counterpart: kept, they made 2LPT break the lattice's reflection symmetry (x -> -x
  // moved the other components by up to 4% of the largest displacement at a = 1,
  // tests/nn/test_emulator.cpp). Like the linear modes, the source has no Nyquist modes.
  zero_nyquist_and_mean(delta2);
}

/// Transpose of second_order_source() in delta_k: acc += its vjp of the real-space cotangent
/// `source_cot` of delta2(x). Product rule on delta2 = sum_{i<j} phi_ii phi_jj - phi_ij^2:
/// d delta2 / d phi_ii = sum_{j != i} phi_jj = delta - phi_ii (the trace of the Hessian is
/// delta) and d delta2 / d phi_ij = -2 phi_ij for i < j. Uses `work` and one more field.
template <class T>
void second_order_source_vjp(const Field<T>& delta_k, const Field<T>& source_cot, Field<T>& acc,
                             Field<T>& work, double box, const Fft<T>& fft) {
  Field<T> delta_x = delta_k.clone();
  fft.backward(delta_x);
  const T* dx = delta_x.real();
  const T* g = source_cot.real();
  T* w = work.real();
  const std::size_t size = work.buffer_size();
  for (int i = 0; i < 3; ++i) {
    hessian_component(delta_k, work, box, i, i, fft);
#pragma omp parallel for schedule(static)
    for (std::size_t c = 0; c < size; ++c) w[c] = g[c] * (dx[c] - w[c]);
    hessian_component_vjp(work, acc, box, i, i, fft);
  }
  const int off[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (const auto& ij : off) {
    hessian_component(delta_k, work, box, ij[0], ij[1], fft);
#pragma omp parallel for schedule(static)
    for (std::size_t c = 0; c < size; ++c) w[c] = T(-2) * g[c] * w[c];
    hessian_component_vjp(work, acc, box, ij[0], ij[1], fft);
  }
}

/// Adds c_disp psi and c_mom psi (psi real, on the lattice) to component `dim` of the
/// particles' displacements and momenta.
template <class T>
void add_to_particles(const Field<T>& psi, int dim, double c_disp, double c_mom, Particles<T>& p) {
  const Decomposition& d = psi.decomp();
  const int n = d.n();
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const std::size_t j = (static_cast<std::size_t>(xl) * n + y) * n + z;
        const double v = psi.at(xl, y, z);
        p.disp[3 * j + dim] += static_cast<T>(c_disp * v);
        p.mom[3 * j + dim] += static_cast<T>(c_mom * v);
      }
    }
  }
}

/// Transpose of add_to_particles(): returns {sum disp_cot psi, sum mom_cot psi} (the
/// cotangents of c_disp, c_mom; summed in a fixed order), then overwrites psi with its own
/// cotangent c_disp disp_cot + c_mom mom_cot (component `dim`).
template <class T>
std::array<double, 2> add_to_particles_vjp(Field<T>& psi, int dim, double c_disp, double c_mom,
                                           const std::vector<T>& disp_cot,
                                           const std::vector<T>& mom_cot) {
  const Decomposition& d = psi.decomp();
  const int n = d.n();
  std::vector<std::array<double, 2>> plane(static_cast<std::size_t>(d.nx_local()));
#pragma omp parallel for schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    double sd = 0;
    double sm = 0;
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const std::size_t j = (static_cast<std::size_t>(xl) * n + y) * n + z;
        const double gd = disp_cot[3 * j + dim];
        const double gm = mom_cot[3 * j + dim];
        const double v = psi.at(xl, y, z);
        sd += gd * v;
        sm += gm * v;
        psi.at(xl, y, z) = static_cast<T>(c_disp * gd + c_mom * gm);
      }
    }
    plane[static_cast<std::size_t>(xl)] = {sd, sm};
  }
  std::array<double, 2> sum{};
  for (const auto& s : plane) {
    sum[0] += s[0];
    sum[1] += s[1];
  }
  return sum;
}

void check_order(int order) {
  if (order != 1 && order != 2) {
    throw std::invalid_argument("lpt_order = " + std::to_string(order) +
                                " is not allowed (allowed: 1, 2)");
  }
}

}  // namespace

template <class T>
void zero_nyquist_and_mean(Field<T>& modes) {
  const Decomposition& d = modes.decomp();
  const int h = d.n() / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < d.n(); ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        if (m[0] == -h || m[1] == -h || m[2] == h || (m[0] == 0 && m[1] == 0 && m[2] == 0)) {
          modes.mode(xl, y, z) = 0;
        }
      }
    }
  }
}

template <class T>
void linear_modes_from_noise(Field<T>& modes, double box_size,
                             const std::function<double(double)>& power) {
  const double volume = box_size * box_size * box_size;
  apply_kernel(modes, modes, box_size, [&](const Mode& q, std::complex<double> v) {
    const double kk = std::sqrt(q.k2);
    return kk == 0 ? std::complex<double>(0) : v * std::sqrt(power(kk) / volume);
  });
  zero_nyquist_and_mean(modes);
}

template <class T>
void linear_modes_from_real_noise(const Field<T>& w, Field<T>& modes, double box_size,
                                  const std::function<double(double)>& power, const Fft<T>& fft) {
  if (modes.buffer_size() != w.buffer_size() || modes.n() != w.n()) {
    throw std::invalid_argument("linear_modes_from_real_noise: modes and noise meshes differ");
  }
  std::copy(w.real(), w.real() + w.buffer_size(), modes.real());
  scaled_forward_fft(modes, white_noise_scale(w.n()), fft);  // omega_k = FFT(w)_k / N^{3/2}
  linear_modes_from_noise(modes, box_size, power);
}

template <class T>
void linear_modes_from_real_noise_vjp(Field<T>& cot, double box_size,
                                      const std::function<double(double)>& power,
                                      const Fft<T>& fft) {
  linear_modes_from_noise(cot, box_size, power);  // real and diagonal: its own transpose
  scaled_forward_fft_vjp(cot, white_noise_scale(cot.n()), box_size, fft);
}

template <class S>
ModePowerT<S>::ModePowerT(const LinearPowerT<S>& linear, int n, double box_size)
    : kf_(2.0 * M_PI / box_size) {
  const long h = n / 2;
  std::vector<char> occurs(static_cast<std::size_t>(3 * h * h + 1), 0);
  for (long x = 0; x <= h; ++x) {
    for (long y = 0; y <= x; ++y) {
      for (long z = 0; z <= y; ++z) occurs[static_cast<std::size_t>(x * x + y * y + z * z)] = 1;
    }
  }
  power_.assign(occurs.size(), S(0.0));
  for (std::size_t m2 = 1; m2 < occurs.size(); ++m2) {
    if (occurs[m2]) power_[m2] = linear.power(kf_ * std::sqrt(static_cast<double>(m2)), 1.0);
  }
}

template <class S>
const S& ModePowerT<S>::at_m2(long m2) const {
  if (m2 < 0 || m2 > max_m2()) {
    throw std::out_of_range("ModePower: |m|^2 = " + std::to_string(m2) + " is outside [0, " +
                            std::to_string(max_m2()) + "]");
  }
  return power_[static_cast<std::size_t>(m2)];
}

template <class S>
const S& ModePowerT<S>::operator()(double k) const {
  const double x2 = (k / kf_) * (k / kf_);
  const long m2 = std::lround(x2);
  if (!(std::abs(x2 - static_cast<double>(m2)) <= 1e-6 * (1.0 + x2)) || m2 > max_m2()) {
    throw std::invalid_argument("ModePower: k = " + std::to_string(k) +
                                " h/Mpc is not a wavenumber of the grid");
  }
  return power_[static_cast<std::size_t>(m2)];
}

template <class S>
std::function<double(double)> ModePowerT<S>::values() const {
  return [this](double k) { return value((*this)(k)); };
}

template <class T>
Particles<T> lpt_particles(const Field<T>& delta_k, double box_size, int order,
                           const Cosmology& cosmology, double a, const Fft<T>& fft) {
  check_order(order);
  const Decomposition& d = delta_k.decomp();
  const int n = d.n();
  Particles<T> p;
  p.n_side = n;
  p.box_size = box_size;
  p.resize(d.local_cells());
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const std::size_t j = (static_cast<std::size_t>(xl) * n + y) * n + z;
        p.id[j] = (static_cast<std::uint64_t>(d.x_begin() + xl) * n + y) * n + z;
      }
    }
  }
  const std::array<double, 4> f = lpt_factors(cosmology, a);
  Field<T> work(d);
  for (int dim = 0; dim < 3; ++dim) {
    displacement_component(delta_k, work, box_size, dim, -1.0, fft);  // div Psi1 = -delta
    add_to_particles(work, dim, f[0], f[1], p);
  }
  if (order == 2) {
    // Psi2 = grad phi2 with laplacian(phi2) = delta2 (Scoccimarro 1998), so that
    // x = q - D1 grad phi1 + D2 grad phi2 with D2 ~ -3/7 D1^2.
    Field<T> delta2(d);
    second_order_source(delta_k, delta2, work, box_size, fft);
    for (int dim = 0; dim < 3; ++dim) {
      displacement_component(delta2, work, box_size, dim, +1.0, fft);  // div Psi2 = +delta2
      add_to_particles(work, dim, f[2], f[3], p);
    }
  }
  return p;
}

template <class T>
Particles<T> lpt_particles_from_noise(const Field<T>& w, double box_size, int order,
                                      const Cosmology& cosmology, const LinearPower& linear,
                                      double a, const Fft<T>& fft) {
  const ModePower power(linear, w.n(), box_size);
  Field<T> modes(w.decomp());
  linear_modes_from_real_noise(w, modes, box_size, power.values(), fft);
  return lpt_particles(modes, box_size, order, cosmology, a, fft);
}

template <class T>
LptGradients<T> lpt_vjp(const Field<T>& w, double box_size, int order,
                        const CosmologyDual& cosmology, const LinearPowerT<CosmoDual>& linear,
                        double a, const std::vector<T>& disp_cot, const std::vector<T>& mom_cot,
                        const Fft<T>& fft) {
  check_order(order);
  const Decomposition& d = w.decomp();
  const std::size_t expected = 3 * d.local_cells();
  if (disp_cot.size() != expected || mom_cot.size() != expected) {
    throw std::invalid_argument("lpt_vjp: cotangents have " + std::to_string(disp_cot.size()) +
                                " (disp) and " + std::to_string(mom_cot.size()) +
                                " (mom) values; expected 3 per particle, " +
                                std::to_string(expected));
  }
  const ModePowerDual power(linear, d.n(), box_size);
  const std::function<double(double)> power_values = power.values();
  const std::array<CosmoDual, 4> f = lpt_factors(cosmology, a);
  std::array<double, 4> f_cot{};  // dJ/d of each LPT coefficient

  // Reverse mode of the LPT initial conditions, as pmwd differentiates them (Li et al. 2022):
  // recompute the forward's modes, then accumulate dJ/d delta_k (half-complex components)
  // through the transposed operators, 1LPT then 2LPT (Scoccimarro 1998 eq. B5).
  Field<T> delta(d);
  linear_modes_from_real_noise(w, delta, box_size, power_values, fft);
  Field<T> delta_cot(d);
  Field<T> work(d);
  for (int dim = 0; dim < 3; ++dim) {
    displacement_component(delta, work, box_size, dim, -1.0, fft);
    const std::array<double, 2> c =
        add_to_particles_vjp(work, dim, f[0].v, f[1].v, disp_cot, mom_cot);
    f_cot[0] += c[0];
    f_cot[1] += c[1];
    displacement_component_vjp(work, delta_cot, box_size, dim, -1.0, fft);
  }
  if (order == 2) {
    Field<T> source_cot(d);  // dJ/d delta2_k, then dJ/d delta2(x)
    {
      Field<T> delta2(d);
      second_order_source(delta, delta2, work, box_size, fft);
      for (int dim = 0; dim < 3; ++dim) {
        displacement_component(delta2, work, box_size, dim, +1.0, fft);
        const std::array<double, 2> c =
            add_to_particles_vjp(work, dim, f[2].v, f[3].v, disp_cot, mom_cot);
        f_cot[2] += c[0];
        f_cot[3] += c[1];
        displacement_component_vjp(work, source_cot, box_size, dim, +1.0, fft);
      }
    }
    zero_nyquist_and_mean(source_cot);  // the projection of second_order_source() is its own
                                        // transpose
    const int n = d.n();
    scaled_forward_fft_vjp(source_cot, 1.0 / (static_cast<double>(n) * n * n), box_size, fft);
    second_order_source_vjp(delta, source_cot, delta_cot, work, box_size, fft);
  }

  // Parameters through the mode amplitudes: delta_k = sqrt(P(k)/V) omega_k, so
  // dJ/dP(k) = Re(conj(delta_k) dJ/d delta_k) / (2 P), summed per |m|^2 in a fixed order.
  std::vector<double> power_cot(static_cast<std::size_t>(power.max_m2()) + 1, 0.0);
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < d.n(); ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        const std::complex<double> v(delta.mode(xl, y, z));
        const std::complex<double> g(delta_cot.mode(xl, y, z));
        power_cot[static_cast<std::size_t>(m[0] * m[0] + m[1] * m[1] + m[2] * m[2])] +=
            v.real() * g.real() + v.imag() * g.imag();
      }
    }
  }
  LptGradients<T> out{std::move(delta_cot), {}};
  for (std::size_t m2 = 1; m2 < power_cot.size(); ++m2) {
    const CosmoDual& p = power.at_m2(static_cast<long>(m2));
    if (power_cot[m2] == 0.0 || p.v <= 0.0) continue;
    const double s = power_cot[m2] / (2.0 * p.v);
    for (int i = 0; i < kNumCosmoParams; ++i) out.cosmology[i] += s * p.d[i];
  }
  // ... and through the growth, growth-rate and expansion factors at a.
  for (int q = 0; q < 4; ++q) {
    for (int i = 0; i < kNumCosmoParams; ++i) out.cosmology[i] += f_cot[q] * f[q].d[i];
  }
  linear_modes_from_real_noise_vjp(out.noise, box_size, power_values, fft);
  return out;
}

template class ModePowerT<double>;
template class ModePowerT<CosmoDual>;

#define COSMOGRAD_INSTANTIATE(T)                                                                  \
  template void linear_modes_from_noise<T>(Field<T>&, double,                                     \
                                           const std::function<double(double)>&);                 \
  template void zero_nyquist_and_mean<T>(Field<T>&);                                              \
  template void linear_modes_from_real_noise<T>(                                                  \
      const Field<T>&, Field<T>&, double, const std::function<double(double)>&, const Fft<T>&);   \
  template void linear_modes_from_real_noise_vjp<T>(                                              \
      Field<T>&, double, const std::function<double(double)>&, const Fft<T>&);                    \
  template Particles<T> lpt_particles<T>(const Field<T>&, double, int, const Cosmology&, double,  \
                                         const Fft<T>&);                                          \
  template Particles<T> lpt_particles_from_noise<T>(                                              \
      const Field<T>&, double, int, const Cosmology&, const LinearPower&, double, const Fft<T>&); \
  template LptGradients<T> lpt_vjp<T>(                                                            \
      const Field<T>&, double, int, const CosmologyDual&, const LinearPowerT<CosmoDual>&, double, \
      const std::vector<T>&, const std::vector<T>&, const Fft<T>&);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
