#include "sim/io/field_io.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/io/detail/h5_limits.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::sim {

namespace {

using detail::H5Id;

/// A memory dataspace over the padded real layout of `d` selecting the n^3 real cells.
H5Id padded_memory_space(const Decomposition& d, const std::string& context) {
  const hsize_t n = static_cast<hsize_t>(d.n());
  H5Id space = detail::h5_dataspace({n, n, static_cast<hsize_t>(d.nz_padded())}, context);
  const hsize_t start[3] = {0, 0, 0};
  const hsize_t count[3] = {n, n, n};
  detail::h5_check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
                   "H5Sselect_hyperslab", context);
  return space;
}

/// Reads scalar attribute `name` from dataset `dset`, else from the root group `file`.
double read_field_attribute(hid_t file, hid_t dset, const std::string& name,
                            const std::string& dset_name, const std::string& path) {
  if (detail::h5_has_attribute(dset, name, path + ": /" + dset_name)) {
    return detail::h5_read_scalar_attribute<double>(dset, name, path + ": /" + dset_name);
  }
  if (detail::h5_has_attribute(file, name, path + ": /")) {
    return detail::h5_read_scalar_attribute<double>(file, name, path + ": /");
  }
  throw std::runtime_error(path + ": missing attribute " + name + " (looked on /" + dset_name +
                           " and on the root group /)");
}

/// The attributes every field dataset carries, then `extra`.
void write_field_attributes(hid_t dset, int n, double box_size, double a,
                            const FieldAttributes& extra, const std::string& where) {
  detail::h5_write_attribute(dset, "box_size", box_size, where);
  detail::h5_write_attribute(dset, "scale_factor", a, where);
  detail::h5_write_attribute(dset, "redshift", 1.0 / a - 1.0, where);
  detail::h5_write_attribute(dset, "mesh", n, where);
  for (const auto& [key, value] : extra.numbers)
    detail::h5_write_attribute(dset, key, value, where);
  for (const auto& [key, text] : extra.strings) {
    detail::h5_write_string_attribute(dset, key, text, where);
  }
}

/// Creates the n^3 dataset `name` with its attributes in the new file `tmp`.
template <class T>
void create_field_file(const std::string& tmp, int n, double box_size, double a,
                       const std::string& name, const FieldAttributes& extra) {
  const std::string where = tmp + ": /" + name;
  H5Id file = detail::h5_create_file(tmp);
  {
    const hsize_t nn = static_cast<hsize_t>(n);
    H5Id file_space = detail::h5_dataspace({nn, nn, nn}, where);
    H5Id dset = detail::h5_create_dataset(file.get(), name, detail::h5_file_float_type<T>(),
                                          file_space.get(), where);
    write_field_attributes(dset.get(), n, box_size, a, extra, where);
    dset.close("H5Dclose", where);
  }
  file.close("H5Fclose", tmp);
}

/// Writes this rank's slab of f into the planes [x_begin, x_begin + nx) of `name` in `tmp`.
template <class T>
void write_field_slab(const std::string& tmp, const Field<T>& f, const std::string& name) {
  const Decomposition& d = f.decomp();
  const std::string where = tmp + ": /" + name;
  H5Id file(detail::h5_check(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "H5Fopen", tmp),
            H5Fclose);
  H5Id dset = detail::h5_open_dataset(file.get(), name, tmp);
  const hsize_t n = static_cast<hsize_t>(d.n());
  const hsize_t nx = static_cast<hsize_t>(d.nx_local());
  H5Id file_space(detail::h5_check(H5Dget_space(dset.get()), "H5Dget_space", where), H5Sclose);
  const hsize_t fstart[3] = {static_cast<hsize_t>(d.x_begin()), 0, 0};
  const hsize_t count[3] = {nx, n, n};
  detail::h5_check(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, fstart, nullptr, count, nullptr),
      "H5Sselect_hyperslab", where);
  H5Id mem_space = detail::h5_dataspace({nx, n, static_cast<hsize_t>(d.nz_padded())}, where);
  const hsize_t mstart[3] = {0, 0, 0};
  detail::h5_check(
      H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, mstart, nullptr, count, nullptr),
      "H5Sselect_hyperslab", where);
  detail::h5_check(H5Dwrite(dset.get(), detail::h5_native_type<T>(), mem_space.get(),
                            file_space.get(), H5P_DEFAULT, f.real()),
                   "H5Dwrite", where);
  dset.close("H5Dclose", where);
  file.close("H5Fclose", tmp);
}

