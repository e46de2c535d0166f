// `cosmograd emulate superres data|train|evaluate`: super-resolution pairs, training and the
// held-out metrics table (nn/superres*.hpp).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>

#include "apps/emulate.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "nn/superres.hpp"
#include "nn/superres_data.hpp"
#include "nn/superres_train.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {
namespace {

int superres_data(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"sims", "", "128", "pairs to make (seeds seed .. seed + sims - 1)"},
      {"seed", "", "1", "first white-noise seed"},
      {"box_size", "Mpc/h", "64", "box side"},
      {"particles", "per side", "32", "low-resolution particles per side (multiple of 4)"},
      {"factor", "", "2", "high resolution has factor x particles per side (2 or 4)"},
      {"mesh_ratio", "", "2", "force mesh cells per particle per side, both runs (1 to 4)"},
      {"steps", "", "10", "PM steps, linear in a from a_init to 1, both runs"},
      {"a_init", "", "0.1", "scale factor of the 2LPT initial conditions"},
      {"Omega_m", "", "0.3089", "matter density (planck2015 otherwise)"},
      {"sigma8", "", "0.8159", "amplitude sigma8"},
      {"out", "", "superres_pairs.h5", "pair file (HDF5, written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed =
      parse_command("emulate superres data",
                    "usage: cosmograd emulate superres data [--key value ...]", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::SuperResDataOptions o;
  o.box_size = s.get_double("box_size");
  o.particles = count_setting(s, "particles");
  o.factor = count_setting(s, "factor");
  o.mesh_ratio = count_setting(s, "mesh_ratio");
  o.steps = count_setting(s, "steps");
  o.a_init = s.get_double("a_init");
  o.omega_m = s.get_double("Omega_m");
  o.sigma8 = s.get_double("sigma8");
  o.threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(o.threads);
  if (o.particles % 4 != 0) {
    sim::bad_setting("particles", s.get_string("particles"), "is not a multiple of 4");
  }
  if (o.factor != 2 && o.factor != 4) {
    sim::bad_setting("factor", s.get_string("factor"), "is not allowed (2 or 4)");
  }
  if (o.mesh_ratio > 4) {
    sim::bad_setting("mesh_ratio", s.get_string("mesh_ratio"), "is not allowed (1 to 4)");
  }
  const int sims = count_setting(s, "sims");
  const auto seed = static_cast<std::uint64_t>(count_setting(s, "seed", 0));
  // Both specs are validated before the first simulation runs.
  nn::superres_sim_spec(o, o.particles, seed);
  nn::superres_sim_spec(o, o.factor * o.particles, seed);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<nn::SuperResPair> pairs;
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < sims; ++i) {
    seeds.push_back(seed + static_cast<std::uint64_t>(i));
    pairs.push_back(nn::make_superres_pair(o, seeds.back()));
    if ((i + 1) % std::max(1, sims / 10) == 0 || i + 1 == sims) {
      sim::log_info("pair ", i + 1, "/", sims, ", ", seconds_since(t0), " s");
    }
  }
  nn::write_superres_data(s.get_string("out"), pairs, seeds, o);
  std::printf("cosmograd emulate superres data: %d pairs in %s (%.1f s)\n", sims,
              s.get_string("out").c_str(), seconds_since(t0));
  return 0;
}

/// The markdown tables of held-out metrics, with what was measured.
std::string metrics_report(const nn::SuperResMetrics& m, const nn::SuperResDataInfo& test,
                           const std::string& model_path, const std::string& test_path,
                           long long noise_seed) {
  std::ostringstream os;
  char buf[1024];
  const nn::SuperResDataOptions& o = test.options;
  const int f = o.factor, n = o.particles;
  std::snprintf(buf, sizeof buf,
                "Held-out pairs: %lld boxes in `%s` (L = %g Mpc/h, %d^3 -> %d^3 particles, PM "
                "mesh %d x particles per side, %d steps a = %g -> 1, Omega_m = %g, sigma8 = %g), "
                "model `%s`, injected noise %s. SR = super-resolved low-resolution run; "
                "classical baselines on the same boxes: interp = the low-resolution run "
                "interpolated (periodic trilinear) to the fine "
                "lattice; 2LPT = 2LPT of the same white noise at high resolution; HR = the real "
                "high-resolution PM run.\n\n",
                static_cast<long long>(m.boxes), test_path.c_str(), o.box_size, n, f * n,
                o.mesh_ratio, o.steps, o.a_init, o.omega_m, o.sigma8, model_path.c_str(),
                noise_seed < 0 ? "off" : ("seed " + std::to_string(noise_seed) + " + box").c_str());
  os << buf;
  std::snprintf(buf, sizeof buf,
                "## Power spectra\n\nCIC density on a %d^3 mesh, spectra summed over the boxes "
                "before the ratios; k_Nyq of the fine lattice = %.4f h/Mpc.\n\n",
                2 * f * n, m.k_nyq);
  os << buf;
  os << "| k [h/Mpc] | k / k_Nyq | P_SR / P_HR | r_SR | P_interp / P_HR | r_interp | "
        "P_2LPT / P_HR | r_2LPT | P_mom,SR / P_mom,HR | P_mom,interp / P_mom,HR |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < m.k.size(); ++i) {
    std::snprintf(buf, sizeof buf,
                  "| %.4f | %.3f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
                  m.k[i], m.k[i] / m.k_nyq, m.ratio_sr[i], m.r_sr[i], m.ratio_interp[i],
                  m.r_interp[i], m.ratio_lpt[i], m.r_lpt[i], m.mom_ratio_sr[i], m.mom_ratio_int[i]);
    os << buf;
  }
  auto worst = [&](const std::vector<double>& ratio) {
    double w = 0;
    for (size_t i = 0; i < m.k.size() && m.k[i] <= 0.5 * m.k_nyq * (1 + 1e-9); ++i) {
      w = std::max(w, std::abs(ratio[i] - 1));
    }
    return 100 * w;
  };
  std::snprintf(buf, sizeof buf,
                "\nUp to 0.5 k_Nyq: max |P / P_HR - 1| = %.2f%% (SR), %.2f%% (interp), %.2f%% "
                "(2LPT). RMS error of the displacement %.3f Mpc/h (interp %.3f), of the "
                "momentum %.3f Mpc/h (interp %.3f).\n\n",
                worst(m.ratio_sr), worst(m.ratio_interp), worst(m.ratio_lpt), m.disp_rmse_sr,
                m.disp_rmse_interp, m.mom_rmse_sr, m.mom_rmse_interp);
  os << buf;
  std::snprintf(buf, sizeof buf,
                "## Halo mass function\n\nFoF (b = 0.2) halos of all held-out boxes by member "
                "count in fine-lattice particles (particle mass %.3g Msun/h); last bin open.\n\n"
                "| members | M [Msun/h] | N_HR | N_SR / N_HR | N_interp / N_HR | N_2LPT / N_HR |\n"
                "|---|---:|---:|---:|---:|---:|\n",
                m.particle_mass);
  os << buf;
  auto ratio = [](int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : NAN; };
  for (size_t i = 0; i < m.hmf_edges.size(); ++i) {
    const std::string range =
        i + 1 < m.hmf_edges.size()
            ? std::to_string(m.hmf_edges[i]) + "-" + std::to_string(m.hmf_edges[i + 1] - 1)
            : ">= " + std::to_string(m.hmf_edges[i]);
    std::snprintf(buf, sizeof buf, "| %s | %.3g | %lld | %.3f | %.3f | %.3f |\n", range.c_str(),
                  m.particle_mass * static_cast<double>(m.hmf_edges[i]),
                  static_cast<long long>(m.hmf_hr[i]), ratio(m.hmf_sr[i], m.hmf_hr[i]),
                  ratio(m.hmf_interp[i], m.hmf_hr[i]), ratio(m.hmf_lpt[i], m.hmf_hr[i]));
    os << buf;
  }
  int64_t all[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < m.hmf_edges.size(); ++i) {
    all[0] += m.hmf_hr[i];
    all[1] += m.hmf_sr[i];
    all[2] += m.hmf_interp[i];
    all[3] += m.hmf_lpt[i];
  }
  std::snprintf(buf, sizeof buf, "| all >= %lld | | %lld | %.3f | %.3f | %.3f |\n\n",
                static_cast<long long>(m.hmf_edges.front()), static_cast<long long>(all[0]),
                ratio(all[1], all[0]), ratio(all[2], all[0]), ratio(all[3], all[0]));
  os << buf;
  std::snprintf(buf, sizeof buf,
                "## Stacked halo profiles\n\nThe %d most massive halos (by M200m) of each box, "
                "each catalogue with its own centres (shrinking-sphere peak) and r200m: mean "
                "rho / rho_mean in shells of r / r200m.\n\n"
                "| r / r200m | rho_HR / rho_m | SR / HR | interp / HR | 2LPT / HR |\n"
                "|---|---:|---:|---:|---:|\n",
                m.profile_halos);
  os << buf;
  // A method without halos has an all-zero profile: "n/a".
  auto cell = [](double v, double ref) {
    char c[32];
    if (v > 0 && ref > 0) {
      std::snprintf(c, sizeof c, "%.3f", v / ref);
    } else {
      std::snprintf(c, sizeof c, "n/a");
    }
    return std::string(c);
  };
  for (size_t i = 0; i + 1 < m.profile_edges.size(); ++i) {
    std::snprintf(buf, sizeof buf, "| %.2f-%.2f | %.1f | %s | %s | %s |\n", m.profile_edges[i],
                  m.profile_edges[i + 1], m.prof_hr[i], cell(m.prof_sr[i], m.prof_hr[i]).c_str(),
                  cell(m.prof_interp[i], m.prof_hr[i]).c_str(),
                  cell(m.prof_lpt[i], m.prof_hr[i]).c_str());
    os << buf;
  }
  std::snprintf(buf, sizeof buf,
                "\nWall time per box: network %.3f s + the low-resolution run %.3f s, against "
                "the high-resolution run %.3f s (this machine, as the pair file recorded "
                "them).\n",
                m.sr_seconds, test.lr_seconds, test.hr_seconds);
  os << buf;
  return os.str();
}

}  // namespace

