// The potential gradient descent (PGD) correction of Dai, Feng & Seljak 2018 (JCAP 11, 009)
// as differentiable torch operations: particles move by
//   Delta x = -alpha grad( O_l O_s phi ),  laplacian phi = delta,
//   O_l(k) = exp(-k_l^2 / k^2),  O_s(k) = exp(-(k / k_s)^4),
// i.e. Delta x_k = alpha i k O_l O_s delta_k / k^2, so alpha > 0 moves particles towards
// overdensities. Its three parameters are fitted so that the binned log P(k) of the corrected
// particles matches a reference (examples/pgd_correction.cpp; the emulator's classical baseline).
#pragma once

#include <torch/types.h>

#include <vector>

namespace cosmograd::nn {

/// Wavenumbers of the rfftn modes of an n^3 mesh of side L: kx, ky, kz broadcastable to
/// (n, n, n/2+1) [h/Mpc], and k^2.
struct Wavenumbers {
  torch::Tensor kx, ky, kz, k2;
};

/// The wavenumbers of an n^3 mesh in a box of side `box` [Mpc/h], of `dtype`.
Wavenumbers wavenumbers(int n, double box, torch::ScalarType dtype);

/// A fixed map from rfftn modes to linear k bins of width k_f centred on j k_f (j = 1..nbins),
/// k up to k_max; modes outside go to a spill bin.
struct Binning {
  torch::Tensor index;   ///< (n^2 (n/2+1),) long: bin of every mode (nbins = spill)
  torch::Tensor counts;  ///< (nbins,) modes per bin
  torch::Tensor k_mean;  ///< (nbins,) mean |k| of each bin [h/Mpc]
  int nbins = 0;         ///< number of bins
};

/// Bins of width 2 pi / box up to k_max [h/Mpc]; throws std::invalid_argument when none fit.
Binning make_binning(const Wavenumbers& w, double box, double k_max);

/// CIC density contrast of positions (M, 3) [Mpc/h, in [0, box)] on an n^3 mesh
/// (differentiable in the positions).
torch::Tensor cic_density(const torch::Tensor& positions, int n, double box);

/// Binned P(k) [(Mpc/h)^3] of a real n^3 field, float64 (differentiable).
torch::Tensor binned_power(const torch::Tensor& delta, const Binning& b, double box);

/// The PGD operator of one set of particles, precomputed where it does not depend on the
/// parameters: base_d = i k_d delta_k / k^2 (d = 0, 1, 2).
struct Pgd {
  Wavenumbers w;                    ///< the mesh's wavenumbers
  torch::Tensor k2_safe;            ///< k^2 with the k = 0 mode set to 1
  std::vector<torch::Tensor> base;  ///< 3 complex (n, n, n/2+1)
  int n = 0;                        ///< mesh cells per side
  double box = 0;                   ///< box side [Mpc/h]
};

/// Precomputes the PGD operator of `positions` (M, 3) on an n^3 mesh.
Pgd make_pgd(const torch::Tensor& positions, int n, double box);

/// Corrected positions pos + Delta x (differentiable in alpha, k_l [h/Mpc], k_s [h/Mpc]).
torch::Tensor apply_pgd(const Pgd& g, const torch::Tensor& positions, const torch::Tensor& alpha,
                        const torch::Tensor& k_l, const torch::Tensor& k_s);

/// Fitted PGD parameters.
struct PgdParams {
  double alpha = 0;  ///< amplitude [(Mpc/h)^2 in these units: Delta x per unit i k delta / k^2]
  double k_l = 0;    ///< large-scale cut [h/Mpc]
  double k_s = 0;    ///< small-scale cut [h/Mpc]
  double loss_before = 0;  ///< mean (log P - log P_ref)^2 without correction
  double loss_after = 0;   ///< the same at the fitted parameters
};

/// Fits (alpha, k_l, k_s) with Adam (`iters` iterations, step sizes lr * alpha0 for alpha and lr
/// for log k_l, log k_s, decaying to a tenth) so that the binned log P(k) of the corrected
/// `positions[i]` matches that of `references[i]` for k <= k_max, summed over the sets; keeps
/// the best parameters seen. Positions (M, 3) in [0, box).
PgdParams fit_pgd(const std::vector<torch::Tensor>& positions,
                  const std::vector<torch::Tensor>& references, int n, double box, double k_max,
                  int iters, double lr = 0.05, double alpha0 = 0.002);

}  // namespace cosmograd::nn
