#include "driver/outputs.hpp"

#include <cmath>
#include <cstdio>

#include "driver/halo_report.hpp"
#include "sim/core/log.hpp"
#include "sim/cosmo/halofit.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/mesh/migrate.hpp"
#include "viz/figures.hpp"
#include "viz/plot.hpp"

namespace cosmograd::driver {

using namespace cosmograd::sim;  // the driver is built on the engine

std::string output_stem(const std::string& what, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "_z%.3f", std::max(0.0, 1.0 / a - 1.0));
  std::string stem = what + buf;
  // No dots in the stem: yt finds the files of a multi-file snapshot from the text before
  // the first '.', so "z0.500" is written "z0p500".
  for (char& c : stem) {
    if (c == '.') c = 'p';
  }
  return stem;
}

void write_power_plot(const std::string& path, const PowerSpectrum& measured,
                      const LinearPower& linear, double a, const std::string& title) {
  viz::PowerSpectrumFigure f;
  f.title = title;
  f.k = measured.k;
  f.power = measured.power;
  const HalofitT<double> halofit(linear, a);
  const double kmin = measured.k.empty() ? 1e-2 : measured.k.front() * 0.8;
  const double kmax = measured.k.empty() ? 1.0 : measured.k.back() * 1.2;
  for (int i = 0; i <= 200; ++i) {
    const double k = kmin * std::pow(kmax / kmin, i / 200.0);
    f.theory_k.push_back(k);
    f.linear.push_back(linear.power(k, a));
    f.nonlinear.push_back(halofit.power(k));
  }
  viz::write_plot_png(path, viz::power_spectrum_plot(f));
}

namespace {

/// What a density file holds and how it was made, beside box, epoch and mesh.
FieldAttributes density_attributes(const SimSpec& c) {
  FieldAttributes f;
  f.strings = {{"quantity", "density contrast delta = rho / rho_mean - 1 (real space)"},
               {"window", paint_kernel_name(c.painter)},
               {"interlaced", "no"},
               {"deconvolved", "no"},
               {"transfer", c.transfer.name}};
  f.numbers = {{"particles", c.particles}};
  for (int i = 0; i < kNumCosmoParams; ++i) {
    const auto p = static_cast<CosmoParam>(i);
    CosmologyParams params = c.cosmology;
    f.numbers.emplace_back(cosmo_param_name(p), param(params, p));
  }
  return f;
}

/// The snapshot/catalogue header of the state at scale factor a.
SnapshotHeader snapshot_header(const SimSpec& c, const LinearPower& linear, double a,
                               std::size_t total) {
  SnapshotHeader h;
  h.box_size = c.box_size;
  h.a = a;
  h.Omega_m = c.cosmology.Omega_m;
  h.Omega_lambda = linear.cosmology().Omega_de();
  h.h = c.cosmology.h;
  h.particle_mass = lattice_particle_mass(c.cosmology.Omega_m, c.box_size, total);
  h.cosmology = c.cosmology;
  h.has_cosmology = true;
  return h;
}

}  // namespace

