// NumPy helpers shared by the theory, measurement and file bindings (bind_cosmology.cpp,
// bind_measure.cpp, bind_io.cpp): argument checks whose errors name the argument, its value or
// shape and what is allowed (std::invalid_argument, a ValueError in Python), copies between
// NumPy arrays and the engine's std::vector / Field layouts, cosmological parameters from a
// Python Cosmology or dict, and halo catalogues as dicts of arrays. No torch here.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/measure/fof.hpp"
#include "sim/mesh/field.hpp"

namespace cosmograd::python {

namespace py = pybind11;

/// A C-contiguous NumPy array of T, converted from whatever was passed.
template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// A number as text for error messages ("%.10g").
inline std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// Throws std::invalid_argument unless v is finite and > 0: "<name> = v <unit> is not allowed
/// (allowed: finite and > 0)".
inline void require_positive(double v, const std::string& name, const std::string& unit = "") {
  if (!(v > 0) || !std::isfinite(v)) {
    throw std::invalid_argument(name + " = " + number_text(v) + (unit.empty() ? "" : " " + unit) +
                                " is not allowed (allowed: finite and > 0)");
  }
}

/// An array's shape as text, e.g. "(16, 3)".
inline std::string shape_text(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    s += (i > 0 ? ", " : "") + std::to_string(a.shape(i));
  }
  return s + (a.ndim() == 1 ? ",)" : ")");
}

/// `x` as a NumPy array; throws std::invalid_argument naming `name` when it is not array-like.
inline py::array as_array(const py::handle& x, const std::string& name) {
  py::array a = py::array::ensure(x);
  if (!a) {
    throw std::invalid_argument(name + " = " + py::repr(x).cast<std::string>() +
                                " is not an array (allowed: a NumPy array or nested sequence)");
  }
  return a;
}

/// True for a float32 array, false for another real (float, int, bool) dtype; throws
/// std::invalid_argument naming `name` and the dtype for complex, object, string, ... arrays.
inline bool is_float32(const py::array& a, const std::string& name) {
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    throw std::invalid_argument(name + " has dtype " + py::str(a.dtype()).cast<std::string>() +
                                " (allowed: float32 or float64, or integers converted to float64)");
  }
  return kind == 'f' && a.itemsize() == 4;
}

/// Throws std::invalid_argument unless `a` has shape (rows, 3) (rows < 0: any number of rows).
inline void require_rows3(const py::array& a, const std::string& name, py::ssize_t rows = -1) {
  if (a.ndim() != 2 || a.shape(1) != 3 || (rows >= 0 && a.shape(0) != rows)) {
    throw std::invalid_argument(name + " has shape " + shape_text(a) + " (allowed: (" +
                                (rows >= 0 ? std::to_string(rows) : std::string("M")) + ", 3)" +
                                (rows >= 0 ? ", one row per position" : "") + ")");
  }
}

/// The values of an (M, 3) array (rows < 0: any M) as 3 M values of T, row-major; throws
/// std::invalid_argument naming `name` on a wrong shape or a non-finite value.
template <class T>
std::vector<T> rows3(const py::handle& x, const std::string& name, py::ssize_t rows = -1) {
  const py::array any = as_array(x, name);
  is_float32(any, name);  // dtype check
  require_rows3(any, name, rows);
  const CArray<T> a = CArray<T>::ensure(any);
  const T* p = a.data();
  std::vector<T> out(p, p + a.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(static_cast<double>(out[i]))) {
      throw std::invalid_argument(name + "[" + std::to_string(i / 3) + ", " +
                                  std::to_string(i % 3) + "] = " + number_text(out[i]) +
                                  " is not finite (allowed: finite values)");
    }
  }
  return out;
}

/// Positions (M, 3) [Mpc/h] wrapped periodically into [0, box_size).
template <class T>
std::vector<T> wrapped_positions(const py::handle& x, const std::string& name, double box_size,
                                 py::ssize_t rows = -1) {
  std::vector<T> pos = rows3<T>(x, name, rows);
  const T box = static_cast<T>(box_size);
  for (T& v : pos) {
    if (v >= T(0) && v < box) continue;
    v = static_cast<T>(std::fmod(static_cast<double>(v), box_size));
    if (v < T(0)) v += box;
    if (!(v < box)) v = T(0);
  }
  return pos;
}

