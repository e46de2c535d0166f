// cosmograd's files on NumPy arrays: Gadget-4 HDF5 snapshots (sim/io/snapshot.hpp), mesh
// fields in HDF5 (sim/io/field_io.hpp), FoF halo catalogues (sim/measure/halo_catalog.hpp) and
// P(k) text files (sim/measure/power_spectrum.hpp). Every write is atomic (a temporary name
// renamed when complete), as in the engine.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "python/bind.hpp"
#include "python/numpy_arrays.hpp"
#include "sim/core/units.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/halo_catalog.hpp"
#include "sim/measure/power_spectrum.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

using sim::detail::H5Id;

/// The dataset of the field files (what `cosmograd run` writes and ic_linear_field reads).
constexpr const char* kFieldDataset = "delta";

/// True for "kpc/h", false for "Mpc/h"; anything else throws naming length_unit.
bool length_in_kpc(const std::string& unit) {
  if (unit != "kpc/h" && unit != "Mpc/h") {
    throw std::invalid_argument("length_unit = '" + unit +
                                "' is not a unit (allowed: kpc/h, Mpc/h)");
  }
  return unit == "kpc/h";
}

/// read_snapshot() in precision T.
template <class T>
py::dict snapshot_dict(const std::string& path) {
  sim::SnapshotData<T> s;
  {
    py::gil_scoped_release release;
    s = sim::read_snapshot<T>(path);
  }
  const sim::SnapshotHeader& h = s.header;
  const py::ssize_t n = static_cast<py::ssize_t>(s.size());
  std::vector<T> vel(s.mom.size());
  const double to_v = sim::units::H0_km_s_per_mpc_h / h.a;  // v = 100 p / a [km/s]
  for (std::size_t i = 0; i < vel.size(); ++i) {
    vel[i] = static_cast<T>(to_v * static_cast<double>(s.mom[i]));
  }
  py::dict d;
  d["positions"] = to_numpy(s.pos, {n, 3});
  d["momenta"] = to_numpy(s.mom, {n, 3});
  d["velocities"] = to_numpy(vel, {n, 3});
  d["ids"] = to_numpy(s.ids);
  d["box_size"] = h.box_size;
  d["a"] = h.a;
  d["redshift"] = h.redshift();
  d["Omega_m"] = h.Omega_m;
  d["Omega_lambda"] = h.Omega_lambda;
  d["h"] = h.h;
  d["particle_mass"] = h.particle_mass * 1.0e10;
  d["num_part_total"] = h.num_part_total;
  d["num_files"] = h.num_files;
  d["cosmology"] = h.has_cosmology ? py::object(params_to_dict(h.cosmology)) : py::none();
  return d;
}

/// write_snapshot(): the points as engine particles, then sim::write_snapshot.
void write_snapshot(const std::string& path, const py::object& positions, double box_size, double a,
                    const py::object& momenta, const py::object& velocities, const py::object& ids,
                    const py::object& cosmology, const py::object& particle_mass,
                    const std::string& length_unit, int num_files, bool double_precision) {
  require_positive(box_size, "box_size", "Mpc/h");
  require_positive(a, "a", "(scale factor)");
  sim::SnapshotOptions o;
  o.length_in_kpc = length_in_kpc(length_unit);
  o.num_files = num_files;
  o.double_precision = double_precision;
  const std::vector<double> pos = rows3<double>(positions, "positions");
  const std::size_t n = pos.size() / 3;
  if (n == 0) {
    throw std::invalid_argument("positions has shape " +
                                shape_text(as_array(positions, "positions")) +
                                " (allowed: (N, 3) with N >= 1)");
  }
  const std::vector<std::uint64_t> id = ids_from(ids, n);
  const sim::CosmologyParams p = params_from(cosmology);

  // Engine particles whose positions are the given points: lattice index = id - 1 on a
  // lattice just big enough to hold every index (so the lattice offsets stay inside the box
  // and keep double precision), displacement = position - lattice point.
  sim::Particles<double> parts;
  parts.box_size = box_size;
  parts.resize(n);
  const std::uint64_t max_index = *std::max_element(id.begin(), id.end()) - 1;
  parts.n_side = static_cast<int>(std::cbrt(static_cast<double>(max_index))) + 2;
  for (std::size_t j = 0; j < n; ++j) {
    parts.id[j] = id[j] - 1;
    for (int dim = 0; dim < 3; ++dim) {
      parts.disp[3 * j + dim] = pos[3 * j + dim] - parts.lattice(j, dim);
    }
  }
  parts.mom = momenta_from<double>(momenta, velocities, n, a);

  const sim::SnapshotHeader h = snapshot_header(box_size, a, p, n, particle_mass);
  py::gil_scoped_release release;
  sim::write_snapshot(path, parts, h, o);
}

