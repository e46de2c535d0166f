#include "sim/halo_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/atomic_file.hpp"
#include "sim/halo_catalog.hpp"
#include "sim/log.hpp"
#include "sim/mass_function.hpp"
#include "sim/plot.hpp"

namespace cosmograd::sim {
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

/// Log-log plot: measured points with Poisson error bars (short vertical segments), and the
/// Tinker08 and Sheth-Tormen curves.
PlotSpec mass_function_plot(const MeasuredMassFunction& mf, const LinearPower& power, double a,
                            const std::string& title) {
  PlotSpec spec;
  spec.title = title;
  spec.xlabel = "M [Msun/h]";
  spec.ylabel = "dn/dlnM [(h/Mpc)^3]";
  spec.logx = spec.logy = true;
  Series measured{"FoF (Poisson errors)", {}, {}, tab10(0), false, true, false, 2};
  std::vector<Series> bars;
  for (std::size_t b = 0; b < mf.count.size(); ++b) {
    if (mf.count[b] == 0) continue;
    measured.x.push_back(mf.m_center[b]);
    measured.y.push_back(mf.dndlnm[b]);
    const double lo = std::max(mf.dndlnm[b] - mf.error[b], 0.05 * mf.dndlnm[b]);
    bars.push_back(Series{"",
                          {mf.m_center[b], mf.m_center[b]},
                          {lo, mf.dndlnm[b] + mf.error[b]},
                          tab10(0),
                          false,
                          false,
                          true,
                          1});
  }
  if (measured.x.empty()) return spec;
  const double m0 = mf.m_lo.front(), m1 = mf.m_hi.back();
  Series tinker{"Tinker et al. 2008", {}, {}, tab10(1), false, false, true, 2};
  Series st{"Sheth & Tormen 1999", {}, {}, tab10(2), true, false, true, 2};
  for (int i = 0; i <= 60; ++i) {
    const double m = m0 * std::pow(m1 / m0, i / 60.0);
    tinker.x.push_back(m);
    tinker.y.push_back(mass_function(power, MassFunctionModel::tinker08, m, a));
    st.x.push_back(m);
    st.y.push_back(mass_function(power, MassFunctionModel::sheth_tormen, m, a));
  }
  spec.series = {tinker, st, measured};
  spec.series.insert(spec.series.end(), bars.begin(), bars.end());
  return spec;
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
                "%zu halos; FoF masses",
                source.c_str(), h.redshift(), h.box_size, fof.linking_length, fof.min_members,
                cat.size());
  const std::string base_name = strip_hdf5(out);
  write_file_atomic(base_name + "_massfunction.txt", mass_function_table(mf, tinker, st, comment));
  char title[128];
  std::snprintf(title, sizeof title, "FoF mass function, z = %.2f", h.redshift());
  write_plot_png(base_name + "_massfunction.png", mass_function_plot(mf, power, h.a, title));
  log_info("wrote ", base_name, "_massfunction.txt and ", base_name, "_massfunction.png");
  return {out, base_name + "_massfunction.txt", base_name + "_massfunction.png"};
}

}  // namespace cosmograd::sim
