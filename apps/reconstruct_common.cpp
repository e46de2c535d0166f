#include "apps/reconstruct_common.hpp"

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "apps/options.hpp"
#include "driver/config.hpp"
#include "inference/posterior.hpp"
#include "inference/rim.hpp"
#include "sim/core/backend.hpp"
#include "sim/io/field_io.hpp"

namespace cosmograd::apps {

int reconstruction_threads(const sim::Settings& s) {
  const long long t = s.get_int("threads");
  sim::check_int_range("threads", t, 0, 1024);
  const int threads = sim::use_threads(static_cast<int>(t));
  torch::set_num_threads(threads);
  return threads;
}

std::vector<sim::KeySpec> reconstruction_problem_keys() {
  const std::map<std::string, std::string> small = {
      {"particles", "32"}, {"mesh", "32"},          {"box_size", "200"},
      {"steps", "3"},      {"precision", "double"}, {"fft_planning", "estimate"},
      {"threads", "0"}};
  std::vector<sim::KeySpec> keys;
  for (sim::KeySpec k : driver::sim_keys()) {
    if (const auto it = small.find(k.name); it != small.end()) k.default_value = it->second;
    keys.push_back(k);
  }
  keys.push_back({"tracer", "", "matter",
                  "observed field: matter (CIC density contrast) or halos (FoF halo-mass field, "
                  "modelled by a second-order bias expansion fitted on a calibration run)"});
  keys.push_back({"data_mesh", "cells per side", "0", "mesh of the data (0: particles)"});
  keys.push_back({"noise_power", "(Mpc/h)^3", "100",
                  "white Gaussian noise power P_N of the data (per-cell rms sqrt(P_N / V_cell)); "
                  "halos: the fitted residual power is added to it"});
  keys.push_back(
      {"los", "", "none",
       "redshift-space distortions along this axis (none, x, y or z; distant observer)"});
  keys.push_back({"mask_fraction", "", "0",
                  "survey mask: the slab of cells with x < fraction L is unobserved (0: none)"});
  keys.push_back({"noise_seed", "", "1", "seed of the data's noise"});
  keys.push_back({"bias_smoothing", "Mpc/h", "0",
                  "halos: Gaussian smoothing of the matter field in the bias model"});
  keys.push_back(
      {"bias_b1", "", "1", "halos: linear bias (reconstruct data fits it on the calibration run)"});
  keys.push_back({"bias_b2", "", "0",
                  "halos: quadratic bias (reconstruct data fits it on the calibration run)"});
  keys.push_back({"linking_length", "mean separations", "0.2", "halos: FoF linking length"});
  keys.push_back({"min_members", "particles", "10", "halos: smallest FoF halo kept"});
  keys.push_back({"calibration_seed", "", "0",
                  "halos: white-noise seed of the run the bias is fitted on (0: seed + 1000)"});
  return keys;
}

Problem problem_from(const sim::Settings& s) {
  Problem p;
  p.spec = driver::sim_spec_from(s);
  p.spec.double_precision = true;
  inference::DataModel& m = p.model;
  m.tracer = inference::parse_tracer(s.get_string("tracer"));
  const long long mesh = s.get_int("data_mesh");
  sim::check_int_range("data_mesh", mesh, 0, 1024);
  m.mesh = mesh == 0 ? p.spec.particles : static_cast<int>(mesh);
  m.box_size = p.spec.box_size;
  m.noise_power = s.get_double("noise_power");
  const std::string& los = s.get_string("los");
  if (los == "none") {
    m.rsd_axis = -1;
  } else if (los == "x" || los == "y" || los == "z") {
    m.rsd_axis = los[0] - 'x';
    m.rsd_factor = inference::rsd_shift_factor(sim::Cosmology(p.spec.cosmology), p.spec.a_final());
  } else {
    sim::bad_setting("los", los, "is not an axis (allowed: none, x, y, z)");
  }
  const double fraction = s.get_double("mask_fraction");
  if (fraction != 0) m.mask = inference::slab_mask(m.mesh, fraction);
  m.bias_smoothing = s.get_double("bias_smoothing");
  m.bias_b1 = s.get_double("bias_b1");
  m.bias_b2 = s.get_double("bias_b2");
  m.threads = p.spec.threads > 0 ? p.spec.threads : 1;
  m.validate();
  p.noise_seed = static_cast<std::uint64_t>(s.get_int("noise_seed"));
  p.fof.linking_length = s.get_double("linking_length");
  const long long members = s.get_int("min_members");
  sim::check_int_range("min_members", members, 2, 1000000000);
  p.fof.min_members = static_cast<int>(members);
  p.fof.validate();
  const long long cal = s.get_int("calibration_seed");
  p.calibration_seed = cal > 0 ? static_cast<std::uint64_t>(cal) : p.spec.seed + 1000;
  return p;
}

DataSet read_data_set(const std::string& path) {
  const std::string suffix = "data.h5";
  if (path.size() < suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw std::invalid_argument("data = " + path +
                                " is not a data set's data.h5 (made by `cosmograd reconstruct "
                                "data --out DIR`: give DIR/data.h5)");
  }
  const std::string dir = path.substr(0, path.size() - suffix.size());
  const std::string ini = dir + "data.ini";
  if (!std::ifstream(ini).good()) {
    throw std::runtime_error(ini + ": missing (a data set is DIR/data.h5 with DIR/data.ini)");
  }
  DataSet d{path, {}, {}, sim::Field<double>(sim::Decomposition(2)), std::nullopt};
  d.settings = parse_command("reconstruct", "", reconstruction_problem_keys(), {ini}).settings;
  d.problem = problem_from(d.settings);
  d.data = sim::read_field<double>(path, "data", d.problem.model.mesh, "data_mesh").field;
  const std::string truth = dir + "truth_white_noise.h5";
  if (std::ifstream(truth).good()) {
    d.truth =
        sim::read_field<double>(truth, "white_noise", d.problem.spec.particles, "particles").field;
  }
  return d;
}

std::vector<sim::CosmoParam> parse_free_parameters(const std::string& key,
                                                   const std::string& list) {
  std::vector<sim::CosmoParam> out;
  std::string allowed;
  for (int i = 0; i < sim::kNumCosmoParams; ++i) {
    allowed += std::string(i ? ", " : "") + sim::cosmo_param_name(static_cast<sim::CosmoParam>(i));
  }
  std::stringstream ss(list);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty()) continue;
    int found = -1;
    for (int i = 0; i < sim::kNumCosmoParams; ++i) {
      if (name == sim::cosmo_param_name(static_cast<sim::CosmoParam>(i))) found = i;
    }
    if (found < 0) sim::bad_setting(key, name, "is not a parameter (allowed: " + allowed + ")");
    out.push_back(static_cast<sim::CosmoParam>(found));
  }
  return out;
}

