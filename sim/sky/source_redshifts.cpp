// Source redshift distributions, lensing efficiency, a(chi) and the lensing prefactor; see
// source_redshifts.hpp.
#include "sim/sky/source_redshifts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/settings.hpp"
#include "sim/core/units.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kMaxSourceZ = 20.0;  // the largest source redshift accepted
constexpr double kPi = 3.14159265358979323846;
constexpr int kSmailIntervals = 8000;  // uniform Simpson intervals of a Smail n(z) (even)
constexpr int kTableIntervals = 2000;  // target number of sub-intervals of a table n(z)

/// %g formatting for names and messages.
std::string fmt(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

/// Removes the nodes with zero weight from a rule and rescales the weights to sum 1.
void finish_rule(std::vector<double>& z, std::vector<double>& w) {
  std::vector<double> zz, ww;
  double total = 0.0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (w[i] > 0.0) {
      zz.push_back(z[i]);
      ww.push_back(w[i]);
      total += w[i];
    }
  }
  for (double& x : ww) x /= total;
  z = std::move(zz);
  w = std::move(ww);
}

/// Strict parse of a whole token as a finite double.
bool parse_number(const std::string& s, double& x) {
  if (s.empty()) return false;
  char* end = nullptr;
  x = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(x);
}

/// Splits at any of the characters in `seps`, dropping empty pieces and trimming blanks.
std::vector<std::string> split(const std::string& s, const std::string& seps) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    const auto b = cur.find_first_not_of(" \t\r\n");
    if (b != std::string::npos) {
      const auto e = cur.find_last_not_of(" \t\r\n");
      out.push_back(cur.substr(b, e - b + 1));
    }
    cur.clear();
  };
  for (char ch : s) {
    if (seps.find(ch) != std::string::npos) {
      flush();
    } else {
      cur += ch;
    }
  }
  flush();
  return out;
}

/// Checks a table; `where(i)` describes row i for messages (file and line, or table row).
template <class Where>
void validate_table(const std::vector<double>& z, const std::vector<double>& n,
                    const std::string& what, Where where) {
  if (z.size() != n.size()) {
    throw std::invalid_argument(what + ": " + std::to_string(z.size()) + " z values but " +
                                std::to_string(n.size()) + " n(z) values (need equal counts)");
  }
  if (z.size() < 2) {
    throw std::invalid_argument(what + ": " + std::to_string(z.size()) +
                                " row(s) (at least 2 rows 'z n(z)' needed)");
  }
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (!std::isfinite(z[i]) || z[i] < 0.0) {
      throw std::invalid_argument(what + ", " + where(i) + ": z = " + fmt(z[i]) +
                                  " (allowed: finite z >= 0)");
    }
    if (!std::isfinite(n[i]) || n[i] < 0.0) {
      throw std::invalid_argument(what + ", " + where(i) + ": n(z) = " + fmt(n[i]) +
                                  " (allowed: finite n >= 0)");
    }
    if (i > 0 && !(z[i] > z[i - 1])) {
      throw std::invalid_argument(what + ", " + where(i) + ": z = " + fmt(z[i]) +
                                  " is not larger than the previous z = " + fmt(z[i - 1]) +
                                  " (z must be increasing)");
    }
  }
  double integral = 0.0;
  for (std::size_t i = 0; i + 1 < z.size(); ++i) {
    integral += 0.5 * (n[i] + n[i + 1]) * (z[i + 1] - z[i]);
  }
  if (!(integral > 0.0)) {
    throw std::invalid_argument(what + ": the integral of n(z) is zero (need some n > 0)");
  }
  // The support must end by z = 20: the last row with n > 0, or the one after it.
  std::size_t last = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i] > 0.0) last = i;
  }
  const std::size_t end = std::min(last + 1, z.size() - 1);
  if (z[end] > kMaxSourceZ) {
    throw std::invalid_argument(what + ", " + where(end) + ": z = " + fmt(z[end]) +
                                " with sources up to it (allowed: n(z) = 0 beyond z = 20)");
  }
}

}  // namespace

