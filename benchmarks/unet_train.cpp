// bench_unet_train: training throughput (samples/s) of nn::UNet3d (depth 2, 16 base channels,
// 1 channel in and out) on random inputs of 32^3 (batch 4) and 64^3 (batch 1): one step is
// forward, MSE loss against a random target, backward and an Adam update. Warm-up steps, then
// the median (and min / max) of the timed steps. Prints a markdown table and writes it
// atomically to benchmarks/results/unet_training.md.
//
//   bench_unet_train [--threads 2] [--warmup 2] [--steps 7] [--out PATH]
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/modules/unet.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/machine.hpp"

namespace {

struct Options {
  int threads = 2;
  int warmup = 2;
  int steps = 7;
  std::string out = std::string(COSMOGRAD_SOURCE_DIR) + "/benchmarks/results/unet_training.md";
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: bench_unet_train [--threads T] [--warmup W] [--steps S] [--out PATH]\n");
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const std::string v = argv[++i];
    if (a == "--threads")
      o.threads = std::stoi(v);
    else if (a == "--warmup")
      o.warmup = std::stoi(v);
    else if (a == "--steps")
      o.steps = std::stoi(v);
    else if (a == "--out")
      o.out = v;
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.threads < 1 || o.warmup < 0 || o.steps < 5) {
    throw std::invalid_argument("need --threads >= 1, --warmup >= 0, --steps >= 5");
  }
  return o;
}

struct Result {
  int size = 0;
  int batch = 0;
  double median_s = 0, min_s = 0, max_s = 0;  // per step
  int64_t parameters = 0;
};

Result run_case(int size, int batch, const Options& o) {
  torch::manual_seed(1234);
  cosmograd::nn::UNet3d net(cosmograd::nn::UNet3dOptions().depth(2).base_channels(16));
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor x = torch::randn({batch, 1, size, size, size});
  const torch::Tensor y = torch::randn({batch, 1, size, size, size});
  Result r;
  r.size = size;
  r.batch = batch;
  for (const auto& p : net->parameters()) r.parameters += p.numel();
  std::vector<double> times;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    adam.zero_grad();
    const torch::Tensor loss = torch::mse_loss(net->forward(x), y);
    loss.backward();
    adam.step();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s >= o.warmup) times.push_back(dt);
  }
  std::sort(times.begin(), times.end());
  const std::size_t m = times.size();
  r.median_s = m % 2 ? times[m / 2] : 0.5 * (times[m / 2 - 1] + times[m / 2]);
  r.min_s = times.front();
  r.max_s = times.back();
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  torch::set_num_threads(o.threads);
  const std::vector<std::pair<int, int>> cases = {{32, 4}, {64, 1}};  // (size, batch)
  std::vector<Result> results;
  for (const auto& [size, batch] : cases) {
    std::fprintf(stderr, "bench_unet_train: %d^3, batch %d ...\n", size, batch);
    results.push_back(run_case(size, batch, o));
  }

  std::ostringstream md;
  md << "# U-Net training throughput\n\n"
     << "Machine: " << cosmograd::sim::machine_summary() << "; LibTorch " << TORCH_VERSION
     << " (CPU), " << o.threads << " threads (torch::set_num_threads).\n\n"
     << "Model: nn::UNet3d, depth 2, 16 base channels (x2 per level), strided-conv "
        "downsampling, 1 channel in and out, float32. One step: forward, MSE loss against a "
        "random target, backward, Adam (lr 1e-3). "
     << o.warmup << " warm-up steps, then " << o.steps
     << " timed steps; samples/s = batch / median step time.\n\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "Parameters: %lld.\n\n",
                static_cast<long long>(results.front().parameters));
  md << buf;
  md << "| input | batch | step median [s] | step min [s] | step max [s] | samples/s |\n"
     << "|---|---:|---:|---:|---:|---:|\n";
  for (const Result& r : results) {
    std::snprintf(buf, sizeof buf, "| %d^3 | %d | %.3f | %.3f | %.3f | %.2f |\n", r.size, r.batch,
                  r.median_s, r.min_s, r.max_s, r.batch / r.median_s);
    md << buf;
  }
  std::cout << md.str();
  cosmograd::sim::write_file_atomic(o.out, md.str());
  std::cout << "\nwrote " << o.out << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_unet_train: " << e.what() << "\n";
  return 1;
}