Reconstruction reconstruct(const DataSet& d, const MethodSpec& m, int threads, bool verbose) {
  Problem p = d.problem;
  p.spec.threads = threads;
  p.model.threads = threads;
  inference::Posterior posterior(p.spec, p.model, d.data.clone(), m.free);
  Reconstruction r;
  r.label = m.label;
  const auto t0 = std::chrono::steady_clock::now();
  if (m.method == "rim") {
    if (m.model_path.empty()) {
      throw std::invalid_argument(
          "method = rim needs --model FILE (from `cosmograd reconstruct "
          "train`)");
    }
    nn::RimNet net = nn::load_rim(m.model_path);
    torch::NoGradGuard no_grad;
    inference::RimOptions o;
    o.iterations = m.iterations;
    const std::vector<torch::Tensor> xs = inference::rim_iterate(net, posterior, o);
    const torch::Tensor x = xs.back().to(torch::kFloat64).contiguous().reshape(-1);
    r.white_noise.assign(x.data_ptr<double>(), x.data_ptr<double>() + x.numel());
    r.iterations = o.iterations;
  } else {
    inference::MapOptions o;
    if (m.method == "lbfgs") {
      o.method = inference::MapMethod::lbfgs;
    } else if (m.method == "adam") {
      o.method = inference::MapMethod::adam;
    } else {
      sim::bad_setting("method", m.method, "is not a method (allowed: lbfgs, adam, rim)");
    }
    o.iterations = m.iterations;
    o.learning_rate = m.learning_rate;
    o.anneal = m.anneal;
    o.verbose = verbose;
    inference::MapResult res = inference::map_estimate(posterior, posterior.start(), o);
    r.parameters.assign(res.x.begin() + static_cast<std::ptrdiff_t>(posterior.noise_cells()),
                        res.x.end());
    res.x.resize(posterior.noise_cells());
    r.white_noise = std::move(res.x);
    r.trace = std::move(res.trace);
    r.iterations = res.iterations;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.evaluations = posterior.evaluations();
  return r;
}

inference::TransferComparison compare_to_truth(const DataSet& d,
                                               const std::vector<double>& white_noise,
                                               int threads) {
  if (!d.truth) throw std::runtime_error(d.path + ": the data set has no truth_white_noise.h5");
  const int n = d.problem.spec.particles;
  const sim::Field<double> rec =
      inference::linear_field(d.problem.spec, inference::noise_field(white_noise, n), threads);
  const sim::Field<double> truth = inference::linear_field(d.problem.spec, *d.truth, threads);
  return inference::compare_fields(rec, truth, d.problem.spec.box_size, threads);
}

}  // namespace cosmograd::apps
