// A progress bar with ETA that observes the stepping (sim/pm/step_observer.hpp).
#pragma once

#include <string>

#include "sim/pm/step_observer.hpp"

namespace cosmograd::driver {

using sim::Particles;
using sim::StepInfo;
using sim::StepObserver;

/// One progress line: "[#####     ] step 5/10  a = 0.550  1.23 s/step  ETA 6.2 s".
std::string progress_line(const StepInfo& info, int width = 30);

/// Redraws one progress line on a terminal, else logs one line per step at info level.
template <class T>
class ProgressObserver final : public StepObserver<T> {
 public:
  ProgressObserver();
  bool wants_state(int step) const override { return step > 0; }
  bool reads_particles() const override { return false; }
  void on_state(const StepInfo& info, const Particles<T>& p) override;

 private:
  bool tty_;
};

}  // namespace cosmograd::driver
