// Hostile headers (issue 28, tests/fuzz/README.md): the readers reject counts and shapes that
// the file does not back with a clear error naming the file, the field and the value, before
// allocating anything for them (a header claiming 2^40 particles must not allocate 12 TB).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cosmo/power_table.hpp"
#include "sim/io/field_io.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/halo_catalog.hpp"
#include "tests/sim/expect_rejected.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;
using cosmograd::testing::expect_rejected;

namespace {

constexpr std::uint64_t kHuge = std::uint64_t{1} << 40;

/// Opens `path` read-write for surgery, closed on scope exit.
struct Edit {
  hid_t id;
  explicit Edit(const std::string& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {}
  ~Edit() { H5Fclose(id); }
};

/// Replaces attribute `name` of object `obj` by a uint64 array (or scalar when one value).
void set_attribute(hid_t file, const char* obj, const char* name,
                   const std::vector<std::uint64_t>& values) {
  if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) > 0) {
    ASSERT_GE(H5Adelete_by_name(file, obj, name, H5P_DEFAULT), 0);
  }
  const hsize_t n = values.size();
  const hid_t space = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  const hid_t attr = H5Acreate_by_name(file, obj, name, H5T_STD_U64LE, space, H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_UINT64, values.data()), 0);
  H5Aclose(attr);
  H5Sclose(space);
}

/// Replaces dataset `name` by one of shape `dims` whose data are never written (the file
/// stays small; HDF5 allocates contiguous storage only on the first write).
void set_unwritten_dataset(hid_t file, const char* name, std::vector<hsize_t> dims,
                           hid_t type = H5T_IEEE_F32LE) {
  if (H5Lexists(file, name, H5P_DEFAULT) > 0) {
    ASSERT_GE(H5Ldelete(file, name, H5P_DEFAULT), 0);
  }
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  H5Dclose(dset);
  H5Sclose(space);
}

/// A one-file snapshot of 8 particles at dir/snap.hdf5.
std::string small_snapshot(const fs::path& dir) {
  cg::Particles<float> p = cg::Particles<float>::lattice_grid(2, 10.0);
  cg::SnapshotHeader h;
  h.box_size = 10.0;
  h.a = 0.5;
  h.Omega_m = 0.3;
  h.Omega_lambda = 0.7;
  h.h = 0.7;
  h.particle_mass = cg::lattice_particle_mass(h.Omega_m, h.box_size, p.size());
  cg::write_snapshot((dir / "snap").string(), p, h);
  return (dir / "snap.hdf5").string();
}

}  // namespace

TEST(HostileHeaders, SnapshotTotalBeyondTheFilesIsRejectedBeforeAllocating) {
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_snapshot_total");
  const std::string file = small_snapshot(dir);
  {
    Edit f(file);
    set_attribute(f.id, "/Header", "NumPart_Total", {0, kHuge, 0, 0, 0, 0});
  }
  expect_rejected([&] { cg::read_snapshot<float>(file); },
                  {file, "NumPart_ThisFile[1] sums to 8", "NumPart_Total[1] = 1099511627776"});
  fs::remove_all(dir);
}

TEST(HostileHeaders, SnapshotUnwrittenHugeDatasetIsRejectedBeforeAllocating) {
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_snapshot_dataset");
  const std::string file = small_snapshot(dir);
  {
    Edit f(file);
    set_attribute(f.id, "/Header", "NumPart_Total", {0, kHuge, 0, 0, 0, 0});
    set_attribute(f.id, "/Header", "NumPart_ThisFile", {0, kHuge, 0, 0, 0, 0});
    set_unwritten_dataset(f.id, "/PartType1/Coordinates", {kHuge, 3});
  }
  EXPECT_LT(fs::file_size(file), std::uintmax_t{1} << 20);
  expect_rejected([&] { cg::read_snapshot<double>(file); },
                  {file, "/PartType1/Coordinates", "(1099511627776,3)", "allowed"});
  fs::remove_all(dir);
}

