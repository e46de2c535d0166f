// Command-line and INI parsing for subcommands (Boost.Program_options).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/settings.hpp"

namespace cosmograd::apps {

/// What a subcommand's arguments resolved to.
struct ParsedArgs {
  sim::Settings settings;               ///< defaults < INI file < command line
  std::vector<std::string> positional;  ///< positional arguments after the optional INI file
  bool help = false;                    ///< --help was given (help text already printed)
};

/// Parses `cosmograd <command> [config.ini] [--key value ...]`. `keys` are the documented
/// keys; a first positional argument ending in ".ini" or ".cfg" is read as an INI file;
/// `max_positional` further positional arguments are accepted. Unknown keys throw
/// std::invalid_argument naming them.
ParsedArgs parse_command(const std::string& command, const std::string& usage,
                         const std::vector<sim::KeySpec>& keys,
                         const std::vector<std::string>& args, int max_positional = 0);

/// The help text for `keys`: one line per key with unit and default.
std::string keys_help(const std::vector<sim::KeySpec>& keys);

/// The key `key` as a comma-separated list of integers in [1, 4096] (bad_setting naming the key
/// otherwise), e.g. layer widths.
std::vector<int64_t> int_list(const sim::Settings& s, const std::string& key);

}  // namespace cosmograd::apps
