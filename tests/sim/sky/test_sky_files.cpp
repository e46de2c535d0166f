// FITS files of HEALPix and flat maps (layout, keywords, atomic writes, NESTED and multi-row
// reads, errors) and their pictures.
#include <fitsio.h>
#include <gtest/gtest.h>
#include <healpix_base.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/check.hpp"
#include "sim/io/png.hpp"
#include "sim/sky/flat_fits.hpp"
#include "sim/sky/healpix_fits.hpp"
#include "sim/sky/sky_map.hpp"
#include "sim/sky/sky_png.hpp"
#include "tests/sim/expect_rejected.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace fs = std::filesystem;
using cosmograd::testing::expect_rejected;
using cosmograd::testing::fresh_dir;
using cosmograd::testing::listing;

namespace {

cg::HealpixMap random_healpix(int nside, unsigned seed) {
  cg::HealpixMap m = cg::HealpixMap::filled(nside);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (double& v : m.values) v = g(rng);
  return m;
}

// Reads the keyword `key` of HDU `hdu` (1-based) as a string ("" when absent).
std::string key_of(const std::string& path, int hdu, const char* key) {
  fitsfile* f = nullptr;
  int status = 0;
  fits_open_diskfile(&f, path.c_str(), READONLY, &status);
  int type = 0;
  fits_movabs_hdu(f, hdu, &type, &status);
  char value[FLEN_VALUE] = {0};
  fits_read_keyword(f, key, value, nullptr, &status);
  int s2 = 0;
  fits_close_file(f, &s2);
  if (status != 0) {
    fits_clear_errmsg();
    return "";
  }
  std::string v = value;
  if (!v.empty() && v.front() == '\'') {
    v = v.substr(1, v.rfind('\'') - 1);
    while (!v.empty() && v.back() == ' ') v.pop_back();
  }
  return v;
}

// Writes a HEALPix table by hand (tests the reader against other writers' layouts).
void write_table(const std::string& path, int nside, const char* ordering, long repeat,
                 const std::vector<double>& values) {
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_diskfile(&f, path.c_str(), &status);
  fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
  char ttype[] = "TEMPERATURE";
  std::string tf = std::to_string(repeat) + "D";
  char* ttypes[] = {ttype};
  char* tforms[] = {tf.data()};
  const long rows = static_cast<long>(values.size()) / repeat;
  fits_create_tbl(f, BINARY_TBL, rows, 1, ttypes, tforms, nullptr, nullptr, &status);
  char pix[] = "HEALPIX";
  fits_write_key(f, TSTRING, "PIXTYPE", pix, nullptr, &status);
  fits_write_key(f, TSTRING, "ORDERING", const_cast<char*>(ordering), nullptr, &status);
  fits_write_key(f, TINT, "NSIDE", &nside, nullptr, &status);
  fits_write_col(f, TDOUBLE, 1, 1, 1, static_cast<LONGLONG>(values.size()),
                 const_cast<double*>(values.data()), &status);
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0);
}

}  // namespace

TEST(HealpixFits, RoundTripWithHealpyLayoutAndKeywords) {
  const fs::path dir = fresh_dir("sky_hpx_rt");
  const std::string path = (dir / "kappa.fits").string();
  const cg::HealpixMap m = random_healpix(8, 1);
  cg::HealpixFitsOptions o;
  o.column = "KAPPA";
  o.coordsys = "G";
  o.unit = "1";
  o.keywords = {{"ZSOURCE", 1.25, "source redshift"}, {"NSHELLS", 40, ""}};
  o.string_keywords = {{"CREATOR", "cosmograd", "program"}};
  cg::write_healpix_fits(path, m, o);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"kappa.fits"}));  // no temporary left

  cg::HealpixFitsInfo info;
  const cg::HealpixMap r = cg::read_healpix_fits(path, &info);
  ASSERT_EQ(r.nside, 8);
  EXPECT_EQ(r.values, m.values);  // bit-exact in double
  EXPECT_EQ(info.column, "KAPPA");
  EXPECT_EQ(info.ordering, "RING");
  EXPECT_EQ(info.coordsys, "G");
  EXPECT_TRUE(cg::is_healpix_fits(path));

  EXPECT_EQ(key_of(path, 1, "NAXIS"), "0");  // empty primary HDU
  EXPECT_EQ(key_of(path, 2, "XTENSION"), "BINTABLE");
  EXPECT_EQ(key_of(path, 2, "TTYPE1"), "KAPPA");
  EXPECT_EQ(key_of(path, 2, "TFORM1"), "D");
  EXPECT_EQ(key_of(path, 2, "PIXTYPE"), "HEALPIX");
  EXPECT_EQ(key_of(path, 2, "ORDERING"), "RING");
  EXPECT_EQ(key_of(path, 2, "NSIDE"), "8");
  EXPECT_EQ(key_of(path, 2, "FIRSTPIX"), "0");
  EXPECT_EQ(key_of(path, 2, "LASTPIX"), "767");
  EXPECT_EQ(key_of(path, 2, "INDXSCHM"), "IMPLICIT");
  EXPECT_EQ(key_of(path, 2, "OBJECT"), "FULLSKY");
  EXPECT_EQ(key_of(path, 2, "COORDSYS"), "G");
  EXPECT_EQ(key_of(path, 2, "BUNIT"), "1");
  EXPECT_EQ(key_of(path, 2, "NSHELLS"), "40");
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 2, "ZSOURCE")), 1.25);
  EXPECT_EQ(key_of(path, 2, "CREATOR"), "cosmograd");
}

