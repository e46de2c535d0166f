#include "driver/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "sim/core/log.hpp"

namespace cosmograd::driver {

using namespace cosmograd::sim;  // the driver is built on the engine

std::string progress_line(const StepInfo& info, int width) {
  const double frac = info.steps > 0 ? static_cast<double>(info.step) / info.steps : 1.0;
  const int filled = static_cast<int>(frac * width + 0.5);
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, ' ') + "]";
  const double per_step = info.step > 0 ? info.total_seconds / info.step : 0.0;
  const double eta = per_step * (info.steps - info.step);
  char buf[160];
  std::snprintf(buf, sizeof buf, " step %d/%d  a = %.4f  %.2f s/step  ETA %.1f s", info.step,
                info.steps, info.a, per_step, eta);
  return bar + buf;
}

template <class T>
ProgressObserver<T>::ProgressObserver() : tty_(isatty(STDERR_FILENO) != 0 && log_rank() == 0) {}

template <class T>
void ProgressObserver<T>::on_state(const StepInfo& info, const Particles<T>&) {
  if (tty_ && log_level() <= LogLevel::info) {
    std::cerr << "\r" << progress_line(info) << (info.step == info.steps ? "\n" : "") << std::flush;
  } else {
    log_info(progress_line(info));
  }
}

template class ProgressObserver<float>;
template class ProgressObserver<double>;

}  // namespace cosmograd::driver
