#include "apps/infer_common.hpp"

#include <omp.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "driver/campaign_design.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::apps {

namespace fs = std::filesystem;
using namespace sim::detail;  // the HDF5 helpers

std::vector<sim::KeySpec> infer_split_keys() {
  return {
      {"campaign", "", "", "campaign directory (cosmograd campaign; required)"},
      {"validation", "", "50", "design simulations that stop the training"},
      {"test", "", "100", "held-out design simulations (the last ones)"},
      {"k_max", "h/Mpc", "0", "P(k) bins and bispectrum triangles with k <= k_max (0: all)"},
  };
}

InferSplit infer_split_from(const sim::Settings& s) {
  InferSplit out;
  out.campaign = s.get_string("campaign");
  if (out.campaign.empty()) sim::bad_setting("campaign", "''", "is empty (give the directory)");
  const std::string ini = (fs::path(out.campaign) / "campaign.ini").string();
  std::ifstream in(ini);
  if (!in) throw std::runtime_error("campaign = " + out.campaign + ": no " + ini);
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find(" = ");
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 3);
  }
  const auto prior = driver::parse_prior(ini + ": prior", values["prior"]);
  const long long validation = s.get_int("validation"), test = s.get_int("test");
  sim::check_int_range("validation", validation, 1, 10000000);
  sim::check_int_range("test", test, 1, 10000000);
  out.split =
      inference::split_campaign(out.campaign, static_cast<int>(validation), static_cast<int>(test));
  for (const std::string& name : out.split.parameters) {
    bool found = false;
    for (const driver::ParameterRange& r : prior) {
      if (name == sim::cosmo_param_name(r.param)) {
        out.lo.push_back(r.lo);
        out.hi.push_back(r.hi);
        found = true;
      }
    }
    if (!found) throw std::runtime_error(ini + ": the prior has no " + name);
  }
  out.k_max = s.get_double("k_max");
  if (out.k_max < 0) sim::bad_setting("k_max", s.get_string("k_max"), "is negative");
  return out;
}

void set_infer_threads(const sim::Settings& s) {
  const long long t = s.get_int("threads");
  if (t < 0) sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  const int threads = sim::use_threads(static_cast<int>(t));
  torch::set_num_threads(threads);
  omp_set_num_threads(threads);
}

std::vector<double> observed_truth(const std::string& file, std::size_t count) {
  H5Id f = h5_open_file(file);
  if (!h5_has_attribute(f.get(), "parameters", file)) return {};
  H5Id attr(h5_check(H5Aopen(f.get(), "parameters", H5P_DEFAULT), "H5Aopen", file), H5Aclose);
  H5Id space(h5_check(H5Aget_space(attr.get()), "H5Aget_space", file), H5Sclose);
  if (static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())) != count) return {};
  return h5_read_attribute<double>(f.get(), "parameters", count, file);
}

std::vector<std::vector<double>> tensor_rows(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  std::vector<std::vector<double>> rows(c.size(0));
  for (int64_t i = 0; i < c.size(0); ++i) {
    rows[i].assign(c[i].data_ptr<double>(), c[i].data_ptr<double>() + c.size(1));
  }
  return rows;
}

void write_posterior_samples(const std::string& path, const torch::Tensor& samples,
                             const std::vector<std::string>& names, const std::string& observed) {
  const torch::Tensor c = samples.to(torch::kFloat64).contiguous();
  std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  sim::AtomicWrite write(path);
  {
    H5Id f = h5_create_file(write.temp_path());
    h5_write_dataset(f.get(), "samples", h5_file_float_type<double>(), v,
                     static_cast<hsize_t>(c.size(1)), path);
    std::string joined;
    for (std::size_t i = 0; i < names.size(); ++i) joined += (i ? "," : "") + names[i];
    h5_write_string_attribute(f.get(), "parameter_names", joined, path);
    h5_write_string_attribute(f.get(), "observed", observed, path);
    f.close("H5Fclose", path);
  }
  write.commit();
}

std::string posterior_table(const torch::Tensor& samples, const std::vector<std::string>& names,
                            const std::vector<double>& truth) {
  const torch::Tensor c = samples.to(torch::kFloat64);
  const torch::Tensor q = torch::quantile(c, torch::tensor({0.16, 0.5, 0.84}, torch::kFloat64), 0);
  std::ostringstream os;
  os << "# parameter  mean  std  q16  q50  q84" << (truth.empty() ? "" : "  truth") << "\n";
  char buf[256];
  for (std::size_t j = 0; j < names.size(); ++j) {
    const torch::Tensor col = c.select(1, static_cast<int64_t>(j));
    std::snprintf(buf, sizeof buf, "%-9s %.5f %.5f %.5f %.5f %.5f", names[j].c_str(),
                  col.mean().item<double>(), col.std().item<double>(), q[0][j].item<double>(),
                  q[1][j].item<double>(), q[2][j].item<double>());
    os << buf;
    if (!truth.empty()) {
      std::snprintf(buf, sizeof buf, " %.5f", truth[j]);
      os << buf;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace cosmograd::apps
