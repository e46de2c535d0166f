#include "sim/measure/fof.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/core/units.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kMaxCellsPerSide = 1024;

[[noreturn]] void bad(const std::string& what, const std::string& field, double value,
                      const std::string& allowed) {
  throw std::invalid_argument(what + ": " + field + " = " + std::to_string(value) +
                              " is out of range (allowed: " + allowed + ")");
}

/// x wrapped into [0, L).
inline double wrap(double x, double L) {
  x = std::fmod(x, L);
  if (x < 0) x += L;
  return x >= L ? 0.0 : x;
}

/// Minimum-image separation of dx in a box of side L.
inline double min_image(double dx, double L) {
  if (dx > 0.5 * L) return dx - L;
  if (dx < -0.5 * L) return dx + L;
  return dx;
}

/// Particles binned into nc^3 cubic cells of side >= min_cell (at most about one cell per
/// particle); positions wrapped into [0, L) and stored in cell order.
class CellList {
 public:
  template <class T>
  CellList(const std::vector<T>& pos, std::size_t n, double box, double min_cell) : box_(box) {
    const double by_size = std::floor(box / min_cell);
    const double by_count = std::floor(std::cbrt(static_cast<double>(n)));
    nc_ = static_cast<int>(std::max(1.0, std::min({by_size, by_count, double{kMaxCellsPerSide}})));
    cell_ = box / nc_;
    std::vector<std::size_t> cell_of(n);
    const std::size_t num_cells = static_cast<std::size_t>(nc_) * nc_ * nc_;
    start_.assign(num_cells + 1, 0);
    xyz_.resize(3 * n);
    std::vector<double> wrapped(3 * n);
#pragma omp parallel for schedule(static)
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t c = 0;
      for (int d = 0; d < 3; ++d) {
        const double x = wrap(static_cast<double>(pos[3 * j + d]), box);
        wrapped[3 * j + d] = x;
        c = c * nc_ + static_cast<std::size_t>(std::min(nc_ - 1, static_cast<int>(x / cell_)));
      }
      cell_of[j] = c;
    }
    for (std::size_t j = 0; j < n; ++j) ++start_[cell_of[j] + 1];
    for (std::size_t c = 0; c < num_cells; ++c) start_[c + 1] += start_[c];
    order_.resize(n);
    std::vector<std::size_t> fill(start_.begin(), start_.end() - 1);
    for (std::size_t j = 0; j < n; ++j) order_[fill[cell_of[j]]++] = j;
#pragma omp parallel for schedule(static)
    for (std::size_t s = 0; s < n; ++s) {
      for (int d = 0; d < 3; ++d) xyz_[3 * s + d] = wrapped[3 * order_[s] + d];
    }
  }

  int cells_per_side() const { return nc_; }
  double cell_size() const { return cell_; }
  std::size_t num_cells() const { return start_.size() - 1; }
  /// Slots [begin(c), end(c)) of cell c; slot s holds particle index(s) at x(s, d).
  std::size_t begin(std::size_t c) const { return start_[c]; }
  std::size_t end(std::size_t c) const { return start_[c + 1]; }
  std::size_t index(std::size_t s) const { return order_[s]; }
  double x(std::size_t s, int d) const { return xyz_[3 * s + d]; }

  /// The distinct cells within `reach` cells of cell (cx, cy, cz) along every axis.
  void neighbours(int cx, int cy, int cz, int reach, std::vector<std::size_t>& out) const {
    int axes[3][2 * kMaxCellsPerSide + 1];
    int counts[3];
    const int centre[3] = {cx, cy, cz};
    for (int d = 0; d < 3; ++d) {
      counts[d] = 0;
      if (2 * reach + 1 >= nc_) {
        for (int i = 0; i < nc_; ++i) axes[d][counts[d]++] = i;
      } else {
        for (int o = -reach; o <= reach; ++o) axes[d][counts[d]++] = (centre[d] + o + nc_) % nc_;
      }
    }
    out.clear();
    for (int i = 0; i < counts[0]; ++i) {
      for (int j = 0; j < counts[1]; ++j) {
        for (int k = 0; k < counts[2]; ++k) {
          out.push_back((static_cast<std::size_t>(axes[0][i]) * nc_ + axes[1][j]) * nc_ +
                        axes[2][k]);
        }
      }
    }
  }

  /// Squared distances (minimum image) of all particles within r of the point c, r <= L/2.
  void within(const std::array<double, 3>& c, double r, std::vector<double>& r2,
              std::vector<std::size_t>& cells) const {
    int cc[3];
    for (int d = 0; d < 3; ++d) cc[d] = std::min(nc_ - 1, static_cast<int>(c[d] / cell_));
    neighbours(cc[0], cc[1], cc[2], static_cast<int>(std::ceil(r / cell_)), cells);
    r2.clear();
    const double rr = r * r;
    for (std::size_t cell : cells) {
      for (std::size_t s = begin(cell); s < end(cell); ++s) {
        double d2 = 0;
        for (int d = 0; d < 3; ++d) {
          const double dx = min_image(x(s, d) - c[d], box_);
          d2 += dx * dx;
        }
        if (d2 <= rr) r2.push_back(d2);
      }
    }
  }

 private:
  double box_;
  int nc_ = 1;
  double cell_ = 0;
  std::vector<std::size_t> start_;
  std::vector<std::size_t> order_;
  std::vector<double> xyz_;
};

