// `cosmograd reconstruct`: initial-condition reconstruction (issue 19). `data` simulates a data
// set, the bare command reconstructs one (L-BFGS, Adam or the RIM), `train` trains the RIM and
// `evaluate` compares the methods on held-out data sets (cmd_reconstruct_evaluate.cpp).
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/reconstruct_common.hpp"
#include "inference/halo_data.hpp"
#include "inference/posterior.hpp"
#include "inference/rim.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/io/field_io.hpp"
#include "sim/pm/adjoint.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {

int reconstruct_evaluate(const std::vector<std::string>& args);

namespace {

/// The seeded white noise of spec (C order; the realisation `cosmograd run` starts from) and
/// the final particles it gives, from one engine.
struct SeededRun {
  std::vector<double> white_noise;
  sim::Particles<double> particles;
};
SeededRun run_seed(const sim::SimSpec& spec) {
  sim::DifferentiableSim<double> engine(spec);
  const sim::Field<double> w = engine.white_noise();
  return {inference::field_values(w), engine.forward(w)};
}

int reconstruct_data(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = reconstruction_problem_keys();
  keys.push_back({"out", "", "", "directory of the data set (data.h5, data.ini, truth_*.h5)"});
  const ParsedArgs parsed =
      parse_command("reconstruct data",
                    "usage: cosmograd reconstruct data [config.ini] [--key value ...] --out DIR\n"
                    "  simulates the run of `seed` and writes what the data model observes of it",
                    keys, args);
  if (parsed.help) return 0;
  sim::Settings s = parsed.settings;
  const std::string out = s.get_string("out");
  if (out.empty()) sim::bad_setting("out", "''", "is empty (give the data set's directory)");
  Problem p = problem_from(s);
  p.spec.threads = reconstruction_threads(s);
  p.model.threads = p.spec.threads;
  const SeededRun truth = run_seed(p.spec);
  const std::vector<double>& w = truth.white_noise;
  const sim::Particles<double>& particles = truth.particles;
  sim::Field<double> data{sim::Decomposition(2)};
  if (p.model.tracer == inference::Tracer::matter) {
    data = inference::simulate_data(p.model, particles, p.noise_seed);
  } else {
    // Bias calibrated on a separate run of the same cosmology, then the truth's halo field.
    sim::SimSpec cal = p.spec;
    cal.seed = p.calibration_seed;
    const sim::Particles<double> cal_particles = run_seed(cal).particles;
    std::size_t cal_halos = 0, halos = 0;
    const sim::Field<double> cal_field =
        inference::halo_mass_field(cal_particles, cal, p.model.mesh, p.fof, &cal_halos);
    const inference::BiasFit fit = inference::fit_halo_bias(p.model, cal_particles, cal_field);
    data = inference::halo_mass_field(particles, p.spec, p.model.mesh, p.fof, &halos);
    inference::add_noise(p.model, data, p.noise_seed);
    s.set("bias_b1", sim::format_setting(fit.b1));
    s.set("bias_b2", sim::format_setting(fit.b2));
    s.set("noise_power", sim::format_setting(p.model.noise_power + fit.noise_power));
    std::printf(
        "reconstruct data: %zu halos (calibration run seed %llu: %zu halos; b1 = %.3f, b2 = "
        "%.3f, residual power %.1f (Mpc/h)^3)\n",
        halos, static_cast<unsigned long long>(cal.seed), cal_halos, fit.b1, fit.b2,
        fit.noise_power);
  }
  std::filesystem::create_directories(out);
  sim::FieldAttributes attrs;
  attrs.strings.push_back({"tracer", inference::tracer_name(p.model.tracer)});
  attrs.strings.push_back({"los", s.get_string("los")});
  attrs.numbers.push_back({"noise_power", s.get_double("noise_power")});
  attrs.numbers.push_back({"mask_fraction", s.get_double("mask_fraction")});
  const double a = p.spec.a_final();
  sim::write_field(out + "/data.h5", data, p.spec.box_size, a, "data", attrs);
  sim::write_field(out + "/truth_white_noise.h5", inference::noise_field(w, p.spec.particles),
                   p.spec.box_size, 1.0, "white_noise");
  sim::write_field(
      out + "/truth_linear.h5",
      inference::linear_field(p.spec, inference::noise_field(w, p.spec.particles), p.spec.threads),
      p.spec.box_size, 1.0, "delta");
  sim::Settings problem_keys;
  for (const sim::KeySpec& k : reconstruction_problem_keys())
    problem_keys.set(k.name, s.get_string(k.name));
  sim::write_file_atomic(out + "/data.ini",
                         problem_keys.to_ini("cosmograd reconstruct data: the data set's keys"));
  std::printf("reconstruct data: %s data (%d^3, noise rms %.3g per cell%s%s) of seed %llu in %s\n",
              inference::tracer_name(p.model.tracer), p.model.mesh,
              std::sqrt(s.get_double("noise_power") / p.model.cell_volume()),
              p.model.rsd_axis >= 0 ? ", redshift space" : "",
              p.model.mask.empty() ? "" : ", masked", static_cast<unsigned long long>(p.spec.seed),
              out.c_str());
  return 0;
}

/// Three slices (truth linear | data | reconstruction linear) through z = L/2, each smoothed on
/// two cells of its mesh and divided by its rms, side by side in one picture.
void write_slices(const std::string& path, const DataSet& d, const sim::Field<double>& rec_linear,
                  int threads) {
  const int n = d.problem.spec.particles;
  const double box = d.problem.spec.box_size;
  std::vector<sim::Field<double>> fields;
  if (d.truth) fields.push_back(inference::linear_field(d.problem.spec, *d.truth, threads));
  fields.push_back(d.data.clone());
  fields.push_back(rec_linear.clone());
  const int m = std::max(n, d.problem.model.mesh);
  std::vector<double> column(fields.size() * static_cast<std::size_t>(m) * m, 0.0);
  for (std::size_t f = 0; f < fields.size(); ++f) {
    sim::Field<double>& field = fields[f];
    const int nf = field.n();
    inference::gaussian_smooth(field, box, 2 * box / nf, threads);
    double ss = 0;
    for (int x = 0; x < nf; ++x) {
      for (int y = 0; y < nf; ++y) ss += field.at(x, y, nf / 2) * field.at(x, y, nf / 2);
    }
    const double rms = std::sqrt(ss / (double(nf) * nf));
    for (int x = 0; x < m; ++x) {
      for (int y = 0; y < m; ++y) {
        const double v = field.at(x * nf / m, y * nf / m, nf / 2);
        column[(f * m + x) * static_cast<std::size_t>(m) + y] = rms > 0 ? v / rms : 0.0;
      }
    }
  }
  viz::DensityMapSpec spec;
  spec.title = std::string(d.truth ? "truth (linear) | data | reconstruction (linear)"
                                   : "data | reconstruction (linear)") +
               ", smoothed on 2 cells,";
  spec.extent_x = box * static_cast<double>(fields.size());
  spec.extent_y = box;
  spec.slab_depth = box / m;
  spec.log_scale = false;
  spec.vmin = -3;
  spec.vmax = 3;
  spec.colorbar_label = "#gd / rms";
  spec.width = 1500;
  spec.height = 600;
  viz::write_density_map_png(path, column, static_cast<int>(fields.size()) * m, m, spec);
}

int reconstruct_run(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"data", "", "", "the data set: DIR/data.h5 of `reconstruct data`"},
      {"method", "", "lbfgs", "lbfgs, adam or rim"},
      {"model", "", "", "method = rim: the trained RIM (models/rim.cgm)"},
      {"iterations", "", "0",
       "optimiser iterations, or RIM updates (0: 400 lbfgs, 100 adam, "
       "the model's rim_iterations)"},
      {"learning_rate", "", "0.1", "Adam step size in white-noise units"},
      {"anneal", "Mpc/h", "",
       "likelihood smoothing radii, coarse to fine, one stage each "
       "(e.g. 25,12.5,6.25,3.125,0; empty: none)"},
      {"free", "", "",
       "cosmological parameters fitted with the white noise, comma-separated "
       "(lbfgs, adam; e.g. Omega_m,sigma8; flat prior; empty: fixed)"},
      {"threads", "", "0", "threads (0: all)"},
      {"out", "", "reconstruction", "output directory"},
      {"verbose", "", "false", "print every evaluation's -ln p"}};
  const ParsedArgs parsed = parse_command(
      "reconstruct",
      "usage: cosmograd reconstruct --data DIR/data.h5 --method lbfgs|adam|rim [--model FILE] "
      "[--key value ...] --out DIR",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (s.get_string("data").empty()) sim::bad_setting("data", "''", "is empty (give DIR/data.h5)");
  const DataSet d = read_data_set(s.get_string("data"));
  const int threads = reconstruction_threads(s);
  MethodSpec m;
  m.method = s.get_string("method");
  m.model_path = s.get_string("model");
  m.learning_rate = s.get_double("learning_rate");
  m.anneal = s.get_doubles("anneal");
  m.free = parse_free_parameters("free", s.get_string("free"));
  const long long its = s.get_int("iterations");
  sim::check_int_range("iterations", its, 0, 1000000);
  m.iterations = static_cast<int>(its);
  if (m.iterations == 0) {
    if (m.method == "rim") {
      if (m.model_path.empty()) sim::bad_setting("model", "''", "is empty (method = rim)");
      m.iterations =
          static_cast<int>(nn::read_model_header(m.model_path).get_int("rim_iterations"));
    } else {
      m.iterations = m.method == "lbfgs" ? 400 : 100;
    }
  }
  const std::string out = s.get_string("out");
  const Reconstruction r = reconstruct(d, m, threads, s.get_bool("verbose"));
  std::filesystem::create_directories(out);
  const int n = d.problem.spec.particles;
  const sim::Field<double> w = inference::noise_field(r.white_noise, n);
  const sim::Field<double> linear = inference::linear_field(d.problem.spec, w, threads);
  sim::write_field(out + "/white_noise.h5", w, d.problem.spec.box_size, 1.0, "white_noise");
  sim::write_field(out + "/linear.h5", linear, d.problem.spec.box_size, 1.0, "delta");
  std::ostringstream trace;
  trace << "# cosmograd reconstruct " << m.method << ": evaluation, smoothing R [Mpc/h], -ln p, "
        << "wall time [s]\n";
  for (const inference::MapStep& st : r.trace) {
    trace << st.evaluation << " " << st.smoothing << " " << st.loss << " " << st.seconds << "\n";
  }
  sim::write_file_atomic(out + "/trace.txt", trace.str());
  std::printf("reconstruct %s: %d iterations, %d engine evaluations, %.2f s\n", m.method.c_str(),
              r.iterations, r.evaluations, r.seconds);
  if (!m.free.empty()) {
    std::ostringstream cosmo;
    cosmo << "# cosmological parameters fitted with the white noise (MAP, flat prior)\n";
    for (std::size_t i = 0; i < m.free.size(); ++i) {
      const char* name = sim::cosmo_param_name(m.free[i]);
      cosmo << name << " = " << sim::format_setting(r.parameters[i]) << "\n";
      std::printf("  %s = %.5f (the data set was made with %.5f, the start)\n", name,
                  r.parameters[i], sim::param(d.problem.spec.cosmology, m.free[i]));
    }
    sim::write_file_atomic(out + "/cosmology.txt", cosmo.str());
  }
  if (d.truth) {
    const inference::TransferComparison c = compare_to_truth(d, r.white_noise, threads);
    std::ostringstream t;
    t << "# reconstruction vs truth (linear fields): k [h/Mpc], r(k), T(k), modes\n";
    for (std::size_t i = 0; i < c.k.size(); ++i) {
      t << c.k[i] << " " << c.r[i] << " " << c.transfer[i] << " " << c.modes[i] << "\n";
    }
    sim::write_file_atomic(out + "/transfer.txt", t.str());
    const double k_half = 0.5 * M_PI * n / d.problem.spec.box_size;
    for (std::size_t i = 0; i < c.k.size(); ++i) {
      if (c.k[i] > k_half) break;
      std::printf("  k = %.3f h/Mpc  r = %.3f  T = %.3f\n", c.k[i], c.r[i], c.transfer[i]);
    }
  }
  write_slices(out + "/slices.png", d, linear, threads);
  std::printf("reconstruct: wrote white_noise.h5, linear.h5, trace.txt%s, slices.png in %s\n",
              d.truth ? ", transfer.txt" : "", out.c_str());
  return 0;
}

