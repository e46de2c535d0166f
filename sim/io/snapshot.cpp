#include "sim/io/snapshot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/core/units.hpp"
#include "sim/io/detail/gadget_files.hpp"
#include "sim/io/detail/h5_limits.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/mesh/migrate.hpp"

namespace cosmograd::sim {

namespace {

using detail::H5Id;

constexpr int kNumTypes = 6;                           // Gadget particle types 0..5
constexpr int kDarkMatter = 1;                         // cosmograd writes type 1 only
constexpr double kKpcCm = units::mpc_cm / 1000.0;      // 1 kpc [cm]
constexpr double kMassUnitG = 1.0e10 * units::msun_g;  // 1e10 Msun [g]
constexpr double kVelocityUnitCmS = 1.0e5;             // 1 km/s [cm/s]

/// The /Parameters attributes that record the cosmological parameters besides Omega0 and
/// HubbleParam (SnapshotHeader::cosmology), each with its field; Radiation (0 or 1) apart.
constexpr std::pair<const char*, double CosmologyParams::*> kCosmologyAttributes[] = {
    {"OmegaBaryon", &CosmologyParams::Omega_b},    {"Sigma8", &CosmologyParams::sigma8},
    {"PrimordialIndex", &CosmologyParams::n_s},    {"DarkEnergyW0", &CosmologyParams::w0},
    {"DarkEnergyWa", &CosmologyParams::wa},        {"OmegaCurvature", &CosmologyParams::Omega_k},
    {"CMBTemperature", &CosmologyParams::T_cmb},   {"NEff", &CosmologyParams::N_eff},
    {"PrimordialAmplitude", &CosmologyParams::A_s}};
constexpr const char* kRadiationAttribute = "Radiation";

/// Writes kCosmologyAttributes and Radiation of `c` into the group `g`.
void write_cosmology_attributes(hid_t g, const CosmologyParams& c, const std::string& where) {
  for (const auto& [name, field] : kCosmologyAttributes) {
    detail::h5_write_attribute(g, name, c.*field, where);
  }
  detail::h5_write_attribute(g, kRadiationAttribute, c.radiation ? 1.0 : 0.0, where);
}

/// Fills h.cosmology (and sets has_cosmology) when /Parameters holds every attribute that
/// write_cosmology_attributes() writes; Omega_m and h come from the header fields.
void read_cosmology_attributes(hid_t file, const std::string& fname, SnapshotHeader& h) {
  if (!detail::h5_has_link(file, "Parameters", fname)) return;
  H5Id g = detail::h5_open_group(file, "Parameters", fname);
  const std::string where = fname + ": /Parameters";
  if (!detail::h5_has_attribute(g.get(), kRadiationAttribute, where)) return;
  for (const auto& [name, field] : kCosmologyAttributes) {
    (void)field;
    if (!detail::h5_has_attribute(g.get(), name, where)) return;
  }
  CosmologyParams c;
  for (const auto& [name, field] : kCosmologyAttributes) {
    c.*field = detail::h5_read_scalar_attribute<double>(g.get(), name, where);
  }
  c.radiation =
      detail::h5_read_scalar_attribute<double>(g.get(), kRadiationAttribute, where) != 0.0;
  c.Omega_m = h.Omega_m;
  c.h = h.h;
  h.cosmology = c;
  h.has_cosmology = true;
}

constexpr std::size_t kBlock = std::size_t{1} << 18;  // particles per write block

/// Writes a (rows) or (rows, cols) dataset of file type `file_type` block by block; fill(buf,
/// begin, count) writes rows [begin, begin + count) of memory type M into buf.
template <class M, class Fill>
void write_rows(hid_t group, const std::string& name, hid_t file_type, hsize_t rows, hsize_t cols,
                Fill fill, const std::string& context) {
  const std::string where = context + ": /PartType1/" + name;
  std::vector<hsize_t> dims{rows};
  if (cols > 0) dims.push_back(cols);
  H5Id file_space = detail::h5_dataspace(dims, where);
  H5Id dset = detail::h5_create_dataset(group, name, file_type, file_space.get(), where);
  const hsize_t width = std::max<hsize_t>(cols, 1);
  std::vector<M> buf(static_cast<std::size_t>(std::min<hsize_t>(rows, kBlock) * width));
  for (hsize_t begin = 0; begin < rows; begin += kBlock) {
    const hsize_t count = std::min<hsize_t>(kBlock, rows - begin);
    fill(buf.data(), static_cast<std::size_t>(begin), static_cast<std::size_t>(count));
    std::vector<hsize_t> start{begin}, extent{count};
    if (cols > 0) {
      start.push_back(0);
      extent.push_back(cols);
    }
    detail::h5_check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                         extent.data(), nullptr),
                     "H5Sselect_hyperslab", where);
    H5Id mem_space = detail::h5_dataspace(extent, where);
    detail::h5_check(H5Dwrite(dset.get(), detail::h5_native_type<M>(), mem_space.get(),
                              file_space.get(), H5P_DEFAULT, buf.data()),
                     "H5Dwrite", where);
  }
  dset.close("H5Dclose", where);
}

