// Model files: a plain-text header (architecture config and training metadata) followed by the
// module's weights, so a command line can rebuild the module from the header alone.
//
// Layout (one file):
//   cosmograd-model 1
//   key = value            (one per line; keys sorted)
//   @weights <nbytes>
//   <nbytes of a torch::serialize archive holding the parameters and buffers>
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>

namespace cosmograd::nn {

/// Key = value header of a model file; typed getters throw naming the file and the key.
class ModelHeader {
 public:
  /// An empty header; `source` names the file in error messages (empty for a new header).
  explicit ModelHeader(std::string source = "") : source_(std::move(source)) {}

  /// Sets `key` (no '=', no newline, not empty; surrounding spaces trimmed) to `value` (no
  /// newline); throws std::invalid_argument otherwise.
  void set(const std::string& key, const std::string& value);
  /// Sets `key` to the decimal form of an integer.
  void set(const std::string& key, int64_t value);
  /// Sets `key` to a double printed with 17 significant digits (round-trips exactly).
  void set(const std::string& key, double value);
  /// Sets `key` to a string literal (avoids the bool overload trap).
  void set(const std::string& key, const char* value) { set(key, std::string(value)); }
  /// Whether `key` is present.
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  /// The value of `key`; throws std::runtime_error "<file>: model header has no key '<key>'".
  const std::string& get(const std::string& key) const;
  /// The value of `key` as an integer; throws std::runtime_error when missing or not an integer.
  int64_t get_int(const std::string& key) const;
  /// The value of `key` as a double; throws std::runtime_error when missing or not a number.
  double get_double(const std::string& key) const;
  /// All keys and values, sorted by key.
  const std::map<std::string, std::string>& values() const { return values_; }
  /// The file this header was read from (empty for a new header).
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::string, std::string> values_;
};

/// Writes the bytes produced by `write` to `path` through a temporary file in the same directory
/// that is renamed over `path` when complete; throws std::runtime_error naming `path` on failure.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

/// Saves `header` plus "cosmograd_version" and "date" (UTC, ISO 8601; both overwritten) and the
/// parameters and buffers of `module` to `path` (atomic write).
void save_model(const std::string& path, const torch::nn::Module& module, ModelHeader header);
/// Reads the header of the model file `path`; throws std::runtime_error naming the file when it
/// is missing, not a model file or its header is malformed.
ModelHeader read_model_header(const std::string& path);
/// Loads the weights of `path` into `module` (built with the same architecture); throws
/// std::runtime_error naming the file when it is missing, truncated or does not match.
void load_model_weights(const std::string& path, torch::nn::Module& module);

/// Reads the header of the model file `path` and checks that its key `model` is `kind`; throws
/// std::runtime_error naming the file, the model it holds and the one expected otherwise.
ModelHeader read_model_header_of(const std::string& path, const std::string& kind);

/// Loads the model file `path` of kind `kind`: the module make(header) (a module holder, e.g.
/// built from the header's architecture keys), its weights, in eval mode; copies the header to
/// `header` when not null. Errors as read_model_header_of and load_model_weights.
template <class Make>
auto load_model_of(const std::string& path, const std::string& kind, Make make,
                   ModelHeader* header) {
  const ModelHeader h = read_model_header_of(path, kind);
  auto model = make(h);
  load_model_weights(path, *model);
  model->eval();
  if (header != nullptr) *header = h;
  return model;
}

}  // namespace cosmograd::nn
