// The engine's differentiable ops (nn/bridge.hpp) on torch tensors. Each is a LibTorch
// autograd Function, so from Python it joins the caller's autograd graph and its backward is
// the engine's adjoint; tensors cross between Python and C++ without copies (one PyTorch).
#include <torch/extension.h>

#include <optional>
#include <string>

#include "driver/config.hpp"
#include "driver/lightcone_output.hpp"
#include "nn/bridge.hpp"
#include "nn/bridge_lightcone.hpp"
#include "python/bind.hpp"
#include "python/spec.hpp"
#include "sim/mesh/window.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

sim::PaintKernel kernel_named(const std::string& name) {
  return sim::parse_paint_kernel(name, "kernel");
}

/// A torch dtype (None: float32) that the engine supports.
torch::ScalarType dtype_of(const py::object& dtype) {
  if (dtype.is_none()) return torch::kFloat32;
  const torch::ScalarType t = torch::python::detail::py_object_to_dtype(dtype);
  if (t != torch::kFloat32 && t != torch::kFloat64) {
    throw std::invalid_argument("dtype = " + std::string(c10::toString(t)) +
                                " is not supported (allowed: torch.float32, torch.float64)");
  }
  return t;
}

/// The Born kappa maps of a lightcone over `spec`'s simulation: the lightcone and source keys
/// of `cosmograd run` in `keys` (HEALPix maps off and bilinear unless set; `lightcone_shuffle`
/// (default true) shuffles the flat field's replicas).
py::tuple simulate_kappa(const Spec& spec, const torch::Tensor& white_noise,
                         const torch::Tensor& cosmo_params, const py::kwargs& keys) {
  py::dict overrides;
  for (const auto& [k, v] : spec.settings) overrides[py::str(k)] = v;
  overrides["lightcone"] = "true";
  overrides["lightcone_nside"] = "0";
  overrides["lightcone_healpix_deposit"] = "bilinear";
  bool shuffle = true;
  for (const auto& [key, value] : keys) {
    const std::string k = py::str(key).cast<std::string>();
    if (k == "lightcone_shuffle") {
      shuffle = value.cast<bool>();
      continue;
    }
    if (k.rfind("lightcone_", 0) != 0 && k.rfind("source_", 0) != 0) {
      throw std::invalid_argument("simulate_kappa: '" + k +
                                  "' is not a lightcone key (allowed: the lightcone_* and "
                                  "source_* keys of `cosmograd run`, lightcone_shuffle; the "
                                  "simulation's keys belong to the SimSpec)");
    }
    overrides[key] = value;
  }
  const sim::Settings s = resolve_settings(driver::run_keys(), std::nullopt, overrides);
  const driver::RunConfig c = driver::run_config_from(s);
  sim::LightconeSpec lc = driver::lightcone_spec(c, sim::Cosmology(c.sim.cosmology));
  lc.shuffle = shuffle;
  const std::vector<sim::SourceDistribution> sources =
      sim::parse_sources(c.out.lightcone.source_z, c.out.lightcone.source_nz);
  if (sources.size() != 1) {
    throw std::invalid_argument("simulate_kappa: source_z and source_nz give " +
                                std::to_string(sources.size()) +
                                " source distributions (allowed: exactly one per call)");
  }
  std::vector<torch::Tensor> maps;
  {
    py::gil_scoped_release release;
    maps = nn::simulate_kappa(c.sim, lc, sources[0], white_noise, cosmo_params);
  }
  return py::make_tuple(maps[0], maps[1]);
}

}  // namespace

