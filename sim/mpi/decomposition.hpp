// The global mesh and this rank's slab of it (FFTW-MPI's slab layout), with optional ghost
// planes beside the slab for painting and readout across slab boundaries.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/mpi/comm.hpp"

namespace cosmograd::sim {

/// A cubic periodic mesh of n^3 cells split into x-slabs, one per rank of a Comm.
/// Real space: this rank owns planes x in [x_begin, x_begin + nx_local) with layout
/// [x_local][y][z_padded], z_padded = 2 (n/2 + 1) (in-place r2c padding); it may also hold
/// ghost_lo() planes below and ghost_hi() planes above (periodically wrapped), stored apart
/// (Field::plane()). Fourier space: layout [x_local][y][z] with z in [0, n/2] (FFTW-MPI's
/// non-transposed output).
class Decomposition {
 public:
  /// Serial decomposition: one slab holding the whole mesh.
  explicit Decomposition(int n) : Decomposition(n, 0, n) {}
  /// Slab [x_begin, x_begin + nx_local) of an n^3 mesh on one rank; throws
  /// std::invalid_argument when n < 2, n is odd, or the slab is out of range.
  Decomposition(int n, int x_begin, int nx_local);
  /// FFTW-MPI's slabs of an n^3 mesh over `comm`: blocks of ceil(n / size) planes in rank
  /// order (trailing ranks may hold fewer, or none).
  Decomposition(int n, const Comm& comm);

  int n() const { return n_; }                              ///< cells per side
  int x_begin() const { return x_begin_; }                  ///< first owned x plane
  int nx_local() const { return nx_local_; }                ///< owned x planes
  int nz_padded() const { return 2 * (n_ / 2 + 1); }        ///< real-space z stride
  int nz_complex() const { return n_ / 2 + 1; }             ///< complex z extent
  const Comm& comm() const { return comm_; }                ///< the ranks sharing the mesh
  bool distributed() const { return comm_.distributed(); }  ///< more than one rank
  int ghost_lo() const { return ghost_lo_; }                ///< ghost planes below the slab
  int ghost_hi() const { return ghost_hi_; }                ///< ghost planes above the slab
  /// This layout with lo ghost planes below and hi above (clipped so that slab and ghosts
  /// together hold at most n planes; none when serial).
  Decomposition with_ghosts(int lo, int hi) const;
  /// First plane of rank r's slab.
  int slab_begin(int r) const { return (*starts_)[static_cast<std::size_t>(r)]; }
  /// Number of planes of rank r's slab.
  int slab_size(int r) const { return slab_begin(r + 1) - slab_begin(r); }
  /// The rank owning global plane x in [0, n).
  int owner(int x) const;
  /// Local plane index in [-ghost_lo, nx_local + ghost_hi) of global plane x in [0, n), or
  /// kNotHeld when this rank holds no copy of it.
  int local_plane(int x) const {
    int xl = x - x_begin_;
    if (xl < -ghost_lo_) xl += n_;
    if (xl >= nx_local_ + ghost_hi_) xl -= n_;
    return xl >= -ghost_lo_ && xl < nx_local_ + ghost_hi_ ? xl : kNotHeld;
  }
  /// local_plane()'s answer for a plane this rank does not hold.
  static constexpr int kNotHeld = INT_MIN;
  /// Global plane in [0, n) of local plane xl (ghosts included).
  int global_plane(int xl) const { return ((x_begin_ + xl) % n_ + n_) % n_; }
  /// Number of real cells this rank owns (without padding or ghosts).
  std::size_t local_cells() const { return static_cast<std::size_t>(nx_local_) * n_ * n_; }
  /// Number of real values of one padded plane.
  std::size_t plane_size() const { return static_cast<std::size_t>(n_) * nz_padded(); }
  /// Number of real values in the padded local buffer (owned planes).
  std::size_t local_real_size() const { return nx_local_ * plane_size(); }
  /// Number of complex values in the local Fourier buffer.
  std::size_t local_complex_size() const {
    return static_cast<std::size_t>(nx_local_) * n_ * nz_complex();
  }
  /// Real values to allocate for the owned planes: local_real_size(), or more when the
  /// distributed FFT needs room for its transposes (FFTW-MPI's alloc_local).
  std::size_t alloc_real_size() const { return alloc_real_; }
  /// How many reals per rank the distributed FFT needs for an n^3 mesh over comm. The FFT
  /// backend that can plan distributed transforms installs it (sim/mesh/fft.cpp: FFTW-MPI's
  /// local_size); without one, a bound for slab transposes is used.
  using DistributedAllocRule = std::size_t (*)(int n, const Comm& comm);
  static void set_distributed_alloc_rule(DistributedAllocRule rule);
  /// Offset of real cell (local x, y, z) in the padded buffer (owned planes).
  std::size_t real_index(int xl, int y, int z) const {
    return (static_cast<std::size_t>(xl) * n_ + y) * nz_padded() + z;
  }
  /// Offset of Fourier mode (local x, y, z) in the complex buffer.
  std::size_t complex_index(int xl, int y, int z) const {
    return (static_cast<std::size_t>(xl) * n_ + y) * nz_complex() + z;
  }
  /// Signed wavenumber index in [-n/2, n/2) of the global array index i in [0, n).
  int signed_mode(int i) const { return i < n_ / 2 ? i : i - n_; }
  /// Integer wavenumbers (kx, ky, kz) of local complex element (xl, y, z); kz >= 0,
  /// kx, ky in [-n/2, n/2).
  std::array<int, 3> mode_of(int xl, int y, int z) const {
    return {signed_mode(x_begin_ + xl), signed_mode(y), z};
  }

 private:
  int n_;
  int x_begin_;
  int nx_local_;
  Comm comm_ = Comm::self();
  std::shared_ptr<const std::vector<int>> starts_;  // slab_begin of every rank, then n
  int ghost_lo_ = 0;
  int ghost_hi_ = 0;
  std::size_t alloc_real_ = 0;
};

}  // namespace cosmograd::sim
