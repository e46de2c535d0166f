// Mesh fields in HDF5: one (n, n, n) real-space dataset per file, C order [x][y][z], with its
// box size and epoch as attributes (box_size [Mpc/h], redshift, scale_factor).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// A mesh field read from a file (e.g. the `ic_linear_field = FILE.h5` option).
template <class T>
struct FieldFile {
  Field<T> field;       ///< real-space values on the n^3 mesh (serial layout)
  double box_size = 0;  ///< box side L [Mpc/h]
  double redshift = 0;  ///< redshift the field is given at
};
/// A linear density field read from a file.
template <class T>
using LinearFieldFile = FieldFile<T>;

/// Further attributes of a field's dataset: what it is and how it was made.
struct FieldAttributes {
  std::vector<std::pair<std::string, double>> numbers;       ///< (name, value)
  std::vector<std::pair<std::string, std::string>> strings;  ///< (name, text)
};

/// Writes the real-space values of `f` (without the r2c padding) as dataset `name`, shape
/// (n, n, n), float32 for T = float and float64 for T = double, with the dataset attributes
/// box_size [Mpc/h], scale_factor (a), redshift (1/a - 1), mesh (n) and `extra`. The file is
/// created anew (one field per file) under a temporary name and renamed when complete. A
/// distributed `f` is written slab by slab by its ranks in turn (collective; an error on any rank
/// throws on all of them). Throws std::invalid_argument on a bad argument and CallError naming the
/// file when writing fails.
template <class T>
void write_field(const std::string& path, const Field<T>& f, double box_size, double a,
                 const std::string& name = "delta", const FieldAttributes& extra = {});

/// Reads the linear density contrast of `path`: dataset `delta` of shape (N, N, N), real
/// space, C order [x][y][z], any integer or float type (converted to T), with attributes
/// `box_size` [Mpc/h] and `redshift` on the dataset or on the file's root group (dataset
/// first). N must equal `expected_n` (the `particles` setting). Throws std::runtime_error
/// naming the file and the problem: missing file, dataset or attribute; wrong rank or shape
/// ("delta has shape (32,32,16) but particles = 32 needs (32,32,32)"); non-numeric data;
/// box_size <= 0, redshift <= -1 or non-finite values.
template <class T>
LinearFieldFile<T> read_linear_field(const std::string& path, int expected_n);

/// Reads dataset `name` of shape (N, N, N) of `path` as read_linear_field() does (same checks
/// and attributes); N must equal `expected_n`, the value of the setting named `setting` in
/// the shape error ("... but mesh = 64 needs (64,64,64)").
template <class T>
FieldFile<T> read_field(const std::string& path, const std::string& name, int expected_n,
                        const std::string& setting = "mesh");

}  // namespace cosmograd::sim
