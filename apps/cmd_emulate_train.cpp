// `cosmograd emulate data|train|evaluate`: the emulator's training pairs, its training, and its
// held-out metrics table (nn/emulator_data.hpp, nn/emulator_train.hpp).
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "apps/emulate.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "nn/emulator.hpp"
#include "nn/emulator_data.hpp"
#include "nn/emulator_train.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {
int emulate_data(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"sims", "", "256", "pairs to make (seeds seed .. seed + sims - 1)"},
      {"seed", "", "1", "first white-noise seed"},
      {"lhs_seed", "", "0", "seed of the Latin hypercube of (Omega_m, sigma8)"},
      {"box_size", "Mpc/h", "128", "box side"},
      {"particles", "per side", "32", "particles per side (multiple of 4)"},
      {"mesh", "per side", "64", "force mesh cells per side of the PM runs"},
      {"steps", "", "10", "PM steps, linear in a from a_init to 1"},
      {"a_init", "", "0.1", "scale factor of the 2LPT initial conditions of the PM runs"},
      {"omega_m_min", "", "0.25", "Latin hypercube range of Omega_m"},
      {"omega_m_max", "", "0.35", "upper end of Omega_m"},
      {"sigma8_min", "", "0.7", "Latin hypercube range of sigma8"},
      {"sigma8_max", "", "0.9", "upper end of sigma8"},
      {"out", "", "emulator_pairs.h5", "pair file (HDF5, written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "emulate data", "usage: cosmograd emulate data [--key value ...]", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  nn::EmulatorDataOptions o;
  o.box_size = s.get_double("box_size");
  o.particles = count_setting(s, "particles");
  o.mesh = count_setting(s, "mesh");
  o.steps = count_setting(s, "steps");
  o.a_init = s.get_double("a_init");
  o.omega_m_min = s.get_double("omega_m_min");
  o.omega_m_max = s.get_double("omega_m_max");
  o.sigma8_min = s.get_double("sigma8_min");
  o.sigma8_max = s.get_double("sigma8_max");
  o.threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(o.threads);
  if (o.particles % 4 != 0) {
    sim::bad_setting("particles", s.get_string("particles"), "is not a multiple of 4");
  }
  if (!(o.omega_m_max > o.omega_m_min)) {
    sim::bad_setting("omega_m_max", s.get_string("omega_m_max"), "must exceed omega_m_min");
  }
  if (!(o.sigma8_max > o.sigma8_min)) {
    sim::bad_setting("sigma8_max", s.get_string("sigma8_max"), "must exceed sigma8_min");
  }
  const int sims = count_setting(s, "sims");
  const auto seed = static_cast<std::uint64_t>(count_setting(s, "seed", 0));
  const auto points =
      nn::latin_hypercube(sims, o.omega_m_min, o.omega_m_max, o.sigma8_min, o.sigma8_max,
                          static_cast<std::uint64_t>(count_setting(s, "lhs_seed", 0)));
  // Every spec is validated before the first simulation runs.
  std::vector<sim::SimSpec> specs;
  for (int i = 0; i < sims; ++i) {
    specs.push_back(nn::emulator_sim_spec(o, points[static_cast<size_t>(i)][0],
                                          points[static_cast<size_t>(i)][1], seed + i));
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<nn::EmulatorPair> pairs;
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < sims; ++i) {
    pairs.push_back(nn::make_emulator_pair(specs[static_cast<size_t>(i)]));
    seeds.push_back(seed + static_cast<std::uint64_t>(i));
    if ((i + 1) % std::max(1, sims / 10) == 0 || i + 1 == sims) {
      sim::log_info("pair ", i + 1, "/", sims, " (Omega_m ", pairs.back().omega_m, ", sigma8 ",
                    pairs.back().sigma8, "), ", seconds_since(t0), " s");
    }
  }
  nn::write_emulator_data(s.get_string("out"), pairs, seeds, o);
  std::printf("cosmograd emulate data: %d pairs in %s (%.1f s)\n", sims,
              s.get_string("out").c_str(), seconds_since(t0));
  return 0;
}

