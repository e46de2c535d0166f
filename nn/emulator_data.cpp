// Emulator training pairs: 2LPT and PM particles of one white noise, written as a field
// collection.
#include "nn/emulator_data.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

#include "nn/bridge.hpp"
#include "nn/bridge_lpt.hpp"
#include "nn/emulator.hpp"
#include "nn/train/hdf5_dataset.hpp"
#include "sim/core/build_config.hpp"
#if COSMOGRAD_HAVE_HDF5
#include "sim/io/detail/hdf5_file.hpp"
#endif

namespace cosmograd::nn {

sim::SimSpec emulator_sim_spec(const EmulatorDataOptions& o, double omega_m, double sigma8,
                               std::uint64_t seed) {
  sim::SimSpec c;
  c.cosmology = sim::planck2015();
  c.cosmology.Omega_m = omega_m;
  c.cosmology.sigma8 = sigma8;
  c.transfer = {"eisenstein_hu", ""};
  c.box_size = o.box_size;
  c.particles = o.particles;
  c.mesh = o.mesh;
  c.a_init = o.a_init;
  c.steps = o.steps;
  c.z_out = {0.0};
  c.lpt_order = 2;
  c.seed = seed;
  c.threads = o.threads;
  c.fft_planning = sim::FftPlanning::estimate;
  c.validate();
  return c;
}

EmulatorPair make_emulator_pair(const sim::SimSpec& spec) {
  using Clock = std::chrono::steady_clock;
  torch::NoGradGuard no_grad;
  EmulatorPair pair;
  pair.omega_m = spec.cosmology.Omega_m;
  pair.sigma8 = spec.cosmology.sigma8;
  const torch::Tensor theta = cosmo_params_tensor(spec.cosmology);
  auto t0 = Clock::now();
  Simulator pm(spec);
  const torch::Tensor noise = pm->white_noise(torch::kFloat32);
  pair.target = particle_rows_to_fields(pm->forward(noise, theta));
  pair.pm_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  t0 = Clock::now();
  pair.input = particle_rows_to_fields(lpt_particles(spec, noise, theta, 1.0));
  pair.lpt_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return pair;
}

std::vector<std::array<double, 2>> latin_hypercube(int n, double lo0, double hi0, double lo1,
                                                   double hi1, std::uint64_t seed) {
  if (n < 1) throw std::invalid_argument("latin_hypercube: n must be positive");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::array<double, 2>> points(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double s0 = (i + u(rng)) / n;
    const double s1 = (perm[static_cast<std::size_t>(i)] + u(rng)) / n;
    points[static_cast<std::size_t>(i)] = {lo0 + (hi0 - lo0) * s0, lo1 + (hi1 - lo1) * s1};
  }
  return points;
}

void write_emulator_data(const std::string& path, const std::vector<EmulatorPair>& pairs,
                         const std::vector<std::uint64_t>& seeds, const EmulatorDataOptions& o) {
  if (pairs.empty() || seeds.size() != pairs.size()) {
    throw std::invalid_argument("write_emulator_data: need one seed per pair and >= 1 pair");
  }
  std::vector<torch::Tensor> fields;
  torch::Tensor params = torch::empty({static_cast<int64_t>(pairs.size()), 3}, torch::kFloat64);
  double disp2 = 0, mom2 = 0, t_lpt = 0, t_pm = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const EmulatorPair& p = pairs[i];
    fields.push_back(torch::cat({p.input, p.target}, 0));
    params[static_cast<int64_t>(i)][0] = p.omega_m;
    params[static_cast<int64_t>(i)][1] = p.sigma8;
    params[static_cast<int64_t>(i)][2] = static_cast<double>(seeds[i]);
    disp2 += p.input.slice(0, 0, 3).to(torch::kFloat64).square().mean().item<double>();
    mom2 += p.input.slice(0, 3, 6).to(torch::kFloat64).square().mean().item<double>();
    t_lpt += p.lpt_seconds;
    t_pm += p.pm_seconds;
  }
  const double s = static_cast<double>(pairs.size());
  const std::map<std::string, double> attrs = {
      {"box_size", o.box_size},
      {"particles", o.particles},
      {"mesh", o.mesh},
      {"steps", o.steps},
      {"a_init", o.a_init},
      {"omega_m_min", o.omega_m_min},
      {"omega_m_max", o.omega_m_max},
      {"sigma8_min", o.sigma8_min},
      {"sigma8_max", o.sigma8_max},
      {"disp_rms", std::sqrt(disp2 / s)},
      {"mom_rms", std::sqrt(mom2 / s)},
      {"lpt_seconds", t_lpt / s},
      {"pm_seconds", t_pm / s},
  };
  const std::map<std::string, std::string> text = {
      {"description",
       "cosmograd emulator pairs (synthetic: made by cosmograd itself): fields[:, 0:6] = 2LPT "
       "displacement and momentum at a = 1, fields[:, 6:12] = the PM run's, [Mpc/h]; params = "
       "(Omega_m, sigma8, seed); planck2015 otherwise, Eisenstein & Hu"},
  };
  write_field_collection(path, torch::stack(fields), params, attrs, text);
}

EmulatorDataInfo read_emulator_data_info(const std::string& path) {
  EmulatorDataInfo info;
#if COSMOGRAD_HAVE_HDF5
  const sim::detail::H5Id file = sim::detail::h5_open_file(path);
  auto get = [&](const char* name) {
    return sim::detail::h5_read_scalar_attribute<double>(file.get(), name, path);
  };
  EmulatorDataOptions& o = info.options;
  o.box_size = get("box_size");
  o.particles = static_cast<int>(get("particles"));
  o.mesh = static_cast<int>(get("mesh"));
  o.steps = static_cast<int>(get("steps"));
  o.a_init = get("a_init");
  o.omega_m_min = get("omega_m_min");
  o.omega_m_max = get("omega_m_max");
  o.sigma8_min = get("sigma8_min");
  o.sigma8_max = get("sigma8_max");
  info.disp_rms = get("disp_rms");
  info.mom_rms = get("mom_rms");
  info.lpt_seconds = get("lpt_seconds");
  info.pm_seconds = get("pm_seconds");
#else
  throw std::runtime_error(path + ": cosmograd was built without HDF5");
#endif
  return info;
}

}  // namespace cosmograd::nn
