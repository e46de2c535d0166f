// Painted-field metrics and the mean-relation baseline (see painter_metrics.hpp).
#include "sim/baryons/painter_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/fft.hpp"

namespace cosmograd::sim {

namespace {

constexpr double kEps = 1e-3;  // as the LDL regulariser (sim/baryons/ldl.hpp)

/// Fourier modes (1/N^3) FFT(f - mean f), this file's P(k) normalisation.
Field<double> centred_modes(const Field<double>& f, const Fft<double>& fft) {
  const int n = f.n();
  double mean = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) mean += f.at(x, y, z);
    }
  }
  mean /= double(n) * n * n;
  Field<double> c = f.clone();
  const double norm = 1.0 / (double(n) * n * n);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) c.at(x, y, z) = (f.at(x, y, z) - mean) * norm;
    }
  }
  fft.forward(c);
  return c;
}

/// Calls g(dm value, field value) for every cell of every pair.
template <class G>
void for_each_pair(const std::vector<const Field<double>*>& dm,
                   const std::vector<const Field<double>*>& field, G g) {
  if (dm.empty() || dm.size() != field.size()) {
    throw std::invalid_argument("painter metrics: " + std::to_string(dm.size()) +
                                " dark-matter fields and " + std::to_string(field.size()) +
                                " targets; need the same number, at least one");
  }
  for (std::size_t i = 0; i < dm.size(); ++i) {
    const int n = dm[i]->n();
    if (field[i]->n() != n) {
      throw std::invalid_argument("painter metrics: dark-matter mesh " + std::to_string(n) +
                                  " and target mesh " + std::to_string(field[i]->n()) + " differ");
    }
    for (int x = 0; x < n; ++x) {
      for (int y = 0; y < n; ++y) {
        for (int z = 0; z < n; ++z) g(dm[i]->at(x, y, z), field[i]->at(x, y, z));
      }
    }
  }
}

}  // namespace

std::vector<double> PaintSpectra::ratio() const {
  std::vector<double> r(k.size());
  for (std::size_t i = 0; i < k.size(); ++i) r[i] = painted[i] / target[i];
  return r;
}

std::vector<double> PaintSpectra::correlation() const {
  std::vector<double> r(k.size());
  for (std::size_t i = 0; i < k.size(); ++i) r[i] = cross[i] / std::sqrt(painted[i] * target[i]);
  return r;
}

PaintSpectra paint_spectra(const Field<double>& painted, const Field<double>& target, double box,
                           double k_max, int threads) {
  if (painted.n() != target.n()) {
    throw std::invalid_argument("paint_spectra: meshes " + std::to_string(painted.n()) + " and " +
                                std::to_string(target.n()) + " differ");
  }
  const Fft<double> fft(Decomposition(painted.n()), threads);
  const Field<double> a = centred_modes(painted, fft), b = centred_modes(target, fft);
  PowerOptions o;
  o.k_max = k_max;
  const PowerSpectrum pa = power_spectrum(a, box, o), pb = power_spectrum(b, box, o),
                      pab = cross_power(a, b, box, o);
  return PaintSpectra{pa.k, pa.power, pb.power, pab.power, pa.modes};
}

MeanRelation::MeanRelation(const std::vector<const Field<double>*>& dm,
                           const std::vector<const Field<double>*>& target, int bins) {
  if (bins < 2)
    throw std::invalid_argument("mean relation bins = " + std::to_string(bins) + ": must be >= 2");
  std::vector<std::pair<double, double>> cells;
  for_each_pair(dm, target, [&](double r, double t) { cells.emplace_back(std::log(r + kEps), t); });
  std::sort(cells.begin(), cells.end());
  const std::size_t m = cells.size();
  const std::size_t nb = std::min<std::size_t>(static_cast<std::size_t>(bins), m);
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t lo = b * m / nb, hi = (b + 1) * m / nb;
    if (hi <= lo) continue;
    double sx = 0, st = 0;
    for (std::size_t i = lo; i < hi; ++i) sx += cells[i].first, st += cells[i].second;
    const double cx = sx / double(hi - lo);
    // Equal-count bins can repeat a density (empty cells): merge equal centres.
    if (!centres_.empty() && cx <= centres_.back()) {
      means_.back() = 0.5 * (means_.back() + st / double(hi - lo));
      continue;
    }
    centres_.push_back(cx);
    means_.push_back(st / double(hi - lo));
  }
}

Field<double> MeanRelation::apply(const Field<double>& dm) const {
  Field<double> out(dm.decomp());
  const int n = dm.n();
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const double v = std::log(dm.at(x, y, z) + kEps);
        double t;
        if (v <= centres_.front()) {
          t = means_.front();
        } else if (v >= centres_.back()) {
          t = means_.back();
        } else {
          const std::size_t i = static_cast<std::size_t>(
              std::upper_bound(centres_.begin(), centres_.end(), v) - centres_.begin());
          const double w = (v - centres_[i - 1]) / (centres_[i] - centres_[i - 1]);
          t = means_[i - 1] + w * (means_[i] - means_[i - 1]);
        }
        out.at(x, y, z) = t;
      }
    }
  }
  return out;
}

std::vector<double> scatter_in_density_bins(const std::vector<const Field<double>*>& dm,
                                            const std::vector<const Field<double>*>& field,
                                            const std::vector<double>& edges,
                                            std::vector<double>* counts) {
  const std::size_t nb = edges.size() < 2 ? 0 : edges.size() - 1;
  std::vector<double> s1(nb, 0.0), s2(nb, 0.0), c(nb, 0.0);
  for_each_pair(dm, field, [&](double r, double t) {
    const double v = std::log(r + kEps);
    if (nb == 0 || v < edges.front() || v >= edges.back()) return;
    const std::size_t b =
        static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()) -
        1;
    s1[b] += t, s2[b] += t * t, c[b] += 1;
  });
  std::vector<double> sd(nb, 0.0);
  for (std::size_t b = 0; b < nb; ++b) {
    if (c[b] > 1) sd[b] = std::sqrt(std::max(0.0, s2[b] / c[b] - (s1[b] / c[b]) * (s1[b] / c[b])));
  }
  if (counts) *counts = c;
  return sd;
}

}  // namespace cosmograd::sim
