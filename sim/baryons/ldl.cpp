// Lagrangian Deep Learning layers and the gradient of their loss through the engine's vjps
// (Dai & Seljak 2021). See ldl.hpp for the model.
#include "sim/baryons/ldl.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/mesh/fft.hpp"
#include "sim/mesh/painter.hpp"

namespace cosmograd::sim {

namespace {

using Cplx = std::complex<double>;

/// The mesh, its FFT and its fundamental wavenumber.
struct Mesh {
  Decomposition d;
  Fft<double> fft;
  double box;
  double kf;     // 2 pi / L [h/Mpc]
  double cells;  // n^3

  Mesh(int n, double box_size, int threads)
      : d(n), fft(d, threads), box(box_size), kf(2 * M_PI / box_size), cells(double(n) * n * n) {}
  int n() const { return d.n(); }
};

/// Calls f(index, m, weight) for every stored Fourier mode: m the signed integer wavenumbers,
/// weight 2 for the modes 0 < kz < n/2 that also stand for their conjugate partner, else 1.
template <class F>
void for_each_mode(const Decomposition& d, F f) {
  const int n = d.n();
#pragma omp parallel for schedule(static)
  for (int x = 0; x < d.nx_local(); ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const double w = (z == 0 || 2 * z == n) ? 1.0 : 2.0;
        f(d.complex_index(x, y, z), d.mode_of(x, y, z), w);
      }
    }
  }
}

/// Sums g(index, m, weight) over the stored modes in a fixed order (per plane, then planes).
template <class G>
double sum_modes(const Decomposition& d, G g) {
  const int n = d.n();
  std::vector<double> part(static_cast<std::size_t>(d.nx_local()), 0.0);
#pragma omp parallel for schedule(static)
  for (int x = 0; x < d.nx_local(); ++x) {
    double s = 0;
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < d.nz_complex(); ++z) {
        const double w = (z == 0 || 2 * z == n) ? 1.0 : 2.0;
        s += g(d.complex_index(x, y, z), d.mode_of(x, y, z), w);
      }
    }
    part[x] = s;
  }
  double total = 0;
  for (double s : part) total += s;
  return total;
}

/// Sums g(real index) over the real cells in a fixed order.
template <class G>
double sum_cells(const Decomposition& d, G g) {
  const int n = d.n();
  std::vector<double> part(static_cast<std::size_t>(d.nx_local()), 0.0);
#pragma omp parallel for schedule(static)
  for (int x = 0; x < d.nx_local(); ++x) {
    double s = 0;
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) s += g(d.real_index(x, y, z));
    }
    part[x] = s;
  }
  double total = 0;
  for (double s : part) total += s;
  return total;
}

/// Calls f(real index) for every real cell (in parallel).
template <class F>
void for_each_cell(const Decomposition& d, F f) {
  const int n = d.n();
#pragma omp parallel for schedule(static)
  for (int x = 0; x < d.nx_local(); ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) f(d.real_index(x, y, z));
    }
  }
}

/// Gradient wavenumber k_d of mode m [h/Mpc]: i k_d is the derivative, 0 on the Nyquist plane.
double grad_k(const std::array<int, 3>& m, int dim, int n, double kf) {
  return 2 * m[dim] == n || 2 * m[dim] == -n ? 0.0 : kf * m[dim];
}

/// |k| of mode m [h/Mpc].
double mode_k(const std::array<int, 3>& m, double kf) {
  return kf * std::sqrt(double(m[0]) * m[0] + double(m[1]) * m[1] + double(m[2]) * m[2]);
}

/// The LDL filter O(k) = exp(-k_l^2 / k^2 - k^2 / k_h^2) k^n (Dai & Seljak 2021, eq. 3), 0 at
/// k = 0.
double ldl_filter(const LdlLayer& l, double k) {
  if (k <= 0) return 0.0;
  return std::exp(-l.k_l * l.k_l / (k * k) - k * k / (l.k_h * l.k_h)) * std::pow(k, l.n);
}

