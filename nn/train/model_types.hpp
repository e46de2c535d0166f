// The registry of model types a model file can hold: the header's `model` key names the type,
// whose builder rebuilds the module from the header alone; load_model() then loads the
// weights. Adding a type is its builder plus one line in register_builtin_models().
#pragma once

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <string>

#include "nn/train/model_file.hpp"
#include "sim/core/registry.hpp"

namespace cosmograd::nn {

/// Builds an untrained module of one type from a model file's header (its architecture keys).
using ModelBuilder = std::function<std::shared_ptr<torch::nn::Module>(const ModelHeader&)>;

/// The model types ("model type" in messages); register_builtin_models() fills it.
sim::Registry<ModelBuilder>& model_types();
/// Registers the built-in model types (halo_model, emulator, superres, ldl, baryon_painter, rim,
/// npe);
/// idempotent.
void register_builtin_models();

/// A model read from a file: its header and the module with the weights loaded (eval mode).
struct LoadedModel {
  ModelHeader header;                         ///< the file's header (type in header.get("model"))
  std::shared_ptr<torch::nn::Module> module;  ///< the rebuilt module
};

/// Reads the header of `path`, builds the module of the type its `model` key names and loads
/// the weights; throws naming the file and, for an unknown type, the registered ones.
LoadedModel load_model(const std::string& path);

}  // namespace cosmograd::nn
