#include "sim/sky/shell_raymarch.hpp"

#include <healpix_base.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "sim/mesh/detail/paint_loops.hpp"

namespace cosmograd::sim {
namespace {

using Dims = std::array<int, 3>;

std::size_t flat_index(const Dims& d, int i, int j, int k) {
  return (static_cast<std::size_t>(i) * d[1] + j) * d[2] + k;
}

/// The [1 2 1] / 4 smoothing along `axis` sampled at even points: that axis halves (periodic).
std::vector<double> halve_axis(const std::vector<double>& in, Dims& d, int axis) {
  Dims o = d;
  o[axis] /= 2;
  std::vector<double> out(static_cast<std::size_t>(o[0]) * o[1] * o[2]);
  const int n = d[axis];
#pragma omp parallel for schedule(static)
  for (int i = 0; i < o[0]; ++i) {
    for (int j = 0; j < o[1]; ++j) {
      for (int k = 0; k < o[2]; ++k) {
        Dims c{i, j, k};
        const int m = 2 * c[axis];
        double s = 0;
        for (int t = -1; t <= 1; ++t) {
          Dims src = c;
          src[axis] = (m + t + n) % n;
          s += (t == 0 ? 0.5 : 0.25) * in[flat_index(d, src[0], src[1], src[2])];
        }
        out[flat_index(o, i, j, k)] = s;
      }
    }
  }
  d = o;
  return out;
}

/// The transpose of halve_axis(): `out_cot` of the halved dims `o` spread back onto dims with
/// `axis` doubled.
std::vector<double> halve_axis_vjp(const std::vector<double>& out_cot, Dims& o, int axis) {
  Dims d = o;
  d[axis] *= 2;
  std::vector<double> in(static_cast<std::size_t>(d[0]) * d[1] * d[2], 0.0);
  const int n = d[axis];
  // Point p of the input receives from output points m = p / 2 (p even, weight 1/2) or
  // (p -+ 1) / 2 (p odd, weight 1/4 each): a gather, so no two threads write one point.
#pragma omp parallel for schedule(static)
  for (int i = 0; i < d[0]; ++i) {
    for (int j = 0; j < d[1]; ++j) {
      for (int k = 0; k < d[2]; ++k) {
        Dims c{i, j, k};
        const int p = c[axis];
        double s = 0;
        for (int t = -1; t <= 1; ++t) {
          const int q = p + t;  // an even neighbour 2 m of p with |t| <= 1
          if (((q % 2) + 2) % 2 != 0) continue;
          Dims src = c;
          src[axis] = ((q + n) % n) / 2;
          s += (t == 0 ? 0.5 : 0.25) * out_cot[flat_index(o, src[0], src[1], src[2])];
        }
        in[flat_index(d, i, j, k)] = s;
      }
    }
  }
  o = d;
  return in;
}

/// v wrapped into [0, n).
double wrap(double v, int n) {
  v -= n * std::floor(v / n);
  return v >= n ? v - n : v;
}

/// The cloud-in-cell (trilinear) weights of the point u (in cells, each in [0, n)) of an n^3
/// periodic mesh: fn(flat index, weight) for the 8 surrounding points.
template <class Fn>
inline void for_each_corner(int n, const double* u, Fn&& fn) {
  const int i = std::min(static_cast<int>(u[0]), n - 1),
            j = std::min(static_cast<int>(u[1]), n - 1),
            k = std::min(static_cast<int>(u[2]), n - 1);
  const double fx = u[0] - i, fy = u[1] - j, fz = u[2] - k;
  const int i1 = i + 1 == n ? 0 : i + 1, j1 = j + 1 == n ? 0 : j + 1, k1 = k + 1 == n ? 0 : k + 1;
  const std::size_t nn = static_cast<std::size_t>(n);
  const std::size_t r00 = (i * nn + j) * nn, r01 = (i * nn + j1) * nn;
  const std::size_t r10 = (i1 * nn + j) * nn, r11 = (i1 * nn + j1) * nn;
  const double w00 = (1 - fx) * (1 - fy), w01 = (1 - fx) * fy, w10 = fx * (1 - fy), w11 = fx * fy;
  fn(r00 + k, w00 * (1 - fz));
  fn(r00 + k1, w00 * fz);
  fn(r01 + k, w01 * (1 - fz));
  fn(r01 + k1, w01 * fz);
  fn(r10 + k, w10 * (1 - fz));
  fn(r10 + k1, w10 * fz);
  fn(r11 + k, w11 * (1 - fz));
  fn(r11 + k1, w11 * fz);
}

/// Calls fn(level, u, weight) for every sample of the ray along `dir` from `observer` through
/// [seg_lo, seg_hi): u the sample's position in cells of `level` (each in [0, n)), weight =
/// (chi_1^3 - chi_0^3) / 3 x pixel solid angle. The samples are the midpoints of equal steps
/// of at most max(cell of level 0, step_factor x pixel size x chi); `level` is the finest
/// whose cell is not larger than the step. The position advances by one step per sample.
template <class Fn>
void for_each_sample(const DensityPyramid& pyr, const std::array<double, 3>& observer,
                     const vec3& dir, double seg_lo, double seg_hi, double pixel_rad, double omega,
                     const RaymarchOptions& o, Fn&& fn) {
  const double len = seg_hi - seg_lo;
  if (!(len > 0)) return;
  const double mid = 0.5 * (seg_lo + seg_hi);
  const double step = std::max(pyr.cell(0), o.step_factor * pixel_rad * mid);
  int level = 0;
  while (level + 1 < static_cast<int>(pyr.n.size()) && pyr.cell(level + 1) <= step) ++level;
  const int m = std::max(1, static_cast<int>(std::ceil(len / step)));
  const double dchi = len / m;
  const int n = pyr.n[level];
  const double inv_cell = n / pyr.box;
  const double d[3] = {dir.x, dir.y, dir.z};
  double u[3], du[3];
  for (int a = 0; a < 3; ++a) {
    u[a] = wrap((observer[a] + (seg_lo + 0.5 * dchi) * d[a]) * inv_cell, n);
    du[a] = dchi * d[a] * inv_cell;
  }
  double c0 = seg_lo;
  for (int k = 0; k < m; ++k) {
    const double c1 = seg_lo + (k + 1) * dchi;
    fn(level, u, (c1 * c1 * c1 - c0 * c0 * c0) * (omega / 3.0));
    c0 = c1;
    for (int a = 0; a < 3; ++a) {
      u[a] += du[a];
      while (u[a] >= n) u[a] -= n;
      while (u[a] < 0) u[a] += n;
    }
  }
}

/// Calls fn(pixel, shell, dir, lo, hi) for every pixel (RING index; dir its centre) and every
/// shell's part [lo, hi) of [chi_lo, chi_hi). Pixels go in blocks of up to 64 neighbours
/// (consecutive NESTED indices, a square patch of sky), blocks in parallel (static schedule),
/// and within a block shell by shell: neighbouring rays at similar distances read the same mesh
/// cells while they are in cache. Only the blocks of o.part out of o.parts.
template <class Fn>
void for_each_ray_segment(int nside, const std::vector<double>& edges, double chi_lo, double chi_hi,
                          const RaymarchOptions& o, Fn&& fn) {
  const T_Healpix_Base<int> nest(nside, NEST, SET_NSIDE);
  const int npix = nest.Npix();
  const int shells = static_cast<int>(edges.size()) - 1;
  int block = 1;
  while (block * 4 <= 64 && block * 4 <= nside * nside) block *= 4;
  // This call's share of the blocks: b = part + i parts.
  const int blocks = (npix / block - o.part + o.parts - 1) / o.parts;
#pragma omp parallel for schedule(static)
  for (int ib = 0; ib < blocks; ++ib) {
    const int b = o.part + ib * o.parts;
    std::array<vec3, 64> dir;
    std::array<int, 64> pix;
    for (int i = 0; i < block; ++i) {
      dir[i] = nest.pix2vec(b * block + i);
      pix[i] = nest.nest2ring(b * block + i);
    }
    for (int s = 0; s < shells; ++s) {
      const double lo = std::max(edges[s], chi_lo), hi = std::min(edges[s + 1], chi_hi);
      if (!(hi > lo)) continue;
      for (int i = 0; i < block; ++i) fn(pix[i], s, dir[i], lo, hi);
    }
  }
}

/// The solid angle of one pixel at `nside` [sr].
double pixel_solid_angle(int nside) { return 4.0 * M_PI / (12.0 * nside * nside); }

void check_shells(const std::vector<HealpixMap>& shells, const std::vector<double>& edges,
                  const char* what) {
  if (shells.size() + 1 != edges.size() || shells.empty()) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(shells.size()) +
                                " maps for " + std::to_string(edges.size()) +
                                " shell edges (allowed: one map per shell)");
  }
  for (const HealpixMap& m : shells) {
    if (m.nside != shells.front().nside || m.values.size() != m.pixels()) {
      throw std::invalid_argument(std::string(what) + ": maps of different nside or size");
    }
  }
}

}  // namespace

