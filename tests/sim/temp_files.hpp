// Temporary directories and listings for tests that write files.
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace cosmograd::testing {

/// An empty directory <tmp>/cosmograd_test_<name>, removed first if it exists.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("cosmograd_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The file names in `dir` (to check that no temporary file is left behind).
inline std::set<std::string> listing(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

}  // namespace cosmograd::testing