/// Lock-free union-find over n elements: a root's parent is itself and every parent index is
/// <= its child's, so unite links the larger root under the smaller and finds halve paths.
class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) {
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) parent_[i].store(i, std::memory_order_relaxed);
  }
  std::size_t find(std::size_t x) {
    while (true) {
      std::size_t p = parent_[x].load(std::memory_order_acquire);
      if (p == x) return x;
      const std::size_t gp = parent_[p].load(std::memory_order_acquire);
      if (gp != p) parent_[x].compare_exchange_weak(p, gp, std::memory_order_acq_rel);
      x = gp;
    }
  }
  void unite(std::size_t a, std::size_t b) {
    while (true) {
      a = find(a);
      b = find(b);
      if (a == b) return;
      if (a < b) std::swap(a, b);
      std::size_t expected = a;
      if (parent_[a].compare_exchange_strong(expected, b, std::memory_order_acq_rel)) return;
    }
  }

 private:
  std::vector<std::atomic<std::size_t>> parent_;
};

/// FoF on a built cell list; groups as particle indices (see FofGroups).
FofGroups link_groups(const CellList& cells, const std::vector<std::uint64_t>& ids, double box,
                      double link, int min_members) {
  const std::size_t n = ids.size();
  UnionFind uf(n);
  const int nc = cells.cells_per_side();
  const double link2 = link * link;
  const long long num_cells = static_cast<long long>(cells.num_cells());
#pragma omp parallel
  {
    std::vector<std::size_t> nb;
#pragma omp for schedule(dynamic, 64)
    for (long long c = 0; c < num_cells; ++c) {
      const std::size_t cell = static_cast<std::size_t>(c);
      if (cells.begin(cell) == cells.end(cell)) continue;
      const int cx = static_cast<int>(c / (static_cast<long long>(nc) * nc));
      const int cy = static_cast<int>((c / nc) % nc);
      const int cz = static_cast<int>(c % nc);
      cells.neighbours(cx, cy, cz, 1, nb);
      for (std::size_t s = cells.begin(cell); s < cells.end(cell); ++s) {
        const double x0 = cells.x(s, 0), y0 = cells.x(s, 1), z0 = cells.x(s, 2);
        for (std::size_t other : nb) {
          for (std::size_t t = std::max(s + 1, cells.begin(other)); t < cells.end(other); ++t) {
            const double dx = min_image(cells.x(t, 0) - x0, box);
            const double dy = min_image(cells.x(t, 1) - y0, box);
            const double dz = min_image(cells.x(t, 2) - z0, box);
            if (dx * dx + dy * dy + dz * dz <= link2) uf.unite(s, t);
          }
        }
      }
    }
  }
  // Roots per slot, group sizes, and the groups that are kept (in slot order of their roots).
  std::vector<std::size_t> root(n);
#pragma omp parallel for schedule(static)
  for (std::size_t s = 0; s < n; ++s) root[s] = uf.find(s);
  std::vector<std::size_t> size(n, 0);
  for (std::size_t s = 0; s < n; ++s) ++size[root[s]];
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> group_of_root(n, kNone);
  std::vector<std::size_t> first;  // per provisional group: offset into members
  std::size_t total = 0;
  for (std::size_t s = 0; s < n; ++s) {
    if (root[s] == s && size[s] >= static_cast<std::size_t>(min_members)) {
      group_of_root[s] = first.size();
      first.push_back(total);
      total += size[s];
    }
  }
  const std::size_t num_groups = first.size();
  first.push_back(total);
  std::vector<std::size_t> members(total);
  {
    std::vector<std::size_t> fill(first.begin(), first.end() - 1);
    for (std::size_t s = 0; s < n; ++s) {
      const std::size_t g = group_of_root[root[s]];
      if (g != kNone) members[fill[g]++] = cells.index(s);
    }
  }
  auto by_id = [&](std::size_t i, std::size_t j) {
    return ids[i] < ids[j] || (ids[i] == ids[j] && i < j);
  };
#pragma omp parallel for schedule(dynamic, 16)
  for (long long g = 0; g < static_cast<long long>(num_groups); ++g) {
    std::sort(members.begin() + first[g], members.begin() + first[g + 1], by_id);
  }
  // Final order: member count descending, then smallest id (the first member after sorting).
  std::vector<std::size_t> perm(num_groups);
  for (std::size_t g = 0; g < num_groups; ++g) perm[g] = g;
  std::sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) {
    const std::size_t na = first[a + 1] - first[a], nb = first[b + 1] - first[b];
    if (na != nb) return na > nb;
    return by_id(members[first[a]], members[first[b]]);
  });
  FofGroups out;
  out.members.reserve(total);
  for (std::size_t g : perm) {
    out.members.insert(out.members.end(), members.begin() + first[g],
                       members.begin() + first[g + 1]);
    out.offsets.push_back(out.members.size());
  }
  return out;
}

