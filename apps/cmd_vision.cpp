// `cosmograd vision <task> <mode> ...`: dispatch to the vision modules (apps/vision.hpp).
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "apps/commands.hpp"
#include "apps/vision.hpp"
#include "sim/core/settings.hpp"
#include "sim/io/png.hpp"

namespace cosmograd::apps {

void set_torch_threads(const sim::Settings& s) {
  const long long threads = s.get_int("threads");
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
}

void write_stamp_rows_png(const std::string& path, const std::vector<torch::Tensor>& rows,
                          const std::vector<double>& sigma, std::size_t reference_row) {
  if (rows.empty() || reference_row >= rows.size())
    throw std::invalid_argument("write_stamp_rows_png: reference_row " +
                                std::to_string(reference_row) + " of " +
                                std::to_string(rows.size()) + " rows");
  const int s = static_cast<int>(rows[0].size(1)), zoom = 3, gap = 2, cell = s * zoom + gap;
  const int columns = static_cast<int>(std::min<std::size_t>(rows[0].size(0), sigma.size()));
  sim::Image grid(columns * cell, static_cast<int>(rows.size()) * cell, sim::RGB{40, 40, 40});
  const torch::Tensor reference = rows[reference_row].to(torch::kFloat64);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const torch::Tensor t = rows[r].to(torch::kFloat64).contiguous();
    for (int c = 0; c < columns; ++c) {
      const double sg = sigma[static_cast<std::size_t>(c)];
      const double peak = reference[c].max().item<double>();
      const double norm = std::asinh(std::max(peak, 3 * sg) / sg);
      const double* v = t[c].data_ptr<double>();
      for (int y = 0; y < s; ++y)
        for (int x = 0; x < s; ++x) {
          const double f = std::clamp(std::asinh(v[y * s + x] / sg) / norm, 0.0, 1.0);
          const auto g = static_cast<unsigned char>(std::lround(255 * f));
          for (int dy = 0; dy < zoom; ++dy)
            for (int dx = 0; dx < zoom; ++dx)
              grid.set(c * cell + x * zoom + dx,
                       static_cast<int>(r) * cell + (s - 1 - y) * zoom + dy, sim::RGB{g, g, g});
        }
    }
  }
  sim::write_png(path, grid);
}

int cmd_vision(const std::vector<std::string>& args) {
  static const char* usage =
      "usage: cosmograd vision <task> <mode> [config.ini] [--key value ...]\n\n"
      "tasks (each with modes train, evaluate, apply; `cosmograd vision TASK MODE --help`):\n"
      "  detect      U-Net detection, segmentation and deblending of blends (vs SExtractor)\n"
      "  morphology  ResNet-ensemble morphology classes, calibrated (vs non-parametric measures)\n"
      "  lens        strong-lens finder CNN: AUROC, TPR0, TPR10 (vs a classical baseline)\n"
      "  restore     U-Net denoising and deconvolution (vs Wiener and Richardson-Lucy)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage);
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "detect") return vision_detect(rest);
  if (args[0] == "morphology") return vision_morphology(rest);
  if (args[0] == "lens") return vision_lens(rest);
  if (args[0] == "restore") return vision_restore(rest);
  throw std::invalid_argument("cosmograd vision: task '" + args[0] +
                              "' is not one of detect, morphology, lens, restore");
}

}  // namespace cosmograd::apps
