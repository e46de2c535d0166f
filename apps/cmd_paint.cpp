// `cosmograd paint`: baryon painting (issue 18). `paint targets` builds the synthetic training
// targets of a dark-matter-only snapshot, `paint hydro` grids a hydrodynamical snapshot into
// the same kind of fields, `paint fit` fits an LDL painter, `paint train` trains the U-Net
// painter, `paint evaluate` writes the held-out table, and `paint --model FILE SNAPSHOT` paints
// a snapshot.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "apps/commands.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/paint_common.hpp"
#include "nn/baryon_painter.hpp"
#include "nn/ldl_file.hpp"
#include "nn/train/model_types.hpp"
#include "sim/baryons/baryon_targets.hpp"
#include "sim/baryons/hydro_fields.hpp"
#include "sim/baryons/painter_metrics.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/hydro_snapshot.hpp"
#include "sim/measure/power_spectrum.hpp"

namespace cosmograd::apps {
namespace {

int paint_targets(const std::vector<std::string>& args) {
  const sim::BcmParams bcm;
  const sim::GasPressureOptions gnfw;
  const std::vector<sim::KeySpec> keys = {
      {"out", "", "baryon-targets", "directory of the target fields (created)"},
      {"mesh", "per side", "64", "cells per side of every field"},
      {"log10_mc", "log10 Msun/h", format_g(bcm.log10_mc),
       "BCM: halo mass at which half the gas is bound (Schneider & Teyssier 2015)"},
      {"beta", "", format_g(bcm.beta), "BCM: slope of the bound gas fraction with mass"},
      {"eta", "", format_g(bcm.eta), "BCM: ejection radius in units of 0.75 r_esc"},
      {"bcm_min_mass", "Msun/h", format_g(bcm.min_mass), "BCM: smallest M200c baryonified"},
      {"pressure_min_mass", "Msun/h", format_g(gnfw.min_m200c),
       "GNFW pressure: smallest M200c painted (Arnaud et al. 2010)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint targets", "usage: cosmograd paint targets SNAPSHOT [--out DIR] [--key value ...]",
      keys, args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument("cosmograd paint targets: give one dark-matter-only SNAPSHOT");
  }
  const sim::Settings& s = parsed.settings;
  sim::BaryonTargetOptions o;
  o.mesh = count_setting(s, "mesh", 4);
  o.bcm.log10_mc = s.get_double("log10_mc");
  o.bcm.beta = s.get_double("beta");
  o.bcm.eta = s.get_double("eta");
  o.bcm.min_mass = s.get_double("bcm_min_mass");
  o.pressure.min_m200c = s.get_double("pressure_min_mass");
  o.threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string snapshot = parsed.positional[0];
  const DmoRun run = read_dmo_run(snapshot);
  const sim::BaryonTargetSet t =
      sim::make_baryon_targets(run.particles, run.header, run.cosmology, o);
  const std::string dir = s.get_string("out");
  sim::write_baryon_targets(dir, t, o, run.header, snapshot);
  write_source_record(dir, snapshot, o.mesh);
  std::printf(
      "cosmograd paint targets: %zu halos, %zu baryonified (%zu particles moved, at most %.3g "
      "Mpc/h; gas %.1f%% of their mass); 4 fields of %d^3 in %s/ (%.1f s)\n",
      t.halos.size(), t.bcm.halos, t.bcm.moved, t.bcm.max_disp, 100 * t.bcm.gas_fraction, o.mesh,
      dir.c_str(), seconds_since(t0));
  return 0;
}

int paint_hydro(const std::vector<std::string>& args) {
  std::string names;
  for (const sim::HydroQuantity q : sim::kHydroQuantities) {
    names += std::string(names.empty() ? "" : ",") + sim::hydro_quantity_name(q);
  }
  const std::vector<sim::KeySpec> keys = {
      {"out", "", "hydro-fields", "directory of the fields (created), one <field>.h5 each"},
      {"mesh", "per side", "64", "cells per side"},
      {"fields", "", "gas_density,electron_pressure",
       "comma-separated, from: " + names + " (each needs its datasets in the file)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint hydro", "usage: cosmograd paint hydro SNAPSHOT [--out DIR] [--fields a,b] [--mesh N]",
      keys, args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument(
        "cosmograd paint hydro: give one hydrodynamical SNAPSHOT (Gadget, AREPO or CAMELS HDF5)");
  }
  const sim::Settings& s = parsed.settings;
  const int mesh = count_setting(s, "mesh", 4);
  sim::use_threads(static_cast<int>(s.get_int("threads")));
  sim::HydroQuantity which = sim::HydroQuantity::none;
  for (const std::string& name : sim::split_list(s.get_string("fields"))) {
    which = which | sim::parse_hydro_quantity(name, "fields");
  }
  if (which == sim::HydroQuantity::none) sim::bad_setting("fields", "", "names no field");
  const std::string snapshot = parsed.positional[0];
  const sim::HydroSnapshot snap = sim::read_hydro_snapshot(snapshot, which);
  const std::string dir = s.get_string("out");
  std::filesystem::create_directories(dir);
  for (const sim::HydroMesh& m : sim::paint_hydro_fields(snap, which, mesh)) {
    const std::string name = sim::hydro_quantity_name(m.quantity);
    sim::FieldAttributes attrs;
    attrs.strings = {{"unit", sim::hydro_quantity_unit(m.quantity)}, {"source", snapshot}};
    sim::write_field(dir + "/" + name + ".h5", m.field, snap.header.box_size, snap.header.a, name,
                     attrs);
  }
  std::printf("cosmograd paint hydro: %zu gas and %zu star particles gridded on %d^3 into %s/\n",
              snap.num_gas(), snap.num_stars(), mesh, dir.c_str());
  return 0;
}

int paint_apply(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"model", "", "", "painter model file (cosmograd paint fit)"},
      {"out", "", "painted",
       "directory for <target>.h5, <target>_power.txt and, for the U-Net painter, "
       "<target>_sample.h5 (created)"},
      {"mesh", "per side", "64",
       "U-Net painter: mesh of the dark-matter density (the training targets' cell size)"},
      {"seed", "", "0", "U-Net painter: seed of the stochastic painting"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint", "usage: cosmograd paint --model FILE SNAPSHOT [--out DIR]", keys, args, 1);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  if (parsed.positional.size() != 1 || s.get_string("model").empty()) {
    throw std::invalid_argument(
        "cosmograd paint: give --model FILE and one dark-matter-only SNAPSHOT (or an action: "
        "targets, hydro, fit, evaluate)");
  }
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const std::string model_path = s.get_string("model");
  const nn::ModelHeader header = nn::read_model_header(model_path);
  const std::string target = header.get("target");
  const char* unit = sim::baryon_target_unit(sim::parse_baryon_target(target, model_path));
  const std::string snapshot = parsed.positional[0];
  const DmoRun run = read_dmo_run(snapshot);
  const std::string dir = s.get_string("out");
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const sim::Field<double>& f,
                         const std::string& what) {
    sim::FieldAttributes attrs;
    attrs.strings = {
        {"model", model_path}, {"source", snapshot}, {"unit", unit}, {"painting", what}};
    sim::write_field(dir + "/" + name + ".h5", f, run.header.box_size, run.header.a, name, attrs);
  };
  const auto t0 = std::chrono::steady_clock::now();
  sim::Field<double> painted{sim::Decomposition(2)};
  if (header.get("model") == "baryon_painter") {
    // The U-Net painter: its mean on the dark-matter density, and one stochastic painting.
    nn::LoadedModel m = nn::load_model(model_path);
    nn::BaryonPainter net(std::dynamic_pointer_cast<nn::BaryonPainterImpl>(m.module));
    const int mesh = count_setting(s, "mesh", 4);
    const sim::Field<double> rho = sim::ldl_density(run.particles, mesh);
    torch::NoGradGuard no_grad;
    const torch::Tensor x = nn::field_to_tensor(rho).unsqueeze(0);
    painted = nn::tensor_to_field(net->mean_field(x)[0]);
    torch::manual_seed(static_cast<uint64_t>(count_setting(s, "seed", 0)));
    write(target + "_sample", nn::tensor_to_field(net->sample_fields(x, 1)[0][0]),
          "one stochastic painting (seed " + s.get_string("seed") + ")");
  } else {
    const nn::LdlFile ldl = nn::load_ldl(model_path);
    // The density's exponents were fitted at one cell size: refuse another.
    if (header.has("train_box_size")) {
      const double trained = header.get_double("train_box_size");
      if (std::abs(run.header.box_size / trained - 1) > 1e-3) {
        throw std::invalid_argument(
            snapshot + ": box_size = " + format_g(run.header.box_size) + " Mpc/h, but " +
            model_path + " was fitted on " + format_g(trained) + " Mpc/h boxes with a " +
            std::to_string(ldl.model.mesh) + "^3 mesh (its cell size " +
            format_g(trained / ldl.model.mesh) + " Mpc/h is part of the model)");
      }
    }
    painted = sim::ldl_paint(ldl.model, run.particles, threads);
  }
  const double seconds = seconds_since(t0);
  write(target, painted, "the painter's prediction (LDL; the U-Net painter's mean)");
  const sim::PaintSpectra sp =
      sim::paint_spectra(painted, painted, run.header.box_size, 0, threads);
  sim::PowerSpectrum ps;
  ps.k = sp.k;
  ps.power = sp.painted;
  ps.modes = sp.modes;
  ps.box_size = run.header.box_size;
  sim::write_power_text(dir + "/" + target + "_power.txt", ps,
                        "P(k) of the mean-subtracted painted " + target + " (" + unit +
                            ")^2 (Mpc/h)^3, no window correction");
  std::printf("cosmograd paint: %s painted on %d^3 in %.2f s into %s/\n", target.c_str(),
              painted.n(), seconds, dir.c_str());
  return 0;
}

}  // namespace

int cmd_paint(const std::vector<std::string>& args) {
  const std::string action = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (action == "targets") return paint_targets(rest);
  if (action == "hydro") return paint_hydro(rest);
  if (action == "fit") return paint_fit(rest);
  if (action == "train") return paint_train(rest);
  if (action == "evaluate") return paint_evaluate(rest);
  return paint_apply(args);
}

}  // namespace cosmograd::apps
