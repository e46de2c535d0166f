// r(k), T(k) and the linear field of a white noise (see reconstruction_metrics.hpp).
#include "inference/reconstruction_metrics.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/cosmo/cosmology_tables.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::inference {

TransferComparison compare_fields(const sim::Field<double>& estimate,
                                  const sim::Field<double>& truth, double box_size, int threads) {
  if (estimate.n() != truth.n()) {
    throw std::invalid_argument("compare_fields: meshes " + std::to_string(estimate.n()) +
                                "^3 and " + std::to_string(truth.n()) + "^3 differ");
  }
  const sim::Fft<double> fft(truth.decomp(), threads, sim::FftPlanning::estimate);
  sim::Field<double> a = estimate.clone(), b = truth.clone();
  fft.forward(a);
  fft.forward(b);
  sim::PowerOptions o;
  o.subtract_shot_noise = false;
  const sim::PowerSpectrum ab = sim::cross_power(a, b, box_size, o);
  const sim::PowerSpectrum aa = sim::power_spectrum(a, box_size, o);
  const sim::PowerSpectrum bb = sim::power_spectrum(b, box_size, o);
  TransferComparison c;
  c.k = ab.k;
  c.modes = ab.modes;
  c.r = sim::correlation_coefficient(ab, aa, bb);
  for (std::size_t i = 0; i < ab.k.size(); ++i) {
    c.transfer.push_back(bb.power[i] > 0 ? std::sqrt(aa.power[i] / bb.power[i]) : 0.0);
  }
  return c;
}

sim::Field<double> linear_field(const sim::SimSpec& spec, const sim::Field<double>& w,
                                int threads) {
  const sim::CosmologyTables tables(spec.cosmology, spec.transfer.name, spec.transfer.table_path);
  const sim::Fft<double> fft(w.decomp(), threads, sim::FftPlanning::estimate);
  sim::Field<double> modes(w.decomp());
  sim::linear_modes_from_real_noise<double>(
      w, modes, spec.box_size, [&](double k) { return tables.linear->power_today(k); }, fft);
  fft.backward(modes);
  return modes;
}

}  // namespace cosmograd::inference