/// Momenta p = a^2 dx/dt / H0 [Mpc/h] (3 per particle) from `momenta` or `velocities`
/// (peculiar v = 100 p / a [km/s]), at most one of them given; zeros when neither is.
template <class T>
std::vector<T> momenta_from(const py::object& momenta, const py::object& velocities,
                            std::size_t count, double a) {
  if (!momenta.is_none() && !velocities.is_none()) {
    throw std::invalid_argument(
        "momenta and velocities are both given (allowed: at most one of them)");
  }
  const py::ssize_t rows = static_cast<py::ssize_t>(count);
  if (!momenta.is_none()) return rows3<T>(momenta, "momenta", rows);
  if (velocities.is_none()) return std::vector<T>(3 * count, T(0));
  std::vector<T> p = rows3<T>(velocities, "velocities", rows);
  const double to_p = a / 100.0;  // p = a v / (100 km/s per Mpc/h), sim/core/units.hpp
  for (T& v : p) v = static_cast<T>(static_cast<double>(v) * to_p);
  return p;
}

/// Particle ids (uint64, >= 1) from an integer array of `count` entries; None: 1 .. count.
inline std::vector<std::uint64_t> ids_from(const py::object& ids, std::size_t count) {
  std::vector<std::uint64_t> out(count);
  if (ids.is_none()) {
    for (std::size_t j = 0; j < count; ++j) out[j] = j + 1;
    return out;
  }
  const py::array any = as_array(ids, "ids");
  const char kind = any.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    throw std::invalid_argument("ids has dtype " + py::str(any.dtype()).cast<std::string>() +
                                " (allowed: integers >= 1)");
  }
  if (any.ndim() != 1 || static_cast<std::size_t>(any.shape(0)) != count) {
    throw std::invalid_argument("ids has shape " + shape_text(any) + " (allowed: (" +
                                std::to_string(count) + ",), one id per particle)");
  }
  if (kind == 'i') {
    const CArray<std::int64_t> a = CArray<std::int64_t>::ensure(any);
    for (std::size_t j = 0; j < count; ++j) {
      if (a.data()[j] < 1) {
        throw std::invalid_argument("ids[" + std::to_string(j) +
                                    "] = " + std::to_string(a.data()[j]) +
                                    " is not allowed (allowed: >= 1)");
      }
      out[j] = static_cast<std::uint64_t>(a.data()[j]);
    }
  } else {
    const CArray<std::uint64_t> a = CArray<std::uint64_t>::ensure(any);
    for (std::size_t j = 0; j < count; ++j) {
      if (a.data()[j] < 1) {
        throw std::invalid_argument("ids[" + std::to_string(j) +
                                    "] = 0 is not allowed (allowed: >= 1)");
      }
      out[j] = a.data()[j];
    }
  }
  return out;
}

/// A NumPy copy of `v` with `shape` (its product must be v.size()).
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  py::array_t<T> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

/// A 1-D NumPy copy of `v`.
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  return to_numpy(v, {static_cast<py::ssize_t>(v.size())});
}

/// Throws std::invalid_argument unless `a` is an (n, n, n) array with n even and >= 2 (the
/// engine's meshes); returns n.
inline int require_mesh_shape(const py::array& a, const std::string& name) {
  const bool cube = a.ndim() == 3 && a.shape(0) == a.shape(1) && a.shape(0) == a.shape(2);
  if (!cube || a.shape(0) < 2 || a.shape(0) % 2 != 0 || a.shape(0) > 65536) {
    throw std::invalid_argument(name + " has shape " + shape_text(a) +
                                " (allowed: (n, n, n) with n even and >= 2)");
  }
  return static_cast<int>(a.shape(0));
}

