// `cosmograd halomodel train|apply`: the neural halo model (nn/halo_model.hpp).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "nn/bridge.hpp"
#include "nn/halo_model.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/core/machine.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cosmograd::apps {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int positive(const sim::Settings& s, const std::string& key) {
  const long long v = s.get_int(key);
  if (v < 1 || v > 1000000) sim::bad_setting(key, s.get_string(key), "is not allowed (1 to 1e6)");
  return static_cast<int>(v);
}

int train(const std::vector<std::string>& args, const std::string& command_line) {
  const std::vector<sim::KeySpec> keys = {
      {"sims", "", "6", "training simulations (seeds seed .. seed + sims - 1)"},
      {"test_sims", "", "2", "held-out simulations (seeds 1000 + seed ...) for r(k)"},
      {"particles", "per side", "64", "particles per side"},
      {"mesh", "per side", "64", "force mesh cells per side"},
      {"box_size", "Mpc/h", "128", "box side"},
      {"steps", "", "10", "time steps a = 0.1 -> 1"},
      {"grid", "per side", "32", "training mesh (density and halo mass fields)"},
      {"epochs", "", "400", "optimizer steps (Adam, cosine schedule)"},
      {"lr", "", "0.003", "peak learning rate"},
      {"depth", "", "2", "U-Net depth"},
      {"channels", "", "8", "U-Net channels at the finest level"},
      {"r1", "Mpc/h", "4", "first Gaussian smoothing radius"},
      {"r2", "Mpc/h", "8", "second Gaussian smoothing radius"},
      {"m0_particles", "particles", "20", "M0 of log(1 + M/M0) in particle masses"},
      {"min_members", "particles", "20", "FoF minimum members"},
      {"seed", "", "1", "first training seed (also the trainer's seed)"},
      {"out", "", "halo_model.cgm", "model file"},
      {"report", "", "", "markdown report of r(k) on the held-out sims (written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "halomodel train", "usage: cosmograd halomodel train [--key value ...]", keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const int sims = positive(s, "sims"), test_sims = positive(s, "test_sims");
  const int particles = positive(s, "particles"), mesh = positive(s, "mesh");
  const int steps = positive(s, "steps"), grid = positive(s, "grid");
  const double box = s.get_double("box_size");
  const auto seed = static_cast<std::uint64_t>(s.get_int("seed"));
  const int min_members = positive(s, "min_members");
  const auto t_start = std::chrono::steady_clock::now();

  const auto make = [&](std::uint64_t sd) {
    sim::SimSpec c = nn::halo_sim_config(particles, mesh, box, steps, sd);
    c.threads = threads;
    return nn::make_halo_sample(c, grid, min_members);
  };
  std::vector<nn::HaloSample> train_set, test_set;
  for (int i = 0; i < sims; ++i) {
    train_set.push_back(make(seed + static_cast<std::uint64_t>(i)));
    sim::log_info("training sim ", i + 1, "/", sims, ": ", train_set.back().num_halos, " halos");
  }
  for (int i = 0; i < test_sims; ++i) test_set.push_back(make(1000 + seed + i));
  const double t_sims = seconds_since(t_start);
  const double m_part = train_set.front().particle_mass;

  torch::manual_seed(seed);  // the initial weights, so that training is reproducible
  nn::HaloModel model(nn::HaloModelOptions()
                          .box_size(box)
                          .grid(grid)
                          .r1(s.get_double("r1"))
                          .r2(s.get_double("r2"))
                          .m0(s.get_double("m0_particles") * m_part)
                          .depth(s.get_int("depth"))
                          .base_channels(s.get_int("channels")));
  nn::HaloTrainOptions to;
  to.steps = positive(s, "epochs");
  to.lr = s.get_double("lr");
  to.seed = seed;
  to.log_every = std::max<int64_t>(1, to.steps / 10);
  const auto t_train = std::chrono::steady_clock::now();
  const std::vector<double> losses = nn::train_halo_model(model, train_set, to);
  const double train_seconds = seconds_since(t_train);
  const double train_loss = nn::halo_model_loss(model, train_set);
  const double test_loss = nn::halo_model_loss(model, test_set);

  nn::ModelHeader extra;
  extra.set("train_sims", static_cast<int64_t>(sims));
  extra.set("train_particles", static_cast<int64_t>(particles));
  extra.set("train_steps", static_cast<int64_t>(to.steps));
  extra.set("train_loss", train_loss);
  // The training domain, which `apply` checks a snapshot against.
  const sim::SimSpec domain = nn::halo_sim_config(particles, mesh, box, steps, seed);
  extra.set("train_redshift", 1.0 / domain.a_final() - 1.0);
  extra.set("train_Omega_m", domain.cosmology.Omega_m);
  extra.set("train_h", domain.cosmology.h);
  extra.set("train_sigma8", domain.cosmology.sigma8);
  extra.set("train_n_s", domain.cosmology.n_s);
  extra.set("train_Omega_b", domain.cosmology.Omega_b);
  extra.set("test_loss", test_loss);
  nn::save_halo_model(s.get_string("out"), model, extra);
  sim::log_info("wrote the model ", s.get_string("out"));
  const double wall = seconds_since(t_start);

  // r(k) on the held-out simulations, averaged over them (the spectra summed first).
  // Baseline on the same data: the density field itself (no model) against the FoF field.
  std::vector<double> k, r, r_density;
  double m_true = 0, m_pred = 0;
  {
    torch::NoGradGuard no_grad;
    std::vector<nn::CrossSpectrum> cs, cs_density;
    for (const nn::HaloSample& t : test_set) {
      const torch::Tensor pred = model->predict_mass_field(t.delta);
      m_true += t.mass.sum().item<double>();
      m_pred += pred.sum().item<double>();
      cs.push_back(nn::cross_correlation(pred, t.mass, box));
      cs_density.push_back(nn::cross_correlation(t.delta, t.mass, box));
    }
    k = cs.front().k;
    r.assign(k.size(), 0.0);
    r_density.assign(k.size(), 0.0);
    for (std::size_t j = 0; j < cs.size(); ++j) {
      for (std::size_t i = 0; i < k.size(); ++i) {
        r[i] += cs[j].r[i] / static_cast<double>(cs.size());
        r_density[i] += cs_density[j].r[i] / static_cast<double>(cs.size());
      }
    }
  }
  std::ostringstream table;
  table << "| k [h/Mpc] | r(k), model | r(k), density (baseline) |\n|---:|---:|---:|\n";
  for (std::size_t i = 0; i < k.size(); ++i) {
    char row[96];
    std::snprintf(row, sizeof row, "| %.4f | %.4f | %.4f |\n", k[i], r[i], r_density[i]);
    table << row;
  }
  std::printf("held-out r(k) (mean over %d sims):\n%s", test_sims, table.str().c_str());
  std::printf("total halo mass: FoF %.4e, predicted %.4e Msun/h (ratio %.4f)\n", m_true, m_pred,
              m_pred / m_true);
  std::printf("loss: train %.5f, held-out %.5f; sims %.1f s, training %.1f s, total %.1f s\n",
              train_loss, test_loss, t_sims, train_seconds, wall);

  const std::string report = s.get_string("report");
  if (!report.empty()) {
    nn::write_file_atomically(report, [&](std::ostream& os) {
      char buf[512];
      os << "# Neural halo model: r(k) on held-out simulations\n\n";
      os << "Machine: " << sim::cpu_model() << ", " << std::thread::hardware_concurrency()
         << " cores, " << threads << " threads; LibTorch (CPU), float32.\n\n";
      os << "Command: `" << command_line << "`\n\n";
      std::snprintf(buf, sizeof buf,
                    "Data: %d training sims (seeds %llu..), %d held-out sims (seeds %llu..), "
                    "%d^3 particles, %d^3 force mesh, box %g Mpc/h, %d steps a = 0.1 -> 1, "
                    "planck2015; FoF b = 0.2, >= %d members; fields on a %d^3 mesh "
                    "(%.2f Mpc/h cells).\n\n",
                    sims, static_cast<unsigned long long>(seed), test_sims,
                    static_cast<unsigned long long>(1000 + seed), particles, mesh, box, steps,
                    min_members, grid, box / grid);
      os << buf;
      std::snprintf(buf, sizeof buf,
                    "Model: features log(1 + delta/2) of delta and delta smoothed with Gaussians "
                    "R = %g, %g Mpc/h; UNet3d depth %lld, %lld channels; target log(1 + M/M0), "
                    "M0 = %g particle masses = %.3e Msun/h; %lld Adam steps, cosine lr from "
                    "%g.\n\n",
                    s.get_double("r1"), s.get_double("r2"),
                    static_cast<long long>(s.get_int("depth")),
                    static_cast<long long>(s.get_int("channels")), s.get_double("m0_particles"),
                    model->options.m0(), static_cast<long long>(to.steps), to.lr);
      os << buf;
      std::snprintf(buf, sizeof buf,
                    "Wall time: %.1f s in all (simulations + FoF %.1f s, training %.1f s).\n\n"
                    "MSE of log(1 + M/M0): first step %.4f, train %.4f, held-out %.4f.\n\n"
                    "Total halo mass on the held-out sims: FoF %.4e, predicted %.4e Msun/h "
                    "(ratio %.4f).\n\n",
                    wall, t_sims, train_seconds, losses.front(), train_loss, test_loss, m_true,
                    m_pred, m_pred / m_true);
      os << buf;
      os << "r(k) with the FoF halo mass field (mean over the held-out sims) of the predicted "
            "field, and, as the classical baseline on the same data, of the input density "
            "contrast itself:\n\n"
         << table.str();
    });
    sim::log_info("wrote ", report);
  }
  return 0;
}

/// Refuses (or, with `outside_domain`, warns about) a snapshot whose cell size L / grid,
/// redshift, Omega_m or h differ from the model's training data: the smoothing radii and the
/// density-to-mass mapping were learned there only.
void check_training_domain(const nn::ModelHeader& h, const sim::SnapshotHeader& snap,
                           const std::string& snapshot, bool outside_domain) {
  std::vector<std::string> problems;
  auto compare = [&](const char* what, double have, double trained, double tolerance,
                     bool relative) {
    const double diff = std::abs(have - trained);
    if (diff > tolerance * (relative ? std::abs(trained) : 1.0)) {
      problems.push_back(std::string(what) + " = " + sim::format_setting(have) + " (trained on " +
                         sim::format_setting(trained) + ")");
    }
  };
  const double grid = static_cast<double>(h.get_int("grid"));
  compare("cell size L/grid [Mpc/h]", snap.box_size / grid, h.get_double("box_size") / grid, 1e-3,
          true);
  if (h.has("train_redshift")) {
    compare("redshift", snap.redshift(), h.get_double("train_redshift"), 0.01, false);
    compare("Omega_m", snap.Omega_m, h.get_double("train_Omega_m"), 1e-3, true);
    compare("h", snap.h, h.get_double("train_h"), 1e-3, true);
  } else {
    sim::log_warn(h.source(),
                  " records no training redshift or cosmology (written before they "
                  "were recorded): only the cell size is checked");
  }
  if (problems.empty()) return;
  std::string list;
  for (const std::string& p : problems) list += (list.empty() ? "" : "; ") + p;
  const std::string msg =
      "snapshot '" + snapshot + "' is outside the training domain of " + h.source() + ": " + list;
  if (!outside_domain) {
    throw std::invalid_argument(msg + " (set --outside_domain true to apply it anyway)");
  }
  sim::log_warn(msg, "; applying it anyway (outside_domain = true)");
}

int apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "halo_model.cgm", "model file written by halomodel train"},
      {"out", "", "halo_mass.h5", "halo mass field (HDF5, dataset halo_mass, Msun/h per cell)"},
      {"threads", "", "0", "threads (0: all)"},
      {"outside_domain", "", "false",
       "apply to a snapshot outside the training domain (cell size, redshift, Omega_m, h) with "
       "a warning instead of an error"},
  };
  const ParsedArgs parsed = parse_command(
      "halomodel apply", "usage: cosmograd halomodel apply --model FILE SNAPSHOT [--out FILE.h5]",
      keys, args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument("cosmograd halomodel apply: give one SNAPSHOT");
  }
  const sim::Settings& s = parsed.settings;
  torch::set_num_threads(sim::use_threads(static_cast<int>(s.get_int("threads"))));
  nn::ModelHeader header;
  nn::HaloModel model = nn::load_halo_model(s.get_string("model"), &header);
  const sim::SnapshotData<float> snap = sim::read_snapshot<float>(parsed.positional[0]);
  const double box = snap.header.box_size;
  const int n = static_cast<int>(model->options.grid());
  check_training_domain(header, snap.header, parsed.positional[0], s.get_bool("outside_domain"));
  const int64_t np = static_cast<int64_t>(snap.size());
  const torch::Tensor pos =
      torch::from_blob(const_cast<float*>(snap.pos.data()), {np, 3}, torch::kFloat32);
  const double mean = static_cast<double>(np) / (static_cast<double>(n) * n * n);
  const torch::Tensor delta = nn::paint(pos, n, box) / mean - 1.0;
  torch::Tensor mass;
  {
    torch::NoGradGuard no_grad;
    mass = model->predict_mass_field(delta).contiguous();
  }
  sim::Field<float> field{sim::Decomposition(n)};
  nn::tensor_to_field(mass, field);
  sim::write_field(s.get_string("out"), field, box, snap.header.a, "halo_mass");
  sim::log_info("wrote ", s.get_string("out"), ": predicted halo mass ", mass.sum().item<double>(),
                " Msun/h on ", n, "^3 cells");
  return 0;
}

}  // namespace

int cmd_halomodel(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd halomodel train [--key value ...]\n"
      "       cosmograd halomodel apply --model FILE SNAPSHOT [--out FILE.h5]\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage.c_str());
    return args.empty() ? 1 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "train") {
    std::string line = "cosmograd halomodel train";
    for (const std::string& a : rest) line += " " + a;
    return train(rest, line);
  }
  if (args[0] == "apply") return apply(rest);
  throw std::invalid_argument("cosmograd halomodel: unknown action '" + args[0] +
                              "' (train or apply)\n" + usage);
}

}  // namespace cosmograd::apps
