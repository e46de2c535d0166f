#include "sim/pm/initial_modes.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <string>

#include "sim/core/settings.hpp"
#include "sim/io/field_io.hpp"
#include "sim/mesh/white_noise.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::sim {

template <class T>
Field<T> initial_modes(const SimSpec& c, const LinearPower& linear, const Fft<T>& fft,
                       const Decomposition& d) {
  if (!c.ic_linear_field.empty()) {
    LinearFieldFile<T> file = read_linear_field<T>(c.ic_linear_field, c.particles);
    if (std::abs(file.box_size - c.box_size) > 1e-6 * c.box_size) {
      bad_setting("ic_linear_field", c.ic_linear_field,
                  "has box_size " + std::to_string(file.box_size) +
                      " Mpc/h but box_size = " + std::to_string(c.box_size));
    }
    Field<T> modes(d);  // this rank's planes of the file's field (read whole by every rank)
    for (int xl = 0; xl < d.nx_local(); ++xl) {
      std::copy_n(file.field.plane(d.x_begin() + xl), d.plane_size(), modes.plane(xl));
    }
    fft.forward(modes);
    // delta_k = (1/N^3) FFT, scaled from the file's redshift to a = 1.
    const double a_file = 1.0 / (1.0 + file.redshift);
    const double scale =
        1.0 / (std::pow(static_cast<double>(c.particles), 3) * linear.growth(a_file));
    std::complex<T>* m = modes.complex();
    for (std::size_t i = 0; i < d.local_complex_size(); ++i) m[i] *= static_cast<T>(scale);
    zero_nyquist_and_mean(modes);
    return modes;
  }
  Field<T> modes(d);
  NoiseOptions no;
  no.seed = c.seed;
  no.fixed_amplitude = c.fixed_amplitude;
  no.paired = c.paired;
  fill_white_noise(modes, no);
  linear_modes_from_noise(modes, c.box_size, [&linear](double k) { return linear.power(k, 1.0); });
  return modes;
}

template Field<float> initial_modes<float>(const SimSpec&, const LinearPower&, const Fft<float>&,
                                           const Decomposition&);
template Field<double> initial_modes<double>(const SimSpec&, const LinearPower&, const Fft<double>&,
                                             const Decomposition&);

}  // namespace cosmograd::sim
