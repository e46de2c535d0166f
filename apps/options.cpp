#include "apps/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "driver/config.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {

namespace po = boost::program_options;

namespace {

/// Keys that name input files: relative values in an INI resolve against the INI's folder.
const char* const kInputPathKeys[] = {"transfer_file", "ic_linear_field"};

/// `t` without leading and trailing blanks.
std::string trim(const std::string& t) {
  const auto b = t.find_first_not_of(" \t\r");
  if (b == std::string::npos) return std::string();
  return t.substr(b, t.find_last_not_of(" \t\r") - b + 1);
}

/// source_nz's comma-separated entries with each n(z) file (not a `smail:` entry) resolved
/// against `folder` when relative.
std::string resolve_nz_files(const std::string& value, const std::filesystem::path& folder) {
  std::string out, item;
  std::istringstream entries(value);
  while (std::getline(entries, item, ',')) {
    item = trim(item);
    if (!item.empty() && item.rfind("smail:", 0) != 0 &&
        std::filesystem::path(item).is_relative()) {
      item = (folder / item).lexically_normal().string();
    }
    out += (out.empty() ? "" : ",") + item;
  }
  return out;
}

/// Keys every command has (appended when a command does not list them itself).
const std::vector<sim::KeySpec>& common_keys() {
  static const std::vector<sim::KeySpec> keys = {
      {"log_level", "", "info", "debug, info, warn, error or off"},
      {"threads", "", "0", "OpenMP threads (0: all available)"}};
  return keys;
}

/// Keys renamed so that one concept has one name across commands: old -> new.
const std::pair<const char*, const char*> kRenamedKeys[] = {
    {"box", "box_size"},
    {"window", "painter"},
    {"interlace", "power_interlace"},
    {"halo_min_members", "min_members"},
    {"halo_linking_length", "linking_length"},
};

/// Throws when `key` is a renamed key, naming the new one.
void refuse_renamed(const std::string& key, const std::string& where) {
  for (const auto& [old_name, new_name] : kRenamedKeys) {
    if (key == old_name) {
      throw std::invalid_argument(where + ": key '" + key + "' is now called '" + new_name +
                                  "' (one name per concept across commands)");
    }
  }
}

/// Whether `k` is a flag (its default is true or false).
bool is_flag(const sim::KeySpec& k) {
  return k.default_value == "true" || k.default_value == "false";
}

/// `args` with "true" inserted after a flag given without a value (at the end, or before
/// anything that is not a boolean word), so that `--halos` means `--halos true`.
std::vector<std::string> with_flag_values(const std::vector<std::string>& args,
                                          const std::vector<sim::KeySpec>& keys) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    out.push_back(args[i]);
    if (args[i].rfind("--", 0) != 0 || args[i].find('=') != std::string::npos) continue;
    const std::string name = args[i].substr(2);
    const bool flag = std::any_of(keys.begin(), keys.end(), [&](const sim::KeySpec& k) {
      return k.name == name && is_flag(k);
    });
    static const char* const kWords[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
    const bool valueless =
        i + 1 == args.size() || std::none_of(std::begin(kWords), std::end(kWords),
                                             [&](const char* w) { return args[i + 1] == w; });
    if (flag && valueless) out.push_back("true");
  }
  return out;
}

/// Whether some command of `cosmograd` knows `key` (run's keys are every config file's).
bool known_to_some_command(const std::string& key) {
  for (const sim::KeySpec& k : driver::run_keys()) {
    if (k.name == key) return true;
  }
  for (const sim::KeySpec& k : common_keys()) {
    if (k.name == key) return true;
  }
  return false;
}

/// The `key = value` lines of an INI file: `#` and `;` comments (whole lines, or after a
/// blank inside a line) dropped, one pair of matching quotes around a value removed, relative
/// input paths resolved against the file's folder. `[section]` headers are refused.
std::string normalized_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("config file '" + path + "' cannot be opened");
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::ostringstream out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const std::string where = "config file '" + path + "', line " + std::to_string(number);
    if (line[0] == '[') {
      throw std::invalid_argument(where + ": '" + line +
                                  "': sections are not used (allowed: key = value lines)");
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      throw std::invalid_argument(where + ": '" + line + "' is not a key = value line");
    }
    const std::string key = trim(line.substr(0, eq));
    refuse_renamed(key, where);
    std::string value = line.substr(eq + 1);
    for (const char* mark : {" ;", "\t;", " #", "\t#"}) {
      const auto c = value.find(mark);
      if (c != std::string::npos) value = value.substr(0, c);
    }
    value = trim(value);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    for (const char* k : kInputPathKeys) {
      if (key == k && !value.empty() && std::filesystem::path(value).is_relative()) {
        value = (folder / value).lexically_normal().string();
      }
    }
    if (key == "source_nz") value = resolve_nz_files(value, folder);
    out << key << " = " << value << "\n";
  }
  return out.str();
}

}  // namespace

