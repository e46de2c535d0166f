// SExtractor as the detector's baseline (see sextractor.hpp).
#include "surveys/vision/sextractor.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/images/image_fits.hpp"

namespace cosmograd::surveys {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

/// A fresh directory under the system's temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "cg_sex_XXXXXX").string();
    if (mkdtemp(t.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory " + t);
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Single quotes for the shell.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void SextractorSettings::validate() const {
  sim::require(sim::positive(detect_thresh), "detect_thresh", detect_thresh, "> 0 [sigma]");
  sim::require(detect_minarea >= 1, "detect_minarea", detect_minarea, ">= 1 [pixels]");
  sim::require(sim::positive(filter_fwhm), "filter_fwhm", filter_fwhm, "> 0 [pixels]");
  sim::require(filter_size >= 1 && filter_size <= 31 && filter_size % 2 == 1, "filter_size",
               filter_size, "odd, in [1, 31]");
  sim::require(deblend_nthresh >= 1 && deblend_nthresh <= 64, "deblend_nthresh", deblend_nthresh,
               "in [1, 64]");
  sim::require(deblend_mincont >= 0 && deblend_mincont <= 1, "deblend_mincont", deblend_mincont,
               "in [0, 1]");
  sim::require(std::isfinite(back_value), "back_value", back_value, "finite");
  sim::require(back_size >= 8, "back_size", back_size, ">= 8 [pixels]");
  sim::require(gain >= 0 && std::isfinite(gain), "gain", gain, ">= 0");
  sim::require(std::isfinite(mag_zeropoint), "mag_zeropoint", mag_zeropoint, "finite");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(sim::positive(seeing_fwhm), "seeing_fwhm", seeing_fwhm, "> 0 [arcsec]");
  if (executable.empty()) throw std::invalid_argument("executable = '': must name a program");
}

std::string SextractorSettings::describe() const {
  std::ostringstream s;
  s << "SExtractor 2.25 (" << executable << "): DETECT_THRESH = ANALYSIS_THRESH " << detect_thresh
    << ", DETECT_MINAREA " << detect_minarea << ", FILTER Y (Gaussian FWHM " << filter_fwhm
    << " px, " << filter_size << "x" << filter_size << ", pixel-integrated, CONV NORM)"
    << ", DEBLEND_NTHRESH " << deblend_nthresh << ", DEBLEND_MINCONT " << deblend_mincont
    << ", CLEAN Y (1.0), BACK_TYPE MANUAL BACK_VALUE " << back_value << " (rms map BACK_SIZE "
    << back_size << ", BACK_FILTERSIZE 3), GAIN " << gain << ", PHOT_AUTOPARAMS 2.5,3.5, "
    << "MAG_ZEROPOINT " << mag_zeropoint << ", PIXEL_SCALE " << pixel_scale << ", SEEING_FWHM "
    << seeing_fwhm << "; x = X_IMAGE - 0.5, y = Y_IMAGE - 0.5";
  return s.str();
}

std::string sextractor_filter(double fwhm, int size) {
  sim::require(sim::positive(fwhm), "filter_fwhm", fwhm, "> 0 [pixels]");
  sim::require(size >= 1 && size % 2 == 1, "filter_size", size, "odd, >= 1");
  const double sigma = fwhm / (2 * std::sqrt(2 * std::log(2.0)));
  const int h = size / 2;
  // The Gaussian's integral over pixel k along one axis (pixel k spans [k - 1/2, k + 1/2]).
  auto cell = [&](int k) {
    const double a = (k - 0.5) / (std::sqrt(2.0) * sigma), b = (k + 0.5) / (std::sqrt(2.0) * sigma);
    return 0.5 * (std::erf(b) - std::erf(a));
  };
  const double peak = cell(0) * cell(0);
  std::ostringstream s;
  s << "CONV NORM\n# " << size << "x" << size
    << " convolution mask of a Gaussian PSF with FWHM = " << fwhm
    << " pixels, pixel-integrated (cosmograd).\n"
    << std::fixed << std::setprecision(6);
  for (int j = -h; j <= h; ++j) {
    for (int i = -h; i <= h; ++i) s << cell(i) * cell(j) / peak << (i < h ? " " : "\n");
  }
  return s.str();
}

std::vector<std::string> sextractor_parameters() {
  return {"X_IMAGE", "Y_IMAGE", "FLUX_AUTO", "FLUX_ISO", "ISOAREA_IMAGE"};
}

std::string sextractor_config(const SextractorSettings& o, const std::string& catalog,
                              const std::string& params, const std::string& filter) {
  o.validate();
  std::ostringstream s;
  s << std::setprecision(10);
  s << "# cosmograd: generated SExtractor configuration (surveys/vision/sextractor.cpp)\n"
    << "CATALOG_NAME     " << catalog << "\n"
    << "CATALOG_TYPE     ASCII_HEAD\n"
    << "PARAMETERS_NAME  " << params << "\n"
    << "DETECT_TYPE      CCD\n"
    << "DETECT_MINAREA   " << o.detect_minarea << "\n"
    << "DETECT_THRESH    " << o.detect_thresh << "\n"
    << "ANALYSIS_THRESH  " << o.detect_thresh << "\n"
    << "THRESH_TYPE      RELATIVE\n"
    << "FILTER           Y\n"
    << "FILTER_NAME      " << filter << "\n"
    << "DEBLEND_NTHRESH  " << o.deblend_nthresh << "\n"
    << "DEBLEND_MINCONT  " << o.deblend_mincont << "\n"
    << "CLEAN            Y\n"
    << "CLEAN_PARAM      1.0\n"
    << "MASK_TYPE        CORRECT\n"
    << "WEIGHT_TYPE      NONE\n"
    << "PHOT_APERTURES   5\n"
    << "PHOT_AUTOPARAMS  2.5, 3.5\n"
    << "PHOT_PETROPARAMS 2.0, 3.5\n"
    << "SATUR_LEVEL      1e20\n"
    << "MAG_ZEROPOINT    " << o.mag_zeropoint << "\n"
    << "GAIN             " << o.gain << "\n"
    << "PIXEL_SCALE      " << o.pixel_scale << "\n"
    << "SEEING_FWHM      " << o.seeing_fwhm << "\n"
    << "BACK_TYPE        MANUAL\n"
    << "BACK_VALUE       " << o.back_value << "\n"
    << "BACK_SIZE        " << o.back_size << "\n"
    << "BACK_FILTERSIZE  3\n"
    << "BACKPHOTO_TYPE   GLOBAL\n"
    << "CHECKIMAGE_TYPE  NONE\n"
    << "MEMORY_OBJSTACK  30000\n"
    << "MEMORY_PIXSTACK  3000000\n"
    << "MEMORY_BUFSIZE   1024\n"
    << "VERBOSE_TYPE     QUIET\n"
    << "WRITE_XML        N\n";
  return s.str();
}

std::vector<SextractorObject> parse_sextractor_catalog(const std::string& text) {
  std::map<std::string, int> column;  // name -> 0-based column
  std::vector<SextractorObject> out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  auto need = [&](const std::string& name) {
    const auto it = column.find(name);
    if (it == column.end())
      throw std::runtime_error("SExtractor catalogue: no column " + name +
                               " in its header (need X_IMAGE, Y_IMAGE, FLUX_AUTO)");
    return it->second;
  };
  while (std::getline(in, line)) {
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      std::istringstream h(line.substr(first + 1));
      int number = 0;
      std::string name;
      if (h >> number >> name && number >= 1) column[name] = number - 1;
      continue;
    }
    std::istringstream row(line);
    std::vector<double> v;
    std::string tok;
    while (row >> tok) {
      char* end = nullptr;
      const double x = std::strtod(tok.c_str(), &end);
      if (end == tok.c_str() || *end != '\0')
        throw std::runtime_error("SExtractor catalogue line " + std::to_string(line_no) + ": '" +
                                 tok + "' is not a number");
      v.push_back(x);
    }
    auto get = [&](int c) {
      if (c >= static_cast<int>(v.size()))
        throw std::runtime_error("SExtractor catalogue line " + std::to_string(line_no) + ": " +
                                 std::to_string(v.size()) + " values, column " +
                                 std::to_string(c + 1) + " expected");
      return v[static_cast<std::size_t>(c)];
    };
    SextractorObject o;
    o.x = get(need("X_IMAGE")) - 0.5;
    o.y = get(need("Y_IMAGE")) - 0.5;
    o.flux_auto = get(need("FLUX_AUTO"));
    const auto iso = column.find("FLUX_ISO");
    o.flux_iso = iso == column.end() ? std::numeric_limits<double>::quiet_NaN() : get(iso->second);
    const auto area = column.find("ISOAREA_IMAGE");
    o.isoarea = area == column.end() ? 0 : static_cast<int64_t>(std::llround(get(area->second)));
    out.push_back(o);
  }
  return out;
}

bool sextractor_available(const std::string& executable) {
  return std::system(("command -v " + quoted(executable) + " >/dev/null 2>&1").c_str()) == 0;
}

std::vector<SextractorObject> run_sextractor(const std::vector<float>& image, int width, int height,
                                             const SextractorSettings& settings) {
  settings.validate();
  if (width < 1 || height < 1 ||
      image.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    throw std::invalid_argument("run_sextractor: " + std::to_string(image.size()) + " values for " +
                                std::to_string(width) + " x " + std::to_string(height) + " pixels");
  if (!sextractor_available(settings.executable))
    throw std::runtime_error("'" + settings.executable +
                             "' not found: install source-extractor (scripts/install-deps.sh)");
  const TempDir dir;
  const std::string fits = dir.path() + "/image.fits", cat = dir.path() + "/image.cat",
                    params = dir.path() + "/cg.param", filter = dir.path() + "/gauss.conv",
                    config = dir.path() + "/cg.sex", log = dir.path() + "/sex.log";
  BandImage band;
  band.band = "detect";
  band.nx = width;
  band.ny = height;
  band.values.assign(image.begin(), image.end());
  TanWcs wcs;
  wcs.pixel_scale_arcsec = settings.pixel_scale;
  write_single_image_fits(fits, band, wcs);
  std::string p;
  for (const std::string& name : sextractor_parameters()) p += name + "\n";
  write_text(params, p);
  write_text(filter, sextractor_filter(settings.filter_fwhm, settings.filter_size));
  write_text(config, sextractor_config(settings, cat, params, filter));
  const std::string cmd = "cd " + quoted(dir.path()) + " && " + quoted(settings.executable) + " " +
                          quoted(fits) + " -c " + quoted(config) + " >" + quoted(log) + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::string out;
    try {
      out = read_text(log);
    } catch (const std::exception&) {
    }
    if (out.size() > 2000) out = out.substr(out.size() - 2000);
    throw std::runtime_error("SExtractor failed (status " + std::to_string(rc) + "): " + cmd +
                             "\n" + out);
  }
  return parse_sextractor_catalog(read_text(cat));
}

std::vector<std::vector<SextractorObject>> run_sextractor_stamps(
    const std::vector<float>& stamps, std::size_t count, int size,
    const SextractorSettings& settings) {
  const std::size_t px = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  if (size < 1 || count < 1 || stamps.size() != count * px)
    throw std::invalid_argument("run_sextractor_stamps: " + std::to_string(stamps.size()) +
                                " values for " + std::to_string(count) + " stamps of " +
                                std::to_string(size) + " x " + std::to_string(size));
  const auto cols = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(count))));
  const std::size_t rows = (count + cols - 1) / cols;
  const int width = static_cast<int>(cols) * size, height = static_cast<int>(rows) * size;
  std::vector<float> mosaic(static_cast<std::size_t>(width) * height, 0.f);
  // Cells after the last stamp repeat the first stamps (their objects are dropped), so that
  // SExtractor's background rms map sees noise there rather than zeros.
  for (std::size_t k = 0; k < cols * rows; ++k) {
    const std::size_t cx = (k % cols) * size, cy = (k / cols) * size, src = k % count;
    for (int iy = 0; iy < size; ++iy)
      std::copy_n(stamps.begin() + static_cast<std::ptrdiff_t>(src * px + iy * size), size,
                  mosaic.begin() + static_cast<std::ptrdiff_t>((cy + iy) * width + cx));
  }
  std::vector<std::vector<SextractorObject>> out(count);
  for (SextractorObject o : run_sextractor(mosaic, width, height, settings)) {
    const double fx = std::floor(o.x / size), fy = std::floor(o.y / size);
    if (fx < 0 || fy < 0 || fx >= static_cast<double>(cols) || fy >= static_cast<double>(rows))
      continue;
    const std::size_t k = static_cast<std::size_t>(fy) * cols + static_cast<std::size_t>(fx);
    if (k >= count) continue;  // the empty cells after the last stamp
    o.x -= fx * size;
    o.y -= fy * size;
    out[k].push_back(o);
  }
  return out;
}

}  // namespace cosmograd::surveys
