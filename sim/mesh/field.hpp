// Field<T>: a real mesh with in-place r2c padding and its complex (Fourier) view.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>

#include "sim/core/aligned_buffer.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cosmograd::sim {

/// A mesh over this rank's slab. Real values live at real_index(); after a forward FFT
/// the same memory holds complex modes at complex_index(). Ghost planes of the
/// decomposition (if any) live in a separate buffer, reached through plane(). T = float or
/// double.
template <class T>
class Field {
 public:
  /// A zero-filled field over `decomp`.
  explicit Field(const Decomposition& decomp)
      : decomp_(decomp),
        data_(decomp.alloc_real_size()),
        ghosts_(static_cast<std::size_t>(decomp.ghost_lo() + decomp.ghost_hi()) *
                decomp.plane_size()) {
    fill(T(0));
  }
  Field(Field&&) noexcept = default;
  Field& operator=(Field&&) noexcept = default;
  /// Deep copy (explicit, fields are large).
  Field clone() const {
    Field f(decomp_);
    std::copy(data_.data(), data_.data() + data_.size(), f.data_.data());
    std::copy(ghosts_.data(), ghosts_.data() + ghosts_.size(), f.ghosts_.data());
    return f;
  }

  const Decomposition& decomp() const { return decomp_; }  ///< the mesh layout
  int n() const { return decomp_.n(); }                    ///< cells per side
  T* real() { return data_.data(); }                       ///< padded real values
  const T* real() const { return data_.data(); }           ///< padded real values
  /// Complex view of the same memory (valid in Fourier space).
  std::complex<T>* complex() { return reinterpret_cast<std::complex<T>*>(data_.data()); }
  /// Complex view of the same memory (valid in Fourier space).
  const std::complex<T>* complex() const {
    return reinterpret_cast<const std::complex<T>*>(data_.data());
  }
  /// Real cell (local x, y, z).
  T& at(int xl, int y, int z) { return data_[decomp_.real_index(xl, y, z)]; }
  /// Real cell (local x, y, z).
  T at(int xl, int y, int z) const { return data_[decomp_.real_index(xl, y, z)]; }
  /// Fourier mode (local x, y, z).
  std::complex<T>& mode(int xl, int y, int z) { return complex()[decomp_.complex_index(xl, y, z)]; }
  /// Fourier mode (local x, y, z).
  std::complex<T> mode(int xl, int y, int z) const {
    return complex()[decomp_.complex_index(xl, y, z)];
  }
  /// Padded real plane xl in [-ghost_lo, nx_local + ghost_hi) (ghosts included).
  T* plane(int xl) {
    const std::size_t ps = decomp_.plane_size();
    if (xl < 0) return ghosts_.data() + static_cast<std::size_t>(xl + decomp_.ghost_lo()) * ps;
    if (xl < decomp_.nx_local()) return data_.data() + static_cast<std::size_t>(xl) * ps;
    return ghosts_.data() +
           static_cast<std::size_t>(decomp_.ghost_lo() + xl - decomp_.nx_local()) * ps;
  }
  /// Padded real plane xl in [-ghost_lo, nx_local + ghost_hi) (ghosts included).
  const T* plane(int xl) const { return const_cast<Field*>(this)->plane(xl); }
  /// Sets every value, padding and ghosts included, to v (in parallel: first touch places
  /// pages).
  void fill(T v) {
    fill_range(data_.data(), data_.size(), v);
    fill_ghosts(v);
  }
  /// Sets the ghost planes to v.
  void fill_ghosts(T v) { fill_range(ghosts_.data(), ghosts_.size(), v); }
  /// Total number of T values in the buffer (padding included).
  std::size_t buffer_size() const { return data_.size(); }

 private:
  static void fill_range(T* p, std::size_t n, T v) {
    const std::ptrdiff_t size = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < size; ++i) p[i] = v;
  }
  Decomposition decomp_;
  AlignedBuffer<T> data_;
  AlignedBuffer<T> ghosts_;
};

}  // namespace cosmograd::sim