/// The largest sphere around the centre enclosing mean density >= rho_target: radius from
/// the outermost particle (sorted squared distances r2) at which M(<r) / (4/3 pi r^3) still
/// reaches the target, extended to where the density of that enclosed mass equals it, so
/// that M = 4/3 pi R^3 rho_target exactly. Returns {count, R}; {0, 0} when none.
std::pair<std::size_t, double> overdensity_radius(const std::vector<double>& r2, double m_particle,
                                                  double rho_target) {
  const double k = m_particle / (4.0 / 3.0 * kPi * rho_target);  // count -> R^3
  for (std::size_t i = r2.size(); i-- > 0;) {
    const double r3 = r2[i] * std::sqrt(r2[i]);
    if (static_cast<double>(i + 1) * k >= r3) {
      return {i + 1, std::cbrt(static_cast<double>(i + 1) * k)};
    }
  }
  return {0, 0.0};
}

/// Shrinking-sphere factor per step: the radius drops by 2.5% (Power et al. 2003, MNRAS 338,
/// 14).
constexpr double kShrinkFactor = 0.975;
/// The sphere stops shrinking before it would hold fewer than max(kShrinkMinMembers, 1% of
/// the members). Power et al. stop at 1000 particles or 1% of the initial ones, for halos of
/// 1e5-1e6 particles; FoF groups here start at 20 members, where 1000 would never move the
/// centre, so the floor is 8: the centroid of 8 points uniform in the last sphere of radius
/// r scatters by ~0.3 r (3-D rms), while a 20-member group still shrinks onto its densest
/// 40%. 1% keeps that scatter small for large groups at little cost.
constexpr std::size_t kShrinkMinMembers = 8;
/// Cap on shrinking steps (0.975^2000 ~ 1e-22): reached only when >= 8 members coincide.
constexpr int kMaxShrinkSteps = 2000;

/// Smallest number of members the shrinking sphere may hold for a group of `count`.
std::size_t shrink_stop_count(std::size_t count) {
  return std::max(kShrinkMinMembers, count / 100);
}

