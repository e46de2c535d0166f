#include "nn/train/hdf5_dataset.hpp"

#include <torch/torch.h>

#include <random>
#include <stdexcept>
#include <utility>

#include "sim/core/atomic_file.hpp"
#include "sim/core/build_config.hpp"
#if COSMOGRAD_HAVE_HDF5
#include "sim/io/detail/hdf5_file.hpp"
#endif

namespace cosmograd::nn {

#if COSMOGRAD_HAVE_HDF5
namespace {

using sim::detail::h5_check;
using sim::detail::H5Id;

// Reads rows `indices` of the dataset `name` (shape (N, ...)) into `out` ([B, ...] float32).
void read_rows(hid_t file, const std::string& name, const std::string& path,
               const std::vector<int64_t>& indices, torch::Tensor& out) {
  const H5Id dset = sim::detail::h5_open_dataset(file, name, path);
  const std::string where = path + ": /" + name;
  std::vector<hsize_t> dims = sim::detail::h5_dataset_shape(dset.get(), where);
  H5Id file_space(h5_check(H5Dget_space(dset.get()), "H5Dget_space", where), H5Sclose);
  std::vector<hsize_t> count = dims;
  count[0] = 1;
  const H5Id mem_space = sim::detail::h5_dataspace(count, where);
  std::vector<hsize_t> start(dims.size(), 0);
  const int64_t row = out.numel() / std::max<int64_t>(1, out.size(0));
  float* data = out.data_ptr<float>();
  for (std::size_t b = 0; b < indices.size(); ++b) {
    start[0] = static_cast<hsize_t>(indices[b]);
    h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                 count.data(), nullptr),
             "H5Sselect_hyperslab", where);
    h5_check(H5Dread(dset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT,
                     data + static_cast<int64_t>(b) * row),
             "H5Dread", where);
  }
}

// Throws unless dataset `name` stores floating-point values.
void require_float(hid_t dset, const std::string& where) {
  H5Id type(h5_check(H5Dget_type(dset), "H5Dget_type", where), H5Tclose);
  if (h5_check(H5Tget_class(type.get()), "H5Tget_class", where) != H5T_FLOAT) {
    throw std::runtime_error(where + ": must hold floating-point values");
  }
}

}  // namespace
#endif

Hdf5FieldDataset::Hdf5FieldDataset(std::string path, Hdf5FieldDatasetOptions options)
    : path_(std::move(path)), options_(options) {
  if (options_.batch_size <= 0) {
    throw std::invalid_argument(path_ + ": batch_size = " + std::to_string(options_.batch_size) +
                                " (must be > 0)");
  }
#if COSMOGRAD_HAVE_HDF5
  const H5Id file = sim::detail::h5_open_file(path_);
  {
    const H5Id fields = sim::detail::h5_open_dataset(file.get(), "fields", path_);
    const std::string where = path_ + ": /fields";
    require_float(fields.get(), where);
    const auto dims = sim::detail::h5_dataset_shape(fields.get(), where);
    if (dims.size() != 5 || dims[2] != dims[3] || dims[2] != dims[4] || dims[0] == 0) {
      throw std::runtime_error(where + " has shape " + sim::detail::h5_shape_string(dims) +
                               " (expected (N, C, n, n, n) with N > 0)");
    }
    size_ = static_cast<int64_t>(dims[0]);
    channels_ = static_cast<int64_t>(dims[1]);
    mesh_ = static_cast<int64_t>(dims[2]);
  }
  if (sim::detail::h5_has_link(file.get(), "params", path_)) {
    const H5Id params = sim::detail::h5_open_dataset(file.get(), "params", path_);
    const std::string where = path_ + ": /params";
    require_float(params.get(), where);
    const auto dims = sim::detail::h5_dataset_shape(params.get(), where);
    if (dims.size() != 2 || static_cast<int64_t>(dims[0]) != size_) {
      throw std::runtime_error(where + " has shape " + sim::detail::h5_shape_string(dims) +
                               " (expected (" + std::to_string(size_) + ", P))");
    }
    num_params_ = static_cast<int64_t>(dims[1]);
  }
  if (options_.drop_last && size_ < options_.batch_size) {
    throw std::runtime_error(path_ + ": " + std::to_string(size_) + " samples < batch_size " +
                             std::to_string(options_.batch_size) + " with drop_last");
  }
#else
  throw std::runtime_error(path_ + ": cannot read field datasets: built without HDF5");
#endif
}

