#include "driver/campaign_design.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/philox.hpp"
#include "sim/core/settings.hpp"

namespace cosmograd::driver {
namespace {

/// Uniform in (0, 1): Philox4x32-10 keyed by `seed` at counter (stream, index).
double uniform(std::uint64_t seed, std::uint32_t stream, std::uint32_t index, int word = 0) {
  const sim::Philox4x32Block b =
      sim::philox4x32_10({{index, stream, 0x43414d50u /* "CAMP" */, 0}},
                         static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
  return sim::uniform_open(b.v[word]);
}

/// A 64-bit white-noise seed for point `index` of the campaign of `seed`.
std::uint64_t point_seed(std::uint64_t seed, int index) {
  const sim::Philox4x32Block b =
      sim::philox4x32_10({{static_cast<std::uint32_t>(index), 0x53454544u /* "SEED" */, 0, 0}},
                         static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
  return (static_cast<std::uint64_t>(b.v[0]) << 32) | b.v[1];
}

/// Joe & Kuo (2008) new-joe-kuo-6.21201, dimensions 2..8: degree s, coefficients a, m_1..m_s.
struct DirectionEntry {
  int s;
  unsigned a;
  unsigned m[5];
};
constexpr DirectionEntry kJoeKuo[] = {
    {1, 0, {1}},          {2, 1, {1, 3}},        {3, 1, {1, 3, 1}},        {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}}, {4, 4, {1, 3, 5, 13}}, {5, 2, {1, 1, 5, 5, 17}},
};
constexpr int kMaxSobolDims = 1 + static_cast<int>(sizeof(kJoeKuo) / sizeof(kJoeKuo[0]));

/// The 32 direction numbers V_1..V_32 (as integers scaled by 2^32) of dimension d (0-based).
std::vector<std::uint32_t> direction_numbers(int d) {
  std::vector<std::uint32_t> v(33, 0);
  if (d == 0) {
    for (int i = 1; i <= 32; ++i) v[i] = 1u << (32 - i);
    return v;
  }
  const DirectionEntry& e = kJoeKuo[d - 1];
  for (int i = 1; i <= std::min(e.s, 32); ++i) v[i] = e.m[i - 1] << (32 - i);
  for (int i = e.s + 1; i <= 32; ++i) {
    v[i] = v[i - e.s] ^ (v[i - e.s] >> e.s);
    for (int k = 1; k <= e.s - 1; ++k) {
      if ((e.a >> (e.s - 1 - k)) & 1u) v[i] ^= v[i - k];
    }
  }
  return v;
}

}  // namespace

std::vector<ParameterRange> parse_prior(const std::string& key, const std::string& text) {
  std::vector<ParameterRange> out;
  std::stringstream ss(text);
  std::string entry;
  while (std::getline(ss, entry, ',')) {
    if (entry.empty()) continue;
    const std::size_t c1 = entry.find(':');
    const std::size_t c2 = c1 == std::string::npos ? c1 : entry.find(':', c1 + 1);
    if (c2 == std::string::npos) {
      sim::bad_setting(key, entry, "is not NAME:LO:HI (e.g. Omega_m:0.1:0.5)");
    }
    const std::string name = entry.substr(0, c1);
    ParameterRange r;
    bool known = false;
    std::string allowed;
    for (int i = 0; i < sim::kNumCosmoParams; ++i) {
      const auto p = static_cast<sim::CosmoParam>(i);
      allowed += std::string(i ? ", " : "") + sim::cosmo_param_name(p);
      if (name == sim::cosmo_param_name(p)) r.param = p, known = true;
    }
    if (!known) sim::bad_setting(key, entry, "names no parameter (allowed: " + allowed + ")");
    for (const ParameterRange& q : out) {
      if (q.param == r.param) sim::bad_setting(key, entry, "repeats " + name);
    }
    try {
      std::size_t used = 0;
      const std::string lo = entry.substr(c1 + 1, c2 - c1 - 1), hi = entry.substr(c2 + 1);
      r.lo = std::stod(lo, &used);
      if (used != lo.size()) throw std::invalid_argument(lo);
      r.hi = std::stod(hi, &used);
      if (used != hi.size()) throw std::invalid_argument(hi);
    } catch (const std::logic_error&) {
      sim::bad_setting(key, entry, "has bounds that are not numbers");
    }
    if (!(r.lo < r.hi)) sim::bad_setting(key, entry, "has lo >= hi (allowed: lo < hi)");
    out.push_back(r);
  }
  if (out.empty()) sim::bad_setting(key, "'" + text + "'", "is empty (e.g. Omega_m:0.1:0.5)");
  return out;
}

std::string format_prior(const std::vector<ParameterRange>& prior) {
  std::string s;
  for (const ParameterRange& r : prior) {
    if (!s.empty()) s += ",";
    s += std::string(sim::cosmo_param_name(r.param)) + ":" + sim::format_setting(r.lo) + ":" +
         sim::format_setting(r.hi);
  }
  return s;
}

DesignKind parse_design_kind(const std::string& name, const std::string& key) {
  if (name == "lhs") return DesignKind::lhs;
  if (name == "sobol") return DesignKind::sobol;
  sim::bad_setting(key, name, "is not allowed (allowed: lhs, sobol)");
  return DesignKind::lhs;
}

std::vector<std::vector<double>> sobol_points(int n, int dims,
                                              const std::vector<std::uint32_t>& shift) {
  if (dims < 1 || dims > kMaxSobolDims) {
    throw std::invalid_argument("sobol design: " + std::to_string(dims) +
                                " parameters (allowed: 1 to " + std::to_string(kMaxSobolDims) +
                                ")");
  }
  std::vector<std::vector<std::uint32_t>> v(dims);
  for (int d = 0; d < dims; ++d) v[d] = direction_numbers(d);
  std::vector<std::vector<double>> out(n, std::vector<double>(dims));
  for (int i = 0; i < n; ++i) {
    const std::uint32_t gray = static_cast<std::uint32_t>(i) ^ (static_cast<std::uint32_t>(i) >> 1);
    for (int d = 0; d < dims; ++d) {
      std::uint32_t x = shift.empty() ? 0u : shift[d];
      for (int bit = 0; bit < 32; ++bit) {
        if ((gray >> bit) & 1u) x ^= v[d][bit + 1];
      }
      out[i][d] = static_cast<double>(x) / 4294967296.0;
    }
  }
  return out;
}

std::vector<std::vector<double>> unit_design(DesignKind kind, int n, int dims, std::uint64_t seed) {
  if (kind == DesignKind::sobol) {
    std::vector<std::uint32_t> shift(dims);
    for (int d = 0; d < dims; ++d) {
      shift[d] = static_cast<std::uint32_t>(uniform(seed, 1000u + d, 0) * 4294967296.0);
    }
    return sobol_points(n, dims, shift);
  }
  // Latin hypercube: stratum perm[i] of dimension d holds point i, jittered uniformly in it;
  // the permutation is a Fisher-Yates shuffle driven by the counter-based generator.
  std::vector<std::vector<double>> out(n, std::vector<double>(dims));
  for (int d = 0; d < dims; ++d) {
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (int i = n - 1; i > 0; --i) {
      const int j = std::min(i, static_cast<int>(uniform(seed, 2u * d, i) * (i + 1)));
      std::swap(perm[i], perm[j]);
    }
    for (int i = 0; i < n; ++i) out[i][d] = (perm[i] + uniform(seed, 2u * d + 1, i)) / n;
  }
  return out;
}

std::vector<DesignPoint> campaign_design(const std::vector<ParameterRange>& prior, DesignKind kind,
                                         int n, int fiducial, std::uint64_t seed,
                                         const sim::CosmologyParams& base) {
  const int dims = static_cast<int>(prior.size());
  const std::vector<std::vector<double>> unit = unit_design(kind, n, dims, seed);
  std::vector<DesignPoint> out;
  for (int i = 0; i < n + fiducial; ++i) {
    DesignPoint p;
    p.index = i;
    p.fiducial = i >= n;
    p.seed = point_seed(seed, i);
    p.cosmology = base;
    for (int d = 0; d < dims; ++d) {
      double& value = sim::param(p.cosmology, prior[d].param);
      if (!p.fiducial) value = prior[d].lo + (prior[d].hi - prior[d].lo) * unit[i][d];
      p.values.push_back(value);
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace cosmograd::driver
