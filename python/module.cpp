// The `_cosmograd` extension module: the engine, its adjoint as torch autograd ops, theory,
// measurements and files. `import cosmograd` (python/cosmograd/__init__.py) wraps it.
#include <pybind11/pybind11.h>

#include <stdexcept>

#include "python/bind.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_cosmograd, m) {
  m.doc() = "cosmograd's C++ engine (use `import cosmograd`, not this module)";
  // Bad input is a ValueError everywhere: the engine's table lookups throw out_of_range for
  // an argument outside a table, which pybind11 would otherwise make an IndexError.
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  cosmograd::python::bind_spec(m);
  cosmograd::python::bind_engine(m);
  cosmograd::python::bind_emulator(m);
  cosmograd::python::bind_cosmology(m);
  cosmograd::python::bind_measure(m);
  cosmograd::python::bind_io(m);
  cosmograd::python::bind_benchmark(m);
}
