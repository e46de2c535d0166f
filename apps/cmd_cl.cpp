// `cosmograd cl MAP.fits [--mask MASK.fits] [--lmax L] [--bins N] --out FILE.txt`: the binned
// angular power spectrum of a HEALPix map (BINTABLE with PIXTYPE = 'HEALPIX') or of a flat
// map (a 2D TAN image).
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/sky/angular_power.hpp"
#include "sim/sky/flat_fits.hpp"
#include "sim/sky/healpix_fits.hpp"

namespace cosmograd::apps {
namespace {

// Checks that --mask names a map of the same kind as the map (HEALPix when `healpix`, else a
// flat image) and notes it in `header`; false when no mask is given.
bool check_mask(const std::string& mask_path, bool healpix, std::vector<std::string>& header) {
  if (mask_path.empty()) {
    header.push_back("no mask");
    return false;
  }
  if (sim::is_healpix_fits(mask_path) != healpix)
    sim::bad_setting("mask", mask_path,
                     healpix ? "is not a HEALPix map (allowed: a HEALPix mask for a HEALPix map)"
                             : "is a HEALPix map (allowed: a flat FITS image for a flat map)");
  header.push_back("mask " + mask_path);
  return true;
}

}  // namespace

int cmd_cl(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"mask", "", "", "mask FITS of the same kind and size, values 0..1 (empty: full map)"},
      {"lmax", "", "auto", "HEALPix: highest multipole, 1 to 3 nside (auto: 2 nside)"},
      {"bins", "", "20", "number of ell bins (empty bins are dropped)"},
      {"binning", "", "linear", "ell bin spacing: linear or log"},
      {"ell_min", "", "2", "HEALPix: lowest multipole binned (0 to lmax)"},
      {"iterations", "", "3", "HEALPix: map2alm iterations, 0 to 10"},
      {"pixwin", "", "false",
       "divide by the pixel window squared (HEALPix: approximate, 2 % to ell = 2 nside; flat: "
       "sinc^2)"},
      {"out", "", "cl.txt", "output table (ell_mean ell_low ell_high cl modes pixwin2)"},
  };
  const ParsedArgs parsed =
      parse_command("cl",
                    "usage: cosmograd cl MAP.fits [--mask MASK.fits] [--lmax L] [--bins N] "
                    "[--key value ...] --out FILE.txt\n"
                    "  MAP.fits: a HEALPix map (healpy layout) or a flat TAN image",
                    keys, args, 1);
  if (parsed.help) return 0;
  if (parsed.positional.size() != 1) {
    throw std::invalid_argument("cosmograd cl: give one MAP.fits (a HEALPix or flat FITS map)");
  }
  const sim::Settings& s = parsed.settings;
  const std::string& path = parsed.positional[0];
  const std::string mask_path = s.get_string("mask");
  const std::string out = s.get_string("out");
  if (out.empty()) sim::bad_setting("out", out, "is empty (allowed: a file name)");

  sim::AngularPowerOptions o;
  const std::string binning = s.get_string("binning");
  if (binning == "linear") {
    o.binning = sim::EllBinning::linear;
  } else if (binning == "log") {
    o.binning = sim::EllBinning::log;
  } else {
    sim::bad_setting("binning", binning, "is not known (allowed: linear, log)");
  }
  o.divide_pixel_window = s.get_bool("pixwin");
  const long long bins = s.get_int("bins");
  if (bins < 1 || bins > 100000)
    sim::bad_setting("bins", s.get_string("bins"), "is out of range (allowed: 1 to 100000)");

  const long long threads = s.get_int("threads");
  if (threads < 0)
    sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  sim::use_threads(static_cast<int>(threads));  // healpix_cxx's transforms use OpenMP

  std::vector<std::string> header = {"cosmograd cl of " + path};
  sim::AngularPower p;
  if (sim::is_healpix_fits(path)) {
    sim::HealpixFitsInfo info;
    const sim::HealpixMap map = sim::read_healpix_fits(path, &info);
    header.push_back("column " + (info.column.empty() ? std::string("1") : info.column) +
                     ", ordering " + info.ordering + " (read as RING)" +
                     (info.coordsys.empty() ? "" : ", coordsys " + info.coordsys));
    long long lmax = 2LL * map.nside;
    if (s.get_string("lmax") != "auto") {
      lmax = s.get_int("lmax");
      if (lmax < 1 || lmax > 3LL * map.nside)
        sim::bad_setting("lmax", s.get_string("lmax"),
                         "is out of range (allowed: 1 to 3 nside = " +
                             std::to_string(3 * map.nside) + ", or auto)");
    }
    const long long ell_min = s.get_int("ell_min");
    if (ell_min < 0 || ell_min > lmax || (ell_min < 1 && o.binning == sim::EllBinning::log))
      sim::bad_setting("ell_min", s.get_string("ell_min"),
                       "is out of range (allowed: 0 to lmax = " + std::to_string(lmax) +
                           "; at least 1 for log bins)");
    o.ell_min = static_cast<int>(ell_min);
    if (bins > lmax + 1 - ell_min)
      sim::bad_setting("bins", s.get_string("bins"),
                       "is out of range (allowed: 1 to lmax + 1 - ell_min = " +
                           std::to_string(lmax + 1 - ell_min) + ")");
    const long long iterations = s.get_int("iterations");
    if (iterations < 0 || iterations > 10)
      sim::bad_setting("iterations", s.get_string("iterations"),
                       "is out of range (allowed: 0 to 10)");
    o.iterations = static_cast<int>(iterations);
    sim::HealpixMap mask;
    const bool masked = check_mask(mask_path, true, header);
    if (masked) {
      mask = sim::read_healpix_fits(mask_path);
      if (mask.nside != map.nside)
        sim::bad_setting("mask", mask_path,
                         "has nside " + std::to_string(mask.nside) + " (allowed: the map's nside " +
                             std::to_string(map.nside) + ")");
    }
    p = sim::healpix_cl(map, masked ? &mask : nullptr, static_cast<int>(lmax),
                        static_cast<int>(bins), o);
  } else {
    sim::FlatFitsInfo info;
    const sim::FlatMap map = sim::read_flat_fits(path, &info);
    header.push_back("flat TAN image centred on RA " + std::to_string(info.ra_deg) + " deg, Dec " +
                     std::to_string(info.dec_deg) + " deg");
    if (bins > map.n)
      sim::bad_setting("bins", s.get_string("bins"),
                       "is out of range (allowed: 1 to n = " + std::to_string(map.n) + ")");
    sim::FlatMap mask;
    const bool masked = check_mask(mask_path, false, header);
    if (masked) {
      mask = sim::read_flat_fits(mask_path);
      if (mask.n != map.n)
        sim::bad_setting("mask", mask_path,
                         "has " + std::to_string(mask.n) + " pixels per side (allowed: the map's " +
                             std::to_string(map.n) + ")");
    }
    p = sim::flat_cl(map, masked ? &mask : nullptr, static_cast<int>(bins), o);
  }
  sim::write_file_atomic(out, sim::angular_power_table(p, header));
  sim::log_info("wrote ", out, " (", p.cl.size(), " bins, ", p.map_type, ", f_sky ", p.f_sky, ")");
  return 0;
}

}  // namespace cosmograd::apps
