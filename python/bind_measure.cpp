// Measurements on NumPy arrays, serial: the P(k) and cross-power estimators of
// sim/measure/power_spectrum.hpp (FastPM / nbodykit conventions: delta_k = (1/N^3) sum_x
// delta(x) e^{-ik.x}, P = V |delta_k|^2, linear bins of width k_F = 2 pi / L) and
// friends-of-friends halos (Davis et al. 1985, sim/measure/fof.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "python/bind.hpp"
#include "python/numpy_arrays.hpp"
#include "sim/core/backend.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/fof.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/fourier.hpp"
#include "sim/mesh/window.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

/// Binning options shared by the estimators; dk, k_max [h/Mpc], 0 meaning the default.
sim::PowerOptions binning(int n, double dk, double k_max) {
  if (!(dk >= 0) || !std::isfinite(dk)) {
    throw std::invalid_argument("dk = " + number_text(dk) +
                                " h/Mpc is not allowed (allowed: >= 0; 0: k_F = 2 pi / L)");
  }
  if (!(k_max >= 0) || !std::isfinite(k_max)) {
    throw std::invalid_argument("k_max = " + number_text(k_max) +
                                " h/Mpc is not allowed (allowed: >= 0; 0: the Nyquist k_F n/2)");
  }
  sim::PowerOptions o;
  o.mesh = n;
  o.dk = dk;
  o.k_max = k_max;
  return o;
}

/// The window `name` to compensate (None: none).
std::optional<sim::PaintKernel> window_of(const py::object& name, const char* arg) {
  if (name.is_none()) return std::nullopt;
  return sim::parse_paint_kernel(py::str(name).cast<std::string>(), arg);
}

/// Fourier modes delta_k = FFT[f] / N^3 of a real-space field (the estimator's normalisation),
/// divided by the mass-assignment window W(k) = prod_i sinc(pi m_i / N)^p when given.
template <class T>
sim::Field<T> modes_of(sim::Field<T> f, std::optional<sim::PaintKernel> window, int threads) {
  const sim::Decomposition& d = f.decomp();
  const int n = d.n();
  const sim::Fft<T> fft(d, threads, sim::FftPlanning::estimate);
  fft.forward(f);
  const double inv_n3 = 1.0 / (static_cast<double>(n) * n * n);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        double s = inv_n3;
        if (window) {
          const auto m = d.mode_of(x, y, z);
          s /= sim::window_1d(*window, m[0], n) * sim::window_1d(*window, m[1], n) *
               sim::window_1d(*window, m[2], n);
        }
        f.mode(x, y, z) *= static_cast<T>(s);
      }
    }
  }
  return f;
}

/// The spectrum's columns as a dict of arrays.
py::dict spectrum_dict(const sim::PowerSpectrum& ps) {
  py::dict d;
  d["k"] = to_numpy(ps.k);
  d["power"] = to_numpy(ps.power);
  d["modes"] = to_numpy(ps.modes);
  d["box_size"] = ps.box_size;
  return d;
}

/// power_spectrum() in precision T.
template <class T>
py::dict field_power(const py::array& field, double box_size, const py::object& window, double dk,
                     double k_max, int threads) {
  sim::Field<T> f = field_from<T>(field, "field");
  const sim::PowerOptions o = binning(f.n(), dk, k_max);
  const sim::Field<T> modes = modes_of(std::move(f), window_of(window, "window"), threads);
  return spectrum_dict(sim::power_spectrum(modes, box_size, o));
}

/// cross_power() in precision T.
template <class T>
py::dict field_cross_power(const py::array& a, const py::array& b, double box_size,
                           const py::object& window, double dk, double k_max, int threads) {
  sim::Field<T> fa = field_from<T>(a, "a");
  sim::Field<T> fb = field_from<T>(b, "b");
  const sim::PowerOptions o = binning(fa.n(), dk, k_max);
  const std::optional<sim::PaintKernel> w = window_of(window, "window");
  const sim::Field<T> ak = modes_of(std::move(fa), w, threads);
  const sim::Field<T> bk = modes_of(std::move(fb), w, threads);
  const sim::PowerSpectrum ab = sim::cross_power(ak, bk, box_size, o);
  const sim::PowerSpectrum aa = sim::power_spectrum(ak, box_size, o);
  const sim::PowerSpectrum bb = sim::power_spectrum(bk, box_size, o);
  py::dict d = spectrum_dict(ab);
  d["power_a"] = to_numpy(aa.power);
  d["power_b"] = to_numpy(bb.power);
  d["r"] = to_numpy(sim::correlation_coefficient(ab, aa, bb));
  return d;
}

