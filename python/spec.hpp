// A simulation spec as Python sees it: the engine's SimSpec and the settings it came from.
#pragma once

#include <pybind11/pybind11.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/settings.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::python {

/// The validated SimSpec of `cosmograd run`'s simulation keys, built exactly as the command
/// line builds it (same parser, same checks, same messages), and the resolved key = value
/// settings (defaults < INI file < keyword arguments).
struct Spec {
  sim::SimSpec sim;                             ///< what the engine runs
  std::map<std::string, std::string> settings;  ///< every key's resolved value
};

/// The settings of `cosmograd run` restricted to `keys`, resolved as the command line resolves
/// them: defaults < the INI file `ini` < `overrides` (key -> Python value: bools as
/// true/false, sequences comma-separated). Throws std::invalid_argument naming an unknown key
/// or a bad value. The engine's log level changes only when `overrides` names log_level.
sim::Settings resolve_settings(const std::vector<sim::KeySpec>& keys,
                               const std::optional<std::string>& ini,
                               const pybind11::dict& overrides);

}  // namespace cosmograd::python