DensityPyramid DensityPyramid::from_counts(const std::vector<double>& counts, int n, double box,
                                           double max_cell) {
  if (n < 4 || counts.size() != static_cast<std::size_t>(n) * n * n) {
    throw std::invalid_argument("DensityPyramid: " + std::to_string(counts.size()) +
                                " counts for n = " + std::to_string(n) +
                                " (allowed: n >= 4 and n^3 counts)");
  }
  DensityPyramid p;
  p.box = box;
  const double volume = std::pow(box / n, 3);
  std::vector<double> level(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) level[i] = counts[i] / volume;
  Dims d{n, n, n};
  while (true) {
    p.n.push_back(d[0]);
    p.rho.emplace_back(level.begin(), level.end());
    if (d[0] % 2 != 0 || d[0] / 2 < 4 || 2 * box / d[0] > max_cell) break;
    for (int axis = 0; axis < 3; ++axis) level = halve_axis(level, d, axis);
  }
  return p;
}

std::vector<double> DensityPyramid::counts_vjp(std::vector<std::vector<double>> cot) const {
  for (int l = static_cast<int>(n.size()) - 1; l > 0; --l) {
    Dims o{n[l], n[l], n[l]};
    std::vector<double> up = std::move(cot[l]);
    for (int axis = 2; axis >= 0; --axis) up = halve_axis_vjp(up, o, axis);
    for (std::size_t i = 0; i < up.size(); ++i) cot[l - 1][i] += up[i];
  }
  const double volume = std::pow(cell(0), 3);
  for (double& v : cot[0]) v /= volume;
  return std::move(cot[0]);
}

