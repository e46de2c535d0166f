// The batched LibTorch galaxy renderer (surveys/batched/): ms per 64x64 stamp for a batch of
// 256 random Sersic profiles (n 0.5-4, R_e 1-3 px), float32 and float64, with and without a
// Moffat PSF, and forward + backward (float32, batch 64); medians of 5 runs after a warm-up,
// on the CPU (and on CUDA when a device is present). Writes benchmarks/results/images_batched.md.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"
#include "surveys/batched/batched_render.hpp"
#include "surveys/images/psf.hpp"

namespace cs = cosmograd::surveys;

namespace {

double median_ms(int repeats, const std::function<void()>& body) {
  body();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    body();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

cs::SersicBatch random_batch(std::int64_t b, torch::Dtype dtype, torch::Device device, bool grad) {
  torch::manual_seed(1);
  const auto u = [&](double lo, double hi) {
    auto t = (torch::rand({b}, torch::kFloat64) * (hi - lo) + lo).to(device, dtype);
    return grad ? t.requires_grad_(true) : t;
  };
  return {u(0.5, 2), u(1, 3), u(0.5, 4), u(-0.14, 0.14), u(-0.14, 0.14), u(30, 34), u(30, 34)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/images_batched.md";
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--quick") {
      repeats = 1;
    } else {
      std::cerr << "usage: bench_images_batched [--quick] [--out FILE]\n";
      return 2;
    }
  }
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA);
  const torch::Tensor psf64 = cs::image_to_tensor(cs::moffat_psf(3.0, 3.5, 21));
  std::ostringstream md;
  md << "# Batched galaxy rendering (bench_images_batched)\n\n"
     << "Machine: " << cosmograd::sim::machine_summary() << "; " << torch::get_num_threads()
     << " torch threads.\n\n"
     << "render_sersic_batch on 64 x 64 stamps (oversample 5, random n 0.5-4, R_e 1-3 px, "
        "|e| < 0.2), convolve_psf_batch with a 21 x 21 Moffat PSF (no learned model: the renderer "
        "is "
        "analytic; the CPU reference is bench_images, images.md); median of "
     << repeats
     << " runs.\n\n| device | dtype | batch | step | ms per stamp |\n|---|---|---|---|---|\n";
  for (const auto& device : devices) {
    const std::string dev = device.is_cuda() ? "cuda" : "cpu";
    auto sync = [&] {
      if (device.is_cuda()) torch::cuda::synchronize();
    };
    for (const torch::Dtype dtype : {torch::kFloat32, torch::kFloat64}) {
      const auto batch = random_batch(256, dtype, device, false);
      const torch::Tensor psf = psf64.to(device, dtype);
      for (const bool with_psf : {false, true}) {
        const torch::NoGradGuard no_grad;
        const double ms = median_ms(repeats, [&] {
          torch::Tensor img = cs::render_sersic_batch(batch, 64, 64);
          if (with_psf) img = cs::convolve_psf_batch(img, psf);
          sync();
        });
        char row[160];
        std::snprintf(row, sizeof row, "| %s | %s | 256 | render%s | %.3f |\n", dev.c_str(),
                      dtype == torch::kFloat32 ? "float32" : "float64", with_psf ? " + PSF" : "",
                      ms / 256);
        md << row;
        std::printf("%s", row);
      }
    }
    const auto batch = random_batch(64, torch::kFloat32, device, true);
    const torch::Tensor psf = psf64.to(device, torch::kFloat32);
    const double ms = median_ms(repeats, [&] {
      cs::convolve_psf_batch(cs::render_sersic_batch(batch, 64, 64), psf).sum().backward();
      sync();
    });
    char row[160];
    std::snprintf(row, sizeof row,
                  "| %s | float32 | 64 | render + PSF, forward + backward | %.3f |\n", dev.c_str(),
                  ms / 64);
    md << row;
    std::printf("%s", row);
  }
  cosmograd::sim::write_file_atomic(out, md.str());
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
