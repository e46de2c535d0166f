// The scale factors at which the integrator stops.
#pragma once

#include <string>
#include <vector>

namespace cosmograd::sim {

/// How steps are spaced between a_init and a_final.
enum class StepSpacing { linear, log };

/// Parses "linear" or "log"; throws std::invalid_argument naming `field` otherwise.
StepSpacing parse_step_spacing(const std::string& name, const std::string& field = "time_steps");
/// "linear" or "log".
const char* step_spacing_name(StepSpacing s);

/// Scale factors a_0 = a_init < ... < a_final in `steps` equal steps of a or ln a; every
/// entry of `extra` inside (a_init, a_final] (output times) is inserted, so outputs fall
/// on steps. With steps = 0 the grid is {a_init}. Throws std::invalid_argument on bad input.
std::vector<double> make_time_grid(double a_init, double a_final, int steps, StepSpacing spacing,
                                   const std::vector<double>& extra = {});

/// Checks an explicit list of scale factors (strictly increasing, in (0, 2]).
std::vector<double> checked_time_list(const std::vector<double>& a_list);

}  // namespace cosmograd::sim
