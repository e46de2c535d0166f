// Device memory, cuFFT plans and CUDA-event timers behind a plain C++ interface (implemented in
// sim/pm/cuda/device_memory.cu; no CUDA headers here). Every CUDA and cuFFT call is checked and a
// failure throws CallError naming the call (sim/core/check_cuda.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cosmograd::sim::cuda {

/// Checked cudaMalloc of `bytes` (what: a name for the error message); nullptr for 0 bytes.
void* device_alloc(std::size_t bytes, const char* what);
/// cudaFree (errors are reported to stderr: destructors must not throw).
void device_free(void* p) noexcept;
/// Checked host-to-device copy of `bytes`.
void copy_to_device(void* dst, const void* src, std::size_t bytes);
/// Checked device-to-host copy of `bytes` (synchronises).
void copy_to_host(void* dst, const void* src, std::size_t bytes);
/// Checked device-to-device copy of `bytes`.
void copy_on_device(void* dst, const void* src, std::size_t bytes);
/// Checked cudaMemset to zero of `bytes`.
void device_zero(void* p, std::size_t bytes);
/// cudaDeviceSynchronize, then cudaGetLastError; `what` names the work waited for.
void device_synchronize(const char* what);
/// Checks cudaGetLastError after a kernel launch named `kernel`.
void check_launch(const char* kernel);
/// Free and total device memory [bytes].
std::pair<std::size_t, std::size_t> device_memory_info();

/// An owning, move-only array of `size()` values of T in device memory.
template <class T>
class DeviceBuffer {
 public:
  /// An empty buffer.
  DeviceBuffer() = default;
  /// `count` uninitialised values; `what` names it in allocation errors.
  explicit DeviceBuffer(std::size_t count, const char* what = "DeviceBuffer")
      : data_(static_cast<T*>(device_alloc(count * sizeof(T), what))), size_(count) {}
  ~DeviceBuffer() { device_free(data_); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      device_free(data_);
      data_ = o.data_;
      size_ = o.size_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() { return data_; }                              ///< device pointer
  const T* data() const { return data_; }                  ///< device pointer
  std::size_t size() const { return size_; }               ///< number of values
  std::size_t bytes() const { return size_ * sizeof(T); }  ///< size in bytes
  /// Sets every value to zero.
  void zero() { device_zero(data_, bytes()); }
  /// Copies size() values from host memory.
  void upload(const T* host) { copy_to_device(data_, host, bytes()); }
  /// Copies size() values to host memory.
  void download(T* host) const { copy_to_host(host, data_, bytes()); }
  /// The values as a host vector.
  std::vector<T> to_host() const {
    std::vector<T> v(size_);
    download(v.data());
    return v;
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// In-place 3-D r2c / c2r cuFFT plans of an n^3 mesh on the padded Field layout (R2C/C2R for
/// float, D2Z/Z2D for double), unnormalised as FFTW. Plans are cached per (n, precision) for
/// the process; the two plans of one n share one work area.
template <class T>
class DeviceFft {
 public:
  /// Plans (or fetches) the transforms of an n^3 mesh.
  explicit DeviceFft(int n);
  /// Real to complex, in place on `data` (device, padded layout).
  void forward(T* data) const;
  /// Complex to real, in place (the padding is left undefined).
  void backward(T* data) const;
  /// Mesh cells per side.
  int n() const { return n_; }

 private:
  int n_;
  const void* plans_;  // the cached plan pair
};

/// Frees every cached cuFFT plan and work area (also done at exit).
void release_fft_plans();

/// Elapsed device time of named phases, measured with CUDA events on the default stream:
/// begin(name) ... end() pairs are recorded without synchronising; collect() waits and adds
/// each phase's milliseconds to its total.
class PhaseTimer {
 public:
  PhaseTimer();
  ~PhaseTimer();
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  /// Turns recording on or off (off: begin and end do nothing).
  void enable(bool on) { enabled_ = on; }
  /// Whether recording is on.
  bool enabled() const { return enabled_; }
  /// Records the start of phase `name` (a string literal; phases do not nest).
  void begin(const char* name);
  /// Records the end of the phase begun last.
  void end();
  /// Synchronises and adds the recorded phases to the totals.
  void collect();
  /// Accumulated milliseconds per phase name, in first-seen order [ms].
  const std::vector<std::pair<std::string, double>>& totals() const { return totals_; }
  /// Clears the totals.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool enabled_ = false;
  std::vector<std::pair<std::string, double>> totals_;
};

/// Device time of one region measured with a pair of CUDA events [ms].
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  /// Records the start event.
  void start();
  /// Records the stop event, waits for it and returns the elapsed time [ms].
  double stop();

 private:
  void* start_;
  void* stop_;
};

}  // namespace cosmograd::sim::cuda