TEST(HealpixFits, SinglePrecisionColumn) {
  const fs::path dir = fresh_dir("sky_hpx_e");
  const std::string path = (dir / "m.fits").string();
  const cg::HealpixMap m = random_healpix(4, 2);
  cg::HealpixFitsOptions o;
  o.single_precision = true;
  cg::write_healpix_fits(path, m, o);
  EXPECT_EQ(key_of(path, 2, "TFORM1"), "E");
  const cg::HealpixMap r = cg::read_healpix_fits(path);
  for (std::size_t p = 0; p < m.values.size(); ++p) {
    EXPECT_EQ(r.values[p], static_cast<double>(static_cast<float>(m.values[p])));
  }
}

TEST(HealpixFits, ReadsNestedAndConvertsToRing) {
  const fs::path dir = fresh_dir("sky_hpx_nest");
  const std::string path = (dir / "nest.fits").string();
  const int nside = 16;
  std::vector<double> nest(12 * nside * nside);
  for (std::size_t p = 0; p < nest.size(); ++p) nest[p] = static_cast<double>(p);  // = nest index
  write_table(path, nside, "NESTED", 1, nest);
  cg::HealpixFitsInfo info;
  const cg::HealpixMap r = cg::read_healpix_fits(path, &info);
  EXPECT_EQ(info.ordering, "NESTED");
  EXPECT_EQ(info.column, "TEMPERATURE");
  const T_Healpix_Base<int64_t> base(nside, RING, SET_NSIDE);
  for (int64_t p = 0; p < static_cast<int64_t>(r.values.size()); ++p) {
    ASSERT_EQ(r.values[p], static_cast<double>(base.ring2nest(p))) << "ring pixel " << p;
  }
}

TEST(HealpixFits, ReadsHealpyMultiRowLayout) {
  const fs::path dir = fresh_dir("sky_hpx_rows");
  const std::string path = (dir / "rows.fits").string();
  const cg::HealpixMap m = random_healpix(16, 3);  // 3072 pixels = 3 rows of 1024
  write_table(path, 16, "RING", 1024, m.values);
  EXPECT_EQ(key_of(path, 2, "TFORM1"), "1024D");
  const cg::HealpixMap r = cg::read_healpix_fits(path);
  EXPECT_EQ(r.nside, 16);
  EXPECT_EQ(r.values, m.values);
}

