// Column tables: validation, and exact round trips through the HDF5 and FITS files.
//
// With COSMOGRAD_TABLE_TEST_OUT=<dir> set, SampleFilesForAstropy also leaves sample.fits,
// sample.h5 and sample_spec.json there for tests/surveys/check_tables_astropy.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/check.hpp"
#include "surveys/mocks/table.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace fs = std::filesystem;
using cosmograd::sim::CallError;
using namespace cosmograd::surveys;

namespace {

// A table with every column type and awkward values (NaN, infinities, -0, extremes, empty and
// long strings, long metadata names and values).
Table sample_table(std::size_t rows) {
  Table t;
  t.name = "galaxies";
  t.description = "Mock galaxies from an HOD; positions in redshift space";
  std::vector<double> ra(rows), z(rows);
  std::vector<float> mag(rows);
  std::vector<std::int64_t> id(rows);
  std::vector<std::int32_t> nsat(rows);
  std::vector<bool> central(rows);
  std::vector<std::string> name(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    ra[i] = std::fmod(0.137 * static_cast<double>(i) * 3.3, 360.0);
    z[i] = 1.0 / 3.0 + 1e-9 * static_cast<double>(i);
    mag[i] = 24.0f - 0.001f * static_cast<float>(i % 5000);
    id[i] = static_cast<std::int64_t>(i) * 1000003LL - 7;
    nsat[i] = static_cast<std::int32_t>(i % 17) - 3;
    central[i] = (i % 3) != 0;
    name[i] = std::string(i % 7, 'a' + static_cast<char>(i % 26)) + (i % 2 ? " x" : "");
  }
  if (rows >= 4) {
    ra[0] = std::numeric_limits<double>::quiet_NaN();
    ra[1] = -0.0;
    z[2] = std::numeric_limits<double>::infinity();
    z[3] = std::numeric_limits<double>::denorm_min();
    mag[0] = std::numeric_limits<float>::quiet_NaN();
    id[1] = std::numeric_limits<std::int64_t>::min();
    id[2] = std::numeric_limits<std::int64_t>::max();
    nsat[3] = std::numeric_limits<std::int32_t>::min();
    name[2] = "  leading spaces & a quote ' kept";
    name[3] = "";
  }
  t.add("ra", "deg", "Right ascension (ICRS)", ra)
      .add("redshift", "", "Observed redshift including peculiar velocity", z)
      .add("mag_r", "mag", "Apparent AB magnitude in the r band", mag)
      .add("halo_id", "", "", id)
      .add("n_sat", "", "Satellites of the host halo", nsat)
      .add("is_central", "", "Whether the galaxy is its halo's central", central)
      .add("label", "", "A free-text label", name)
      .add("M200", "solMass/h", std::string(150, 'm') + " long description", ra);
  t.numeric_meta = {{"BoxSize", 1000.0},
                    {"Redshift", 0.1234567890123456789},
                    {"Seed", 42},
                    {"NumberDensity_per_Mpc3", -3.25e-123},
                    {"BigInteger", 9007199254740991.0}};
  t.string_meta = {
      {"HodModel", "zheng07"}, {"Provenance", std::string(200, 'h') + " it's long"}, {"Empty", ""}};
  return t;
}

// Every column type with no rows.
Table empty_table() {
  Table t;
  t.name = "EMPTY_1";
  t.add("a", "Mpc/h", "x", std::vector<double>{})
      .add("b", "km/s", "", std::vector<float>{})
      .add("c", "", "", std::vector<std::int64_t>{})
      .add("d", "", "", std::vector<std::int32_t>{})
      .add("e", "", "", std::vector<bool>{})
      .add("f", "", "", std::vector<std::string>{});
  return t;
}

// Bitwise equality of two columns' values (NaN and -0 included).
bool same_values(const ColumnValues& a, const ColumnValues& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& va) {
        using V = std::decay_t<decltype(va)>;
        const V& vb = std::get<V>(b);
        if constexpr (std::is_floating_point_v<typename V::value_type>) {
          return va.size() == vb.size() &&
                 (va.empty() || std::memcmp(va.data(), vb.data(), va.size() * sizeof(va[0])) == 0);
        } else {
          return va == vb;
        }
      },
      a);
}

