#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "sim/core/units.hpp"
#include "sim/io/snapshot.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {

/// An n^3 lattice with deterministic displacements (some leaving the box on either side,
/// one landing a hair below L) and momenta.
template <class T>
cg::Particles<T> make_particles(int n, double box) {
  cg::Particles<T> p = cg::Particles<T>::lattice_grid(n, box);
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (int d = 0; d < 3; ++d) {
      const double s = std::sin(0.7 * static_cast<double>(j) + 1.3 * d);
      p.disp[3 * j + d] = static_cast<T>(0.9 * box / n * s * ((j % 5 == 0) ? 3.0 : 1.0));
      p.mom[3 * j + d] = static_cast<T>(2.5 * std::cos(0.3 * static_cast<double>(j) + d));
    }
  }
  // Particle 0 sits on the origin: put it just below the periodic boundary in x and at
  // -tiny in y so that wrapping and float rounding are both exercised.
  p.disp[0] = static_cast<T>(-1e-9 * box);
  p.disp[1] = static_cast<T>(box - 1e-9 * box);
  return p;
}

cg::SnapshotHeader make_header(double box, std::uint64_t n) {
  cg::SnapshotHeader h;
  h.box_size = box;
  h.a = 0.5;
  h.Omega_m = 0.3;
  h.Omega_lambda = 0.7;
  h.h = 0.68;
  h.particle_mass = cg::lattice_particle_mass(h.Omega_m, box, n);
  return h;
}

double periodic_diff(double a, double b, double box) {
  double d = std::fmod(a - b, box);
  if (d > 0.5 * box) d -= box;
  if (d < -0.5 * box) d += box;
  return std::abs(d);
}

template <class TS, class TP>
void expect_matches(const cg::SnapshotData<TS>& s, const cg::Particles<TP>& p,
                    const cg::SnapshotHeader& h, double pos_tol, double mom_rel_tol) {
  ASSERT_EQ(s.size(), p.size());
  ASSERT_EQ(s.pos.size(), 3 * p.size());
  ASSERT_EQ(s.mom.size(), 3 * p.size());
  EXPECT_NEAR(s.header.box_size, h.box_size, 1e-12 * h.box_size);
  EXPECT_DOUBLE_EQ(s.header.a, h.a);
  EXPECT_DOUBLE_EQ(s.header.Omega_m, h.Omega_m);
  EXPECT_DOUBLE_EQ(s.header.Omega_lambda, h.Omega_lambda);
  EXPECT_DOUBLE_EQ(s.header.h, h.h);
  EXPECT_NEAR(s.header.particle_mass, h.particle_mass, 1e-12 * h.particle_mass);
  EXPECT_EQ(s.header.num_part_total, p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    EXPECT_EQ(s.ids[j], p.id[j] + 1);
    for (int d = 0; d < 3; ++d) {
      const double x = s.pos[3 * j + d];
      EXPECT_GE(x, 0.0);
      EXPECT_LT(x, h.box_size);
      EXPECT_LE(periodic_diff(x, p.position(j, d), h.box_size), pos_tol) << j << " " << d;
      const double m = p.mom[3 * j + d];
      EXPECT_NEAR(s.mom[3 * j + d], m, mom_rel_tol * (std::abs(m) + 1e-3)) << j << " " << d;
    }
  }
}

/// Raw HDF5 helpers, independent of the code under test.
struct RawFile {
  hid_t id;
  explicit RawFile(const std::string& path, unsigned flags = H5F_ACC_RDONLY)
      : id(H5Fopen(path.c_str(), flags, H5P_DEFAULT)) {}
  ~RawFile() {
    if (id >= 0) H5Fclose(id);
  }
};

