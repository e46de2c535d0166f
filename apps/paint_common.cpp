#include "apps/paint_common.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sim/baryons/baryon_targets.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/settings.hpp"
#include "sim/measure/fof.hpp"

namespace cosmograd::apps {

DmoRun read_dmo_run(const std::string& snapshot) {
  const sim::SnapshotData<float> snap = sim::read_snapshot<float>(snapshot);
  DmoRun run;
  run.header = snap.header;
  run.cosmology = sim::cosmology_from_header(snap.header, sim::planck2015());
  run.particles = sim::Particles<double>::at_positions(snap.pos, snap.header.box_size);
  return run;
}

void write_source_record(const std::string& dir, const std::string& snapshot, int mesh) {
  std::ostringstream text;
  text << "snapshot = " << std::filesystem::absolute(snapshot).string() << "\n"
       << "mesh = " << mesh << "\n";
  sim::write_file_atomic(dir + "/source.txt", text.str());
}

std::string read_source_record(const std::string& dir) {
  const std::string path = dir + "/source.txt";
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(path + " is missing: " + dir +
                             " is not a target directory of `cosmograd paint targets`");
  }
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("snapshot = ", 0) == 0) return line.substr(11);
  }
  throw std::runtime_error(path + " names no snapshot (line 'snapshot = PATH')");
}

std::vector<TargetBox> read_target_boxes(const std::string& key, const std::string& dirs,
                                         const std::string& target, int mesh) {
  std::vector<TargetBox> boxes;
  for (const std::string& d : sim::split_list(dirs)) {
    DmoRun run = read_dmo_run(read_source_record(d));
    boxes.push_back(TargetBox{std::move(run.particles),
                              sim::read_baryon_field(d, "dmo_density", mesh),
                              sim::read_baryon_field(d, target, mesh), run.header.box_size});
  }
  if (boxes.empty()) sim::bad_setting(key, dirs, "names no target directory");
  return boxes;
}

std::string paint_command_line(const std::string& action, const std::vector<std::string>& args) {
  std::string s = "cosmograd paint " + action;
  for (const std::string& a : args) s += " " + a;
  return s;
}

}  // namespace cosmograd::apps
