// The bispectrum by FFTs (Scoccimarro 2015, "Fast estimators for redshift-space clustering",
// the shell method; Sefusatti et al. 2016): with I_i(x) = sum_{q in shell i} delta_q e^{iq.x}
// and J_i the same sum of 1, the triangles of shells (i, j, l) give
//   B = V^2 sum_x I_i I_j I_l / sum_x J_i J_j J_l,   N_tri = sum_x J_i J_j J_l / N^3,
// because sum_x e^{i(q1+q2+q3).x} = N^3 when q1 + q2 + q3 = 0 and 0 otherwise. delta_q is
// normalised as in power_spectrum.hpp (P = V <|delta_q|^2>), so B has units (Mpc/h)^6.
// Shells are centred on k_i = k_min + i dk with width dk: |q| in [k_i - dk/2, k_i + dk/2).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// The shells of a bispectrum measurement.
struct BispectrumShells {
  double dk = 0;     ///< shell width [h/Mpc] (0: the fundamental k_F = 2 pi / L)
  double k_min = 0;  ///< centre of the first shell [h/Mpc] (0: dk)
  double k_max = 0;  ///< centre of the last shell at most this [h/Mpc] (0: k_Nyquist / 2)
};

/// Which triangles of shells are measured (the configuration set).
enum class TriangleSet {
  all,          ///< every i <= j <= l whose centres close a triangle: k_l <= k_i + k_j
  equilateral,  ///< (i, i, i) for every shell
  angle         ///< k1, k2 fixed (shells i, j); every shell l with |k_i - k_j| <= k_l <= k_i + k_j
};
/// Parses "all", "equilateral" or "angle"; throws std::invalid_argument naming `key`.
TriangleSet parse_triangle_set(const std::string& name, const std::string& key = "triangles");
/// The name of a triangle set.
const char* triangle_set_name(TriangleSet t);

/// Three shell indices.
struct ShellTriangle {
  int i = 0, j = 0, l = 0;  ///< shells of k1, k2, k3
};

/// The triangles of `set` over `shells` shells centred on `centres` [h/Mpc]; for `angle`,
/// k1 and k2 are the shells `angle_i` and `angle_j` (throws std::invalid_argument when out
/// of range).
std::vector<ShellTriangle> shell_triangles(TriangleSet set, const std::vector<double>& centres,
                                           int angle_i = 0, int angle_j = 0);

/// One measured triangle configuration.
struct BispectrumTriangle {
  double k1 = 0, k2 = 0, k3 = 0;  ///< shell centres [h/Mpc]
  double k1_mean = 0, k2_mean = 0,
         k3_mean = 0;     ///< mean |q| of each side over the closed triangles [h/Mpc]
  double theta = 0;       ///< angle between the vectors k1 and k2 from the means, k3 = |k1 + k2|
  double triangles = 0;   ///< number of closed triangles (q1 + q2 + q3 = 0) on the mesh
  double bispectrum = 0;  ///< B [(Mpc/h)^6], minus the shot noise when it is subtracted
  double shot_noise = 0;  ///< Poisson B_shot = (P1 + P2 + P3) / n + 1 / n^2 [(Mpc/h)^6]
  double reduced = 0;     ///< Q = B / (P1 P2 + P2 P3 + P3 P1), P the shell powers (no shot)
};

/// A bispectrum measurement: the triangles and the power of each shell.
struct Bispectrum {
  std::vector<double> shell_k;      ///< shell centres [h/Mpc]
  std::vector<double> shell_power;  ///< P of each shell [(Mpc/h)^3] (shot noise subtracted)
  std::vector<BispectrumTriangle> triangles;  ///< in the order asked for
  double box_size = 0;                        ///< [Mpc/h]
  double number_density = 0;                  ///< particles per (Mpc/h)^3 (0: a field)
};

/// The shell centres of `s` for an n^3 mesh in a box of side L [Mpc/h]; throws
/// std::invalid_argument naming the key (bispectrum_dk, bispectrum_k_min, bispectrum_k_max)
/// when a value is negative or no shell fits below k_Nyquist.
std::vector<double> shell_centres(const BispectrumShells& s, int n, double box_size);

/// B of the Fourier-space field `modes` (serial; this file's normalisation, e.g.
/// density_modes()) for `triangles` of the shells `s`. With number_density > 0 (particles per
/// (Mpc/h)^3), the Poisson shot noise is subtracted from B and P. Memory: three real meshes
/// (float) per shell used. Deterministic for a given thread count.
template <class T>
Bispectrum bispectrum(const Field<T>& modes, double box_size, const BispectrumShells& s,
                      const std::vector<ShellTriangle>& triangles, int threads,
                      double number_density = 0);

/// Tree-level bispectrum of standard perturbation theory (Einstein-de Sitter kernel F2;
/// Bernardeau et al. 2002, Phys. Rep. 367, 1): B = 2 F2(k1, k2) P1 P2 + cyclic, with
/// F2(k1, k2) = 5/7 + mu/2 (k1/k2 + k2/k1) + 2/7 mu^2 and mu the cosine between the vectors,
/// for the triangle of side lengths k1, k2, k3 [h/Mpc] and the linear power P(k).
double tree_level_bispectrum(double k1, double k2, double k3,
                             const std::function<double(double)>& power);

/// Plain text with a '#' header: k1 k2 k3 [h/Mpc], their means, theta [rad], N_tri,
/// B [(Mpc/h)^6], B_shot, Q; written atomically.
void write_bispectrum_text(const std::string& path, const Bispectrum& b,
                           const std::string& comment);

}  // namespace cosmograd::sim
