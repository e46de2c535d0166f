#include "driver/halo_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/cosmo/mass_function.hpp"
#include "sim/measure/halo_catalog.hpp"
#include "viz/figures.hpp"
#include "viz/plot.hpp"

namespace cosmograd::driver {

using namespace cosmograd::sim;  // the driver is built on the engine
namespace {

/// The output base name: FILE minus a trailing ".hdf5".
std::string strip_hdf5(const std::string& path) {
  const std::string ext = ".hdf5";
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0
             ? path.substr(0, path.size() - ext.size())
             : path;
}

/// Measured dn/dlnM with Poisson errors next to Tinker et al. (2008) and Sheth & Tormen
/// (1999), as a text table.
std::string mass_function_table(const MeasuredMassFunction& mf, const std::vector<double>& tinker,
                                const std::vector<double>& sheth_tormen,
                                const std::string& comment) {
  std::ostringstream os;
  os << "# " << comment << "\n";
  os << "# M_lo[Msun/h] M_hi[Msun/h] M_center[Msun/h] N dn/dlnM[(h/Mpc)^3] "
        "err[(h/Mpc)^3] tinker08[(h/Mpc)^3] sheth_tormen[(h/Mpc)^3]\n";
  char line[512];
  for (std::size_t b = 0; b < mf.count.size(); ++b) {
    std::snprintf(line, sizeof line, "%.6e %.6e %.6e %lld %.6e %.6e %.6e %.6e\n", mf.m_lo[b],
                  mf.m_hi[b], mf.m_center[b], mf.count[b], mf.dndlnm[b], mf.error[b], tinker[b],
                  sheth_tormen[b]);
    os << line;
  }
  return os.str();
}

/// Log-log plot: measured points with Poisson error bars, and the Tinker08 and Sheth-Tormen
/// curves; the picture states b, the minimum members and sigma8.
viz::PlotSpec mass_function_plot(const MeasuredMassFunction& mf, const LinearPower& power,
                                 const HaloCatalog& cat, const FofOptions& fof) {
  const double a = cat.header.a;
  viz::MassFunctionFigure f;
  f.redshift = cat.header.redshift();
  f.linking_length = fof.linking_length;
  f.min_members = fof.min_members;
  f.sigma8 = power.sigma(8.0, 1.0);
  f.halos = cat.size();
  f.m_center = mf.m_center;
  f.dndlnm = mf.dndlnm;
  f.error = mf.error;
  f.count = mf.count;
  const double m0 = mf.m_lo.front(), m1 = mf.m_hi.back();
  for (int i = 0; i <= 60; ++i) {
    const double m = m0 * std::pow(m1 / m0, i / 60.0);
    f.theory_m.push_back(m);
    f.tinker.push_back(mass_function(power, MassFunctionModel::tinker08, m, a));
    f.sheth_tormen.push_back(mass_function(power, MassFunctionModel::sheth_tormen, m, a));
  }
  return viz::mass_function_plot(f);
}

}  // namespace

std::vector<std::string> write_halo_report(const std::string& out, const HaloCatalog& catalog,
                                           const FofOptions& fof, const LinearPower& power,
                                           const std::string& source) {
  const HaloCatalog& cat = catalog;
  const SnapshotHeader& h = cat.header;
  write_halo_catalog(out, cat);
  log_info("wrote ", out, " (", cat.size(), " halos, b = ", fof.linking_length,
           ", >= ", fof.min_members, " members)");
  // Mass function in 0.2 dex bins from the smallest possible halo to the largest found.
  const double m_min = fof.min_members * h.particle_mass * 1e10;
  double m_max = m_min * 10.0;
  std::vector<double> masses;
  for (const Halo& halo : cat.halos) {
    masses.push_back(halo.mass);
    m_max = std::max(m_max, halo.mass * 1.0001);
  }
  const int bins = std::max(1, static_cast<int>(std::ceil(std::log10(m_max / m_min) / 0.2)));
  const MeasuredMassFunction mf =
      measure_mass_function(masses, h.box_size, m_min, m_min * std::pow(10.0, 0.2 * bins), bins);
  std::vector<double> tinker, st;
  for (double m : mf.m_center) {
    tinker.push_back(mass_function(power, MassFunctionModel::tinker08, m, h.a));
    st.push_back(mass_function(power, MassFunctionModel::sheth_tormen, m, h.a));
  }
  char comment[512];
  std::snprintf(comment, sizeof comment,
                "cosmograd halos of %s (z = %.4f, L = %g Mpc/h), FoF b = %g, >= %d members, "
                "%zu halos; FoF masses; theory with Omega_m = %g, sigma8 = %g, n_s = %g",
                source.c_str(), h.redshift(), h.box_size, fof.linking_length, fof.min_members,
                cat.size(), power.cosmology().params().Omega_m, power.cosmology().params().sigma8,
                power.cosmology().params().n_s);
  const std::string base_name = strip_hdf5(out);
  write_file_atomic(base_name + "_massfunction.txt", mass_function_table(mf, tinker, st, comment));
  viz::write_plot_png(base_name + "_massfunction.png", mass_function_plot(mf, power, cat, fof));
  log_info("wrote ", base_name, "_massfunction.txt and ", base_name, "_massfunction.png");
  return {out, base_name + "_massfunction.txt", base_name + "_massfunction.png"};
}

}  // namespace cosmograd::driver