namespace {

/// The markdown table of held-out metrics, with what was measured.
std::string metrics_report(const nn::EmulatorMetrics& m, const nn::EmulatorDataInfo& test,
                           const std::string& model_path, const std::string& test_path) {
  std::ostringstream os;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "Held-out pairs: %lld boxes in `%s` (%d^3 particles, L = %g Mpc/h, PM: %d^3 mesh, "
                "%d steps a = %g -> 1), model `%s`. Densities: CIC of the particles on a %d^3 "
                "mesh; spectra summed over the boxes before the ratios. k_Nyq of the particles "
                "= %.4f h/Mpc.\n\n",
                static_cast<long long>(m.boxes), test_path.c_str(), test.options.particles,
                test.options.box_size, test.options.mesh, test.options.steps, test.options.a_init,
                model_path.c_str(), 2 * test.options.particles, m.k_nyq);
  os << buf;
  const bool pgd = m.pgd_fit_boxes > 0;
  if (pgd) {
    std::snprintf(buf, sizeof buf,
                  "Classical baseline 2LPT + PGD (Dai, Feng & Seljak 2018): alpha = %.5g, k_l = "
                  "%.4g h/Mpc, k_s = %.4g h/Mpc, fitted on %lld training pairs (mean (log P - log "
                  "P_PM)^2 for k <= k_Nyq / 2: %.3g -> %.3g); one fit for all cosmologies.\n\n",
                  m.pgd.alpha, m.pgd.k_l, m.pgd.k_s, static_cast<long long>(m.pgd_fit_boxes),
                  m.pgd.loss_before, m.pgd.loss_after);
    os << buf;
  }
  os << "| k [h/Mpc] | k / k_Nyq | P_emu / P_PM | r_emu | P_2LPT / P_PM | r_2LPT |"
     << (pgd ? " P_PGD / P_PM | r_PGD |" : "")
     << " P_mom,emu / P_mom,PM | P_mom,2LPT / P_mom,PM |\n|---:|---:|---:|---:|---:|---:|"
     << (pgd ? "---:|---:|" : "") << "---:|---:|\n";
  for (size_t i = 0; i < m.k.size(); ++i) {
    std::snprintf(buf, sizeof buf, "| %.4f | %.3f | %.4f | %.4f | %.4f | %.4f |", m.k[i],
                  m.k[i] / m.k_nyq, m.ratio_emu[i], m.r_emu[i], m.ratio_lpt[i], m.r_lpt[i]);
    os << buf;
    if (pgd) {
      std::snprintf(buf, sizeof buf, " %.4f | %.4f |", m.ratio_pgd[i], m.r_pgd[i]);
      os << buf;
    }
    std::snprintf(buf, sizeof buf, " %.4f | %.4f |\n", m.mom_ratio_emu[i], m.mom_ratio_lpt[i]);
    os << buf;
  }
  // Worst deviation and correlation of one method up to k_Nyq / 2.
  auto worst = [&](const std::vector<double>& ratio, const std::vector<double>& r) {
    std::array<double, 2> w{0.0, 1.0};
    for (size_t i = 0; i < m.k.size() && m.k[i] <= 0.5 * m.k_nyq * (1 + 1e-9); ++i) {
      w[0] = std::max(w[0], std::abs(ratio[i] - 1));
      w[1] = std::min(w[1], r[i]);
    }
    return w;
  };
  const auto we = worst(m.ratio_emu, m.r_emu), wl = worst(m.ratio_lpt, m.r_lpt);
  if (pgd) {
    const auto wp = worst(m.ratio_pgd, m.r_pgd);
    std::snprintf(buf, sizeof buf,
                  "\n2LPT + PGD up to 0.5 k_Nyq: max |P / P_PM - 1| = %.2f%%, "
                  "min r = %.4f.\n",
                  100 * wp[0], wp[1]);
    os << buf;
  }
  std::snprintf(buf, sizeof buf,
                "\nUp to 0.5 k_Nyq: max |P_emu / P_PM - 1| = %.2f%%, min r_emu = %.4f "
                "(2LPT: %.2f%%, %.4f). RMS error of the displacement %.3f Mpc/h (2LPT %.3f), of "
                "the momentum %.3f Mpc/h (2LPT %.3f).\n\n"
                "Wall time per box: emulator network %.3f s + 2LPT %.3f s, against the PM run "
                "%.3f s (this machine, as the pair file recorded them).\n",
                100 * we[0], we[1], 100 * wl[0], wl[1], m.disp_rmse_emu, m.disp_rmse_lpt,
                m.mom_rmse_emu, m.mom_rmse_lpt, m.emulate_seconds, test.lpt_seconds,
                test.pm_seconds);
  os << buf;
  return os.str();
}

}  // namespace