void expect_same(const std::vector<Table>& a, const std::vector<Table>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("table " + a[i].name);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].description, b[i].description);
    EXPECT_EQ(a[i].numeric_meta, b[i].numeric_meta);
    EXPECT_EQ(a[i].string_meta, b[i].string_meta);
    ASSERT_EQ(a[i].columns.size(), b[i].columns.size());
    for (std::size_t j = 0; j < a[i].columns.size(); ++j) {
      const Column& ca = a[i].columns[j];
      const Column& cb = b[i].columns[j];
      SCOPED_TRACE("column " + ca.name);
      EXPECT_EQ(ca.name, cb.name);
      EXPECT_EQ(ca.unit, cb.unit);
      EXPECT_EQ(ca.description, cb.description);
      EXPECT_EQ(ca.type_name(), cb.type_name());
      EXPECT_TRUE(same_values(ca.values, cb.values));
    }
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using cosmograd::testing::expect_throw;

/// A fresh scratch directory per test (tests/sim/temp_files.hpp), removed afterwards.
class TableFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = cosmograd::testing::fresh_dir(
        "table_" + std::to_string(::getpid()) + "_" +
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

}  // namespace

TEST(Table, AccessorsAndTypes) {
  const Table t = sample_table(10);
  EXPECT_NO_THROW(t.validate());
  EXPECT_EQ(t.rows(), 10u);
  EXPECT_EQ(t.column("mag_r").type_name(), "float32");
  EXPECT_EQ(t.column("is_central").as<bool>().size(), 10u);
  expect_throw<std::invalid_argument>([&] { t.column("dec"); },
                                      {"galaxies", "'dec'", "ra, redshift"});
  expect_throw<std::invalid_argument>([&] { t.column("ra").as<float>(); },
                                      {"'ra'", "float64", "float32"});
  EXPECT_EQ(Table{}.rows(), 0u);
}

TEST(Table, InvalidTablesNameTheProblem) {
  auto bad = [](auto edit, const std::vector<std::string>& parts) {
    Table t = sample_table(5);
    edit(t);
    expect_throw<std::invalid_argument>([&] { t.validate(); }, parts);
  };
  bad([](Table& t) { t.add("dec", "deg", "", std::vector<double>(4)); },
      {"table 'galaxies'", "column 'dec'", "4 values", "5"});
  bad([](Table& t) { t.add("RA", "deg", "", std::vector<double>(5)); }, {"'RA'", "duplicate"});
  bad([](Table& t) { t.columns[1].name = "red shift"; }, {"'red shift'", "bad name"});
  bad([](Table& t) { t.columns[1].name = ""; }, {"bad name"});
  bad([](Table& t) { t.columns[1].name = std::string(69, 'x'); }, {"bad name"});
  bad([](Table& t) { t.name = "gal-axies"; }, {"'gal-axies'", "bad name"});
  bad([](Table& t) { t.columns[0].unit = "deg'"; }, {"column 'ra'", "bad unit 'deg''"});
  bad([](Table& t) { t.columns[0].unit = "km\ts"; }, {"column 'ra'", "bad unit"});
  bad([](Table& t) { t.columns[0].description = "two\nlines"; }, {"column 'ra'", "description"});
  bad([](Table& t) { t.description = "trailing "; }, {"table 'galaxies'", "description"});
  bad([](Table& t) { std::get<std::vector<std::string>>(t.columns[6].values)[4] = "x "; },
      {"column 'label'", "row 4"});
  bad(
      [](Table& t) {
        t.numeric_meta.push_back({"Omega", std::nan("")});
      },
      {"metadata 'Omega'", "not finite"});
  bad([](Table& t) { t.numeric_meta.push_back({"TTYPE3", 1.0}); }, {"'TTYPE3'", "reserved"});
  bad([](Table& t) { t.string_meta.push_back({"description", "x"}); }, {"reserved"});
  bad([](Table& t) { t.string_meta.push_back({"boxsize", "x"}); }, {"'boxsize'", "duplicate"});
  bad([](Table& t) { t.string_meta.push_back({"1st", "x"}); }, {"'1st'", "bad name"});
  bad(
      [](Table& t) {
        t.string_meta.push_back({"Model", "caf\xc3\xa9"});
      },
      {"'Model'", "printable"});

  std::vector<Table> two{sample_table(2), sample_table(3)};
  two[1].name = "GALAXIES";
  expect_throw<std::invalid_argument>([&] { validate_tables(two); }, {"'GALAXIES'", "duplicate"});
  two[1].name = "primary";
  expect_throw<std::invalid_argument>([&] { validate_tables(two); }, {"reserved"});
}