/// The forward intermediates of one displacement layer on particles p.
struct LayerState {
  Field<double> rho;                 // 1 + delta of the layer's input particles
  Field<double> fk;                  // forward FFT of f = (rho + eps)^gamma
  std::array<Field<double>, 3> phi;  // grad O f in real space [per Mpc/h]
  explicit LayerState(const Decomposition& d)
      : rho(d), fk(d), phi{Field<double>(d), Field<double>(d), Field<double>(d)} {}
};

/// CIC 1 + delta of p on the serial mesh `d` of a box of side p.box_size.
Field<double> unit_mean_density(const Decomposition& d, const Particles<double>& p) {
  Field<double> rho(d);
  const double cells = double(d.n()) * d.n() * d.n();
  paint(rho, p, p.box_size, PaintKernel::cic, cells / double(p.size()));
  return rho;
}

Field<double> density(const Mesh& m, const Particles<double>& p) {
  return unit_mean_density(m.d, p);
}

LayerState layer_forward(const Mesh& m, const LdlLayer& l, const Particles<double>& p) {
  LayerState s(m.d);
  s.rho = density(m, p);
  const double* rho = s.rho.real();
  double* f = s.fk.real();
  for_each_cell(m.d, [&](std::size_t i) { f[i] = std::pow(rho[i] + kLdlEps, l.gamma); });
  m.fft.forward(s.fk);
  const Cplx* fk = s.fk.complex();
  for (int dim = 0; dim < 3; ++dim) {
    Cplx* out = s.phi[dim].complex();
    for_each_mode(m.d, [&](std::size_t i, const std::array<int, 3>& k, double) {
      const double o = ldl_filter(l, mode_k(k, m.kf)) / m.cells;
      out[i] = Cplx(0, grad_k(k, dim, m.n(), m.kf) * o) * fk[i];
    });
    m.fft.backward(s.phi[dim]);
  }
  return s;
}

/// Moves p by the layer's displacement alpha phi(x_j) (readout with CIC).
void displace(const Mesh& m, const LdlLayer& l, const LayerState& s, Particles<double>& p) {
  std::vector<double> shift(3 * p.size());
  const Field<double>* meshes[3] = {&s.phi[0], &s.phi[1], &s.phi[2]};
  readout3(meshes, p, m.box, PaintKernel::cic, shift.data());
  for (std::size_t i = 0; i < shift.size(); ++i) p.disp[i] += l.alpha * shift[i];
}

/// Output layer value b1 (rho + eps)^mu + b0 before the ReLU.
double output_linear(const LdlOutput& o, double rho) {
  return o.b1 * std::pow(rho + kLdlEps, o.mu) + o.b0;
}

Field<double> apply_output(const Mesh& m, const LdlModel& model, const Field<double>& rho) {
  Field<double> out(m.d);
  if (!model.output) {
    out = rho.clone();
    return out;
  }
  const double* r = rho.real();
  double* o = out.real();
  for_each_cell(m.d, [&](std::size_t i) { o[i] = std::max(0.0, output_linear(model.out, r[i])); });
  return out;
}

/// Multiplies a field by exp(-k^2 R^2 / 2) (in place, real space in and out).
void smooth(const Mesh& m, Field<double>& f, double radius) {
  if (radius <= 0) return;
  m.fft.forward(f);
  Cplx* c = f.complex();
  for_each_mode(m.d, [&](std::size_t i, const std::array<int, 3>& k, double) {
    const double kk = mode_k(k, m.kf);
    c[i] *= std::exp(-0.5 * kk * kk * radius * radius) / m.cells;
  });
  m.fft.backward(f);
}

/// Bin of mode m for the power term: |m| in [j, j + 1) -> j - 1, or -1 outside 1 <= |m| and
/// |k| <= k_max.
int power_bin(const std::array<int, 3>& m, double kf, double k_max) {
  const double mag = std::sqrt(double(m[0]) * m[0] + double(m[1]) * m[1] + double(m[2]) * m[2]);
  if (mag < 1 || mag * kf > k_max * (1 + 1e-12)) return -1;
  return static_cast<int>(std::floor(mag + 1e-9)) - 1;
}

