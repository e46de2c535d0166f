// Small RAII wrappers and helpers around the HDF5 C API (sim-internal; not for other folders).
//
// Every call is checked: a failed HDF5 call throws CallError naming the call, the file/object
// it was about and HDF5's own reason. Missing groups, datasets and attributes are reported by
// the open_* / read_* helpers as std::runtime_error "<file>: missing <what> <path>" before
// HDF5 is asked, so users see which object is absent rather than an HDF5 error stack.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/core/check.hpp"
#include "sim/io/check_hdf5.hpp"

namespace cosmograd::sim::detail {

/// Returns status, or throws CallError naming `call` and `context` (file or object) when
/// status < 0 (herr_t, hid_t or htri_t).
template <class Status>
Status h5_check(Status status, const char* call, const std::string& context) {
  if (status < 0) {
    const std::string stack = hdf5_error_stack();
    call_failed("HDF5", call, static_cast<long long>(status),
                context + (stack.empty() ? std::string() : ": " + stack));
  }
  return status;
}

/// An owned HDF5 identifier, closed by its matching H5?close when destroyed or reset.
class H5Id {
 public:
  /// The close function for this kind of identifier (H5Fclose, H5Gclose, ...).
  using Closer = herr_t (*)(hid_t);

  H5Id() = default;
  /// Takes ownership of `id` (must be valid), closed with `close`.
  H5Id(hid_t id, Closer close) : id_(id), close_(close) {}
  ~H5Id() { reset(); }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id(H5Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  H5Id& operator=(H5Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }

  /// The raw identifier (H5I_INVALID_HID when empty).
  hid_t get() const { return id_; }
  /// Closes the identifier, ignoring errors (for destructors and unwinding).
  void reset() noexcept {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  /// Closes the identifier and throws CallError when closing fails (e.g. a file whose final
  /// flush fails); `context` names the object in the message.
  void close(const char* call, const std::string& context) {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0 && close_ != nullptr) h5_check(close_(id), call, context);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// The native HDF5 memory type of T (float, double, int32, uint32, int64, uint64).
template <class T>
hid_t h5_native_type() {
  if constexpr (std::is_same_v<T, float>) {
    return H5T_NATIVE_FLOAT;
  } else if constexpr (std::is_same_v<T, double>) {
    return H5T_NATIVE_DOUBLE;
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    return H5T_NATIVE_INT32;
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    return H5T_NATIVE_UINT32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return H5T_NATIVE_INT64;
  } else {
    static_assert(std::is_same_v<T, std::uint64_t>, "unsupported HDF5 element type");
    return H5T_NATIVE_UINT64;
  }
}

/// The little-endian IEEE file type for float (32-bit) or double (64-bit) data.
template <class T>
hid_t h5_file_float_type() {
  static_assert(std::is_floating_point_v<T>, "float or double");
  return sizeof(T) == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
}

/// Creates (truncating) the HDF5 file `path` for writing. The file refuses to close while
/// objects in it are still open (H5F_CLOSE_SEMI), so close() reports leaks instead of
/// silently deferring the final flush.
inline H5Id h5_create_file(const std::string& path) {
  H5Id fapl(h5_check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path), H5Pclose);
  h5_check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), "H5Pset_fclose_degree", path);
  return H5Id(
      h5_check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), "H5Fcreate", path),
      H5Fclose);
}

/// Opens the existing HDF5 file `path` read-only; throws std::runtime_error when it does not
/// exist and CallError when HDF5 cannot open it (e.g. not an HDF5 file).
inline H5Id h5_open_file(const std::string& path) {
  // H5Fis_accessible is 1.12+; probing with H5Fis_hdf5 keeps 1.10 (Debian) working.
  FILE* probe = std::fopen(path.c_str(), "rb");
  if (probe == nullptr) throw std::runtime_error(path + ": cannot open file (does it exist?)");
  std::fclose(probe);
  return H5Id(h5_check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path),
              H5Fclose);
}

/// Whether the link `name` (one path component, or a path whose parents exist) exists
/// under `loc`.
inline bool h5_has_link(hid_t loc, const std::string& name, const std::string& context) {
  return h5_check(H5Lexists(loc, name.c_str(), H5P_DEFAULT), "H5Lexists", context) > 0;
}

/// Whether the attribute `name` exists on the object `loc`.
inline bool h5_has_attribute(hid_t loc, const std::string& name, const std::string& context) {
  return h5_check(H5Aexists(loc, name.c_str()), "H5Aexists", context) > 0;
}

/// An object-creation property list of class `cls` (H5P_DATASET_CREATE, H5P_GROUP_CREATE)
/// that records no modification times, so identical data give byte-identical files.
inline H5Id h5_untimed_plist(hid_t cls, const std::string& context) {
  H5Id plist(h5_check(H5Pcreate(cls), "H5Pcreate", context), H5Pclose);
  h5_check(H5Pset_obj_track_times(plist.get(), 0), "H5Pset_obj_track_times", context);
  return plist;
}

