// Fft<T> over the built-in FFT (sim/mesh/detail/fft_kernels.hpp): compiled instead of
// sim/mesh/fft.cpp when FFTW is not found, so the CPU engine (the oracle of the CUDA backend)
// builds on a machine without Debian's FFTW. Serial only (one slab); threads come from OpenMP.
#include <stdexcept>
#include <string>

#include "sim/mesh/detail/fft_kernels.hpp"
#include "sim/mesh/fft.hpp"

namespace cosmograd::sim {

template <class T>
Fft<T>::Fft(const Decomposition& decomp, int threads, FftPlanning /*planning*/,
            FourierLayout /*layout: serial meshes keep slabs*/)
    : n_(decomp.n()) {
  if (decomp.nx_local() != decomp.n()) {
    throw std::invalid_argument(
        "Fft: the built-in FFT (this build has no FFTW) needs the whole mesh on one slab");
  }
  if (threads < 1) {
    throw std::invalid_argument("threads = " + std::to_string(threads) +
                                " is not allowed (allowed: >= 1)");
  }
  // Both "plans" are the cached 1-D plan of length n; it lives for the process.
  const detail::Fft1d<T>* plan = &detail::fft1d_plan<T>(n_);
  forward_plan_ = plan;
  backward_plan_ = plan;
}

template <class T>
void Fft<T>::forward(Field<T>& f) const {
  detail::fft3d_r2c(*static_cast<const detail::Fft1d<T>*>(forward_plan_), f.real());
}

template <class T>
void Fft<T>::backward(Field<T>& f) const {
  detail::fft3d_c2r(*static_cast<const detail::Fft1d<T>*>(backward_plan_), f.real());
}

template class Fft<float>;
template class Fft<double>;

}  // namespace cosmograd::sim
