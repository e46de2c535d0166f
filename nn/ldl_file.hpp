// LDL baryon painters (sim/baryons/ldl.hpp) in cosmograd model files: type "ldl", every
// parameter in the plain-text header (no weights), so `cosmograd paint --model FILE` and
// load_model() treat them like the neural models.
#pragma once

#include <string>

#include "nn/train/model_file.hpp"
#include "sim/baryons/ldl.hpp"

namespace cosmograd::nn {

/// An LDL painter read from a model file.
struct LdlFile {
  sim::LdlModel model;  ///< the layers' parameters and mesh
  std::string target;   ///< the field it paints ("bcm_matter", "electron_pressure", ...)
  ModelHeader header;   ///< the whole header (training metadata)
};

/// Saves `model` painting `target` to `path` (atomic) with the keys of `extra` (training
/// metadata) and model = ldl.
void save_ldl(const std::string& path, const sim::LdlModel& model, const std::string& target,
              ModelHeader extra = ModelHeader());

/// The LDL model described by a header (type "ldl"); throws naming the file and the key.
sim::LdlModel ldl_from_header(const ModelHeader& header);

/// Reads an LDL model file; throws naming the file when it is not one.
LdlFile load_ldl(const std::string& path);

}  // namespace cosmograd::nn
