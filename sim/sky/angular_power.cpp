// Angular power spectra of HEALPix maps (healpix_cxx) and flat maps (FFTW); see
// angular_power.hpp.
#include "sim/sky/angular_power.hpp"

#include <alm.h>
#include <alm_healpix_tools.h>
#include <fftw3.h>
#include <healpix_map.h>
#include <xcomplex.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/check.hpp"

namespace cosmograd::sim {
namespace {

bool valid_nside(int nside) { return nside >= 1 && nside <= 8192 && (nside & (nside - 1)) == 0; }

void check_healpix(const HealpixMap& m, const char* what) {
  if (!valid_nside(m.nside)) {
    throw std::invalid_argument(std::string(what) + " nside = " + std::to_string(m.nside) +
                                " is not allowed (allowed: a power of 2 from 1 to 8192)");
  }
  if (m.values.size() != m.pixels()) {
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(m.values.size()) +
                                " values (allowed: 12 nside^2 = " + std::to_string(m.pixels()) +
                                ")");
  }
}

double sinc(double x) { return std::fabs(x) < 1e-8 ? 1.0 - x * x / 6.0 : std::sin(x) / x; }

// FFTW's planner is not thread-safe; plans here are made under this lock.
std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

std::vector<double> healpix_pixel_window_approx(int nside, int lmax) {
  if (!valid_nside(nside) || lmax < 0) {
    throw std::invalid_argument("healpix_pixel_window_approx: nside = " + std::to_string(nside) +
                                ", lmax = " + std::to_string(lmax) +
                                " not allowed (allowed: power-of-2 nside, lmax >= 0)");
  }
  // A square pixel of side s = sqrt(area), w(l) = <sinc(l s cos(a) / 2) sinc(l s sin(a) / 2)>
  // averaged over orientations a (midpoint rule, 64 angles in [0, pi/2)).
  const double side = std::sqrt(4.0 * M_PI / (12.0 * nside * static_cast<double>(nside)));
  constexpr int kAngles = 64;
  std::vector<double> w(static_cast<std::size_t>(lmax) + 1, 1.0);
  for (int l = 1; l <= lmax; ++l) {
    double sum = 0;
    for (int i = 0; i < kAngles; ++i) {
      const double a = (i + 0.5) * (0.5 * M_PI / kAngles);
      sum += sinc(0.5 * l * side * std::cos(a)) * sinc(0.5 * l * side * std::sin(a));
    }
    w[l] = sum / kAngles;
  }
  return w;
}

std::vector<double> healpix_cl_per_ell(const HealpixMap& map, const HealpixMap* mask, int lmax,
                                       int iterations, double* f_sky) {
  check_healpix(map, "map");
  if (lmax < 1 || lmax > 3 * map.nside) {
    throw std::invalid_argument(
        "lmax = " + std::to_string(lmax) +
        " is out of range (allowed: 1 to 3 nside = " + std::to_string(3 * map.nside) + ")");
  }
  if (iterations < 0 || iterations > 10) {
    throw std::invalid_argument("iterations = " + std::to_string(iterations) +
                                " is out of range (allowed: 0 to 10)");
  }
  if (mask != nullptr) {
    check_healpix(*mask, "mask");
    if (mask->nside != map.nside) {
      throw std::invalid_argument("mask nside = " + std::to_string(mask->nside) +
                                  " differs from the map's nside = " + std::to_string(map.nside) +
                                  " (allowed: equal)");
    }
  }
  const std::size_t npix = map.pixels();
  Healpix_Map<double> hm(map.nside, RING, SET_NSIDE);
  double w2 = 0;
  for (std::size_t p = 0; p < npix; ++p) {
    const double w = mask != nullptr ? mask->values[p] : 1.0;
    if (!(w >= 0.0 && w <= 1.0)) {
      throw std::invalid_argument("mask pixel " + std::to_string(p) + " = " + std::to_string(w) +
                                  " is not allowed (allowed: 0 to 1)");
    }
    const double v = map.values[p];
    if (w != 0.0 && !std::isfinite(v)) {
      throw std::invalid_argument("map pixel " + std::to_string(p) + " = " + std::to_string(v) +
                                  " is not finite where the mask is not 0 (allowed: finite)");
    }
    hm[static_cast<int>(p)] = w == 0.0 ? 0.0 : w * v;
    w2 += w * w;
  }
  w2 /= static_cast<double>(npix);
  if (!(w2 > 0.0)) throw std::invalid_argument("mask is 0 everywhere (allowed: some pixel > 0)");
  if (f_sky != nullptr) *f_sky = w2;
  Alm<xcomplex<double>> alm(lmax, lmax);
  map2alm_iter(hm, alm, iterations);
  std::vector<double> cl(static_cast<std::size_t>(lmax) + 1, 0.0);
  for (int l = 0; l <= lmax; ++l) {
    double s = std::norm(alm(l, 0));
    for (int m = 1; m <= l; ++m) s += 2.0 * std::norm(alm(l, m));
    cl[l] = s / (2.0 * l + 1.0) / w2;
  }
  return cl;
}

AngularPower bin_cl(const std::vector<double>& cl, int ell_min, int bins, EllBinning binning) {
  const int lmax = static_cast<int>(cl.size()) - 1;
  const int lo = binning == EllBinning::log ? 1 : 0;
  if (ell_min < lo || ell_min > lmax) {
    throw std::invalid_argument("ell_min = " + std::to_string(ell_min) +
                                " is out of range (allowed: " + std::to_string(lo) +
                                " to lmax = " + std::to_string(lmax) + ")");
  }
  const int count = lmax + 1 - ell_min;
  if (bins < 1 || bins > count) {
    throw std::invalid_argument("bins = " + std::to_string(bins) +
                                " is out of range (allowed: 1 to " + std::to_string(count) +
                                ", the number of multipoles from ell_min to lmax)");
  }
  std::vector<int> edges{ell_min};
  for (int i = 1; i <= bins; ++i) {
    double e;
    if (binning == EllBinning::linear) {
      e = ell_min + static_cast<double>(i) * count / bins;
    } else {
      e = ell_min *
          std::pow(static_cast<double>(lmax + 1) / ell_min, static_cast<double>(i) / bins);
    }
    const int ei = i == bins ? lmax + 1 : static_cast<int>(std::lround(e));
    if (ei > edges.back()) edges.push_back(ei);
  }
  AngularPower p;
  for (std::size_t b = 0; b + 1 < edges.size(); ++b) {
    double sw = 0, sl = 0, sc = 0;
    for (int l = edges[b]; l < edges[b + 1]; ++l) {
      const double w = 2.0 * l + 1.0;
      sw += w;
      sl += w * l;
      sc += w * cl[l];
    }
    p.ell.push_back(sl / sw);
    p.ell_low.push_back(edges[b]);
    p.ell_high.push_back(edges[b + 1]);
    p.cl.push_back(sc / sw);
    p.modes.push_back(sw);
  }
  return p;
}

AngularPower healpix_cl(const HealpixMap& map, const HealpixMap* mask, int lmax, int bins,
                        const AngularPowerOptions& options) {
  double f_sky = 1;
  std::vector<double> cl = healpix_cl_per_ell(map, mask, lmax, options.iterations, &f_sky);
  const std::vector<double> w = healpix_pixel_window_approx(map.nside, lmax);
  std::vector<double> w2(w.size());
  for (std::size_t l = 0; l < w.size(); ++l) w2[l] = w[l] * w[l];
  if (options.divide_pixel_window) {
    for (std::size_t l = 0; l < cl.size(); ++l) cl[l] /= w2[l];
  }
  AngularPower p = bin_cl(cl, options.ell_min, bins, options.binning);
  const AngularPower pw = bin_cl(w2, options.ell_min, bins, options.binning);
  p.pixel_window2 = pw.cl;
  p.f_sky = f_sky;
  p.pixel_window_divided = options.divide_pixel_window;
  p.map_type = "healpix";
  p.nside = map.nside;
  p.lmax = lmax;
  return p;
}

AngularPower flat_cl(const FlatMap& map, const FlatMap* mask, int bins,
                     const AngularPowerOptions& options) {
  const int n = map.n;
  if (n < 2 || n > 65536) {
    throw std::invalid_argument("flat map n = " + std::to_string(n) +
                                " is not allowed (allowed: 2 to 65536)");
  }
  if (!(map.field_deg > 0.0 && map.field_deg < 180.0)) {
    throw std::invalid_argument("flat map field_deg = " + std::to_string(map.field_deg) +
                                " is not allowed (allowed: 0 < field_deg < 180)");
  }
  if (map.values.size() != map.pixels()) {
    throw std::invalid_argument("flat map has " + std::to_string(map.values.size()) +
                                " values (allowed: n^2 = " + std::to_string(map.pixels()) + ")");
  }
  if (mask != nullptr && (mask->n != n || mask->values.size() != map.pixels())) {
    throw std::invalid_argument("flat mask n = " + std::to_string(mask->n) +
                                " differs from the map's n = " + std::to_string(n) +
                                " (allowed: equal, with n^2 values)");
  }
  if (bins < 1 || bins > n) {
    throw std::invalid_argument("bins = " + std::to_string(bins) +
                                " is out of range (allowed: 1 to n = " + std::to_string(n) + ")");
  }
  const std::size_t npix = map.pixels();
  const int nh = n / 2 + 1;
  double* in = fftw_alloc_real(npix);
  fftw_complex* out = fftw_alloc_complex(static_cast<std::size_t>(n) * nh);
  if (in == nullptr || out == nullptr) {
    fftw_free(in);
    fftw_free(out);
    call_failed("FFTW", "fftw_alloc", 0, "out of memory for a " + std::to_string(n) + "^2 FFT");
  }
  struct Free {
    double* a;
    fftw_complex* b;
    ~Free() {
      fftw_free(a);
      fftw_free(b);
    }
  } guard{in, out};
  double w2 = 0;
  for (std::size_t p = 0; p < npix; ++p) {
    const double w = mask != nullptr ? mask->values[p] : 1.0;
    if (!(w >= 0.0 && w <= 1.0)) {
      throw std::invalid_argument("flat mask pixel " + std::to_string(p) + " = " +
                                  std::to_string(w) + " is not allowed (allowed: 0 to 1)");
    }
    const double v = map.values[p];
    if (w != 0.0 && !std::isfinite(v)) {
      throw std::invalid_argument("flat map pixel " + std::to_string(p) + " = " +
                                  std::to_string(v) +
                                  " is not finite where the mask is not 0 (allowed: finite)");
    }
    in[p] = w == 0.0 ? 0.0 : w * v;
    w2 += w * w;
  }
  w2 /= static_cast<double>(npix);
  if (!(w2 > 0.0)) throw std::invalid_argument("flat mask is 0 everywhere (allowed: some > 0)");
  {
    fftw_plan plan;
    {
      const std::lock_guard<std::mutex> lock(plan_mutex());
      plan = fftw_plan_dft_r2c_2d(n, n, in, out, FFTW_ESTIMATE);
    }
    if (plan == nullptr) call_failed("FFTW", "fftw_plan_dft_r2c_2d", 0, "null plan");
    fftw_execute(plan);
    const std::lock_guard<std::mutex> lock(plan_mutex());
    fftw_destroy_plan(plan);
  }
  const double d = map.pixel_rad();
  const double field_rad = n * d;
  const double lf = 2.0 * M_PI / field_rad;
  const double lnyq = M_PI / d;
  const bool log_bins = options.binning == EllBinning::log;
  const double lo = log_bins ? lf * (1.0 - 1e-9) : 0.5 * lf;
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  for (int i = 0; i <= bins; ++i) {
    edges[i] = log_bins ? lo * std::pow(lnyq / lo, static_cast<double>(i) / bins)
                        : lo + (lnyq - lo) * i / bins;
  }
  std::vector<double> sw(bins, 0.0), sl(bins, 0.0), sc(bins, 0.0), spw(bins, 0.0);
  const double norm = d * d / static_cast<double>(npix) / w2;
  for (int iy = 0; iy < n; ++iy) {
    const int ky = iy <= n / 2 ? iy : iy - n;
    for (int ix = 0; ix < nh; ++ix) {
      const int kx = ix;
      if (kx == 0 && ky == 0) continue;
      const double lx = kx * lf, ly = ky * lf;
      const double l = std::sqrt(lx * lx + ly * ly);
      if (l > lnyq * (1 + 1e-12)) continue;
      int b = static_cast<int>(std::upper_bound(edges.begin(), edges.end(), l) - edges.begin()) - 1;
      if (b >= bins) b = bins - 1;
      if (b < 0) continue;
      // The r2c half plane: columns 0 < kx < n/2 stand for themselves and their mirror -k.
      const double weight = (kx == 0 || 2 * kx == n) ? 1.0 : 2.0;
      const double* c = out[static_cast<std::size_t>(iy) * nh + ix];
      const double pw = std::pow(sinc(0.5 * lx * d) * sinc(0.5 * ly * d), 2);
      double power = (c[0] * c[0] + c[1] * c[1]) * norm;
      if (options.divide_pixel_window) power /= pw;
      sw[b] += weight;
      sl[b] += weight * l;
      sc[b] += weight * power;
      spw[b] += weight * pw;
    }
  }
  AngularPower p;
  for (int b = 0; b < bins; ++b) {
    if (sw[b] == 0.0) continue;
    p.ell.push_back(sl[b] / sw[b]);
    p.ell_low.push_back(edges[b]);
    p.ell_high.push_back(edges[b + 1]);
    p.cl.push_back(sc[b] / sw[b]);
    p.modes.push_back(sw[b]);
    p.pixel_window2.push_back(spw[b] / sw[b]);
  }
  p.f_sky = w2;
  p.pixel_window_divided = options.divide_pixel_window;
  p.map_type = "flat";
  p.n = n;
  p.field_deg = map.field_deg;
  return p;
}

std::string angular_power_table(const AngularPower& p,
                                const std::vector<std::string>& header_lines) {
  std::ostringstream os;
  for (const std::string& h : header_lines) os << "# " << h << "\n";
  char line[512];
  if (p.map_type == "healpix") {
    std::snprintf(line, sizeof line, "# map: HEALPix, nside %d, lmax %d (map2alm_iter)\n", p.nside,
                  p.lmax);
  } else {
    std::snprintf(line, sizeof line,
                  "# map: flat (TAN), %d x %d pixels, field %.10g deg, pixel %.6g arcmin\n", p.n,
                  p.n, p.field_deg, p.field_deg * 60.0 / p.n);
  }
  os << line;
  std::snprintf(line, sizeof line,
                "# f_sky = mean(mask^2) = %.8g (C_ell divided by it: simple f_sky correction, not "
                "a MASTER deconvolution)\n",
                p.f_sky);
  os << line;
  os << "# pixel window divided: " << (p.pixel_window_divided ? "yes" : "no")
     << (p.map_type == "healpix"
             ? " (pixwin2: approximate HEALPix window squared: an equal-area square pixel, "
               "orientation-averaged; within 2 % for ell <= 2 nside)\n"
             : " (pixwin2: sinc^2(lx d/2) sinc^2(ly d/2), mode-averaged)\n");
  os << "# modes: real degrees of freedom in the bin (full sky: sum of 2 ell + 1); "
        "var(cl) ~ 2 cl^2 / (f_sky modes)\n";
  os << "# ell_mean ell_low ell_high cl[unit^2 sr] modes pixwin2\n";
  for (std::size_t b = 0; b < p.cl.size(); ++b) {
    const double pw = b < p.pixel_window2.size() ? p.pixel_window2[b] : 1.0;
    std::snprintf(line, sizeof line, "%.8e %.8e %.8e %.10e %.10g %.8e\n", p.ell[b], p.ell_low[b],
                  p.ell_high[b], p.cl[b], p.modes[b], pw);
    os << line;
  }
  return os.str();
}

}  // namespace cosmograd::sim
