// `cosmograd paint evaluate`: held-out spectra of every painter of a target (LDL, the U-Net's
// mean, one stochastic painting) beside the mean-relation baseline, S(k) for the matter target,
// and the stochastic painter's scatter at fixed dark matter.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/paint_common.hpp"
#include "nn/baryon_painter.hpp"
#include "nn/ldl_file.hpp"
#include "nn/train/model_types.hpp"
#include "sim/baryons/baryon_targets.hpp"
#include "sim/baryons/painter_metrics.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/machine.hpp"

namespace cosmograd::apps {
namespace {

/// One column of the table: a way of painting a held-out box.
struct Painter {
  std::string name;                                           ///< column title
  std::string about;                                          ///< one line for the text
  std::function<sim::Field<double>(const TargetBox&)> paint;  ///< the painted field
  nn::BaryonPainter stochastic{nullptr};                      ///< set for the sampler
};

/// The painters of one model file (LDL: one; the U-Net painter: its mean and one sample).
std::vector<Painter> painters_of(const std::string& path, int threads) {
  const nn::ModelHeader h = nn::read_model_header(path);
  const std::string type = h.get("model");
  if (type == "ldl") {
    const nn::LdlFile ldl = nn::load_ldl(path);
    std::ostringstream about;
    about << "LDL: " << ldl.model.num_parameters() << " parameters (" << ldl.model.layers.size()
          << " displacement layers" << (ldl.model.output ? " + output layer" : "")
          << "), fitted with L-BFGS in " << format_g(h.get_double("train_seconds")) << " s";
    const sim::LdlModel model = ldl.model;
    return {Painter{"LDL", about.str(),
                    [model, threads](const TargetBox& b) {
                      return sim::ldl_paint(model, b.particles, threads);
                    },
                    nullptr}};
  }
  if (type == "baryon_painter") {
    nn::LoadedModel m = nn::load_model(path);
    nn::BaryonPainter net(std::dynamic_pointer_cast<nn::BaryonPainterImpl>(m.module));
    std::ostringstream about;
    about << "U-Net painter: " << h.get_int("parameters") << " parameters, "
          << h.get_int("components") << " Gaussians per voxel, trained " << h.get_int("train_steps")
          << " steps in " << format_g(h.get_double("train_seconds")) << " s";
    const auto mean = [net](const TargetBox& b) mutable {
      torch::NoGradGuard no_grad;
      return nn::tensor_to_field(net->mean_field(nn::field_to_tensor(b.dmo).unsqueeze(0))[0]);
    };
    const auto sample = [net](const TargetBox& b) mutable {
      torch::NoGradGuard no_grad;
      torch::manual_seed(12345);
      return nn::tensor_to_field(
          net->sample_fields(nn::field_to_tensor(b.dmo).unsqueeze(0), 1)[0][0]);
    };
    return {Painter{"U-Net mean", about.str(), mean, nullptr},
            Painter{"stochastic (1 sample)",
                    "stochastic painter: one painting drawn voxel by voxel", sample, net}};
  }
  throw std::runtime_error(path + ": model = " + type +
                           " is not a baryon painter (ldl or baryon_painter)");
}

/// Spectra summed over boxes (bins shared).
void accumulate(sim::PaintSpectra& sum, const sim::PaintSpectra& s) {
  if (sum.k.empty()) {
    sum = s;
    return;
  }
  for (std::size_t i = 0; i < sum.k.size(); ++i) {
    sum.painted[i] += s.painted[i];
    sum.target[i] += s.target[i];
    sum.cross[i] += s.cross[i];
  }
}

/// Largest |x_i - 1| over the bins with k <= k_lim.
double worst_deviation(const std::vector<double>& k, const std::vector<double>& x, double k_lim) {
  double worst = 0;
  for (std::size_t i = 0; i < k.size() && k[i] <= k_lim; ++i) {
    worst = std::max(worst, std::abs(x[i] - 1));
  }
  return worst;
}

/// Smallest x_i over the bins with k <= k_lim.
double lowest(const std::vector<double>& k, const std::vector<double>& x, double k_lim) {
  double low = 1e300;
  for (std::size_t i = 0; i < k.size() && k[i] <= k_lim; ++i) low = std::min(low, x[i]);
  return low;
}

/// The stochastic painter's scatter at fixed dark matter against the target's: in bins of the
/// dark-matter density, the rms over voxels of the std of 8 paintings of each voxel, and the
/// target's rms deviation from the painter's mean (both over the held-out boxes).
std::string scatter_table(nn::BaryonPainter& net, const std::vector<TargetBox>& test) {
  torch::NoGradGuard no_grad;
  const int samples = 8;
  std::vector<double> edges;
  for (double e = -2.0; e <= 4.01; e += 0.5) edges.push_back(e);  // ln(1 + delta)
  const std::size_t nb = edges.size() - 1;
  std::vector<double> var_paint(nb, 0.0), var_target(nb, 0.0), count(nb, 0.0);
  torch::manual_seed(777);
  for (const TargetBox& b : test) {
    const torch::Tensor rho = nn::field_to_tensor(b.dmo).unsqueeze(0);
    const torch::Tensor draws = net->sample_fields(rho, samples).select(1, 0).to(torch::kFloat64);
    const torch::Tensor var = draws.var(0);  // per voxel, over the paintings
    const torch::Tensor mean = net->mean_field(rho)[0].to(torch::kFloat64);
    const torch::Tensor target = nn::field_to_tensor(b.target).to(torch::kFloat64);
    const torch::Tensor lr = (rho[0].to(torch::kFloat64) + 1e-3).log().flatten();
    const torch::Tensor v = var.flatten(), r2 = (target - mean).pow(2).flatten();
    const double* pl = lr.data_ptr<double>();
    const double* pv = v.data_ptr<double>();
    const double* pr = r2.data_ptr<double>();
    for (int64_t i = 0; i < lr.numel(); ++i) {
      if (pl[i] < edges.front() || pl[i] >= edges.back()) continue;
      const std::size_t k = std::upper_bound(edges.begin(), edges.end(), pl[i]) - edges.begin() - 1;
      var_paint[k] += pv[i], var_target[k] += pr[i], count[k] += 1;
    }
  }
  std::ostringstream t;
  t << "| ln(1 + delta_dm) | voxels | target scatter about the mean | painter scatter (8 "
       "paintings) | ratio |\n|---|---|---|---|---|\n";
  char line[200];
  for (std::size_t k = 0; k < nb; ++k) {
    if (count[k] < 50) continue;
    const double st = std::sqrt(var_target[k] / count[k]), sp = std::sqrt(var_paint[k] / count[k]);
    std::snprintf(line, sizeof line, "| %.1f to %.1f | %.0f | %.4g | %.4g | %.3f |\n", edges[k],
                  edges[k + 1], count[k], st, sp, st > 0 ? sp / st : 0.0);
    t << line;
  }
  return t.str();
}

}  // namespace

int paint_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"models", "", "", "comma-separated painter model files (ldl or baryon_painter)"},
      {"train", "", "", "target directories the models were fitted on (for the baseline)"},
      {"test", "", "", "held-out target directories"},
      {"mesh", "per side", "64", "mesh of the target directories"},
      {"report", "", "", "markdown file for the table (empty: print only)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint evaluate",
      "usage: cosmograd paint evaluate --models A,B --train DIR,... --test DIR,... [--report FILE]",
      keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const int mesh = count_setting(s, "mesh", 4);
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const std::vector<std::string> models = sim::split_list(s.get_string("models"));
  if (models.empty()) sim::bad_setting("models", s.get_string("models"), "names no model file");
  // The painters of each target, in the order the models were given.
  std::map<std::string, std::vector<Painter>> by_target;
  std::vector<std::string> targets;
  for (const std::string& path : models) {
    const std::string target = nn::read_model_header(path).get("target");
    sim::parse_baryon_target(target, path + ": target");
    if (!by_target.count(target)) targets.push_back(target);
    for (Painter& p : painters_of(path, threads)) by_target[target].push_back(std::move(p));
  }
  std::ostringstream table;
  for (const std::string& target : targets) {
    std::vector<Painter> painters = std::move(by_target[target]);
    const sim::BaryonTarget t = sim::parse_baryon_target(target);
    const bool matter = t == sim::BaryonTarget::matter;
    const std::vector<TargetBox> train =
        read_target_boxes("train", s.get_string("train"), target, mesh);
    const std::vector<TargetBox> test =
        read_target_boxes("test", s.get_string("test"), target, mesh);
    std::vector<const sim::Field<double>*> train_dm, train_target;
    for (const TargetBox& b : train) train_dm.push_back(&b.dmo), train_target.push_back(&b.target);
    const sim::MeanRelation relation(train_dm, train_target);
    painters.push_back(
        Painter{"baseline",
                "baseline: the mean of the target in " + std::to_string(relation.centres().size()) +
                    " bins of the dark-matter density, measured on the same "
                    "training boxes",
                [&relation](const TargetBox& b) { return relation.apply(b.dmo); }, nullptr});
    std::vector<sim::PaintSpectra> sums(painters.size());
    std::vector<double> seconds(painters.size(), 0.0);
    sim::PaintSpectra dmo;  // P_dmo (painted slot) for S(k)
    for (const TargetBox& b : test) {
      for (std::size_t j = 0; j < painters.size(); ++j) {
        const auto t0 = std::chrono::steady_clock::now();
        const sim::Field<double> f = painters[j].paint(b);
        seconds[j] += seconds_since(t0);
        accumulate(sums[j], sim::paint_spectra(f, b.target, b.box, 0, threads));
      }
      if (matter) accumulate(dmo, sim::paint_spectra(b.dmo, b.target, b.box, 0, threads));
    }
    const double k_nyq = M_PI * mesh / test.front().box, k_half = 0.5 * k_nyq;
    table << "### " << target << " (" << sim::baryon_target_unit(t) << ")\n\n"
          << train.size() << " training boxes, " << test.size() << " held-out boxes, " << mesh
          << "^3 mesh, k_Nyq = " << format_g(k_nyq) << " h/Mpc.\n\n";
    for (std::size_t j = 0; j < painters.size(); ++j) {
      table << "- " << painters[j].about << "; paints a box in "
            << format_g(seconds[j] / test.size()) << " s.\n";
    }
    table << "\n| k [h/Mpc] |";
    for (const Painter& p : painters) table << " " << p.name << " P/P_target | r |";
    if (matter) {
      table << " S_target |";
      for (const Painter& p : painters) table << " S " << p.name << " |";
    }
    table << "\n|---|";
    for (std::size_t j = 0; j < painters.size(); ++j) table << "---|---|";
    if (matter) {
      for (std::size_t j = 0; j <= painters.size(); ++j) table << "---|";
    }
    table << "\n";
    const std::vector<double>& k = sums.front().k;
    std::vector<std::vector<double>> ratio, corr;
    for (const sim::PaintSpectra& sp : sums)
      ratio.push_back(sp.ratio()), corr.push_back(sp.correlation());
    char cell[64];
    for (std::size_t i = 0; i < k.size(); ++i) {
      // About 14 rows: the first bins, then every few up to the Nyquist frequency.
      if (i > 3 && (i + 1) % std::max<std::size_t>(1, k.size() / 10) != 0 && i + 1 != k.size()) {
        continue;
      }
      std::snprintf(cell, sizeof cell, "| %.3f |", k[i]);
      table << cell;
      for (std::size_t j = 0; j < sums.size(); ++j) {
        std::snprintf(cell, sizeof cell, " %.4f | %.4f |", ratio[j][i], corr[j][i]);
        table << cell;
      }
      if (matter) {
        const double p_dmo = dmo.painted[i];
        std::snprintf(cell, sizeof cell, " %.4f |", sums.front().target[i] / p_dmo);
        table << cell;
        for (const sim::PaintSpectra& sp : sums) {
          std::snprintf(cell, sizeof cell, " %.4f |", sp.painted[i] / p_dmo);
          table << cell;
        }
      }
      table << "\n";
    }
    table << "\nFor k <= 0.5 k_Nyq = " << format_g(k_half) << " h/Mpc:\n\n";
    for (std::size_t j = 0; j < painters.size(); ++j) {
      const sim::PaintSpectra& sp = sums[j];
      table << "- " << painters[j].name << ": P within "
            << format_g(100 * worst_deviation(sp.k, sp.ratio(), k_half)) << "% of the target's"
            << (matter ? " (so S(k) = P/P_dmo within the same of S_target)" : "")
            << ", r >= " << format_g(lowest(sp.k, sp.correlation(), k_half)) << ".\n";
    }
    table << "\n";
    for (Painter& p : painters) {
      if (!p.stochastic) continue;
      table << "Stochastic painter at fixed dark matter (held-out boxes):\n\n"
            << scatter_table(p.stochastic, test) << "\n";
    }
  }
  const std::string header =
      "# Baryon painters on held-out boxes\n\n"
      "The targets are SYNTHETIC: analytic models painted around the FoF halos of the "
      "project's own dark-matter-only runs (`cosmograd paint targets`: baryonic correction "
      "model, Arnaud et al. 2010 pressure, Villaescusa-Navarro et al. 2018 HI), not a "
      "hydrodynamical simulation. Spectra are summed over the held-out boxes, fields "
      "mean-subtracted, no window correction (painted field and target share the mesh).\n\n"
      "Command: `" +
      paint_command_line("evaluate", args) + "`\n\nMachine: " + sim::cpu_model() + ", " +
      std::to_string(threads) +
      " threads; LDL in double precision (FFTW), the U-Net painter in LibTorch float32.\n\n";
  print_and_report(s.get_string("report"), header, table.str());
  return 0;
}

}  // namespace cosmograd::apps
