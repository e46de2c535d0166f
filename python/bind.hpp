// The parts of the `_cosmograd` extension module (python/module.cpp), one function per file.
#pragma once

#include <pybind11/pybind11.h>

namespace cosmograd::python {

/// SimSpec and RunConfig from keyword arguments or an INI file, `run` (bind_spec.cpp).
void bind_spec(pybind11::module_& m);
/// The engine's differentiable ops on torch tensors (bind_engine.cpp).
void bind_engine(pybind11::module_& m);
/// The emulator and the LPT op on torch tensors (bind_emulator.cpp).
void bind_emulator(pybind11::module_& m);
/// Background, growth, linear and halofit power on NumPy arrays (bind_cosmology.cpp).
void bind_cosmology(pybind11::module_& m);
/// P(k), cross-correlation r(k) and FoF halos on NumPy arrays (bind_measure.cpp).
void bind_measure(pybind11::module_& m);
/// Snapshot, field and halo-catalogue files (bind_io.cpp).
void bind_io(pybind11::module_& m);
/// C++ timing loops for the Python-overhead benchmark (bind_benchmark.cpp).
void bind_benchmark(pybind11::module_& m);

}  // namespace cosmograd::python
