#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/io/field_io.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;

using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {

double value(int x, int y, int z) { return std::sin(0.3 * x + 0.7 * y * y - 1.1 * z) + 0.01 * x; }

template <class T>
cg::Field<T> make_field(int n) {
  cg::Field<T> f{cg::Decomposition(n)};
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) f.at(x, y, z) = static_cast<T>(value(x, y, z));
    }
  }
  return f;
}

/// Writes dataset `name` (float32, shape dims, values i * 0.001) with attributes, raw API.
void write_raw(const std::string& path, const std::string& name, std::vector<hsize_t> dims,
               const std::map<std::string, double>& dset_attrs,
               const std::map<std::string, double>& root_attrs = {}, float poison = 0,
               std::size_t poison_at = std::numeric_limits<std::size_t>::max()) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  std::size_t total = 1;
  for (hsize_t d : dims) total *= d;
  std::vector<float> data(total);
  for (std::size_t i = 0; i < total; ++i) data[i] = i == poison_at ? poison : 0.001f * i;
  const hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t d =
      H5Dcreate2(f, name.c_str(), H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
  auto put = [](hid_t loc, const std::map<std::string, double>& attrs) {
    for (const auto& [key, v] : attrs) {
      const hid_t as = H5Screate(H5S_SCALAR);
      const hid_t a = H5Acreate2(loc, key.c_str(), H5T_NATIVE_DOUBLE, as, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
      H5Aclose(a);
      H5Sclose(as);
    }
  };
  put(d, dset_attrs);
  put(f, root_attrs);
  H5Dclose(d);
  H5Sclose(s);
  H5Fclose(f);
}

std::string error_of(const std::string& path, int n) {
  try {
    cg::read_linear_field<float>(path, n);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no throw";
}

}  // namespace

template <class T>
class FieldIoTyped : public ::testing::Test {};
using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FieldIoTyped, Precisions);

