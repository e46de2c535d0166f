// Reading the float and integer arrays of the image sets' HDF5 files (stamp, blend and lens
// sets), with errors naming the file and the dataset.
#pragma once

#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::surveys::detail {

/// Reads the dataset `name` of `loc` as float32 values; its shape must be `rank`-dimensional and
/// is returned in `dims`.
inline std::vector<float> read_floats(hid_t loc, const std::string& name, std::size_t rank,
                                      std::vector<hsize_t>& dims, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  H5Id dset = h5_open_dataset(loc, name, path);
  dims = h5_dataset_shape(dset.get(), context);
  if (dims.size() != rank)
    throw std::runtime_error(context + " has shape " + h5_shape_string(dims) + ", expected " +
                             std::to_string(rank) + " dimensions");
  H5Id type(h5_check(H5Dget_type(dset.get()), "H5Dget_type", context), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT && H5Tget_class(type.get()) != H5T_INTEGER)
    throw std::runtime_error(context + " is not numeric");
  std::size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
  std::vector<float> v(count);
  if (count > 0)
    h5_check(H5Dread(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
             "H5Dread", context);
  return v;
}

/// Throws std::runtime_error naming the file and dataset unless `dims` equals `expected`.
inline void require_shape(const std::string& path, const std::string& name,
                          const std::vector<hsize_t>& dims, const std::vector<hsize_t>& expected) {
  if (dims != expected)
    throw std::runtime_error(path + ": /" + name + " has shape " +
                             sim::detail::h5_shape_string(dims) + ", expected " +
                             sim::detail::h5_shape_string(expected));
}

/// Reads the integer dataset `name` of `loc` as int32 values (shape in `dims`, rank `rank`).
inline std::vector<int> read_ints(hid_t loc, const std::string& name, std::size_t rank,
                                  std::vector<hsize_t>& dims, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  H5Id dset = h5_open_dataset(loc, name, path);
  dims = h5_dataset_shape(dset.get(), context);
  if (dims.size() != rank)
    throw std::runtime_error(context + " has shape " + h5_shape_string(dims) + ", expected " +
                             std::to_string(rank) + " dimensions");
  std::size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
  std::vector<int> v(count);
  if (count > 0)
    h5_check(H5Dread(dset.get(), H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
             "H5Dread", context);
  return v;
}

/// Writes float32 `data` of shape `dims` as dataset `name` of `loc` (`path` names the file in
/// errors).
inline void write_floats(hid_t loc, const std::string& name, const std::vector<float>& data,
                         const std::vector<hsize_t>& dims, const std::string& path) {
  using namespace sim::detail;
  const std::string context = path + ": /" + name;
  H5Id space = h5_dataspace(dims, context);
  H5Id dset = h5_create_dataset(loc, name, H5T_IEEE_F32LE, space.get(), context);
  if (!data.empty())
    h5_check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()),
             "H5Dwrite", context);
  dset.close("H5Dclose", context);
}

/// The string attribute `name` of the root group; std::runtime_error naming the file if absent.
inline std::string root_string(hid_t root, const std::string& name, const std::string& path) {
  if (!sim::detail::h5_has_attribute(root, name, path))
    throw std::runtime_error(path + ": missing root attribute " + name);
  return sim::detail::h5_read_string_attribute(root, name, path);
}

}  // namespace cosmograd::surveys::detail
