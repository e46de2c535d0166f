// Galaxy stamps on the CPU reference path (surveys/images/): milliseconds per 64x64 stamp for a
// Sersic n = 1 disk, an n = 4 bulge and a bulge + disk galaxy (pixel-integrated, then convolved
// with a Moffat PSF by FFT), and for the convolution alone; medians of `repeats` runs of
// `stamps` stamps with random sizes, shapes and centres. Writes benchmarks/results/images.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"
#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"
#include "surveys/mocks/mock_random.hpp"

namespace cs = cosmograd::surveys;

namespace {

/// Median over repeats of the wall time of `body` [s].
double median_seconds(int repeats, const std::function<void()>& body) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    body();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// A random galaxy of kind 0 (disk), 1 (bulge) or 2 (bulge + disk) in a 64 x 64 stamp.
void render(int kind, std::uint64_t i, cs::Image& stamp) {
  cs::MockRng rng(5, cs::MockStream::kImageScene, i);
  const double re = 1.0 + 5.0 * rng.uniform();  // 1-6 pixels
  const double x = 31.0 + 2.0 * rng.uniform(), y = 31.0 + 2.0 * rng.uniform();
  const double e1 = 0.3 * (rng.uniform() - 0.5), e2 = 0.3 * (rng.uniform() - 0.5);
  if (kind == 2) {
    cs::add_bulge_disk(stamp, cs::make_bulge_disk(1.0, 0.3, 0.5 * re, re, x, y, e1, e2));
    return;
  }
  cs::SersicProfile p;
  p.n = kind == 0 ? 1.0 : 4.0;
  p.half_light_radius = re;
  p.x0 = x;
  p.y0 = y;
  p.e1 = e1;
  p.e2 = e2;
  cs::add_sersic(stamp, p);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/images.md";
  int stamps = 200, repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--quick") {
      stamps = 20;
      repeats = 3;
    } else {
      std::cerr << "usage: bench_images [--quick] [--out FILE]\n";
      return 2;
    }
  }
  const cs::Image psf = cs::moffat_psf(3.5, 3.5, 29, 4.0);  // 0.7 arcsec at 0.2 arcsec/pixel
  const char* names[3] = {"Sersic n = 1 (R_e 1-6 px)", "Sersic n = 4 (R_e 1-6 px)",
                          "bulge + disk (B/T 0.3)"};
  std::ostringstream md;
  md << "# Galaxy stamps on the CPU (bench_images)\n\n"
     << "Machine: " << cosmograd::sim::machine_summary() << ".\n\n"
     << "64 x 64 stamps, one thread, the reference path of surveys/images/ (adaptive pixel "
        "integration to 1e-7 of the flux, then a Moffat PSF of FWHM 3.5 px, beta 3.5, 29 x 29, "
        "by zero-padded FFT); random radii 1-6 px, |e| < 0.2, sub-pixel centres; median of "
     << repeats << " runs of " << stamps
     << " stamps. No learned model here (the stamps are analytic); the batched LibTorch path is "
        "timed by bench_images_batched (images_batched.md).\n\n"
     << "| profile | render [ms/stamp] | render + PSF [ms/stamp] |\n|---|---|---|\n";
  for (int kind = 0; kind < 3; ++kind) {
    const double render_s = median_seconds(repeats, [&] {
      for (int i = 0; i < stamps; ++i) {
        cs::Image s = cs::Image::zeros(64, 64);
        render(kind, static_cast<std::uint64_t>(i), s);
      }
    });
    const double both_s = median_seconds(repeats, [&] {
      for (int i = 0; i < stamps; ++i) {
        cs::Image s = cs::Image::zeros(64, 64);
        render(kind, static_cast<std::uint64_t>(i), s);
        const cs::Image c = cs::convolve(s, psf);
      }
    });
    char row[200];
    std::snprintf(row, sizeof row, "| %s | %.3f | %.3f |\n", names[kind], 1e3 * render_s / stamps,
                  1e3 * both_s / stamps);
    md << row;
    std::printf("%s", row);
  }
  cosmograd::sim::write_file_atomic(out, md.str());
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
