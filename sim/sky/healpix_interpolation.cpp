#include "sim/sky/healpix_interpolation.hpp"

#include <cmath>

namespace cosmograd::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// One iso-latitude ring of the RING scheme (healpix_cxx get_ring_info2; Gorski et al. 2005,
/// eqs. 4-9): its first pixel, pixel count, colatitude and whether its pixels start at half
/// a step in phi.
struct Ring {
  long long start = 0;
  long long count = 0;
  double theta = 0;
  bool shifted = false;
};

Ring ring_info(long long nside, long long ring) {
  const long long npix = 12 * nside * nside, ncap = 2 * nside * (nside - 1);
  const long long north = ring > 2 * nside ? 4 * nside - ring : ring;
  Ring r;
  if (north < nside) {
    const double tmp = static_cast<double>(north * north) * 4.0 / static_cast<double>(npix);
    r.theta = std::atan2(std::sqrt(tmp * (2 - tmp)), 1 - tmp);
    r.count = 4 * north;
    r.shifted = true;
    r.start = 2 * north * (north - 1);
  } else {
    r.theta = std::acos(static_cast<double>(2 * nside - north) * 2.0 / (3.0 * nside));
    r.count = 4 * nside;
    r.shifted = ((north - nside) & 1) == 0;
    r.start = ncap + (north - nside) * r.count;
  }
  if (north != ring) {
    r.theta = kPi - r.theta;
    r.start = npix - r.start - r.count;
  }
  return r;
}

/// The ring just north of (or at) z = cos(theta) (healpix_cxx ring_above; 0 above the first).
long long ring_above(long long nside, double z) {
  const double az = std::abs(z);
  if (az <= 2.0 / 3.0) return static_cast<long long>(nside * (2 - 1.5 * z));
  const long long ring = static_cast<long long>(nside * std::sqrt(3 * (1 - az)));
  return z > 0 ? ring : 4 * nside - ring - 1;
}

/// The two pixels of `r` around phi: first pixel index, the weight of the second, d/dphi.
struct AlongRing {
  long long p0 = 0, p1 = 0;
  double w = 0;   // weight of p1 (p0 has 1 - w)
  double dw = 0;  // dw/dphi
};

AlongRing along_ring(const Ring& r, double phi) {
  const double dphi = 2 * kPi / static_cast<double>(r.count);
  const double shift = r.shifted ? 0.5 : 0.0;
  const double tmp = phi / dphi - shift;
  long long i1 = tmp < 0 ? static_cast<long long>(tmp) - 1 : static_cast<long long>(tmp);
  AlongRing a;
  a.w = (phi - (static_cast<double>(i1) + shift) * dphi) / dphi;
  a.dw = 1 / dphi;
  long long i2 = i1 + 1;
  if (i1 < 0) i1 += r.count;
  if (i2 >= r.count) i2 -= r.count;
  a.p0 = r.start + i1;
  a.p1 = r.start + i2;
  return a;
}

}  // namespace

HealpixBilinear healpix_bilinear(int nside_int, double theta, double phi) {
  const long long nside = nside_int, npix = 12 * nside * nside;
  phi = std::fmod(phi, 2 * kPi);
  if (phi < 0) phi += 2 * kPi;
  const long long ir1 = ring_above(nside, std::cos(theta)), ir2 = ir1 + 1;
  HealpixBilinear out;
  AlongRing up, down;
  Ring r1, r2;
  if (ir1 > 0) {
    r1 = ring_info(nside, ir1);
    up = along_ring(r1, phi);
  }
  if (ir2 < 4 * nside) {
    r2 = ring_info(nside, ir2);
    down = along_ring(r2, phi);
  }
  auto set = [&](int k, long long pix, double w, double wt, double wp) {
    out.pixel[k] = static_cast<int>(pix);
    out.weight[k] = w;
    out.d_theta[k] = wt;
    out.d_phi[k] = wp;
  };
  if (ir1 == 0) {  // above the first ring: its four pixels share the polar cap's weight
    const double wt = theta / r2.theta, dwt = 1 / r2.theta;
    const double fac = 0.25 * (1 - wt), dfac = -0.25 * dwt;
    set(2, down.p0, (1 - down.w) * wt + fac, (1 - down.w) * dwt + dfac, -down.dw * wt);
    set(3, down.p1, down.w * wt + fac, down.w * dwt + dfac, down.dw * wt);
    set(0, (down.p0 + 2) & 3, fac, dfac, 0.0);
    set(1, (down.p1 + 2) & 3, fac, dfac, 0.0);
  } else if (ir2 == 4 * nside) {  // below the last ring
    const double span = kPi - r1.theta;
    const double wt = (theta - r1.theta) / span, dwt = 1 / span;
    const double fac = 0.25 * wt, dfac = 0.25 * dwt;
    set(0, up.p0, (1 - up.w) * (1 - wt) + fac, -(1 - up.w) * dwt + dfac, -up.dw * (1 - wt));
    set(1, up.p1, up.w * (1 - wt) + fac, -up.w * dwt + dfac, up.dw * (1 - wt));
    set(2, ((up.p0 + 2) & 3) + npix - 4, fac, dfac, 0.0);
    set(3, ((up.p1 + 2) & 3) + npix - 4, fac, dfac, 0.0);
  } else {
    const double span = r2.theta - r1.theta;
    const double wt = (theta - r1.theta) / span, dwt = 1 / span;
    set(0, up.p0, (1 - up.w) * (1 - wt), -(1 - up.w) * dwt, -up.dw * (1 - wt));
    set(1, up.p1, up.w * (1 - wt), -up.w * dwt, up.dw * (1 - wt));
    set(2, down.p0, (1 - down.w) * wt, (1 - down.w) * dwt, -down.dw * wt);
    set(3, down.p1, down.w * wt, down.w * dwt, down.dw * wt);
  }
  return out;
}

}  // namespace cosmograd::sim
