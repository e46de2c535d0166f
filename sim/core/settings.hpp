// Key = value settings (from an INI file and the command line) with typed, checked access.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cosmograd::sim {

/// One documented configuration key: what `--help` and README.md list.
struct KeySpec {
  std::string name;           ///< key as written in INI files and after `--`
  std::string unit;           ///< physical unit, or "" for dimensionless / flags
  std::string default_value;  ///< value used when neither file nor command line sets it
  std::string help;           ///< one line
};

/// A resolved set of key = value strings. Getters throw std::invalid_argument naming
/// the key, the offending value and what is allowed.
class Settings {
 public:
  /// Settings holding every spec's default value.
  static Settings defaults(const std::vector<KeySpec>& specs);
  /// Sets `key` to `value` (overriding any earlier value).
  void set(const std::string& key, const std::string& value);
  /// True when `key` has a value.
  bool has(const std::string& key) const;
  /// The raw string of `key`; throws when unset.
  const std::string& get_string(const std::string& key) const;
  /// `key` as a finite floating-point number.
  double get_double(const std::string& key) const;
  /// `key` as an integer.
  long long get_int(const std::string& key) const;
  /// `key` as a boolean: true/false, yes/no, on/off, 1/0.
  bool get_bool(const std::string& key) const;
  /// `key` as a list of numbers separated by commas or spaces ("" gives an empty list).
  std::vector<double> get_doubles(const std::string& key) const;
  /// All values in INI form ("key = value" lines, sorted), with a comment header.
  std::string to_ini(const std::string& header) const;
  /// All values.
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

/// The items of a comma-separated list, spaces around each trimmed, empty items dropped.
std::vector<std::string> split_list(const std::string& text);

/// A number as a setting's text (shortest default stream form, e.g. "0.3089").
std::string format_setting(double v);

/// Throws std::invalid_argument "<key> = '<v>' is out of range (allowed: lo to hi)" unless
/// lo <= v <= hi.
void check_int_range(const std::string& key, long long v, long long lo, long long hi);

/// Throws std::invalid_argument "<key> = <value> <problem>".
[[noreturn]] void bad_setting(const std::string& key, const std::string& value,
                              const std::string& problem);

}  // namespace cosmograd::sim
