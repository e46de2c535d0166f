// A progress bar with ETA that subscribes to the integrator's step events.
#pragma once

#include <string>

#include "sim/stepping.hpp"

namespace cosmograd::sim {

/// One progress line: "[#####     ] step 5/10  a = 0.550  1.23 s/step  ETA 6.2 s".
std::string progress_line(const StepInfo& info, int width = 30);

/// Subscribes a progress display to `events`: redraws one line on a terminal, else logs
/// one line per step at info level.
template <class T>
void attach_progress(Events<T>& events);

}  // namespace cosmograd::sim