template <class T>
std::vector<T> raw_attr(hid_t file, const char* obj, const char* name, hid_t type, int count) {
  std::vector<T> v(count);
  const hid_t attr = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(attr, 0) << obj << "/" << name;
  if (attr < 0) return v;
  const hid_t space = H5Aget_space(attr);
  EXPECT_EQ(H5Sget_simple_extent_npoints(space), count) << name;
  H5Sclose(space);
  EXPECT_GE(H5Aread(attr, type, v.data()), 0);
  H5Aclose(attr);
  return v;
}

template <class T>
std::vector<T> raw_dataset(hid_t file, const char* name, hid_t type, std::size_t count,
                           hid_t* stored_type_class = nullptr, std::size_t* stored_size = nullptr) {
  std::vector<T> v(count);
  const hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
  EXPECT_GE(dset, 0) << name;
  if (dset < 0) return v;
  const hid_t ftype = H5Dget_type(dset);
  if (stored_type_class) *stored_type_class = H5Tget_class(ftype);
  if (stored_size) *stored_size = H5Tget_size(ftype);
  H5Tclose(ftype);
  EXPECT_GE(H5Dread(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  H5Dclose(dset);
  return v;
}

}  // namespace

TEST(Snapshot, FileNamesFollowGadget4) {
  EXPECT_EQ(cg::snapshot_file_names("out/snap_005", 1),
            std::vector<std::string>{"out/snap_005.hdf5"});
  EXPECT_EQ(cg::snapshot_file_names("out/snap_005.hdf5", 1),
            std::vector<std::string>{"out/snap_005.hdf5"});
  EXPECT_EQ(cg::snapshot_file_names("snap", 3),
            (std::vector<std::string>{"snap.0.hdf5", "snap.1.hdf5", "snap.2.hdf5"}));
  EXPECT_THROW(cg::snapshot_file_names("snap", 0), std::invalid_argument);
}

TEST(Snapshot, LatticeParticleMassIsMeanMatterDensity) {
  // rho_crit = 2.775e11 h^2 Msun / Mpc^3 = 27.75 [1e10 Msun/h] / (Mpc/h)^3.
  EXPECT_NEAR(cg::lattice_particle_mass(0.3, 100.0, 64 * 64 * 64),
              0.3 * 27.7536627 * 1e6 / (64.0 * 64 * 64), 1e-4);
}

TEST(Snapshot, SingleFileRoundTripFloat) {
  const fs::path dir = fresh_dir("snapshot_single");
  const double box = 100.0;
  const auto p = make_particles<float>(6, box);
  const auto h = make_header(box, p.size());
  cg::write_snapshot((dir / "snap_005").string(), p, h);
  EXPECT_EQ(listing(dir), std::set<std::string>{"snap_005.hdf5"});
  // float32 kpc/h coordinates: ulp(1e5 kpc) ~ 0.008 kpc = 8e-6 Mpc/h.
  for (const char* name : {"snap_005", "snap_005.hdf5"}) {
    const auto s = cg::read_snapshot<float>((dir / name).string());
    EXPECT_EQ(s.header.num_files, 1);
    expect_matches(s, p, h, 2e-5, 2e-6);
  }
  const auto sd = cg::read_snapshot<double>((dir / "snap_005").string());
  expect_matches(sd, p, h, 2e-5, 2e-6);
  fs::remove_all(dir);
}

TEST(Snapshot, EveryCosmologicalParameterRoundTrips) {
  // `cosmograd halos` and the theory lines of a run's outputs read them back (issue: halos
  // used Planck's sigma8, n_s and Omega_b whatever the run had).
  const fs::path dir = fresh_dir("snapshot_cosmology");
  const auto p = make_particles<float>(4, 50.0);
  auto h = make_header(50.0, p.size());
  const auto plain = (dir / "plain").string();
  cg::write_snapshot(plain, p, h);
  EXPECT_FALSE(cg::read_snapshot<float>(plain).header.has_cosmology);
  h.cosmology = cg::planck2015();
  h.cosmology.Omega_m = h.Omega_m;
  h.cosmology.h = h.h;
  h.cosmology.sigma8 = 0.71;
  h.cosmology.n_s = 0.93;
  h.cosmology.Omega_b = 0.041;
  h.cosmology.w0 = -0.9;
  h.cosmology.wa = 0.1;
  h.cosmology.radiation = true;
  h.has_cosmology = true;
  const auto full = (dir / "full").string();
  cg::write_snapshot(full, p, h);
  const cg::SnapshotHeader r = cg::read_snapshot<float>(full).header;
  ASSERT_TRUE(r.has_cosmology);
  EXPECT_EQ(r.cosmology.sigma8, 0.71);
  EXPECT_EQ(r.cosmology.n_s, 0.93);
  EXPECT_EQ(r.cosmology.Omega_b, 0.041);
  EXPECT_EQ(r.cosmology.w0, -0.9);
  EXPECT_EQ(r.cosmology.wa, 0.1);
  EXPECT_TRUE(r.cosmology.radiation);
  EXPECT_EQ(r.cosmology.Omega_m, 0.3);
  EXPECT_EQ(r.cosmology.h, 0.68);
  fs::remove_all(dir);
}

TEST(Snapshot, ThreeFilesRoundTripDoubleAndNoTemporariesLeft) {
  const fs::path dir = fresh_dir("snapshot_multi");
  const double box = 256.0;
  const auto p = make_particles<double>(5, box);  // 125 particles: 41 + 42 + 42
  const auto h = make_header(box, p.size());
  cg::SnapshotOptions o;
  o.num_files = 3;
  o.double_precision = true;
  cg::write_snapshot((dir / "snap_010").string(), p, h, o);
  EXPECT_EQ(listing(dir),
            (std::set<std::string>{"snap_010.0.hdf5", "snap_010.1.hdf5", "snap_010.2.hdf5"}));

  std::uint64_t sum = 0;
  for (int i = 0; i < 3; ++i) {
    RawFile f((dir / ("snap_010." + std::to_string(i) + ".hdf5")).string());
    ASSERT_GE(f.id, 0);
    const auto this_file =
        raw_attr<std::uint64_t>(f.id, "/Header", "NumPart_ThisFile", H5T_NATIVE_UINT64, 6);
    EXPECT_EQ(this_file[1], static_cast<std::uint64_t>(125 * (i + 1) / 3 - 125 * i / 3));
    EXPECT_EQ(this_file[0] + this_file[2] + this_file[3] + this_file[4] + this_file[5], 0u);
    // Contiguous split: the first ID of file i is lattice index sum + 1.
    const auto ids =
        raw_dataset<std::uint64_t>(f.id, "/PartType1/ParticleIDs", H5T_NATIVE_UINT64, this_file[1]);
    EXPECT_EQ(ids.front(), sum + 1);
    sum += this_file[1];
    EXPECT_EQ(raw_attr<int>(f.id, "/Header", "NumFilesPerSnapshot", H5T_NATIVE_INT, 1)[0], 3);
    EXPECT_EQ(raw_attr<std::uint32_t>(f.id, "/Header", "NumPart_Total", H5T_NATIVE_UINT32, 6)[1],
              125u);
    EXPECT_EQ(raw_attr<int>(f.id, "/Header", "Flag_DoublePrecision", H5T_NATIVE_INT, 1)[0], 1);
    hid_t cls = -1;
    std::size_t size = 0;
    raw_dataset<double>(f.id, "/PartType1/Coordinates", H5T_NATIVE_DOUBLE, 3 * this_file[1], &cls,
                        &size);
    EXPECT_EQ(cls, H5T_FLOAT);
    EXPECT_EQ(size, 8u);
  }
  EXPECT_EQ(sum, 125u);

  for (const char* name : {"snap_010", "snap_010.0.hdf5", "snap_010.2.hdf5"}) {
    const auto s = cg::read_snapshot<double>((dir / name).string());
    EXPECT_EQ(s.header.num_files, 3);
    expect_matches(s, p, h, 1e-9, 1e-12);
  }
  fs::remove_all(dir);
}

TEST(Snapshot, HeaderAttributesAndGadgetVelocities) {
  const fs::path dir = fresh_dir("snapshot_header");
  const double box = 64.0;
  const auto p = make_particles<float>(4, box);
  auto h = make_header(box, p.size());
  h.a = 0.25;
  const std::string base = (dir / "snap").string();
  cg::write_snapshot(base, p, h);

  RawFile f(base + ".hdf5");
  ASSERT_GE(f.id, 0);
  auto dbl = [&](const char* obj, const char* name) {
    return raw_attr<double>(f.id, obj, name, H5T_NATIVE_DOUBLE, 1)[0];
  };
  EXPECT_DOUBLE_EQ(dbl("/Header", "BoxSize"), 64000.0);  // kpc/h
  EXPECT_DOUBLE_EQ(dbl("/Header", "Time"), 0.25);
  EXPECT_DOUBLE_EQ(dbl("/Header", "Redshift"), 3.0);
  EXPECT_DOUBLE_EQ(dbl("/Header", "Omega0"), 0.3);
  EXPECT_DOUBLE_EQ(dbl("/Header", "OmegaLambda"), 0.7);
  EXPECT_DOUBLE_EQ(dbl("/Header", "HubbleParam"), 0.68);
  EXPECT_EQ(raw_attr<int>(f.id, "/Header", "NumFilesPerSnapshot", H5T_NATIVE_INT, 1)[0], 1);
  EXPECT_EQ(raw_attr<std::uint32_t>(f.id, "/Header", "NumPart_ThisFile", H5T_NATIVE_UINT32, 6),
            (std::vector<std::uint32_t>{0, 64, 0, 0, 0, 0}));
  EXPECT_EQ(raw_attr<std::uint32_t>(f.id, "/Header", "NumPart_Total", H5T_NATIVE_UINT32, 6),
            (std::vector<std::uint32_t>{0, 64, 0, 0, 0, 0}));
  EXPECT_EQ(
      raw_attr<std::uint32_t>(f.id, "/Header", "NumPart_Total_HighWord", H5T_NATIVE_UINT32, 6),
      (std::vector<std::uint32_t>(6, 0)));
  const auto mass = raw_attr<double>(f.id, "/Header", "MassTable", H5T_NATIVE_DOUBLE, 6);
  EXPECT_DOUBLE_EQ(mass[1], h.particle_mass);
  EXPECT_EQ(mass[0] + mass[2] + mass[3] + mass[4] + mass[5], 0.0);
  for (const char* flag : {"Flag_Sfr", "Flag_Cooling", "Flag_StellarAge", "Flag_Metals",
                           "Flag_Feedback", "Flag_DoublePrecision"}) {
    EXPECT_EQ(raw_attr<int>(f.id, "/Header", flag, H5T_NATIVE_INT, 1)[0], 0) << flag;
  }
  EXPECT_NEAR(dbl("/Parameters", "UnitLength_in_cm"), 3.0856775814913673e21, 1e8);
  EXPECT_NEAR(dbl("/Parameters", "UnitMass_in_g"), 1.98841e43, 1e30);
  EXPECT_DOUBLE_EQ(dbl("/Parameters", "UnitVelocity_in_cm_per_s"), 1e5);

  hid_t cls = -1;
  std::size_t size = 0;
  const auto pos = raw_dataset<float>(f.id, "/PartType1/Coordinates", H5T_NATIVE_FLOAT,
                                      3 * p.size(), &cls, &size);
  EXPECT_EQ(cls, H5T_FLOAT);
  EXPECT_EQ(size, 4u);
  const auto vel = raw_dataset<double>(f.id, "/PartType1/Velocities", H5T_NATIVE_DOUBLE,
                                       3 * p.size(), &cls, &size);
  EXPECT_EQ(size, 4u);
  const auto ids = raw_dataset<std::uint64_t>(f.id, "/PartType1/ParticleIDs", H5T_NATIVE_UINT64,
                                              p.size(), &cls, &size);
  EXPECT_EQ(cls, H5T_INTEGER);
  EXPECT_EQ(size, 8u);
  for (std::size_t j = 0; j < p.size(); ++j) {
    EXPECT_EQ(ids[j], j + 1);
    for (int d = 0; d < 3; ++d) {
      // Gadget: u = v_pec / sqrt(a), v_pec = 100 p / a km/s  =>  u = 100 p / a^1.5 = 800 p.
      const double u = 800.0 * p.mom[3 * j + d];
      EXPECT_NEAR(vel[3 * j + d], u, 1e-6 * std::abs(u) + 1e-9);
      EXPECT_LE(periodic_diff(pos[3 * j + d], 1000.0 * p.position(j, d), 64000.0), 0.01);
    }
  }
  fs::remove_all(dir);
}

TEST(Snapshot, PositionsAreWrappedIntoTheBox) {
  const fs::path dir = fresh_dir("snapshot_wrap");
  const double box = 1000.0;
  auto p = make_particles<float>(4, box);
  p.disp[0] = static_cast<float>(-1e-7);        // x = -1e-7 Mpc/h: wraps to just below L
  p.disp[3] = static_cast<float>(box * 2.5);    // far outside the box
  p.disp[4] = static_cast<float>(-box * 1.25);  // far outside the other way
  const auto h = make_header(box, p.size());
  for (bool kpc : {true, false}) {
    cg::SnapshotOptions o;
    o.length_in_kpc = kpc;
    const std::string base = (dir / (kpc ? "kpc" : "mpc")).string();
    cg::write_snapshot(base, p, h, o);
    RawFile f(base + ".hdf5");
    ASSERT_GE(f.id, 0);
    const double box_file = raw_attr<double>(f.id, "/Header", "BoxSize", H5T_NATIVE_DOUBLE, 1)[0];
    EXPECT_DOUBLE_EQ(box_file, kpc ? 1e6 : 1e3);
    const auto pos =
        raw_dataset<float>(f.id, "/PartType1/Coordinates", H5T_NATIVE_FLOAT, 3 * p.size());
    for (float x : pos) {
      EXPECT_GE(x, 0.0f);
      EXPECT_LT(static_cast<double>(x), box_file);
    }
    // Read back in Mpc/h whatever the file's length unit.
    const auto s = cg::read_snapshot<double>(base);
    expect_matches(s, p, h, 1e-7 * box, 2e-6);
  }
  fs::remove_all(dir);
}

TEST(Snapshot, UnwritableDirectoryThrowsNamingThePath) {
  const fs::path dir = fresh_dir("snapshot_unwritable");
  const fs::path blocker = dir / "not_a_directory";
  std::ofstream(blocker) << "x";
  const auto p = make_particles<float>(2, 10.0);
  const auto h = make_header(10.0, p.size());
  for (int files : {1, 2}) {
    cg::SnapshotOptions o;
    o.num_files = files;
    try {
      cg::write_snapshot((blocker / "snap").string(), p, h, o);
      FAIL() << "no throw";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("not_a_directory"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(listing(dir), std::set<std::string>{"not_a_directory"});
  fs::remove_all(dir);
}

TEST(Snapshot, BadArgumentsThrow) {
  const fs::path dir = fresh_dir("snapshot_badargs");
  const auto p = make_particles<float>(2, 10.0);
  auto h = make_header(10.0, p.size());
  const std::string base = (dir / "snap").string();
  cg::SnapshotOptions o;
  o.num_files = 9;  // more files than particles
  EXPECT_THROW(cg::write_snapshot(base, p, h, o), std::invalid_argument);
  o.num_files = 0;
  EXPECT_THROW(cg::write_snapshot(base, p, h, o), std::invalid_argument);
  auto h2 = h;
  h2.particle_mass = 0;
  EXPECT_THROW(cg::write_snapshot(base, p, h2), std::invalid_argument);
  h2 = h;
  h2.box_size = 20.0;  // differs from the particles' box
  EXPECT_THROW(cg::write_snapshot(base, p, h2), std::invalid_argument);
  auto bad = p;
  bad.mom[4] = std::nanf("");
  try {
    cg::write_snapshot(base, bad, h);
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite momentum"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(listing(dir).empty());
  fs::remove_all(dir);
}

TEST(Snapshot, ReaderErrorsNameFileAndObject) {
  const fs::path dir = fresh_dir("snapshot_readerr");
  const auto p = make_particles<float>(2, 10.0);
  const auto h = make_header(10.0, p.size());
  const std::string base = (dir / "snap").string();
  const std::string file = base + ".hdf5";
  auto expect_error = [&](const std::string& path, const std::vector<std::string>& parts) {
    try {
      cg::read_snapshot<float>(path);
      FAIL() << "no throw";
    } catch (const std::runtime_error& e) {
      for (const auto& part : parts) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      }
    }
  };
  expect_error((dir / "missing").string(),
               {"snapshot not found", "missing.hdf5", "missing.0.hdf5"});

  cg::write_snapshot(base, p, h);
  {
    RawFile f(file, H5F_ACC_RDWR);
    ASSERT_GE(H5Ldelete(f.id, "/PartType1/Velocities", H5P_DEFAULT), 0);
  }
  expect_error(base, {file, "missing dataset /PartType1/Velocities"});

  cg::write_snapshot(base, p, h);
  {
    RawFile f(file, H5F_ACC_RDWR);
    ASSERT_GE(H5Adelete_by_name(f.id, "/Header", "BoxSize", H5P_DEFAULT), 0);
  }
  expect_error(base, {file, "/Header", "missing attribute BoxSize"});

  cg::write_snapshot(base, p, h);
  {
    RawFile f(file, H5F_ACC_RDWR);
    ASSERT_GE(H5Adelete_by_name(f.id, "/Header", "Omega0", H5P_DEFAULT), 0);
    ASSERT_GE(H5Adelete_by_name(f.id, "/Parameters", "Omega0", H5P_DEFAULT), 0);
  }
  expect_error(base, {file, "missing attribute Omega0"});

  // Rewriting "snap" as three files, then as two, replaces the earlier layouts whole.
  cg::SnapshotOptions o;
  o.num_files = 3;
  cg::write_snapshot(base, p, h, o);
  o.num_files = 2;
  cg::write_snapshot(base, p, h, o);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"snap.0.hdf5", "snap.1.hdf5"}));
  EXPECT_EQ(cg::read_snapshot<float>(base).header.num_files, 2);
  // A multi-file snapshot with one file gone.
  fs::remove(base + ".1.hdf5");
  expect_error(base, {"snap.1.hdf5"});
  fs::remove_all(dir);
}

// A file shaped like Gadget-4's output: cosmology in /Parameters only, 64-bit NumPart
// counts without a high word, no unit attributes (so kpc/h), float64 coordinates, uint32
// IDs, per-particle Masses with MassTable[1] = 0, and a gas type the reader skips.
TEST(Snapshot, ReadsGadget4StyleFile) {
  const fs::path dir = fresh_dir("snapshot_gadget4");
  const std::string file = (dir / "snapshot_000.hdf5").string();
  const hsize_t n = 3;
  {
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    auto attr = [](hid_t loc, const char* name, hid_t type, const void* data, hsize_t count) {
      const hid_t s = count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr);
      const hid_t a = H5Acreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, type, data);
      H5Aclose(a);
      H5Sclose(s);
    };
    auto dset = [](hid_t loc, const char* name, hid_t type, const void* data, int rank,
                   const hsize_t* dims) {
      const hid_t s = H5Screate_simple(rank, dims, nullptr);
      const hid_t d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
      H5Dclose(d);
      H5Sclose(s);
    };
    const hid_t hg = H5Gcreate2(f, "Header", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::uint64_t counts[6] = {2, n, 0, 0, 0, 0};
    const double mass_table[6] = {0, 0, 0, 0, 0, 0};
    const double box = 50000.0, time = 0.5, z = 1.0;
    const int nfiles = 1;
    attr(hg, "NumPart_ThisFile", H5T_NATIVE_UINT64, counts, 6);
    attr(hg, "NumPart_Total", H5T_NATIVE_UINT64, counts, 6);
    attr(hg, "MassTable", H5T_NATIVE_DOUBLE, mass_table, 6);
    attr(hg, "BoxSize", H5T_NATIVE_DOUBLE, &box, 1);
    attr(hg, "Time", H5T_NATIVE_DOUBLE, &time, 1);
    attr(hg, "Redshift", H5T_NATIVE_DOUBLE, &z, 1);
    attr(hg, "NumFilesPerSnapshot", H5T_NATIVE_INT, &nfiles, 1);
    H5Gclose(hg);
    const hid_t pg = H5Gcreate2(f, "Parameters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double om = 0.31, ol = 0.69, hp = 0.67;
    attr(pg, "Omega0", H5T_NATIVE_DOUBLE, &om, 1);
    attr(pg, "OmegaLambda", H5T_NATIVE_DOUBLE, &ol, 1);
    attr(pg, "HubbleParam", H5T_NATIVE_DOUBLE, &hp, 1);
    H5Gclose(pg);
    const hid_t g0 = H5Gcreate2(f, "PartType0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double gas[6] = {1, 2, 3, 4, 5, 6};
    const hsize_t gas_dims[2] = {2, 3};
    dset(g0, "Coordinates", H5T_NATIVE_DOUBLE, gas, 2, gas_dims);
    H5Gclose(g0);
    const hid_t g1 = H5Gcreate2(f, "PartType1", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double pos[9] = {1000, 2000, 3000, 49999, 0, 25000, 10, 20, 30};
    const float vel[9] = {100, -200, 300, 0, 0, 0, 1, 2, 3};
    const std::uint32_t ids[3] = {7, 8, 9};
    const float masses[3] = {0.5f, 0.5f, 0.5f};
    const hsize_t dims2[2] = {n, 3};
    dset(g1, "Coordinates", H5T_IEEE_F64LE, pos, 2, dims2);
    dset(g1, "Velocities", H5T_NATIVE_FLOAT, vel, 2, dims2);
    dset(g1, "ParticleIDs", H5T_NATIVE_UINT32, ids, 1, &n);
    dset(g1, "Masses", H5T_NATIVE_FLOAT, masses, 1, &n);
    H5Gclose(g1);
    H5Fclose(f);
  }
  const auto s = cg::read_snapshot<double>(file);
  EXPECT_DOUBLE_EQ(s.header.box_size, 50.0);
  EXPECT_DOUBLE_EQ(s.header.a, 0.5);
  EXPECT_DOUBLE_EQ(s.header.Omega_m, 0.31);
  EXPECT_DOUBLE_EQ(s.header.Omega_lambda, 0.69);
  EXPECT_DOUBLE_EQ(s.header.h, 0.67);
  EXPECT_DOUBLE_EQ(s.header.particle_mass, 0.5);  // no UnitMass_in_g: 1e10 Msun/h
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.ids, (std::vector<std::uint64_t>{7, 8, 9}));
  EXPECT_DOUBLE_EQ(s.pos[3], 49.999);
  EXPECT_DOUBLE_EQ(s.pos[8], 0.03);
  EXPECT_NEAR(s.mom[1], -200.0 * std::pow(0.5, 1.5) / 100.0, 1e-12);
  fs::remove_all(dir);
}
