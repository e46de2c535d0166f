// The whole forward simulation of `cosmograd run`: ICs, KDK steps, outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/config.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/pm/gravity.hpp"

namespace cosmograd::driver {

using sim::Comm;
using sim::ForceTimings;
using sim::SimSpec;

/// Timings and results of one run.
struct RunSummary {
  double ic_seconds = 0;                 ///< white noise + LPT [s]
  double planning_seconds = 0;           ///< FFT plans of the force mesh [s]
  double evolve_seconds = 0;             ///< all steps, outputs excluded [s]
  double output_seconds = 0;             ///< writing outputs [s]
  double kick_drift_seconds = 0;         ///< kicks and drifts [s]
  ForceTimings force;                    ///< force phases, summed over steps [s]
  int steps = 0;                         ///< steps taken
  std::size_t peak_rss_bytes = 0;        ///< peak resident memory [bytes]
  double restart_seconds = 0;            ///< writing restart files [s]
  double lightcone_seconds = 0;          ///< finding and depositing lightcone crossings [s]
  std::int64_t lightcone_crossings = 0;  ///< crossings deposited (all ranks)
  std::vector<std::string> files;        ///< outputs written
};

/// Runs the simulation of `c` and writes its outputs (and the resolved `settings_ini`
/// as config.ini) into c.out.output_dir, distributed over `comm` (collective; summary timings
/// are this rank's).
RunSummary run_simulation(const RunConfig& c, const std::string& settings_ini,
                          const Comm& comm = Comm::self());

}  // namespace cosmograd::driver
