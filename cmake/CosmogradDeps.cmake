# Finds cosmograd's dependencies. Optional ones switch features off with a message,
# so that sim/'s core builds with only a compiler (and CUDA, when present).

find_package(Threads REQUIRED)
find_package(OpenMP)
find_package(PkgConfig QUIET)

# ---- FFTW (float + double, threaded) ----------------------------------------
include(CosmogradFindFFTW)

# ---- HDF5 (C API) -------------------------------------------------------------
find_package(HDF5 QUIET COMPONENTS C)
set(COSMOGRAD_HAVE_HDF5 OFF)
if(HDF5_FOUND)
  set(COSMOGRAD_HAVE_HDF5 ON)
endif()
if(NOT HDF5_FOUND)
  message(STATUS "cosmograd: HDF5 not found: snapshots and field files switched off")
endif()

# ---- libpng (raw images) --------------------------------------------------------
find_package(PNG QUIET)
set(COSMOGRAD_HAVE_PNG OFF)
if(PNG_FOUND)
  set(COSMOGRAD_HAVE_PNG ON)
endif()
if(NOT PNG_FOUND)
  message(STATUS "cosmograd: libpng not found: raw PNG images switched off")
endif()

# ---- PLplot (viz/: plots and density maps) ---------------------------------------
include(CosmogradFindPLplot)

# ---- HEALPix C++ and cfitsio (sim/sky/: lightcone maps, FITS files) -------------------
set(COSMOGRAD_HAVE_SKY OFF)
if(PkgConfig_FOUND)
  pkg_check_modules(HEALPIX_CXX QUIET IMPORTED_TARGET healpix_cxx)
  pkg_check_modules(CFITSIO QUIET IMPORTED_TARGET cfitsio)
  if(HEALPIX_CXX_FOUND AND CFITSIO_FOUND)
    set(COSMOGRAD_HAVE_SKY ON)
  endif()
endif()
if(NOT COSMOGRAD_HAVE_SKY)
  message(STATUS "cosmograd: HEALPix C++ or cfitsio not found: lightcone and sky maps switched off")
endif()

# The full CPU engine with its outputs (`cosmograd run`).
if(FFTW_FOUND AND HDF5_FOUND AND COSMOGRAD_HAVE_PLPLOT AND COSMOGRAD_HAVE_SKY)
  set(COSMOGRAD_HAVE_ENGINE ON)
else()
  set(COSMOGRAD_HAVE_ENGINE OFF)
endif()

# ---- MPI ------------------------------------------------------------------------
set(COSMOGRAD_HAVE_MPI OFF)
if(NOT COSMOGRAD_WITH_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS C)
  if(MPI_C_FOUND)
    set(COSMOGRAD_HAVE_MPI ON)
  elseif(COSMOGRAD_WITH_MPI STREQUAL "ON")
    message(FATAL_ERROR "COSMOGRAD_WITH_MPI=ON but MPI was not found (install libopenmpi-dev)")
  else()
    message(STATUS "cosmograd: MPI not found: serial engine only")
  endif()
endif()
# The distributed engine: MPI and FFTW-MPI (libfftw3-mpi-dev).
if(COSMOGRAD_HAVE_MPI AND FFTW_MPI_FOUND)
  set(COSMOGRAD_HAVE_FFTW_MPI ON)
else()
  set(COSMOGRAD_HAVE_FFTW_MPI OFF)
endif()

# ---- CUDA -----------------------------------------------------------------------
set(COSMOGRAD_HAVE_CUDA OFF)
if(NOT COSMOGRAD_WITH_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(COSMOGRAD_HAVE_CUDA ON)
  elseif(COSMOGRAD_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "COSMOGRAD_WITH_CUDA=ON but no CUDA compiler was found")
  else()
    message(STATUS "cosmograd: no CUDA compiler: CPU backend only")
  endif()
endif()

# ---- Eigen and LBFGSpp (the L-BFGS fit of the LDL baryon painter, sim/baryons) ----
find_package(Eigen3 3.3 QUIET NO_MODULE)
find_path(LBFGSPP_INCLUDE_DIR LBFGS.h PATH_SUFFIXES include)
if(TARGET Eigen3::Eigen AND LBFGSPP_INCLUDE_DIR)
  set(COSMOGRAD_HAVE_LBFGSPP ON)
else()
  set(COSMOGRAD_HAVE_LBFGSPP OFF)
  message(STATUS "cosmograd: Eigen or LBFGSpp not found: the LDL fit is switched off")
endif()

# ---- Boost.Program_options (the command line) -----------------------------------
find_package(Boost 1.74 QUIET COMPONENTS program_options)

# ---- LibTorch and the libraries of the upper layers -----------------------------
if(COSMOGRAD_WITH_TORCH)
  find_package(Torch REQUIRED)
  find_package(Eigen3 3.3 REQUIRED NO_MODULE)
  if(NOT Boost_FOUND)
    message(FATAL_ERROR "apps/ needs Boost.Program_options (install libboost-program-options-dev)")
  endif()
  if(NOT COSMOGRAD_HAVE_ENGINE OR NOT COSMOGRAD_HAVE_PNG)
    message(FATAL_ERROR "the full build needs FFTW, HDF5, libpng, PLplot, HEALPix C++ and cfitsio "
                        "(run scripts/install-deps.sh), "
                        "or configure with -DCOSMOGRAD_WITH_TORCH=OFF for sim/ alone")
  endif()
endif()

# ---- tests and benchmarks ---------------------------------------------------------
# Without GoogleTest only the self-contained gpu checks (tests/sim/cuda/gpu_*.cpp) are built,
# so that a bare CUDA machine still runs `ctest -L gpu`.
if(COSMOGRAD_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(STATUS "cosmograd: GoogleTest not found: only the gpu checks are built")
  endif()
endif()
if(COSMOGRAD_BUILD_BENCHMARKS)
  find_package(benchmark QUIET)
endif()
