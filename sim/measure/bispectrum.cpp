#include "sim/measure/bispectrum.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/mesh/fft.hpp"

namespace cosmograd::sim {
namespace {

/// The real-space sums over one shell: I (delta), J (1) and K (|q|), N^3 values each.
struct ShellFields {
  std::vector<float> delta, count, kmag;
};

/// Copies the real values of `f` (no padding) into `out` as float.
void real_values(const Field<double>& f, std::vector<float>& out) {
  const Decomposition& d = f.decomp();
  const int n = d.n();
  out.resize(static_cast<std::size_t>(n) * n * n);
#pragma omp parallel for schedule(static)
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        out[(static_cast<std::size_t>(x) * n + y) * n + z] = static_cast<float>(f.at(x, y, z));
      }
    }
  }
}

/// Index of the shell holding |q| = k, or -1.
int shell_of(double k, const std::vector<double>& centres, double dk) {
  if (k <= 0 || centres.empty()) return -1;
  const int i = static_cast<int>(std::floor((k - centres.front()) / dk + 0.5 + 1e-9));
  return i >= 0 && i < static_cast<int>(centres.size()) ? i : -1;
}

/// Sum of a * b * c over the mesh, by x-planes in a fixed order (deterministic).
double triple_sum(const std::vector<float>& a, const std::vector<float>& b,
                  const std::vector<float>& c, int n) {
  const std::size_t plane = static_cast<std::size_t>(n) * n;
  std::vector<double> partial(static_cast<std::size_t>(n), 0.0);
#pragma omp parallel for schedule(static)
  for (int x = 0; x < n; ++x) {
    double s = 0;
    for (std::size_t i = x * plane; i < (x + 1) * plane; ++i) {
      s += static_cast<double>(a[i]) * b[i] * c[i];
    }
    partial[x] = s;
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace

TriangleSet parse_triangle_set(const std::string& name, const std::string& key) {
  if (name == "all") return TriangleSet::all;
  if (name == "equilateral") return TriangleSet::equilateral;
  if (name == "angle") return TriangleSet::angle;
  throw std::invalid_argument(key + " = '" + name +
                              "' is not allowed (allowed: all, equilateral, angle)");
}

const char* triangle_set_name(TriangleSet t) {
  switch (t) {
    case TriangleSet::all:
      return "all";
    case TriangleSet::equilateral:
      return "equilateral";
    case TriangleSet::angle:
      return "angle";
  }
  return "?";
}

std::vector<double> shell_centres(const BispectrumShells& s, int n, double box_size) {
  const double kf = 2.0 * M_PI / box_size;
  const double k_nyq = kf * n / 2;
  if (s.dk < 0) throw std::invalid_argument("bispectrum_dk = " + std::to_string(s.dk) + " < 0");
  if (s.k_min < 0) {
    throw std::invalid_argument("bispectrum_k_min = " + std::to_string(s.k_min) + " < 0");
  }
  if (s.k_max < 0) {
    throw std::invalid_argument("bispectrum_k_max = " + std::to_string(s.k_max) + " < 0");
  }
  const double dk = s.dk > 0 ? s.dk : kf;
  const double k_min = s.k_min > 0 ? s.k_min : dk;
  const double k_max = std::min(s.k_max > 0 ? s.k_max : k_nyq / 2, k_nyq - 0.5 * dk);
  std::vector<double> centres;
  for (int i = 0; k_min + i * dk <= k_max * (1 + 1e-12); ++i) centres.push_back(k_min + i * dk);
  if (centres.empty()) {
    std::ostringstream os;
    os << "bispectrum shells: no shell fits (k_min = " << k_min << ", k_max = " << k_max
       << ", dk = " << dk << " h/Mpc; k_Nyquist = " << k_nyq
       << "): allowed k_min + dk/2 <= min(k_max, k_Nyquist)";
    throw std::invalid_argument(os.str());
  }
  return centres;
}

std::vector<ShellTriangle> shell_triangles(TriangleSet set, const std::vector<double>& centres,
                                           int angle_i, int angle_j) {
  const int m = static_cast<int>(centres.size());
  const double tol = 1e-9 * (centres.empty() ? 1.0 : centres.back());
  std::vector<ShellTriangle> out;
  switch (set) {
    case TriangleSet::equilateral:
      for (int i = 0; i < m; ++i) out.push_back({i, i, i});
      break;
    case TriangleSet::all:
      for (int i = 0; i < m; ++i) {
        for (int j = i; j < m; ++j) {
          for (int l = j; l < m && centres[l] <= centres[i] + centres[j] + tol; ++l) {
            out.push_back({i, j, l});
          }
        }
      }
      break;
    case TriangleSet::angle: {
      if (angle_i < 0 || angle_i >= m || angle_j < 0 || angle_j >= m) {
        throw std::invalid_argument(
            "bispectrum angle configuration: k1 shell " + std::to_string(angle_i) +
            " or k2 shell " + std::to_string(angle_j) + " is outside 0.." + std::to_string(m - 1));
      }
      const double lo = std::abs(centres[angle_i] - centres[angle_j]);
      const double hi = centres[angle_i] + centres[angle_j];
      for (int l = 0; l < m; ++l) {
        if (centres[l] >= lo - tol && centres[l] <= hi + tol) out.push_back({angle_i, angle_j, l});
      }
      break;
    }
  }
  return out;
}

template <class T>
Bispectrum bispectrum(const Field<T>& modes, double box_size, const BispectrumShells& s,
                      const std::vector<ShellTriangle>& triangles, int threads,
                      double number_density) {
  const Decomposition& src = modes.decomp();
  if (src.comm().size() != 1) {
    throw std::invalid_argument("bispectrum: the field is distributed over " +
                                std::to_string(src.comm().size()) +
                                " ranks (allowed: one; gather it first)");
  }
  const int n = src.n();
  const double kf = 2.0 * M_PI / box_size;
  Bispectrum out;
  out.box_size = box_size;
  out.number_density = number_density;
  out.shell_k = shell_centres(s, n, box_size);
  const double dk = s.dk > 0 ? s.dk : kf;
  const int shells = static_cast<int>(out.shell_k.size());
  for (const ShellTriangle& t : triangles) {
    for (int i : {t.i, t.j, t.l}) {
      if (i < 0 || i >= shells) {
        throw std::invalid_argument("bispectrum: triangle shell " + std::to_string(i) +
                                    " is outside 0.." + std::to_string(shells - 1));
      }
    }
  }
  const double volume = box_size * box_size * box_size;
  const double shot_p = number_density > 0 ? 1.0 / number_density : 0.0;

  // The shell of every stored mode, and the power of each shell.
  const Decomposition d(n);
  const std::size_t ncomplex = d.local_complex_size();
  std::vector<int> shell_index(ncomplex, -1);
  std::vector<double> kmag(ncomplex, 0.0);
  std::vector<double> power_sum(shells, 0.0), mode_sum(shells, 0.0);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(x, y, z);
        const double k =
            kf * std::sqrt(double(m[0]) * m[0] + double(m[1]) * m[1] + double(m[2]) * m[2]);
        const std::size_t c = d.complex_index(x, y, z);
        const int i = shell_of(k, out.shell_k, dk);
        shell_index[c] = i;
        kmag[c] = k;
        if (i < 0) continue;
        const double w = (z == 0 || 2 * z == n) ? 1.0 : 2.0;
        power_sum[i] += w * std::norm(std::complex<double>(modes.mode(x, y, z)));
        mode_sum[i] += w;
      }
    }
  }
  out.shell_power.resize(shells);
  for (int i = 0; i < shells; ++i) {
    out.shell_power[i] = mode_sum[i] > 0 ? volume * power_sum[i] / mode_sum[i] - shot_p : 0.0;
  }

  // I, J and K of every shell a triangle uses.
  const Fft<double> fft(d, threads);
  std::map<int, ShellFields> fields;
  Field<double> work(d);
  for (const ShellTriangle& t : triangles) {
    for (int i : {t.i, t.j, t.l}) {
      if (fields.count(i) > 0) continue;
      ShellFields& f = fields[i];
      for (int which = 0; which < 3; ++which) {
        std::complex<double>* c = work.complex();
#pragma omp parallel for schedule(static)
        for (std::size_t idx = 0; idx < ncomplex; ++idx) {
          if (shell_index[idx] != i) {
            c[idx] = 0;
          } else if (which == 0) {
            c[idx] = std::complex<double>(modes.complex()[idx]);
          } else {
            c[idx] = which == 1 ? 1.0 : kmag[idx];
          }
        }
        fft.backward(work);
        real_values(work, which == 0 ? f.delta : which == 1 ? f.count : f.kmag);
      }
    }
  }

  const double n3 = std::pow(static_cast<double>(n), 3);
  for (const ShellTriangle& t : triangles) {
    const ShellFields &a = fields[t.i], &b = fields[t.j], &c = fields[t.l];
    const double closed = triple_sum(a.count, b.count, c.count, n);
    if (closed < 0.5) continue;  // no closed triangle of these shells on this mesh
    BispectrumTriangle r;
    r.k1 = out.shell_k[t.i];
    r.k2 = out.shell_k[t.j];
    r.k3 = out.shell_k[t.l];
    r.triangles = std::round(closed / n3);  // an integer; the float shell sums round it
    r.k1_mean = triple_sum(a.kmag, b.count, c.count, n) / closed;
    r.k2_mean = triple_sum(a.count, b.kmag, c.count, n) / closed;
    r.k3_mean = triple_sum(a.count, b.count, c.kmag, n) / closed;
    const double cos_theta =
        (r.k3_mean * r.k3_mean - r.k1_mean * r.k1_mean - r.k2_mean * r.k2_mean) /
        (2 * r.k1_mean * r.k2_mean);
    r.theta = std::acos(std::clamp(cos_theta, -1.0, 1.0));
    const double p1 = out.shell_power[t.i], p2 = out.shell_power[t.j], p3 = out.shell_power[t.l];
    r.bispectrum = volume * volume * triple_sum(a.delta, b.delta, c.delta, n) / closed;
    if (number_density > 0) {
      r.shot_noise = (p1 + p2 + p3) * shot_p + shot_p * shot_p;
      r.bispectrum -= r.shot_noise;
    }
    r.reduced = r.bispectrum / (p1 * p2 + p2 * p3 + p3 * p1);
    out.triangles.push_back(r);
  }
  return out;
}