/// Binned |F_k|^2 (mean over the modes of each bin, both halves counted) of Fourier field fk.
std::vector<double> binned_power(const Mesh& m, const Field<double>& fk, double k_max,
                                 std::vector<double>* counts) {
  const int nbins = static_cast<int>(std::floor(k_max / m.kf + 1e-9));
  std::vector<double> p(nbins, 0.0), c(nbins, 0.0);
  const Cplx* f = fk.complex();
  // Serial in mode order: deterministic and cheap next to the FFTs.
  for (int x = 0; x < m.d.nx_local(); ++x) {
    for (int y = 0; y < m.n(); ++y) {
      for (int z = 0; z < m.d.nz_complex(); ++z) {
        const auto k = m.d.mode_of(x, y, z);
        const int b = power_bin(k, m.kf, k_max);
        if (b < 0 || b >= nbins) continue;
        const double w = (z == 0 || 2 * z == m.n()) ? 1.0 : 2.0;
        p[b] += w * std::norm(f[m.d.complex_index(x, y, z)]);
        c[b] += w;
      }
    }
  }
  for (int b = 0; b < nbins; ++b) p[b] = c[b] > 0 ? p[b] / c[b] : 0.0;
  if (counts) *counts = c;
  return p;
}

/// The loss of field `out` against `target` and, when cot is not null, its cotangent
/// dL/d out(x).
double field_loss(const Mesh& m, const Field<double>& out, const Field<double>& target,
                  const LdlLoss& loss, Field<double>* cot) {
  double total = 0;
  if (cot) cot->fill(0.0);
  if (loss.mse_weight > 0) {
    Field<double> fs = out.clone(), ts = target.clone();
    smooth(m, fs, loss.smoothing);
    smooth(m, ts, loss.smoothing);
    const double* f = fs.real();
    const double* t = ts.real();
    const double mean_t = sum_cells(m.d, [&](std::size_t i) { return t[i]; }) / m.cells;
    const double var_t =
        sum_cells(m.d, [&](std::size_t i) { return (t[i] - mean_t) * (t[i] - mean_t); }) / m.cells;
    if (!(var_t > 0)) throw std::invalid_argument("LDL loss: the target field is constant");
    const double scale = loss.mse_weight / (m.cells * var_t);
    total += scale * sum_cells(m.d, [&](std::size_t i) { return (f[i] - t[i]) * (f[i] - t[i]); });
    if (cot) {
      double* r = fs.real();
      for_each_cell(m.d, [&](std::size_t i) { r[i] = 2 * scale * (r[i] - t[i]); });
      smooth(m, fs, loss.smoothing);  // the smoothing is symmetric
      double* c = cot->real();
      for_each_cell(m.d, [&](std::size_t i) { c[i] += r[i]; });
    }
  }
  if (loss.power_weight > 0) {
    const double k_max = loss.k_max > 0 ? loss.k_max : 0.5 * m.kf * m.n() / 2;
    Field<double> fk = out.clone(), tk = target.clone();
    m.fft.forward(fk);
    m.fft.forward(tk);
    std::vector<double> counts;
    const std::vector<double> pf = binned_power(m, fk, k_max, &counts);
    const std::vector<double> pt = binned_power(m, tk, k_max, nullptr);
    std::vector<double> dp(pf.size(), 0.0);
    int used = 0;
    for (std::size_t b = 0; b < pf.size(); ++b) used += counts[b] > 0 && pt[b] > 0 && pf[b] > 0;
    if (used == 0) throw std::invalid_argument("LDL loss: no k bin below k_max has power");
    for (std::size_t b = 0; b < pf.size(); ++b) {
      if (!(counts[b] > 0 && pt[b] > 0 && pf[b] > 0)) continue;
      const double diff = std::log(pf[b] / pt[b]);
      total += loss.power_weight * diff * diff / used;
      dp[b] = 2 * loss.power_weight * diff / (used * pf[b] * counts[b]);
    }
    if (cot) {
      // dL/dout(x) = 2 sum_k c_k F_k e^{ikx} over all modes (a c2r of c_k F_k).
      Cplx* f = fk.complex();
      for_each_mode(m.d, [&](std::size_t i, const std::array<int, 3>& k, double) {
        const int b = power_bin(k, m.kf, k_max);
        f[i] *= (b >= 0 && b < static_cast<int>(dp.size())) ? 2 * dp[b] : 0.0;
      });
      m.fft.backward(fk);
      double* c = cot->real();
      const double* g = fk.real();
      for_each_cell(m.d, [&](std::size_t i) { c[i] += g[i]; });
    }
  }
  return total;
}

}  // namespace

