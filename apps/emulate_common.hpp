// Helpers shared by the `cosmograd emulate` actions (emulator and super-resolution): timing,
// integer keys, the training record in the model header, and the report's header.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "driver/config.hpp"
#include "driver/output_dir.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/settings.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::apps {

/// Seconds since t0 [s].
double seconds_since(std::chrono::steady_clock::time_point t0);
/// A double in %g form (as a user would type it).
std::string format_g(double v);
/// Integer key `key` in [lo, 1000000]; else sim::bad_setting naming it.
int count_setting(const sim::Settings& s, const std::string& key, long long lo = 1);
/// "cosmograd emulate <action> <args...>" as typed.
std::string command_line(const std::string& action, const std::vector<std::string>& args);

/// What a finished training run records: train_data, train_steps, train_seconds, train_loss
/// (mean of the last <= 50 step losses), parameters. Also prints the summary line
/// "cosmograd <action>: ..." naming `out` (action e.g. "emulate train").
nn::ModelHeader training_record(const std::string& action, const std::string& data,
                                const std::vector<double>& losses, double seconds,
                                int64_t parameters, const std::string& out);

/// "Machine: <cpu>, <cores> cores, <threads> threads; LibTorch (CPU), float32." and a blank line.
std::string machine_line(int threads);

/// Writes `run`'s outputs of particles `p` at scale factor a (snapshot, density and P(k) on
/// config.sim.mesh, pictures) into config.out.output_dir, then the manifest listing them and
/// config.ini; returns the number of files.
std::size_t write_emulated_outputs(const driver::RunConfig& config, const sim::LinearPower& linear,
                                   const sim::Particles<float>& p, double a, int threads,
                                   const driver::OutputDir& out_dir);

/// Prints `table` and, when `report` is not empty, writes `header` + `table` there atomically.
void print_and_report(const std::string& report, const std::string& header,
                      const std::string& table);

}  // namespace cosmograd::apps