TEST(HealpixFits, BadInputsGiveClearErrors) {
  const fs::path dir = fresh_dir("sky_hpx_bad");
  const std::string path = (dir / "m.fits").string();
  cg::HealpixMap m = random_healpix(4, 4);
  m.nside = 3;
  try {
    cg::write_healpix_fits(path, m);
    FAIL() << "nside 3 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("nside = 3"), std::string::npos) << e.what();
  }
  m.nside = 4;
  cg::HealpixFitsOptions o;
  o.keywords = {{"NSIDE", 1, ""}};
  EXPECT_THROW(cg::write_healpix_fits(path, m, o), std::invalid_argument);  // reserved
  o.keywords = {{"lower", 1, ""}};
  EXPECT_THROW(cg::write_healpix_fits(path, m, o), std::invalid_argument);
  EXPECT_TRUE(listing(dir).empty());

  try {
    cg::read_healpix_fits((dir / "missing.fits").string());
    FAIL() << "missing file read";
  } catch (const cg::CallError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.fits"), std::string::npos) << e.what();
  }
  // A flat image is not a HEALPix map.
  const std::string flat = (dir / "flat.fits").string();
  cg::write_flat_fits(flat, cg::FlatMap::filled(8, 1.0, 0.5));
  EXPECT_FALSE(cg::is_healpix_fits(flat));
  try {
    cg::read_healpix_fits(flat);
    FAIL() << "image read as HEALPix";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a HEALPix map"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flat.fits"), std::string::npos) << e.what();
  }
  // Wrong pixel count.
  const std::string odd = (dir / "odd.fits").string();
  write_table(odd, 4, "RING", 1, std::vector<double>(100, 0.0));
  EXPECT_THROW(cg::read_healpix_fits(odd), std::runtime_error);
}

TEST(HealpixFits, FailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  const fs::path dir = fresh_dir("sky_hpx_atomic");
  const std::string path = (dir / "m.fits").string();
  const cg::HealpixMap good = random_healpix(4, 5);
  cg::write_healpix_fits(path, good);
  cg::HealpixMap bad = good;
  bad.values[7] = 1e300;  // does not fit a float column
  cg::HealpixFitsOptions o;
  o.single_precision = true;
  try {
    cg::write_healpix_fits(path, bad, o);
    FAIL() << "1e300 written as float";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("pixel 7"), std::string::npos) << e.what();
  }
  o.string_keywords = {{"NOTE", std::string(80, 'x'), ""}};  // too long for a card
  EXPECT_THROW(cg::write_healpix_fits(path, good, o), std::invalid_argument);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"m.fits"}));
  EXPECT_EQ(cg::read_healpix_fits(path).values, good.values);
}

TEST(FlatFits, RoundTripWithTanWcs) {
  const fs::path dir = fresh_dir("sky_flat_rt");
  const std::string path = (dir / "kappa_flat.fits").string();
  cg::FlatMap m = cg::FlatMap::filled(16, 4.0);
  for (std::size_t p = 0; p < m.values.size(); ++p) m.values[p] = 0.001 * p - 0.1;
  cg::FlatFitsOptions o;
  o.ra_deg = 150.0;
  o.dec_deg = 2.5;
  o.keywords = {{"ZSOURCE", 1.0, "source redshift"}};
  cg::write_flat_fits(path, m, o);
  EXPECT_EQ(listing(dir), (std::set<std::string>{"kappa_flat.fits"}));
  cg::FlatFitsInfo info;
  const cg::FlatMap r = cg::read_flat_fits(path, &info);
  EXPECT_EQ(r.n, 16);
  EXPECT_DOUBLE_EQ(r.field_deg, 4.0);
  EXPECT_EQ(r.values, m.values);
  EXPECT_DOUBLE_EQ(info.ra_deg, 150.0);
  EXPECT_DOUBLE_EQ(info.dec_deg, 2.5);
  EXPECT_EQ(key_of(path, 1, "BITPIX"), "-64");
  EXPECT_EQ(key_of(path, 1, "CTYPE1"), "RA---TAN");
  EXPECT_EQ(key_of(path, 1, "CTYPE2"), "DEC--TAN");
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 1, "CRPIX1")), 8.5);
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 1, "CRPIX2")), 8.5);
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 1, "CDELT1")), -0.25);
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 1, "CDELT2")), 0.25);
  EXPECT_EQ(key_of(path, 1, "CUNIT1"), "deg");
  EXPECT_DOUBLE_EQ(std::stod(key_of(path, 1, "ZSOURCE")), 1.0);
  EXPECT_FALSE(cg::is_healpix_fits(path));

  // Values sit at FITS pixel (ix + 1, iy + 1): read one pixel with cfitsio.
  fitsfile* f = nullptr;
  int status = 0;
  fits_open_diskfile(&f, path.c_str(), READONLY, &status);
  long first[2] = {4, 3};  // ix = 3, iy = 2
  double v = 0;
  int anynul = 0;
  fits_read_pix(f, TDOUBLE, first, 1, nullptr, &v, &anynul, &status);
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(v, m.values[2 * 16 + 3]);
}