TYPED_TEST(FieldIoTyped, WriteReadRoundTripIsExactAndLeavesNoTemporary) {
  using T = TypeParam;
  const fs::path dir = fresh_dir(std::string("field_io_roundtrip_") + (sizeof(T) == 4 ? "f" : "d"));
  const int n = 8;
  const auto f = make_field<T>(n);
  const std::string path = (dir / "delta.h5").string();
  cg::write_field(path, f, 250.0, 0.02);
  EXPECT_EQ(listing(dir), std::set<std::string>{"delta.h5"});

  const auto r = cg::read_linear_field<T>(path, n);
  EXPECT_DOUBLE_EQ(r.box_size, 250.0);
  EXPECT_NEAR(r.redshift, 49.0, 1e-12);
  ASSERT_EQ(r.field.n(), n);
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < r.field.decomp().nz_padded(); ++z) {
        const T want = z < n ? f.at(x, y, z) : T(0);  // padding stays zero
        EXPECT_EQ(r.field.at(x, y, z), want) << x << " " << y << " " << z;
      }
    }
  }

  // On disk: (n, n, n) in C order [x][y][z], float32 or float64, with the attributes.
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t dset = H5Dopen2(file, "delta", H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  const hid_t space = H5Dget_space(dset);
  hsize_t dims[3] = {0, 0, 0};
  EXPECT_EQ(H5Sget_simple_extent_ndims(space), 3);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  EXPECT_EQ(dims[0], 8u);
  EXPECT_EQ(dims[1], 8u);
  EXPECT_EQ(dims[2], 8u);
  const hid_t type = H5Dget_type(dset);
  EXPECT_EQ(H5Tget_class(type), H5T_FLOAT);
  EXPECT_EQ(H5Tget_size(type), sizeof(T));
  std::vector<double> raw(512);
  H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
  EXPECT_EQ(raw[(1 * 8 + 2) * 8 + 3], static_cast<double>(f.at(1, 2, 3)));
  for (const char* name : {"box_size", "scale_factor", "redshift"}) {
    double v = 0;
    const hid_t attr = H5Aopen(dset, name, H5P_DEFAULT);
    ASSERT_GE(attr, 0) << name;
    H5Aread(attr, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(attr);
    EXPECT_DOUBLE_EQ(v, std::string(name) == "box_size"       ? 250.0
                        : std::string(name) == "scale_factor" ? 0.02
                                                              : 1.0 / 0.02 - 1.0);
  }
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(dset);
  H5Fclose(file);
  fs::remove_all(dir);
}

TEST(FieldIo, OtherDatasetNameAndBadArguments) {
  const fs::path dir = fresh_dir("field_io_name");
  const auto f = make_field<float>(4);
  const std::string path = (dir / "rho.h5").string();
  cg::write_field(path, f, 100.0, 1.0, "rho");
  EXPECT_NE(error_of(path, 4).find("missing dataset /delta"), std::string::npos);
  EXPECT_THROW(cg::write_field(path, f, -1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(cg::write_field(path, f, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(cg::write_field(path, f, 1.0, 1.0, "a/b"), std::invalid_argument);
  const cg::Field<float> slab{cg::Decomposition(4, 0, 2)};
  EXPECT_THROW(cg::write_field(path, slab, 1.0, 1.0), std::invalid_argument);
  fs::remove_all(dir);
}

TEST(FieldIo, UnwritableDirectoryThrowsNamingThePath) {
  const fs::path dir = fresh_dir("field_io_unwritable");
  std::ofstream((dir / "blocker").string()) << "x";
  try {
    cg::write_field((dir / "blocker" / "delta.h5").string(), make_field<float>(4), 1.0, 1.0);
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("blocker"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(FieldIo, LinearFieldWrongShapeNamesShapes) {
  const fs::path dir = fresh_dir("field_io_shape");
  const std::string path = (dir / "ic.h5").string();
  write_raw(path, "delta", {32, 32, 16}, {{"box_size", 100.0}, {"redshift", 99.0}});
  const std::string what = error_of(path, 32);
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find("delta has shape (32,32,16) but particles = 32 needs (32,32,32)"),
            std::string::npos)
      << what;
  write_raw(path, "delta", {16, 256}, {{"box_size", 100.0}, {"redshift", 99.0}});
  EXPECT_NE(error_of(path, 16).find("delta has shape (16,256) but particles = 16 needs (16,16,16)"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(FieldIo, LinearFieldMissingAttributeAndDataset) {
  const fs::path dir = fresh_dir("field_io_attr");
  const std::string path = (dir / "ic.h5").string();
  write_raw(path, "delta", {4, 4, 4}, {{"box_size", 100.0}});
  std::string what = error_of(path, 4);
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find("missing attribute redshift"), std::string::npos) << what;

  write_raw(path, "density", {4, 4, 4}, {{"box_size", 100.0}, {"redshift", 99.0}});
  what = error_of(path, 4);
  EXPECT_NE(what.find(path + ": missing dataset /delta"), std::string::npos) << what;

  what = error_of((dir / "nope.h5").string(), 4);
  EXPECT_NE(what.find("nope.h5"), std::string::npos) << what;

  write_raw(path, "delta", {4, 4, 4}, {{"box_size", -5.0}, {"redshift", 99.0}});
  EXPECT_NE(error_of(path, 4).find("box_size"), std::string::npos);
  fs::remove_all(dir);
}

TEST(FieldIo, LinearFieldAttributesOnRootAndValuesInCOrder) {
  const fs::path dir = fresh_dir("field_io_root");
  const std::string path = (dir / "ic.h5").string();
  write_raw(path, "delta", {4, 4, 4}, {}, {{"box_size", 64.0}, {"redshift", 127.0}});
  const auto r = cg::read_linear_field<double>(path, 4);
  EXPECT_DOUBLE_EQ(r.box_size, 64.0);
  EXPECT_DOUBLE_EQ(r.redshift, 127.0);
  EXPECT_DOUBLE_EQ(r.field.at(1, 2, 3), static_cast<double>(0.001f * ((1 * 4 + 2) * 4 + 3)));
  fs::remove_all(dir);
}

TEST(FieldIo, LinearFieldNonFiniteValuesAreRejected) {
  const fs::path dir = fresh_dir("field_io_nan");
  const std::string path = (dir / "ic.h5").string();
  write_raw(path, "delta", {4, 4, 4}, {{"box_size", 64.0}, {"redshift", 127.0}}, {},
            std::numeric_limits<float>::quiet_NaN(), (1 * 4 + 2) * 4 + 3);
  const std::string what = error_of(path, 4);
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find("1 non-finite values (first at (1,2,3))"), std::string::npos) << what;
  fs::remove_all(dir);
}
