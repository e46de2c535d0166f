#include "sim/sky/lightcone.hpp"

#include <healpix_base.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/check.hpp"
#include "sim/core/timer.hpp"
#include "sim/mesh/detail/paint_loops.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/sky/healpix_interpolation.hpp"
#include "sim/sky/shell_raymarch.hpp"

namespace cosmograd::sim {
namespace {

constexpr double kDeg = M_PI / 180.0;

/// Whether nside is a power of two in 1..8192.
bool valid_nside(int nside) { return nside >= 1 && nside <= 8192 && (nside & (nside - 1)) == 0; }

/// A hash of (id, replica) in [0, 1): the catalogue's random subsample.
double unit_hash(std::uint64_t id, std::uint64_t replica) {
  std::uint64_t x = id * 0x9E3779B97F4A7C15ull ^ (replica + 0x632BE59BD9B4E019ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

/// The flat map's cloud-in-cell weights of a point at tangent-plane (xi, eta) [rad]: pixel
/// ix0, iy0 (may be outside the map) and the fractions toward ix0 + 1, iy0 + 1.
struct FlatCic {
  int ix0, iy0;
  double fx, fy;
};
FlatCic flat_cic(const FlatMap& m, double xi, double eta) {
  const double d = m.pixel_rad();
  const double gx = xi / d + 0.5 * m.n - 0.5, gy = eta / d + 0.5 * m.n - 0.5;
  const double fx0 = std::floor(gx), fy0 = std::floor(gy);
  return {static_cast<int>(fx0), static_cast<int>(fy0), gx - fx0, gy - fy0};
}

/// Colatitude and longitude of r (observer frame) [rad] and their gradients with respect to r.
struct SkyDirection {
  double theta = 0, phi = 0;
  std::array<double, 3> dtheta{}, dphi{};  // [rad / (Mpc/h)]
};
SkyDirection sky_direction(const std::array<double, 3>& r) {
  SkyDirection d;
  const double rho2 = r[0] * r[0] + r[1] * r[1], rho = std::sqrt(rho2);
  const double r2 = rho2 + r[2] * r[2];
  d.theta = std::atan2(rho, r[2]);
  d.phi = std::atan2(r[1], r[0]);
  if (rho > 0) {
    d.dtheta = {r[2] * r[0] / (rho * r2), r[2] * r[1] / (rho * r2), -rho / r2};
    d.dphi = {-r[1] / rho2, r[0] / rho2, 0.0};
  }
  return d;
}

}  // namespace

void LightconeSpec::validate(double box_size) const {
  if (shell_edges.size() < 2) {
    throw std::invalid_argument("lightcone shell_edges has " + std::to_string(shell_edges.size()) +
                                " entries (allowed: at least 2 increasing distances in Mpc/h)");
  }
  for (std::size_t i = 0; i < shell_edges.size(); ++i) {
    if (!(shell_edges[i] >= 0) || (i > 0 && !(shell_edges[i] > shell_edges[i - 1]))) {
      throw std::invalid_argument("lightcone shell_edges[" + std::to_string(i) +
                                  "] = " + std::to_string(shell_edges[i]) +
                                  " Mpc/h (allowed: >= 0 and increasing)");
    }
  }
  if (nside != 0 && !valid_nside(nside)) {
    throw std::invalid_argument("lightcone_nside = " + std::to_string(nside) +
                                " (allowed: 0 for none, or a power of 2 from 1 to 8192)");
  }
  if (!(flat_field_deg >= 0 && flat_field_deg <= 60)) {
    throw std::invalid_argument("lightcone_field_deg = " + std::to_string(flat_field_deg) +
                                " deg (allowed: 0 for none, or up to 60)");
  }
  if (flat_field_deg > 0 && (flat_pixels < 4 || flat_pixels > 16384)) {
    throw std::invalid_argument("lightcone_field_pixels = " + std::to_string(flat_pixels) +
                                " (allowed: 4 to 16384)");
  }
  if (cells < 1 || cells > 256) {
    throw std::invalid_argument("lightcone cells = " + std::to_string(cells) +
                                " (allowed: 1 to 256)");
  }
  for (int k = 0; k < 3; ++k) {
    if (!(observer[k] >= 0 && observer[k] <= box_size)) {
      throw std::invalid_argument(
          "lightcone_observer[" + std::to_string(k) + "] = " + std::to_string(observer[k]) +
          " Mpc/h (allowed: 0 to the box size " + std::to_string(box_size) + ")");
    }
  }
  if (!(particle_fraction >= 0 && particle_fraction <= 1)) {
    throw std::invalid_argument("lightcone_particle_fraction = " +
                                std::to_string(particle_fraction) + " (allowed: 0 to 1)");
  }
  if (!(particle_cone_deg > 0 && particle_cone_deg <= 180)) {
    throw std::invalid_argument("lightcone_particle_cone_deg = " +
                                std::to_string(particle_cone_deg) + " (allowed: > 0 to 180)");
  }
  if (healpix_mesh != 0 && (healpix_mesh < 8 || healpix_mesh > 2048)) {
    throw std::invalid_argument("lightcone healpix_mesh = " + std::to_string(healpix_mesh) +
                                " (allowed: 0 for deposits per crossing, or 8 to 2048 points)");
  }
  if (healpix_mesh > 0 && healpix_bilinear) {
    throw std::invalid_argument(
        "lightcone: HEALPix shells are either ray-marched through a mesh or deposited "
        "bilinearly per crossing (allowed: one of lightcone_healpix_deposit = mesh, bilinear)");
  }
  if (!(raymarch_step >= 0.25 && raymarch_step <= 4)) {
    throw std::invalid_argument("lightcone raymarch_step = " + std::to_string(raymarch_step) +
                                " (allowed: 0.25 to 4 pixel sizes)");
  }
  if (nside == 0 && flat_field_deg == 0 && particle_fraction == 0) {
    throw std::invalid_argument(
        "the lightcone records nothing (allowed: lightcone_nside > 0, lightcone_field_deg > 0 "
        "or lightcone_particle_fraction > 0)");
  }
}

std::vector<double> uniform_shell_edges(double chi_max, double width) {
  if (!(width > 0) || !(chi_max > 0)) {
    throw std::invalid_argument(
        "lightcone_shell_width = " + std::to_string(width) +
        " Mpc/h (allowed: > 0, with chi(z_max) = " + std::to_string(chi_max) + " > 0)");
  }
  std::vector<double> edges{0.0};
  while (edges.back() + width < chi_max * (1 - 1e-12)) edges.push_back(edges.back() + width);
  edges.push_back(chi_max);
  return edges;
}

template <class T>
Lightcone<T>::Lightcone(const LightconeSpec& spec, double box_size, int n_side, const Comm& comm)
    : spec_(spec), box_(box_size), n_side_(n_side), comm_(comm) {
  spec_.validate(box_size);
  const double chi_max = spec_.shell_edges.back() + 0.125 * box_size;  // + room to move
  sky_replicas_ = lightcone_replicas(box_size, spec_.observer, chi_max, SkyCone{}, false,
                                     spec_.cells, spec_.seed);
  const int shells = static_cast<int>(spec_.shell_edges.size()) - 1;
  if (spec_.nside > 0) {
    healpix_.assign(shells, HealpixMap{spec_.nside, {}});
    if (!spec_.healpix_bilinear && spec_.healpix_mesh == 0) counts_.resize(shells);
  }
  if (spec_.flat_field_deg > 0) {
    // The field plus one pixel on each side (cloud-in-cell reaches one pixel), to its corner.
    const double half = 0.5 * spec_.flat_field_deg * kDeg * (1.0 + 2.0 / spec_.flat_pixels);
    flat_cone_.half_angle = std::atan(std::sqrt(2.0) * half);
    flat_replicas_ = lightcone_replicas(box_size, spec_.observer, chi_max, flat_cone_,
                                        spec_.shuffle, spec_.cells, spec_.seed);
    flat_.assign(shells, FlatMap::filled(spec_.flat_pixels, spec_.flat_field_deg));
  }
}

template <class T>
void Lightcone<T>::bind(const Cosmology& cosmology, const CosmologyDual* dual,
                        const StepSchedule& schedule) {
  steps_ = schedule.steps();
  if (steps_ < 1 || std::abs(schedule.a(steps_) - 1.0) > 1e-9) {
    throw std::invalid_argument(
        "the lightcone needs a run that ends at a = 1 (the observer's time), got a_final = " +
        std::to_string(schedule.a(steps_)));
  }
  const double chi_init = cosmology.chi(schedule.a(0));
  if (spec_.shell_edges.back() > chi_init) {
    throw std::invalid_argument("the lightcone's outer edge " +
                                std::to_string(spec_.shell_edges.back()) +
                                " Mpc/h lies beyond chi(a_init) = " + std::to_string(chi_init) +
                                " Mpc/h (allowed: z_max below the initial redshift " +
                                std::to_string(1 / schedule.a(0) - 1) + ")");
  }
  // Grid point i stands for the scale factors between the midpoints to its neighbours (the
  // first from a_init, the last to a = 1): the slab of distances its density fills.
  state_chi_lo_.assign(steps_ + 1, 0.0);
  state_chi_hi_.assign(steps_ + 1, 0.0);
  for (int i = 0; i <= steps_; ++i) {
    const double a_lo = i == 0 ? schedule.a(0) : 0.5 * (schedule.a(i - 1) + schedule.a(i));
    const double a_hi = i == steps_ ? 1.0 : 0.5 * (schedule.a(i) + schedule.a(i + 1));
    state_chi_hi_[i] = cosmology.chi(a_lo);
    state_chi_lo_[i] = i == steps_ ? 0.0 : cosmology.chi(a_hi);
  }
  chi_.clear();
  chi_dual_.clear();
  drift_dual_.clear();
  a_.clear();
  for (int i = 0; i < steps_; ++i) {
    const StepFactors& f = schedule[i];
    a_.push_back(drift_scale_factor(cosmology, f.a0, f.a1));
    chi_.push_back(drift_chi(cosmology, f.a0, f.a1));
    drift_dual_.push_back(f.drift);
    if (dual != nullptr) chi_dual_.push_back(drift_chi(*dual, f.a0, f.a1));
  }
}

template <class T>
int Lightcone<T>::shell_of(double chi) const {
  const auto& e = spec_.shell_edges;
  if (!(chi >= e.front() && chi < e.back())) return -1;
  return static_cast<int>(std::upper_bound(e.begin(), e.end(), chi) - e.begin()) - 1;
}

template <class T>
double Lightcone<T>::mean_particles_per_sr(int shell) const {
  const double nbar = std::pow(static_cast<double>(n_side_) / box_, 3);
  const double lo = spec_.shell_edges.at(shell), hi = spec_.shell_edges.at(shell + 1);
  return nbar * (hi * hi * hi - lo * lo * lo) / 3.0;
}

template <class T>
bool Lightcone<T>::wants_state(int step) const {
  return step == 0 || step == steps_ || slab_reaches_shells(step);
}

template <class T>
bool Lightcone<T>::slab_reaches_shells(int step) const {
  if (!raymarched() || step < 0 || step >= static_cast<int>(state_chi_lo_.size())) return false;
  return state_chi_hi_[step] > spec_.shell_edges.front() &&
         state_chi_lo_[step] < spec_.shell_edges.back();
}

template <class T>
void Lightcone<T>::raymarch(const Particles<T>& p, double chi_lo, double chi_hi) {
  const int m = spec_.healpix_mesh;
  Field<T> mesh{Decomposition(m)};
  paint(mesh, p, box_, PaintKernel::cic, T(1));
  std::vector<double> counts(static_cast<std::size_t>(m) * m * m);
  const std::size_t nzp = mesh.decomp().nz_padded();
  for (std::size_t i = 0; i < static_cast<std::size_t>(m) * m; ++i) {
    for (int k = 0; k < m; ++k) counts[i * m + k] = mesh.real()[i * nzp + k];
  }
  // Every rank's particles on every rank; each rank marches its share of the pixels, and the
  // maps are summed at the last step.
  if (comm_.distributed()) comm_.sum(counts.data(), counts.size());
  // Levels down to the step the outermost rays take.
  const double pixel_rad = std::sqrt(4.0 * M_PI / healpix_.front().pixels());
  const double max_cell = spec_.raymarch_step * pixel_rad * spec_.shell_edges.back();
  const DensityPyramid pyr = DensityPyramid::from_counts(counts, m, box_, max_cell);
  RaymarchOptions o;
  o.step_factor = spec_.raymarch_step;
  o.part = comm_.rank();
  o.parts = comm_.size();
  ray_samples_ +=
      raymarch_healpix_shells(pyr, spec_.observer, spec_.shell_edges, chi_lo, chi_hi, o, healpix_);
}

template <class T>
void Lightcone<T>::on_state(const StepInfo& info, const Particles<T>& p) {
  if (info.step == 0) {
    // Integer counts during the run (an atomic add per crossing, half a double map's memory).
    for (std::size_t s = 0; s < healpix_.size(); ++s) {
      if (counts_.empty()) {
        healpix_[s].values.assign(healpix_[s].pixels(), 0.0);
      } else {
        healpix_[s].values.clear();
        healpix_[s].values.shrink_to_fit();
        counts_[s].assign(healpix_[s].pixels(), 0);
      }
    }
    for (auto& m : flat_) std::fill(m.values.begin(), m.values.end(), 0.0);
    catalogue_ = LightconeParticles{};
    crossings_ = 0;
    ray_samples_ = 0;
  }
  if (slab_reaches_shells(info.step)) {
    Stopwatch sw;
    raymarch(p, state_chi_lo_.at(info.step), state_chi_hi_.at(info.step));
    seconds_ += sw.seconds();
  }
  if (info.step == steps_) {
    for (std::size_t s = 0; s < healpix_.size(); ++s) {
      if (!counts_.empty()) {
        healpix_[s].values.assign(counts_[s].begin(), counts_[s].end());
        counts_[s] = std::vector<std::uint32_t>();
      }
      if (comm_.distributed()) comm_.sum(healpix_[s].values.data(), healpix_[s].values.size());
    }
    if (comm_.distributed()) {
      for (auto& m : flat_) comm_.sum(m.values.data(), m.values.size());
    }
  }
}

template <class T>
template <class Fn>
void Lightcone<T>::for_each_crossing(const DriftInfo& info, const Particles<T>& p,
                                     const std::vector<Replica>& replicas, const SkyCone& cone,
                                     bool exclusive, Fn&& fn) {
  if (info.step < 0 || info.step >= static_cast<int>(chi_.size())) {
    throw std::logic_error("Lightcone: bind() the schedule before the run");
  }
  const DriftChi<double>& chi = chi_[info.step];
  const double lo_edge = spec_.shell_edges.front(), hi_edge = spec_.shell_edges.back();
  const double chi_hi = std::min(chi.chi0, hi_edge), chi_lo = std::max(chi.chi1, lo_edge);
  if (!(chi_hi > chi_lo)) return;  // this drift's lightcone lies outside the shells
  const std::size_t np = p.size();
  const double L = box_, D = info.factor;
  const int nc = spec_.cells;
  const double cs = L / nc;
  // Bin by chaining cell of the wrapped position x(a1); the drift's largest move D |p|.
  std::vector<std::uint32_t> cell_of(np);
  double move2 = 0;
#pragma omp parallel for reduction(max : move2) schedule(static)
  for (std::size_t j = 0; j < np; ++j) {
    int c = 0;
    double m2 = 0;
    for (int d = 0; d < 3; ++d) {
      double x = p.lattice(j, d) + static_cast<double>(p.disp[3 * j + d]);
      x -= L * std::floor(x / L);
      c = c * nc + std::min(nc - 1, static_cast<int>(x / cs));
      const double dx = D * static_cast<double>(p.mom[3 * j + d]);
      m2 += dx * dx;
    }
    cell_of[j] = static_cast<std::uint32_t>(c);
    move2 = std::max(move2, m2);
  }
  const double margin = std::sqrt(move2) + 1e-6 * L;
  const std::size_t ncell = static_cast<std::size_t>(nc) * nc * nc;
  cells_.cells = nc;
  cells_.start.assign(ncell + 1, 0);
  for (std::size_t j = 0; j < np; ++j) ++cells_.start[cell_of[j] + 1];
  for (std::size_t c = 0; c < ncell; ++c) cells_.start[c + 1] += cells_.start[c];
  cells_.order.resize(np);
  {
    std::vector<std::uint32_t> next(cells_.start.begin(), cells_.start.end() - 1);
    for (std::size_t j = 0; j < np; ++j) {
      cells_.order[next[cell_of[j]]++] = static_cast<std::uint32_t>(j);
    }
  }
  // Wrapped positions and drift vectors in cell order: the replicas below read them many times.
  moved_.resize(6 * np);
#pragma omp parallel for schedule(static)
  for (std::size_t s = 0; s < np; ++s) {
    const std::uint32_t j = cells_.order[s];
    for (int d = 0; d < 3; ++d) {
      double x = p.lattice(j, d) + static_cast<double>(p.disp[3 * j + d]);
      x -= L * std::floor(x / L);
      moved_[6 * s + d] = static_cast<T>(x);
      moved_[6 * s + 3 + d] = static_cast<T>(D * static_cast<double>(p.mom[3 * j + d]));
    }
  }
  // The (replica, cell) pairs whose cell may hold a crossing, in a fixed order (replicas in
  // parallel, then concatenated).
  const auto& o = spec_.observer;
  std::vector<std::vector<std::uint32_t>> cells_of(replicas.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (std::size_t ri = 0; ri < replicas.size(); ++ri) {
    const Replica& R = replicas[ri];
    std::array<double, 3> blo{}, bhi{};
    for (int k = 0; k < 3; ++k) {
      blo[k] = R.n[k] * L - o[k] - margin;
      bhi[k] = blo[k] + L + 2 * margin;
    }
    const auto range = box_distance_range(blo, bhi);
    if (range[0] > chi_hi || range[1] < chi_lo) continue;
    // A replica inside the drift's shell and the cone: every occupied cell.
    const bool all = range[0] >= chi_lo && range[1] <= chi_hi && cone.full_sky();
    for (std::size_t c = 0; c < ncell; ++c) {
      if (cells_.start[c] == cells_.start[c + 1]) continue;
      if (!all) {
        std::array<double, 3> lo{}, hi{};
        for (int k = 0; k < 3; ++k) {
          const int d = R.perm[k];
          const std::size_t cd = d == 0 ? c / (nc * nc) : d == 1 ? (c / nc) % nc : c % nc;
          lo[k] = R.n[k] * L - o[k] + ((static_cast<int>(cd) + R.shift[d]) % nc) * cs - margin;
          hi[k] = lo[k] + cs + 2 * margin;
        }
        const auto r = box_distance_range(lo, hi);
        if (r[0] > chi_hi || r[1] < chi_lo || !box_may_meet_cone(lo, hi, cone)) continue;
      }
      cells_of[ri].push_back(static_cast<std::uint32_t>(c));
    }
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> work;
  std::vector<std::size_t> replica_start{0};
  for (std::size_t ri = 0; ri < replicas.size(); ++ri) {
    for (std::uint32_t c : cells_of[ri]) work.emplace_back(static_cast<std::uint32_t>(ri), c);
    replica_start.push_back(work.size());
    cells_of[ri] = std::vector<std::uint32_t>();
  }
  // The particles of one (replica, cell) pair.
  auto visit = [&](const std::pair<std::uint32_t, std::uint32_t>& item, int tid) {
    const Replica& R = replicas[item.first];
    const std::size_t c = item.second;
    const int cidx[3] = {static_cast<int>(c / (nc * nc)), static_cast<int>((c / nc) % nc),
                         static_cast<int>(c % nc)};
    double offset[3];
    for (int k = 0; k < 3; ++k) {
      const int d = R.perm[k];
      const double wrap = R.shift[d] * cs - (cidx[d] + R.shift[d] >= nc ? L : 0.0);
      offset[k] = wrap + R.n[k] * L - o[k];
    }
    for (std::uint32_t s = cells_.start[c]; s < cells_.start[c + 1]; ++s) {
      const T* xv = &moved_[6 * static_cast<std::size_t>(s)];
      std::array<double, 3> q{}, v{};
      for (int k = 0; k < 3; ++k) {
        const int d = R.perm[k];
        v[k] = static_cast<double>(xv[3 + d]);
        q[k] = static_cast<double>(xv[d]) + offset[k] - v[k];
      }
      Crossing x;
      if (!find_crossing(q, v, chi, x)) continue;
      if (!(x.chi >= lo_edge && x.chi < hi_edge)) continue;
      fn(tid, cells_.order[s], item.first, q, v, x);
    }
  };
  if (exclusive) {
    // A particle in one thread at a time: replicas one after another, cells in parallel.
    for (std::size_t ri = 0; ri < replicas.size(); ++ri) {
      const std::ptrdiff_t b = static_cast<std::ptrdiff_t>(replica_start[ri]);
      const std::ptrdiff_t e = static_cast<std::ptrdiff_t>(replica_start[ri + 1]);
#pragma omp parallel for schedule(static)
      for (std::ptrdiff_t i = b; i < e; ++i) visit(work[i], detail::thread_index());
    }
  } else {
    const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(work.size());
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < n; ++i) visit(work[i], detail::thread_index());
  }
}

template <class T>
void Lightcone<T>::on_drift(const DriftInfo& info, const Particles<T>& p) {
  Stopwatch sw;
  const int threads = detail::max_threads();
  std::vector<std::uint64_t> counts(threads, 0);
  const bool catalogue = spec_.particle_fraction > 0;
  if (!counts_.empty() || catalogue) {
    const T_Healpix_Base<int> base(std::max(1, spec_.nside), RING, SET_NSIDE);
    const double cos_cone = std::cos(spec_.particle_cone_deg * kDeg);
    const DriftChi<double>& a_of_u = a_[info.step];
    std::vector<LightconeParticles> found(catalogue ? threads : 0);
    for_each_crossing(info, p, sky_replicas_, SkyCone{}, false,
                      [&](int tid, std::uint32_t j, std::size_t ri, const auto&, const auto& v,
                          const Crossing& x) {
                        const int s = shell_of(x.chi);
                        if (!counts_.empty()) {
                          const int pix = base.vec2pix(vec3(x.r[0], x.r[1], x.r[2]));
                          std::uint32_t& cell = counts_[s][pix];
#pragma omp atomic
                          ++cell;
                          ++counts[tid];
                        }
                        if (catalogue && x.r[2] >= cos_cone * x.chi &&
                            unit_hash(p.id[j], ri) < spec_.particle_fraction) {
                          // a at the crossing (the catalogue's redshift; the maps do not use it)
                          // and the velocity v = 100 p / a km/s (sim/core/units.hpp).
                          const double a = a_of_u(x.u);
                          LightconeParticles& c = found[tid];
                          c.id.push_back(p.id[j]);
                          c.replica.push_back(static_cast<std::uint32_t>(ri));
                          for (int k = 0; k < 3; ++k) {
                            c.pos.push_back(x.r[k]);
                            c.vel.push_back(100.0 * v[k] / info.factor / a);
                          }
                          c.a.push_back(a);
                        }
                      });
    // In thread order (each thread's share of the static schedule): the same catalogue, in the
    // same order, for the same thread count.
    for (const LightconeParticles& c : found) {
      catalogue_.id.insert(catalogue_.id.end(), c.id.begin(), c.id.end());
      catalogue_.replica.insert(catalogue_.replica.end(), c.replica.begin(), c.replica.end());
      catalogue_.pos.insert(catalogue_.pos.end(), c.pos.begin(), c.pos.end());
      catalogue_.vel.insert(catalogue_.vel.end(), c.vel.begin(), c.vel.end());
      catalogue_.a.insert(catalogue_.a.end(), c.a.begin(), c.a.end());
    }
  }
  if (spec_.healpix_bilinear && !healpix_.empty()) {
    // Per-thread maps of the shells this drift reaches, summed in thread order: the same bits
    // for the same thread count.
    const auto& e = spec_.shell_edges;
    const DriftChi<double>& chi = chi_[info.step];
    const int last = static_cast<int>(healpix_.size()) - 1;
    const int s_lo = std::max(0, shell_of(std::max(chi.chi1, e.front())) - 1);
    const int s_hi = std::min(last, shell_of(std::min(chi.chi0, e.back() * (1 - 1e-15))) + 1);
    if (chi.chi1 < e.back() && chi.chi0 >= e.front()) {
      const std::size_t npix = healpix_.front().pixels();
      const int active = s_hi - s_lo + 1;
      std::vector<std::vector<double>> local(static_cast<std::size_t>(threads) * active,
                                             std::vector<double>(npix, 0.0));
      for_each_crossing(
          info, p, sky_replicas_, SkyCone{}, false,
          [&](int tid, std::uint32_t, std::size_t, const auto&, const auto&, const Crossing& x) {
            const SkyDirection dir = sky_direction(x.r);
            const HealpixBilinear w = healpix_bilinear(spec_.nside, dir.theta, dir.phi);
            const int a = shell_of(x.chi) - s_lo;
            COSMOGRAD_ASSERT(a >= 0 && a < active, "a crossing outside the drift's shells");
            std::vector<double>& m = local[static_cast<std::size_t>(tid) * active + a];
            for (int k = 0; k < 4; ++k) m[w.pixel[k]] += w.weight[k];
            ++counts[tid];
          });
      for (int t = 0; t < threads; ++t) {
        for (int a = 0; a < active; ++a) {
          const std::vector<double>& m = local[static_cast<std::size_t>(t) * active + a];
          std::vector<double>& out = healpix_[s_lo + a].values;
          for (std::size_t i = 0; i < npix; ++i) out[i] += m[i];
        }
      }
    }
  }
  if (!flat_.empty()) {
    // Per-thread maps, summed in thread order: the same bits for the same thread count.
    std::vector<std::vector<FlatMap>> local(
        threads, std::vector<FlatMap>(flat_.size(),
                                      FlatMap::filled(spec_.flat_pixels, spec_.flat_field_deg)));
    const int n = spec_.flat_pixels;
    for_each_crossing(
        info, p, flat_replicas_, flat_cone_, false,
        [&](int tid, std::uint32_t, std::size_t, const auto&, const auto&, const Crossing& x) {
          if (!(x.r[2] > 0)) return;
          FlatMap& m = local[tid][shell_of(x.chi)];
          const FlatCic w = flat_cic(m, x.r[0] / x.r[2], x.r[1] / x.r[2]);
          bool any = false;
          for (int dy = 0; dy < 2; ++dy) {
            const int iy = w.iy0 + dy;
            if (iy < 0 || iy >= n) continue;
            const double wy = dy ? w.fy : 1 - w.fy;
            for (int dx = 0; dx < 2; ++dx) {
              const int ix = w.ix0 + dx;
              if (ix < 0 || ix >= n) continue;
              m.values[static_cast<std::size_t>(iy) * n + ix] += wy * (dx ? w.fx : 1 - w.fx);
              any = true;
            }
          }
          if (any && healpix_.empty()) ++counts[tid];
        });
    for (const auto& maps : local) {
      for (std::size_t s = 0; s < flat_.size(); ++s) {
        for (std::size_t i = 0; i < flat_[s].values.size(); ++i)
          flat_[s].values[i] += maps[s].values[i];
      }
    }
  }
  for (auto c : counts) crossings_ += c;
  seconds_ += sw.seconds();
}

template <class T>
void Lightcone<T>::set_flat_cotangent(std::vector<FlatMap> cot) {
  if (!cot.empty()) {
    if (cot.size() != flat_.size()) {
      throw std::invalid_argument("set_flat_cotangent: " + std::to_string(cot.size()) +
                                  " maps for " + std::to_string(flat_.size()) +
                                  " flat shells (allowed: one per shell)");
    }
    for (const auto& m : cot) {
      if (m.n != spec_.flat_pixels || m.values.size() != m.pixels()) {
        throw std::invalid_argument(
            "set_flat_cotangent: a map of " + std::to_string(m.n) +
            " pixels per side (allowed: " + std::to_string(spec_.flat_pixels) + ")");
      }
    }
  }
  flat_cot_ = std::move(cot);
}

template <class T>
void Lightcone<T>::set_healpix_cotangent(std::vector<HealpixMap> cot) {
  if (!cot.empty()) {
    if (!spec_.healpix_bilinear) {
      throw std::invalid_argument(
          "set_healpix_cotangent: the HEALPix shells are deposited to the nearest pixel or "
          "ray-marched through a mesh, neither of which has a gradient here (allowed: a "
          "lightcone with healpix_bilinear = true)");
    }
    if (cot.size() != healpix_.size()) {
      throw std::invalid_argument("set_healpix_cotangent: " + std::to_string(cot.size()) +
                                  " maps for " + std::to_string(healpix_.size()) +
                                  " HEALPix shells (allowed: one per shell)");
    }
    for (const auto& m : cot) {
      if (m.nside != spec_.nside || m.values.size() != m.pixels()) {
        throw std::invalid_argument("set_healpix_cotangent: a map of nside " +
                                    std::to_string(m.nside) +
                                    " (allowed: " + std::to_string(spec_.nside) + ")");
      }
    }
  }
  healpix_cot_ = std::move(cot);
}

template <class T>
void Lightcone<T>::drift_cotangent(const DriftInfo& info, const Particles<T>& p,
                                   StateCotangent<T>& cot) {
  if (!has_drift_cotangent()) return;
  Stopwatch sw;
  if (info.step == steps_ - 1) param_grad_.fill(0.0);  // the reverse pass starts here
  const int threads = detail::max_threads();
  // Per thread: dJ/dD and dJ/d(chi0, slope0, chi1, slope1) of this drift.
  std::vector<std::array<double, 5>> partial(threads, std::array<double, 5>{});
  const double D = info.factor;
  // dJ/d(crossing point) -> dJ/d x(a1), dJ/d p(ah) of particle j and the drift's parameters:
  // r = q + u v with F(u) = |q + u v| - chi(u) = 0 (implicit function theorem; the crossing
  // set held fixed), q = perm(x1 + wrap) - v + offset and v = D perm(p).
  auto chain = [&](int tid, std::uint32_t j, const Replica& R, const std::array<double, 3>& v,
                   const Crossing& x, const std::array<double, 3>& gr) {
    double gu = 0;
    for (int k = 0; k < 3; ++k) gu += gr[k] * v[k];
    const double s = gu / x.dF_du;
    double gD = 0;
    for (int k = 0; k < 3; ++k) {
      const int dim = R.perm[k];
      const double gq = gr[k] - s * x.r[k] / x.chi;
      const double gv = x.u * gq - gq;  // through r = q + u v, and q's -v
      cot.disp[3 * j + dim] += static_cast<T>(gq);
      cot.mom[3 * j + dim] += static_cast<T>(D * gv);
      gD += gv * static_cast<double>(p.mom[3 * j + dim]);
    }
    const auto h = DriftChi<double>::basis(x.u);
    auto& acc = partial[tid];
    acc[0] += gD;
    for (int b = 0; b < 4; ++b) acc[1 + b] += s * h[b];  // du/dc_b = h_b / F_u
  };
  if (!flat_cot_.empty()) {
    const int n = spec_.flat_pixels;
    const double d = flat_cot_.front().pixel_rad();
    for_each_crossing(
        info, p, flat_replicas_, flat_cone_, true,
        [&](int tid, std::uint32_t j, std::size_t ri, const auto&, const auto& v,
            const Crossing& x) {
          if (!(x.r[2] > 0)) return;
          const FlatMap& g = flat_cot_[shell_of(x.chi)];
          const FlatCic w = flat_cic(g, x.r[0] / x.r[2], x.r[1] / x.r[2]);
          // dJ/d(gx, gy) of the cloud-in-cell weights (the pixels held fixed).
          double g_gx = 0, g_gy = 0;
          for (int dy = 0; dy < 2; ++dy) {
            const int iy = w.iy0 + dy;
            if (iy < 0 || iy >= n) continue;
            const double wy = dy ? w.fy : 1 - w.fy, dwy = dy ? 1.0 : -1.0;
            for (int dx = 0; dx < 2; ++dx) {
              const int ix = w.ix0 + dx;
              if (ix < 0 || ix >= n) continue;
              const double c = g.values[static_cast<std::size_t>(iy) * n + ix];
              const double wx = dx ? w.fx : 1 - w.fx, dwx = dx ? 1.0 : -1.0;
              g_gx += c * dwx * wy;
              g_gy += c * wx * dwy;
            }
          }
          if (g_gx == 0 && g_gy == 0) return;
          // xi = r_x / r_z, eta = r_y / r_z; gx = xi / d + const.
          const double gxi = g_gx / d, geta = g_gy / d;
          chain(tid, j, flat_replicas_[ri], v, x,
                {gxi / x.r[2], geta / x.r[2], -(gxi * x.r[0] + geta * x.r[1]) / (x.r[2] * x.r[2])});
        });
  }
  if (!healpix_cot_.empty()) {
    for_each_crossing(info, p, sky_replicas_, SkyCone{}, true,
                      [&](int tid, std::uint32_t j, std::size_t ri, const auto&, const auto& v,
                          const Crossing& x) {
                        const HealpixMap& g = healpix_cot_[shell_of(x.chi)];
                        const SkyDirection dir = sky_direction(x.r);
                        const HealpixBilinear w = healpix_bilinear(spec_.nside, dir.theta, dir.phi);
                        double g_theta = 0, g_phi = 0;
                        for (int k = 0; k < 4; ++k) {
                          g_theta += g.values[w.pixel[k]] * w.d_theta[k];
                          g_phi += g.values[w.pixel[k]] * w.d_phi[k];
                        }
                        if (g_theta == 0 && g_phi == 0) return;
                        std::array<double, 3> gr{};
                        for (int k = 0; k < 3; ++k)
                          gr[k] = g_theta * dir.dtheta[k] + g_phi * dir.dphi[k];
                        chain(tid, j, sky_replicas_[ri], v, x, gr);
                      });
  }
  if (!chi_dual_.empty()) {
    std::array<double, 5> total{};
    for (const auto& a : partial) {
      for (int b = 0; b < 5; ++b) total[b] += a[b];
    }
    const DriftChi<CosmoDual>& c = chi_dual_[info.step];
    const CosmoDual& f = drift_dual_[info.step];
    for (int i = 0; i < kNumCosmoParams; ++i) {
      param_grad_[i] += total[0] * f.d[i] + total[1] * c.chi0.d[i] + total[2] * c.slope0.d[i] +
                        total[3] * c.chi1.d[i] + total[4] * c.slope1.d[i];
    }
  }
  seconds_ += sw.seconds();
}

template <class T>
void Lightcone<T>::add_parameter_gradient(std::array<double, kNumCosmoParams>& g) const {
  std::array<double, kNumCosmoParams> mine = param_grad_;
  if (comm_.distributed()) comm_.sum(mine.data(), mine.size());
  for (int i = 0; i < kNumCosmoParams; ++i) g[i] += mine[i];
}

template class Lightcone<float>;
template class Lightcone<double>;

}  // namespace cosmograd::sim