/// Writes one file holding particles [begin, begin + count) of p.
template <class M, class T>
void write_snapshot_file(const std::string& file_name, const Particles<T>& p,
                         const SnapshotHeader& h, const SnapshotOptions& o, std::size_t begin,
                         std::size_t count, std::uint64_t total) {
  const double length_unit_cm = o.length_in_kpc ? kKpcCm : units::mpc_cm;
  const double to_file_length = o.length_in_kpc ? 1000.0 : 1.0;  // Mpc/h -> file unit, exact
  const double box_file = h.box_size * to_file_length;

  H5Id file = detail::h5_create_file(file_name);
  {
    H5Id g = detail::h5_create_group(file.get(), "Header", file_name);
    const std::string where = file_name + ": /Header";
    std::vector<std::uint32_t> this_file(kNumTypes, 0), total_low(kNumTypes, 0),
        total_high(kNumTypes, 0);
    this_file[kDarkMatter] = static_cast<std::uint32_t>(count);
    total_low[kDarkMatter] = static_cast<std::uint32_t>(total & 0xffffffffu);
    total_high[kDarkMatter] = static_cast<std::uint32_t>(total >> 32);
    std::vector<double> mass_table(kNumTypes, 0.0);
    mass_table[kDarkMatter] = h.particle_mass;
    detail::h5_write_attribute(g.get(), "NumPart_ThisFile", this_file, where);
    detail::h5_write_attribute(g.get(), "NumPart_Total", total_low, where);
    detail::h5_write_attribute(g.get(), "NumPart_Total_HighWord", total_high, where);
    detail::h5_write_attribute(g.get(), "MassTable", mass_table, where);
    detail::h5_write_attribute(g.get(), "Time", h.a, where);
    detail::h5_write_attribute(g.get(), "Redshift", h.redshift(), where);
    detail::h5_write_attribute(g.get(), "BoxSize", box_file, where);
    detail::h5_write_attribute(g.get(), "NumFilesPerSnapshot", std::int32_t{o.num_files}, where);
    detail::h5_write_attribute(g.get(), "Omega0", h.Omega_m, where);
    detail::h5_write_attribute(g.get(), "OmegaLambda", h.Omega_lambda, where);
    detail::h5_write_attribute(g.get(), "HubbleParam", h.h, where);
    for (const char* flag : {"Flag_Sfr", "Flag_Cooling", "Flag_StellarAge", "Flag_Metals",
                             "Flag_Feedback", "Flag_Entropy_ICs"}) {
      detail::h5_write_attribute(g.get(), flag, std::int32_t{0}, where);
    }
    detail::h5_write_attribute(g.get(), "Flag_DoublePrecision",
                               std::int32_t{o.double_precision ? 1 : 0}, where);
    g.close("H5Gclose", where);
  }
  {
    H5Id g = detail::h5_create_group(file.get(), "Parameters", file_name);
    const std::string where = file_name + ": /Parameters";
    detail::h5_write_attribute(g.get(), "UnitLength_in_cm", length_unit_cm, where);
    detail::h5_write_attribute(g.get(), "UnitMass_in_g", kMassUnitG, where);
    detail::h5_write_attribute(g.get(), "UnitVelocity_in_cm_per_s", kVelocityUnitCmS, where);
    detail::h5_write_attribute(g.get(), "ComovingIntegrationOn", std::int32_t{1}, where);
    detail::h5_write_attribute(g.get(), "Omega0", h.Omega_m, where);
    detail::h5_write_attribute(g.get(), "OmegaLambda", h.Omega_lambda, where);
    detail::h5_write_attribute(g.get(), "HubbleParam", h.h, where);
    detail::h5_write_attribute(g.get(), "BoxSize", box_file, where);
    if (h.has_cosmology) write_cosmology_attributes(g.get(), h.cosmology, where);
    g.close("H5Gclose", where);
  }
  {
    H5Id g = detail::h5_create_group(file.get(), "PartType1", file_name);
    const hid_t float_type = detail::h5_file_float_type<M>();
    const hsize_t rows = count;
    write_rows<M>(
        g.get(), "Coordinates", float_type, rows, 3,
        [&](M* buf, std::size_t b, std::size_t c) {
          for (std::size_t k = 0; k < c; ++k) {
            const std::size_t j = begin + b + k;
            for (int d = 0; d < 3; ++d) {
              const double x = p.position(j, d) * to_file_length;
              if (!std::isfinite(x)) {
                throw std::runtime_error("write_snapshot " + file_name + ": particle " +
                                         std::to_string(p.id[j]) + " has a non-finite position");
              }
              M v = static_cast<M>(x);
              // Rounding to M can land exactly on BoxSize, which is the periodic image of 0.
              if (!(static_cast<double>(v) < box_file)) v = M(0);
              buf[3 * k + d] = v;
            }
          }
        },
        file_name);
    const double vel_factor = units::H0_km_s_per_mpc_h / std::pow(h.a, 1.5);  // u = 100 p / a^1.5
    write_rows<M>(
        g.get(), "Velocities", float_type, rows, 3,
        [&](M* buf, std::size_t b, std::size_t c) {
          for (std::size_t k = 0; k < 3 * c; ++k) {
            const double u = vel_factor * static_cast<double>(p.mom[3 * (begin + b) + k]);
            if (!std::isfinite(u)) {
              throw std::runtime_error("write_snapshot " + file_name + ": particle " +
                                       std::to_string(p.id[begin + b + k / 3]) +
                                       " has a non-finite momentum");
            }
            buf[k] = static_cast<M>(u);
          }
        },
        file_name);
    write_rows<std::uint64_t>(
        g.get(), "ParticleIDs", H5T_STD_U64LE, rows, 0,
        [&](std::uint64_t* buf, std::size_t b, std::size_t c) {
          for (std::size_t k = 0; k < c; ++k) buf[k] = p.id[begin + b + k] + 1;
        },
        file_name);
    g.close("H5Gclose", file_name + ": /PartType1");
  }
  file.close("H5Fclose", file_name);
}

