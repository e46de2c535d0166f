// Data models of initial-condition reconstruction: what is observed of a simulation's final
// particles (the CIC matter density or a halo field through a bias expansion, optionally in
// redshift space and behind a survey mask) with white Gaussian noise, and the Gaussian
// likelihood of data given the particles with its vjp (Seljak et al. 2017; Modi et al.
// 2021, CosmicRIM).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/mesh/field.hpp"
#include "sim/mesh/painter.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/pm/step_observer.hpp"

namespace cosmograd::inference {

/// What field is observed.
enum class Tracer {
  matter,  ///< the CIC matter density contrast
  halos,   ///< a halo field: b1 S delta + b2 ((S delta)^2 - <(S delta)^2>) of the matter
};

/// "matter" or "halos".
const char* tracer_name(Tracer t);
/// The tracer named `name`; throws std::invalid_argument naming `field` and the allowed names.
Tracer parse_tracer(const std::string& name, const std::string& field = "tracer");

/// How data arise from a simulation's final particles.
struct DataModel {
  Tracer tracer = Tracer::matter;                    ///< the observed field
  int mesh = 32;                                     ///< data mesh cells per side
  double box_size = 200;                             ///< box side L [Mpc/h]
  sim::PaintKernel painter = sim::PaintKernel::cic;  ///< mass assignment of the data
  double noise_power = 100;                          ///< white noise power P_N [(Mpc/h)^3]
  int rsd_axis = -1;                                 ///< line of sight 0, 1, 2 (x, y, z); -1 none
  double rsd_factor = 0;      ///< redshift-space shift per unit momentum, 1 / (a^2 E(a)) [1]
  double bias_b1 = 1;         ///< halos: linear bias
  double bias_b2 = 0;         ///< halos: quadratic bias
  double bias_smoothing = 0;  ///< halos: Gaussian smoothing R of the matter field [Mpc/h]
  std::vector<double> mask;   ///< mesh^3 weights 0 or 1 in C order (empty: all observed)
  int threads = 1;            ///< threads of the paints and FFTs

  /// Cell volume (L / mesh)^3 [(Mpc/h)^3].
  double cell_volume() const;
  /// Per-cell noise rms sigma = sqrt(P_N / V_cell).
  double noise_sigma() const;
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// The redshift-space shift per unit momentum, 1 / (a^2 E(a)): a particle of momentum p
/// (a^2 dx/dt / H0 [Mpc/h]) appears displaced by p / (a^2 E(a)) [Mpc/h] along the line of sight
/// (Kaiser 1987; the distant-observer limit).
double rsd_shift_factor(const sim::Cosmology& cosmology, double a);

/// A slab mask on an n^3 mesh: cells with x index < fraction n unobserved (0), others 1.
std::vector<double> slab_mask(int mesh, double fraction);

/// The noiseless field the data model sees for final particles p (on model.mesh^3, serial
/// layout, mesh point i at i L / n): the density contrast of the positions (shifted along the
/// line of sight in redshift space) or its halo bias expansion. Unmasked.
sim::Field<double> observe(const DataModel& model, const sim::Particles<double>& p);

/// Data drawn from the model: observe(p) plus white Gaussian noise of rms noise_sigma() (seed
/// `noise_seed`), zero in masked cells.
sim::Field<double> simulate_data(const DataModel& model, const sim::Particles<double>& p,
                                 std::uint64_t noise_seed);

/// Adds white Gaussian noise of rms noise_sigma() (seed `noise_seed`) to `field` (model.mesh^3)
/// and zeroes its masked cells.
void add_noise(const DataModel& model, sim::Field<double>& field, std::uint64_t noise_seed);

/// The negative log-likelihood J = 1/2 sum_c (S_R [m (observe(p) - data)])_c^2 / sigma^2 with
/// m the mask and S_R a Gaussian smoothing exp(-k^2 R^2 / 2) of radius `smoothing` [Mpc/h]
/// (0: none; the annealing of Modi et al. 2018). When `cot` is not null, dJ/d disp and dJ/d mom
/// (redshift space) are added to it (resized to p when empty).
double data_likelihood(const DataModel& model, const sim::Particles<double>& p,
                       const sim::Field<double>& data, double smoothing,
                       sim::StateCotangent<double>* cot = nullptr);

/// Multiplies a real-space serial field by exp(-k^2 R^2 / 2) (R [Mpc/h] in a box of side L
/// [Mpc/h]) in place; R = 0 leaves it unchanged.
void gaussian_smooth(sim::Field<double>& f, double box_size, double radius, int threads);

}  // namespace cosmograd::inference
