#include "sim/core/settings.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace cosmograd::sim {

void bad_setting(const std::string& key, const std::string& value, const std::string& problem) {
  throw std::invalid_argument(key + " = '" + value + "' " + problem);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const std::size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

std::string format_setting(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Settings Settings::defaults(const std::vector<KeySpec>& specs) {
  Settings s;
  for (const KeySpec& k : specs) s.set(k.name, k.default_value);
  return s;
}

void Settings::set(const std::string& key, const std::string& value) { values_[key] = value; }

bool Settings::has(const std::string& key) const { return values_.count(key) != 0; }

const std::string& Settings::get_string(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw std::invalid_argument("config key '" + key + "' is not set");
  return it->second;
}

double Settings::get_double(const std::string& key) const {
  const std::string& v = get_string(key);
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || end == v.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(x)) {
    bad_setting(key, v, "is not a finite number");
  }
  return x;
}

long long Settings::get_int(const std::string& key) const {
  const std::string& v = get_string(key);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || end == v.c_str() || *end != '\0' || errno == ERANGE) {
    bad_setting(key, v, "is not an integer");
  }
  return x;
}

bool Settings::get_bool(const std::string& key) const {
  const std::string& v = get_string(key);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  bad_setting(key, v, "is not a boolean (allowed: true/false, yes/no, on/off, 1/0)");
}

std::vector<double> Settings::get_doubles(const std::string& key) const {
  std::string v = get_string(key);
  for (char& c : v) {
    if (c == ',') c = ' ';
  }
  std::istringstream in(v);
  std::vector<double> out;
  std::string item;
  while (in >> item) {
    char* end = nullptr;
    const double x = std::strtod(item.c_str(), &end);
    if (*end != '\0' || !std::isfinite(x)) {
      bad_setting(key, get_string(key),
                  "is not a list of numbers ('" + item + "' is not a number)");
    }
    out.push_back(x);
  }
  return out;
}

std::string Settings::to_ini(const std::string& header) const {
  std::ostringstream os;
  os << "# " << header << "\n";
  for (const auto& [k, v] : values_) os << k << " = " << v << "\n";
  return os.str();
}

void check_int_range(const std::string& key, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) {
    bad_setting(
        key, std::to_string(v),
        "is out of range (allowed: " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  }
}

}  // namespace cosmograd::sim