/// Length, velocity and mass units of one snapshot file, as factors to cosmograd units.
struct FileUnits {
  double to_mpc_h = 1e-3;  // file length unit -> Mpc/h
  double to_km_s = 1.0;    // file velocity unit -> km/s
  double to_1e10 = 1.0;    // file mass unit -> 1e10 Msun/h
};

FileUnits read_units(hid_t file, const std::string& fname) {
  FileUnits u;
  u.to_mpc_h = detail::read_unit(file, "UnitLength_in_cm", kKpcCm, fname) / units::mpc_cm;
  // Exact factors for the usual units, so that BoxSize 128000 kpc/h reads as 128 Mpc/h.
  if (std::abs(u.to_mpc_h * 1000.0 - 1.0) < 1e-9) u.to_mpc_h = 1e-3;
  if (std::abs(u.to_mpc_h - 1.0) < 1e-9) u.to_mpc_h = 1.0;
  u.to_km_s = detail::read_unit(file, "UnitVelocity_in_cm_per_s", kVelocityUnitCmS, fname) / 1.0e5;
  u.to_1e10 = detail::read_unit(file, "UnitMass_in_g", kMassUnitG, fname) / kMassUnitG;
  return u;
}

/// Opens the (rows, 3) or (rows) dataset `name` of group `g`, checking its shape and that its
/// data are stored in the file (read as M) before anything is allocated for it.
template <class M>
H5Id open_rows(hid_t g, const std::string& name, hsize_t rows, hsize_t cols,
               const std::string& fname) {
  H5Id dset = detail::h5_open_dataset(g, name, fname, "/PartType1");
  const std::string where = fname + ": /PartType1/" + name;
  const std::vector<hsize_t> shape = detail::h5_dataset_shape(dset.get(), where);
  std::vector<hsize_t> want{rows};
  if (cols > 0) want.push_back(cols);
  if (shape != want) {
    throw std::runtime_error(where + " has shape " + detail::h5_shape_string(shape) +
                             " but NumPart_ThisFile[1] needs " + detail::h5_shape_string(want));
  }
  detail::h5_check_dataset_stored(dset.get(), shape, sizeof(M), where);
  return dset;
}