double tree_level_bispectrum(double k1, double k2, double k3,
                             const std::function<double(double)>& power) {
  // F2 of the pair (a, b) closed by c: mu = (c^2 - a^2 - b^2) / (2 a b), the cosine between
  // the vectors a and b of a + b + c = 0.
  const auto f2 = [](double a, double b, double c) {
    const double mu = (c * c - a * a - b * b) / (2 * a * b);
    return 5.0 / 7.0 + 0.5 * mu * (a / b + b / a) + 2.0 / 7.0 * mu * mu;
  };
  const double p1 = power(k1), p2 = power(k2), p3 = power(k3);
  return 2 * (f2(k1, k2, k3) * p1 * p2 + f2(k2, k3, k1) * p2 * p3 + f2(k3, k1, k2) * p3 * p1);
}

void write_bispectrum_text(const std::string& path, const Bispectrum& b,
                           const std::string& comment) {
  std::ostringstream os;
  os << "# " << comment << "\n";
  os << "# box_size = " << b.box_size << " Mpc/h, number_density = " << std::setprecision(8)
     << b.number_density << " (h/Mpc)^3 (0: a field, no shot noise subtracted)\n";
  os << "# k1 k2 k3 (shell centres) [h/Mpc]  k1_mean k2_mean k3_mean [h/Mpc]  theta [rad]  "
        "N_triangles  B [(Mpc/h)^6]  B_shot [(Mpc/h)^6]  Q\n";
  os << std::scientific << std::setprecision(8);
  for (const BispectrumTriangle& t : b.triangles) {
    os << t.k1 << " " << t.k2 << " " << t.k3 << " " << t.k1_mean << " " << t.k2_mean << " "
       << t.k3_mean << " " << t.theta << " " << t.triangles << " " << t.bispectrum << " "
       << t.shot_noise << " " << t.reduced << "\n";
  }
  write_file_atomic(path, os.str());
}

template Bispectrum bispectrum<float>(const Field<float>&, double, const BispectrumShells&,
                                      const std::vector<ShellTriangle>&, int, double);
template Bispectrum bispectrum<double>(const Field<double>&, double, const BispectrumShells&,
                                       const std::vector<ShellTriangle>&, int, double);

}  // namespace cosmograd::sim
