// Status check for HDF5 calls: a negative status throws with HDF5's error stack.
#pragma once

#include <hdf5.h>

#include <string>

#include "sim/core/check.hpp"

namespace cosmograd::sim {

namespace detail {
/// Collects the innermost descriptions on HDF5's default error stack, then clears it.
inline std::string hdf5_error_stack() {
  std::string text;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    auto* out = static_cast<std::string*>(data);
    if (err->desc != nullptr && *err->desc != '\0') {
      if (!out->empty()) out->append("; ");
      out->append(err->func_name != nullptr ? err->func_name : "?");
      out->append(": ");
      out->append(err->desc);
    }
    return n < 4 ? 0 : 1;  // the first few frames carry the useful part
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}
}  // namespace detail

/// Returns status, or throws CallError naming `call` when status < 0 (herr_t or hid_t).
template <class Status>
Status check_hdf5(Status status, const char* call) {
  if (status < 0)
    call_failed("HDF5", call, static_cast<long long>(status), detail::hdf5_error_stack());
  return status;
}

}  // namespace cosmograd::sim
