# cosmograd_add_test(name SOURCES a.cpp ... LABELS unit|integration|mpi|gpu|slow ...
#                    [LIBS target ...] [RANKS n ...] [TIMEOUT seconds] [ENVIRONMENT VAR=value ...])
# Builds test_<name> from SOURCES with GoogleTest and registers it with ctest (nothing when
# GoogleTest was not found).
# Label `mpi` runs the binary through mpiexec once per entry of RANKS (default 2).
# Label `slow` keeps it out of the default test command (ctest -LE slow).

include(GoogleTest)

function(cosmograd_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LABELS;LIBS;RANKS;ENVIRONMENT" ${ARGN})
  if(NOT T_SOURCES)
    message(FATAL_ERROR "cosmograd_add_test(${name}): SOURCES is required")
  endif()
  if(NOT T_LABELS)
    message(FATAL_ERROR "cosmograd_add_test(${name}): LABELS is required")
  endif()
  set(valid unit integration mpi gpu slow)
  foreach(label IN LISTS T_LABELS)
    if(NOT label IN_LIST valid)
      message(FATAL_ERROR "cosmograd_add_test(${name}): unknown label '${label}' (valid: ${valid})")
    endif()
  endforeach()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()

  if(NOT GTest_FOUND)
    return()
  endif()

  set(exe test_${name})
  add_executable(${exe} ${T_SOURCES})
  target_link_libraries(${exe} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR})
  cosmograd_warnings(${exe})
  cosmograd_sanitize(${exe})

  if("mpi" IN_LIST T_LABELS)
    if(NOT COSMOGRAD_HAVE_MPI)
      return()
    endif()
    if(NOT T_RANKS)
      set(T_RANKS 2)
    endif()
    set(extra --oversubscribe)
    execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(uid STREQUAL "0")
      list(APPEND extra --allow-run-as-root)
    endif()
    foreach(n IN LISTS T_RANKS)
      add_test(NAME ${name}.np${n}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${extra}
                       $<TARGET_FILE:${exe}>)
      set_tests_properties(${name}.np${n} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                           PROCESSORS ${n} ENVIRONMENT "OMP_NUM_THREADS=1")
    endforeach()
  else()
    gtest_discover_tests(${exe} DISCOVERY_MODE PRE_TEST
                         PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                                    ENVIRONMENT "${T_ENVIRONMENT}")
  endif()
endfunction()

# cosmograd_add_gpu_check(name SOURCES a.cpp ... [LIBS target ...] [TIMEOUT seconds])
# Builds gpu_<name>, a self-contained check program without GoogleTest
# (tests/sim/cuda/gpu_check.hpp), and registers it with label `gpu`; exit code 77 (no CUDA
# device) counts as skipped.
function(cosmograd_add_gpu_check name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set(exe gpu_${name})
  add_executable(${exe} ${T_SOURCES})
  target_link_libraries(${exe} PRIVATE ${T_LIBS})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR})
  cosmograd_warnings(${exe})
  cosmograd_sanitize(${exe})
  add_test(NAME gpu.${name} COMMAND ${exe})
  set_tests_properties(gpu.${name} PROPERTIES LABELS gpu TIMEOUT ${T_TIMEOUT}
                       SKIP_RETURN_CODE 77)
endfunction()