/// Creates dataset `name` under `loc` (no modification times recorded).
inline H5Id h5_create_dataset(hid_t loc, const std::string& name, hid_t file_type, hid_t space,
                              const std::string& context) {
  const H5Id dcpl = h5_untimed_plist(H5P_DATASET_CREATE, context);
  return H5Id(h5_check(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl.get(),
                                  H5P_DEFAULT),
                       "H5Dcreate2", context),
              H5Dclose);
}

/// Creates group `name` under `loc` (no modification times recorded); `context` (the file)
/// names it in errors.
inline H5Id h5_create_group(hid_t loc, const std::string& name, const std::string& context) {
  const H5Id gcpl = h5_untimed_plist(H5P_GROUP_CREATE, context);
  return H5Id(h5_check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                       "H5Gcreate2", context + ": /" + name),
              H5Gclose);
}

/// Opens group `name` under `loc`; throws std::runtime_error "<file>: missing group /<name>"
/// when absent.
inline H5Id h5_open_group(hid_t loc, const std::string& name, const std::string& file) {
  if (!h5_has_link(loc, name, file)) throw std::runtime_error(file + ": missing group /" + name);
  return H5Id(h5_check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "H5Gopen2", file + ": /" + name),
              H5Gclose);
}

/// Opens dataset `name` under `loc`; throws std::runtime_error "<file>: missing dataset
/// <where>/<name>" when absent.
inline H5Id h5_open_dataset(hid_t loc, const std::string& name, const std::string& file,
                            const std::string& where = "") {
  if (!h5_has_link(loc, name, file)) {
    throw std::runtime_error(file + ": missing dataset " + where + "/" + name);
  }
  return H5Id(h5_check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2",
                       file + ": " + where + "/" + name),
              H5Dclose);
}

/// A simple dataspace of the given shape (a scalar space when `dims` is empty).
inline H5Id h5_dataspace(const std::vector<hsize_t>& dims, const std::string& context) {
  const hid_t id = dims.empty()
                       ? H5Screate(H5S_SCALAR)
                       : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  return H5Id(h5_check(id, "H5Screate", context), H5Sclose);
}

/// Writes `data` (rows x cols values, cols = 0 for a 1-D dataset) as dataset `name` of
/// `group` with the file type `file_type`; `where` (file and group) names it in errors.
template <class M>
void h5_write_dataset(hid_t group, const std::string& name, hid_t file_type,
                      const std::vector<M>& data, hsize_t cols, const std::string& where) {
  const std::string context = where + "/" + name;
  const hsize_t width = cols > 0 ? cols : 1;
  std::vector<hsize_t> dims{static_cast<hsize_t>(data.size() / width)};
  if (cols > 0) dims.push_back(cols);
  H5Id space = h5_dataspace(dims, context);
  H5Id dset = h5_create_dataset(group, name, file_type, space.get(), context);
  if (!data.empty()) {
    h5_check(H5Dwrite(dset.get(), h5_native_type<M>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
             "H5Dwrite", context);
  }
  dset.close("H5Dclose", context);
}

/// Every value of the double dataset `name` of `loc`, flattened in C order, with its shape in
/// `shape` when not null; `where` (file and group) names it in errors.
inline std::vector<double> h5_read_doubles(hid_t loc, const std::string& name,
                                           const std::string& where,
                                           std::vector<hsize_t>* shape = nullptr);

/// The shape of dataset `dset`.
inline std::vector<hsize_t> h5_dataset_shape(hid_t dset, const std::string& context) {
  H5Id space(h5_check(H5Dget_space(dset), "H5Dget_space", context), H5Sclose);
  const int rank =
      h5_check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", context);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) {
    h5_check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr),
             "H5Sget_simple_extent_dims", context);
  }
  return dims;
}

/// "(a,b,c)" for a shape.
inline std::string h5_shape_string(const std::vector<hsize_t>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + ")";
}

inline std::vector<double> h5_read_doubles(hid_t loc, const std::string& name,
                                           const std::string& where, std::vector<hsize_t>* shape) {
  const std::string context = where + "/" + name;
  H5Id d = h5_open_dataset(loc, name, where, "");
  const std::vector<hsize_t> dims = h5_dataset_shape(d.get(), context);
  std::size_t count = 1;
  for (hsize_t n : dims) count *= static_cast<std::size_t>(n);
  std::vector<double> v(count);
  if (count > 0) {
    h5_check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
             "H5Dread", context);
  }
  if (shape) *shape = dims;
  return v;
}