/// Names of the attributes of an HDF5 object.
std::vector<std::string> attribute_names(hid_t loc, const std::string& where) {
  std::vector<std::string> names;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  sim::detail::h5_check(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names),
                        "H5Aiterate2", where);
  return names;
}

/// Every attribute of `loc`: strings as str, single numbers as float, arrays as lists.
py::dict attributes_of(hid_t loc, const std::string& where) {
  py::dict d;
  for (const std::string& name : attribute_names(loc, where)) {
    const std::string context = where + ": attribute " + name;
    H5Id attr(sim::detail::h5_check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "H5Aopen", context),
              H5Aclose);
    H5Id type(sim::detail::h5_check(H5Aget_type(attr.get()), "H5Aget_type", context), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_STRING) {
      d[name.c_str()] = sim::detail::h5_read_string_attribute(loc, name, where);
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
      H5Id space(sim::detail::h5_check(H5Aget_space(attr.get()), "H5Aget_space", context),
                 H5Sclose);
      const hssize_t count = sim::detail::h5_check(H5Sget_simple_extent_npoints(space.get()),
                                                   "H5Sget_simple_extent_npoints", context);
      const std::vector<double> v =
          sim::detail::h5_read_attribute<double>(loc, name, static_cast<std::size_t>(count), where);
      if (v.size() == 1) {
        d[name.c_str()] = v.front();
      } else {
        d[name.c_str()] = v;
      }
    }
  }
  return d;
}

/// read_field(): shape, precision and attributes here, values through read_linear_field.
py::dict read_field(const std::string& path) {
  int n = 0;
  bool single = false;
  py::dict attributes;
  {
    // The shape, stored precision and attributes; the values through the engine's reader.
    const H5Id file = sim::detail::h5_open_file(path);
    const H5Id dset = sim::detail::h5_open_dataset(file.get(), kFieldDataset, path);
    const std::string where = path + ": /" + kFieldDataset;
    const std::vector<hsize_t> shape = sim::detail::h5_dataset_shape(dset.get(), where);
    if (shape.size() != 3 || shape[0] != shape[1] || shape[0] != shape[2] || shape[0] < 2 ||
        shape[0] % 2 != 0 || shape[0] > 65536) {
      throw std::runtime_error(where + " has shape " + sim::detail::h5_shape_string(shape) +
                               " (allowed: (n,n,n) with n even and >= 2)");
    }
    n = static_cast<int>(shape[0]);
    H5Id type(sim::detail::h5_check(H5Dget_type(dset.get()), "H5Dget_type", where), H5Tclose);
    single = H5Tget_class(type.get()) == H5T_FLOAT && H5Tget_size(type.get()) == 4;
    attributes = attributes_of(dset.get(), where);
  }
  py::dict d;
  double redshift = 0, box_size = 0;
  if (single) {
    const sim::LinearFieldFile<float> f = sim::read_linear_field<float>(path, n);
    d["field"] = field_to_numpy(f.field);
    redshift = f.redshift;
    box_size = f.box_size;
  } else {
    const sim::LinearFieldFile<double> f = sim::read_linear_field<double>(path, n);
    d["field"] = field_to_numpy(f.field);
    redshift = f.redshift;
    box_size = f.box_size;
  }
  d["box_size"] = box_size;
  d["redshift"] = redshift;
  d["a"] = attributes.contains("scale_factor") ? attributes["scale_factor"].cast<double>()
                                               : 1.0 / (1.0 + redshift);
  d["attributes"] = attributes;
  return d;
}

/// Extra dataset attributes from a dict of numbers and strings.
sim::FieldAttributes field_attributes(const py::object& attributes) {
  sim::FieldAttributes extra;
  if (attributes.is_none()) return extra;
  if (!py::isinstance<py::dict>(attributes)) {
    throw std::invalid_argument("attributes = " + py::repr(attributes).cast<std::string>() +
                                " is not allowed (allowed: None or a dict of numbers and strings)");
  }
  const std::set<std::string> reserved = {"box_size", "scale_factor", "redshift", "mesh"};
  for (const auto& [key, value] : attributes.cast<py::dict>()) {
    const std::string k = py::str(key).cast<std::string>();
    if (reserved.count(k) > 0 || k.empty() || k.find('/') != std::string::npos) {
      throw std::invalid_argument(
          "attributes has the key '" + k +
          "' (allowed: non-empty names without '/', other than box_size, scale_factor, "
          "redshift and mesh, which write_field sets)");
    }
    if (py::isinstance<py::str>(value)) {
      extra.strings.emplace_back(k, value.cast<std::string>());
    } else if (py::isinstance<py::bool_>(value) || py::isinstance<py::int_>(value) ||
               py::isinstance<py::float_>(value) || py::isinstance<py::array>(value)) {
      extra.numbers.emplace_back(k, value.cast<double>());
    } else {
      throw std::invalid_argument("attributes['" + k +
                                  "'] = " + py::repr(value).cast<std::string>() +
                                  " is not allowed (allowed: a number or a string)");
    }
  }
  return extra;
}

