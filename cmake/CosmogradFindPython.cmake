# The Python module `cosmograd` (python/): pybind11 (Debian pybind11-dev) and a Python whose
# `torch` is the same PyTorch build as the LibTorch the engine links (Debian's python3-torch
# and libtorch-dev are both 1.13.1), so tensors cross without copies and one autograd graph
# spans Python and the engine's adjoint.
#
# COSMOGRAD_PYTHON names the interpreter (default /usr/bin/python3, Debian's, which is where
# python3-torch installs; a pyenv or venv python3 first in PATH usually has no torch).
# COSMOGRAD_WITH_PYTHON = AUTO builds the module when all of it is found, ON requires it.

set(COSMOGRAD_WITH_PYTHON AUTO CACHE STRING "Python module: ON, OFF or AUTO (ON when found)")
if(EXISTS /usr/bin/python3)
  set(cosmograd_default_python /usr/bin/python3)
else()
  set(cosmograd_default_python python3)
endif()
set(COSMOGRAD_PYTHON ${cosmograd_default_python} CACHE FILEPATH
    "Python interpreter the module is built for (must import torch)")

set(COSMOGRAD_HAVE_PYTHON OFF)
set(cosmograd_python_missing "")
if(NOT COSMOGRAD_WITH_PYTHON STREQUAL "OFF")
  if(NOT COSMOGRAD_WITH_TORCH)
    set(cosmograd_python_missing "COSMOGRAD_WITH_TORCH=OFF")
  else()
    execute_process(
      COMMAND ${COSMOGRAD_PYTHON} -c "import torch, sys; print(torch.__version__); print(sys.version_info[0], sys.version_info[1])"
      RESULT_VARIABLE py_rc OUTPUT_VARIABLE py_out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    find_library(COSMOGRAD_TORCH_PYTHON_LIBRARY torch_python
                 HINTS ${TORCH_INSTALL_PREFIX}/lib /usr/lib/x86_64-linux-gnu)
    if(NOT py_rc EQUAL 0)
      set(cosmograd_python_missing "${COSMOGRAD_PYTHON} cannot import torch (install python3-torch)")
    elseif(NOT COSMOGRAD_TORCH_PYTHON_LIBRARY)
      set(cosmograd_python_missing "libtorch_python not found (install libtorch-dev)")
    else()
      # pybind11's own Python search must find the same interpreter.
      set(PYTHON_EXECUTABLE ${COSMOGRAD_PYTHON} CACHE FILEPATH "" FORCE)
      find_package(pybind11 CONFIG QUIET)
      if(NOT pybind11_FOUND)
        set(cosmograd_python_missing "pybind11 not found (install pybind11-dev)")
      elseif(NOT PYTHONLIBS_FOUND AND NOT Python_FOUND)
        set(cosmograd_python_missing "Python headers not found (install python3-dev)")
      else()
        set(COSMOGRAD_HAVE_PYTHON ON)
        string(REPLACE "\n" ";" py_lines "${py_out}")
        list(GET py_lines 0 COSMOGRAD_PYTHON_TORCH_VERSION)
      endif()
    endif()
  endif()
  if(NOT COSMOGRAD_HAVE_PYTHON)
    if(COSMOGRAD_WITH_PYTHON STREQUAL "ON")
      message(FATAL_ERROR "COSMOGRAD_WITH_PYTHON=ON but ${cosmograd_python_missing}")
    endif()
    message(STATUS "cosmograd: Python module switched off: ${cosmograd_python_missing}")
  endif()
endif()
