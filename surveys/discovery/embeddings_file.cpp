// Embeddings files (see embeddings_file.hpp for the layout).
#include "surveys/discovery/embeddings_file.hpp"

#include <hdf5.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "surveys/images/h5_arrays.hpp"

namespace cosmograd::surveys {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

/// Names of the links in group `g`.
std::vector<std::string> link_names(hid_t g, const std::string& context) {
  H5G_info_t info;
  sim::detail::h5_check(H5Gget_info(g, &info), "H5Gget_info", context);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    sim::detail::h5_check(len, "H5Lget_name_by_idx", context);
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(len));
    names.push_back(name);
  }
  return names;
}

}  // namespace

const std::vector<std::int32_t>& Embeddings::label(const std::string& name) const {
  const auto it = labels.find(name);
  if (it == labels.end()) {
    std::string present;
    for (const auto& [k, v] : labels) present += (present.empty() ? "" : ", ") + k;
    throw std::invalid_argument("embeddings: no labels '" + name + "' (present: " +
                                (present.empty() ? std::string("none") : present) + ")");
  }
  return it->second;
}

void Embeddings::validate() const {
  if (dim < 1)
    throw std::invalid_argument("embeddings: dim = " + std::to_string(dim) + ", must be >= 1");
  const std::size_t n = count();
  if (values.size() != n * static_cast<std::size_t>(dim))
    throw std::invalid_argument("embeddings: values has " + std::to_string(values.size()) +
                                " entries, expected N * D = " + std::to_string(n) + " * " +
                                std::to_string(dim));
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw std::invalid_argument(
          "embeddings: values[" + std::to_string(i) + "] = " + std::to_string(values[i]) +
          " (row " + std::to_string(i / static_cast<std::size_t>(dim)) + "), must be finite");
  for (const auto& [name, v] : labels) {
    if (name.empty() || name.find('/') != std::string::npos)
      throw std::invalid_argument("embeddings: label name '" + name +
                                  "' must be non-empty without '/'");
    if (v.size() != n)
      throw std::invalid_argument("embeddings: labels '" + name + "' has " +
                                  std::to_string(v.size()) +
                                  " entries, expected N = " + std::to_string(n));
  }
  for (const auto& [name, v] : label_names)
    for (const auto& s : v)
      if (s.find(',') != std::string::npos)
        throw std::invalid_argument("embeddings: class name '" + s + "' of label '" + name +
                                    "' must not contain ','");
}

Embeddings Embeddings::subset(const std::vector<std::size_t>& rows) const {
  Embeddings out;
  out.dim = dim;
  out.label_names = label_names;
  out.source = source;
  out.model = model;
  const auto d = static_cast<std::size_t>(dim);
  out.values.reserve(rows.size() * d);
  for (const auto& [name, v] : labels) out.labels[name].reserve(rows.size());
  for (std::size_t r : rows) {
    if (r >= count())
      throw std::invalid_argument("embeddings subset: row " + std::to_string(r) +
                                  " out of range [0, " + std::to_string(count()) + ")");
    out.values.insert(out.values.end(), values.begin() + static_cast<std::ptrdiff_t>(r * d),
                      values.begin() + static_cast<std::ptrdiff_t>((r + 1) * d));
    out.index.push_back(index[r]);
    for (const auto& [name, v] : labels) out.labels[name].push_back(v[r]);
  }
  return out;
}

void write_embeddings(const std::string& path, const Embeddings& e) {
  using namespace sim::detail;
  e.validate();
  const auto n = static_cast<hsize_t>(e.count());
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kEmbeddingsFormat, path);
    h5_write_string_attribute(root.get(), "source", e.source, path);
    h5_write_string_attribute(root.get(), "model", e.model, path);
    for (const auto& [name, v] : e.label_names)
      h5_write_string_attribute(root.get(), "label_names_" + name, join(v), path);
    detail::write_floats(root.get(), "embeddings", e.values, {n, static_cast<hsize_t>(e.dim)},
                         path);
    h5_write_dataset(root.get(), "index", H5T_STD_I64LE, e.index, 0, path);
    H5Id labels = h5_create_group(root.get(), "labels", path);
    for (const auto& [name, v] : e.labels)
      h5_write_dataset(labels.get(), name, H5T_STD_I32LE, v, 0, path + ": /labels");
    labels.close("H5Gclose", path);
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

Embeddings read_embeddings(const std::string& path) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = detail::root_string(root.get(), "format", path);
  if (format != kEmbeddingsFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kEmbeddingsFormat + "' (not an embeddings file)");
  Embeddings e;
  e.source = detail::root_string(root.get(), "source", path);
  e.model = detail::root_string(root.get(), "model", path);
  std::vector<hsize_t> dims;
  e.values = detail::read_floats(root.get(), "embeddings", 2, dims, path);
  const hsize_t n = dims[0];
  e.dim = static_cast<std::int64_t>(dims[1]);
  {
    H5Id dset = h5_open_dataset(root.get(), "index", path);
    const auto shape = h5_dataset_shape(dset.get(), path + ": /index");
    detail::require_shape(path, "index", shape, {n});
    e.index.resize(n);
    if (n > 0)
      h5_check(H5Dread(dset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, e.index.data()),
               "H5Dread", path + ": /index");
  }
  H5Id labels = h5_open_group(root.get(), "labels", path);
  for (const std::string& name : link_names(labels.get(), path + ": /labels")) {
    std::vector<hsize_t> ldims;
    const std::vector<int> v = detail::read_ints(labels.get(), name, 1, ldims, path);
    detail::require_shape(path, "labels/" + name, ldims, {n});
    e.labels[name].assign(v.begin(), v.end());
    if (h5_has_attribute(root.get(), "label_names_" + name, path))
      e.label_names[name] =
          split(h5_read_string_attribute(root.get(), "label_names_" + name, path));
  }
  try {
    e.validate();
  } catch (const std::invalid_argument& err) {
    throw std::runtime_error(path + ": " + err.what());
  }
  return e;
}

}  // namespace cosmograd::surveys