int reconstruct_train(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = reconstruction_problem_keys();
  keys.push_back({"out", "", "rim.cgm", "model file"});
  keys.push_back({"train_steps", "", "600", "optimiser steps, one simulation from the prior each"});
  keys.push_back({"learning_rate", "", "0.002", "Adam learning rate (cosine decay to 1/10)"});
  keys.push_back({"train_seed", "", "1", "seed of the prior draws, noise and weights"});
  keys.push_back({"rim_channels", "", "8", "hidden channels of each ConvLSTM cell"});
  keys.push_back({"rim_kernel", "", "5", "kernel edge of the convolutions (odd)"});
  keys.push_back({"rim_iterations", "", "10", "RIM updates T"});
  keys.push_back({"checkpoint", "", "", "resumable training state (\"\": none)"});
  const ParsedArgs parsed = parse_command(
      "reconstruct train",
      "usage: cosmograd reconstruct train [config.ini] [--key value ...] --out FILE.cgm\n"
      "  trains the RIM on simulations drawn from the prior, observed as the data keys say",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  Problem p = problem_from(s);
  if (p.model.tracer != inference::Tracer::matter) {
    sim::bad_setting("tracer", s.get_string("tracer"),
                     "is not supported by RIM training (allowed: matter)");
  }
  p.spec.threads = reconstruction_threads(s);
  p.model.threads = p.spec.threads;
  const int channels = count_setting(s, "rim_channels");
  const int kernel = count_setting(s, "rim_kernel");
  nn::RimNet net(channels, kernel);
  inference::RimTrainOptions o;
  o.rim.iterations = count_setting(s, "rim_iterations");
  o.steps = count_setting(s, "train_steps");
  o.learning_rate = s.get_double("learning_rate");
  if (!(o.learning_rate > 0))
    sim::bad_setting("learning_rate", s.get_string("learning_rate"), "is not > 0");
  o.seed = static_cast<std::uint64_t>(s.get_int("train_seed"));
  o.checkpoint_path = s.get_string("checkpoint");
  std::printf("reconstruct train: RIM of %lld parameters, %d^3, %d updates, %lld steps\n",
              static_cast<long long>(net->num_parameters()), p.spec.particles, o.rim.iterations,
              static_cast<long long>(o.steps));
  const inference::RimTrainResult r = inference::train_rim(net, p.spec, p.model, o);
  const std::string out = s.get_string("out");
  nn::ModelHeader h = training_record("reconstruct train",
                                      "prior draws (train_seed " + s.get_string("train_seed") + ")",
                                      r.losses, r.seconds, net->num_parameters(), out);
  h.set("train_steps", r.steps);  // with a resumed checkpoint, more than this call's losses
  const nn::ModelHeader arch = net->header();
  for (const auto& [key, value] : arch.values()) h.set(key, value);
  h.set("rim_iterations", static_cast<int64_t>(o.rim.iterations));
  for (const sim::KeySpec& k : reconstruction_problem_keys())
    h.set("problem_" + k.name, s.get_string(k.name));
  nn::save_model(out, *net, h);
  return 0;
}

}  // namespace

int cmd_reconstruct(const std::vector<std::string>& args) {
  const std::string action = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (action == "data") return reconstruct_data(rest);
  if (action == "train") return reconstruct_train(rest);
  if (action == "evaluate") return reconstruct_evaluate(rest);
  return reconstruct_run(args);
}

}  // namespace cosmograd::apps
