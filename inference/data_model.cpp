// Data models and their likelihood (see data_model.hpp).
#include "inference/data_model.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

#include "sim/core/settings.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/ghosts.hpp"

namespace cosmograd::inference {

namespace {

using sim::Decomposition;
using sim::Field;
using sim::Particles;

/// Calls fn(value, C-order index) for every real cell of a serial field, in C order.
template <class F>
void for_each_cell(Field<double>& f, F fn) {
  const int n = f.n();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) fn(f.at(x, y, z), (static_cast<std::size_t>(x) * n + y) * n + z);
    }
  }
}

/// Particles whose displacement is moved to redshift space along the model's line of sight.
Particles<double> observed_positions(const DataModel& m, const Particles<double>& p) {
  Particles<double> q = p;
  if (m.rsd_axis >= 0) {
    for (std::size_t j = 0; j < q.size(); ++j) {
      q.disp[3 * j + m.rsd_axis] += m.rsd_factor * p.mom[3 * j + m.rsd_axis];
    }
  }
  return q;
}

/// Mass per particle that makes the painted mesh 1 + delta.
double paint_mass(const DataModel& m, const Particles<double>& p) {
  return std::pow(static_cast<double>(m.mesh), 3) / std::pow(static_cast<double>(p.n_side), 3);
}

/// The painted density contrast of q, and for halos the smoothed contrast s and the model.
struct Observation {
  std::optional<Field<double>> smoothed;  // S_R delta (halos only)
  Field<double> model;                    // the observed field
};

Observation observe_with_intermediates(const DataModel& m, const Particles<double>& q) {
  const Decomposition d(m.mesh);
  Field<double> rho(d);
  sim::paint(rho, q, m.box_size, m.painter, paint_mass(m, q));
  sim::reduce_ghosts(rho);
  for_each_cell(rho, [](double& v, std::size_t) { v -= 1.0; });
  if (m.tracer == Tracer::matter) return {std::nullopt, std::move(rho)};
  gaussian_smooth(rho, m.box_size, m.bias_smoothing, m.threads);
  Field<double> model(d);
  double mean_sq = 0;
  for_each_cell(rho, [&](double& v, std::size_t) { mean_sq += v * v; });
  mean_sq /= std::pow(static_cast<double>(m.mesh), 3);
  const int n = m.mesh;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const double s = rho.at(x, y, z);
        model.at(x, y, z) = m.bias_b1 * s + m.bias_b2 * (s * s - mean_sq);
      }
    }
  }
  return {std::move(rho), std::move(model)};
}

}  // namespace

const char* tracer_name(Tracer t) { return t == Tracer::matter ? "matter" : "halos"; }

Tracer parse_tracer(const std::string& name, const std::string& field) {
  if (name == "matter") return Tracer::matter;
  if (name == "halos") return Tracer::halos;
  sim::bad_setting(field, name, "is not a tracer (allowed: matter, halos)");
}

double DataModel::cell_volume() const { return std::pow(box_size / mesh, 3); }

double DataModel::noise_sigma() const { return std::sqrt(noise_power / cell_volume()); }

void DataModel::validate() const {
  if (mesh < 2 || mesh % 2 != 0) {
    sim::bad_setting("data_mesh", std::to_string(mesh), "is not an even number >= 2");
  }
  if (!(box_size > 0)) sim::bad_setting("box_size", sim::format_setting(box_size), "is not > 0");
  if (!(noise_power > 0) || !std::isfinite(noise_power)) {
    sim::bad_setting("noise_power", sim::format_setting(noise_power),
                     "is not > 0 [(Mpc/h)^3] (the Gaussian likelihood needs noise)");
  }
  if (rsd_axis < -1 || rsd_axis > 2) {
    sim::bad_setting("los", std::to_string(rsd_axis), "is not an axis (allowed: none, x, y, z)");
  }
  if (!std::isfinite(rsd_factor)) {
    sim::bad_setting("rsd_factor", sim::format_setting(rsd_factor), "is not finite");
  }
  if (bias_smoothing < 0 || !std::isfinite(bias_smoothing)) {
    sim::bad_setting("bias_smoothing", sim::format_setting(bias_smoothing), "is not >= 0 [Mpc/h]");
  }
  if (!std::isfinite(bias_b1) || !std::isfinite(bias_b2)) {
    sim::bad_setting("bias_b1/bias_b2",
                     sim::format_setting(bias_b1) + "/" + sim::format_setting(bias_b2),
                     "are not finite");
  }
  const std::size_t cells = static_cast<std::size_t>(mesh) * mesh * mesh;
  if (!mask.empty() && mask.size() != cells) {
    sim::bad_setting("mask", std::to_string(mask.size()) + " cells",
                     "does not match data_mesh^3 = " + std::to_string(cells));
  }
  for (double w : mask) {
    if (w != 0.0 && w != 1.0) {
      sim::bad_setting("mask", sim::format_setting(w), "holds a value other than 0 or 1");
    }
  }
}

double rsd_shift_factor(const sim::Cosmology& cosmology, double a) {
  return 1.0 / (a * a * cosmology.E(a));
}

