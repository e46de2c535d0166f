#include "sim/io/detail/gadget_files.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::sim::detail {

std::string strip_hdf5(const std::string& s) {
  const std::string ext = ".hdf5";
  const bool has = s.size() >= ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0;
  return has ? s.substr(0, s.size() - ext.size()) : s;
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::string find_first_file(const std::string& path, const std::string& what) {
  if (file_exists(path)) return path;
  const std::string base = strip_hdf5(path);
  for (const std::string& candidate : {base + ".hdf5", base + ".0.hdf5"}) {
    if (file_exists(candidate)) return candidate;
  }
  std::vector<std::string> tried{path};
  for (const std::string& c : {base + ".hdf5", base + ".0.hdf5"}) {
    if (std::find(tried.begin(), tried.end(), c) == tried.end()) tried.push_back(c);
  }
  std::string list;
  for (std::size_t i = 0; i < tried.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == tried.size() ? " and " : ", ") + tried[i];
  }
  throw std::runtime_error(what + " not found: tried " + list);
}

std::string multi_file_base(const std::string& file) {
  const std::string stem = strip_hdf5(file);
  const std::size_t dot = stem.find_last_of('.');
  const std::size_t slash = stem.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot + 1 == stem.size() ||
      stem.find_first_not_of("0123456789", dot + 1) != std::string::npos) {
    throw std::runtime_error(file +
                             ": NumFilesPerSnapshot > 1 but the name is not <base>.<i>.hdf5");
  }
  return stem.substr(0, dot);
}

double read_unit(hid_t file, const std::string& name, double fallback, const std::string& fname) {
  for (const char* group : {"Parameters", "Header", "Units"}) {
    if (!h5_has_link(file, group, fname)) continue;
    H5Id g = h5_open_group(file, group, fname);
    const std::string where = fname + ": /" + group;
    if (!h5_has_attribute(g.get(), name, where)) continue;
    const double v = h5_read_scalar_attribute<double>(g.get(), name, where);
    if (!(v > 0) || !std::isfinite(v)) {
      throw std::runtime_error(where + ": attribute " + name + " = " + std::to_string(v) +
                               " is not a positive unit");
    }
    return v;
  }
  return fallback;
}

double read_cosmo_parameter(hid_t file, hid_t header, const std::string& name,
                            const std::string& fname) {
  if (h5_has_attribute(header, name, fname + ": /Header")) {
    return h5_read_scalar_attribute<double>(header, name, fname + ": /Header");
  }
  if (h5_has_link(file, "Parameters", fname)) {
    H5Id g = h5_open_group(file, "Parameters", fname);
    if (h5_has_attribute(g.get(), name, fname + ": /Parameters")) {
      return h5_read_scalar_attribute<double>(g.get(), name, fname + ": /Parameters");
    }
  }
  throw std::runtime_error(fname + ": missing attribute " + name +
                           " (looked in /Header and /Parameters)");
}

std::array<std::uint64_t, kGadgetTypes> read_num_part_total(hid_t header,
                                                            const std::string& where) {
  const std::vector<std::uint64_t> low =
      h5_read_attribute<std::uint64_t>(header, "NumPart_Total", kGadgetTypes, where);
  std::array<std::uint64_t, kGadgetTypes> total{};
  for (int t = 0; t < kGadgetTypes; ++t) total[t] = low[t];
  if (h5_attribute_type_size(header, "NumPart_Total", where) <= 4 &&
      h5_has_attribute(header, "NumPart_Total_HighWord", where)) {
    const std::vector<std::uint64_t> high =
        h5_read_attribute<std::uint64_t>(header, "NumPart_Total_HighWord", kGadgetTypes, where);
    for (int t = 0; t < kGadgetTypes; ++t) total[t] += high[t] << 32;
  }
  return total;
}

}  // namespace cosmograd::sim::detail