/// Reads a (rows, 3) or (rows) dataset of group `g` into out (converted to M).
template <class M>
void read_rows(hid_t g, const std::string& name, hsize_t rows, hsize_t cols, M* out,
               const std::string& fname) {
  H5Id dset = open_rows<M>(g, name, rows, cols, fname);
  if (rows == 0) return;
  detail::h5_check(
      H5Dread(dset.get(), detail::h5_native_type<M>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out),
      "H5Dread", fname + ": /PartType1/" + name);
}

/// NumPart_ThisFile[1] of snapshot file `fname`.
std::uint64_t num_part_this_file(hid_t file, const std::string& fname) {
  H5Id header = detail::h5_open_group(file, "Header", fname);
  return detail::h5_read_attribute<std::uint64_t>(header.get(), "NumPart_ThisFile", kNumTypes,
                                                  fname + ": /Header")[kDarkMatter];
}

/// Most files of one snapshot read_snapshot accepts (NumFilesPerSnapshot).
constexpr int kMaxSnapshotFiles = 1 << 16;

/// write_snapshot_file() in the precision o asks for.
template <class T>
void write_snapshot_file_as(const std::string& file_name, const Particles<T>& p,
                            const SnapshotHeader& h, const SnapshotOptions& o, std::size_t begin,
                            std::size_t count, std::uint64_t total) {
  if (o.double_precision) {
    write_snapshot_file<double>(file_name, p, h, o, begin, count, total);
  } else {
    write_snapshot_file<float>(file_name, p, h, o, begin, count, total);
  }
}

/// Overwriting a snapshot replaces it whole: drops files of an earlier layout of the same
/// base name (snap.hdf5 vs snap.0.hdf5 ..., or surplus snap.<i>.hdf5) that readers would
/// otherwise pick up; k is the new number of files.
void remove_stale_snapshot_files(const std::string& path, std::size_t k) {
  const std::string stem = detail::strip_hdf5(path);
  if (k > 1) std::remove((stem + ".hdf5").c_str());
  for (std::size_t i = k > 1 ? k : 0;; ++i) {
    const std::string stale = stem + "." + std::to_string(i) + ".hdf5";
    if (!detail::file_exists(stale)) break;
    std::remove(stale.c_str());
  }
}

}  // namespace

double lattice_particle_mass(double Omega_m, double box_size, std::uint64_t num_part) {
  if (num_part == 0) throw std::invalid_argument("lattice_particle_mass: num_part must be > 0");
  return Omega_m * units::rho_crit_h2 * box_size * box_size * box_size /
         static_cast<double>(num_part) / 1.0e10;
}

std::vector<std::string> snapshot_file_names(const std::string& base, int num_files) {
  if (num_files < 1) {
    throw std::invalid_argument("snapshot num_files = " + std::to_string(num_files) +
                                ": must be >= 1");
  }
  const std::string stem = detail::strip_hdf5(base);
  if (num_files == 1) return {stem + ".hdf5"};
  std::vector<std::string> names;
  for (int i = 0; i < num_files; ++i) names.push_back(stem + "." + std::to_string(i) + ".hdf5");
  return names;
}