int LdlModel::num_parameters() const {
  return 5 * static_cast<int>(layers.size()) + (output ? 3 : 0);
}

std::vector<double> LdlModel::parameters() const {
  std::vector<double> v;
  for (const LdlLayer& l : layers) v.insert(v.end(), {l.alpha, l.gamma, l.k_l, l.k_h, l.n});
  if (output) v.insert(v.end(), {out.b1, out.b0, out.mu});
  return v;
}

void LdlModel::set_parameters(const std::vector<double>& values) {
  if (static_cast<int>(values.size()) != num_parameters()) {
    throw std::invalid_argument("LDL parameters: got " + std::to_string(values.size()) +
                                " values, the model has " + std::to_string(num_parameters()));
  }
  std::size_t i = 0;
  for (LdlLayer& l : layers) {
    l = LdlLayer{values[i], values[i + 1], values[i + 2], values[i + 3], values[i + 4]};
    i += 5;
  }
  if (output) out = LdlOutput{values[i], values[i + 1], values[i + 2]};
  validate();
}

std::vector<std::pair<std::string, double>> LdlModel::named_parameters() const {
  std::vector<std::pair<std::string, double>> v;
  for (std::size_t j = 0; j < layers.size(); ++j) {
    const std::string p = "layer" + std::to_string(j + 1) + "_";
    const LdlLayer& l = layers[j];
    v.insert(v.end(), {{p + "alpha", l.alpha},
                       {p + "gamma", l.gamma},
                       {p + "k_l", l.k_l},
                       {p + "k_h", l.k_h},
                       {p + "n", l.n}});
  }
  if (output) v.insert(v.end(), {{"b1", out.b1}, {"b0", out.b0}, {"mu", out.mu}});
  return v;
}

void LdlModel::validate() const {
  if (mesh < 4 || mesh % 2 != 0) {
    throw std::invalid_argument("LDL mesh = " + std::to_string(mesh) +
                                ": must be an even number >= 4");
  }
  for (std::size_t j = 0; j < layers.size(); ++j) {
    const LdlLayer& l = layers[j];
    const std::string p = "LDL layer " + std::to_string(j + 1) + " ";
    if (!(l.k_l > 0) || !std::isfinite(l.k_l)) {
      throw std::invalid_argument(p + "k_l = " + std::to_string(l.k_l) + ": must be > 0 [h/Mpc]");
    }
    if (!(l.k_h > 0) || !std::isfinite(l.k_h)) {
      throw std::invalid_argument(p + "k_h = " + std::to_string(l.k_h) + ": must be > 0 [h/Mpc]");
    }
    if (!std::isfinite(l.alpha) || !std::isfinite(l.gamma) || !std::isfinite(l.n)) {
      throw std::invalid_argument(p + "alpha, gamma and n must be finite");
    }
  }
  if (output && (!std::isfinite(out.b1) || !std::isfinite(out.b0) || !std::isfinite(out.mu))) {
    throw std::invalid_argument("LDL output b1, b0 and mu must be finite");
  }
}

Field<double> ldl_density(const Particles<double>& p, int n) {
  return unit_mean_density(Decomposition(n), p);  // no FFT needed
}

Particles<double> ldl_displace(const LdlModel& model, const Particles<double>& p, int threads) {
  model.validate();
  const Mesh m(model.mesh, p.box_size, threads);
  Particles<double> q = p;
  for (const LdlLayer& l : model.layers) displace(m, l, layer_forward(m, l, q), q);
  return q;
}

Field<double> ldl_paint(const LdlModel& model, const Particles<double>& p, int threads) {
  const Mesh m(model.mesh, p.box_size, threads);
  const Particles<double> q = ldl_displace(model, p, threads);
  return apply_output(m, model, density(m, q));
}