SourceDistribution SourceDistribution::plane(double z) {
  if (!(std::isfinite(z) && z > 0.0 && z <= kMaxSourceZ)) {
    throw std::invalid_argument("source plane redshift z = " + fmt(z) +
                                " is out of range (allowed: 0 < z <= 20)");
  }
  SourceDistribution d;
  d.kind_ = Kind::plane;
  d.name_ = "plane_z" + fmt(z);
  d.z_max_ = z;
  d.z_ = {z};
  d.w_ = {1.0};
  return d;
}

SourceDistribution SourceDistribution::smail(double alpha, double beta, double z0, double z_max) {
  const std::string what = "Smail n(z) (alpha = " + fmt(alpha) + ", beta = " + fmt(beta) +
                           ", z0 = " + fmt(z0) + ", z_max = " + fmt(z_max) + ")";
  if (!(std::isfinite(alpha) && alpha >= 0.0 && alpha <= 50.0)) {
    throw std::invalid_argument(what + ": alpha = " + fmt(alpha) +
                                " is out of range (allowed: 0 <= alpha <= 50)");
  }
  if (!(std::isfinite(beta) && beta > 0.0 && beta <= 50.0)) {
    throw std::invalid_argument(what + ": beta = " + fmt(beta) +
                                " is out of range (allowed: 0 < beta <= 50)");
  }
  if (!(std::isfinite(z0) && z0 > 0.0 && z0 <= kMaxSourceZ)) {
    throw std::invalid_argument(what + ": z0 = " + fmt(z0) +
                                " is out of range (allowed: 0 < z0 <= 20)");
  }
  if (!(std::isfinite(z_max) && z_max > z0 && z_max <= kMaxSourceZ)) {
    throw std::invalid_argument(what + ": z_max = " + fmt(z_max) +
                                " is out of range (allowed: z0 < z_max <= 20)");
  }
  SourceDistribution d;
  d.kind_ = Kind::smail;
  d.name_ = "smail_" + fmt(alpha) + "_" + fmt(beta) + "_" + fmt(z0);
  if (z_max != 4.0) d.name_ += "_" + fmt(z_max);
  d.z_max_ = z_max;
  d.alpha_ = alpha;
  d.beta_ = beta;
  d.z0_ = z0;
  // Simpson's rule on a uniform grid (kSmailIntervals, even): O(h^4) for integer alpha; n is
  // negligible at z_max for the usual choices.
  const int m = kSmailIntervals;
  const double h = z_max / m;
  d.z_.resize(m + 1);
  d.w_.resize(m + 1);
  double total = 0.0;
  for (int i = 0; i <= m; ++i) {
    const double z = h * i;
    const double nz = std::pow(z, alpha) * std::exp(-std::pow(z / z0, beta));
    d.z_[i] = z;
    d.w_[i] = (i == 0 || i == m ? 1.0 : (i % 2 ? 4.0 : 2.0)) * h / 3.0 * nz;
    total += d.w_[i];
  }
  if (!(total > 0.0) || !std::isfinite(total)) {
    throw std::invalid_argument(what + ": n(z) does not integrate to a positive finite number");
  }
  d.norm_ = 1.0 / total;
  finish_rule(d.z_, d.w_);
  return d;
}

SourceDistribution SourceDistribution::table(std::vector<double> z, std::vector<double> n,
                                             const std::string& name) {
  validate_table(z, n, "source n(z) table '" + name + "'",
                 [](std::size_t i) { return "row " + std::to_string(i + 1); });
  SourceDistribution d;
  d.kind_ = Kind::table;
  d.name_ = name;
  double integral = 0.0;
  for (std::size_t i = 0; i + 1 < z.size(); ++i) {
    integral += 0.5 * (n[i] + n[i + 1]) * (z[i + 1] - z[i]);
  }
  for (double& x : n) x /= integral;
  // Fine grid: every table row, each interval split into equal parts about
  // (z_last - z_first) / kTableIntervals wide; trapezoid weights of the interpolated n.
  const double dz_target = (z.back() - z.front()) / kTableIntervals;
  std::vector<double> fz, fn;
  for (std::size_t i = 0; i + 1 < z.size(); ++i) {
    const int parts = std::max(1, static_cast<int>(std::ceil((z[i + 1] - z[i]) / dz_target)));
    for (int j = 0; j < parts; ++j) {
      const double t = static_cast<double>(j) / parts;
      fz.push_back(z[i] + t * (z[i + 1] - z[i]));
      fn.push_back(n[i] + t * (n[i + 1] - n[i]));
    }
  }
  fz.push_back(z.back());
  fn.push_back(n.back());
  d.z_ = fz;
  d.w_.assign(fz.size(), 0.0);
  for (std::size_t k = 0; k + 1 < fz.size(); ++k) {
    const double h = fz[k + 1] - fz[k];
    d.w_[k] += 0.5 * h * fn[k];
    d.w_[k + 1] += 0.5 * h * fn[k + 1];
  }
  std::size_t last = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i] > 0.0) last = i;
  }
  d.z_max_ = z[std::min(last + 1, z.size() - 1)];
  d.table_z_ = std::move(z);
  d.table_n_ = std::move(n);
  finish_rule(d.z_, d.w_);
  return d;
}

