#include "nn/ldl_file.hpp"

#include <stdexcept>

namespace cosmograd::nn {

void save_ldl(const std::string& path, const sim::LdlModel& model, const std::string& target,
              ModelHeader extra) {
  model.validate();
  extra.set("model", "ldl");
  extra.set("target", target);
  extra.set("mesh", static_cast<int64_t>(model.mesh));
  extra.set("layers", static_cast<int64_t>(model.layers.size()));
  extra.set("output_layer", static_cast<int64_t>(model.output ? 1 : 0));
  extra.set("parameters", static_cast<int64_t>(model.num_parameters()));
  for (const auto& [name, value] : model.named_parameters()) extra.set("ldl_" + name, value);
  const torch::nn::Module none;  // LDL has no weights: everything is in the header
  save_model(path, none, std::move(extra));
}

sim::LdlModel ldl_from_header(const ModelHeader& h) {
  if (h.get("model") != "ldl") {
    throw std::runtime_error(h.source() + ": model = " + h.get("model") + ", not an ldl painter");
  }
  sim::LdlModel m;
  m.mesh = static_cast<int>(h.get_int("mesh"));
  m.layers.resize(static_cast<std::size_t>(h.get_int("layers")));
  m.output = h.get_int("output_layer") != 0;
  std::vector<double> values;
  for (const auto& entry : m.named_parameters())
    values.push_back(h.get_double("ldl_" + entry.first));
  try {
    m.set_parameters(values);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": " + e.what());
  }
  return m;
}

LdlFile load_ldl(const std::string& path) {
  ModelHeader h = read_model_header(path);
  LdlFile f{ldl_from_header(h), h.get("target"), h};
  return f;
}

}  // namespace cosmograd::nn
