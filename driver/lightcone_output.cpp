#include "driver/lightcone_output.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/core/atomic_file.hpp"
#include "sim/core/units.hpp"
#include "sim/io/png.hpp"
#include "sim/sky/angular_power.hpp"
#include "sim/sky/born.hpp"
#include "sim/sky/flat_fits.hpp"
#include "sim/sky/healpix_fits.hpp"
#include "sim/sky/lightcone_catalog.hpp"
#include "sim/sky/limber.hpp"
#include "sim/sky/shear.hpp"
#include "sim/sky/sky_png.hpp"
#include "viz/plot.hpp"

namespace cosmograd::driver {

using namespace cosmograd::sim;  // the driver is built on the engine

namespace {

/// The keywords every lightcone map carries: source, distance range, observer.
std::vector<FitsKeyword> map_keywords(const LightconeSpec& spec, double z_source) {
  std::vector<FitsKeyword> k{
      {"CHI_MIN", spec.shell_edges.front(), "inner edge of the lightcone [Mpc/h]"},
      {"CHI_MAX", spec.shell_edges.back(), "outer edge of the lightcone [Mpc/h]"},
      {"OBS_X", spec.observer[0], "observer position in the box [Mpc/h]"},
      {"OBS_Y", spec.observer[1], "observer position in the box [Mpc/h]"},
      {"OBS_Z", spec.observer[2], "observer position in the box [Mpc/h]"}};
  if (z_source > 0) k.push_back({"Z_SOURCE", z_source, "source-plane redshift"});
  return k;
}

/// The measured C_ell with the Limber prediction at each bin's ell as extra columns.
std::string cl_table(const AngularPower& p, const std::vector<double>& lin,
                     const std::vector<double>& nl, double shot, const std::string& source) {
  std::ostringstream out;
  out << "# convergence C_ell of the lightcone for source " << source << " (" << p.map_type
      << " map";
  if (p.map_type == "healpix") {
    out << ", nside " << p.nside << ", lmax " << p.lmax;
  } else {
    out << ", " << p.n << " pixels over " << p.field_deg << " deg";
  }
  out << ", f_sky " << p.f_sky << ", pixel window "
      << (p.pixel_window_divided ? "divided" : "not divided") << ")\n"
      << "# Limber C_ell over the same distance range (Kaiser 1992; halofit: Takahashi et al. "
         "2012)\n"
      << "# Poisson noise of the shell counts, cl_poisson = sum_s w_s^2 / n_s (n_s: mean "
         "particles per sr of shell s) = "
      << shot
      << ": an upper bound on the particles' discreteness noise (they start on a lattice and "
         "stay sub-Poissonian on large scales); not subtracted\n"
      << "# ell_mean ell_low ell_high cl_measured modes pixwin2 cl_limber_linear "
         "cl_limber_halofit cl_poisson   (C_ell dimensionless per sr)\n";
  for (std::size_t b = 0; b < p.ell.size(); ++b) {
    char line[256];
    std::snprintf(line, sizeof line, "%.6g %.6g %.6g %.8e %.6g %.6g %.8e %.8e %.8e\n", p.ell[b],
                  p.ell_low[b], p.ell_high[b], p.cl[b], p.modes[b], p.pixel_window2[b], lin[b],
                  nl[b], shot);
    out << line;
  }
  return out.str();
}

}  // namespace

sim::LightconeSpec lightcone_spec(const RunConfig& c, const sim::Cosmology& cosmology) {
  const LightconeOptions& o = c.out.lightcone;
  LightconeSpec s;
  if (o.observer.empty()) {
    s.observer.fill(0.5 * c.sim.box_size);
  } else {
    for (int k = 0; k < 3; ++k) s.observer[k] = o.observer[k];
  }
  // run_config_from() checked explicit edges against chi(z_max).
  s.shell_edges = o.shell_edges.empty()
                      ? uniform_shell_edges(cosmology.chi(1.0 / (1.0 + o.z_max)), o.shell_width)
                      : o.shell_edges;
  s.nside = o.nside;
  s.healpix_bilinear = o.healpix_bilinear;
  // Rays through the CIC density on the particle grid (one point per particle spacing).
  s.healpix_mesh = o.healpix_mesh ? c.sim.particles : 0;
  s.raymarch_step = o.ray_step;
  s.flat_field_deg = o.field_deg;
  s.flat_pixels = o.field_pixels;
  s.seed = c.sim.seed;
  s.particle_fraction = o.particle_fraction;
  s.particle_cone_deg = o.particle_cone_deg;
  return s;
}

template <class T>
LightconeOutput<T>::LightconeOutput(const RunConfig& c, const sim::Cosmology& cosmology,
                                    const sim::LinearPower& linear,
                                    const sim::StepSchedule& schedule, const sim::Comm& comm)
    : config_(c),
      cosmology_(cosmology),
      linear_(linear),
      comm_(comm),
      spec_(lightcone_spec(c, cosmology)),
      sources_(parse_sources(c.out.lightcone.source_z, c.out.lightcone.source_nz)),
      lightcone_(spec_, c.sim.box_size, c.sim.particles, comm) {
  lightcone_.bind(cosmology, nullptr, schedule);
}

template <class T>
std::vector<std::string> LightconeOutput<T>::write(const std::string& dir) const {
  std::vector<std::string> files;
  const LightconeOptions& o = config_.out.lightcone;
  const double n3 = std::pow(static_cast<double>(config_.sim.particles), 3);
  const double particle_mass = units::rho_crit_h2 * cosmology_.params().Omega_m *
                               std::pow(config_.sim.box_size, 3) / n3;  // [Msun/h]
  if (o.particle_fraction > 0) {
    const std::string path = dir + (comm_.distributed() ? "/lightcone_particles.rank" +
                                                              std::to_string(comm_.rank()) + ".hdf5"
                                                        : "/lightcone_particles.hdf5");
    write_lightcone_catalog(path, lightcone_.particles(), lightcone_.replicas(),
                            config_.sim.box_size, spec_.observer, particle_mass,
                            o.particle_fraction);
    files.push_back(path);
  }
  if (comm_.rank() != 0) return files;

  const int shells = static_cast<int>(spec_.shell_edges.size()) - 1;
  std::vector<double> mean;
  for (int s = 0; s < shells; ++s) mean.push_back(lightcone_.mean_particles_per_sr(s));
  const double a_min = 1.0 / (1.0 + o.z_max);
  LimberOptions limber;
  limber.chi_max = spec_.shell_edges.back();
  const LimberPower lin_power = linear_limber_power(linear_);
  const LimberPower nl_power = halofit_limber_power(linear_, a_min);
  for (const SourceDistribution& src : sources_) {
    const std::vector<double> w = born_weights(cosmology_, src, spec_.shell_edges);
    double shot = 0;  // Poisson noise of the shell counts through the Born sum (an upper bound)
    for (int s = 0; s < shells; ++s) shot += w[s] * w[s] / mean[s];
    const double z_source = src.kind() == SourceDistribution::Kind::plane ? src.z_max() : 0.0;
    const std::string stem = dir + "/lightcone_kappa_" + src.name();
    viz::PlotSpec plot;
    plot.title = "lightcone convergence C_ell, source " + src.name();
    plot.xlabel = "multipole l";
    plot.ylabel = "l(l+1) C_l / 2 pi";
    plot.logx = plot.logy = true;
    std::vector<double> theory_ell;
    for (int i = 0; i <= 100; ++i) theory_ell.push_back(2.0 * std::pow(5000.0, i / 100.0));
    auto scaled = [](const std::vector<double>& ell, const std::vector<double>& cl) {
      std::vector<double> y;
      for (std::size_t i = 0; i < ell.size(); ++i)
        y.push_back(ell[i] * (ell[i] + 1) * cl[i] / (2 * M_PI));
      return y;
    };
    auto add_measured = [&](const AngularPower& p, const std::string& path, const char* label) {
      const std::vector<double> lin = limber_kappa_cl(cosmology_, lin_power, src, p.ell, limber);
      const std::vector<double> nl = limber_kappa_cl(cosmology_, nl_power, src, p.ell, limber);
      write_file_atomic(path, cl_table(p, lin, nl, shot, src.name()));
      files.push_back(path);
      viz::Series m;
      m.label = label;
      m.x = p.ell;
      m.y = scaled(p.ell, p.cl);
      m.line = viz::LineStyle::none;
      m.marker = viz::Marker::circle;
      plot.series.push_back(m);
    };
    if (!lightcone_.healpix_shells().empty()) {
      const HealpixMap kappa = born_kappa(lightcone_.healpix_shells(), mean, w);
      HealpixFitsOptions fo;
      fo.column = "KAPPA";
      fo.keywords = map_keywords(spec_, z_source);
      fo.string_keywords = {{"SOURCE", src.name(), "source redshift distribution"}};
      write_healpix_fits(stem + "_healpix.fits", kappa, fo);
      write_png(stem + "_healpix.png", mollweide_image(kappa, 1000));
      const int lmax = std::min(3 * spec_.nside - 1, 2 * spec_.nside);
      const HealpixShear shear = healpix_kappa_to_shear(kappa, lmax);
      const std::string gstem = dir + "/lightcone_gamma";
      fo.column = "GAMMA1";
      write_healpix_fits(gstem + "1_" + src.name() + "_healpix.fits", shear.gamma1, fo);
      fo.column = "GAMMA2";
      write_healpix_fits(gstem + "2_" + src.name() + "_healpix.fits", shear.gamma2, fo);
      files.insert(files.end(), {stem + "_healpix.fits", stem + "_healpix.png",
                                 gstem + "1_" + src.name() + "_healpix.fits",
                                 gstem + "2_" + src.name() + "_healpix.fits"});
      AngularPowerOptions po;
      po.binning = EllBinning::log;
      add_measured(healpix_cl(kappa, nullptr, lmax, 24, po), stem + "_healpix_cl.txt",
                   "HEALPix map");
    }
    if (!lightcone_.flat_shells().empty()) {
      const FlatMap kappa = born_kappa(lightcone_.flat_shells(), mean, w);
      FlatFitsOptions fo;
      fo.keywords = map_keywords(spec_, z_source);
      fo.string_keywords = {{"SOURCE", src.name(), "source redshift distribution"}};
      write_flat_fits(stem + "_flat.fits", kappa, fo);
      write_png(stem + "_flat.png", flat_image(kappa, std::max(1, 512 / kappa.n)));
      const FlatShear shear = flat_kappa_to_shear(kappa);
      const std::string gstem = dir + "/lightcone_gamma";
      write_flat_fits(gstem + "1_" + src.name() + "_flat.fits", shear.gamma1, fo);
      write_flat_fits(gstem + "2_" + src.name() + "_flat.fits", shear.gamma2, fo);
      files.insert(files.end(), {stem + "_flat.fits", stem + "_flat.png",
                                 gstem + "1_" + src.name() + "_flat.fits",
                                 gstem + "2_" + src.name() + "_flat.fits"});
      AngularPowerOptions po;
      po.binning = EllBinning::log;
      add_measured(flat_cl(kappa, nullptr, 16, po), stem + "_flat_cl.txt", "flat field");
    }
    for (auto [power, label, style] :
         {std::tuple{&lin_power, "Limber, linear", viz::LineStyle::dashed},
          std::tuple{&nl_power, "Limber, halofit", viz::LineStyle::solid}}) {
      viz::Series t;
      t.label = label;
      t.x = theory_ell;
      t.y = scaled(theory_ell, limber_kappa_cl(cosmology_, *power, src, theory_ell, limber));
      t.line = style;
      plot.series.push_back(t);
    }
    viz::Series noise;
    noise.label = "Poisson noise (upper bound, not subtracted)";
    noise.x = theory_ell;
    noise.y = scaled(theory_ell, std::vector<double>(theory_ell.size(), shot));
    noise.line = viz::LineStyle::dotted;
    plot.series.push_back(noise);
    viz::write_plot_png(stem + "_cl.png", plot);
    files.push_back(stem + "_cl.png");
  }
  if (o.write_shells) {
    for (int s = 0; s < shells; ++s) {
      char name[64];
      std::snprintf(name, sizeof name, "/lightcone_shell_%02d", s);
      std::vector<FitsKeyword> kw{
          {"CHI_LO", spec_.shell_edges[s], "inner edge of the shell [Mpc/h]"},
          {"CHI_HI", spec_.shell_edges[s + 1], "outer edge of the shell [Mpc/h]"},
          {"MEAN_SR", mean[s] * particle_mass, "mean mass per steradian [Msun/h / sr]"}};
      if (!lightcone_.healpix_shells().empty()) {
        HealpixMap m = lightcone_.healpix_shells()[s];
        for (double& v : m.values) v *= particle_mass;
        HealpixFitsOptions fo;
        fo.column = "MASS";
        fo.unit = "Msun/h";
        fo.keywords = kw;
        write_healpix_fits(dir + name + "_healpix.fits", m, fo);
        files.push_back(dir + name + "_healpix.fits");
      }
      if (!lightcone_.flat_shells().empty()) {
        FlatMap m = lightcone_.flat_shells()[s];
        for (double& v : m.values) v *= particle_mass;
        FlatFitsOptions fo;
        fo.unit = "Msun/h";
        fo.keywords = kw;
        write_flat_fits(dir + name + "_flat.fits", m, fo);
        files.push_back(dir + name + "_flat.fits");
      }
    }
  }
  return files;
}

template class LightconeOutput<float>;
template class LightconeOutput<double>;

}  // namespace cosmograd::driver
