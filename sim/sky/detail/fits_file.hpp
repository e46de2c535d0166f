// cfitsio helpers shared by the HEALPix and flat-sky FITS writers and readers (sim/sky-internal).
//
// Every call is checked: a failed cfitsio call throws CallError naming the call, the file and
// cfitsio's own message and error stack.
#pragma once

#include <fitsio.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sim/sky/healpix_fits.hpp"

namespace cosmograd::sim::detail {

/// Throws CallError "<call> failed (cfitsio status s): <path>: <message>; <error stack>".
[[noreturn]] void fits_failed(int status, const std::string& path, const char* call);

/// An open FITS file, closed on scope exit (errors on this path are ignored: an error is
/// already in flight, or close() reported it).
struct FitsHandle {
  fitsfile* f = nullptr;
  std::string path;

  FitsHandle() = default;
  FitsHandle(const FitsHandle&) = delete;
  FitsHandle& operator=(const FitsHandle&) = delete;
  ~FitsHandle();

  /// Creates `file` (must not exist) for writing; `path` names it in errors.
  void create(const std::string& file);
  /// Opens `file` read-only; `path` names it in errors.
  void open_readonly(const std::string& file);
  /// Throws through fits_failed when status != 0.
  void check(int status, const char* call) const {
    if (status != 0) fits_failed(status, path, call);
  }
  /// Closes the file, reporting a failure.
  void close();
};

/// Throws std::runtime_error "<path>: <what> = <values> values of <bytes> bytes ... (allowed:
/// ...)" unless the current HDU's data unit holds values * bytes bytes inside the file. Call it
/// before allocating for data a header declares (a hostile header must not allocate terabytes).
void check_data_in_file(const FitsHandle& h, long long values, long long bytes,
                        const std::string& what);

/// True when every character of `s` is printable ASCII (32 to 126).
bool printable(const std::string& s);

/// Throws std::invalid_argument unless `key` is 1 to 8 characters of A-Z, 0-9, '-', '_' and
/// not one of the `count` names at `reserved` (those the writer sets).
void check_key(const std::string& key, const char* const* reserved, std::size_t count);

template <std::size_t N>
void check_key(const std::string& key, const char* const (&reserved)[N]) {
  check_key(key, reserved, N);
}

/// check_key for each string keyword, and its value (printable, at most 68 characters) and
/// comment (printable); throws std::invalid_argument.
void check_string_keywords(const std::vector<FitsStringKeyword>& keywords,
                           const char* const* reserved, std::size_t count);

template <std::size_t N>
void check_string_keywords(const std::vector<FitsStringKeyword>& keywords,
                           const char* const (&reserved)[N]) {
  check_string_keywords(keywords, reserved, N);
}

/// Writes the extra keywords into the current HDU: whole numbers below 9e15 as integers, other
/// numbers with 17 significant digits, then the strings; an empty comment is left out.
void write_keywords(const FitsHandle& h, const std::vector<FitsKeyword>& num,
                    const std::vector<FitsStringKeyword>& str);

}  // namespace cosmograd::sim::detail
