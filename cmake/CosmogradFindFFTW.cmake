# Imported target cosmograd::fftw: FFTW3 in float and double with threads
# (and FFTW-MPI when MPI is on). Sets FFTW_FOUND and FFTW_MPI_FOUND.
# -DCMAKE_DISABLE_FIND_PACKAGE_FFTW=ON hides FFTW (to check the core builds without it).

set(FFTW_FOUND OFF)
set(FFTW_MPI_FOUND OFF)
if(CMAKE_DISABLE_FIND_PACKAGE_FFTW)
  message(STATUS "cosmograd: FFTW3 disabled: the engine uses its built-in FFT (slower, serial only)")
  return()
endif()

find_path(FFTW_INCLUDE_DIR fftw3.h)
find_library(FFTW_DOUBLE_LIB fftw3)
find_library(FFTW_FLOAT_LIB fftw3f)
find_library(FFTW_DOUBLE_THREADS_LIB fftw3_threads)
find_library(FFTW_FLOAT_THREADS_LIB fftw3f_threads)
find_library(FFTW_DOUBLE_MPI_LIB fftw3_mpi)
find_library(FFTW_FLOAT_MPI_LIB fftw3f_mpi)

if(FFTW_INCLUDE_DIR AND FFTW_DOUBLE_LIB AND FFTW_FLOAT_LIB AND FFTW_DOUBLE_THREADS_LIB
   AND FFTW_FLOAT_THREADS_LIB)
  set(FFTW_FOUND ON)
  add_library(cosmograd::fftw INTERFACE IMPORTED)
  target_include_directories(cosmograd::fftw SYSTEM INTERFACE ${FFTW_INCLUDE_DIR})
  target_link_libraries(cosmograd::fftw INTERFACE
    ${FFTW_FLOAT_THREADS_LIB} ${FFTW_DOUBLE_THREADS_LIB} ${FFTW_FLOAT_LIB} ${FFTW_DOUBLE_LIB}
    Threads::Threads)
else()
  message(STATUS "cosmograd: FFTW3 not found: the engine uses its built-in FFT (slower, serial only)")
endif()

if(FFTW_FOUND AND FFTW_DOUBLE_MPI_LIB AND FFTW_FLOAT_MPI_LIB)
  set(FFTW_MPI_FOUND ON)
  add_library(cosmograd::fftw_mpi INTERFACE IMPORTED)
  target_link_libraries(cosmograd::fftw_mpi INTERFACE ${FFTW_FLOAT_MPI_LIB} ${FFTW_DOUBLE_MPI_LIB}
                                                      cosmograd::fftw)
endif()
