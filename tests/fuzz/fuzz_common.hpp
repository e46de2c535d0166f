// Shared pieces of the libFuzzer targets: a per-process scratch folder and value pickers
// that favour the edge cases of header fields (0, negative, huge, NaN, infinite).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace cosmograd::fuzz {

/// A scratch folder <tmp>/cosmograd_fuzz_<pid>, emptied on every call and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::filesystem::path d = std::filesystem::path(tmp != nullptr && *tmp ? tmp : "/tmp") /
                              ("cosmograd_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    static const std::filesystem::path removed = d;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(removed, ec);
    });
    return d;
  }();
  return dir;
}

/// Removes every file in scratch_dir() (between inputs).
inline void clear_scratch() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir(), ec)) {
    std::filesystem::remove_all(e.path(), ec);
  }
}

/// Writes `bytes` to scratch_dir()/name and returns the path.
inline std::string write_scratch(const std::string& name, const std::string& bytes) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

/// A double: usually `typical` (always for a zero byte), else an edge case or arbitrary.
inline double pick_double(FuzzedDataProvider& in, double typical) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 9:
      return 0.0;
    case 8:
      return -typical;
    case 7:
      return std::numeric_limits<double>::quiet_NaN();
    case 6:
      return std::numeric_limits<double>::infinity();
    case 5:
      return 1e300;
    case 4:
      return in.ConsumeFloatingPoint<double>();
    case 3:
      return typical * in.ConsumeFloatingPointInRange<double>(0.5, 2.0);
    default:
      return typical;
  }
}

/// A count: usually `typical` (always for a zero byte), else an edge case (0, 2^31 - 1,
/// 2^32 - 1, 2^40, 2^63, 2^64 - 1) or an arbitrary value.
inline std::uint64_t pick_count(FuzzedDataProvider& in, std::uint64_t typical) {
  switch (in.ConsumeIntegralInRange<int>(0, 11)) {
    case 11:
      return 0;
    case 10:
      return typical + 1;
    case 9:
      return typical > 0 ? typical - 1 : 1;
    case 8:
      return 0x7fffffffu;
    case 7:
      return 0xffffffffu;
    case 6:
      return std::uint64_t{1} << 40;
    case 5:
      return std::uint64_t{1} << 63;
    case 4:
      return ~std::uint64_t{0};
    case 3:
      return in.ConsumeIntegral<std::uint64_t>();
    default:
      return typical;
  }
}

/// Whether to print why each input was rejected (COSMOGRAD_FUZZ_VERBOSE set: checking seeds).
inline bool verbose() {
  static const bool v = std::getenv("COSMOGRAD_FUZZ_VERBOSE") != nullptr;
  return v;
}

/// Reports the outcome of one input when verbose().
inline void report(const char* what) {
  if (verbose()) std::fprintf(stderr, "fuzz: %s\n", what);
}

}  // namespace cosmograd::fuzz
