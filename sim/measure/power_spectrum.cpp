#include "sim/measure/power_spectrum.hpp"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/ghosts.hpp"

namespace cosmograd::sim {
namespace {

/// Bins sum_k weight * f(a_k, b_k) over |k|.
template <class T, class F>
PowerSpectrum bin_modes(const Field<T>& a, double box, const PowerOptions& o, F f) {
  const Decomposition& d = a.decomp();
  const int n = d.n();
  const double kf = 2.0 * M_PI / box;
  const double dk = o.dk > 0 ? o.dk : kf;
  const double kmax = o.k_max > 0 ? o.k_max : kf * n / 2;
  const int nbins = static_cast<int>(std::ceil(kmax / dk - 1e-9));
  std::vector<double> sk(nbins, 0.0), sp(nbins, 0.0), sn(nbins, 0.0);
  // Fixed-order reduction: per x-plane partial sums, then a serial sum over planes.
  std::vector<std::vector<double>> part(static_cast<std::size_t>(d.nx_local()),
                                        std::vector<double>(3 * nbins, 0.0));
#pragma omp parallel for schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    std::vector<double>& acc = part[xl];
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        if (m[0] == 0 && m[1] == 0 && m[2] == 0) continue;
        const double mag =
            std::sqrt(double(m[0]) * m[0] + double(m[1]) * m[1] + double(m[2]) * m[2]);
        const double kk = kf * mag;
        // Bin on the integer mode length, so modes on a bin edge (|m| whole) do not depend
        // on the rounding of the box size.
        const int b = static_cast<int>(std::floor(mag * (kf / dk) + 1e-9));
        if (b >= nbins) continue;
        // Modes 0 < kz < n/2 stand for themselves and their conjugate partner.
        const double w = (z == 0 || 2 * z == n) ? 1.0 : 2.0;
        acc[3 * b] += w * kk;
        acc[3 * b + 1] += w * f(xl, y, z, m);
        acc[3 * b + 2] += w;
      }
    }
  }
  for (const auto& acc : part) {
    for (int b = 0; b < nbins; ++b) {
      sk[b] += acc[3 * b];
      sp[b] += acc[3 * b + 1];
      sn[b] += acc[3 * b + 2];
    }
  }
  d.comm().sum(sk.data(), sk.size());  // every rank's slab of modes
  d.comm().sum(sp.data(), sp.size());
  d.comm().sum(sn.data(), sn.size());
  PowerSpectrum ps;
  ps.box_size = box;
  const double volume = box * box * box;
  for (int b = 0; b < nbins; ++b) {
    if (sn[b] == 0) continue;
    ps.k.push_back(sk[b] / sn[b]);
    ps.power.push_back(volume * sp[b] / sn[b]);
    ps.modes.push_back(sn[b]);
  }
  return ps;
}

/// Window-compensated (and interlaced) Fourier modes, written into `rho` (any contents; its
/// layout d), of a mass distribution that `paint_into(mesh, mass, shift)` deposits (ghost
/// planes summed into their owners before each FFT).
template <class T, class Painter>
void compensated_modes_into(Field<T>& rho, std::size_t total_particles, const PowerOptions& o,
                            const Fft<T>& fft, Painter paint_into) {
  const Decomposition& d = rho.decomp();
  const int n = d.n();
  const double n3 = std::pow(static_cast<double>(n), 3);
  const T mass = static_cast<T>(n3 / total_particles);
  rho.fill(T(0));
  paint_into(rho, mass, 0.0);
  reduce_ghosts(rho);
  fft.forward(rho);
  std::optional<Field<T>> shifted;  // the interlaced mesh, only when asked for
  if (o.interlace) {
    shifted.emplace(d);
    paint_into(*shifted, mass, 0.5);
    reduce_ghosts(*shifted);
    fft.forward(*shifted);
  }
  const double inv_n3 = 1.0 / n3;
#pragma omp parallel for collapse(2) schedule(static)
  for (int xl = 0; xl < d.nx_local(); ++xl) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(xl, y, z);
        std::complex<double> v(rho.mode(xl, y, z));
        if (o.interlace) {
          // The shifted mesh holds f(x - h): multiply by e^{+i k.h}, h = half a cell.
          const double phase = M_PI * (m[0] + m[1] + m[2]) / n;
          v = 0.5 * (v + std::complex<double>(shifted->mode(xl, y, z)) *
                             std::complex<double>(std::cos(phase), std::sin(phase)));
        }
        const double w = window_1d(o.window, m[0], n) * window_1d(o.window, m[1], n) *
                         window_1d(o.window, m[2], n);
        v *= inv_n3 / w;
        if (m[0] == 0 && m[1] == 0 && m[2] == 0) v = 0;
        rho.mode(xl, y, z) = std::complex<T>(static_cast<T>(v.real()), static_cast<T>(v.imag()));
      }
    }
  }
}