TEST(HostileHeaders, SnapshotFileCountAndBoxAreChecked) {
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_snapshot_files");
  const std::string file = small_snapshot(dir);
  {
    Edit f(file);
    set_attribute(f.id, "/Header", "NumFilesPerSnapshot", {0x7fffffff});
  }
  expect_rejected([&] { cg::read_snapshot<float>(file); },
                  {file, "NumFilesPerSnapshot = 2147483647", "allowed: 1 to 65536"});
  small_snapshot(dir);
  {
    Edit f(file);
    ASSERT_GE(H5Adelete_by_name(f.id, "/Header", "BoxSize", H5P_DEFAULT), 0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate_by_name(f.id, "/Header", "BoxSize", H5T_IEEE_F64LE, space,
                                         H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_DOUBLE, &nan);
    H5Aclose(attr);
    H5Sclose(space);
  }
  expect_rejected([&] { cg::read_snapshot<float>(file); }, {file, "BoxSize = nan", "allowed"});
  fs::remove_all(dir);
}

TEST(HostileHeaders, FieldWithUnwrittenDataIsRejected) {
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_field");
  const std::string file = (dir / "delta.h5").string();
  {
    const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    set_unwritten_dataset(f, "delta", {4, 4, 4}, H5T_IEEE_F64LE);
    set_attribute(f, "/", "box_size", {100});
    set_attribute(f, "/", "redshift", {9});
    H5Fclose(f);
  }
  expect_rejected([&] { cg::read_linear_field<double>(file, 4); },
                  {file, "/delta", "(4,4,4)", "written"});
  fs::remove_all(dir);
}

TEST(HostileHeaders, HaloCatalogCountsAndOffsetsAreChecked) {
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_halos");
  const std::string file = (dir / "halos.hdf5").string();
  cg::HaloCatalog c;
  c.header.box_size = 10.0;
  c.header.a = 1.0;
  c.halos.resize(2);
  c.halos[0].num_members = 2;
  c.halos[1].num_members = 2;
  c.offsets = {0, 2};
  c.ids = {1, 2, 3, 4};
  cg::write_halo_catalog(file, c);
  ASSERT_EQ(cg::read_halo_catalog(file).halos.size(), 2u);
  {
    // GroupOffset + GroupLen wraps around 2^64 to 1 <= Nids_ThisFile.
    Edit f(file);
    const hid_t d = H5Dopen2(f.id, "/Group/GroupOffset", H5P_DEFAULT);
    const std::uint64_t offsets[2] = {0, std::numeric_limits<std::uint64_t>::max()};
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, offsets), 0);
    H5Dclose(d);
  }
  expect_rejected([&] { cg::read_halo_catalog(file); },
                  {file, "GroupOffset[1] = 18446744073709551615", "allowed"});
  cg::write_halo_catalog(file, c);
  {
    Edit f(file);
    set_attribute(f.id, "/Header", "Nids_ThisFile", {kHuge});
    set_unwritten_dataset(f.id, "/IDs/ID", {kHuge}, H5T_STD_U64LE);
  }
  expect_rejected([&] { cg::read_halo_catalog(file); },
                  {file, "/IDs/ID", "(1099511627776)", "allowed"});
  fs::remove_all(dir);
}

TEST(HostileHeaders, PowerTableRowCountBeyondSizeTIsRejected) {
  // "1e300" was cast to size_t: undefined behaviour (UBSan float-cast-overflow).
  const fs::path dir = cosmograd::testing::fresh_dir("hostile_power_table");
  const std::string file = (dir / "old_pk.dat").string();
  std::ofstream(file) << "# Matter power spectrum P(k) at redshift z=0\n"
                      << "# Number of wavenumbers k:\n1e300\n"
                      << "0.1 1\n0.2 2\n0.3 3\n0.4 4\n";
  expect_rejected([&] { cg::read_power_table(file); },
                  {file + ":3:", "number of wavenumbers = '1e300'", "allowed"});
  fs::remove_all(dir);
}
