// `cosmograd vision <task> <mode>`: galaxy-level vision modules trained on the project's own
// mocks (mock blends, stamps, lenses) and applied to images: detection and deblending,
// morphology, strong-lens finding, denoising and deconvolution. Each task function takes the
// arguments after the task name (args[0] is the mode: train, evaluate or apply).
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace cosmograd::sim {
class Settings;
}

namespace cosmograd::apps {

/// `cosmograd vision detect train|evaluate|apply ...`: U-Net detection, segmentation and
/// deblending on blend stamps, against SExtractor on the same images.
int vision_detect(const std::vector<std::string>& args);
/// `cosmograd vision morphology train|evaluate|apply ...`: ResNet-ensemble morphology classes
/// with calibrated probabilities, against a non-parametric-measure baseline.
int vision_morphology(const std::vector<std::string>& args);
/// `cosmograd vision lens train|evaluate|apply ...`: the strong-lens finder CNN (AUROC, TPR0,
/// TPR10, ROC), against a classical baseline.
int vision_lens(const std::vector<std::string>& args);
/// `cosmograd vision restore train|evaluate|apply ...`: the U-Net that denoises and
/// deconvolves stamps, against Wiener and Richardson-Lucy.
int vision_restore(const std::vector<std::string>& args);

/// Writes a PNG of grey asinh-stretched stamps: one row per tensor of `rows` (each [C, S, S],
/// the same C stamps), one column per stamp (x right, y up, 3x zoom); column c's stretch is
/// asinh(value / sigma[c]) over asinh(max(peak, 3 sigma[c]) / sigma[c]) with the peak of that
/// column's stamp in rows[reference_row], so that brightness compares across rows.
void write_stamp_rows_png(const std::string& path, const std::vector<torch::Tensor>& rows,
                          const std::vector<double>& sigma, std::size_t reference_row);

/// Sets torch's intra-op threads from the common key `threads` (0 leaves torch's default;
/// parse_command has checked it and set OpenMP's).
void set_torch_threads(const sim::Settings& s);

}  // namespace cosmograd::apps