/// particle_power() in precision T.
template <class T>
py::dict points_power(const py::array& positions, double box_size, int n_mesh,
                      const std::string& painter, bool interlace, bool subtract_shot_noise,
                      double dk, double k_max, int threads) {
  const std::vector<T> pos = wrapped_positions<T>(positions, "positions", box_size);
  if (pos.empty()) {
    throw std::invalid_argument("positions has shape " + shape_text(positions) +
                                " (allowed: (M, 3) with M >= 1)");
  }
  sim::PowerOptions o = binning(n_mesh, dk, k_max);
  o.window = sim::parse_paint_kernel(painter, "painter");
  o.interlace = interlace;
  o.subtract_shot_noise = subtract_shot_noise;
  const sim::PowerSpectrum ps = sim::point_power(pos, box_size, o, threads);
  py::dict d = spectrum_dict(ps);
  d["shot_noise"] = ps.shot_noise;
  return d;
}

/// fof() in precision T: the header from the arguments, then sim::find_halos.
template <class T>
py::dict find_halos(const py::array& positions, double box_size, double linking_length,
                    int min_members, const py::object& momenta, const py::object& velocities,
                    const py::object& ids, double a, const py::object& cosmology,
                    const py::object& particle_mass) {
  const std::vector<T> pos = rows3<T>(positions, "positions");
  const std::size_t count = pos.size() / 3;
  const std::vector<T> mom = momenta_from<T>(momenta, velocities, count, a);
  const std::vector<std::uint64_t> id = ids_from(ids, count);
  const sim::CosmologyParams p = params_from(cosmology);
  const sim::SnapshotHeader h = snapshot_header(box_size, a, p, count, particle_mass);
  sim::FofOptions fof;
  fof.linking_length = linking_length;
  fof.min_members = min_members;
  if (!(linking_length > 0) || linking_length > 1) {
    throw std::invalid_argument("linking_length = " + number_text(linking_length) +
                                " is not allowed (allowed: 0 < b <= 1 mean separations)");
  }
  if (min_members < 2) {
    throw std::invalid_argument("min_members = " + std::to_string(min_members) +
                                " is not allowed (allowed: >= 2)");
  }
  sim::HaloCatalog cat;
  {
    py::gil_scoped_release release;
    cat = sim::find_halos(pos, mom, id, h, fof);
  }
  return catalog_to_dict(cat);
}

/// Threads for a measurement: `threads` > 0 sets OpenMP's count; returns the count in use.
int threads_of(int threads) {
  if (threads < 0) {
    throw std::invalid_argument("threads = " + std::to_string(threads) +
                                " is not allowed (allowed: >= 0; 0: the current OpenMP count)");
  }
  return sim::use_threads(threads);
}

}  // namespace