/// Writes `values` as attribute `name` on `loc`: a scalar when `as_scalar` and one value,
/// else a 1-D array. Stored with T's native type (float/double/int/uint of that width).
template <class T>
void h5_write_attribute(hid_t loc, const std::string& name, const std::vector<T>& values,
                        const std::string& context, bool as_scalar = false) {
  const std::string where = context + ": attribute " + name;
  H5Id space = h5_dataspace(as_scalar ? std::vector<hsize_t>{}
                                      : std::vector<hsize_t>{static_cast<hsize_t>(values.size())},
                            where);
  H5Id attr(h5_check(H5Acreate2(loc, name.c_str(), h5_native_type<T>(), space.get(), H5P_DEFAULT,
                                H5P_DEFAULT),
                     "H5Acreate2", where),
            H5Aclose);
  h5_check(H5Awrite(attr.get(), h5_native_type<T>(), values.data()), "H5Awrite", where);
}

/// Writes the scalar attribute `name` = value on `loc`.
template <class T>
void h5_write_attribute(hid_t loc, const std::string& name, T value, const std::string& context) {
  h5_write_attribute(loc, name, std::vector<T>{value}, context, true);
}

/// Writes the fixed-length string attribute `name` = text on `loc`.
inline void h5_write_string_attribute(hid_t loc, const std::string& name, const std::string& text,
                                      const std::string& context) {
  const std::string where = context + ": attribute " + name;
  H5Id type(h5_check(H5Tcopy(H5T_C_S1), "H5Tcopy", where), H5Tclose);
  h5_check(H5Tset_size(type.get(), std::max<std::size_t>(1, text.size())), "H5Tset_size", where);
  h5_check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "H5Tset_strpad", where);
  H5Id space = h5_dataspace({}, where);
  H5Id attr(
      h5_check(H5Acreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               "H5Acreate2", where),
      H5Aclose);
  h5_check(H5Awrite(attr.get(), type.get(), text.c_str()), "H5Awrite", where);
}

/// Reads the string attribute `name` of `loc` (fixed or variable length).
inline std::string h5_read_string_attribute(hid_t loc, const std::string& name,
                                            const std::string& where) {
  const std::string context = where + ": attribute " + name;
  H5Id attr(h5_check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "H5Aopen", context), H5Aclose);
  H5Id type(h5_check(H5Aget_type(attr.get()), "H5Aget_type", context), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw std::runtime_error(context + " is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    char* value = nullptr;
    H5Id mem(h5_check(H5Tcopy(H5T_C_S1), "H5Tcopy", context), H5Tclose);
    h5_check(H5Tset_size(mem.get(), H5T_VARIABLE), "H5Tset_size", context);
    h5_check(H5Aread(attr.get(), mem.get(), &value), "H5Aread", context);
    std::string out = value != nullptr ? value : "";
    H5free_memory(value);
    return out;
  }
  std::string buf(H5Tget_size(type.get()), '\0');
  h5_check(H5Aread(attr.get(), type.get(), buf.data()), "H5Aread", context);
  return buf.substr(0, buf.find('\0'));
}

/// Reads attribute `name` of `loc` converted to T; it must hold exactly `count` values
/// (a scalar or 1-element array for count 1). Throws std::runtime_error "<where>: missing
/// attribute <name>" when absent and when its size is wrong.
template <class T>
std::vector<T> h5_read_attribute(hid_t loc, const std::string& name, std::size_t count,
                                 const std::string& where) {
  if (!h5_has_attribute(loc, name, where)) {
    throw std::runtime_error(where + ": missing attribute " + name);
  }
  const std::string context = where + ": attribute " + name;
  H5Id attr(h5_check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "H5Aopen", context), H5Aclose);
  H5Id space(h5_check(H5Aget_space(attr.get()), "H5Aget_space", context), H5Sclose);
  const hssize_t n =
      h5_check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", context);
  if (static_cast<std::size_t>(n) != count) {
    throw std::runtime_error(context + " has " + std::to_string(n) + " values, expected " +
                             std::to_string(count));
  }
  H5Id type(h5_check(H5Aget_type(attr.get()), "H5Aget_type", context), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
    throw std::runtime_error(context + " is not numeric");
  }
  std::vector<T> values(count);
  h5_check(H5Aread(attr.get(), h5_native_type<T>(), values.data()), "H5Aread", context);
  return values;
}

/// Reads the scalar attribute `name` of `loc` converted to T (see h5_read_attribute).
template <class T>
T h5_read_scalar_attribute(hid_t loc, const std::string& name, const std::string& where) {
  return h5_read_attribute<T>(loc, name, 1, where)[0];
}

/// Size in bytes of the stored type of attribute `name` on `loc` (0 when absent).
inline std::size_t h5_attribute_type_size(hid_t loc, const std::string& name,
                                          const std::string& where) {
  if (!h5_has_attribute(loc, name, where)) return 0;
  const std::string context = where + ": attribute " + name;
  H5Id attr(h5_check(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "H5Aopen", context), H5Aclose);
  H5Id type(h5_check(H5Aget_type(attr.get()), "H5Aget_type", context), H5Tclose);
  return H5Tget_size(type.get());
}

}  // namespace cosmograd::sim::detail