TEST(FlatFits, BadInputsGiveClearErrors) {
  const fs::path dir = fresh_dir("sky_flat_bad");
  const std::string path = (dir / "m.fits").string();
  try {
    cg::write_flat_fits(path, cg::FlatMap::filled(8, -1.0));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("field_deg"), std::string::npos) << e.what();
  }
  cg::FlatMap m = cg::FlatMap::filled(8, 1.0);
  m.values.pop_back();
  EXPECT_THROW(cg::write_flat_fits(path, m), std::invalid_argument);
  cg::FlatFitsOptions o;
  o.dec_deg = 95;
  EXPECT_THROW(cg::write_flat_fits(path, cg::FlatMap::filled(8, 1.0), o), std::invalid_argument);
  EXPECT_TRUE(listing(dir).empty());
  // A HEALPix file is not an image.
  const std::string hpx = (dir / "h.fits").string();
  cg::write_healpix_fits(hpx, cg::HealpixMap::filled(1, 1.0));
  try {
    cg::read_flat_fits(hpx);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("NAXIS = 0"), std::string::npos) << e.what();
  }
}

TEST(SkyPng, MollweideSizeBackgroundAndOrientation) {
  // Value 1 in the eastern hemisphere (0 < phi < pi), 0 in the western one, NaN at the poles.
  const int nside = 16;
  cg::HealpixMap m = cg::HealpixMap::filled(nside);
  const T_Healpix_Base<int64_t> base(nside, RING, SET_NSIDE);
  for (int64_t p = 0; p < base.Npix(); ++p) {
    const pointing a = base.pix2ang(p);
    m.values[p] = a.phi < M_PI ? 1.0 : 0.0;
    if (a.theta < 0.1) m.values[p] = NAN;
  }
  const cg::Image img = cg::mollweide_image(m, 200, cg::ColorScale::linear(0.0, 1.0));
  EXPECT_EQ(img.width, 200);
  EXPECT_EQ(img.height, 100);
  const cg::RGB white{255, 255, 255};
  EXPECT_EQ(img.get(0, 0), white);
  EXPECT_EQ(img.get(199, 0), white);
  EXPECT_EQ(img.get(0, 99), white);
  EXPECT_EQ(img.get(199, 99), white);
  EXPECT_EQ(img.get(50, 50), cg::colormap_viridis(1.0));   // longitude +90 deg on the left
  EXPECT_EQ(img.get(150, 50), cg::colormap_viridis(0.0));  // longitude -90 deg on the right
  EXPECT_EQ(img.get(100, 0), cg::kNoDataColor);            // north pole region: no data
  EXPECT_EQ(cg::read_png([&] {
              const fs::path dir = fresh_dir("sky_png");
              const std::string p = (dir / "moll.png").string();
              cg::write_png(p, img);
              return p;
            }())
                .rgb,
            img.rgb);
  EXPECT_THROW(cg::mollweide_image(m, 2), std::invalid_argument);
}

TEST(SkyPng, FlatImageHasRowZeroAtTheBottom) {
  cg::FlatMap m = cg::FlatMap::filled(4, 1.0);
  for (int ix = 0; ix < 4; ++ix) m.values[ix] = 1.0;  // iy = 0
  m.values[3 * 4 + 0] = 0.5;                          // ix = 0, iy = 3: top left
  const cg::Image img = cg::flat_image(m, 3, cg::ColorScale::linear(0.0, 1.0));
  EXPECT_EQ(img.width, 12);
  EXPECT_EQ(img.height, 12);
  EXPECT_EQ(img.get(0, 11), cg::colormap_viridis(1.0));
  EXPECT_EQ(img.get(11, 9), cg::colormap_viridis(1.0));
  EXPECT_EQ(img.get(0, 0), cg::colormap_viridis(0.5));
  EXPECT_EQ(img.get(11, 0), cg::colormap_viridis(0.0));
  // Automatic scale: 1st..99th percentiles of the values.
  const std::vector<double> r = cg::color_range(m.values, cg::ColorScale{});
  EXPECT_EQ(r[0], 0.0);
  EXPECT_EQ(r[1], 1.0);
  EXPECT_THROW(cg::flat_image(m, 0), std::invalid_argument);
  EXPECT_THROW(cg::color_range(m.values, cg::ColorScale::linear(1.0, 0.0)), std::invalid_argument);
}