template <class T>
std::vector<std::string> write_outputs(const RunConfig& config, const LinearPower& linear,
                                       const Particles<T>& p, double a, Gravity<T>& gravity,
                                       int threads) {
  const SimSpec& c = config.sim;
  const RunOptions& opts = config.out;
  std::vector<std::string> files;
  const std::string dir = opts.output_dir + "/";
  const Decomposition& mesh = gravity.decomp();  // the particles follow its slabs
  const Comm& comm = mesh.comm();
  const bool io_rank = comm.rank() == 0;
  const std::size_t total = static_cast<std::size_t>(comm.sum(static_cast<std::int64_t>(p.size())));
  const double z = 1.0 / a - 1.0;
  if (opts.write_snapshot) {
    const SnapshotHeader h = snapshot_header(c, linear, a, total);
    SnapshotOptions o;
    o.length_in_kpc = opts.snapshot_kpc;
    o.num_files = opts.snapshot_files;
    o.double_precision = c.double_precision;
    const std::string base = dir + output_stem("snapshot", a);
    write_snapshot(base, p, h, o, comm);
    const int k = comm.distributed()
                      ? (o.num_files == 0 ? comm.size() : std::min(o.num_files, comm.size()))
                      : std::max(1, o.num_files);
    for (const std::string& f : snapshot_file_names(base, k)) files.push_back(f);
  }
  // Density on the force mesh (real space, CIC): HDF5 and a PNG projection along z.
  const Field<T>& delta = gravity.density(p, total);
  if (opts.write_density) {
    const std::string path = dir + output_stem("density", a) + ".h5";
    write_field(path, delta, c.box_size, a, "delta", density_attributes(c));
    files.push_back(path);
  }
  {
    const int n = delta.n();
    const int depth = std::max(1, n / 4);
    std::vector<double> column(static_cast<std::size_t>(n) * n, 0.0);
    for (int xl = 0; xl < mesh.nx_local(); ++xl) {
      const int x = mesh.x_begin() + xl;
      for (int y = 0; y < n; ++y) {
        double s = 0;
        for (int zz = 0; zz < depth; ++zz) s += 1.0 + delta.at(xl, y, zz);
        column[static_cast<std::size_t>(x) * n + y] = s / depth;
      }
    }
    comm.sum(column.data(), column.size());  // every rank's x planes
    viz::DensityMapSpec map;
    map.extent_x = map.extent_y = c.box_size;
    map.redshift = std::max(0.0, z);
    map.slab_depth = c.box_size * depth / n;
    const std::string path = dir + output_stem("density", a) + ".png";
    if (io_rank) viz::write_density_map_png(path, column, n, n, map);
    files.push_back(path);
  }
  PowerOptions po;
  po.mesh = opts.power_mesh > 0 ? opts.power_mesh : c.mesh;
  po.window = PaintKernel::cic;
  po.interlace = opts.power_interlace;
  // Particles that start on a lattice carry no Poisson noise: subtracting V/N would remove
  // real power (FastPM does not either). The header states V/N for those who want it.
  po.subtract_shot_noise = false;
  // The force mesh and particle order (free now: the density outputs above were their last
  // use) hold the unshifted mesh and the sorts, so P(k) allocates at most the interlaced mesh.
  const PowerSpectrum ps = particle_power(p, total, po, threads, &mesh, &gravity.scratch_mesh(),
                                          &gravity.scratch_order());
  char comment[256];
  std::snprintf(comment, sizeof comment,
                "cosmograd P(k) at z = %.4f (a = %.5f), mesh %d, CIC compensated%s, shot noise "
                "not subtracted (lattice ICs carry none)",
                z, a, po.mesh, po.interlace ? ", interlaced" : "");
  const std::string ptxt = dir + output_stem("power", a) + ".txt";
  if (io_rank) write_power_text(ptxt, ps, comment);
  files.push_back(ptxt);
  char title[128];
  std::snprintf(title, sizeof title,
                "P(k) at z = %.2f: %d#u3#d particles, %d#u3#d mesh, L = %g Mpc/h", std::max(0.0, z),
                c.particles, c.mesh, c.box_size);
  const std::string ppng = dir + output_stem("power", a) + ".png";
  if (io_rank) write_power_plot(ppng, ps, linear, a, title);
  files.push_back(ppng);
  std::vector<std::string> halo_files;
  if (opts.halos) {
    // FoF runs on rank 0 over all particles (gathered; a distributed FoF is future work).
    Particles<T> all = p;
    send_all(all, 0, comm);
    if (io_rank) {
      const SnapshotHeader h = snapshot_header(c, linear, a, total);
      const HaloCatalog cat = find_halos(all, h, opts.fof);
      const auto written = write_halo_report(dir + output_stem("halos", a) + ".hdf5", cat, opts.fof,
                                             linear, "cosmograd run");
      halo_files = written;  // write_halo_report logged them
    }
  }
  comm.barrier();
  for (const std::string& f : files) log_info("wrote ", f);
  files.insert(files.end(), halo_files.begin(), halo_files.end());
  return files;
}

template std::vector<std::string> write_outputs<float>(const RunConfig&, const LinearPower&,
                                                       const Particles<float>&, double,
                                                       Gravity<float>&, int);
template std::vector<std::string> write_outputs<double>(const RunConfig&, const LinearPower&,
                                                        const Particles<double>&, double,
                                                        Gravity<double>&, int);

}  // namespace cosmograd::driver
