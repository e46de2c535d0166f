// Lists of numbers in model-file headers (header_values.hpp).
#include "nn/train/header_values.hpp"

#include <sstream>
#include <stdexcept>

namespace cosmograd::nn {

std::string join_doubles(const std::vector<double>& v) {
  std::ostringstream o;
  o.precision(17);
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  return o.str();
}

std::vector<double> header_doubles(const ModelHeader& h, const std::string& key) {
  std::vector<double> out;
  std::stringstream in(h.get(key));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::runtime_error(h.source() + ": model header key '" + key + "' holds '" + item +
                               "', not a number");
    }
  }
  return out;
}

}  // namespace cosmograd::nn
