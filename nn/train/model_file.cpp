#include "nn/train/model_file.hpp"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/build_config.hpp"

namespace cosmograd::nn {
namespace {

constexpr const char* kMagic = "cosmograd-model 1";
constexpr const char* kWeightsTag = "@weights ";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string where(const std::string& source) {
  return source.empty() ? std::string("model header") : source;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Reads the header of `path` and, when `weights` is given, the weight bytes after it.
ModelHeader read_file(const std::string& path, std::string* weights) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open model file (does it exist?)");
  std::string line;
  if (!std::getline(in, line) || trim(line) != kMagic) {
    throw std::runtime_error(path + ": not a cosmograd model file (first line is not '" +
                             std::string(kMagic) + "')");
  }
  ModelHeader header(path);
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.rfind(kWeightsTag, 0) == 0) {
      if (weights == nullptr) return header;
      const std::string count = trim(line.substr(std::strlen(kWeightsTag)));
      char* end = nullptr;
      const unsigned long long n = std::strtoull(count.c_str(), &end, 10);
      if (count.empty() || *end != '\0') {
        throw std::runtime_error(path + ": corrupt model file (bad weights line " +
                                 std::to_string(line_no) + ")");
      }
      weights->assign(static_cast<std::size_t>(n), '\0');
      in.read(weights->data(), static_cast<std::streamsize>(n));
      if (static_cast<unsigned long long>(in.gcount()) != n) {
        throw std::runtime_error(path + ": corrupt model file (truncated weights: " +
                                 std::to_string(in.gcount()) + " of " + count + " bytes)");
      }
      return header;
    }
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
      throw std::runtime_error(path + ": corrupt model header (line " + std::to_string(line_no) +
                               " is not 'key = value')");
    }
    header.set(trim(t.substr(0, eq)), trim(t.substr(eq + 1)));
  }
  throw std::runtime_error(path + ": corrupt model file (no weights section)");
}

}  // namespace

void ModelHeader::set(const std::string& key, const std::string& value) {
  const std::string k = trim(key);
  if (k.empty() || k.find_first_of("=\n#@") != std::string::npos) {
    throw std::invalid_argument(where(source_) + ": invalid header key '" + key +
                                "' (must be non-empty without '=', '#', '@' or newlines)");
  }
  if (value.find('\n') != std::string::npos) {
    throw std::invalid_argument(where(source_) + ": header value of '" + k +
                                "' contains a newline");
  }
  values_[k] = trim(value);
}

void ModelHeader::set(const std::string& key, int64_t value) { set(key, std::to_string(value)); }

void ModelHeader::set(const std::string& key, double value) {
  std::ostringstream os;
  os << std::setprecision(17) << value;
  set(key, os.str());
}

const std::string& ModelHeader::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) {
    throw std::runtime_error(where(source_) + ": model header has no key '" + key + "'");
  }
  return it->second;
}

int64_t ModelHeader::get_int(const std::string& key) const {
  const std::string& v = get(key);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0) {
    throw std::runtime_error(where(source_) + ": header key '" + key + "' = '" + v +
                             "' is not an integer");
  }
  return x;
}

double ModelHeader::get_double(const std::string& key) const {
  const std::string& v = get(key);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') {
    throw std::runtime_error(where(source_) + ": header key '" + key + "' = '" + v +
                             "' is not a number");
  }
  return x;
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  sim::AtomicWrite w(path);  // the engine's temporary-name-then-rename, removed on failure
  {
    std::ofstream out(w.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(path + ": cannot create temporary file " + w.temp_path());
    write(out);
    out.flush();
    if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
  }
  w.commit();
}

void save_model(const std::string& path, const torch::nn::Module& module, ModelHeader header) {
  header.set("cosmograd_version", COSMOGRAD_VERSION);
  header.set("date", utc_now());
  torch::serialize::OutputArchive archive;
  module.save(archive);
  std::ostringstream weights;
  archive.save_to(weights);
  const std::string bytes = weights.str();
  write_file_atomically(path, [&](std::ostream& out) {
    out << kMagic << '\n';
    for (const auto& [k, v] : header.values()) out << k << " = " << v << '\n';
    out << kWeightsTag << bytes.size() << '\n';
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

ModelHeader read_model_header(const std::string& path) { return read_file(path, nullptr); }

void load_model_weights(const std::string& path, torch::nn::Module& module) {
  std::string bytes;
  read_file(path, &bytes);
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(bytes);
    archive.load_from(in);
    // InputArchive::read replaces a tensor of another shape silently; compare afterwards.
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
    for (const auto& p : module.named_parameters())
      shapes.emplace_back(p.key(), p.value().sizes().vec());
    for (const auto& b : module.named_buffers())
      shapes.emplace_back(b.key(), b.value().sizes().vec());
    module.load(archive);
    const auto params = module.named_parameters();
    const auto buffers = module.named_buffers();
    for (const auto& [name, shape] : shapes) {
      const torch::Tensor* t = params.find(name);
      if (t == nullptr) t = buffers.find(name);
      if (t == nullptr || t->sizes().vec() != shape) {
        throw std::runtime_error(path + ": cannot load model weights: '" + name +
                                 "' has another shape in the file (architecture does not match "
                                 "the header?)");
      }
    }
  } catch (const c10::Error& e) {
    throw std::runtime_error(path +
                             ": cannot load model weights (corrupt file or architecture "
                             "does not match the header): " +
                             e.what_without_backtrace());
  }
}

ModelHeader read_model_header_of(const std::string& path, const std::string& kind) {
  ModelHeader h = read_model_header(path);
  const std::string got = h.has("model") ? h.get("model") : "?";
  if (got != kind) throw std::runtime_error(path + ": model = " + got + ", not " + kind);
  return h;
}

}  // namespace cosmograd::nn
