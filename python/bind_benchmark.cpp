// C++ timing loops of the ops Python calls, for benchmarks/python/bench_overhead.py: the
// same op, inputs and engine timed from C++ and from Python in one process, so that the
// difference is the Python call's overhead (pybind11, tensor conversion, the interpreter).
#include <torch/extension.h>

#include <chrono>
#include <vector>

#include "nn/bridge.hpp"
#include "python/bind.hpp"
#include "python/spec.hpp"
#include "sim/core/machine.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

/// Seconds of each of `repeats` calls of op(); with `backward`, each call also runs the
/// backward of sum(op()^2) (the engine's adjoint, through LibTorch's autograd engine).
template <class Op>
std::vector<double> time_calls(int repeats, bool backward, Op op) {
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    torch::Tensor out = op();
    if (backward) out.pow(2).sum().backward();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return seconds;
}

}  // namespace

void bind_benchmark(py::module_& m) {
  py::module_ b = m.def_submodule("_bench", "C++ timing loops (benchmarks only)");
  using Release = py::call_guard<py::gil_scoped_release>;
  b.def(
      "simulate_density",
      [](const Spec& spec, const torch::Tensor& w, const torch::Tensor& theta, int n_mesh,
         int repeats, bool backward) {
        return time_calls(repeats, backward,
                          [&] { return nn::simulate_density(spec.sim, w, theta, n_mesh); });
      },
      Release(), "seconds per C++ call of nn::simulate_density (a new engine per call)");
  b.def(
      "simulator_density",
      [](nn::Simulator& sim, const torch::Tensor& w, const torch::Tensor& theta, int n_mesh,
         int repeats, bool backward) {
        return time_calls(repeats, backward, [&] { return sim->density(w, theta, n_mesh); });
      },
      Release(), "seconds per C++ call of Simulator::density (the reusable engine)");
  b.def(
      "paint",
      [](const torch::Tensor& positions, int n_mesh, double box_size, int repeats, bool backward) {
        return time_calls(repeats, backward, [&] {
          return nn::paint(positions, n_mesh, box_size, sim::PaintKernel::cic, 1.0);
        });
      },
      Release(), "seconds per C++ call of nn::paint (a tiny op: the fixed cost of a call)");
  b.def("machine", &sim::machine_summary, "CPU, cores, date and load for a report header");
}

}  // namespace cosmograd::python