template <class T>
void write_snapshot(const std::string& path, const Particles<T>& p, const SnapshotHeader& h,
                    const SnapshotOptions& o) {
  const std::size_t n = p.size();
  auto bad = [&](const std::string& what) {
    throw std::invalid_argument("write_snapshot " + path + ": " + what);
  };
  if (!(h.box_size > 0) || !std::isfinite(h.box_size)) {
    bad("box_size = " + std::to_string(h.box_size) + " Mpc/h must be > 0");
  }
  if (std::abs(h.box_size - p.box_size) > 1e-12 * h.box_size) {
    bad("header box_size = " + std::to_string(h.box_size) + " Mpc/h differs from the particles' " +
        std::to_string(p.box_size) + " Mpc/h");
  }
  if (!(h.a > 0) || !std::isfinite(h.a)) bad("a = " + std::to_string(h.a) + " must be > 0");
  if (!(h.particle_mass > 0) || !std::isfinite(h.particle_mass)) {
    bad("particle_mass = " + std::to_string(h.particle_mass) +
        " [1e10 Msun/h] must be > 0 (see lattice_particle_mass)");
  }
  if (o.num_files < 1 || static_cast<std::size_t>(o.num_files) > std::max<std::size_t>(n, 1)) {
    bad("num_files = " + std::to_string(o.num_files) +
        " must be in [1, max(1, particles = " + std::to_string(n) + ")]");
  }
  if (p.disp.size() != 3 * n || p.mom.size() != 3 * n) {
    bad("particles have inconsistent array sizes");
  }
  const std::vector<std::string> names = snapshot_file_names(path, o.num_files);
  const std::string stem_name = std::filesystem::path(detail::strip_hdf5(path)).filename().string();
  if (o.num_files > 1 && stem_name.find('.') != std::string::npos) {
    // yt 4.1 rebuilds the other files' names from the text before the first '.'.
    log_warn("write_snapshot: base name '", stem_name,
             "' contains '.', so yt cannot find the other files of this multi-file snapshot "
             "(it looks for '",
             stem_name.substr(0, stem_name.find('.')), ".<i>.hdf5')");
  }
  const std::size_t k = names.size();
  for (std::size_t i = 0; i < k; ++i) {
    if (n * (i + 1) / k - n * i / k > std::numeric_limits<std::uint32_t>::max()) {
      bad("more than 2^32 - 1 particles per file; raise num_files");
    }
  }
  // All files go to temporaries first; they are renamed only once every file is complete.
  std::vector<std::unique_ptr<AtomicWrite>> writes;
  for (std::size_t i = 0; i < k; ++i) {
    writes.push_back(std::make_unique<AtomicWrite>(names[i]));
    const std::size_t begin = n * i / k;
    const std::size_t end = n * (i + 1) / k;
    write_snapshot_file_as(writes.back()->temp_path(), p, h, o, begin, end - begin, n);
  }
  for (auto& w : writes) w->commit();
  remove_stale_snapshot_files(path, k);
}

