// A structure-aware HDF5 writer for the fuzz targets: the fuzz input picks the types, shapes,
// layouts and values of well-formed HDF5 attributes and datasets, so that the readers' own
// checks (not libhdf5's parser) are exercised.
#pragma once

#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_common.hpp"

namespace cosmograd::fuzz {

/// An HDF5 identifier closed by `close` on scope exit (ignores invalid ids).
struct H5Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  H5Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~H5Handle() {
    if (id >= 0) close(id);
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
};

/// The file type for code 0..6: f64, f32, i32, u32, i64, u64, u8.
inline hid_t pick_type(FuzzedDataProvider& in, int typical) {
  static const hid_t* const types[] = {&H5T_IEEE_F64LE_g, &H5T_IEEE_F32LE_g, &H5T_STD_I32LE_g,
                                       &H5T_STD_U32LE_g,  &H5T_STD_I64LE_g,  &H5T_STD_U64LE_g,
                                       &H5T_STD_U8LE_g};
  const int code =
      in.ConsumeIntegralInRange<int>(0, 5) == 5 ? in.ConsumeIntegralInRange<int>(0, 6) : typical;
  return *types[code];
}

/// Writes attribute `name` on `loc` holding `values` (converted to the picked type): sometimes
/// as a scalar, with a value missing or extra, as a string, or not at all.
inline void put_attribute(hid_t loc, const std::string& name, std::vector<double> values,
                          FuzzedDataProvider& in, int typical_type = 0) {
  const int mode = 15 - in.ConsumeIntegralInRange<int>(0, 15);  // 15: as it should be
  if (mode == 0) return;                                        // missing
  if (mode == 1) {                                              // a string, not a number
    H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.id, 4);
    H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    H5Handle attr(H5Acreate2(loc, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose);
    if (attr.id >= 0) H5Awrite(attr.id, type.id, "abc");
    return;
  }
  if (mode == 2) values.push_back(values.empty() ? 1.0 : values.back());
  if (mode == 3 && !values.empty()) values.pop_back();
  const bool scalar = values.size() == 1 && mode != 4;
  const hsize_t n = values.size();
  H5Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  const hid_t type = pick_type(in, typical_type);
  H5Handle attr(H5Acreate2(loc, name.c_str(), type, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (attr.id >= 0 && !values.empty()) {
    // Conversion exceptions (NaN to an integer type, overflow) are HDF5's: it clips them.
    H5Awrite(attr.id, H5T_NATIVE_DOUBLE, values.data());
  }
}

/// Writes the scalar attribute `name` = one picked double (edge cases included).
inline void put_double(hid_t loc, const std::string& name, double typical, FuzzedDataProvider& in) {
  put_attribute(loc, name, {pick_double(in, typical)}, in);
}

/// Writes the (rows) or (rows, cols) dataset `name` under `loc`, values from `value(i)`. The
/// input may change the shape (rows +- 1, other cols, rank), the type, the layout (chunked), or
/// declare a huge dataset (2^40 rows) whose data were never written.
template <class Value>
void put_dataset(hid_t loc, const std::string& name, hsize_t rows, hsize_t cols,
                 FuzzedDataProvider& in, int typical_type, Value value) {
  const int mode = 19 - in.ConsumeIntegralInRange<int>(0, 19);  // 19: as it should be
  if (mode == 0) return;                                        // missing
  std::vector<hsize_t> dims{rows};
  if (cols > 0) dims.push_back(cols);
  if (mode == 1) dims[0] += 1;
  if (mode == 2 && dims[0] > 0) dims[0] -= 1;
  if (mode == 3) dims.push_back(2);
  if (mode == 4 && cols > 0) dims[1] = cols + 1;
  if (mode == 5 && cols > 0) dims.pop_back();
  const bool huge = mode == 6 || mode == 7;  // declared, never written
  if (huge) dims[0] = hsize_t{1} << 40;
  const bool chunked = mode == 7 || mode == 8;
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (chunked) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    chunk[0] = huge ? 4096 : std::max<hsize_t>(1, dims[0]);
    if (dims.size() > 1) chunk[1] = dims[1];
    H5Pset_chunk(dcpl.id, static_cast<int>(chunk.size()), chunk.data());
  }
  const hid_t type = pick_type(in, typical_type);
  H5Handle dset(H5Dcreate2(loc, name.c_str(), type, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT),
                H5Dclose);
  if (dset.id < 0 || huge) return;
  std::size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
  std::vector<double> data(count);
  for (std::size_t i = 0; i < count; ++i) {
    data[i] = in.ConsumeIntegralInRange<int>(0, 15) == 15 ? pick_double(in, value(i)) : value(i);
  }
  if (count > 0) H5Dwrite(dset.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
}

/// Creates group `name` under `loc` unless the input drops it (then returns an invalid id,
/// and writes into it fail quietly).
inline hid_t put_group(hid_t loc, const std::string& name, FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 31) == 31) return H5I_INVALID_HID;
  return H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

/// Turns off HDF5's printing of its error stack (the readers report errors themselves).
inline void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

}  // namespace cosmograd::fuzz