SourceDistribution SourceDistribution::from_file(const std::string& path) {
  const std::string what = "source n(z) file '" + path + "'";
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(what + " cannot be opened (need a readable file)");
  std::vector<double> z, n;
  std::vector<int> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    const std::vector<std::string> cols = split(line, " \t\r");
    if (cols.empty()) continue;
    if (cols.size() != 2) {
      throw std::invalid_argument(what + ", line " + std::to_string(number) + ": '" + line +
                                  "' has " + std::to_string(cols.size()) +
                                  " columns (need two: z n(z))");
    }
    double zz = 0.0, nz = 0.0;
    if (!parse_number(cols[0], zz)) {
      throw std::invalid_argument(what + ", line " + std::to_string(number) + ": z = '" + cols[0] +
                                  "' is not a finite number");
    }
    if (!parse_number(cols[1], nz)) {
      throw std::invalid_argument(what + ", line " + std::to_string(number) + ": n(z) = '" +
                                  cols[1] + "' is not a finite number");
    }
    z.push_back(zz);
    n.push_back(nz);
    lines.push_back(number);
  }
  if (in.bad()) throw std::invalid_argument(what + " could not be read");
  validate_table(z, n, what, [&](std::size_t i) { return "line " + std::to_string(lines[i]); });
  return table(std::move(z), std::move(n), std::filesystem::path(path).stem().string());
}

double SourceDistribution::density(double z) const {
  switch (kind_) {
    case Kind::plane:
      return 0.0;
    case Kind::smail:
      if (z < 0.0 || z > z_max_) return 0.0;
      return norm_ * std::pow(z, alpha_) * std::exp(-std::pow(z / z0_, beta_));
    case Kind::table:
      break;
  }
  if (z < table_z_.front() || z > table_z_.back()) return 0.0;
  const auto it = std::upper_bound(table_z_.begin(), table_z_.end(), z);
  if (it == table_z_.end()) return table_n_.back();
  const std::size_t i = static_cast<std::size_t>(it - table_z_.begin()) - 1;
  const double t = (z - table_z_[i]) / (table_z_[i + 1] - table_z_[i]);
  return table_n_[i] + t * (table_n_[i + 1] - table_n_[i]);
}

double SourceDistribution::mean_z() const {
  double m = 0.0;
  for (std::size_t i = 0; i < z_.size(); ++i) m += w_[i] * z_[i];
  return m;
}