TEST_F(TableFiles, RoundTripsEveryTypeThroughBothFormats) {
  Table bare;
  bare.name = "no_columns";
  const std::vector<Table> tables{sample_table(257), empty_table(), bare};
  write_tables_hdf5(path("t.h5"), tables);
  write_tables_fits(path("t.fits"), tables);
  const std::vector<Table> h5 = read_tables_hdf5(path("t.h5"));
  const std::vector<Table> fits = read_tables_fits(path("t.fits"));
  {
    SCOPED_TRACE("HDF5");
    expect_same(tables, h5);
  }
  {
    SCOPED_TRACE("FITS");
    expect_same(tables, fits);
  }
  expect_same(h5, fits);
  EXPECT_TRUE(read_tables_hdf5(path("t.h5")).size() == 3);

  // Same input, same bytes (no time stamps in either format).
  write_tables_hdf5(path("u.h5"), tables);
  write_tables_fits(path("u.fits"), tables);
  EXPECT_EQ(slurp(path("t.h5")), slurp(path("u.h5")));
  EXPECT_EQ(slurp(path("t.fits")), slurp(path("u.fits")));
}

TEST_F(TableFiles, LargeTableRoundTripsAndCompresses) {
  Table big = sample_table(100000);
  big.add("constant", "d", "Compresses well", std::vector<double>(100000, 59000.5));
  write_tables_hdf5(path("big.h5"), {big});
  write_tables_fits(path("big.fits"), {big});
  const std::vector<Table> h5 = read_tables_hdf5(path("big.h5"));
  expect_same({big}, h5);
  expect_same({big}, read_tables_fits(path("big.fits")));
  // Chunked gzip: the HDF5 file is well below the raw size of the values.
  EXPECT_LT(fs::file_size(path("big.h5")), fs::file_size(path("big.fits")) * 3 / 4);
}

TEST_F(TableFiles, UnwritableDirectoryThrowsAndLeavesNoTemporary) {
  std::ofstream(path("blocker")) << "a file where a directory should be";
  for (const bool fits : {false, true}) {
    const std::string target = path("blocker/sub/t") + (fits ? ".fits" : ".h5");
    expect_throw<CallError>(
        [&] {
          fits ? write_tables_fits(target, {sample_table(3)})
               : write_tables_hdf5(target, {sample_table(3)});
        },
        {"cannot write " + target, path("blocker")});
  }
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // only the blocker
}

