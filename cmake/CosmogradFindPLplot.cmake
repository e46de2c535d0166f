# Imported target cosmograd::plplot: PLplot's C library (Debian libplplot-dev) found with
# pkg-config, usable only with its cairo driver (plplot-driver-cairo), which writes the PNGs.
# Sets COSMOGRAD_HAVE_PLPLOT. -DCMAKE_DISABLE_FIND_PACKAGE_PLplot=ON hides PLplot (to check
# that the core builds without it).

set(COSMOGRAD_HAVE_PLPLOT OFF)
if(CMAKE_DISABLE_FIND_PACKAGE_PLplot)
  message(STATUS "cosmograd: PLplot disabled: plots (viz/) and the run driver switched off")
  return()
endif()

if(PKG_CONFIG_FOUND)
  pkg_check_modules(PLPLOT QUIET IMPORTED_TARGET plplot)
endif()
if(PLPLOT_FOUND)
  # The drivers are plug-ins loaded at run time: check that the cairo one is installed.
  pkg_get_variable(PLPLOT_DRIVER_DIR plplot drvdir)
  if(PLPLOT_DRIVER_DIR AND NOT EXISTS "${PLPLOT_DRIVER_DIR}/cairo.driver_info")
    message(STATUS "cosmograd: PLplot ${PLPLOT_VERSION} has no cairo driver in "
                   "${PLPLOT_DRIVER_DIR} (install plplot-driver-cairo): plots switched off")
  else()
    set(COSMOGRAD_HAVE_PLPLOT ON)
    add_library(cosmograd::plplot INTERFACE IMPORTED)
    target_link_libraries(cosmograd::plplot INTERFACE PkgConfig::PLPLOT)
  endif()
else()
  message(STATUS "cosmograd: PLplot not found: plots (viz/) and the run driver switched off")
endif()