std::size_t raymarch_healpix_shells(const DensityPyramid& pyr,
                                    const std::array<double, 3>& observer,
                                    const std::vector<double>& edges, double chi_lo, double chi_hi,
                                    const RaymarchOptions& options,
                                    std::vector<HealpixMap>& shells) {
  check_shells(shells, edges, "raymarch_healpix_shells");
  const int nside = shells.front().nside;
  const double omega = pixel_solid_angle(nside), pixel_rad = std::sqrt(omega);
  std::vector<std::size_t> samples(detail::max_threads(), 0);
  for_each_ray_segment(nside, edges, chi_lo, chi_hi, options,
                       [&](int pix, int s, const vec3& dir, double lo, double hi) {
                         double sum = 0;
                         std::size_t m = 0;
                         for_each_sample(pyr, observer, dir, lo, hi, pixel_rad, omega, options,
                                         [&](int level, const double* u, double w) {
                                           const float* r = pyr.rho[level].data();
                                           double v = 0;
                                           for_each_corner(
                                               pyr.n[level], u,
                                               [&](std::size_t c, double wc) { v += wc * r[c]; });
                                           sum += w * v;
                                           ++m;
                                         });
                         shells[s].values[pix] += sum;
                         samples[detail::thread_index()] += m;
                       });
  std::size_t total = 0;
  for (std::size_t c : samples) total += c;
  return total;
}

void raymarch_healpix_shells_vjp(const DensityPyramid& pyr, const std::array<double, 3>& observer,
                                 const std::vector<double>& edges, double chi_lo, double chi_hi,
                                 const RaymarchOptions& options,
                                 const std::vector<HealpixMap>& shells_cot,
                                 std::vector<std::vector<double>>& cot) {
  check_shells(shells_cot, edges, "raymarch_healpix_shells_vjp");
  // Per-thread cotangents summed in thread order: the same bits for the same thread count.
  const int threads = detail::max_threads();
  std::vector<std::vector<std::vector<double>>> local(threads);
  for (auto& l : local) {
    for (const auto& r : pyr.rho) l.emplace_back(r.size(), 0.0);
  }
  const int nside = shells_cot.front().nside;
  const double omega = pixel_solid_angle(nside), pixel_rad = std::sqrt(omega);
  for_each_ray_segment(
      nside, edges, chi_lo, chi_hi, options,
      [&](int pix, int s, const vec3& dir, double lo, double hi) {
        const double c = shells_cot[s].values[pix];
        std::vector<std::vector<double>>& out = local[detail::thread_index()];
        for_each_sample(pyr, observer, dir, lo, hi, pixel_rad, omega, options,
                        [&](int level, const double* u, double w) {
                          std::vector<double>& o = out[level];
                          for_each_corner(pyr.n[level], u,
                                          [&](std::size_t i, double wc) { o[i] += c * w * wc; });
                        });
      });
  for (const auto& l : local) {
    for (std::size_t level = 0; level < l.size(); ++level) {
      for (std::size_t i = 0; i < l[level].size(); ++i) cot[level][i] += l[level][i];
    }
  }
}

}  // namespace cosmograd::sim