/// The real-space values of an (n, n, n) array [x][y][z] copied into a serial Field<T>.
template <class T>
sim::Field<T> field_from(const py::array& any, const std::string& name) {
  is_float32(any, name);
  const int n = require_mesh_shape(any, name);
  const CArray<T> a = CArray<T>::ensure(any);
  sim::Field<T> f{sim::Decomposition(n)};
  const T* src = a.data();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      const T* row = src + (static_cast<std::size_t>(x) * n + y) * n;
      std::copy(row, row + n, &f.at(x, y, 0));
    }
  }
  return f;
}

/// The real-space values of a serial Field<T> as an (n, n, n) NumPy array.
template <class T>
py::array_t<T> field_to_numpy(const sim::Field<T>& f) {
  const int n = f.n();
  py::array_t<T> out({n, n, n});
  T* dst = out.mutable_data();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      const T* row = f.real() + f.decomp().real_index(x, y, 0);
      std::copy(row, row + n, dst + (static_cast<std::size_t>(x) * n + y) * n);
    }
  }
  return out;
}

/// Names of the cosmological parameters a Cosmology takes and gives (its `params` keys).
inline const std::vector<std::string>& cosmology_param_names() {
  static const std::vector<std::string> names = {"Omega_m", "Omega_b", "h",         "n_s",
                                                 "sigma8",  "w0",      "wa",        "Omega_k",
                                                 "T_cmb",   "N_eff",   "radiation", "A_s"};
  return names;
}

/// The parameters as a dict with the keys of cosmology_param_names().
inline py::dict params_to_dict(const sim::CosmologyParams& p) {
  py::dict d;
  d["Omega_m"] = p.Omega_m;
  d["Omega_b"] = p.Omega_b;
  d["h"] = p.h;
  d["n_s"] = p.n_s;
  d["sigma8"] = p.sigma8;
  d["w0"] = p.w0;
  d["wa"] = p.wa;
  d["Omega_k"] = p.Omega_k;
  d["T_cmb"] = p.T_cmb;
  d["N_eff"] = p.N_eff;
  d["radiation"] = p.radiation;
  d["A_s"] = p.A_s;
  return d;
}

/// Validated parameters from `cosmology`: None (the defaults of `cosmograd run`, Planck
/// 2015), a Cosmology (its `params`) or a dict of some of cosmology_param_names() over those
/// defaults. Unknown keys and bad values throw std::invalid_argument naming them.
inline sim::CosmologyParams params_from(const py::object& cosmology) {
  sim::CosmologyParams p = sim::planck2015();
  if (cosmology.is_none()) return p;
  py::object source = cosmology;
  if (!py::isinstance<py::dict>(source) && py::hasattr(source, "params")) {
    source = source.attr("params");
  }
  if (!py::isinstance<py::dict>(source)) {
    throw std::invalid_argument("cosmology = " + py::repr(cosmology).cast<std::string>() +
                                " is not allowed (allowed: None, a Cosmology or a dict of its "
                                "parameters)");
  }
  for (const auto& [key, value] : source.cast<py::dict>()) {
    const std::string k = py::str(key).cast<std::string>();
    if (k == "radiation") {
      p.radiation = value.cast<bool>();
      continue;
    }
    double* field = k == "Omega_m"   ? &p.Omega_m
                    : k == "Omega_b" ? &p.Omega_b
                    : k == "h"       ? &p.h
                    : k == "n_s"     ? &p.n_s
                    : k == "sigma8"  ? &p.sigma8
                    : k == "w0"      ? &p.w0
                    : k == "wa"      ? &p.wa
                    : k == "Omega_k" ? &p.Omega_k
                    : k == "T_cmb"   ? &p.T_cmb
                    : k == "N_eff"   ? &p.N_eff
                    : k == "A_s"     ? &p.A_s
                                     : nullptr;
    if (field == nullptr) {
      std::string allowed;
      for (const std::string& n : cosmology_param_names())
        allowed += (allowed.empty() ? "" : ", ") + n;
      throw std::invalid_argument("cosmology has the unknown parameter '" + k +
                                  "' (allowed: " + allowed + ")");
    }
    *field = value.cast<double>();
  }
  p.validate();
  return p;
}

