// A heap array aligned for SIMD and FFTW (64 bytes), without value initialisation.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace cosmograd::sim {

/// Owning, move-only array of `size()` elements of trivially copyable T, 64-byte aligned.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  /// Allocates n elements (uninitialised); throws std::bad_alloc.
  explicit AlignedBuffer(std::size_t n) : size_(n) {
    if (n == 0) return;
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  T* data() { return data_; }                                    ///< first element
  const T* data() const { return data_; }                        ///< first element
  std::size_t size() const { return size_; }                     ///< element count
  T& operator[](std::size_t i) { return data_[i]; }              ///< element i
  const T& operator[](std::size_t i) const { return data_[i]; }  ///< element i

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cosmograd::sim
