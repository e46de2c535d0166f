// The engine's differentiable operators as LibTorch autograd ops: the whole PM simulation
// (white noise and cosmological parameters -> final particles, gradients by the engine's
// reverse-time adjoint, sim/pm/adjoint.hpp), its CIC density, and paint / readout on their own.
// Every op runs on the CPU; tensors are float32 or float64 (the engine's T), cosmological
// parameters and their gradients are always float64.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "sim/mesh/field.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::nn {

/// A contiguous (n, n, n) CPU tensor (dtype of T) copied out of the padded real-space
/// Field<T> (serial decomposition); the copy goes through a zero-copy strided view.
template <class T>
torch::Tensor field_to_tensor(const sim::Field<T>& field);

/// Copies an (n, n, n) CPU tensor of T's dtype into the real cells of `field` (an n^3 serial
/// Field<T>); throws std::invalid_argument on a shape, dtype or device mismatch.
template <class T>
void tensor_to_field(const torch::Tensor& t, sim::Field<T>& field);

/// The (M, 6) rows (dtype of T) of per-particle 3-vectors: row id[j] = (a[3j..3j+2],
/// b[3j..3j+2]), e.g. displacement and momentum of particle j in lattice order.
template <class T>
torch::Tensor to_particle_rows(const std::vector<std::uint64_t>& id, const std::vector<T>& a,
                               const std::vector<T>& b);

/// The inverse of to_particle_rows: a[3j + d] = rows[id[j]][d], b[3j + d] = rows[id[j]][3 + d]
/// (a and b resized to 3 id.size()); rows (M, 6) of any floating dtype.
template <class T>
void from_particle_rows(const torch::Tensor& rows, const std::vector<std::uint64_t>& id,
                        std::vector<T>& a, std::vector<T>& b);

/// Lagrangian lattice positions q of an n_side^3 lattice in a box of side box_size, as an
/// (n_side^3, 3) CPU tensor of `dtype` [Mpc/h]; row j = (ix n + iy) n + iz, sim/mesh/particles.hpp.
torch::Tensor lattice_positions(int n_side, double box_size, torch::ScalarType dtype);

/// The differentiable PM simulation of `config`, with config.cosmology's Omega_m, Omega_b, h,
/// n_s, sigma8, w0, wa replaced by `cosmo_params` ((7,), float64, that order, CosmoParam).
/// `white_noise`: real-space unit-variance white noise on the particle grid, (N, N, N) with
/// N = config.particles, float32 or float64 (the engine's precision; config.double_precision
/// is ignored). Returns an (N^3, 6) tensor of white_noise's dtype: row j is the particle of
/// lattice index j = (ix N + iy) N + iz, columns 0-2 its final displacement from the lattice
/// [Mpc/h], columns 3-5 its final momentum p = a^2 dx/dt / H0 [Mpc/h] (sim/core/units.hpp).
/// Backward runs sim::DifferentiableSim::backward() (reverse-time adjoint) and gives
/// gradients for both white_noise and cosmo_params. CPU only.
torch::Tensor simulate_particles(const sim::SimSpec& config, const torch::Tensor& white_noise,
                                 const torch::Tensor& cosmo_params);

/// Final CIC density contrast delta = rho / rho_mean - 1 on an (n_mesh, n_mesh, n_mesh) mesh
/// (n_mesh = 0: config.mesh; point i at i L / n_mesh) of white_noise's dtype: the composition
/// of simulate_particles() and paint(), differentiable in white_noise and cosmo_params.
torch::Tensor simulate_density(const sim::SimSpec& config, const torch::Tensor& white_noise,
                               const torch::Tensor& cosmo_params, int n_mesh = 0);

struct EngineHolder;

/// The differentiable PM simulation as a reusable module: it owns one engine per precision
/// (FFT plans, cosmology tables, force solver and buffers, made on the first call) and keeps
/// it across forward and backward calls, so an inference or training loop does not re-plan.
/// forward() is simulate_particles() with the module's config; changing cosmo_params between
/// calls rebuilds only the cosmology tables. A backward whose forward is no longer the
/// engine's latest (another call ran since, or retain_graph) re-runs that forward first.
class SimulatorImpl : public torch::nn::Module {
 public:
  /// Engines for `config` (validated like sim::DifferentiableSim; device = cpu or cuda).
  explicit SimulatorImpl(const sim::SimSpec& config);
  ~SimulatorImpl() override;
  /// (white_noise (N, N, N) float32/float64, cosmo_params (7,) float64) -> (N^3, 6) final
  /// displacements and momenta, as simulate_particles().
  torch::Tensor forward(const torch::Tensor& white_noise, const torch::Tensor& cosmo_params);
  /// The final CIC density contrast on an n_mesh^3 mesh (0: config.mesh), as
  /// simulate_density().
  torch::Tensor density(const torch::Tensor& white_noise, const torch::Tensor& cosmo_params,
                        int n_mesh = 0);
  /// The config's seeded white noise, (N, N, N) of `dtype` (float32 or float64).
  torch::Tensor white_noise(torch::ScalarType dtype = torch::kFloat32);
  /// The configuration.
  const sim::SimSpec& config() const;

 private:
  c10::intrusive_ptr<EngineHolder> engines_;
};
TORCH_MODULE(Simulator);

/// Paints `mass` per point at `positions` ((M, 3), float32/float64, CPU, [Mpc/h],
/// wrapped periodically into [0, box_size)) onto an (n_mesh, n_mesh, n_mesh) mesh of the same
/// dtype with window `kernel` (sim::paint, mesh point i at i L / n_mesh). Differentiable in
/// positions (sim::paint_vjp).
torch::Tensor paint(const torch::Tensor& positions, int n_mesh, double box_size,
                    sim::PaintKernel kernel = sim::PaintKernel::cic, double mass = 1.0);

/// Paints weights[j] ((M,), any unit, converted to positions' dtype) at `positions` ((M, 3),
/// float32/float64, CPU, [Mpc/h], wrapped periodically) onto an (n_mesh, n_mesh, n_mesh) mesh
/// with window `kernel` (sim::paint_weighted, mesh point i at i L / n_mesh). Differentiable in
/// the weights (not the positions).
torch::Tensor paint_weighted(const torch::Tensor& positions, const torch::Tensor& weights,
                             int n_mesh, double box_size,
                             sim::PaintKernel kernel = sim::PaintKernel::cic);

/// Interpolates `mesh` ((n, n, n), float32/float64, CPU) to `positions` ((M, 3), same dtype,
/// [Mpc/h]) with window `kernel` (sim::readout, the transpose of paint); returns (M,).
/// Differentiable in positions and mesh (sim::readout_vjp).
torch::Tensor readout(const torch::Tensor& mesh, const torch::Tensor& positions, double box_size,
                      sim::PaintKernel kernel = sim::PaintKernel::cic);

}  // namespace cosmograd::nn