/// The header of `count` particles in a box of box_size [Mpc/h] at scale factor a for the
/// cosmology `p`; particle_mass [Msun/h] (None: the lattice mass of count particles).
inline sim::SnapshotHeader snapshot_header(double box_size, double a, const sim::CosmologyParams& p,
                                           std::size_t count, const py::object& particle_mass) {
  sim::SnapshotHeader h;
  h.box_size = box_size;
  h.a = a;
  h.Omega_m = p.Omega_m;
  h.h = p.h;
  h.Omega_lambda = sim::Cosmology(p).Omega_de();
  h.cosmology = p;
  h.has_cosmology = true;
  if (particle_mass.is_none()) {
    h.particle_mass = count > 0 ? sim::lattice_particle_mass(p.Omega_m, box_size, count) : 1.0;
  } else {
    const double mp = particle_mass.cast<double>();
    require_positive(mp, "particle_mass", "Msun/h");
    h.particle_mass = mp / 1.0e10;
  }
  return h;
}

/// A halo catalogue as a dict of NumPy arrays (one row per halo, in FoF order: member count
/// descending) and its header values; masses in Msun/h, lengths in Mpc/h, velocities in km/s.
inline py::dict catalog_to_dict(const sim::HaloCatalog& c) {
  const std::size_t n = c.size();
  const py::ssize_t rows = static_cast<py::ssize_t>(n);
  std::vector<std::uint64_t> members(n), first_id(n);
  std::vector<double> mass(n), vel_disp(n), radius(n), m200m(n), r200m(n), m200c(n), r200c(n);
  std::vector<double> pos(3 * n), vel(3 * n), so_pos(3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const sim::Halo& h = c.halos[i];
    members[i] = h.num_members;
    first_id[i] = h.first_id;
    mass[i] = h.mass;
    vel_disp[i] = h.vel_disp;
    radius[i] = h.radius;
    m200m[i] = h.m200m;
    r200m[i] = h.r200m;
    m200c[i] = h.m200c;
    r200c[i] = h.r200c;
    for (int d = 0; d < 3; ++d) {
      pos[3 * i + d] = h.pos[d];
      vel[3 * i + d] = h.vel[d];
      so_pos[3 * i + d] = h.so_pos[d];
    }
  }
  py::dict d;
  d["num_members"] = to_numpy(members);
  d["mass"] = to_numpy(mass);
  d["pos"] = to_numpy(pos, {rows, 3});
  d["vel"] = to_numpy(vel, {rows, 3});
  d["vel_disp"] = to_numpy(vel_disp);
  d["radius"] = to_numpy(radius);
  d["so_pos"] = to_numpy(so_pos, {rows, 3});
  d["m200m"] = to_numpy(m200m);
  d["r200m"] = to_numpy(r200m);
  d["m200c"] = to_numpy(m200c);
  d["r200c"] = to_numpy(r200c);
  d["first_id"] = to_numpy(first_id);
  d["offsets"] = to_numpy(c.offsets);
  d["ids"] = to_numpy(c.ids);
  d["box_size"] = c.header.box_size;
  d["a"] = c.header.a;
  d["redshift"] = c.header.redshift();
  d["Omega_m"] = c.header.Omega_m;
  d["Omega_lambda"] = c.header.Omega_lambda;
  d["h"] = c.header.h;
  d["particle_mass"] = c.header.particle_mass * 1.0e10;
  d["linking_length"] = c.linking_length;
  d["min_members"] = c.min_members;
  return d;
}