TEST_F(TableFiles, FailedWriteLeavesTheOldFile) {
  const std::vector<Table> good{sample_table(20)};
  Table broken = sample_table(20);
  broken.columns[2].values = std::vector<float>(19);
  for (const std::string name : {"keep.h5", "keep.fits"}) {
    const bool fits = name.size() > 5 && name.substr(name.size() - 5) == ".fits";
    auto write = [&](const std::vector<Table>& t) {
      fits ? write_tables_fits(path(name), t) : write_tables_hdf5(path(name), t);
    };
    write(good);
    const std::string before = slurp(path(name));
    expect_throw<std::invalid_argument>([&] { write({broken}); }, {"mag_r", "19 values"});
    EXPECT_EQ(slurp(path(name)), before);
    write({empty_table()});  // a successful write replaces it
    EXPECT_NE(slurp(path(name)), before);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

TEST_F(TableFiles, BadFilesGiveClearErrors) {
  const std::vector<Table> tables{sample_table(3000), empty_table()};
  write_tables_hdf5(path("t.h5"), tables);
  write_tables_fits(path("t.fits"), tables);
  std::ofstream(path("text.txt")) << "ra dec\n1 2\n";

  expect_throw<std::runtime_error>([&] { read_tables_hdf5(path("missing.h5")); },
                                   {path("missing.h5"), "does it exist"});
  expect_throw<std::runtime_error>([&] { read_tables_fits(path("missing.fits")); },
                                   {path("missing.fits"), "does it exist"});
  expect_throw<std::runtime_error>([&] { read_tables_hdf5(path("text.txt")); },
                                   {path("text.txt"), "not an HDF5 file"});
  expect_throw<std::runtime_error>([&] { read_tables_fits(path("text.txt")); },
                                   {path("text.txt"), "not a FITS file"});
  expect_throw<std::runtime_error>([&] { read_tables_fits(path("t.h5")); },
                                   {path("t.h5"), "not a FITS file"});
  expect_throw<std::runtime_error>([&] { read_tables_hdf5(path("t.fits")); },
                                   {path("t.fits"), "not an HDF5 file"});

  for (const std::string name : {"t.h5", "t.fits"}) {
    const std::string bytes = slurp(path(name));
    for (const std::size_t keep :
         {std::size_t{0}, std::size_t{100}, std::size_t{2880}, std::size_t{5760}, bytes.size() / 3,
          bytes.size() / 2, bytes.size() - 2880, bytes.size() - 1}) {
      const std::string cut = path("cut_" + std::to_string(keep) + "_" + name);
      std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
      SCOPED_TRACE(cut);
      expect_throw<std::runtime_error>(
          [&] { name == "t.h5" ? read_tables_hdf5(cut) : read_tables_fits(cut); }, {cut});
    }
  }
}

TEST_F(TableFiles, SampleFilesForAstropy) {
  const char* env = std::getenv("COSMOGRAD_TABLE_TEST_OUT");
  const std::string out = env != nullptr ? env : dir_.string();
  const std::vector<Table> tables{sample_table(1000), empty_table()};
  write_tables_fits(out + "/sample.fits", tables);
  write_tables_hdf5(out + "/sample.h5", tables);
  std::ostringstream spec;
  spec << "{\"tables\": {";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    spec << (i ? ", " : "") << "\"" << tables[i].name << "\": {\"rows\": " << tables[i].rows()
         << ", \"meta\": [";
    for (std::size_t k = 0; k < tables[i].numeric_meta.size(); ++k)
      spec << (k ? ", " : "") << "\"" << tables[i].numeric_meta[k].first << "\"";
    spec << "], \"columns\": {";
    for (std::size_t j = 0; j < tables[i].columns.size(); ++j) {
      const Column& c = tables[i].columns[j];
      spec << (j ? ", " : "") << "\"" << c.name << "\": {\"unit\": \"" << c.unit
           << "\", \"dtype\": \"" << (c.type_name() == "string" ? "str" : c.type_name()) << "\"}";
    }
    spec << "}}";
  }
  spec << "}}\n";
  std::ofstream(out + "/sample_spec.json") << spec.str();
  EXPECT_EQ(read_tables_fits(out + "/sample.fits").size(), 2u);
}