/// compensated_modes_into() a new field of layout d.
template <class T, class Painter>
Field<T> compensated_modes(const Decomposition& d, std::size_t total_particles,
                           const PowerOptions& o, const Fft<T>& fft, Painter paint_into) {
  Field<T> rho(d);
  compensated_modes_into(rho, total_particles, o, fft, paint_into);
  return rho;
}

/// The layout of the power mesh for particles on the slabs of `particles_mesh` (or serial).
Decomposition power_layout(const PowerOptions& o, const Decomposition* particles_mesh) {
  return particles_mesh != nullptr
             ? with_paint_ghosts(Decomposition(o.mesh, particles_mesh->comm()), *particles_mesh)
             : Decomposition(o.mesh);
}

/// Whether a field of layout `have` can stand in for one of layout `need`: the same mesh and
/// slab, and at least the ghost planes.
bool can_hold(const Decomposition& have, const Decomposition& need) {
  return have.n() == need.n() && have.x_begin() == need.x_begin() &&
         have.nx_local() == need.nx_local() && have.ghost_lo() >= need.ghost_lo() &&
         have.ghost_hi() >= need.ghost_hi() && have.comm().handle() == need.comm().handle();
}

template <class T>
PowerSpectrum finish_power(const Field<T>& modes, double box, std::size_t total_particles,
                           const PowerOptions& o) {
  PowerSpectrum ps = power_spectrum(modes, box, o);
  ps.shot_noise = std::pow(box, 3) / static_cast<double>(total_particles);
  if (o.subtract_shot_noise) {
    for (double& v : ps.power) v -= ps.shot_noise;
  }
  return ps;
}

void check_power_mesh(int mesh) {
  if (mesh < 2 || mesh % 2 != 0) {
    throw std::invalid_argument("power mesh = " + std::to_string(mesh) +
                                " is not allowed (allowed: even, >= 2)");
  }
}

}  // namespace

template <class T>
Field<T> density_modes(const Particles<T>& p, std::size_t total_particles, const PowerOptions& o,
                       const Fft<T>& fft, const Decomposition* particles_mesh) {
  return compensated_modes<T>(
      power_layout(o, particles_mesh), total_particles, o, fft,
      [&](Field<T>& f, T m, double s) { paint(f, p, p.box_size, o.window, m, s); });
}

template <class T>
Field<T> density_modes(const std::vector<T>& positions, double box_size,
                       std::size_t total_particles, const PowerOptions& o, const Fft<T>& fft) {
  return compensated_modes<T>(
      Decomposition(o.mesh), total_particles, o, fft,
      [&](Field<T>& f, T m, double s) { paint(f, positions, box_size, o.window, m, s); });
}

template <class T>
PowerSpectrum power_spectrum(const Field<T>& a, double box_size, const PowerOptions& o) {
  return bin_modes(a, box_size, o, [&](int xl, int y, int z, const std::array<int, 3>&) {
    return std::norm(std::complex<double>(a.mode(xl, y, z)));
  });
}

template <class T>
PowerSpectrum cross_power(const Field<T>& a, const Field<T>& b, double box_size,
                          const PowerOptions& o) {
  if (a.n() != b.n()) throw std::invalid_argument("cross_power: fields on different meshes");
  return bin_modes(a, box_size, o, [&](int xl, int y, int z, const std::array<int, 3>&) {
    return (std::complex<double>(a.mode(xl, y, z)) *
            std::conj(std::complex<double>(b.mode(xl, y, z))))
        .real();
  });
}

