// What `cosmograd run` writes at each output time, as subscribers of the integrator.
#pragma once

#include <string>
#include <vector>

#include "driver/config.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/pm/gravity.hpp"
#include "sim/pm/stepping.hpp"

namespace cosmograd::driver {

using sim::Gravity;
using sim::LinearPower;
using sim::Particles;
using sim::PowerSpectrum;
using sim::SimSpec;

/// File name stem of the outputs at scale factor a, e.g. "snapshot_z0p500" at z = 0.5.
std::string output_stem(const std::string& what, double a);

/// Writes, for the state `p` at scale factor `a`, into c.out.output_dir:
/// snapshot_zZ.hdf5 (Gadget-4), density_zZ.h5 (delta on the force mesh), power_zZ.txt
/// (P(k), window-compensated, interlaced, shot noise subtracted), density_zZ.png (log
/// projection of a slab of a quarter of the box along z) and power_zZ.png (P(k) against
/// linear theory and halofit), and with c.out.halos halos_zZ.hdf5 (FoF catalogue) with
/// halos_zZ_massfunction.txt/.png; Z is the redshift with 'p' for the decimal point.
/// Collective when gravity's mesh is distributed (p: this rank's particles, on its slabs):
/// snapshots one file per group of ranks, the density slab by slab, P(k) over all ranks;
/// rank 0 writes the text and PNG files and runs FoF on the gathered particles.
/// Returns the paths written.
template <class T>
std::vector<std::string> write_outputs(const RunConfig& c, const LinearPower& linear,
                                       const Particles<T>& p, double a, Gravity<T>& gravity,
                                       int threads);

/// Plot of a measured P(k) against linear theory and halofit at scale factor a.
void write_power_plot(const std::string& path, const PowerSpectrum& measured,
                      const LinearPower& linear, double a, const std::string& title);

}  // namespace cosmograd::driver