/// Shrinking-sphere centre (Power et al. 2003, MNRAS 338, 14) of points `off`
/// (3 per point [Mpc/h], offsets from their centre of mass, overwritten) in a box of side L:
/// start at the centre of mass with radius r0 (holding every point), then repeatedly shrink
/// the radius by kShrinkFactor and move the centre to the centre of mass of the points of
/// the previous sphere inside the new one (minimum-image distances; a point once left out
/// stays out, which saves rescanning all members), until fewer than shrink_stop_count points
/// would remain. Serial and in a fixed order, so deterministic.
/// Returns the centre relative to the centre of mass [Mpc/h].
std::array<double, 3> shrinking_sphere_offset(std::vector<double>& off, double r0, double L) {
  std::size_t active = off.size() / 3;
  const std::size_t stop = shrink_stop_count(active);
  std::array<double, 3> c{};
  double r = r0;
  for (int step = 0; step < kMaxShrinkSteps && r > 0; ++step) {
    const double rn = r * kShrinkFactor;
    std::size_t kept = 0;
    std::array<double, 3> sum{};
    for (std::size_t k = 0; k < active; ++k) {
      double dx[3], d2 = 0;
      for (int d = 0; d < 3; ++d) {
        dx[d] = min_image(off[3 * k + d] - c[d], L);
        d2 += dx[d] * dx[d];
      }
      if (d2 > rn * rn) continue;
      for (int d = 0; d < 3; ++d) {
        sum[d] += dx[d];
        off[3 * kept + d] = off[3 * k + d];  // compact the points still inside
      }
      ++kept;
    }
    if (kept < stop) break;
    for (int d = 0; d < 3; ++d) c[d] += sum[d] / static_cast<double>(kept);
    active = kept;
    r = rn;
  }
  return c;
}

void check_header(const SnapshotHeader& h, const char* what) {
  if (!(h.box_size > 0) || !std::isfinite(h.box_size))
    bad(what, "box_size", h.box_size, "> 0 Mpc/h");
  if (!(h.a > 0) || !std::isfinite(h.a)) bad(what, "a", h.a, "> 0");
  if (!(h.particle_mass > 0) || !std::isfinite(h.particle_mass)) {
    bad(what, "particle_mass", h.particle_mass, "> 0 [1e10 Msun/h]");
  }
  if (!(h.Omega_m > 0) || h.Omega_m > 1) bad(what, "Omega_m", h.Omega_m, "0 < Omega_m <= 1");
}

}  // namespace

void FofOptions::validate() const {
  if (!(linking_length > 0) || linking_length > 1) {
    bad("FofOptions", "linking_length", linking_length, "0 < b <= 1 mean separations");
  }
  if (min_members < 2) bad("FofOptions", "min_members", min_members, ">= 2");
}

double mean_overdensity_density(double delta, double Omega_m) {
  return delta * Omega_m * units::rho_crit_h2;
}

double critical_overdensity_density(double delta, const Cosmology& cosmo, double a) {
  const double e = cosmo.E(a);
  return delta * units::rho_crit_h2 * e * e * a * a * a;
}

CosmologyParams cosmology_from_header(const SnapshotHeader& header, const CosmologyParams& base) {
  if (header.has_cosmology) {
    CosmologyParams p = header.cosmology;
    p.Omega_m = header.Omega_m;
    p.h = header.h;
    p.validate();
    return p;
  }
  CosmologyParams p = base;
  p.Omega_m = header.Omega_m;
  p.h = header.h;
  p.Omega_k = 1.0 - header.Omega_m - header.Omega_lambda;
  if (std::abs(p.Omega_k) < 1e-6) p.Omega_k = 0.0;
  p.validate();
  return p;
}

