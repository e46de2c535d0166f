// The engine on an accelerator, as DifferentiableSim sees it: the run-time choice of
// `device = cuda` goes through this interface, so no physics code needs the CUDA headers or
// an #ifdef. sim/cuda/cuda_sim.cu implements it; a build without CUDA links
// sim/device_sim_unavailable.cpp, whose factory says why it cannot.
#pragma once

#include <memory>

#include "sim/adjoint.hpp"

namespace cosmograd::sim {

/// DifferentiableSim's forward model and adjoint with its state on a device (lattice order).
template <class T>
class DeviceSim {
 public:
  virtual ~DeviceSim() = default;
  /// The real-space white noise of the config's seed (bitwise the CPU's).
  virtual Field<T> white_noise() const = 0;
  /// Runs forward from the real-space noise w (particle grid) and keeps what backward needs.
  virtual void forward(const Field<T>& w) = 0;
  /// Copies the particle state (ids, disp, mom [Mpc/h]) to the host.
  virtual void state(Particles<T>& host) const = 0;
  /// dJ/dw and dJ/dtheta given cotangents of the final state; runs the state back to a_init.
  virtual SimGradients<T> backward(const StateCotangent<T>& final_cot) = 0;
};

/// The CUDA engine for c; throws std::invalid_argument when this build has no CUDA backend or
/// no GPU is visible, or for settings it does not support (checkpoint mode, ic_linear_field).
template <class T>
std::unique_ptr<DeviceSim<T>> make_cuda_sim(const SimConfig& c, GradientMode mode,
                                            int checkpoint_every);

}  // namespace cosmograd::sim