/// The evaluator's buffers: kept between calls, so that the fit's many evaluations on one
/// particle set allocate nothing large.
struct LdlEvaluator::Impl {
  Particles<double> base;                   // the input particles
  Particles<double> q;                      // the particles as they pass the layers
  std::vector<std::vector<double>> inputs;  // displacements entering each layer
  std::vector<LayerState> states;           // each layer's forward intermediates
  std::vector<double> x_cot, next, readout_grad;
  std::unique_ptr<Mesh> mesh;
  int threads;
  Impl(const Particles<double>& p, int t) : base(p), q(p), threads(t) {}
};

LdlEvaluator::LdlEvaluator(const Particles<double>& p, int threads)
    : impl_(std::make_unique<Impl>(p, threads)) {}
LdlEvaluator::~LdlEvaluator() = default;
LdlEvaluator::LdlEvaluator(LdlEvaluator&&) noexcept = default;

double LdlEvaluator::loss_gradient(const LdlModel& model, const Field<double>& target,
                                   const LdlLoss& loss, std::vector<double>* grad) {
  model.validate();
  if (target.n() != model.mesh) {
    throw std::invalid_argument("LDL target mesh " + std::to_string(target.n()) +
                                " differs from the model's mesh " + std::to_string(model.mesh));
  }
  Impl& w = *impl_;
  if (!w.mesh || w.mesh->n() != model.mesh) {
    w.mesh = std::make_unique<Mesh>(model.mesh, w.base.box_size, w.threads);
    w.states.clear();
  }
  const Mesh& m = *w.mesh;
  // Forward, keeping each layer's input displacements and intermediates.
  const std::size_t nl = model.layers.size();
  w.inputs.resize(nl);
  w.q.disp = w.base.disp;
  w.states.clear();
  for (std::size_t j = 0; j < nl; ++j) {
    w.inputs[j] = w.q.disp;
    w.states.push_back(layer_forward(m, model.layers[j], w.q));
    displace(m, model.layers[j], w.states.back(), w.q);
  }
  const Field<double> rho_out = density(m, w.q);
  const Field<double> out = apply_output(m, model, rho_out);
  Field<double> out_cot(m.d);
  const double value = field_loss(m, out, target, loss, grad ? &out_cot : nullptr);
  if (!grad) return value;
  grad->assign(static_cast<std::size_t>(model.num_parameters()), 0.0);

  // Output layer: F = ReLU(b1 (rho + eps)^mu + b0).
  Field<double> rho_cot(m.d);
  {
    const double* r = rho_out.real();
    const double* c = out_cot.real();
    double* rc = rho_cot.real();
    if (model.output) {
      const LdlOutput& o = model.out;
      const std::size_t base = 5 * nl;
      const auto active = [&](std::size_t i) { return output_linear(o, r[i]) > 0 ? c[i] : 0.0; };
      (*grad)[base] =
          sum_cells(m.d, [&](std::size_t i) { return active(i) * std::pow(r[i] + kLdlEps, o.mu); });
      (*grad)[base + 1] = sum_cells(m.d, active);
      (*grad)[base + 2] = sum_cells(m.d, [&](std::size_t i) {
        return active(i) * o.b1 * std::pow(r[i] + kLdlEps, o.mu) * std::log(r[i] + kLdlEps);
      });
      for_each_cell(m.d, [&](std::size_t i) {
        rc[i] = active(i) * o.b1 * o.mu * std::pow(r[i] + kLdlEps, o.mu - 1);
      });
    } else {
      for_each_cell(m.d, [&](std::size_t i) { rc[i] = c[i]; });
    }
  }
  const std::size_t np = w.q.size();
  const double mass = m.cells / double(np);
  w.x_cot.assign(3 * np, 0.0);
  paint_vjp(rho_cot, w.q, m.box, PaintKernel::cic, mass, w.x_cot.data());

  // Displacement layers, last to first: x' = x + alpha R_x(phi), phi_d = grad_d O f(P(x)).
  for (std::size_t j = nl; j-- > 0;) {
    const LdlLayer& l = model.layers[j];
    w.q.disp.swap(w.inputs[j]);  // the layer's input positions
    const Particles<double>& q = w.q;
    const LayerState& s = w.states[j];
    const Field<double>* phi[3] = {&s.phi[0], &s.phi[1], &s.phi[2]};
    w.next = w.x_cot;  // the identity part of x' = x + S
    w.readout_grad.assign(3 * np, 0.0);
    // J = sum_j x_cot_j . R_j(phi): its value gives alpha's gradient, its position gradient
    // (times alpha) the readout's part.
    const double J = readout3_vjp_positions(phi, q, m.box, PaintKernel::cic, w.x_cot.data(),
                                            w.readout_grad.data());
    for (std::size_t i = 0; i < w.next.size(); ++i) w.next[i] += l.alpha * w.readout_grad[i];
    double* g = grad->data() + 5 * j;
    g[0] = J;
    // phi_cot_d = alpha x paint of the cotangents (the transpose of the readout).
    std::array<Field<double>, 3> phi_cot{Field<double>(m.d), Field<double>(m.d),
                                         Field<double>(m.d)};
    Field<double>* pc[3] = {&phi_cot[0], &phi_cot[1], &phi_cot[2]};
    paint3_weighted(pc, q, m.box, PaintKernel::cic, w.x_cot.data());
    for (auto& f : phi_cot) m.fft.forward(f);
    // With phi_d = (1/N^3) c2r(i k_d O F): dJ/dtheta = (alpha/N^3) sum_k conj(PhiCot_d) i k_d
    // dO/dtheta F over all modes, and f_cot = (alpha/N^3) c2r(sum_d -i k_d O PhiCot_d).
    const Cplx* fk = s.fk.complex();
    Field<double> f_cot(m.d);
    Cplx* fc = f_cot.complex();
    std::array<double, 3> dtheta{0, 0, 0};  // k_l, k_h, n
    for (int t = 0; t < 3; ++t) {
      dtheta[t] = sum_modes(m.d, [&](std::size_t i, const std::array<int, 3>& k, double wt) {
        const double kk = mode_k(k, m.kf);
        if (kk <= 0) return 0.0;
        const double dlog = t == 0   ? -2 * l.k_l / (kk * kk)
                            : t == 1 ? 2 * kk * kk / (l.k_h * l.k_h * l.k_h)
                                     : std::log(kk);
        const double o = ldl_filter(l, kk) * dlog;
        Cplx s_k(0, 0);
        for (int d = 0; d < 3; ++d) {
          s_k += std::conj(phi_cot[d].complex()[i]) * Cplx(0, grad_k(k, d, m.n(), m.kf));
        }
        return wt * std::real(s_k * o * fk[i]);
      });
    }
    for (int t = 0; t < 3; ++t) g[2 + t] = l.alpha * dtheta[t] / m.cells;
    for_each_mode(m.d, [&](std::size_t i, const std::array<int, 3>& k, double) {
      const double o = ldl_filter(l, mode_k(k, m.kf)) * l.alpha / m.cells;
      Cplx acc(0, 0);
      for (int d = 0; d < 3; ++d) {
        acc += Cplx(0, -grad_k(k, d, m.n(), m.kf) * o) * phi_cot[d].complex()[i];
      }
      fc[i] = acc;
    });
    m.fft.backward(f_cot);
    // f = (rho + eps)^gamma.
    const double* r = s.rho.real();
    double* c = f_cot.real();
    g[1] = sum_cells(m.d, [&](std::size_t i) {
      return c[i] * std::pow(r[i] + kLdlEps, l.gamma) * std::log(r[i] + kLdlEps);
    });
    for_each_cell(m.d,
                  [&](std::size_t i) { c[i] *= l.gamma * std::pow(r[i] + kLdlEps, l.gamma - 1); });
    paint_vjp(f_cot, q, m.box, PaintKernel::cic, mass, w.next.data());
    w.x_cot.swap(w.next);
  }
  return value;
}

double ldl_loss_gradient(const LdlModel& model, const Particles<double>& p,
                         const Field<double>& target, const LdlLoss& loss,
                         std::vector<double>* grad, int threads) {
  LdlEvaluator e(p, threads);
  return e.loss_gradient(model, target, loss, grad);
}

}  // namespace cosmograd::sim