template <class T>
FofGroups fof_groups(const std::vector<T>& pos, const std::vector<std::uint64_t>& ids,
                     double box_size, double link, int min_members) {
  if (!(box_size > 0) || !std::isfinite(box_size))
    bad("fof_groups", "box_size", box_size, "> 0 Mpc/h");
  if (!(link > 0) || !(link < 0.5 * box_size)) {
    bad("fof_groups", "link", link, "0 < link < box_size / 2 [Mpc/h]");
  }
  if (min_members < 1) bad("fof_groups", "min_members", min_members, ">= 1");
  if (pos.size() != 3 * ids.size()) {
    bad("fof_groups", "pos.size()", static_cast<double>(pos.size()), "3 x ids.size()");
  }
  const CellList cells(pos, ids.size(), box_size, link);
  return link_groups(cells, ids, box_size, link, min_members);
}

template <class T>
HaloCatalog find_halos(const std::vector<T>& pos, const std::vector<T>& mom,
                       const std::vector<std::uint64_t>& ids, const SnapshotHeader& header,
                       const FofOptions& options) {
  options.validate();
  check_header(header, "find_halos");
  const std::size_t n = ids.size();
  if (pos.size() != 3 * n)
    bad("find_halos", "pos.size()", static_cast<double>(pos.size()), "3 x ids.size()");
  if (mom.size() != 3 * n)
    bad("find_halos", "mom.size()", static_cast<double>(mom.size()), "3 x ids.size()");
  const double L = header.box_size;
  const double link = n == 0 ? L : options.linking_length * L / std::cbrt(static_cast<double>(n));
  const Cosmology cosmo(cosmology_from_header(header));
  const double rho_m200 = mean_overdensity_density(200.0, header.Omega_m);
  const double rho_c200 = critical_overdensity_density(200.0, cosmo, header.a);
  const double m_p = header.particle_mass * 1.0e10;  // Msun/h
  const double to_km_s = units::H0_km_s_per_mpc_h / header.a;

  HaloCatalog cat;
  cat.header = header;
  cat.linking_length = options.linking_length;
  cat.min_members = options.min_members;
  if (n == 0) return cat;
  const CellList cells(pos, n, L, std::min(link, 0.49 * L));
  const FofGroups groups = link_groups(cells, ids, L, link, options.min_members);
  const std::size_t ng = groups.size();
  cat.halos.resize(ng);
  cat.offsets.assign(groups.offsets.begin(), groups.offsets.end() - 1);
  cat.ids.resize(groups.members.size());
  for (std::size_t k = 0; k < groups.members.size(); ++k) cat.ids[k] = ids[groups.members[k]];

#pragma omp parallel
  {
    std::vector<double> r2, off;
    std::vector<std::size_t> nb;
#pragma omp for schedule(dynamic, 1)
    for (long long gi = 0; gi < static_cast<long long>(ng); ++gi) {
      const std::size_t g = static_cast<std::size_t>(gi);
      const std::size_t b = groups.offsets[g], e = groups.offsets[g + 1];
      const double cnt = static_cast<double>(e - b);
      Halo& h = cat.halos[g];
      h.num_members = e - b;
      h.mass = cnt * m_p;
      h.first_id = ids[groups.members[b]];
      // Centre of mass, unwrapped relative to the first member.
      std::array<double, 3> ref{}, sum{}, vsum{};
      for (int d = 0; d < 3; ++d)
        ref[d] = wrap(static_cast<double>(pos[3 * groups.members[b] + d]), L);
      for (std::size_t k = b; k < e; ++k) {
        const std::size_t j = groups.members[k];
        for (int d = 0; d < 3; ++d) {
          sum[d] += min_image(wrap(static_cast<double>(pos[3 * j + d]), L) - ref[d], L);
          vsum[d] += to_km_s * static_cast<double>(mom[3 * j + d]);
        }
      }
      for (int d = 0; d < 3; ++d) {
        h.pos[d] = wrap(ref[d] + sum[d] / cnt, L);
        h.vel[d] = vsum[d] / cnt;
      }
      double dv2 = 0, rmax2 = 0;
      off.clear();
      for (std::size_t k = b; k < e; ++k) {
        const std::size_t j = groups.members[k];
        double d2 = 0;
        for (int d = 0; d < 3; ++d) {
          const double dv = to_km_s * static_cast<double>(mom[3 * j + d]) - h.vel[d];
          const double dx = min_image(wrap(static_cast<double>(pos[3 * j + d]), L) - h.pos[d], L);
          dv2 += dv * dv;
          d2 += dx * dx;
          off.push_back(dx);
        }
        rmax2 = std::max(rmax2, d2);
      }
      h.vel_disp = std::sqrt(dv2 / (3.0 * cnt));
      h.radius = std::sqrt(rmax2);
      // Spherical overdensity around the density peak (shrinking-sphere centre), not the
      // centre of mass, which for small or irregular groups sits where no sphere reaches
      // 200x the reference density.
      const std::array<double, 3> shift = shrinking_sphere_offset(off, h.radius, L);
      for (int d = 0; d < 3; ++d) h.so_pos[d] = wrap(h.pos[d] + shift[d], L);
      double so_rmax2 = 0;
      for (std::size_t k = b; k < e; ++k) {
        const std::size_t j = groups.members[k];
        double d2 = 0;
        for (int d = 0; d < 3; ++d) {
          const double dx =
              min_image(wrap(static_cast<double>(pos[3 * j + d]), L) - h.so_pos[d], L);
          d2 += dx * dx;
        }
        so_rmax2 = std::max(so_rmax2, d2);
      }
      // Grow the search sphere until both radii lie inside it (or it reaches half the box).
      const double rho_low = std::min(rho_m200, rho_c200);
      double search =
          std::max(std::sqrt(so_rmax2), std::cbrt(h.mass / (4.0 / 3.0 * kPi * rho_low))) * 1.25;
      while (true) {
        search = std::min(search, 0.5 * L);
        cells.within(h.so_pos, search, r2, nb);
        std::sort(r2.begin(), r2.end());
        const auto mean = overdensity_radius(r2, m_p, rho_m200);
        const auto crit = overdensity_radius(r2, m_p, rho_c200);
        if ((mean.second < search && crit.second < search) || search >= 0.5 * L) {
          h.m200m = static_cast<double>(mean.first) * m_p;
          h.r200m = mean.second;
          h.m200c = static_cast<double>(crit.first) * m_p;
          h.r200c = crit.second;
          break;
        }
        search *= 2.0;
      }
    }
  }
  return cat;
}

