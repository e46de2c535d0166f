// Embeddings files: one vector per object (e.g. a stamp's self-supervised representation)
// with the object's row in its source set and integer labels from the mock truth, read by
// similarity search, anomaly detection and the self-organising map.
//
// File layout (HDF5, written atomically; root attribute format = "cosmograd embeddings 1"):
//   /embeddings     float32 (N, D)  one row per object
//   /index          int64 (N)       the object's row in its source set (e.g. stamp index)
//   /labels/NAME    int32 (N)       integer labels, -1 where unknown (e.g. "morphology":
//                                   morphology_class of the truth's arms; "zbin": redshift bin;
//                                   "anomaly": 0 ordinary, > 0 the injected kind)
//   root attributes: source (the set the rows come from), model (the encoder file),
//   label_names_NAME (comma-separated class names of label NAME, optional)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// The HDF5 root attribute `format` of embeddings files.
inline constexpr const char* kEmbeddingsFormat = "cosmograd embeddings 1";

/// N embedding vectors of dimension D with their rows and labels.
struct Embeddings {
  std::int64_t dim = 0;                                         ///< D >= 1
  std::vector<float> values;                                    ///< N * D, row-major
  std::vector<std::int64_t> index;                              ///< N source rows
  std::map<std::string, std::vector<std::int32_t>> labels;      ///< NAME -> N labels (-1 unknown)
  std::map<std::string, std::vector<std::string>> label_names;  ///< NAME -> class names
  std::string source;                                           ///< provenance of the rows
  std::string model;                                            ///< the encoder that made them

  /// Number of objects N.
  std::size_t count() const { return index.size(); }
  /// Pointer to row i's D values.
  const float* row(std::size_t i) const {
    return values.data() + i * static_cast<std::size_t>(dim);
  }
  /// Labels NAME; throws std::invalid_argument naming NAME and the labels present.
  const std::vector<std::int32_t>& label(const std::string& name) const;
  /// Checks sizes and finiteness; throws std::invalid_argument naming the field and value.
  void validate() const;
  /// The objects `rows` (in that order), every field copied.
  Embeddings subset(const std::vector<std::size_t>& rows) const;
};

/// Writes `e` (validated first) to `path` atomically in the layout above.
void write_embeddings(const std::string& path, const Embeddings& e);
/// Reads an embeddings file; throws std::runtime_error naming the file and the missing or
/// malformed object.
Embeddings read_embeddings(const std::string& path);

}  // namespace cosmograd::surveys
