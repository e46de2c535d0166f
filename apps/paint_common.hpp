// Helpers shared by the `cosmograd paint` actions: reading a dark-matter-only run, the record
// of which snapshot a target directory was made from, and the fit and evaluate actions.
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::apps {

/// A dark-matter-only snapshot as the painters use it.
struct DmoRun {
  sim::Particles<double> particles;  ///< positions (as displacements of a 1^3 lattice) [Mpc/h]
  sim::SnapshotHeader header;        ///< box, a, Omega_m, particle mass
  sim::CosmologyParams cosmology;    ///< the snapshot's (Planck 2015 for what it lacks)
};

/// Reads a Gadget HDF5 snapshot (file or base name) of dark matter.
DmoRun read_dmo_run(const std::string& snapshot);

/// Writes <dir>/source.txt naming the snapshot (absolute path) and the mesh of the targets.
void write_source_record(const std::string& dir, const std::string& snapshot, int mesh);
/// The snapshot named in <dir>/source.txt; throws naming the file when it is missing.
std::string read_source_record(const std::string& dir);

/// The dark-matter particles and the fields of one target directory.
struct TargetBox {
  sim::Particles<double> particles;  ///< the dark-matter-only run's particles
  sim::Field<double> dmo;            ///< its 1 + delta on the targets' mesh
  sim::Field<double> target;         ///< the target field
  double box = 0;                    ///< box side [Mpc/h]
};

/// The boxes of the comma-separated target directories `dirs` (setting `key`) for `target`
/// on a mesh^3 mesh; throws naming the key when the list is empty.
std::vector<TargetBox> read_target_boxes(const std::string& key, const std::string& dirs,
                                         const std::string& target, int mesh);

/// "cosmograd paint <action> <args...>" as typed.
std::string paint_command_line(const std::string& action, const std::vector<std::string>& args);

/// `cosmograd paint fit --train DIR,... --target NAME --out FILE`: fits an LDL painter.
int paint_fit(const std::vector<std::string>& args);
/// `cosmograd paint train --train DIR,... --target NAME --out FILE`: trains the U-Net painter.
int paint_train(const std::vector<std::string>& args);
/// `cosmograd paint evaluate --models A,B --train DIR,... --test DIR,... --report FILE`.
int paint_evaluate(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