void bind_engine(py::module_& m) {
  using Release = py::call_guard<py::gil_scoped_release>;

  m.def(
      "simulate_particles",
      [](const Spec& spec, const torch::Tensor& white_noise, const torch::Tensor& cosmo_params) {
        return nn::simulate_particles(spec.sim, white_noise, cosmo_params);
      },
      py::arg("spec"), py::arg("white_noise"), py::arg("cosmo_params"), Release(),
      "Final particles (N^3, 6): displacement from the lattice [Mpc/h] and momentum "
      "p = a^2 dx/dt / H0 [Mpc/h], row j = (ix N + iy) N + iz. white_noise: (N, N, N) float32 "
      "or float64 (the engine's precision); cosmo_params: (7,) float64 (Omega_m, Omega_b, h, "
      "n_s, sigma8, w0, wa). Differentiable in both (the engine's reverse-time adjoint).");
  m.def(
      "simulate_density",
      [](const Spec& spec, const torch::Tensor& white_noise, const torch::Tensor& cosmo_params,
         int n_mesh) { return nn::simulate_density(spec.sim, white_noise, cosmo_params, n_mesh); },
      py::arg("spec"), py::arg("white_noise"), py::arg("cosmo_params"), py::arg("n_mesh") = 0,
      Release(),
      "Final CIC density contrast on an (n_mesh,)*3 mesh (0: spec.mesh), differentiable in "
      "white_noise and cosmo_params.");
  m.def("simulate_kappa", &simulate_kappa, py::arg("spec"), py::arg("white_noise"),
        py::arg("cosmo_params"),
        "(flat, healpix): Born convergence maps (float64) of an on-the-fly lightcone through "
        "the simulation, for one source plane or n(z) (source_z, source_nz). Keywords: the "
        "lightcone_* and source_* keys of `cosmograd run` (e.g. lightcone_z_max, "
        "lightcone_field_deg, lightcone_field_pixels, lightcone_shell_width, "
        "lightcone_observer; lightcone_nside defaults to 0 here and HEALPix deposits are "
        "bilinear), and lightcone_shuffle (default True). flat: (P, P), flat[iy, ix], or (0,) "
        "without a flat field; healpix: (12 nside^2,) RING, or (0,). Differentiable in "
        "white_noise and cosmo_params (the adjoint through the crossings, the crossing set "
        "held fixed within a step).");
  m.def(
      "paint",
      [](const torch::Tensor& positions, int n_mesh, double box_size, const std::string& kernel,
         double mass) {
        return nn::paint(positions, n_mesh, box_size, kernel_named(kernel), mass);
      },
      py::arg("positions"), py::arg("n_mesh"), py::arg("box_size"), py::arg("kernel") = "cic",
      py::arg("mass") = 1.0, Release(),
      "Mass per point painted at positions (M, 3) [Mpc/h] onto an (n_mesh,)*3 mesh (point i at "
      "i L / n_mesh); differentiable in positions.");
  m.def(
      "paint_weighted",
      [](const torch::Tensor& positions, const torch::Tensor& weights, int n_mesh, double box_size,
         const std::string& kernel) {
        return nn::paint_weighted(positions, weights, n_mesh, box_size, kernel_named(kernel));
      },
      py::arg("positions"), py::arg("weights"), py::arg("n_mesh"), py::arg("box_size"),
      py::arg("kernel") = "cic", Release(),
      "weights (M,) painted at positions (M, 3) [Mpc/h]; differentiable in the weights.");
  m.def(
      "readout",
      [](const torch::Tensor& mesh, const torch::Tensor& positions, double box_size,
         const std::string& kernel) {
        return nn::readout(mesh, positions, box_size, kernel_named(kernel));
      },
      py::arg("mesh"), py::arg("positions"), py::arg("box_size"), py::arg("kernel") = "cic",
      Release(),
      "mesh (n, n, n) interpolated to positions (M, 3) [Mpc/h] (the transpose of paint); "
      "differentiable in mesh and positions.");
  m.def(
      "lattice_positions",
      [](int n_side, double box_size, const py::object& dtype) {
        return nn::lattice_positions(n_side, box_size, dtype_of(dtype));
      },
      py::arg("n_side"), py::arg("box_size"), py::arg("dtype") = py::none(),
      "Lagrangian lattice positions (n_side^3, 3) [Mpc/h], row j = (ix n + iy) n + iz.");

  py::class_<nn::Simulator>(
      m, "Simulator",
      "The differentiable PM simulation as a reusable engine: FFT plans, cosmology tables and "
      "buffers persist across calls (an inference loop does not re-plan).")
      .def(py::init([](const Spec& spec) { return nn::Simulator(spec.sim); }), py::arg("spec"))
      .def(
          "forward",
          [](nn::Simulator& s, const torch::Tensor& w, const torch::Tensor& theta) {
            return s->forward(w, theta);
          },
          py::arg("white_noise"), py::arg("cosmo_params"), Release(),
          "Final particles (N^3, 6), as simulate_particles.")
      .def(
          "density",
          [](nn::Simulator& s, const torch::Tensor& w, const torch::Tensor& theta, int n_mesh) {
            return s->density(w, theta, n_mesh);
          },
          py::arg("white_noise"), py::arg("cosmo_params"), py::arg("n_mesh") = 0, Release(),
          "Final CIC density contrast, as simulate_density.")
      .def(
          "white_noise",
          [](nn::Simulator& s, const py::object& dtype) {
            const torch::ScalarType t = dtype_of(dtype);
            py::gil_scoped_release release;
            return s->white_noise(t);
          },
          py::arg("dtype") = py::none(),
          "The spec's seeded real-space white noise (N, N, N), float32 by default.");
}

}  // namespace cosmograd::python
