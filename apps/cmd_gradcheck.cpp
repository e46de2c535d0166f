#include <cstdio>
#include <iostream>
#include <map>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/config.hpp"
#include "sim/core/log.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/pm/gradcheck.hpp"
#include "sim/sky/lightcone_gradcheck.hpp"

namespace cosmograd::apps {
namespace {

/// sim_keys() with small-simulation defaults, plus the check's own keys.
std::vector<sim::KeySpec> gradcheck_keys() {
  const std::map<std::string, std::string> small = {
      {"particles", "8"},
      {"mesh", "16"},
      {"box_size", "32"},
      {"steps", "5"},
      {"precision", "double"},
      {"threads", "1"},
      {"fft_planning", "estimate"},
      // TSC: its weights have continuous first derivatives, so central differences converge
      // to the gradient; CIC's kinks at cell boundaries make them unsound (see the note below).
      {"painter", "tsc"}};
  std::vector<sim::KeySpec> keys;
  for (sim::KeySpec k : driver::sim_keys()) {
    if (const auto it = small.find(k.name); it != small.end()) k.default_value = it->second;
    keys.push_back(k);
  }
  keys.push_back(
      {"objective", "", "final_state",
       "final_state (J = a . x + b . p of the final particles, a, b random) or "
       "lightcone (J = sum (kappa - kappa_0)^2 / 2 on a flat-sky Born convergence map)"});
  keys.push_back({"lightcone_z_max", "", "0.25", "lightcone objective: outer edge (redshift)"});
  keys.push_back({"lightcone_shell_width", "Mpc/h", "50", "lightcone objective: shell width"});
  keys.push_back({"lightcone_field_deg", "deg", "15", "lightcone objective: flat field side"});
  keys.push_back({"lightcone_field_pixels", "per side", "12", "lightcone objective: map pixels"});
  keys.push_back({"source_z", "", "0.35", "lightcone objective: source-plane redshift"});
  keys.push_back({"gradient_mode", "", "adjoint", "adjoint (reverse time) or checkpoint"});
  keys.push_back({"directions", "", "3", "random white-noise directions"});
  keys.push_back({"eps_noise", "", "0",
                  "finite-difference step along a noise direction (0: 1e-5, and 1e-6 for the "
                  "lightcone objective, whose cloud-in-cell map deposit has kinks)"});
  keys.push_back({"eps_param", "", "1e-6", "relative finite-difference step of a parameter"});
  keys.push_back(
      {"tolerance", "", "0", "largest allowed relative error (0: 1e-6 double, 1e-3 float)"});
  return keys;
}

}  // namespace

int cmd_gradcheck(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_command(
      "gradcheck",
      "usage: cosmograd gradcheck [config.ini] [--key value ...]\n"
      "  compares the adjoint gradient of a small simulation with central finite differences\n"
      "  (white noise along random directions, each cosmological parameter); exits 1 on failure",
      gradcheck_keys(), args);
  if (parsed.help) return 0;
  // One serial check: under mpirun only rank 0 runs it (the others would repeat it).
  if (sim::Comm::world().rank() != 0) return 0;
  const sim::Settings& s = parsed.settings;
  const sim::SimSpec c = driver::sim_spec_from(s);
  const sim::GradientMode mode = sim::parse_gradient_mode(s.get_string("gradient_mode"));
  const long long directions = s.get_int("directions");
  if (directions < 1 || directions > 100)
    sim::bad_setting("directions", s.get_string("directions"),
                     "is out of range (allowed: 1 to 100)");
  double eps_noise = s.get_double("eps_noise");
  const double eps_param = s.get_double("eps_param");
  if (eps_noise == 0) eps_noise = s.get_string("objective") == "lightcone" ? 1e-6 : 1e-5;
  if (!(eps_noise > 0) || !(eps_param > 0))
    sim::bad_setting("eps_noise/eps_param",
                     s.get_string("eps_noise") + "/" + s.get_string("eps_param"),
                     "are not both > 0");
  double tolerance = s.get_double("tolerance");
  if (tolerance <= 0) tolerance = c.double_precision ? 1e-6 : 1e-3;
  const std::string& objective = s.get_string("objective");
  if (objective != "final_state" && objective != "lightcone") {
    sim::bad_setting("objective", objective,
                     "is not an objective (allowed: final_state, lightcone)");
  }
  const int dirs = static_cast<int>(directions);
  sim::GradcheckReport r;
  if (objective == "lightcone") {
    // The observer at the box centre; unshuffled replicas, so that J is smooth in the state.
    sim::LightconeSpec lc;
    lc.observer.fill(0.5 * c.box_size);
    const double z_max = s.get_double("lightcone_z_max");
    if (!(z_max > 0 && z_max < 1 / c.time_grid().front() - 1)) {
      sim::bad_setting("lightcone_z_max", s.get_string("lightcone_z_max"),
                       "is out of range (allowed: 0 < z_max < the initial redshift)");
    }
    lc.shell_edges = sim::uniform_shell_edges(sim::Cosmology(c.cosmology).chi(1 / (1 + z_max)),
                                              s.get_double("lightcone_shell_width"));
    lc.flat_field_deg = s.get_double("lightcone_field_deg");
    lc.flat_pixels = static_cast<int>(s.get_int("lightcone_field_pixels"));
    lc.shuffle = false;
    const std::vector<sim::SourceDistribution> src =
        sim::parse_sources(s.get_string("source_z"), "");
    if (src.size() != 1) {
      sim::bad_setting("source_z", s.get_string("source_z"), "is not one redshift (allowed: one)");
    }
    r = c.double_precision
            ? sim::lightcone_gradient_check<double>(c, lc, src[0], mode, dirs, eps_noise, eps_param)
            : sim::lightcone_gradient_check<float>(c, lc, src[0], mode, dirs, eps_noise, eps_param);
  } else {
    r = c.double_precision ? sim::gradient_check<double>(c, mode, dirs, eps_noise, eps_param)
                           : sim::gradient_check<float>(c, mode, dirs, eps_noise, eps_param);
  }
  std::printf("gradcheck: %d^3 particles, %d^3 mesh, %d steps, %s, %s, objective %s\n", c.particles,
              c.mesh, static_cast<int>(c.time_grid().size()) - 1,
              c.double_precision ? "double" : "float", s.get_string("gradient_mode").c_str(),
              objective.c_str());
  std::printf("%-10s %16s %16s %12s\n", "quantity", "finite diff.", "adjoint", "rel. error");
  std::printf("%-10s %16s %16s %12.3e\n", "noise", "-", "-", r.noise_error);
  for (int i = 0; i < sim::kNumCosmoParams; ++i) {
    std::printf("%-10s %16.8e %16.8e %12.3e\n",
                sim::cosmo_param_name(static_cast<sim::CosmoParam>(i)), r.fd[i], r.adjoint[i],
                r.param_error[i]);
  }
  const bool ok = r.worst() <= tolerance;
  std::printf("%s: worst relative error %.3e (tolerance %.1e)\n", ok ? "PASS" : "FAIL", r.worst(),
              tolerance);
  if (!ok && c.painter == sim::PaintKernel::cic) {
    // CIC's force is only piecewise smooth in the positions: a finite difference whose step
    // moves a particle across a mesh-cell boundary measures the kink, not the gradient.
    std::printf(
        "note: with painter = cic the force has kinks at cell boundaries, and central differences "
        "with eps_noise = %g can straddle them (more likely with few particles per cell); rerun "
        "with --painter tsc (smooth) or a smaller --eps_noise (e.g. 1e-6) to tell a real error "
        "from a kink\n",
        eps_noise);
  }
  return ok ? 0 : 1;
}

}  // namespace cosmograd::apps
