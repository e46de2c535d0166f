// The lightcone of `cosmograd run` (key `lightcone`): the observer subscribed to the steps and,
// after the run, its files: Born convergence and shear maps per source (HEALPix and flat-sky
// FITS, pictures), their measured C_ell beside the Limber prediction, shell mass maps and the
// particle catalogue.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "driver/config.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/pm/step_schedule.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::driver {

/// The LightconeSpec of c.out.lightcone for cosmology `cosmology`: shells of lightcone_shell_width
/// from 0 to chi(lightcone_z_max) or lightcone_shell_edges, the observer (default: the box
/// centre), the run's seed for the flat field's replica shuffles.
sim::LightconeSpec lightcone_spec(const RunConfig& c, const sim::Cosmology& cosmology);

/// The lightcone of one run and its outputs.
template <class T>
class LightconeOutput {
 public:
  /// A lightcone for run c, bound to `schedule` (which must end at a = 1); collective.
  LightconeOutput(const RunConfig& c, const sim::Cosmology& cosmology,
                  const sim::LinearPower& linear, const sim::StepSchedule& schedule,
                  const sim::Comm& comm);
  /// The observer to subscribe to the run.
  sim::StepObserver<T>* observer() { return &lightcone_; }
  /// The lightcone itself (its maps after the run).
  const sim::Lightcone<T>& lightcone() const { return lightcone_; }
  /// After the run, into `dir` (collective; rank 0 writes the maps, every rank its catalogue):
  /// for each source NAME (sim::SourceDistribution::name()), with nside > 0:
  /// lightcone_kappa_NAME_healpix.fits (+ .png, Mollweide), lightcone_gamma1_NAME_healpix.fits,
  /// lightcone_gamma2_NAME_healpix.fits, lightcone_kappa_NAME_healpix_cl.txt (with the Limber
  /// C_ell and the Poisson noise of the shell counts, sum_s w_s^2 / n_s: an upper bound, the
  /// particles being sub-Poissonian); with a flat
  /// field the same with _flat; lightcone_kappa_NAME_cl.png (measured C_ell against the
  /// Limber linear and halofit C_ell over the lightcone's range); with write_shells
  /// lightcone_shell_NN_healpix.fits / _flat.fits (mass per pixel [Msun/h]); with a particle
  /// fraction lightcone_particles.hdf5 (one file per rank when distributed:
  /// lightcone_particles.rankR.hdf5). Returns the paths this rank wrote.
  std::vector<std::string> write(const std::string& dir) const;
  /// Seconds spent finding and depositing crossings [s].
  double seconds() const { return lightcone_.seconds(); }

 private:
  const RunConfig& config_;
  const sim::Cosmology& cosmology_;
  const sim::LinearPower& linear_;
  sim::Comm comm_;
  sim::LightconeSpec spec_;
  std::vector<sim::SourceDistribution> sources_;
  sim::Lightcone<T> lightcone_;
};

}  // namespace cosmograd::driver
