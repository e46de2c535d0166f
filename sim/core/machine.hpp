// What machine a measurement ran on (benchmarks and reports record it).
#pragma once

#include <string>

namespace cosmograd::sim {

/// The CPU's model name from /proc/cpuinfo, with its family and model numbers when known.
std::string cpu_model();
/// The 1, 5 and 15 minute load averages from /proc/loadavg ("unknown" if unreadable).
std::string load_average();
/// "CPU, N cores, YYYY-MM-DD HH:MM UTC, load average a b c" for a report header.
std::string machine_summary();

}  // namespace cosmograd::sim
