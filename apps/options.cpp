#include "apps/options.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace cosmograd::apps {

namespace po = boost::program_options;

std::string keys_help(const std::vector<sim::KeySpec>& keys) {
  std::ostringstream os;
  std::size_t width = 0;
  for (const sim::KeySpec& k : keys) width = std::max(width, k.name.size() + 5);
  for (const sim::KeySpec& k : keys) {
    std::string left = "  --" + k.name;
    left.resize(width, ' ');
    std::string unit = k.unit.empty() ? "" : "[" + k.unit + "]";
    if (unit.size() < 12) unit.resize(12, ' ');
    os << left << " " << unit << " " << k.help
       << " (default: " << (k.default_value.empty() ? "none" : k.default_value) << ")\n";
  }
  return os.str();
}

ParsedArgs parse_command(const std::string& command, const std::string& usage,
                         const std::vector<sim::KeySpec>& keys,
                         const std::vector<std::string>& args, int max_positional) {
  ParsedArgs out;
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
    std::ifstream in(ini);
    if (!in) throw std::invalid_argument("config file '" + ini + "' cannot be opened");
    po::variables_map file_vm;
    try {
      po::store(po::parse_config_file(in, desc), file_vm);
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
  return out;
}

}  // namespace cosmograd::apps