template <class T>
void write_snapshot(const std::string& path, const Particles<T>& p, const SnapshotHeader& h,
                    const SnapshotOptions& o, const Comm& comm) {
  if (!comm.distributed()) {
    SnapshotOptions serial = o;
    serial.num_files = o.num_files == 0 ? 1 : o.num_files;
    write_snapshot(path, p, h, serial);
    return;
  }
  const int ranks = comm.size();
  if (o.num_files < 0) {
    throw std::invalid_argument("write_snapshot " + path + ": num_files = " +
                                std::to_string(o.num_files) + " must be >= 0 (0: one per rank)");
  }
  if (std::abs(h.box_size - p.box_size) > 1e-12 * h.box_size || !(h.box_size > 0) || !(h.a > 0) ||
      !(h.particle_mass > 0)) {
    throw std::invalid_argument("write_snapshot " + path +
                                ": bad header (box_size, a or particle_mass)");
  }
  // Files in groups of contiguous ranks: rank r writes into file r k / P, gathered by the
  // group's first rank.
  const int k = o.num_files == 0 ? ranks : std::min(o.num_files, ranks);
  const int file = static_cast<int>(static_cast<long long>(comm.rank()) * k / ranks);
  const int leader = static_cast<int>((static_cast<long long>(file) * ranks + k - 1) / k);
  const std::uint64_t total =
      static_cast<std::uint64_t>(comm.sum(static_cast<std::int64_t>(p.size())));
  Particles<T> group = p;
  send_all(group, leader, comm);
  SnapshotOptions opt = o;
  opt.num_files = k;
  const std::vector<std::string> names = snapshot_file_names(path, k);
  std::unique_ptr<AtomicWrite> w;
  std::string error;
  if (comm.rank() == leader) {
    try {
      if (group.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("more than 2^32 - 1 particles per file; raise num_files");
      }
      w = std::make_unique<AtomicWrite>(names[static_cast<std::size_t>(file)]);
      write_snapshot_file_as(w->temp_path(), group, h, opt, 0, group.size(), total);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (comm.sum(error.empty() ? 0.0 : 1.0) > 0) {  // every rank learns of a failure
    throw std::runtime_error("write_snapshot " + path + ": failed on " +
                             (error.empty()
                                  ? std::string("another rank")
                                  : "rank " + std::to_string(comm.rank()) + ": " + error));
  }
  if (w) w->commit();
  comm.barrier();
  if (comm.rank() == 0) remove_stale_snapshot_files(path, static_cast<std::size_t>(k));
  comm.barrier();
}

template <class T>
SnapshotData<T> read_snapshot(const std::string& path) {
  SnapshotData<T> out;
  const std::string first = detail::find_first_file(path, "snapshot");
  FileUnits u;
  std::uint64_t total = 0;
  std::vector<double> mass_table;
  {
    H5Id file = detail::h5_open_file(first);
    H5Id header = detail::h5_open_group(file.get(), "Header", first);
    const std::string where = first + ": /Header";
    u = read_units(file.get(), first);
    SnapshotHeader& h = out.header;
    h.box_size =
        detail::h5_read_scalar_attribute<double>(header.get(), "BoxSize", where) * u.to_mpc_h;
    h.a = detail::h5_read_scalar_attribute<double>(header.get(), "Time", where);
    h.Omega_m = detail::read_cosmo_parameter(file.get(), header.get(), "Omega0", first);
    h.Omega_lambda = detail::read_cosmo_parameter(file.get(), header.get(), "OmegaLambda", first);
    h.h = detail::read_cosmo_parameter(file.get(), header.get(), "HubbleParam", first);
    mass_table = detail::h5_read_attribute<double>(header.get(), "MassTable", kNumTypes, where);
    h.particle_mass = mass_table[kDarkMatter] * u.to_1e10;
    h.num_files =
        detail::h5_read_scalar_attribute<std::int32_t>(header.get(), "NumFilesPerSnapshot", where);
    if (h.num_files < 1 || h.num_files > kMaxSnapshotFiles) {
      throw std::runtime_error(where + ": NumFilesPerSnapshot = " + std::to_string(h.num_files) +
                               " (allowed: 1 to " + std::to_string(kMaxSnapshotFiles) + ")");
    }
    if (!(h.box_size > 0) || !std::isfinite(h.box_size)) {
      throw std::runtime_error(where + ": BoxSize = " + std::to_string(h.box_size) +
                               " Mpc/h (allowed: finite and > 0)");
    }
    if (!(h.a > 0) || !std::isfinite(h.a)) {
      throw std::runtime_error(where + ": Time = " + std::to_string(h.a) +
                               " (allowed: a scale factor, finite and > 0)");
    }
    total = detail::read_num_part_total(header.get(), first + ": /Header")[kDarkMatter];
    h.num_part_total = total;
    read_cosmology_attributes(file.get(), first, h);
  }
  const std::vector<std::string> files =
      out.header.num_files == 1
          ? std::vector<std::string>{first}
          : snapshot_file_names(detail::multi_file_base(first), out.header.num_files);

  const bool uniform_mass = mass_table[kDarkMatter] != 0;
  // Every file's count and datasets are checked against NumPart_Total[1] and the data stored
  // before anything is allocated: a hostile header must not allocate terabytes.
  std::uint64_t counted = 0;
  for (const std::string& fname : files) {
    H5Id file = detail::h5_open_file(fname);
    const std::uint64_t n = num_part_this_file(file.get(), fname);
    if (n > total - counted) {
      throw std::runtime_error(fname + ": NumPart_ThisFile[1] = " + std::to_string(n) +
                               " (allowed: NumPart_ThisFile[1] summed over the files up to " +
                               "NumPart_Total[1] = " + std::to_string(total) + ")");
    }
    if (n > 0) {
      H5Id g = detail::h5_open_group(file.get(), "PartType1", fname);
      open_rows<T>(g.get(), "Coordinates", n, 3, fname);
      open_rows<T>(g.get(), "Velocities", n, 3, fname);
      open_rows<std::uint64_t>(g.get(), "ParticleIDs", n, 0, fname);
      if (!uniform_mass) {
        try {
          open_rows<double>(g.get(), "Masses", n, 0, fname);
        } catch (const std::runtime_error& e) {
          throw std::runtime_error(std::string(e.what()) + " (MassTable[1] is 0)");
        }
      }
    }
    counted += n;
  }
  if (counted != total) {
    throw std::runtime_error(first + ": NumPart_ThisFile[1] sums to " + std::to_string(counted) +
                             " over " + std::to_string(files.size()) +
                             " files but NumPart_Total[1] = " + std::to_string(total));
  }
  out.pos.resize(3 * total);
  out.mom.resize(3 * total);
  out.ids.resize(total);
  double mass_min = std::numeric_limits<double>::infinity(), mass_max = 0;
  const double a = out.header.a;
  std::uint64_t offset = 0;
  for (const std::string& fname : files) {
    H5Id file = detail::h5_open_file(fname);
    H5Id header = detail::h5_open_group(file.get(), "Header", fname);
    const std::string where = fname + ": /Header";
    const std::uint64_t n = detail::h5_read_attribute<std::uint64_t>(
        header.get(), "NumPart_ThisFile", kNumTypes, where)[kDarkMatter];
    if (n > total - offset) {
      throw std::runtime_error(fname + ": NumPart_ThisFile[1] summed over the files exceeds " +
                               "NumPart_Total[1] = " + std::to_string(total));
    }
    if (n > 0) {
      H5Id g = detail::h5_open_group(file.get(), "PartType1", fname);
      read_rows<T>(g.get(), "Coordinates", n, 3, out.pos.data() + 3 * offset, fname);
      read_rows<T>(g.get(), "Velocities", n, 3, out.mom.data() + 3 * offset, fname);
      read_rows<std::uint64_t>(g.get(), "ParticleIDs", n, 0, out.ids.data() + offset, fname);
      if (!uniform_mass) {
        std::vector<double> masses(n);
        try {
          read_rows<double>(g.get(), "Masses", n, 0, masses.data(), fname);
        } catch (const std::runtime_error& e) {
          throw std::runtime_error(std::string(e.what()) + " (MassTable[1] is 0)");
        }
        for (double m : masses) {
          mass_min = std::min(mass_min, m);
          mass_max = std::max(mass_max, m);
        }
      }
    }
    offset += n;
  }
  if (offset != total) {
    throw std::runtime_error(first + ": NumPart_ThisFile[1] sums to " + std::to_string(offset) +
                             " over " + std::to_string(files.size()) +
                             " files but NumPart_Total[1] = " + std::to_string(total));
  }
  if (!uniform_mass && total > 0) {
    if (mass_max - mass_min > 1e-6 * mass_max) {
      throw std::runtime_error(first + ": /PartType1/Masses vary (" + std::to_string(mass_min) +
                               " to " + std::to_string(mass_max) +
                               "); only equal-mass particles are supported");
    }
    out.header.particle_mass = 0.5 * (mass_min + mass_max) * u.to_1e10;
  }
  // Convert to cosmograd units: Mpc/h and p = a^1.5 u / 100 (u = v_pec / sqrt(a) [km/s]).
  const double mom = u.to_km_s * std::pow(a, 1.5) / units::H0_km_s_per_mpc_h;
  for (T& x : out.pos) x = static_cast<T>(static_cast<double>(x) * u.to_mpc_h);
  for (T& v : out.mom) v = static_cast<T>(static_cast<double>(v) * mom);
  return out;
}

template void write_snapshot<float>(const std::string&, const Particles<float>&,
                                    const SnapshotHeader&, const SnapshotOptions&, const Comm&);
template void write_snapshot<double>(const std::string&, const Particles<double>&,
                                     const SnapshotHeader&, const SnapshotOptions&, const Comm&);
template void write_snapshot<float>(const std::string&, const Particles<float>&,
                                    const SnapshotHeader&, const SnapshotOptions&);
template void write_snapshot<double>(const std::string&, const Particles<double>&,
                                     const SnapshotHeader&, const SnapshotOptions&);
template SnapshotData<float> read_snapshot<float>(const std::string&);
template SnapshotData<double> read_snapshot<double>(const std::string&);

}  // namespace cosmograd::sim