template <class T>
PowerSpectrum particle_power(const Particles<T>& p, std::size_t total_particles,
                             const PowerOptions& o, int threads,
                             const Decomposition* particles_mesh, Field<T>* work,
                             PlaneOrder* order) {
  check_power_mesh(o.mesh);
  const Comm comm = particles_mesh != nullptr ? particles_mesh->comm() : Comm::self();
  const Fft<T> fft(Decomposition(o.mesh, comm), threads);
  if (work != nullptr && can_hold(work->decomp(), power_layout(o, particles_mesh))) {
    compensated_modes_into(*work, total_particles, o, fft, [&](Field<T>& f, T m, double s) {
      if (order != nullptr) order->sort(p, f.n(), p.box_size, s);
      paint(f, p, p.box_size, o.window, m, s, order);
    });
    return finish_power(*work, p.box_size, total_particles, o);
  }
  return finish_power(density_modes(p, total_particles, o, fft, particles_mesh), p.box_size,
                      total_particles, o);
}

template <class T>
PowerSpectrum point_power(const std::vector<T>& positions, double box_size, const PowerOptions& o,
                          int threads) {
  check_power_mesh(o.mesh);
  const Fft<T> fft(Decomposition(o.mesh), threads);
  const std::size_t count = positions.size() / 3;
  return finish_power(density_modes(positions, box_size, count, o, fft), box_size, count, o);
}

std::vector<double> correlation_coefficient(const PowerSpectrum& ab, const PowerSpectrum& aa,
                                            const PowerSpectrum& bb) {
  if (ab.k.size() != aa.k.size() || ab.k.size() != bb.k.size()) {
    throw std::invalid_argument("correlation_coefficient: spectra have different bins");
  }
  std::vector<double> r(ab.k.size());
  for (std::size_t i = 0; i < r.size(); ++i)
    r[i] = ab.power[i] / std::sqrt(aa.power[i] * bb.power[i]);
  return r;
}

void write_power_text(const std::string& path, const PowerSpectrum& ps,
                      const std::string& comment) {
  std::ostringstream os;
  os << "# " << comment << "\n";
  os << "# box_size = " << ps.box_size << " Mpc/h, shot_noise = " << std::setprecision(8)
     << ps.shot_noise << " (Mpc/h)^3\n";
  os << "# k [h/Mpc]  P [(Mpc/h)^3]  N_modes\n";
  os << std::scientific << std::setprecision(8);
  for (std::size_t i = 0; i < ps.k.size(); ++i) {
    os << ps.k[i] << " " << ps.power[i] << " " << std::defaultfloat << ps.modes[i]
       << std::scientific << "\n";
  }
  write_file_atomic(path, os.str());
}

PowerSpectrum read_power_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open power spectrum file '" + path + "'");
  PowerSpectrum ps;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    double k = 0, p = 0, nm = 0;
    if (!(ls >> k >> p >> nm)) {
      throw std::runtime_error(path + ":" + std::to_string(lineno) + ": expected 'k P N_modes'");
    }
    ps.k.push_back(k);
    ps.power.push_back(p);
    ps.modes.push_back(nm);
  }
  return ps;
}

#define COSMOGRAD_INSTANTIATE(T)                                                                  \
  template Field<T> density_modes<T>(const Particles<T>&, std::size_t, const PowerOptions&,       \
                                     const Fft<T>&, const Decomposition*);                        \
  template PowerSpectrum power_spectrum<T>(const Field<T>&, double, const PowerOptions&);         \
  template PowerSpectrum cross_power<T>(const Field<T>&, const Field<T>&, double,                 \
                                        const PowerOptions&);                                     \
  template Field<T> density_modes<T>(const std::vector<T>&, double, std::size_t,                  \
                                     const PowerOptions&, const Fft<T>&);                         \
  template PowerSpectrum particle_power<T>(const Particles<T>&, std::size_t, const PowerOptions&, \
                                           int, const Decomposition*, Field<T>*, PlaneOrder*);    \
  template PowerSpectrum point_power<T>(const std::vector<T>&, double, const PowerOptions&, int);
COSMOGRAD_INSTANTIATE(float)
COSMOGRAD_INSTANTIATE(double)
#undef COSMOGRAD_INSTANTIATE

}  // namespace cosmograd::sim