int superres_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"data", "", "superres_pairs.h5", "training pairs (cosmograd emulate superres data)"},
      {"test", "", "", "held-out pairs for the metrics table (optional)"},
      {"steps", "", "1000", "optimizer steps (Adam, cosine schedule)"},
      {"lr", "", "0.001", "peak learning rate"},
      {"batch", "", "1", "pairs per step"},
      {"density_weight", "", "1", "weight of the density MSE term of the loss"},
      {"power_weight", "", "0", "weight of the log power-spectrum term of the loss"},
      {"momentum_weight", "", "0.25", "weight of the momentum MSE relative to the displacement's"},
      {"noise", "", "true", "inject noise in the upsampling blocks during training"},
      {"depth", "", "2", "depth of the low-resolution U-Net"},
      {"lr_channels", "", "32", "channels of the low-resolution U-Net"},
      {"hr_channels", "", "8", "features per fine point in the upsampling block"},
      {"seed", "", "1", "seed of the initial weights, batch order, augmentations and noise"},
      {"out", "", "superres.cgm", "model file (written atomically)"},
      {"report", "", "", "markdown report of the held-out metrics (written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "emulate superres train",
      "usage: cosmograd emulate superres train --data FILE.h5 [--key value ...]", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const std::string data = s.get_string("data");
  const nn::SuperResDataInfo info = nn::read_superres_data_info(data);
  const auto seed = static_cast<std::uint64_t>(count_setting(s, "seed", 0));
  torch::manual_seed(seed);
  nn::SuperRes model(nn::SuperResOptions()
                         .box_size(info.options.box_size)
                         .particles(info.options.particles)
                         .factor(info.options.factor)
                         .disp_scale(info.disp_rms)
                         .mom_scale(info.mom_rms)
                         .depth(count_setting(s, "depth", 0))
                         .lr_channels(count_setting(s, "lr_channels"))
                         .hr_channels(count_setting(s, "hr_channels"))
                         .omega_m(info.options.omega_m)
                         .sigma8(info.options.sigma8));
  int64_t n_params = 0;
  for (const auto& p : model->parameters()) n_params += p.numel();
  nn::SuperResTrainOptions to;
  to.steps = count_setting(s, "steps");
  to.lr = s.get_double("lr");
  to.batch = count_setting(s, "batch");
  to.density_weight = s.get_double("density_weight");
  to.momentum_weight = s.get_double("momentum_weight");
  to.power_weight = s.get_double("power_weight");
  to.noise = s.get_bool("noise");
  to.seed = seed;
  to.log_every = std::max<int64_t>(1, to.steps / 20);
  sim::log_info("superres: ", n_params, " parameters, ", to.steps, " steps of ", to.batch,
                " pairs from ", data);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> losses = nn::train_superres(model, data, to);
  const double train_seconds = seconds_since(t0);
  nn::ModelHeader extra = training_record("emulate superres train", data, losses, train_seconds,
                                          n_params, s.get_string("out"));
  extra.set("train_mesh_ratio", static_cast<int64_t>(info.options.mesh_ratio));
  extra.set("train_pm_steps", static_cast<int64_t>(info.options.steps));
  extra.set("train_a_init", info.options.a_init);
  nn::save_superres(s.get_string("out"), model, extra);
  const std::string test = s.get_string("test");
  if (test.empty()) return 0;
  const nn::SuperResMetrics m = nn::evaluate_superres(model, test, 0);
  std::ostringstream header;
  header << "# Super-resolution (x" << info.options.factor << "): held-out metrics\n\n"
         << machine_line(threads)
         << "Training data is synthetic: pairs made by cosmograd itself (`cosmograd emulate "
            "superres data`), a low- and a high-resolution PM run of one white noise.\n\n"
         << "Train: `" << command_line("superres train", args) << "` (" << n_params
         << " parameters, " << to.steps << " steps, " << static_cast<int>(train_seconds)
         << " s).\n\n";
  print_and_report(
      s.get_string("report"), header.str(),
      metrics_report(m, nn::read_superres_data_info(test), s.get_string("out"), test, 0));
  return 0;
}

