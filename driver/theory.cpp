#include "driver/theory.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/core/atomic_file.hpp"
#include "sim/cosmo/halofit.hpp"
#include "sim/sky/limber.hpp"

namespace cosmograd::driver {

using namespace sim;  // NOLINT: the tables speak the engine's types throughout

namespace {

/// One row per x: x, then each column's value at it ("%.8e", space-separated).
void write_columns(std::ostringstream& os, const std::vector<double>& x,
                   const std::vector<std::vector<double>>& columns) {
  char buf[32];
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.8e", x[i]);
    os << buf;
    for (const auto& col : columns) {
      std::snprintf(buf, sizeof buf, " %.8e", col[i]);
      os << buf;
    }
    os << "\n";
  }
}

}  // namespace

std::string background_table(const Cosmology& c, int points) {
  std::ostringstream os;
  const auto& p = c.params();
  char line[512];
  std::snprintf(line, sizeof line,
                "# cosmograd background: Omega_m=%g Omega_b=%g h=%g w0=%g wa=%g Omega_k=%g "
                "radiation=%s\n",
                p.Omega_m, p.Omega_b, p.h, p.w0, p.wa, p.Omega_k, p.radiation ? "on" : "off");
  os << line;
  os << "# a  z  E=H/H0  chi[Mpc/h]  D1(D1(1)=1)  f1=dlnD1/dlna  D2(/D1(1)^2)  f2=dlnD2/dlna\n";
  for (int i = 0; i < points; ++i) {
    const double a = std::pow(10.0, -3.0 + 3.0 * i / (points - 1));
    std::snprintf(line, sizeof line, "%.8e %.8e %.10e %.10e %.10e %.10e %.10e %.10e\n", a,
                  1.0 / a - 1.0, c.E(a), c.chi(a), c.D1_norm(a), c.f1(a), c.D2_norm(a), c.f2(a));
    os << line;
  }
  return os.str();
}

std::string power_table(const LinearPower& linear, const std::vector<double>& z, bool halofit,
                        int points) {
  std::ostringstream os;
  os << "# cosmograd " << (halofit ? "halofit (Takahashi et al. 2012)" : "linear") << " P(k), "
     << linear.name() << " transfer\n# k[h/Mpc]";
  for (double zz : z) os << "  P(z=" << zz << ")[(Mpc/h)^3]";
  os << "\n";
  std::vector<std::vector<double>> columns;
  std::vector<double> ks(points);
  for (int i = 0; i < points; ++i) ks[i] = std::pow(10.0, -4.0 + 5.0 * i / (points - 1));
  for (double zz : z) {
    const double a = 1.0 / (1.0 + zz);
    if (halofit) {
      columns.push_back(HalofitT<double>(linear, a).power(ks));
    } else {
      columns.push_back(linear.power(ks, a));
    }
  }
  write_columns(os, ks, columns);
  return os.str();
}

std::string kappa_cl_table(const Cosmology& c, const LinearPower& linear,
                           const std::vector<SourceDistribution>& sources, int points) {
  std::vector<double> ell(points);
  for (int i = 0; i < points; ++i) {
    ell[i] = 2.0 * std::pow(5000.0, static_cast<double>(i) / (points - 1));  // 2 .. 10000
  }
  ell.back() = 10000.0;
  std::ostringstream os;
  os << "# cosmograd Limber convergence power spectrum C_ell^kk (dimensionless; Kaiser 1992 with "
        "ell + 1/2, LoVerde & Afshordi 2008), "
     << linear.name() << " transfer; linear and halofit (Takahashi et al. 2012) P(k)\n# ell";
  std::vector<std::vector<double>> columns;
  for (const SourceDistribution& s : sources) {
    os << "  C_lin(" << s.name() << ")  C_halofit(" << s.name() << ")";
    columns.push_back(limber_kappa_cl(c, linear, s, ell, false));
    columns.push_back(limber_kappa_cl(c, linear, s, ell, true));
  }
  os << "\n";
  write_columns(os, ell, columns);
  return os.str();
}

std::vector<std::string> write_theory_tables(const std::string& dir, const CosmologyParams& p,
                                             const TransferChoice& transfer,
                                             const std::vector<double>& z,
                                             const std::vector<SourceDistribution>& sources) {
  const Cosmology c(p);
  LinearPowerOptions o;
  o.table_path = transfer.table_path;
  const auto linear = make_linear_power<double>(transfer.name, c, o);
  std::vector<std::string> paths = {dir + "/background.txt", dir + "/linear_power.txt",
                                    dir + "/halofit_power.txt"};
  write_file_atomic(paths[0], background_table(c));
  write_file_atomic(paths[1], power_table(*linear, z, false));
  write_file_atomic(paths[2], power_table(*linear, z, true));
  if (!sources.empty()) {
    paths.push_back(dir + "/kappa_cl.txt");
    write_file_atomic(paths[3], kappa_cl_table(c, *linear, sources));
  }
  return paths;
}

}  // namespace cosmograd::driver
