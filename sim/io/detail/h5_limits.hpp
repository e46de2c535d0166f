// Checks that a dataset's declared shape is backed by data in the file before a reader
// allocates memory for it (sim-internal): a hostile header or dataspace must not make a reader
// allocate terabytes (issue 28).
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::sim::detail {

/// Physical memory of this machine [bytes]; 2^62 when unknown.
inline std::uint64_t h5_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::uint64_t{1} << 62;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

/// The number of values of `shape` (saturating at 2^64 - 1).
inline std::uint64_t h5_shape_values(const std::vector<hsize_t>& shape) {
  std::uint64_t n = 1;
  for (hsize_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / d) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    n *= d;
  }
  return n;
}

/// Throws std::runtime_error "<where>: shape (...) = N values ... (allowed: ...)" unless the
/// `values` values of dataset `dset` (shape `shape`, read as `mem_bytes`-byte values) fit in
/// this machine's memory and are stored in the file: contiguous data written in full and no
/// larger than the file, chunked data whose written chunks cover every value. Call it before
/// allocating the buffer a dataset is read into.
inline void h5_check_dataset_stored(hid_t dset, const std::vector<hsize_t>& shape,
                                    std::size_t mem_bytes, const std::string& where) {
  const std::uint64_t values = h5_shape_values(shape);
  if (values == 0) return;
  const std::string head =
      where + ": shape " + h5_shape_string(shape) + " = " +
      (values == std::numeric_limits<std::uint64_t>::max() ? std::string("more than 2^64")
                                                           : std::to_string(values)) +
      " values";
  const std::uint64_t memory = h5_memory_bytes();
  if (values > memory / mem_bytes) {
    throw std::runtime_error(head + " of " + std::to_string(mem_bytes) +
                             " bytes do not fit in memory (allowed: up to " +
                             std::to_string(memory) + " bytes)");
  }
  H5Id dcpl(h5_check(H5Dget_create_plist(dset), "H5Dget_create_plist", where), H5Pclose);
  if (h5_check(H5Pget_external_count(dcpl.get()), "H5Pget_external_count", where) > 0) return;
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  const std::uint64_t stored = H5Dget_storage_size(dset);
  if (layout == H5D_CONTIGUOUS) {
    H5Id type(h5_check(H5Dget_type(dset), "H5Dget_type", where), H5Tclose);
    const std::uint64_t type_bytes = H5Tget_size(type.get());
    // values <= memory / mem_bytes < 2^62, so values * type_bytes overflows only for absurd types.
    const std::uint64_t need =
        type_bytes > 0 && values > std::numeric_limits<std::uint64_t>::max() / type_bytes
            ? std::numeric_limits<std::uint64_t>::max()
            : values * type_bytes;
    if (stored < need) {
      throw std::runtime_error(head + " need " + std::to_string(need) +
                               " bytes but the file stores " + std::to_string(stored) +
                               " (allowed: a dataset whose data were written in full)");
    }
    H5Id file(h5_check(H5Iget_file_id(dset), "H5Iget_file_id", where), H5Fclose);
    hsize_t file_bytes = 0;
    h5_check(H5Fget_filesize(file.get(), &file_bytes), "H5Fget_filesize", where);
    if (stored > file_bytes) {
      throw std::runtime_error(head + " claim " + std::to_string(stored) +
                               " stored bytes but the file has " + std::to_string(file_bytes) +
                               " (allowed: data inside the file)");
    }
  } else if (layout == H5D_CHUNKED) {
    const int rank = h5_check(H5Pget_chunk(dcpl.get(), 0, nullptr), "H5Pget_chunk", where);
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    if (rank > 0) h5_check(H5Pget_chunk(dcpl.get(), rank, chunk.data()), "H5Pget_chunk", where);
    hsize_t chunks = 0;
    h5_check(H5Dget_num_chunks(dset, H5S_ALL, &chunks), "H5Dget_num_chunks", where);
    std::vector<hsize_t> covered_shape = chunk;
    covered_shape.push_back(chunks);
    const std::uint64_t covered = h5_shape_values(covered_shape);
    if (covered < values) {
      throw std::runtime_error(head + " but its " + std::to_string(chunks) +
                               " written chunks hold at most " + std::to_string(covered) +
                               " (allowed: a dataset whose data were written in full)");
    }
  }
}

}  // namespace cosmograd::sim::detail