TEST(SkyPng, ViridisIsDarkToLight) {
  const cg::RGB a = cg::colormap_viridis(0.0), b = cg::colormap_viridis(1.0);
  EXPECT_EQ(a, (cg::RGB{0x44, 0x01, 0x54}));
  EXPECT_EQ(b, (cg::RGB{0xFD, 0xE7, 0x25}));
  EXPECT_EQ(cg::colormap_viridis(NAN), a);
  int prev = -1;
  for (int i = 0; i <= 20; ++i) {
    const cg::RGB c = cg::colormap_viridis(i / 20.0);
    const int y = 2126 * c.r + 7152 * c.g + 722 * c.b;  // rough luminance: increasing
    EXPECT_GT(y, prev);
    prev = y;
  }
}

namespace {

/// A FITS header of `cards` ("KEY     = value", padded to 80) ending in END, padded to 2880.
std::string fits_header(const std::vector<std::string>& cards) {
  std::string text;
  for (std::string c : cards) {
    c.resize(80, ' ');
    text += c;
  }
  std::string end = "END";
  end.resize(80, ' ');
  text += end;
  text.resize((text.size() + 2879) / 2880 * 2880, ' ');
  return text;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace

// Hostile headers (issue 28, tests/fuzz/README.md): sizes the file does not hold are
// rejected before anything is allocated for them.
TEST(FlatFits, HostileImageSizeIsRejectedBeforeAllocating) {
  const fs::path dir = fresh_dir("sky_flat_hostile");
  const std::string path = (dir / "m.fits").string();
  // 2^20 x 2^20 doubles (8 TB) declared in a 2880-byte file.
  write_bytes(path, fits_header({"SIMPLE  =                    T", "BITPIX  =                  -64",
                                 "NAXIS   =                    2", "NAXIS1  =              1048576",
                                 "NAXIS2  =              1048576", "CDELT1  =                -0.01",
                                 "CDELT2  =                 0.01"}));
  expect_rejected([&] { cg::read_flat_fits(path); }, {path, "NAXIS1 = 1048576", "allowed"});
  // 4096 x 4096 doubles declared, none stored.
  write_bytes(path, fits_header({"SIMPLE  =                    T", "BITPIX  =                  -64",
                                 "NAXIS   =                    2", "NAXIS1  =                 4096",
                                 "NAXIS2  =                 4096", "CDELT1  =                -0.01",
                                 "CDELT2  =                 0.01"}));
  expect_rejected([&] { cg::read_flat_fits(path); },
                  {path, "NAXIS1 x NAXIS2 = 16777216", "holds 0 bytes"});
  fs::remove_all(dir);
}

TEST(HealpixFits, HostileTableSizeIsRejectedBeforeAllocating) {
  const fs::path dir = fresh_dir("sky_healpix_hostile");
  const std::string path = (dir / "h.fits").string();
  const std::string primary =
      fits_header({"SIMPLE  =                    T", "BITPIX  =                    8",
                   "NAXIS   =                    0", "EXTEND  =                    T"});
  auto table = [&](const std::string& naxis1, const std::string& naxis2, const std::string& form) {
    return primary +
           fits_header({"XTENSION= 'BINTABLE'", "BITPIX  =                    8",
                        "NAXIS   =                    2", "NAXIS1  = " + naxis1,
                        "NAXIS2  = " + naxis2, "PCOUNT  =                    0",
                        "GCOUNT  =                    1", "TFIELDS =                    1",
                        "TFORM1  = '" + form + "'", "PIXTYPE = 'HEALPIX'", "ORDERING= 'RING'"});
  };
  // rows x repeat = 2^40 x 2^40 overflows 64 bits (undefined behaviour before the check).
  write_bytes(path, table("8796093022208", "1099511627776", "1099511627776D"));
  expect_rejected([&] { cg::read_healpix_fits(path); }, {path, "1099511627776 rows", "allowed"});
  // nside 8192 (805306368 pixels, 6 GB) declared, no data stored.
  write_bytes(path, table("8", "805306368", "1D"));
  expect_rejected([&] { cg::read_healpix_fits(path); },
                  {path, "NAXIS2 (rows) = 805306368", "holds 0 bytes"});
  fs::remove_all(dir);
}