std::vector<SourceDistribution> parse_sources(const std::string& source_z,
                                              const std::string& source_nz) {
  std::vector<SourceDistribution> out;
  for (const std::string& item : split(source_z, ", \t")) {
    double z = 0.0;
    if (!parse_number(item, z)) {
      bad_setting("source_z", source_z,
                  "has '" + item +
                      "', not a number (allowed: comma/space separated redshifts 0 < z <= 20, "
                      "or empty)");
    }
    if (!(z > 0.0 && z <= kMaxSourceZ)) {
      bad_setting("source_z", source_z,
                  "has z = " + item + " out of range (allowed: 0 < z <= 20 for each plane)");
    }
    out.push_back(SourceDistribution::plane(z));
  }
  for (const std::string& item : split(source_nz, ",")) {
    if (item.rfind("smail:", 0) == 0) {
      const std::vector<std::string> f = split(item.substr(6), ":");
      std::vector<double> v;
      for (const std::string& s : f) {
        double x = 0.0;
        if (!parse_number(s, x)) {
          bad_setting("source_nz", source_nz,
                      "has '" + item + "': '" + s +
                          "' is not a number (allowed: smail:ALPHA:BETA:Z0[:ZMAX] or a file)");
        }
        v.push_back(x);
      }
      if (v.size() != 3 && v.size() != 4) {
        bad_setting("source_nz", source_nz,
                    "has '" + item + "' with " + std::to_string(v.size()) +
                        " numbers (allowed: smail:ALPHA:BETA:Z0 or smail:ALPHA:BETA:Z0:ZMAX)");
      }
      try {
        out.push_back(SourceDistribution::smail(v[0], v[1], v[2], v.size() == 4 ? v[3] : 4.0));
      } catch (const std::invalid_argument& e) {
        bad_setting("source_nz", source_nz, "has a bad entry: " + std::string(e.what()));
      }
    } else {
      try {
        out.push_back(SourceDistribution::from_file(item));
      } catch (const std::invalid_argument& e) {
        bad_setting("source_nz", source_nz,
                    "has a bad entry (allowed: smail:ALPHA:BETA:Z0[:ZMAX] or an n(z) file): " +
                        std::string(e.what()));
      }
    }
  }
  std::set<std::string> names;
  for (const SourceDistribution& s : out) {
    if (!names.insert(s.name()).second) {
      throw std::invalid_argument("source_z = '" + source_z + "', source_nz = '" + source_nz +
                                  "' give two sources named '" + s.name() +
                                  "' (allowed: distinct planes and file stems)");
    }
  }
  return out;
}

template <class S>
S comoving_transverse(double Omega_k, const S& x) {
  // Hogg 1999 eq. 16.
  if (Omega_k == 0.0) return x;
  const double sk = std::sqrt(std::fabs(Omega_k)) / units::hubble_distance;
  if (Omega_k > 0.0) return sinh(sk * x) / sk;
  return sin(sk * x) / sk;
}

template <class S>
std::vector<S> lensing_efficiency(const CosmologyT<S>& c, const SourceDistribution& n,
                                  const std::vector<double>& chi) {
  // g(chi) = sum_i w_i f_K(chi_i - chi) / f_K(chi_i) over the nodes with chi_i > chi
  // (Bartelmann & Schneider 2001 eq. 6.20). With f_K(x) = sinh(A x)/A (open), the addition
  // theorem gives f_K(chi_i - chi)/f_K(chi_i) = cosh(A chi) - sinh(A chi) coth(A chi_i); flat:
  // 1 - chi/chi_i; closed: cos(A chi) - sin(A chi) cot(A chi_i). So g = C(chi) W0 - S(chi) W1
  // with suffix sums W0 = sum w_i, W1 = sum w_i u(chi_i) over the nodes beyond chi.
  const double ok = c.params().Omega_k;
  const double sk = std::sqrt(std::fabs(ok)) / units::hubble_distance;
  const std::vector<double>& z = n.z_nodes();
  const std::vector<double>& w = n.weights();
  std::vector<double> chi_v;  // chi_s of the nodes with z > 0 (increasing)
  std::vector<S> w0, w1;      // suffix sums from each of these nodes to the end
  std::vector<S> u;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (!(z[i] > 0.0)) continue;  // sources at z = 0 lens nothing
    const S xs = c.chi(1.0 / (1.0 + z[i]));
    chi_v.push_back(value(xs));
    if (ok == 0.0) {
      u.push_back(1.0 / xs);
    } else if (ok > 0.0) {
      u.push_back(cosh(sk * xs) / sinh(sk * xs));
    } else {
      if (!(sk * value(xs) < kPi)) {
        throw std::invalid_argument("lensing_efficiency: a source at z = " + fmt(z[i]) +
                                    " lies beyond the antipode of the closed universe (Omega_k = " +
                                    fmt(ok) + "; allowed: sqrt(-Omega_k) chi_s / (c/H0) < pi)");
      }
      u.push_back(cos(sk * xs) / sin(sk * xs));
    }
    w0.push_back(S(w[i]));
    w1.push_back(w[i] * u.back());
  }
  for (std::size_t i = w0.size(); i-- > 1;) {
    w0[i - 1] += w0[i];
    w1[i - 1] += w1[i];
  }
  std::vector<S> g(chi.size(), S(0.0));
  for (std::size_t j = 0; j < chi.size(); ++j) {
    const double x = chi[j];
    if (!(std::isfinite(x) && x >= 0.0)) {
      throw std::invalid_argument("lensing_efficiency: chi = " + fmt(x) +
                                  " Mpc/h is out of range (allowed: finite chi >= 0)");
    }
    const std::size_t first =
        static_cast<std::size_t>(std::upper_bound(chi_v.begin(), chi_v.end(), x) - chi_v.begin());
    if (first == chi_v.size()) continue;
    if (ok == 0.0) {
      g[j] = w0[first] - x * w1[first];
    } else if (ok > 0.0) {
      g[j] = std::cosh(sk * x) * w0[first] - std::sinh(sk * x) * w1[first];
    } else {
      g[j] = std::cos(sk * x) * w0[first] - std::sin(sk * x) * w1[first];
    }
  }
  return g;
}

