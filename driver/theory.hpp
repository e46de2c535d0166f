// Plain-text tables of the background, growth and power spectra (`cosmograd theory`).
#pragma once

#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/pm/sim_spec.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::driver {

/// background.txt: a, z, E, chi [Mpc/h], D1 (D1(1)=1), f1, D2 (D1(1)=1 units), f2 on
/// `points` log-spaced a from 1e-3 to 1, with a '#' header naming columns and units.
std::string background_table(const sim::Cosmology& c, int points = 256);

/// k [h/Mpc] and one P column [(Mpc/h)^3] per redshift, 500 log-spaced k in
/// [1e-4, 10] h/Mpc; `halofit` selects Takahashi et al. 2012 instead of linear theory.
std::string power_table(const sim::LinearPower& linear, const std::vector<double>& z, bool halofit,
                        int points = 500);

/// kappa_cl.txt: ell (`points` log-spaced from 2 to 10000, not rounded), then for each source
/// the Limber convergence power spectrum C_ell^kk (dimensionless; Kaiser 1992, ell + 1/2 of
/// LoVerde & Afshordi 2008) from linear theory and from halofit (Takahashi et al. 2012), with
/// a '#' header naming the columns.
std::string kappa_cl_table(const sim::Cosmology& c, const sim::LinearPower& linear,
                           const std::vector<sim::SourceDistribution>& sources, int points = 200);

/// Writes background.txt, linear_power.txt and halofit_power.txt into `dir` (atomic), and
/// kappa_cl.txt when `sources` is not empty; returns the paths.
std::vector<std::string> write_theory_tables(
    const std::string& dir, const sim::CosmologyParams& p, const sim::TransferChoice& transfer,
    const std::vector<double>& z, const std::vector<sim::SourceDistribution>& sources = {});

}  // namespace cosmograd::driver