int64_t Hdf5FieldDataset::batches_per_epoch() const {
  return options_.drop_last ? size_ / options_.batch_size
                            : (size_ + options_.batch_size - 1) / options_.batch_size;
}

std::vector<int64_t> Hdf5FieldDataset::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<std::size_t>(size_));
  for (int64_t i = 0; i < size_; ++i) order[static_cast<std::size_t>(i)] = i;
  if (!options_.shuffle) return order;
  // Fisher-Yates with mt19937_64 (its output is fixed by the standard, unlike std::shuffle's).
  std::seed_seq seq{static_cast<uint32_t>(options_.seed),
                    static_cast<uint32_t>(options_.seed >> 32), static_cast<uint32_t>(epoch),
                    static_cast<uint32_t>(epoch >> 32)};
  std::mt19937_64 rng(seq);
  for (int64_t i = size_ - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

FieldBatch Hdf5FieldDataset::batch(int64_t index) const {
  if (index < 0) throw std::invalid_argument(path_ + ": negative batch index");
  const int64_t per_epoch = batches_per_epoch();
  const int64_t epoch = index / per_epoch;
  const int64_t first = (index % per_epoch) * options_.batch_size;
  const int64_t last = std::min(size_, first + options_.batch_size);
  const std::vector<int64_t> order = epoch_order(epoch);
  return read(std::vector<int64_t>(order.begin() + first, order.begin() + last));
}

FieldBatch Hdf5FieldDataset::read(const std::vector<int64_t>& indices) const {
  for (const int64_t i : indices) {
    if (i < 0 || i >= size_) {
      throw std::out_of_range(path_ + ": sample " + std::to_string(i) + " outside [0, " +
                              std::to_string(size_) + ")");
    }
  }
  const auto b = static_cast<int64_t>(indices.size());
  FieldBatch batch;
  batch.indices = torch::tensor(indices, torch::kInt64);
  batch.fields = torch::empty({b, channels_, mesh_, mesh_, mesh_}, torch::kFloat32);
  if (num_params_ > 0) batch.params = torch::empty({b, num_params_}, torch::kFloat32);
#if COSMOGRAD_HAVE_HDF5
  if (b > 0) {
    const H5Id file = sim::detail::h5_open_file(path_);
    read_rows(file.get(), "fields", path_, indices, batch.fields);
    if (num_params_ > 0) read_rows(file.get(), "params", path_, indices, batch.params);
  }
#endif
  return batch;
}

void write_field_collection(const std::string& path, const torch::Tensor& fields,
                            const torch::Tensor& params,
                            const std::map<std::string, double>& attributes,
                            const std::map<std::string, std::string>& text) {
  if (fields.dim() != 5 || fields.size(2) != fields.size(3) || fields.size(2) != fields.size(4)) {
    throw std::invalid_argument(path + ": fields must have shape (N, C, n, n, n)");
  }
  if (params.defined() && (params.dim() != 2 || params.size(0) != fields.size(0))) {
    throw std::invalid_argument(
        path + ": params must have shape (N, P) with N = " + std::to_string(fields.size(0)));
  }
#if COSMOGRAD_HAVE_HDF5
  using sim::detail::h5_check;
  sim::AtomicWrite out(path);
  H5Id file = sim::detail::h5_create_file(out.temp_path());
  auto write = [&](const std::string& name, const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat32).contiguous();
    std::vector<hsize_t> dims(c.sizes().begin(), c.sizes().end());
    const std::string where = path + ": /" + name;
    H5Id space = sim::detail::h5_dataspace(dims, where);
    H5Id dset =
        sim::detail::h5_create_dataset(file.get(), name, H5T_IEEE_F32LE, space.get(), where);
    h5_check(
        H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.data_ptr<float>()),
        "H5Dwrite", where);
    dset.close("H5Dclose", where);
  };
  write("fields", fields);
  if (params.defined()) write("params", params);
  for (const auto& [name, value] : attributes) {
    sim::detail::h5_write_attribute(file.get(), name, value, path);
  }
  for (const auto& [name, value] : text) {
    sim::detail::h5_write_string_attribute(file.get(), name, value, path);
  }
  file.close("H5Fclose", path);
  out.commit();
#else
  (void)attributes;
  (void)text;
  throw std::runtime_error(path + ": cosmograd was built without HDF5");
#endif
}

}  // namespace cosmograd::nn