std::vector<double> slab_mask(int mesh, double fraction) {
  if (!(fraction >= 0 && fraction < 1)) {
    sim::bad_setting("mask_fraction", sim::format_setting(fraction),
                     "is out of range (allowed: 0 <= fraction < 1)");
  }
  const std::size_t plane = static_cast<std::size_t>(mesh) * mesh;
  const int masked = static_cast<int>(std::floor(fraction * mesh + 0.5));
  std::vector<double> m(plane * mesh, 1.0);
  std::fill(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(plane * masked), 0.0);
  return m;
}

void gaussian_smooth(Field<double>& f, double box_size, double radius, int threads) {
  if (radius <= 0) return;
  const Decomposition& d = f.decomp();
  const sim::Fft<double> fft(d, threads, sim::FftPlanning::estimate);
  fft.forward(f);
  const double kf = 2 * M_PI / box_size;
  const double cells = std::pow(static_cast<double>(d.n()), 3);
  for (int x = 0; x < d.nx_local(); ++x) {
    for (int y = 0; y < d.n(); ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const auto m = d.mode_of(x, y, z);
        const double k2 =
            kf * kf * (double(m[0]) * m[0] + double(m[1]) * m[1] + double(m[2]) * m[2]);
        f.mode(x, y, z) *= std::exp(-0.5 * k2 * radius * radius) / cells;
      }
    }
  }
  fft.backward(f);
}

Field<double> observe(const DataModel& model, const Particles<double>& p) {
  model.validate();
  return observe_with_intermediates(model, observed_positions(model, p)).model;
}

void add_noise(const DataModel& model, Field<double>& field, std::uint64_t noise_seed) {
  model.validate();
  if (field.n() != model.mesh) {
    throw std::invalid_argument("add_noise: field mesh " + std::to_string(field.n()) +
                                " != data_mesh " + std::to_string(model.mesh));
  }
  std::mt19937_64 rng(noise_seed);
  std::normal_distribution<double> normal(0.0, model.noise_sigma());
  for_each_cell(field, [&](double& v, std::size_t c) {
    v += normal(rng);
    if (!model.mask.empty()) v *= model.mask[c];
  });
}

Field<double> simulate_data(const DataModel& model, const Particles<double>& p,
                            std::uint64_t noise_seed) {
  Field<double> data = observe(model, p);
  add_noise(model, data, noise_seed);
  return data;
}

double data_likelihood(const DataModel& model, const Particles<double>& p,
                       const Field<double>& data, double smoothing,
                       sim::StateCotangent<double>* cot) {
  model.validate();
  if (data.n() != model.mesh) {
    throw std::invalid_argument("data_likelihood: data mesh " + std::to_string(data.n()) +
                                " != data_mesh " + std::to_string(model.mesh));
  }
  const Particles<double> q = observed_positions(model, p);
  Observation o = observe_with_intermediates(model, q);
  // r = S_R [m (model - data)]
  Field<double>& r = o.model;
  const int n = model.mesh;
  for_each_cell(r, [&](double& v, std::size_t c) {
    const std::size_t x = c / (static_cast<std::size_t>(n) * n), y = (c / n) % n, z = c % n;
    v -= data.at(static_cast<int>(x), static_cast<int>(y), static_cast<int>(z));
    if (!model.mask.empty()) v *= model.mask[c];
  });
  gaussian_smooth(r, model.box_size, smoothing, model.threads);
  const double var = model.noise_sigma() * model.noise_sigma();
  double chi2 = 0;
  for_each_cell(r, [&](double& v, std::size_t) { chi2 += v * v; });
  if (cot == nullptr) return 0.5 * chi2 / var;

  // dJ/d model = m S_R r / sigma^2 (S_R is symmetric).
  gaussian_smooth(r, model.box_size, smoothing, model.threads);
  for_each_cell(r, [&](double& v, std::size_t c) {
    v /= var;
    if (!model.mask.empty()) v *= model.mask[c];
  });
  if (model.tracer == Tracer::halos) {
    // model = b1 s + b2 (s^2 - <s^2>): dJ/ds = b1 g + 2 b2 s (g - <g>); then through S_R.
    double mean_g = 0;
    for_each_cell(r, [&](double& v, std::size_t) { mean_g += v; });
    mean_g /= std::pow(static_cast<double>(n), 3);
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z) {
          const double s = o.smoothed->at(x, y, z);
          double& g = r.at(x, y, z);
          g = model.bias_b1 * g + 2 * model.bias_b2 * s * (g - mean_g);
        }
      }
    }
    gaussian_smooth(r, model.box_size, model.bias_smoothing, model.threads);
  }
  sim::fill_ghosts(r);
  std::vector<double> grad(3 * q.size(), 0.0);
  sim::paint_vjp(r, q, model.box_size, model.painter, paint_mass(model, q), grad.data());
  cot->disp.resize(3 * p.size(), 0.0);
  cot->mom.resize(3 * p.size(), 0.0);
  for (std::size_t i = 0; i < grad.size(); ++i) cot->disp[i] += grad[i];
  if (model.rsd_axis >= 0) {
    for (std::size_t j = 0; j < p.size(); ++j) {
      cot->mom[3 * j + model.rsd_axis] += model.rsd_factor * grad[3 * j + model.rsd_axis];
    }
  }
  return 0.5 * chi2 / var;
}

}  // namespace cosmograd::inference
