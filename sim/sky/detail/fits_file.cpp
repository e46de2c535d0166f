// cfitsio helpers shared by the sky FITS files; see fits_file.hpp.
#include "sim/sky/detail/fits_file.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/check.hpp"

namespace cosmograd::sim::detail {

void fits_failed(int status, const std::string& path, const char* call) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  std::string detail = path + ": " + text;
  char msg[FLEN_ERRMSG] = {0};
  while (fits_read_errmsg(msg) != 0) detail += std::string("; ") + msg;
  call_failed("cfitsio", call, status, detail);
}

FitsHandle::~FitsHandle() {
  if (f != nullptr) {
    int s = 0;
    fits_close_file(f, &s);
  }
}

void FitsHandle::create(const std::string& file) {
  path = file;
  int status = 0;
  fits_create_diskfile(&f, file.c_str(), &status);
  check(status, "fits_create_diskfile");
}

void FitsHandle::open_readonly(const std::string& file) {
  path = file;
  int status = 0;
  fits_open_diskfile(&f, file.c_str(), READONLY, &status);
  check(status, "fits_open_diskfile");
}

void FitsHandle::close() {
  int s = 0;
  fitsfile* g = f;
  f = nullptr;
  fits_close_file(g, &s);
  check(s, "fits_close_file");
}

void check_data_in_file(const FitsHandle& h, long long values, long long bytes,
                        const std::string& what) {
  LONGLONG head = 0, data = 0, end = 0;
  int status = 0;
  fits_get_hduaddrll(h.f, &head, &data, &end, &status);
  h.check(status, "fits_get_hduaddrll");
  const long long available = std::max<long long>(0, h.f->Fptr->filesize - data);
  if (values < 0 || bytes < 1 || values > available / bytes) {
    throw std::runtime_error(h.path + ": " + what + " = " + std::to_string(values) + " values of " +
                             std::to_string(bytes) + " bytes but the file holds " +
                             std::to_string(available) +
                             " bytes of data (allowed: data the file holds)");
  }
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 32 && c <= 126; });
}

void check_key(const std::string& key, const char* const* reserved, std::size_t count) {
  const bool ok =
      !key.empty() && key.size() <= 8 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!ok) {
    throw std::invalid_argument("FITS keyword '" + key +
                                "' is not allowed (allowed: 1 to 8 characters of A-Z, 0-9, "
                                "'-', '_')");
  }
  if (std::any_of(reserved, reserved + count, [&](const char* r) { return key == r; })) {
    throw std::invalid_argument("FITS keyword '" + key +
                                "' is reserved (the writer sets it; choose another name)");
  }
}

void check_string_keywords(const std::vector<FitsStringKeyword>& keywords,
                           const char* const* reserved, std::size_t count) {
  for (const FitsStringKeyword& k : keywords) {
    check_key(k.key, reserved, count);
    if (!printable(k.value) || k.value.size() > 68 || !printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = '" + k.value +
                                  "' is not allowed (allowed: printable ASCII, at most 68 "
                                  "characters, printable comment)");
    }
  }
}

void write_keywords(const FitsHandle& h, const std::vector<FitsKeyword>& num,
                    const std::vector<FitsStringKeyword>& str) {
  int status = 0;
  for (const FitsKeyword& k : num) {
    const char* comment = k.comment.empty() ? nullptr : k.comment.c_str();
    if (k.value == std::floor(k.value) && std::fabs(k.value) < 9.0e15) {
      LONGLONG v = static_cast<LONGLONG>(k.value);
      fits_write_key(h.f, TLONGLONG, k.key.c_str(), &v, comment, &status);
    } else {
      fits_write_key_dbl(h.f, k.key.c_str(), k.value, -17, comment, &status);
    }
    h.check(status, "fits_write_key");
  }
  for (const FitsStringKeyword& k : str) {
    fits_write_key(h.f, TSTRING, k.key.c_str(), const_cast<char*>(k.value.c_str()),
                   k.comment.empty() ? nullptr : k.comment.c_str(), &status);
    h.check(status, "fits_write_key");
  }
}

}  // namespace cosmograd::sim::detail