template <class T>
HaloCatalog find_halos(const SnapshotData<T>& snap, const FofOptions& options) {
  return find_halos(snap.pos, snap.mom, snap.ids, snap.header, options);
}

template <class T>
HaloCatalog find_halos(const Particles<T>& p, const SnapshotHeader& header,
                       const FofOptions& options) {
  if (std::abs(header.box_size - p.box_size) > 1e-12 * std::abs(p.box_size)) {
    bad("find_halos", "header.box_size", header.box_size,
        "the particles' box_size " + std::to_string(p.box_size) + " Mpc/h");
  }
  const std::size_t n = p.size();
  std::vector<T> pos(3 * n);
  std::vector<std::uint64_t> ids(n);
#pragma omp parallel for schedule(static)
  for (std::size_t j = 0; j < n; ++j) {
    for (int d = 0; d < 3; ++d) pos[3 * j + d] = static_cast<T>(p.position(j, d));
    ids[j] = p.id[j] + 1;
  }
  return find_halos(pos, p.mom, ids, header, options);
}

#define COSMOGRAD_FOF_INSTANTIATE(T)                                                           \
  template FofGroups fof_groups<T>(const std::vector<T>&, const std::vector<std::uint64_t>&,   \
                                   double, double, int);                                       \
  template HaloCatalog find_halos<T>(const std::vector<T>&, const std::vector<T>&,             \
                                     const std::vector<std::uint64_t>&, const SnapshotHeader&, \
                                     const FofOptions&);                                       \
  template HaloCatalog find_halos<T>(const SnapshotData<T>&, const FofOptions&);               \
  template HaloCatalog find_halos<T>(const Particles<T>&, const SnapshotHeader&, const FofOptions&);
COSMOGRAD_FOF_INSTANTIATE(float)
COSMOGRAD_FOF_INSTANTIATE(double)
#undef COSMOGRAD_FOF_INSTANTIATE

}  // namespace cosmograd::sim
