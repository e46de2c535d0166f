// `cosmograd campaign`: many simulations over a prior, each reduced to the summaries a config
// names (density mesh, P(k), bispectrum, halo counts) in one HDF5 file, plus a design file and
// a manifest. A task farm over MPI ranks (each rank its own simulations) or a slice of the
// design per job; resumable: files are written under a temporary name and renamed when
// complete, so a killed campaign rerun skips finished simulations and redoes the others.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/campaign_design.hpp"
#include "sim/core/settings.hpp"
#include "sim/measure/bispectrum.hpp"
#include "sim/measure/fof.hpp"
#include "sim/mpi/comm.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::driver {

/// What each simulation of a campaign is reduced to.
struct CampaignSummaries {
  bool density = false;          ///< CIC density contrast on density_mesh^3 (float32)
  bool power = false;            ///< P(k), CIC compensated (interlaced by default)
  bool bispectrum = false;       ///< B(k1, k2, k3) by the shell method on the P(k) mesh
  bool halos = false;            ///< FoF halo counts in log10 mass bins
  int density_mesh = 32;         ///< cells per side of the density summary
  int power_mesh = 0;            ///< cells per side of the P(k) and B mesh (0: the force mesh)
  bool power_interlace = true;   ///< interlaced P(k) and B
  double power_k_max = 0;        ///< last P(k) bin edge [h/Mpc] (0: Nyquist)
  sim::BispectrumShells shells;  ///< bispectrum shells
  sim::TriangleSet triangles = sim::TriangleSet::all;               ///< all or equilateral
  std::vector<double> halo_mass_edges{12, 12.5, 13, 13.5, 14, 15};  ///< log10 M [Msun/h]
  sim::FofOptions fof;                                              ///< linking length, members
};

/// A validated `cosmograd campaign` configuration.
struct CampaignConfig {
  sim::SimSpec base;                    ///< the simulation of every point (cosmology: the base)
  std::vector<ParameterRange> prior;    ///< varied parameters and their bounds
  DesignKind design = DesignKind::lhs;  ///< how the prior is filled
  int simulations = 100;                ///< design points
  int fiducial = 0;                     ///< extra simulations at the base cosmology
  std::uint64_t design_seed = 1;        ///< design and white-noise seeds
  CampaignSummaries summaries;          ///< what each simulation writes
  std::string out;                      ///< the campaign directory
  int task_begin = 0;                   ///< first index this job runs
  int task_end = -1;                    ///< one past the last (-1: all)
  bool progress = true;                 ///< a log line per simulation
};

/// The keys of `cosmograd campaign`: sim_keys() with campaign defaults (32^3 particles, 64^3
/// mesh, 256 Mpc/h, 10 steps) plus the campaign's.
const std::vector<sim::KeySpec>& campaign_keys();
/// The keys that do not change any file (out, tasks, threads, progress, log_level).
bool campaign_key_is_local(const std::string& key);

/// CampaignConfig from campaign_keys(); throws std::invalid_argument naming the key, its
/// value and what is allowed.
CampaignConfig campaign_config_from(const sim::Settings& s);

/// What a campaign call did.
struct CampaignReport {
  int total = 0;       ///< simulations in the design (fiducial included)
  int skipped = 0;     ///< found complete in this job's slice
  int ran = 0;         ///< simulated by this job (all ranks)
  double seconds = 0;  ///< wall time of this call [s]
};

/// Runs the simulations of c's slice that have no complete file yet, over the ranks of
/// `comm` (each rank its own simulations, Comm::self() inside); writes c.out/campaign.ini
/// (`identity`: the settings that define the results; a different one already there is
/// refused), design.txt, sims/sim_NNNNNN.h5 and manifest.txt. Collective.
CampaignReport run_campaign(const CampaignConfig& c, const sim::Settings& identity,
                            const sim::Comm& comm);

/// One complete simulation listed in a manifest.
struct CampaignEntry {
  int index = 0;               ///< design index
  bool fiducial = false;       ///< a fiducial (base-cosmology) simulation
  std::uint64_t seed = 0;      ///< white-noise seed
  std::vector<double> values;  ///< the prior's parameters
  std::string file;            ///< the summary file (absolute or relative to the campaign)
};

/// A campaign's manifest: the parameter names and the complete simulations.
struct CampaignManifest {
  std::vector<std::string> parameters;  ///< names of the varied parameters, prior order
  std::vector<CampaignEntry> entries;   ///< by index
};

/// Reads dir/manifest.txt (files made absolute); throws std::runtime_error naming the file
/// and line when it is malformed.
CampaignManifest read_campaign_manifest(const std::string& dir);

/// The summary file name of point `index` relative to the campaign directory.
std::string campaign_sim_file(int index);

}  // namespace cosmograd::driver
