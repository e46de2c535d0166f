#include "nn/train/model_types.hpp"

#include <mutex>
#include <stdexcept>

#include "nn/emulator.hpp"
#include "nn/halo_model.hpp"
#include "nn/superres.hpp"

namespace cosmograd::nn {

sim::Registry<ModelBuilder>& model_types() {
  static sim::Registry<ModelBuilder> registry("model type");
  return registry;
}

void register_builtin_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    model_types().add("halo_model", [](const ModelHeader& h) { return build_halo_model(h).ptr(); });
    model_types().add("emulator", [](const ModelHeader& h) { return build_emulator(h).ptr(); });
    model_types().add("superres", [](const ModelHeader& h) { return build_superres(h).ptr(); });
  });
}

LoadedModel load_model(const std::string& path) {
  register_builtin_models();
  LoadedModel m{read_model_header(path), nullptr};
  const std::string& type = m.header.get("model");
  ModelBuilder build;
  try {
    build = model_types().get(type);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  m.module = build(m.header);
  load_model_weights(path, *m.module);
  m.module->eval();
  return m;
}

}  // namespace cosmograd::nn
