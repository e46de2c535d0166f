// Lists of numbers in model-file headers: written with 17 significant digits (round-trip
// exact) and read back with an error naming the file and the key.
#pragma once

#include <string>
#include <vector>

#include "nn/train/model_file.hpp"

namespace cosmograd::nn {

/// Comma-separated doubles with 17 significant digits (round-trip exact).
std::string join_doubles(const std::vector<double>& v);

/// The doubles of the comma-separated header value `key`; throws std::runtime_error naming
/// the file, the key and the item that is not a number.
std::vector<double> header_doubles(const ModelHeader& h, const std::string& key);

}  // namespace cosmograd::nn