/// write_field() in precision T.
template <class T>
void write_field_as(const std::string& path, const py::array& field, double box_size, double a,
                    const sim::FieldAttributes& extra) {
  const sim::Field<T> f = field_from<T>(field, "field");
  py::gil_scoped_release release;
  sim::write_field(path, f, box_size, a, kFieldDataset, extra);
}

/// Column `key` of the spectrum dict `s` as n doubles (n < 0: any length).
std::vector<double> spectrum_column(const py::dict& s, const char* key, py::ssize_t n) {
  const std::string name = std::string("spectrum['") + key + "']";
  if (!s.contains(key)) {
    throw std::invalid_argument("spectrum has no '" + std::string(key) +
                                "' (allowed: a dict with k, power and modes arrays, as "
                                "power_spectrum returns)");
  }
  const py::array any = as_array(s[key], name);
  is_float32(any, name);
  if (any.ndim() != 1 || (n >= 0 && any.shape(0) != n)) {
    throw std::invalid_argument(name + " has shape " + shape_text(any) + " (allowed: (" +
                                (n >= 0 ? std::to_string(n) : std::string("n")) + ",))");
  }
  const CArray<double> a = CArray<double>::ensure(any);
  return std::vector<double>(a.data(), a.data() + a.size());
}

}  // namespace