template <class S>
S lensing_efficiency(const CosmologyT<S>& c, const SourceDistribution& n, double chi) {
  return lensing_efficiency(c, n, std::vector<double>{chi})[0];
}

template <class S>
S scale_factor_at_chi(const CosmologyT<S>& c, double chi) {
  const double dh = units::hubble_distance;
  const double a_lo = c.a_min();
  const double chi_far = value(c.chi(a_lo));
  if (!(std::isfinite(chi) && chi >= 0.0 && chi < chi_far)) {
    throw std::invalid_argument(
        "scale_factor_at_chi: chi = " + fmt(chi) +
        " Mpc/h is out of range (allowed: 0 <= chi < chi(a_min) = " + fmt(chi_far) + " Mpc/h)");
  }
  if (chi == 0.0) return S(1.0);  // chi(1) = 0 for every parameter value
  // Safeguarded Newton in s = ln a on f(s) = chi(e^s) - chi (decreasing in s);
  // df/ds = -(c/H0) / (a E(a)).
  double lo = std::log(a_lo), hi = 0.0, s = 0.0;
  for (int it = 0; it < 200; ++it) {
    const double a = std::exp(s);
    const double f = value(c.chi(a)) - chi;
    if (f > 0.0) {
      lo = s;
    } else {
      hi = s;
    }
    const double df = -dh / (a * value(c.E(a)));
    double next = s - f / df;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double step = std::fabs(next - s);
    s = next;
    if (step < 1e-15 || hi - lo < 1e-15) break;
  }
  const double a = std::exp(s);
  // Implicit-function theorem as one Newton step in S: the value gets a last correction, the
  // derivatives become -(dchi/dtheta)|_a / (dchi/da).
  const double dchi_da = -dh / (a * a * value(c.E(a)));
  return S(a) - (c.chi(a) - chi) / dchi_da;
}

template <class S>
S lensing_prefactor(const CosmologyT<S>& c) {
  // 3/2 Omega_m (H0/c)^2 (Bartelmann & Schneider 2001 eq. 6.21).
  const double dh = units::hubble_distance;
  return 1.5 * c.params().Omega_m / (dh * dh);
}

template double comoving_transverse<double>(double, const double&);
template CosmoDual comoving_transverse<CosmoDual>(double, const CosmoDual&);
template double lensing_efficiency<double>(const Cosmology&, const SourceDistribution&, double);
template CosmoDual lensing_efficiency<CosmoDual>(const CosmologyDual&, const SourceDistribution&,
                                                 double);
template std::vector<double> lensing_efficiency<double>(const Cosmology&, const SourceDistribution&,
                                                        const std::vector<double>&);
template std::vector<CosmoDual> lensing_efficiency<CosmoDual>(const CosmologyDual&,
                                                              const SourceDistribution&,
                                                              const std::vector<double>&);
template double scale_factor_at_chi<double>(const Cosmology&, double);
template CosmoDual scale_factor_at_chi<CosmoDual>(const CosmologyDual&, double);
template double lensing_prefactor<double>(const Cosmology&);
template CosmoDual lensing_prefactor<CosmoDual>(const CosmologyDual&);

}  // namespace cosmograd::sim