/// write_field() of a distributed field with serial HDF5: rank 0 creates the file under a
/// temporary name, the ranks write their slabs in turn, rank 0 renames it into place. An
/// error on any rank is raised on every rank (no rank is left waiting).
template <class T>
void write_distributed_field(const std::string& path, const Field<T>& f, double box_size, double a,
                             const std::string& name, const FieldAttributes& extra) {
  const Comm& comm = f.decomp().comm();
  std::unique_ptr<AtomicWrite> w;
  std::string tmp, error;
  auto attempt = [&](const auto& step) {
    try {
      step();
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  auto raise_if_any_failed = [&]() {
    if (comm.sum(error.empty() ? 0.0 : 1.0) > 0) {
      throw std::runtime_error("write_field " + path + ": failed on " +
                               (error.empty()
                                    ? std::string("another rank")
                                    : "rank " + std::to_string(comm.rank()) + ": " + error));
    }
  };
  if (comm.rank() == 0) {
    attempt([&] {
      w = std::make_unique<AtomicWrite>(path);
      tmp = w->temp_path();
      create_field_file<T>(tmp, f.n(), box_size, a, name, extra);
    });
  }
  raise_if_any_failed();
  comm.broadcast(tmp);
  for (int r = 0; r < comm.size(); ++r) {  // serial HDF5: one writer at a time
    if (r == comm.rank() && f.decomp().nx_local() > 0 && error.empty()) {
      attempt([&] { write_field_slab(tmp, f, name); });
    }
    comm.barrier();
  }
  raise_if_any_failed();
  if (comm.rank() == 0) w->commit();
  comm.barrier();
}

}  // namespace

template <class T>
void write_field(const std::string& path, const Field<T>& f, double box_size, double a,
                 const std::string& name, const FieldAttributes& extra) {
  const Decomposition& d = f.decomp();
  if (!d.distributed() && (d.x_begin() != 0 || d.nx_local() != d.n())) {
    throw std::invalid_argument("write_field " + path +
                                ": the field must hold the whole mesh (serial decomposition)");
  }
  if (!(box_size > 0) || !std::isfinite(box_size)) {
    throw std::invalid_argument("write_field " + path + ": box_size = " + std::to_string(box_size) +
                                " Mpc/h must be > 0");
  }
  if (!(a > 0) || !std::isfinite(a)) {
    throw std::invalid_argument("write_field " + path + ": a = " + std::to_string(a) +
                                " must be > 0");
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    throw std::invalid_argument("write_field " + path + ": dataset name '" + name +
                                "' must be non-empty without '/'");
  }
  if (d.distributed()) {
    write_distributed_field(path, f, box_size, a, name, extra);
    return;
  }
  AtomicWrite w(path);
  const std::string& tmp = w.temp_path();
  const std::string where = tmp + ": /" + name;
  {
    H5Id file = detail::h5_create_file(tmp);
    {
      const hsize_t n = static_cast<hsize_t>(d.n());
      H5Id file_space = detail::h5_dataspace({n, n, n}, where);
      H5Id dset = detail::h5_create_dataset(file.get(), name, detail::h5_file_float_type<T>(),
                                            file_space.get(), where);
      H5Id mem_space = padded_memory_space(d, where);
      detail::h5_check(H5Dwrite(dset.get(), detail::h5_native_type<T>(), mem_space.get(),
                                file_space.get(), H5P_DEFAULT, f.real()),
                       "H5Dwrite", where);
      write_field_attributes(dset.get(), d.n(), box_size, a, extra, where);
      dset.close("H5Dclose", where);
    }
    file.close("H5Fclose", tmp);
  }
  w.commit();
}

template <class T>
LinearFieldFile<T> read_linear_field(const std::string& path, int expected_n) {
  return read_field<T>(path, "delta", expected_n, "particles");
}

template <class T>
FieldFile<T> read_field(const std::string& path, const std::string& name, int expected_n,
                        const std::string& setting) {
  if (expected_n < 2 || expected_n % 2 != 0) {
    throw std::invalid_argument("read_field " + path + ": " + setting + " = " +
                                std::to_string(expected_n) + " must be even and >= 2");
  }
  H5Id file = detail::h5_open_file(path);
  H5Id dset = detail::h5_open_dataset(file.get(), name, path);
  const std::string where = path + ": /" + name;
  const std::vector<hsize_t> shape = detail::h5_dataset_shape(dset.get(), where);
  const hsize_t n = static_cast<hsize_t>(expected_n);
  const std::vector<hsize_t> want{n, n, n};
  if (shape != want) {
    throw std::runtime_error(path + ": " + name + " has shape " + detail::h5_shape_string(shape) +
                             " but " + setting + " = " + std::to_string(expected_n) + " needs " +
                             detail::h5_shape_string(want));
  }
  {
    H5Id type(detail::h5_check(H5Dget_type(dset.get()), "H5Dget_type", where), H5Tclose);
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
      throw std::runtime_error(path + ": " + name + " is not a numeric (integer or float) dataset");
    }
  }
  detail::h5_check_dataset_stored(dset.get(), shape, sizeof(T), where);
  const double box_size = read_field_attribute(file.get(), dset.get(), "box_size", name, path);
  const double redshift = read_field_attribute(file.get(), dset.get(), "redshift", name, path);
  if (!(box_size > 0) || !std::isfinite(box_size)) {
    throw std::runtime_error(path + ": box_size = " + std::to_string(box_size) +
                             " Mpc/h must be > 0");
  }
  if (!(redshift > -1) || !std::isfinite(redshift)) {
    throw std::runtime_error(path + ": redshift = " + std::to_string(redshift) + " must be > -1");
  }

  Field<T> field{Decomposition(expected_n)};
  {
    H5Id mem_space = padded_memory_space(field.decomp(), where);
    detail::h5_check(H5Dread(dset.get(), detail::h5_native_type<T>(), mem_space.get(), H5S_ALL,
                             H5P_DEFAULT, field.real()),
                     "H5Dread", where);
  }
  std::size_t bad = 0;
  int first[3] = {0, 0, 0};
  for (int x = 0; x < expected_n; ++x) {
    for (int y = 0; y < expected_n; ++y) {
      for (int z = 0; z < expected_n; ++z) {
        if (!std::isfinite(field.at(x, y, z)) && bad++ == 0) {
          first[0] = x;
          first[1] = y;
          first[2] = z;
        }
      }
    }
  }
  if (bad > 0) {
    throw std::runtime_error(path + ": " + name + " has " + std::to_string(bad) +
                             " non-finite values (first at (" + std::to_string(first[0]) + "," +
                             std::to_string(first[1]) + "," + std::to_string(first[2]) + "))");
  }
  return FieldFile<T>{std::move(field), box_size, redshift};
}

template void write_field<float>(const std::string&, const Field<float>&, double, double,
                                 const std::string&, const FieldAttributes&);
template void write_field<double>(const std::string&, const Field<double>&, double, double,
                                  const std::string&, const FieldAttributes&);
template LinearFieldFile<float> read_linear_field<float>(const std::string&, int);
template LinearFieldFile<double> read_linear_field<double>(const std::string&, int);
template FieldFile<float> read_field<float>(const std::string&, const std::string&, int,
                                            const std::string&);
template FieldFile<double> read_field<double>(const std::string&, const std::string&, int,
                                              const std::string&);

}  // namespace cosmograd::sim
