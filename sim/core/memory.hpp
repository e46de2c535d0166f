// Process memory use, for logs and benchmarks.
#pragma once

#include <cstddef>

namespace cosmograd::sim {

/// Peak resident set size of this process so far (VmHWM) [bytes]; 0 if unknown.
std::size_t peak_rss_bytes();
/// Current resident set size (VmRSS) [bytes]; 0 if unknown.
std::size_t current_rss_bytes();

}  // namespace cosmograd::sim