int superres_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "models/superres.cgm", "super-resolution model file"},
      {"test", "", "superres_test.h5", "held-out pairs (cosmograd emulate superres data)"},
      {"noise_seed", "", "0", "seed of the injected noise (-1: none)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "emulate superres evaluate",
      "usage: cosmograd emulate superres evaluate --model FILE --test FILE.h5", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  torch::set_num_threads(sim::use_threads(static_cast<int>(s.get_int("threads"))));
  nn::SuperRes model = nn::load_superres(s.get_string("model"));
  const std::string test = s.get_string("test");
  const long long noise_seed = s.get_int("noise_seed");
  const nn::SuperResMetrics m = nn::evaluate_superres(model, test, noise_seed);
  std::printf("%s", metrics_report(m, nn::read_superres_data_info(test), s.get_string("model"),
                                   test, noise_seed)
                        .c_str());
  return 0;
}

int emulate_superres(const std::vector<std::string>& args) {
  if (!args.empty()) {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "data") return superres_data(rest);
    if (args[0] == "train") return superres_train(rest);
    if (args[0] == "evaluate") return superres_evaluate(rest);
  }
  throw std::invalid_argument(
      "usage: cosmograd emulate superres data|train|evaluate [--key value ...] (got " +
      (args.empty() ? std::string("nothing") : "'" + args[0] + "'") + ")");
}

}  // namespace cosmograd::apps
