// Super-resolution training pairs: a low- and a high-resolution PM run of one white noise,
// written as a field collection.
#include "nn/superres_data.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/bridge_lpt.hpp"
#include "nn/emulator.hpp"
#include "nn/emulator_data.hpp"
#include "nn/superres.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "sim/core/build_config.hpp"
#if COSMOGRAD_HAVE_HDF5
#include "sim/io/detail/hdf5_file.hpp"
#endif

namespace cosmograd::nn {

sim::SimSpec superres_sim_spec(const SuperResDataOptions& o, int particles, std::uint64_t seed) {
  if (o.factor != 2 && o.factor != 4) {
    throw std::invalid_argument("factor = " + std::to_string(o.factor) + " is not allowed (2, 4)");
  }
  if (o.mesh_ratio < 1 || o.mesh_ratio > 4) {
    throw std::invalid_argument("mesh_ratio = " + std::to_string(o.mesh_ratio) +
                                " is not allowed (1 to 4)");
  }
  EmulatorDataOptions e;
  e.box_size = o.box_size;
  e.particles = particles;
  e.mesh = o.mesh_ratio * particles;
  e.steps = o.steps;
  e.a_init = o.a_init;
  e.threads = o.threads;
  return emulator_sim_spec(e, o.omega_m, o.sigma8, seed);
}

namespace {

/// The PM particles at a = 1 of `spec` as [6, n, n, n] fields.
torch::Tensor pm_fields(const sim::SimSpec& spec) {
  Simulator pm(spec);
  const torch::Tensor noise = pm->white_noise(torch::kFloat32);
  return particle_rows_to_fields(pm->forward(noise, cosmo_params_tensor(spec.cosmology)));
}

}  // namespace

SuperResPair make_superres_pair(const SuperResDataOptions& o, std::uint64_t seed) {
  using Clock = std::chrono::steady_clock;
  torch::NoGradGuard no_grad;
  SuperResPair pair;
  auto t0 = Clock::now();
  pair.input = pm_fields(superres_sim_spec(o, o.particles, seed));
  pair.lr_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  pair.target = pm_fields(superres_sim_spec(o, o.factor * o.particles, seed));
  pair.hr_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return pair;
}

torch::Tensor superres_lpt_target(const SuperResDataOptions& o, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  const sim::SimSpec spec = superres_sim_spec(o, o.factor * o.particles, seed);
  const torch::Tensor noise = Simulator(spec)->white_noise(torch::kFloat32);
  return particle_rows_to_fields(
      lpt_particles(spec, noise, cosmo_params_tensor(spec.cosmology), 1.0));
}

void write_superres_data(const std::string& path, const std::vector<SuperResPair>& pairs,
                         const std::vector<std::uint64_t>& seeds, const SuperResDataOptions& o) {
  if (pairs.empty() || seeds.size() != pairs.size()) {
    throw std::invalid_argument("write_superres_data: need one seed per pair and >= 1 pair");
  }
  std::vector<torch::Tensor> fields;
  torch::Tensor params = torch::empty({static_cast<int64_t>(pairs.size()), 3}, torch::kFloat64);
  double disp2 = 0, mom2 = 0, t_lr = 0, t_hr = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const SuperResPair& p = pairs[i];
    fields.push_back(
        torch::cat({p.input, space_to_depth(p.target.unsqueeze(0), o.factor).squeeze(0)}, 0));
    params[static_cast<int64_t>(i)][0] = o.omega_m;
    params[static_cast<int64_t>(i)][1] = o.sigma8;
    params[static_cast<int64_t>(i)][2] = static_cast<double>(seeds[i]);
    disp2 += p.input.slice(0, 0, 3).to(torch::kFloat64).square().mean().item<double>();
    mom2 += p.input.slice(0, 3, 6).to(torch::kFloat64).square().mean().item<double>();
    t_lr += p.lr_seconds;
    t_hr += p.hr_seconds;
  }
  const double s = static_cast<double>(pairs.size());
  const std::map<std::string, double> attrs = {
      {"box_size", o.box_size},
      {"particles", o.particles},
      {"factor", o.factor},
      {"mesh_ratio", o.mesh_ratio},
      {"steps", o.steps},
      {"a_init", o.a_init},
      {"omega_m", o.omega_m},
      {"sigma8", o.sigma8},
      {"disp_rms", std::sqrt(disp2 / s)},
      {"mom_rms", std::sqrt(mom2 / s)},
      {"lr_seconds", t_lr / s},
      {"hr_seconds", t_hr / s},
  };
  const std::map<std::string, std::string> text = {
      {"description",
       "cosmograd super-resolution pairs (synthetic: made by cosmograd itself): fields[:, 0:6] = "
       "displacement and momentum at a = 1 of the low-resolution PM run (N^3 particles), "
       "fields[:, 6:] = the high-resolution run's (factor^3 N^3 particles) in space-to-depth "
       "layout (channel c factor^3 + (ox factor + oy) factor + oz = component c of fine particle "
       "(factor i + ox, factor j + oy, factor k + oz)), [Mpc/h]; params = (Omega_m, sigma8, "
       "seed); planck2015 otherwise, Eisenstein & Hu"},
  };
  write_field_collection(path, torch::stack(fields), params, attrs, text);
}

bool is_superres_data(const std::string& path) {
#if COSMOGRAD_HAVE_HDF5
  const sim::detail::H5Id file = sim::detail::h5_open_file(path);
  return sim::detail::h5_has_attribute(file.get(), "factor", path);
#else
  throw std::runtime_error(path + ": cosmograd was built without HDF5");
#endif
}

SuperResDataInfo read_superres_data_info(const std::string& path) {
  SuperResDataInfo info;
#if COSMOGRAD_HAVE_HDF5
  const sim::detail::H5Id file = sim::detail::h5_open_file(path);
  auto get = [&](const char* name) {
    return sim::detail::h5_read_scalar_attribute<double>(file.get(), name, path);
  };
  SuperResDataOptions& o = info.options;
  o.box_size = get("box_size");
  o.particles = static_cast<int>(get("particles"));
  o.factor = static_cast<int>(get("factor"));
  o.mesh_ratio = static_cast<int>(get("mesh_ratio"));
  o.steps = static_cast<int>(get("steps"));
  o.a_init = get("a_init");
  o.omega_m = get("omega_m");
  o.sigma8 = get("sigma8");
  info.disp_rms = get("disp_rms");
  info.mom_rms = get("mom_rms");
  info.lr_seconds = get("lr_seconds");
  info.hr_seconds = get("hr_seconds");
#else
  throw std::runtime_error(path + ": cosmograd was built without HDF5");
#endif
  return info;
}

}  // namespace cosmograd::nn
