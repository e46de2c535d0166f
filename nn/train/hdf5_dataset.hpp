// Batches from an HDF5 collection of fields: dataset `fields` of shape (N, C, n, n, n) and an
// optional dataset `params` of shape (N, P), shuffled deterministically per epoch from a seed.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cosmograd::nn {

/// One batch of samples.
struct FieldBatch {
  /// Fields [B, C, n, n, n], float32, CPU.
  torch::Tensor fields;
  /// Parameters [B, P], float32, CPU (undefined when the file has no `params`).
  torch::Tensor params;
  /// Indices of the samples in the file [B], int64.
  torch::Tensor indices;
};

/// Options of Hdf5FieldDataset.
struct Hdf5FieldDatasetOptions {
  /// Samples per batch (> 0).
  int64_t batch_size = 8;
  /// Shuffle the samples every epoch (else file order).
  bool shuffle = true;
  /// Seed of the per-epoch permutations.
  uint64_t seed = 0;
  /// Drop the last incomplete batch of an epoch (else it is returned smaller).
  bool drop_last = true;
};

/// Read-only view of an HDF5 field collection; batch(i) is a pure function of (file, options, i),
/// so training that draws batch(step) resumes exactly. Stored floating types are converted to
/// float32. Reopens the file per call (not thread-safe: HDF5 is serial here).
class Hdf5FieldDataset {
 public:
  /// Opens `path` and checks the datasets' shapes; throws std::runtime_error naming the file
  /// when it is missing, lacks `fields`, or a shape is wrong (or when built without HDF5).
  Hdf5FieldDataset(std::string path, Hdf5FieldDatasetOptions options);

  /// Number of samples N.
  int64_t size() const { return size_; }
  /// Channels C.
  int64_t channels() const { return channels_; }
  /// Mesh size n per side.
  int64_t mesh() const { return mesh_; }
  /// Parameters per sample P (0 when the file has no `params`).
  int64_t num_params() const { return num_params_; }
  /// Batches per epoch (floor(N / B) with drop_last, else ceil(N / B)).
  int64_t batches_per_epoch() const;
  /// Sample order of epoch `epoch` (a permutation of 0..N-1; identity when not shuffling).
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  /// Batch number `index` counted over all epochs (epoch = index / batches_per_epoch()).
  FieldBatch batch(int64_t index) const;
  /// The samples `indices` (each in [0, N)), in that order.
  FieldBatch read(const std::vector<int64_t>& indices) const;

 private:
  std::string path_;
  Hdf5FieldDatasetOptions options_;
  int64_t size_ = 0;
  int64_t channels_ = 0;
  int64_t mesh_ = 0;
  int64_t num_params_ = 0;
};

/// Writes an HDF5 field collection that Hdf5FieldDataset reads: dataset `fields` (N, C, n, n, n)
/// from `fields` and, when defined, `params` (N, P), both stored as float32, plus scalar double
/// attributes `attributes` on the file's root and string attributes `text` (provenance, units).
/// Atomic (temporary name, then rename); throws std::invalid_argument for bad shapes and
/// std::runtime_error naming the file when HDF5 fails (or when built without HDF5).
void write_field_collection(const std::string& path, const torch::Tensor& fields,
                            const torch::Tensor& params,
                            const std::map<std::string, double>& attributes = {},
                            const std::map<std::string, std::string>& text = {});

}  // namespace cosmograd::nn