void bind_measure(py::module_& m) {
  m.def(
      "power_spectrum",
      [](const py::object& field, double box_size, const py::object& window, double dk,
         double k_max, int threads) {
        const py::array a = as_array(field, "field");
        require_positive(box_size, "box_size", "Mpc/h");
        const int t = threads_of(threads);
        return is_float32(a, "field") ? field_power<float>(a, box_size, window, dk, k_max, t)
                                      : field_power<double>(a, box_size, window, dk, k_max, t);
      },
      py::arg("field"), py::arg("box_size"), py::kw_only(), py::arg("window") = py::none(),
      py::arg("dk") = 0.0, py::arg("k_max") = 0.0, py::arg("threads") = 0,
      "P(k) of a real-space field (n, n, n) (n even; [x][y][z], cell i at i L / n; float32 is "
      "transformed in single precision, other real dtypes in float64) in a periodic box of "
      "side box_size [Mpc/h]: delta_k = FFT / n^3, P = V <|delta_k|^2> over linear bins of "
      "width dk [h/Mpc] (0: k_F = 2 pi / L) up to k_max (0: Nyquist k_F n/2), k = 0 "
      "excluded. window ('cic', 'tsc', 'pcs' or None) divides delta_k by that mass-assignment "
      "window W(k) (e.g. 'cic' for the density files of `cosmograd run`). Returns dict: k "
      "(mean |k| of the bin's modes) [h/Mpc], power [(Mpc/h)^3], modes (count, k and -k "
      "both), box_size.");
  m.def(
      "cross_power",
      [](const py::object& a, const py::object& b, double box_size, const py::object& window,
         double dk, double k_max, int threads) {
        const py::array aa = as_array(a, "a"), bb = as_array(b, "b");
        require_positive(box_size, "box_size", "Mpc/h");
        const bool single = is_float32(aa, "a") && is_float32(bb, "b");
        if (aa.ndim() != bb.ndim() || !std::equal(aa.shape(), aa.shape() + aa.ndim(), bb.shape())) {
          throw std::invalid_argument("a has shape " + shape_text(aa) + " but b has shape " +
                                      shape_text(bb) + " (allowed: equal (n, n, n) shapes)");
        }
        const int t = threads_of(threads);
        return single ? field_cross_power<float>(aa, bb, box_size, window, dk, k_max, t)
                      : field_cross_power<double>(aa, bb, box_size, window, dk, k_max, t);
      },
      py::arg("a"), py::arg("b"), py::arg("box_size"), py::kw_only(),
      py::arg("window") = py::none(), py::arg("dk") = 0.0, py::arg("k_max") = 0.0,
      py::arg("threads") = 0,
      "Cross power of two real-space fields (n, n, n) of one box [Mpc/h], binned as "
      "power_spectrum (float64 unless both are float32). Returns dict: k [h/Mpc], power = "
      "P_ab = V Re<a_k b_k*> [(Mpc/h)^3], power_a, power_b (the auto spectra), r = P_ab / "
      "sqrt(P_aa P_bb) (correlation coefficient, 1 for b = a), modes, box_size.");
  m.def(
      "particle_power",
      [](const py::object& positions, double box_size, int n_mesh, const std::string& painter,
         bool interlace, bool subtract_shot_noise, double dk, double k_max, int threads) {
        const py::array a = as_array(positions, "positions");
        require_positive(box_size, "box_size", "Mpc/h");
        if (n_mesh < 2 || n_mesh % 2 != 0 || n_mesh > 8192) {
          throw std::invalid_argument("n_mesh = " + std::to_string(n_mesh) +
                                      " is not allowed (allowed: even, 2 to 8192)");
        }
        const int t = threads_of(threads);
        return is_float32(a, "positions")
                   ? points_power<float>(a, box_size, n_mesh, painter, interlace,
                                         subtract_shot_noise, dk, k_max, t)
                   : points_power<double>(a, box_size, n_mesh, painter, interlace,
                                          subtract_shot_noise, dk, k_max, t);
      },
      py::arg("positions"), py::arg("box_size"), py::arg("n_mesh"), py::kw_only(),
      py::arg("painter") = "cic", py::arg("interlace") = true,
      py::arg("subtract_shot_noise") = true, py::arg("dk") = 0.0, py::arg("k_max") = 0.0,
      py::arg("threads") = 0,
      "P(k) of equal-mass points at positions (M, 3) [Mpc/h] (wrapped into the periodic box of "
      "side box_size), as `cosmograd power` measures it: painted on an n_mesh^3 mesh with "
      "painter ('cic', 'tsc', 'pcs'), compensated by 1/W(k), interlaced (a half-cell shifted "
      "mesh averaged in, cancelling the odd aliases) when asked, binned as power_spectrum; the "
      "shot noise V/M is subtracted when subtract_shot_noise (Poisson samples; lattice-start "
      "particles have none). float32 positions are painted in single precision. Returns dict: "
      "k [h/Mpc], power [(Mpc/h)^3], modes, shot_noise = V/M [(Mpc/h)^3], box_size.");
  m.def(
      "fof",
      [](const py::object& positions, double box_size, double linking_length, int min_members,
         const py::object& momenta, const py::object& velocities, const py::object& ids, double a,
         const py::object& cosmology, const py::object& particle_mass) {
        const py::array arr = as_array(positions, "positions");
        require_positive(box_size, "box_size", "Mpc/h");
        require_positive(a, "a", "(scale factor)");
        return is_float32(arr, "positions")
                   ? find_halos<float>(arr, box_size, linking_length, min_members, momenta,
                                       velocities, ids, a, cosmology, particle_mass)
                   : find_halos<double>(arr, box_size, linking_length, min_members, momenta,
                                        velocities, ids, a, cosmology, particle_mass);
      },
      py::arg("positions"), py::arg("box_size"), py::kw_only(), py::arg("linking_length") = 0.2,
      py::arg("min_members") = 20, py::arg("momenta") = py::none(),
      py::arg("velocities") = py::none(), py::arg("ids") = py::none(), py::arg("a") = 1.0,
      py::arg("cosmology") = py::none(), py::arg("particle_mass") = py::none(),
      "Friends-of-friends halos (Davis et al. 1985) of M particles at positions (M, 3) [Mpc/h] "
      "in a periodic box of side box_size, as `cosmograd halos` finds them: pairs closer than "
      "linking_length x the mean separation (L^3/M)^(1/3) are friends, groups of at least "
      "min_members are kept; SO masses around the shrinking-sphere density peak (Power et al. "
      "2003). momenta p = a^2 dx/dt / H0 [Mpc/h] or velocities (peculiar, v = 100 p / a "
      "[km/s]), (M, 3), default zero; ids (M,) integers >= 1 (default 1..M); a the scale "
      "factor; cosmology a Cosmology or dict (default Planck 2015: Omega_m sets rho_m, E(a) "
      "rho_crit); particle_mass [Msun/h] (default Omega_m rho_crit L^3 / M). Returns dict of "
      "arrays in FoF order (members descending): num_members, mass [Msun/h], pos (n, 3) "
      "(centre of mass, [0, L)) [Mpc/h], vel (n, 3) (mean peculiar velocity) [km/s], vel_disp "
      "(1-D) [km/s], radius (farthest member) [Mpc/h], so_pos (n, 3) [Mpc/h], m200m, m200c "
      "[Msun/h], r200m, r200c [Mpc/h] (0 when no sphere reaches 200x), first_id, offsets (into "
      "ids), ids (members, ascending within each halo); and box_size, a, redshift, Omega_m, "
      "Omega_lambda, h, particle_mass [Msun/h], linking_length, min_members.");
}

}  // namespace cosmograd::python