int emulate_train(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"data", "", "emulator_pairs.h5", "training pairs (cosmograd emulate data)"},
      {"test", "", "", "held-out pairs for the metrics table (optional)"},
      {"steps", "", "2000", "optimizer steps (Adam, cosine schedule)"},
      {"lr", "", "0.001", "peak learning rate"},
      {"batch", "", "2", "pairs per step"},
      {"density_weight", "", "0", "weight of the density MSE term of the loss"},
      {"momentum_weight", "", "1", "weight of the momentum MSE relative to the displacement's"},
      {"depth", "", "2", "U-Net depth"},
      {"channels", "", "16", "U-Net channels at the finest level"},
      {"seed", "", "1", "seed of the initial weights, batch order and augmentations"},
      {"out", "", "emulator.cgm", "model file (written atomically)"},
      {"report", "", "", "markdown report of the held-out metrics (written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "emulate train", "usage: cosmograd emulate train --data FILE.h5 [--key value ...]", keys,
      args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const std::string data = s.get_string("data");
  const nn::EmulatorDataInfo info = nn::read_emulator_data_info(data);
  const auto seed = static_cast<std::uint64_t>(count_setting(s, "seed", 0));
  torch::manual_seed(seed);
  nn::Emulator model(nn::EmulatorOptions()
                         .box_size(info.options.box_size)
                         .particles(info.options.particles)
                         .disp_scale(info.disp_rms)
                         .mom_scale(info.mom_rms)
                         .depth(count_setting(s, "depth", 0))
                         .base_channels(count_setting(s, "channels"))
                         .omega_m_min(info.options.omega_m_min)
                         .omega_m_max(info.options.omega_m_max)
                         .sigma8_min(info.options.sigma8_min)
                         .sigma8_max(info.options.sigma8_max));
  int64_t n_params = 0;
  for (const auto& p : model->parameters()) n_params += p.numel();
  nn::EmulatorTrainOptions to;
  to.steps = count_setting(s, "steps");
  to.lr = s.get_double("lr");
  to.batch = count_setting(s, "batch");
  to.density_weight = s.get_double("density_weight");
  to.momentum_weight = s.get_double("momentum_weight");
  to.seed = seed;
  to.log_every = std::max<int64_t>(1, to.steps / 20);
  sim::log_info("emulator: ", n_params, " parameters, ", to.steps, " steps of ", to.batch,
                " pairs from ", data);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> losses = nn::train_emulator(model, data, to);
  const double train_seconds = seconds_since(t0);
  nn::ModelHeader extra =
      training_record("emulate train", data, losses, train_seconds, n_params, s.get_string("out"));
  extra.set("train_mesh", static_cast<int64_t>(info.options.mesh));
  extra.set("train_pm_steps", static_cast<int64_t>(info.options.steps));
  extra.set("train_a_init", info.options.a_init);
  nn::save_emulator(s.get_string("out"), model, extra);
  const std::string test = s.get_string("test");
  if (test.empty()) return 0;
  const nn::EmulatorMetrics m = nn::evaluate_emulator(model, test, data);
  std::ostringstream header;
  header << "# Emulator (styled U-Net, 2LPT -> PM at z = 0): held-out metrics\n\n"
         << machine_line(threads)
         << "Training data is synthetic: pairs made by cosmograd itself (`cosmograd emulate "
            "data`), 2LPT and the PM run of one white noise, cosmologies on a Latin hypercube.\n\n"
         << "Train: `" << command_line("train", args) << "` (" << n_params << " parameters, "
         << to.steps << " steps, " << static_cast<int>(train_seconds) << " s).\n\n";
  print_and_report(s.get_string("report"), header.str(),
                   metrics_report(m, nn::read_emulator_data_info(test), s.get_string("out"), test));
  return 0;
}

int emulate_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "models/emulator.cgm", "emulator model file"},
      {"test", "", "emulator_test.h5", "held-out pairs (cosmograd emulate data)"},
      {"data", "", "", "training pairs to fit the 2LPT + PGD baseline on (optional)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed =
      parse_command("emulate evaluate",
                    "usage: cosmograd emulate evaluate --model FILE --test FILE.h5", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  torch::set_num_threads(sim::use_threads(static_cast<int>(s.get_int("threads"))));
  nn::Emulator model = nn::load_emulator(s.get_string("model"));
  const std::string test = s.get_string("test");
  const nn::EmulatorMetrics m = nn::evaluate_emulator(model, test, s.get_string("data"));
  std::printf(
      "%s",
      metrics_report(m, nn::read_emulator_data_info(test), s.get_string("model"), test).c_str());
  return 0;
}

}  // namespace cosmograd::apps
