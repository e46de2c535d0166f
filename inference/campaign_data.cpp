#include "inference/campaign_data.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::inference {

using namespace sim::detail;  // the HDF5 helpers

namespace {

/// The 1-D double dataset `name` of group `g`.
std::vector<double> read_vector(hid_t g, const std::string& name, const std::string& where) {
  std::vector<hsize_t> shape;
  std::vector<double> v = h5_read_doubles(g, name, where, &shape);
  if (shape.size() != 1) throw std::runtime_error(where + "/" + name + " is not 1-D");
  return v;
}

/// The group `name` of the campaign file `file`, or a message saying which summary is missing.
H5Id open_summary(hid_t root, const std::string& name, const std::string& file) {
  if (!h5_has_link(root, name, file)) {
    throw std::runtime_error(file + ": no /" + name +
                             " summary (run the campaign with summaries = ..." + name + ")");
  }
  return h5_open_group(root, name, file);
}

}  // namespace

SummaryKind parse_summary_kind(const std::string& name, const std::string& key) {
  if (name == "density") return SummaryKind::density;
  if (name == "power") return SummaryKind::power;
  if (name == "power_bispectrum") return SummaryKind::power_bispectrum;
  throw std::invalid_argument(key + " = '" + name +
                              "' is not allowed (allowed: density, power, power_bispectrum)");
}

const char* summary_kind_name(SummaryKind k) {
  switch (k) {
    case SummaryKind::density:
      return "density";
    case SummaryKind::power:
      return "power";
    case SummaryKind::power_bispectrum:
      return "power_bispectrum";
  }
  return "?";
}

CampaignSplit split_campaign(const std::string& dir, int validation, int test) {
  const driver::CampaignManifest m = driver::read_campaign_manifest(dir);
  CampaignSplit s;
  s.parameters = m.parameters;
  std::vector<driver::CampaignEntry> design;
  for (const driver::CampaignEntry& e : m.entries) {
    (e.fiducial ? s.fiducial : design).push_back(e);
  }
  if (validation < 0 || test < 0 || static_cast<int>(design.size()) < validation + test + 1) {
    throw std::invalid_argument(
        "campaign " + dir + " has " + std::to_string(design.size()) +
        " complete design simulations; validation = " + std::to_string(validation) +
        " and test = " + std::to_string(test) + " leave none to train on");
  }
  const std::size_t n_train = design.size() - validation - test;
  s.train.assign(design.begin(), design.begin() + n_train);
  s.validation.assign(design.begin() + n_train, design.begin() + n_train + validation);
  s.test.assign(design.begin() + n_train + validation, design.end());
  return s;
}

std::vector<double> read_summary_vector(const std::string& file, SummaryKind kind, double k_max) {
  if (kind == SummaryKind::density) {
    throw std::invalid_argument("read_summary_vector: the density summary is a field");
  }
  H5Id f = h5_open_file(file);
  std::vector<double> out;
  {
    H5Id g = open_summary(f.get(), "power", file);
    const std::vector<double> k = read_vector(g.get(), "k", file + ": /power");
    const std::vector<double> p = read_vector(g.get(), "power", file + ": /power");
    for (std::size_t i = 0; i < k.size(); ++i) {
      if (k_max > 0 && k[i] > k_max) continue;
      if (!(p[i] > 0)) {
        throw std::runtime_error(file + ": P(k = " + std::to_string(k[i]) +
                                 ") = " + std::to_string(p[i]) + " is not > 0 (lower k_max)");
      }
      out.push_back(std::log(p[i]));
    }
  }
  if (kind == SummaryKind::power_bispectrum) {
    H5Id g = open_summary(f.get(), "bispectrum", file);
    const std::string where = file + ": /bispectrum";
    const std::vector<double> k1 = read_vector(g.get(), "k1", where),
                              k2 = read_vector(g.get(), "k2", where),
                              k3 = read_vector(g.get(), "k3", where),
                              b = read_vector(g.get(), "bispectrum", where);
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (k_max > 0 && std::max({k1[i], k2[i], k3[i]}) > k_max) continue;
      out.push_back(b[i]);
    }
  }
  return out;
}

std::size_t power_entries(const std::string& file, double k_max) {
  return read_summary_vector(file, SummaryKind::power, k_max).size();
}

std::vector<float> read_density_field(const std::string& file, int* n) {
  H5Id f = h5_open_file(file);
  if (!h5_has_link(f.get(), "density", file)) {
    throw std::runtime_error(file +
                             ": no /density summary (run the campaign with summaries = "
                             "density,...)");
  }
  H5Id d = h5_open_dataset(f.get(), "density", file, "");
  const std::vector<hsize_t> shape = h5_dataset_shape(d.get(), file + ": /density");
  if (shape.size() != 3 || shape[0] != shape[1] || shape[1] != shape[2]) {
    throw std::runtime_error(file + ": /density has shape " + h5_shape_string(shape) +
                             " (allowed: (n,n,n))");
  }
  *n = static_cast<int>(shape[0]);
  std::vector<float> v(shape[0] * shape[1] * shape[2]);
  h5_check(H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "H5Dread",
           file + ": /density");
  return v;
}

FieldStream::FieldStream(std::vector<std::string> files, std::size_t cache_bytes)
    : files_(std::move(files)), cache_bytes_(cache_bytes) {}

int FieldStream::mesh() {
  if (mesh_ == 0 && !files_.empty()) get(0);
  return mesh_;
}

const std::vector<float>& FieldStream::get(std::size_t i) {
  const auto it = cache_.find(i);
  if (it != cache_.end()) return it->second;
  int n = 0;
  std::vector<float> v = read_density_field(files_.at(i), &n);
  if (mesh_ == 0) mesh_ = n;
  if (n != mesh_) {
    throw std::runtime_error(files_[i] + ": density mesh " + std::to_string(n) + " but " +
                             files_[0] + " has " + std::to_string(mesh_));
  }
  const std::size_t bytes = v.size() * sizeof(float);
  if (cached_bytes_ + bytes <= cache_bytes_) {
    cached_bytes_ += bytes;
    return cache_.emplace(i, std::move(v)).first->second;
  }
  scratch_ = std::move(v);  // streamed: valid until the next get()
  return scratch_;
}

}  // namespace cosmograd::inference
