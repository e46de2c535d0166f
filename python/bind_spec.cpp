// SimSpec and `run` from keyword arguments or an INI file, through the command line's own
// parser (apps/options.hpp) so that Python and `cosmograd run` accept and reject the same
// values with the same messages.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "apps/options.hpp"
#include "driver/config.hpp"
#include "driver/simulation.hpp"
#include "python/bind.hpp"
#include "python/numpy_arrays.hpp"
#include "python/spec.hpp"
#include "sim/core/log.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

/// A keyword argument's value as the text of a setting: bools as true/false, sequences
/// comma-separated, floats as the settings write them (format_setting), anything else as str().
std::string setting_text(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::float_>(v)) return sim::format_setting(v.cast<double>());
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::string out;
    for (const py::handle& item : v) out += (out.empty() ? "" : ",") + setting_text(item);
    return out;
  }
  return py::str(v).cast<std::string>();
}

}  // namespace

sim::Settings resolve_settings(const std::vector<sim::KeySpec>& keys,
                               const std::optional<std::string>& ini, const py::dict& overrides) {
  std::vector<std::string> args;
  if (ini) args.push_back(*ini);
  bool sets_log_level = false;
  for (const auto& [key, value] : overrides) {
    const std::string name = py::str(key).cast<std::string>();
    sets_log_level = sets_log_level || name == "log_level";
    const std::string text = setting_text(value);
    // --key=value keeps a value like -1 from reading as an option; an empty value (Boost
    // refuses "--key=") goes as its own argument.
    if (text.empty()) {
      args.push_back("--" + name);
      args.push_back("");
    } else {
      args.push_back("--" + name + "=" + text);
    }
  }
  const sim::LogLevel level = sim::log_level();
  const apps::ParsedArgs parsed =
      apps::parse_command("run", "cosmograd.SimSpec(ini=None, **keys)", keys, args, 0);
  if (!sets_log_level) sim::set_log_level(level);
  return parsed.settings;
}

namespace {

Spec make_spec(const std::optional<std::string>& ini, const py::kwargs& keys) {
  const sim::Settings s = resolve_settings(driver::sim_keys(), ini, keys);
  return Spec{driver::sim_spec_from(s), s.values()};
}

py::dict run(const std::optional<std::string>& ini, const py::kwargs& keys) {
  const sim::Settings s = resolve_settings(driver::run_keys(), ini, keys);
  const driver::RunConfig config = driver::run_config_from(s);
  driver::RunSummary summary;
  {
    py::gil_scoped_release release;
    summary = driver::run_simulation(config, s.to_ini("cosmograd.run: the resolved configuration"));
  }
  py::dict out;
  out["output_dir"] = config.out.output_dir;
  out["files"] = summary.files;
  out["steps"] = summary.steps;
  out["ic_seconds"] = summary.ic_seconds;
  out["evolve_seconds"] = summary.evolve_seconds;
  out["output_seconds"] = summary.output_seconds;
  out["lightcone_crossings"] = summary.lightcone_crossings;
  out["peak_rss_bytes"] = summary.peak_rss_bytes;
  return out;
}

}  // namespace

void bind_spec(py::module_& m) {
  py::class_<Spec>(m, "SimSpec",
                   "What a simulation is: `cosmograd run`'s simulation keys, validated as the "
                   "command line validates them. SimSpec(ini=None, **keys): defaults, then the "
                   "INI file (keys of other commands in it are skipped), then the keywords; an "
                   "unknown key or a bad value raises ValueError naming it.")
      .def(py::init(&make_spec), py::arg("ini") = py::none())
      .def_property_readonly(
          "settings", [](const Spec& s) { return s.settings; },
          "every key's resolved value (text), as in the run's config.ini")
      .def_property_readonly(
          "box_size", [](const Spec& s) { return s.sim.box_size; }, "box side [Mpc/h]")
      .def_property_readonly(
          "particles", [](const Spec& s) { return s.sim.particles; }, "particles per side")
      .def_property_readonly(
          "mesh", [](const Spec& s) { return s.sim.mesh; }, "force mesh cells per side")
      .def_property_readonly(
          "seed", [](const Spec& s) { return s.sim.seed; }, "white-noise seed")
      .def_property_readonly(
          "a_init", [](const Spec& s) { return s.sim.a_init; },
          "scale factor of the initial conditions")
      .def_property_readonly(
          "a_final", [](const Spec& s) { return s.sim.a_final(); },
          "scale factor of the last output")
      .def_property_readonly(
          "time_grid", [](const Spec& s) { return s.sim.time_grid(); },
          "scale factors of the steps' ends, first = a_init")
      .def_property_readonly(
          "z_out", [](const Spec& s) { return s.sim.z_out; }, "output redshifts")
      .def_property_readonly(
          "double_precision", [](const Spec& s) { return s.sim.double_precision; },
          "float64 particles and meshes")
      .def_property_readonly(
          "cosmology", [](const Spec& s) { return params_to_dict(s.sim.cosmology); },
          "cosmological parameters (as Cosmology's params): the 7 differentiable ones "
          "(Omega_m, Omega_b, h, n_s, sigma8, w0, wa), Omega_k, T_cmb, N_eff, radiation, A_s")
      .def("__repr__", [](const Spec& s) {
        return "SimSpec(particles=" + std::to_string(s.sim.particles) +
               ", mesh=" + std::to_string(s.sim.mesh) +
               ", box_size=" + sim::format_setting(s.sim.box_size) +
               ", steps=" + std::to_string(s.sim.time_grid().size() - 1) +
               ", seed=" + std::to_string(s.sim.seed) + ")";
      });

  m.def("run", &run, py::arg("ini") = py::none(),
        "Runs `cosmograd run` (ini=None, **keys): the simulation and every output it "
        "configures, written into output_dir; returns the files and timings [s].");
  m.def(
      "set_log_level",
      [](const std::string& level) { sim::set_log_level(sim::parse_log_level(level)); },
      py::arg("level"), "The engine's log level: debug, info, warn, error or off.");
}

}  // namespace cosmograd::python