void bind_io(py::module_& m) {
  m.def(
      "read_snapshot",
      [](const std::string& path, bool double_precision) {
        return double_precision ? snapshot_dict<double>(path) : snapshot_dict<float>(path);
      },
      py::arg("path"), py::kw_only(), py::arg("double_precision") = false,
      "Reads the dark-matter particles of a Gadget HDF5 snapshot (cosmograd, Gadget-2/3/4; one "
      "file, any file of a multi-file set, or its base name), converted to cosmograd units. "
      "Returns dict: positions (N, 3) comoving [Mpc/h] as stored (cosmograd: in [0, L)); "
      "momenta (N, 3) p = a^2 dx/dt / H0 [Mpc/h]; velocities (N, 3) peculiar v = 100 p / a "
      "[km/s] (the file holds Gadget's u = v / sqrt(a)); ids (N,) uint64 (cosmograd: lattice "
      "index + 1); box_size [Mpc/h], a, redshift, Omega_m, Omega_lambda, h, particle_mass "
      "[Msun/h], num_part_total, num_files, and cosmology (dict of every parameter, as "
      "Cosmology(**cosmology) takes, when the file records them, else None). Arrays are float32 "
      "unless double_precision.");
  m.def("write_snapshot", &write_snapshot, py::arg("path"), py::arg("positions"),
        py::arg("box_size"), py::arg("a"), py::kw_only(), py::arg("momenta") = py::none(),
        py::arg("velocities") = py::none(), py::arg("ids") = py::none(),
        py::arg("cosmology") = py::none(), py::arg("particle_mass") = py::none(),
        py::arg("length_unit") = "kpc/h", py::arg("num_files") = 1,
        py::arg("double_precision") = false,
        "Writes N particles as a Gadget-4 HDF5 snapshot (readable by yt, read_snapshot and "
        "`cosmograd power/halos`) under the base name path (path.hdf5, or path.<i>.hdf5 for "
        "num_files > 1), atomically. positions (N, 3) [Mpc/h] (wrapped into [0, box_size)); "
        "momenta p [Mpc/h] or velocities (peculiar, [km/s]), (N, 3), default zero; ids (N,) "
        "integers >= 1 (default 1..N); a the scale factor; cosmology a Cosmology or dict "
        "(default Planck 2015; Omega0, OmegaLambda, HubbleParam and every parameter are "
        "recorded); particle_mass [Msun/h] (default Omega_m rho_crit L^3 / N); length_unit "
        "'kpc/h' (yt's default) or 'Mpc/h'; float32 Coordinates/Velocities unless "
        "double_precision. Positions are stored to within double rounding of the input (then "
        "float32 unless double_precision).");
  m.def("read_field", &read_field, py::arg("path"),
        "Reads a cosmograd field file (the density files of `cosmograd run`, write_field, "
        "ic_linear_field inputs): the HDF5 dataset 'delta' of shape (n, n, n), [x][y][z], cell "
        "i at i L / n. Returns dict: field (n, n, n) (float32 when stored so, else float64), "
        "box_size [Mpc/h], redshift, a (scale factor), attributes (every attribute of the "
        "dataset: numbers as float, strings as str; e.g. window, quantity, the cosmology).");
  m.def(
      "write_field",
      [](const std::string& path, const py::object& field, double box_size, double a,
         const py::object& attributes) {
        const py::array arr = as_array(field, "field");
        require_positive(box_size, "box_size", "Mpc/h");
        require_positive(a, "a", "(scale factor)");
        const sim::FieldAttributes extra = field_attributes(attributes);
        if (is_float32(arr, "field")) {
          write_field_as<float>(path, arr, box_size, a, extra);
        } else {
          write_field_as<double>(path, arr, box_size, a, extra);
        }
      },
      py::arg("path"), py::arg("field"), py::arg("box_size"), py::arg("a"), py::kw_only(),
      py::arg("attributes") = py::none(),
      "Writes a real-space field (n, n, n) (n even; float32 stays float32, other real dtypes "
      "are stored as float64) as the HDF5 dataset 'delta' with the attributes box_size "
      "[Mpc/h], scale_factor (a), redshift and mesh, plus `attributes` (dict of numbers and "
      "strings), atomically: the layout `cosmograd run` writes and read_field / "
      "ic_linear_field read.");
  m.def(
      "read_halo_catalog",
      [](const std::string& path) {
        sim::HaloCatalog c;
        {
          py::gil_scoped_release release;
          c = sim::read_halo_catalog(path);
        }
        return catalog_to_dict(c);
      },
      py::arg("path"),
      "Reads a FoF halo catalogue (Gadget-4 fof_tab layout, as `cosmograd halos` / `run "
      "--halos` and write_halo_catalog write it) into the dict fof() returns: lengths in "
      "Mpc/h, masses in Msun/h, velocities in km/s.");
  m.def(
      "write_halo_catalog",
      [](const std::string& path, const py::dict& catalog, const std::string& length_unit) {
        const sim::HaloCatalog c = catalog_from_dict(catalog);
        const bool kpc = length_in_kpc(length_unit);
        py::gil_scoped_release release;
        sim::write_halo_catalog(path, c, kpc);
      },
      py::arg("path"), py::arg("catalog"), py::kw_only(), py::arg("length_unit") = "kpc/h",
      "Writes a halo catalogue (the dict fof() or read_halo_catalog() returns) in Gadget-4's "
      "fof_tab HDF5 layout, atomically; lengths stored in kpc/h (yt's default) or Mpc/h, "
      "masses in 1e10 Msun/h.");
  m.def(
      "read_power",
      [](const std::string& path) {
        const sim::PowerSpectrum ps = sim::read_power_text(path);
        py::dict d;
        d["k"] = to_numpy(ps.k);
        d["power"] = to_numpy(ps.power);
        d["modes"] = to_numpy(ps.modes);
        return d;
      },
      py::arg("path"),
      "Reads a P(k) text file ('#' header lines, then rows k [h/Mpc], P [(Mpc/h)^3], N_modes: "
      "what `cosmograd power`, `run` and write_power write). Returns dict: k, power, modes.");
  m.def(
      "write_power",
      [](const std::string& path, const py::dict& spectrum, const std::string& comment) {
        sim::PowerSpectrum ps;
        ps.k = spectrum_column(spectrum, "k", -1);
        const py::ssize_t n = static_cast<py::ssize_t>(ps.k.size());
        ps.power = spectrum_column(spectrum, "power", n);
        ps.modes = spectrum_column(spectrum, "modes", n);
        if (spectrum.contains("box_size")) ps.box_size = spectrum["box_size"].cast<double>();
        if (spectrum.contains("shot_noise")) ps.shot_noise = spectrum["shot_noise"].cast<double>();
        sim::write_power_text(path, ps, comment);
      },
      py::arg("path"), py::arg("spectrum"), py::kw_only(), py::arg("comment") = "cosmograd P(k)",
      "Writes a spectrum (dict with k [h/Mpc], power [(Mpc/h)^3], modes arrays and optional "
      "box_size, shot_noise, as power_spectrum returns) as a P(k) text file: a '# comment' "
      "line, a box_size / shot_noise line, then k P N_modes rows with 9 significant digits; "
      "atomically.");
}

}  // namespace cosmograd::python
