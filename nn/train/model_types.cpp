#include "nn/train/model_types.hpp"

#include <mutex>
#include <stdexcept>

#include "nn/baryon_painter.hpp"
#include "nn/emulator.hpp"
#include "nn/halo_model.hpp"
#include "nn/ldl_file.hpp"
#include "nn/npe_net.hpp"
#include "nn/rim_net.hpp"
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
    model_types().add("baryon_painter",
                      [](const ModelHeader& h) { return build_baryon_painter(h).ptr(); });
    model_types().add("rim", [](const ModelHeader& h) { return build_rim(h).ptr(); });
    model_types().add("npe", [](const ModelHeader& h) { return NpeNet(npe_config_from(h)).ptr(); });
    model_types().add("ldl", [](const ModelHeader& h) {
      ldl_from_header(h);  // checks the parameters; LDL has no weights
      return std::make_shared<torch::nn::Module>();
    });
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
