// The keys of `cosmograd run` (and the cosmology keys `theory` shares) and the validated
// configuration they give: the engine's SimSpec plus the run's output options.
#pragma once

#include <string>
#include <vector>

#include "sim/core/settings.hpp"
#include "sim/measure/fof.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::driver {

using sim::KeySpec;
using sim::Settings;

/// Keys of the cosmology (Omega_m, ..., transfer); shared by `run` and `theory`.
const std::vector<KeySpec>& cosmology_keys();
/// Keys of the simulation spec: the cosmology keys plus resolution, time grid, initial
/// conditions, force, precision and device. Defaults are those of a default SimSpec.
const std::vector<KeySpec>& sim_keys();
/// Keys of `cosmograd run`: sim_keys() plus the output options. Defaults are those of a
/// default SimSpec and RunOptions.
const std::vector<KeySpec>& run_keys();

/// CosmologyParams from the cosmology keys (validated).
sim::CosmologyParams cosmology_from(const Settings& s);
/// TransferChoice from the cosmology keys.
sim::TransferChoice transfer_from(const Settings& s);
/// The validated SimSpec of sim_keys(); throws std::invalid_argument naming the key, its
/// value and what is allowed.
sim::SimSpec sim_spec_from(const Settings& s);

/// The on-the-fly lightcone of `cosmograd run` (sim/sky/lightcone.hpp) and its lensing maps.
struct LightconeOptions {
  bool enabled = false;             ///< record the lightcone during the drifts
  double z_max = 1.5;               ///< redshift of the outer shell edge
  std::vector<double> observer;     ///< observer position [Mpc/h] (empty: the box centre)
  double shell_width = 100;         ///< comoving width of the onion shells [Mpc/h]
  std::vector<double> shell_edges;  ///< explicit shell edges [Mpc/h] (empty: by shell_width)
  int nside = 256;                  ///< HEALPix shells' nside (0: no full-sky maps)
  bool healpix_bilinear = false;    ///< HEALPix deposit: bilinear (differentiable) or nearest
  bool healpix_mesh = false;        ///< HEALPix shells ray-marched through the density mesh
  double ray_step = 1.0;            ///< ray step over the pixel size (healpix_mesh)
  double field_deg = 0;             ///< side of the flat-sky field about +z [deg] (0: none)
  int field_pixels = 256;           ///< flat maps' pixels per side
  double particle_fraction = 0;     ///< fraction of crossing particles catalogued (0: none)
  double particle_cone_deg = 180;   ///< catalogue: half-angle about +z [deg] (180: full sky)
  bool write_shells = false;        ///< one FITS mass map per shell
  std::string source_z = "1.0";     ///< convergence source planes (redshifts)
  std::string source_nz;            ///< convergence n(z): smail:ALPHA:BETA:Z0 entries or files
};

/// Keys of the lensing sources (source_z, source_nz); shared by `run` and `theory`.
const std::vector<KeySpec>& lensing_source_keys();

/// When `cosmograd run` writes restart files (both may be set; neither: only at a signal).
struct RestartPolicy {
  int steps = 0;       ///< every this many steps (0: not by steps)
  double minutes = 0;  ///< every this many minutes of wall-clock time (0: not by time)
};

/// Parses restart_every: "0" (off), "N" (steps, an integer >= 1), "X min" or "X h" (wall
/// clock, X > 0); throws std::invalid_argument naming the key, the value and what is allowed.
RestartPolicy parse_restart_every(const std::string& text);

/// What `cosmograd run` writes besides running the spec, and where.
struct RunOptions {
  std::string output_dir = "cosmograd-out";  ///< where outputs go
  bool overwrite = false;       ///< replace an earlier run's outputs in output_dir (else refuse)
  bool write_snapshot = true;   ///< Gadget-4 HDF5 snapshot at each z_out
  bool write_density = true;    ///< density mesh (HDF5) at each z_out
  bool snapshot_kpc = true;     ///< snapshot lengths in kpc/h (yt's default) or Mpc/h
  int snapshot_files = 0;       ///< files per snapshot (0: one per MPI rank)
  int power_mesh = 0;           ///< mesh for P(k) measurements (0: the force mesh)
  bool power_interlace = true;  ///< interlaced P(k) measurement
  bool progress = true;         ///< progress bar with ETA
  bool halos = false;           ///< FoF catalogue and mass function at each output
  sim::FofOptions fof;          ///< FoF linking length and minimum members
  LightconeOptions lightcone;   ///< the lightcone and its maps
  RestartPolicy restart;        ///< restart files by steps or wall clock (driver/restart.hpp)
  bool resume = false;          ///< continue the restart in output_dir (cosmograd run --resume)
};

/// A validated `cosmograd run` configuration: the engine's spec and the run's outputs.
struct RunConfig {
  sim::SimSpec sim;  ///< what is simulated (the engine sees only this)
  RunOptions out;    ///< what is written
};

/// RunConfig from run_keys(); throws std::invalid_argument naming the key, its value and
/// what is allowed.
RunConfig run_config_from(const Settings& s);

}  // namespace cosmograd::driver
