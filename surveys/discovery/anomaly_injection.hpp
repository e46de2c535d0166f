// Rare objects injected among the ordinary galaxies of a stamp set, as anomaly-detection tests
// do (Lochner & Bassett 2021, Astronomaly: the metric is the share of interesting objects among
// the top-N scores): galaxy-scale strong lenses (an arc or ring of a background source,
// ray-shot through an SIE), mergers (a second galaxy of the set added at 1-2 half-light radii)
// and artefacts (cosmic-ray tracks, a satellite trail, a saturated star with diffraction
// spikes, or a hot column). Lensed and merging light is drawn at the stamp's pixel scale and
// convolved with the stamp's PSF; it is added to the noisy image and to the noiseless one,
// and the stamp keeps its background noise (the added light's own shot noise is left out, a
// background-limited approximation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "surveys/images/stamp_set.hpp"

namespace cosmograd::surveys {

/// The injected kinds: the `anomaly` labels of the truth and of embeddings files.
enum class AnomalyKind : std::int32_t { kOrdinary = 0, kLens = 1, kMerger = 2, kArtefact = 3 };

/// The class names of the anomaly label: "ordinary", "lens", "merger", "artefact".
const std::vector<std::string>& anomaly_class_names();

/// How many stamps become which rare kind.
struct InjectionOptions {
  double fraction_lens = 0.01;      ///< share of stamps made strong lenses, in [0, 1]
  double fraction_merger = 0.01;    ///< share of stamps made mergers, in [0, 1]
  double fraction_artefact = 0.01;  ///< share of stamps given an artefact, in [0, 1]
  std::uint64_t seed = 1;           ///< random seed (which stamps, and every drawn parameter)
  /// Throws std::invalid_argument naming the field unless each fraction is in [0, 1] and
  /// their sum <= 0.5.
  void validate() const;
};

/// Adds a strong-lens arc/ring to stamp k of `set`: an SIE (Einstein radius uniform in
/// [0.35, 0.7] of the stamp's half side in arcsec, axis ratio in [0.6, 1]) centred on the stamp,
/// lensing a circular Gaussian source (sigma 0.5-1.2 pixels) of 0.2-0.5 of the stamp's flux
/// (at least 5 noise_sigma per pixel area at its peak after lensing) placed within 0.3
/// Einstein radii of the axis; returns the added lensed flux [unit].
double inject_lens(StampSet& set, std::size_t k, std::uint64_t seed);
/// Adds stamp `other`'s noiseless galaxy, scaled to 0.3-1 of stamp k's flux and shifted by 1-2
/// (at least 3 pixels) of max(half-light radii) in a random direction, to stamp k; needs the
/// set's noiseless images. Returns the added flux [unit].
double inject_merger(StampSet& set, std::size_t k, std::size_t other, std::uint64_t seed);
/// Adds one artefact to stamp k (kind 0 cosmic rays: 2-4 straight tracks 3-10 pixels long at
/// 30-150 noise_sigma, no PSF; 1 satellite trail: a line across the stamp of Gaussian width
/// the PSF's sigma at 5-15 noise_sigma peak; 2 a saturated star: the PSF at 8-12 pixels from
/// the centre with a peak of 500-2000 noise_sigma plus four diffraction spikes (falling as
/// 1/r), clipped at 300 noise_sigma; 3 a hot column: one column at 10-30 noise_sigma).
/// `artefact_kind` -1 draws it. Returns the kind used.
int inject_artefact(StampSet& set, std::size_t k, std::uint64_t seed, int artefact_kind = -1);

/// Injects rare objects into `set` (in place): the counts round(fraction x N) of distinct
/// stamps drawn with `seed`, lenses, mergers (partner drawn among ordinary stamps) and
/// artefacts. Returns the label per stamp (AnomalyKind values) and, in `detail`, the
/// artefact kind (0-3, see inject_artefact) or -1.
std::vector<std::int32_t> inject_anomalies(StampSet& set, const InjectionOptions& options,
                                           std::vector<std::int32_t>* detail = nullptr);

}  // namespace cosmograd::surveys