/// The inverse of catalog_to_dict (the keys it writes; `redshift` is ignored, a rules).
/// Throws std::invalid_argument naming a missing key or an array of the wrong shape.
inline sim::HaloCatalog catalog_from_dict(const py::dict& d) {
  auto get = [&](const char* key) -> py::object {
    if (!d.contains(key)) {
      throw std::invalid_argument(std::string("catalog has no '") + key +
                                  "' (allowed: a dict as fof() or read_halo_catalog() returns)");
    }
    return d[key];
  };
  const py::array members_any = as_array(get("num_members"), "catalog['num_members']");
  if (members_any.ndim() != 1) {
    throw std::invalid_argument("catalog['num_members'] has shape " + shape_text(members_any) +
                                " (allowed: (n,))");
  }
  const std::size_t n = static_cast<std::size_t>(members_any.shape(0));
  const py::ssize_t rows = static_cast<py::ssize_t>(n);
  auto column = [&](const char* key, std::size_t len) {
    const std::string name = std::string("catalog['") + key + "']";
    const py::array any = as_array(get(key), name);
    is_float32(any, name);
    if (any.ndim() != 1 || static_cast<std::size_t>(any.shape(0)) != len) {
      throw std::invalid_argument(name + " has shape " + shape_text(any) + " (allowed: (" +
                                  std::to_string(len) + ",))");
    }
    const CArray<double> a = CArray<double>::ensure(any);
    return std::vector<double>(a.data(), a.data() + len);
  };
  auto ucolumn = [&](const char* key, std::size_t len) {
    const std::string name = std::string("catalog['") + key + "']";
    const py::array any = as_array(get(key), name);
    if ((any.dtype().kind() != 'u' && any.dtype().kind() != 'i') || any.ndim() != 1 ||
        static_cast<std::size_t>(any.shape(0)) != len) {
      throw std::invalid_argument(name + " has shape " + shape_text(any) + " and dtype " +
                                  py::str(any.dtype()).cast<std::string>() + " (allowed: (" +
                                  std::to_string(len) + ",) integers)");
    }
    const CArray<std::uint64_t> a = CArray<std::uint64_t>::ensure(any);
    return std::vector<std::uint64_t>(a.data(), a.data() + len);
  };
  const std::vector<std::uint64_t> members = ucolumn("num_members", n);
  const std::vector<std::uint64_t> first_id = ucolumn("first_id", n);
  const std::vector<std::uint64_t> offsets = ucolumn("offsets", n);
  std::size_t total = 0;
  for (std::uint64_t m : members) total += m;
  const std::vector<std::uint64_t> ids = ucolumn("ids", total);
  const std::vector<double> mass = column("mass", n), vel_disp = column("vel_disp", n),
                            radius = column("radius", n), m200m = column("m200m", n),
                            r200m = column("r200m", n), m200c = column("m200c", n),
                            r200c = column("r200c", n);
  const std::vector<double> pos = rows3<double>(get("pos"), "catalog['pos']", rows);
  const std::vector<double> vel = rows3<double>(get("vel"), "catalog['vel']", rows);
  const std::vector<double> so_pos = rows3<double>(get("so_pos"), "catalog['so_pos']", rows);

  sim::HaloCatalog c;
  c.header.box_size = get("box_size").cast<double>();
  c.header.a = get("a").cast<double>();
  c.header.Omega_m = get("Omega_m").cast<double>();
  c.header.Omega_lambda = get("Omega_lambda").cast<double>();
  c.header.h = get("h").cast<double>();
  c.header.particle_mass = get("particle_mass").cast<double>() / 1.0e10;
  c.linking_length = get("linking_length").cast<double>();
  c.min_members = get("min_members").cast<int>();
  c.halos.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    sim::Halo& h = c.halos[i];
    h.num_members = members[i];
    h.first_id = first_id[i];
    h.mass = mass[i];
    h.vel_disp = vel_disp[i];
    h.radius = radius[i];
    h.m200m = m200m[i];
    h.r200m = r200m[i];
    h.m200c = m200c[i];
    h.r200c = r200c[i];
    for (int k = 0; k < 3; ++k) {
      h.pos[k] = pos[3 * i + k];
      h.vel[k] = vel[3 * i + k];
      h.so_pos[k] = so_pos[3 * i + k];
    }
  }
  c.offsets = offsets;
  c.ids = ids;
  return c;
}

}  // namespace cosmograd::python
