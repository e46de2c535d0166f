// The emulator (nn/emulator.hpp), super-resolution (nn/superres.hpp) and the LPT op
// (nn/bridge_lpt.hpp) on torch tensors: all autograd-capable, so a loss on emulated particles
// differentiates in Python to the white noise and the cosmological parameters.
#include <torch/extension.h>

#include <optional>
#include <string>

#include "nn/bridge_lpt.hpp"
#include "nn/emulator.hpp"
#include "nn/superres.hpp"
#include "python/bind.hpp"
#include "python/spec.hpp"

namespace py = pybind11;

namespace cosmograd::python {

void bind_emulator(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;
  m.def(
      "lpt_particles",
      [](const Spec& spec, const torch::Tensor& white_noise, const torch::Tensor& cosmo_params,
         double a) { return nn::lpt_particles(spec.sim, white_noise, cosmo_params, a); },
      py::arg("spec"), py::arg("white_noise"), py::arg("cosmo_params"), py::arg("a") = 1.0,
      Release(),
      "2LPT (spec.lpt_order) particles (N^3, 6) at scale factor a: displacement [Mpc/h] and "
      "momentum [Mpc/h], the layout of simulate_particles. Differentiable in white_noise and "
      "cosmo_params (the engine's LPT vjp).");
  m.def("particle_rows_to_fields", &nn::particle_rows_to_fields, py::arg("rows"),
        "(N^3, 6) particle rows (lattice order) -> (6, N, N, N) fields.");
  m.def("fields_to_particle_rows", &nn::fields_to_particle_rows, py::arg("fields"),
        "(6, N, N, N) fields -> (N^3, 6) particle rows (lattice order).");
  m.def("upsample_lattice", &nn::upsample_lattice, py::arg("x"), py::arg("factor"),
        "Periodic trilinear interpolation of lattice fields (B, C, N, N, N) to the factor N "
        "lattice of the same box (exact at fine point factor i = coarse point i): the "
        "super-resolution baseline. Differentiable.");

  py::class_<nn::Emulator>(
      m, "Emulator",
      "A trained emulator (cosmograd emulate train; models/emulator.cgm is shipped): 2LPT "
      "particles at z = 0 -> the PM run's, conditioned on (Omega_m, sigma8). float32, CPU.")
      .def(py::init([](const std::string& path) { return nn::load_emulator(path); }),
           py::arg("path"))
      .def(
          "forward",
          [](nn::Emulator& e, const torch::Tensor& x, const torch::Tensor& omega_m_sigma8) {
            return e->forward(x, omega_m_sigma8);
          },
          py::arg("x"), py::arg("omega_m_sigma8"), Release(),
          "x (B, 6, N, N, N) (particle_rows_to_fields of 2LPT rows), omega_m_sigma8 (B, 2) -> "
          "the emulated fields, periodic in the box; differentiable in both.")
      .def(
          "emulate",
          [](nn::Emulator& e, const torch::Tensor& x, const torch::Tensor& omega_m_sigma8,
             int64_t patch) { return nn::emulate_patched(e, x, omega_m_sigma8, patch); },
          py::arg("x"), py::arg("omega_m_sigma8"), py::arg("patch") = 64, Release(),
          "One box x (6, N, N, N), omega_m_sigma8 (2,), in periodic patches of `patch` "
          "particles padded by the receptive radius (equal to forward() to rounding).")
      .def_property_readonly("receptive_radius",
                             [](const nn::Emulator& e) { return e->receptive_radius(); })
      .def_property_readonly(
          "particle_spacing",
          [](const nn::Emulator& e) {
            return e->options.box_size() / static_cast<double>(e->options.particles());
          },
          "Particle spacing box_size / particles [Mpc/h] the model was trained at.")
      .def_property_readonly(
          "training_ranges",
          [](const nn::Emulator& e) {
            const nn::EmulatorOptions& o = e->options;
            return py::make_tuple(py::make_tuple(o.omega_m_min(), o.omega_m_max()),
                                  py::make_tuple(o.sigma8_min(), o.sigma8_max()));
          },
          "((Omega_m min, max), (sigma8 min, max)) of the training set.");

  py::class_<nn::SuperRes>(
      m, "SuperRes",
      "A trained super-resolution generator (cosmograd emulate superres train; "
      "models/superres.cgm is shipped): the particles of a low-resolution run -> factor^3 "
      "times as many, as if run at factor times the particles per side. float32, CPU.")
      .def(py::init([](const std::string& path) { return nn::load_superres(path); }),
           py::arg("path"))
      .def(
          "forward",
          [](nn::SuperRes& g, const torch::Tensor& x, std::optional<torch::Tensor> noise) {
            return g->forward(x, noise ? *noise : torch::Tensor());
          },
          py::arg("x"), py::arg("noise") = py::none(), Release(),
          "x (B, 6, N, N, N) (particle_rows_to_fields of a low-resolution run's rows), noise "
          "(B, 2, f N, f N, f N) or None -> (B, 6, f N, f N, f N); differentiable in x.")
      .def(
          "superres",
          [](nn::SuperRes& g, const torch::Tensor& x, int64_t noise_seed, int64_t patch) {
            const torch::Tensor noise =
                noise_seed < 0 ? torch::Tensor()
                               : g->make_noise(1, x.size(1), static_cast<uint64_t>(noise_seed))[0];
            return nn::superres_patched(g, x, noise, patch);
          },
          py::arg("x"), py::arg("noise_seed") = 0, py::arg("patch") = 32, Release(),
          "One box x (6, N, N, N) -> (6, f N, f N, f N) in periodic patches of `patch` coarse "
          "particles, injected noise from noise_seed (-1: none), as cosmograd emulate --input.")
      .def(
          "make_noise",
          [](const nn::SuperRes& g, int64_t batch, int64_t n, uint64_t seed) {
            return g->make_noise(batch, n, seed);
          },
          py::arg("batch"), py::arg("n"), py::arg("seed"),
          "Unit Gaussian noise (batch, 2, f n, f n, f n), deterministic in seed.")
      .def_property_readonly("factor", [](const nn::SuperRes& g) { return g->options.factor(); })
      .def_property_readonly("receptive_radius",
                             [](const nn::SuperRes& g) { return g->receptive_radius(); })
      .def_property_readonly(
          "particle_spacing",
          [](const nn::SuperRes& g) {
            return g->options.box_size() / static_cast<double>(g->options.particles());
          },
          "Low-resolution particle spacing box_size / particles [Mpc/h] of the training.");
}

}  // namespace cosmograd::python
