// `cosmograd infer`: likelihood-free inference of cosmological parameters from a campaign
// (issue 20). `train` fits a neural posterior estimator, `evaluate` calibrates it against the
// Gaussian-likelihood baselines on held-out simulations (cmd_infer_evaluate.cpp), and the bare
// command writes the posterior of one observed summary file.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/infer_common.hpp"
#include "apps/options.hpp"
#include "inference/npe.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/atomic_file.hpp"
#include "viz/corner.hpp"

namespace cosmograd::apps {

int infer_evaluate(const std::vector<std::string>& args);

namespace {

namespace fs = std::filesystem;

int infer_train(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = infer_split_keys();
  const inference::NpeTrainOptions d;
  const std::vector<sim::KeySpec> more = {
      {"summary", "", "power", "what q(theta | s) sees: density, power or power_bispectrum"},
      {"flow", "", d.flow, "nsf (rational-quadratic splines) or maf"},
      {"flow_layers", "", std::to_string(d.flow_layers), "layers of each flow"},
      {"flow_hidden", "", std::to_string(d.flow_hidden), "hidden width of the conditioners"},
      {"members", "", std::to_string(d.members), "ensemble members"},
      {"steps", "", std::to_string(d.steps), "optimizer steps per member"},
      {"batch", "", std::to_string(d.batch), "simulations per step"},
      {"lr", "", sim::format_setting(d.lr), "peak learning rate (cosine decay)"},
      {"patience", "", std::to_string(d.patience),
       "validations (every 50 steps) without improvement before a member stops"},
      {"compressor_loss", "", d.compressor_loss,
       "density: mse (regression on the parameters) or vmim (jointly with a flow)"},
      {"compressor_steps", "", std::to_string(d.compressor_steps), "steps of the compressor"},
      {"compressor_batch", "", std::to_string(d.compressor_batch), "fields per compressor step"},
      {"compressor_channels", "", std::to_string(d.compressor_channels),
       "first-block channels of the CNN"},
      {"compressed", "", "0", "compressor outputs (0: the number of parameters)"},
      {"augment", "", "true", "random cube symmetries and periodic shifts of the fields"},
      {"cache_mb", "MB", "1024", "fields kept in memory; the rest stream from the files"},
      {"seed", "", std::to_string(d.seed), "training seed (member k: seed + k)"},
      {"threads", "", "0", "OpenMP and LibTorch threads (0: all)"},
      {"out", "", "npe.cgm", "model file"},
  };
  keys.insert(keys.end(), more.begin(), more.end());
  const ParsedArgs parsed = parse_command(
      "infer train",
      "usage: cosmograd infer train --campaign DIR [--summary power] [--key value ...] --out FILE\n"
      "  trains a neural posterior estimator on the campaign's design simulations (the last\n"
      "  `test` are held out, the `validation` before them stop the training)",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const InferSplit split = infer_split_from(s);
  inference::NpeTrainOptions o;
  o.summary = inference::parse_summary_kind(s.get_string("summary"));
  o.k_max = split.k_max;
  o.flow = s.get_string("flow");
  o.flow_layers = static_cast<int>(s.get_int("flow_layers"));
  o.flow_hidden = static_cast<int>(s.get_int("flow_hidden"));
  o.members = static_cast<int>(s.get_int("members"));
  o.steps = static_cast<int>(s.get_int("steps"));
  o.batch = static_cast<int>(s.get_int("batch"));
  o.lr = s.get_double("lr");
  o.patience = static_cast<int>(s.get_int("patience"));
  o.compressor_loss = s.get_string("compressor_loss");
  o.compressor_steps = static_cast<int>(s.get_int("compressor_steps"));
  o.compressor_batch = static_cast<int>(s.get_int("compressor_batch"));
  o.compressor_channels = static_cast<int>(s.get_int("compressor_channels"));
  o.compressed = static_cast<int>(s.get_int("compressed"));
  o.augment = s.get_bool("augment");
  o.cache_bytes = static_cast<std::size_t>(s.get_int("cache_mb")) << 20;
  o.seed = static_cast<std::uint64_t>(s.get_int("seed"));
  o.log_every = 250;
  sim::check_int_range("members", o.members, 1, 64);
  sim::check_int_range("steps", o.steps, 1, 10000000);
  sim::check_int_range("batch", o.batch, 1, 100000);
  sim::check_int_range("flow_layers", o.flow_layers, 1, 64);
  sim::check_int_range("flow_hidden", o.flow_hidden, 1, 4096);
  sim::check_int_range("compressor_steps", o.compressor_steps, 1, 10000000);
  sim::check_int_range("compressor_batch", o.compressor_batch, 1, 4096);
  sim::check_int_range("compressor_channels", o.compressor_channels, 1, 256);
  sim::check_int_range("compressed", o.compressed, 0, 1024);
  sim::check_int_range("cache_mb", s.get_int("cache_mb"), 0, 1 << 30);
  sim::check_int_range("patience", o.patience, 0, 1000000);
  if (!(o.lr > 0)) sim::bad_setting("lr", s.get_string("lr"), "is not > 0");
  set_infer_threads(s);

  inference::NpeTrainReport rep;
  nn::NpeNet net = inference::train_npe(split.split, split.lo, split.hi, o, &rep);
  nn::ModelHeader h = net->header();
  h.set("trained_on", split.campaign);
  h.set("train_simulations", static_cast<int64_t>(rep.train));
  h.set("validation_simulations", static_cast<int64_t>(rep.validation));
  h.set("train_seconds", rep.seconds);
  std::string command = "cosmograd infer train";
  for (const auto& [k, v] : s.values()) command += " --" + k + " " + (v.empty() ? "''" : v);
  h.set("train_command", command);
  std::ostringstream weights, val;
  for (std::size_t k = 0; k < rep.weights.size(); ++k) {
    weights << (k ? "," : "") << rep.weights[k];
    val << (k ? "," : "") << rep.member_val_log_prob[k];
  }
  h.set("member_weights", weights.str());
  h.set("member_validation_log_prob", val.str());
  if (o.summary == inference::SummaryKind::density) {
    h.set("compressor_loss", o.compressor_loss);
    h.set("compressor_validation_loss", rep.compressor_val_loss);
  }
  nn::save_model(s.get_string("out"), *net, h);
  std::printf(
      "cosmograd infer train: %s NPE on %d simulations (%d validation), %d members, weights %s, "
      "validation log q %s; %.0f s; wrote %s\n",
      s.get_string("summary").c_str(), rep.train, rep.validation, o.members, weights.str().c_str(),
      val.str().c_str(), rep.seconds, s.get_string("out").c_str());
  return 0;
}

/// `cosmograd infer --model FILE OBSERVED.h5 --out DIR`.
int infer_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "NPE model file (cosmograd infer train)"},
      {"samples", "", "10000", "posterior samples"},
      {"seed", "", "1", "sampling seed"},
      {"threads", "", "0", "LibTorch threads (0: all)"},
      {"out", "", "posterior", "output directory (samples.h5, corner.png, summary.txt)"},
  };
  const ParsedArgs parsed = parse_command(
      "infer",
      "usage: cosmograd infer --model FILE OBSERVED.h5 [--samples 10000] --out DIR\n"
      "  posterior samples of the parameters given an observed summary file (a campaign's\n"
      "  sims/sim_NNNNNN.h5 layout)",
      keys, args, 1);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument("cosmograd infer: give one OBSERVED.h5 summary file");
  }
  if (s.get_string("model").empty()) sim::bad_setting("model", "''", "is empty (give the file)");
  const long long n = s.get_int("samples");
  sim::check_int_range("samples", n, 1, 100000000);
  set_infer_threads(s);
  nn::ModelHeader header;
  nn::NpeNet net = nn::load_npe(s.get_string("model"), &header);
  const std::string observed = parsed.positional[0];
  const torch::Tensor samples = inference::npe_posterior_samples(
      net, observed, n, static_cast<std::uint64_t>(s.get_int("seed")));
  const fs::path out = s.get_string("out");
  fs::create_directories(out);
  const nn::NpeConfig& c = net->config();
  const std::vector<double> truth = observed_truth(observed, c.parameters.size());
  write_posterior_samples((out / "samples.h5").string(), samples, c.parameters, observed);
  viz::CornerSpec corner;
  corner.title = "posterior of " + fs::path(observed).filename().string() + " (" + c.summary +
                 " NPE, " + std::to_string(n) + " samples)";
  corner.names = c.parameters;
  corner.samples = tensor_rows(samples);
  corner.truth = truth;
  corner.lo = c.lo;
  corner.hi = c.hi;
  viz::write_corner_png((out / "corner.png").string(), corner);
  const std::string table = posterior_table(samples, c.parameters, truth);
  sim::write_file_atomic((out / "summary.txt").string(), table);
  std::printf("%s", table.c_str());
  std::printf("cosmograd infer: wrote %s/samples.h5, corner.png, summary.txt\n",
              out.string().c_str());
  return 0;
}

}  // namespace

int cmd_infer(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "train") {
    return infer_train(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args[0] == "evaluate") {
    return infer_evaluate(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  return infer_apply(args);
}

}  // namespace cosmograd::apps
