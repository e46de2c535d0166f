// The global mesh and this rank's slab of it (FFTW-MPI's slab layout).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace cosmograd::sim {

/// A cubic periodic mesh of n^3 cells split into x-slabs, one per rank.
/// Real space: this rank owns planes x in [x_begin, x_begin + nx_local) with layout
/// [x_local][y][z_padded], z_padded = 2 (n/2 + 1) (in-place r2c padding).
/// Fourier space: layout [x_local][y][z] with z in [0, n/2] (the non-transposed FFTW
/// layout; an MPI build may use the transposed one through the same accessors).
class Decomposition {
 public:
  /// Serial decomposition: one slab holding the whole mesh.
  explicit Decomposition(int n) : Decomposition(n, 0, n) {}
  /// Slab [x_begin, x_begin + nx_local) of an n^3 mesh; throws std::invalid_argument
  /// when n < 2, n is odd, or the slab is out of range.
  Decomposition(int n, int x_begin, int nx_local);

  int n() const { return n_; }                        ///< cells per side
  int x_begin() const { return x_begin_; }            ///< first owned x plane
  int nx_local() const { return nx_local_; }          ///< owned x planes
  int nz_padded() const { return 2 * (n_ / 2 + 1); }  ///< real-space z stride
  int nz_complex() const { return n_ / 2 + 1; }       ///< complex z extent
  /// Number of real cells this rank owns (without padding).
  std::size_t local_cells() const { return static_cast<std::size_t>(nx_local_) * n_ * n_; }
  /// Number of real values in the padded local buffer.
  std::size_t local_real_size() const {
    return static_cast<std::size_t>(nx_local_) * n_ * nz_padded();
  }
  /// Number of complex values in the local Fourier buffer.
  std::size_t local_complex_size() const {
    return static_cast<std::size_t>(nx_local_) * n_ * nz_complex();
  }
  /// Offset of real cell (local x, y, z) in the padded buffer.
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
};

}  // namespace cosmograd::sim
