// Helpers shared by the `cosmograd emulate` actions.
#include "apps/emulate_common.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <thread>

#include "driver/outputs.hpp"
#include "sim/core/machine.hpp"
#include "sim/pm/gravity.hpp"

namespace cosmograd::apps {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

int count_setting(const sim::Settings& s, const std::string& key, long long lo) {
  const long long v = s.get_int(key);
  if (v < lo || v > 1000000) {
    sim::bad_setting(key, s.get_string(key),
                     "is not allowed (" + std::to_string(lo) + " to 1000000)");
  }
  return static_cast<int>(v);
}

std::string command_line(const std::string& action, const std::vector<std::string>& args) {
  std::string line = "cosmograd emulate " + action;
  for (const std::string& a : args) line += " " + a;
  return line;
}

nn::ModelHeader training_record(const std::string& action, const std::string& data,
                                const std::vector<double>& losses, double seconds,
                                int64_t parameters, const std::string& out) {
  double tail = 0;
  const size_t last = std::min<size_t>(50, losses.size());
  for (size_t i = losses.size() - last; i < losses.size(); ++i) tail += losses[i] / last;
  nn::ModelHeader h;
  h.set("train_data", data);
  h.set("train_steps", static_cast<int64_t>(losses.size()));
  h.set("train_seconds", seconds);
  h.set("train_loss", tail);
  h.set("parameters", parameters);
  std::printf(
      "cosmograd %s: %lld parameters, %zu steps in %.1f s, loss %.4g -> %.4g (mean of "
      "the last %zu); wrote %s\n",
      action.c_str(), static_cast<long long>(parameters), losses.size(), seconds,
      losses.empty() ? 0.0 : losses.front(), tail, last, out.c_str());
  return h;
}

std::string machine_line(int threads) {
  return "Machine: " + sim::cpu_model() + ", " +
         std::to_string(std::thread::hardware_concurrency()) + " cores, " +
         std::to_string(threads) + " threads; LibTorch (CPU), float32.\n\n";
}

std::size_t write_emulated_outputs(const driver::RunConfig& config, const sim::LinearPower& linear,
                                   const sim::Particles<float>& p, double a, int threads,
                                   const driver::OutputDir& out_dir) {
  const sim::SimSpec& c = config.sim;
  sim::ForceOptions fo;
  fo.painter = c.painter;
  fo.gradient = c.gradient;
  fo.deconvolve = c.force_deconvolve;
  sim::Gravity<float> gravity(c.mesh, c.box_size, threads, sim::FftPlanning::estimate, fo);
  std::vector<std::string> files{config.out.output_dir + "/config.ini"};
  const std::vector<std::string> written =
      driver::write_outputs(config, linear, p, a, gravity, threads);
  files.insert(files.end(), written.begin(), written.end());
  out_dir.write_manifest(files);
  return files.size();
}

void print_and_report(const std::string& report, const std::string& header,
                      const std::string& table) {
  std::printf("%s", table.c_str());
  if (!report.empty()) {
    nn::write_file_atomically(report, [&](std::ostream& os) { os << header << table; });
  }
}

}  // namespace cosmograd::apps