std::string keys_help(const std::vector<sim::KeySpec>& keys) {
  std::ostringstream os;
  std::size_t width = 0, unit_width = 0;
  for (const sim::KeySpec& k : keys) {
    width = std::max(width, k.name.size() + 5);
    unit_width = std::max(unit_width, k.unit.empty() ? 0 : k.unit.size() + 2);
  }
  for (const sim::KeySpec& k : keys) {
    std::string left = "  --" + k.name;
    left.resize(width, ' ');
    std::string unit = k.unit.empty() ? "" : "[" + k.unit + "]";
    unit.resize(unit_width, ' ');
    os << left << " " << unit << " " << k.help
       << " (default: " << (k.default_value.empty() ? "none" : k.default_value) << ")\n";
  }
  return os.str();
}

ParsedArgs parse_command(const std::string& command, const std::string& usage,
                         const std::vector<sim::KeySpec>& command_keys,
                         const std::vector<std::string>& raw_args, int max_positional) {
  ParsedArgs out;
  std::vector<sim::KeySpec> keys = command_keys;
  for (const sim::KeySpec& c : common_keys()) {
    if (std::none_of(keys.begin(), keys.end(),
                     [&](const sim::KeySpec& k) { return k.name == c.name; })) {
      keys.push_back(c);
    }
  }
  const std::vector<std::string> args = with_flag_values(raw_args, keys);
  for (const std::string& a : args) {
    if (a.rfind("--", 0) == 0) {
      refuse_renamed(
          a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2),
          "cosmograd " + command);
    }
  }
  po::options_description desc;
  desc.add_options()("help,h", "show this help");
  for (const sim::KeySpec& k : keys) desc.add_options()(k.name.c_str(), po::value<std::string>());
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("positional", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  } catch (const po::error& e) {
    throw std::invalid_argument(std::string(e.what()) + " (see `cosmograd " + command +
                                " --help` for the keys)");
  }
  if (vm.count("help")) {
    std::cout << usage << "\n\nkeys (set in the INI file or as --key value):\n" << keys_help(keys);
    out.help = true;
    return out;
  }

  std::vector<std::string> positional;
  if (vm.count("positional")) positional = vm["positional"].as<std::vector<std::string>>();
  std::string ini;
  auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (!positional.empty() &&
      (ends_with(positional[0], ".ini") || ends_with(positional[0], ".cfg"))) {
    ini = positional[0];
    positional.erase(positional.begin());
  }
  if (static_cast<int>(positional.size()) > max_positional) {
    throw std::invalid_argument("cosmograd " + command + ": unexpected argument '" +
                                positional[static_cast<size_t>(max_positional)] +
                                "' (usage: " + usage + ")");
  }
  out.positional = positional;

  out.settings = sim::Settings::defaults(keys);
  if (!ini.empty()) {
    // One config file serves every command: keys of other commands (e.g. a run's box_size
    // for `theory`) are skipped; a key no command knows is an error.
    std::istringstream in(normalized_ini(ini));
    po::variables_map file_vm;
    try {
      const po::parsed_options parsed = po::parse_config_file(in, desc, true);
      for (const po::option& o : parsed.options) {
        if (o.unregistered && !known_to_some_command(o.string_key)) {
          throw std::invalid_argument("config file '" + ini + "': unknown key '" + o.string_key +
                                      "' (no command has it; see `cosmograd " + command +
                                      " --help` for this command's keys)");
        }
      }
      po::store(parsed, file_vm);
    } catch (const po::error& e) {
      throw std::invalid_argument("config file '" + ini + "': " + e.what() + " (see `cosmograd " +
                                  command + " --help` for the keys)");
    }
    for (const auto& [k, v] : file_vm) out.settings.set(k, v.as<std::string>());
  }
  for (const auto& [k, v] : vm) {
    if (k == "positional" || k == "help") continue;
    out.settings.set(k, v.as<std::string>());
  }
  // Flags as the program reads them (config.ini then says `halos = true`, not `= yes`).
  for (const sim::KeySpec& k : keys) {
    if (is_flag(k)) out.settings.set(k.name, out.settings.get_bool(k.name) ? "true" : "false");
  }
  sim::set_log_level(sim::parse_log_level(out.settings.get_string("log_level")));
  const long long threads = out.settings.get_int("threads");
  sim::check_int_range("threads", threads, 0, 4096);
  sim::use_threads(static_cast<int>(threads));
  return out;
}

std::vector<int64_t> int_list(const sim::Settings& s, const std::string& key) {
  std::vector<int64_t> out;
  std::stringstream in(s.get_string(key));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < 1 || v > 4096) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      sim::bad_setting(key, s.get_string(key),
                       "item '" + item + "' is not an integer in [1, 4096] (allowed: e.g. 16,32)");
    }
  }
  if (out.empty()) sim::bad_setting(key, s.get_string(key), "is empty (allowed: e.g. 16,32,64)");
  return out;
}

}  // namespace cosmograd::apps
