// The detector network, its decoding and inference (see detector.hpp).
#include "surveys/vision/detector.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/vision/image_tensors.hpp"

namespace cosmograd::surveys {

void DetectorConfig::validate() const {
  sim::require(depth >= 1 && depth <= 5, "depth", static_cast<double>(depth), "in [1, 5]");
  sim::require(base_channels >= 2 && base_channels <= 256, "base_channels",
               static_cast<double>(base_channels), "in [2, 256]");
  sim::require(norm_groups >= 0 && (norm_groups == 0 || base_channels % norm_groups == 0),
               "norm_groups", static_cast<double>(norm_groups), "0 or a divisor of base_channels");
  sim::require(sim::positive(soften), "soften", soften, "> 0 [background sigma]");
  sim::require(heatmap_sigma >= 0.5 && heatmap_sigma <= 10, "heatmap_sigma", heatmap_sigma,
               "in [0.5, 10] pixels");
  sim::require(threshold > 0 && threshold < 1, "threshold", threshold, "in (0, 1)");
  sim::require(foreground > 0 && foreground < 1, "foreground", foreground, "in (0, 1)");
  sim::require(assign_radius >= 0 && std::isfinite(assign_radius), "assign_radius", assign_radius,
               ">= 0 [pixels] (0: no limit)");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  if (band.empty() || band.find_first_of("\n=") != std::string::npos)
    throw std::invalid_argument("band = '" + band + "': must be a non-empty name");
}

DetectorNetImpl::DetectorNetImpl(const DetectorConfig& config) : config_(config) {
  config_.validate();
  unet_ = register_module("unet", nn::UNet2d(nn::UNet2dOptions()
                                                 .in_channels(1)
                                                 .out_channels(4)
                                                 .depth(config_.depth)
                                                 .base_channels(config_.base_channels)
                                                 .norm_groups(config_.norm_groups)
                                                 .dropout(0.0)));
}

torch::Tensor DetectorNetImpl::forward(const torch::Tensor& x) { return unet_->forward(x); }

void DetectorNetImpl::set_thresholds(double threshold, double foreground, double assign_radius) {
  DetectorConfig c = config_;
  c.threshold = threshold;
  c.foreground = foreground;
  c.assign_radius = assign_radius;
  c.validate();
  config_ = c;
}

nn::ModelHeader DetectorNetImpl::header() const {
  const DetectorConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "vision_detector");
  h.set("detector_depth", c.depth);
  h.set("detector_base_channels", c.base_channels);
  h.set("detector_norm_groups", c.norm_groups);
  h.set("detector_soften", c.soften);
  h.set("detector_heatmap_sigma", c.heatmap_sigma);
  h.set("detector_threshold", c.threshold);
  h.set("detector_foreground", c.foreground);
  h.set("detector_assign_radius", c.assign_radius);
  h.set("detector_band", c.band);
  h.set("detector_pixel_scale", c.pixel_scale);
  h.set("detector_outputs", "foreground_logit,centre_logit,offset_x_px,offset_y_px");
  return h;
}

DetectorConfig detector_config_from(const nn::ModelHeader& h) {
  DetectorConfig c;
  c.depth = h.get_int("detector_depth");
  c.base_channels = h.get_int("detector_base_channels");
  c.norm_groups = h.get_int("detector_norm_groups");
  c.soften = h.get_double("detector_soften");
  c.heatmap_sigma = h.get_double("detector_heatmap_sigma");
  c.threshold = h.get_double("detector_threshold");
  c.foreground = h.get_double("detector_foreground");
  // Absent from models written before the key existed: no limit.
  c.assign_radius = h.has("detector_assign_radius") ? h.get_double("detector_assign_radius") : 0.0;
  c.band = h.get("detector_band");
  c.pixel_scale = h.get_double("detector_pixel_scale");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": bad detector header: " + e.what());
  }
  return c;
}

DetectorNet load_detector(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "vision_detector",
      [](const nn::ModelHeader& h) { return DetectorNet(detector_config_from(h)); }, header);
}

std::vector<Detection> heatmap_peaks(const std::vector<float>& heatmap, int width, int height,
                                     double threshold) {
  if (width < 1 || height < 1 ||
      heatmap.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    throw std::invalid_argument("heatmap_peaks: " + std::to_string(heatmap.size()) +
                                " values for " + std::to_string(width) + " x " +
                                std::to_string(height) + " pixels");
  auto at = [&](int ix, int iy) { return heatmap[static_cast<std::size_t>(iy) * width + ix]; };
  auto log_at = [&](int ix, int iy) {
    return std::log(std::max(static_cast<double>(at(ix, iy)), 1e-30));
  };
  // Offset of a Gaussian's centre from the middle of three samples l, c, r (log values).
  auto parabola = [](double l, double c, double r) {
    const double denom = l - 2 * c + r;
    if (!(denom < 0)) return 0.0;
    return std::clamp(0.5 * (l - r) / denom, -0.5, 0.5);
  };
  std::vector<Detection> peaks;
  for (int iy = 0; iy < height; ++iy)
    for (int ix = 0; ix < width; ++ix) {
      const float v = at(ix, iy);
      if (!(v > threshold)) continue;
      bool peak = true;
      for (int dy = -1; dy <= 1 && peak; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int jx = ix + dx, jy = iy + dy;
          if ((dx == 0 && dy == 0) || jx < 0 || jy < 0 || jx >= width || jy >= height) continue;
          const float w = at(jx, jy);
          const bool earlier = dy < 0 || (dy == 0 && dx < 0);
          if (w > v || (earlier && w == v)) {
            peak = false;
            break;
          }
        }
      if (!peak) continue;
      Detection d;
      const double c = log_at(ix, iy);
      const double sx =
          (ix > 0 && ix + 1 < width) ? parabola(log_at(ix - 1, iy), c, log_at(ix + 1, iy)) : 0.0;
      const double sy =
          (iy > 0 && iy + 1 < height) ? parabola(log_at(ix, iy - 1), c, log_at(ix, iy + 1)) : 0.0;
      d.x = ix + 0.5 + sx;
      d.y = iy + 0.5 + sy;
      d.score = v;
      peaks.push_back(d);
    }
  std::stable_sort(peaks.begin(), peaks.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return peaks;
}

DetectionMap decode_detections(const DetectorMaps& maps, const std::vector<float>& image,
                               double threshold, double foreground, double assign_radius) {
  const std::size_t n =
      static_cast<std::size_t>(maps.width) * static_cast<std::size_t>(maps.height);
  if (maps.foreground.size() != n || maps.heatmap.size() != n || maps.offset_x.size() != n ||
      maps.offset_y.size() != n || image.size() != n)
    throw std::invalid_argument("decode_detections: maps and image must all hold " +
                                std::to_string(maps.width) + " x " + std::to_string(maps.height) +
                                " values (image has " + std::to_string(image.size()) + ")");
  DetectionMap out;
  out.width = maps.width;
  out.height = maps.height;
  out.objects = heatmap_peaks(maps.heatmap, maps.width, maps.height, threshold);
  out.segmentation.assign(n, 0);
  if (out.objects.empty()) return out;
  std::vector<double> flux(out.objects.size(), 0.0);
  std::vector<int64_t> pixels(out.objects.size(), 0);
  for (int iy = 0; iy < maps.height; ++iy)
    for (int ix = 0; ix < maps.width; ++ix) {
      const std::size_t p = static_cast<std::size_t>(iy) * maps.width + ix;
      if (!(maps.foreground[p] > foreground)) continue;
      const double tx = ix + 0.5 + maps.offset_x[p], ty = iy + 0.5 + maps.offset_y[p];
      std::size_t best = 0;
      double best_d2 = std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < out.objects.size(); ++k) {
        const double d2 = (out.objects[k].x - tx) * (out.objects[k].x - tx) +
                          (out.objects[k].y - ty) * (out.objects[k].y - ty);
        if (d2 < best_d2) {
          best_d2 = d2;
          best = k;
        }
      }
      if (assign_radius > 0 && best_d2 > assign_radius * assign_radius) continue;
      out.segmentation[p] = static_cast<std::int32_t>(best + 1);
      flux[best] += image[p];
      ++pixels[best];
    }
  for (std::size_t k = 0; k < out.objects.size(); ++k) {
    out.objects[k].flux = flux[k];
    out.objects[k].pixels = pixels[k];
  }
  return out;
}

namespace {

/// Copies channel c of out [N, 4, H', W'] for image i, cropped to H x W, into a vector.
std::vector<float> channel(const torch::Tensor& out, int64_t i, int64_t c, int64_t h, int64_t w) {
  const torch::Tensor t = out[i][c].narrow(0, 0, h).narrow(1, 0, w).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + h * w);
}

}  // namespace

std::vector<DetectorMaps> predict_maps(DetectorNet& net, const torch::Tensor& images,
                                       const std::vector<double>& sigma, int64_t batch) {
  if (images.dim() != 3 || images.size(0) != static_cast<int64_t>(sigma.size()))
    throw std::invalid_argument("predict_maps: images of shape " + c10::str(images.sizes()) +
                                " with " + std::to_string(sigma.size()) +
                                " sigmas (expected [N, H, W] and N sigmas)");
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  for (double s : sigma) sim::require(sim::positive(s), "sigma", s, "> 0 [image units]");
  torch::NoGradGuard no_grad;
  net->eval();
  const DetectorConfig& c = net->config();
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2);
  const int64_t m = int64_t{1} << c.depth;
  const int64_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
  std::vector<DetectorMaps> maps;
  maps.reserve(static_cast<std::size_t>(n));
  const torch::Tensor all = images.to(torch::kFloat32);
  const torch::Tensor sig = torch::tensor(sigma, torch::kFloat64).to(torch::kFloat32);
  for (int64_t i0 = 0; i0 < n; i0 += batch) {
    const int64_t b = std::min(batch, n - i0);
    torch::Tensor x =
        asinh_scale(all.narrow(0, i0, b).unsqueeze(1), sig.narrow(0, i0, b).view({b, 1}), c.soften);
    if (ph != h || pw != w) x = torch::constant_pad_nd(x, {0, pw - w, 0, ph - h}, 0.0);
    torch::Tensor out = net->forward(x);
    out = torch::cat({torch::sigmoid(out.narrow(1, 0, 2)), out.narrow(1, 2, 2)}, 1).contiguous();
    for (int64_t i = 0; i < b; ++i) {
      DetectorMaps d;
      d.width = static_cast<int>(w);
      d.height = static_cast<int>(h);
      d.foreground = channel(out, i, 0, h, w);
      d.heatmap = channel(out, i, 1, h, w);
      d.offset_x = channel(out, i, 2, h, w);
      d.offset_y = channel(out, i, 3, h, w);
      maps.push_back(std::move(d));
    }
  }
  return maps;
}

DetectorMaps predict_maps_tiled(DetectorNet& net, const std::vector<float>& image, int width,
                                int height, double sigma, int tile, int overlap) {
  if (width < 1 || height < 1 ||
      image.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height))
    throw std::invalid_argument("predict_maps_tiled: " + std::to_string(image.size()) +
                                " values for " + std::to_string(width) + " x " +
                                std::to_string(height) + " pixels");
  const int64_t m = int64_t{1} << net->config().depth;
  sim::require(tile >= 16 && tile % m == 0, "tile", tile,
               "a multiple of 2^depth = " + std::to_string(m) + ", >= 16");
  sim::require(overlap >= 0 && 2 * overlap < tile, "overlap", overlap, "in [0, tile / 2)");
  const torch::Tensor full =
      torch::from_blob(const_cast<float*>(image.data()), {height, width}, torch::kFloat32);
  if (width <= tile && height <= tile) return predict_maps(net, full.unsqueeze(0), {sigma})[0];
  DetectorMaps out;
  out.width = width;
  out.height = height;
  const std::size_t n = image.size();
  for (auto* v : {&out.foreground, &out.heatmap, &out.offset_x, &out.offset_y}) v->assign(n, 0.f);
  const int step = tile - overlap;
  // Tile starts along one axis: step apart, the last one ending at the image edge.
  auto starts = [&](int size) {
    std::vector<int> s;
    if (size <= tile) return std::vector<int>{0};
    for (int a = 0; a + tile < size; a += step) s.push_back(a);
    s.push_back(size - tile);
    return s;
  };
  const std::vector<int> sx = starts(width), sy = starts(height);
  for (std::size_t ty = 0; ty < sy.size(); ++ty)
    for (std::size_t tx = 0; tx < sx.size(); ++tx) {
      const int x0 = sx[tx], y0 = sy[ty];
      const int tw = std::min(tile, width - x0), th = std::min(tile, height - y0);
      const torch::Tensor cut = full.narrow(0, y0, th).narrow(1, x0, tw).unsqueeze(0);
      const DetectorMaps t = predict_maps(net, cut, {sigma})[0];
      // Kept region: up to the midpoint of the overlap with each neighbouring tile.
      const int kx0 = tx == 0 ? 0 : (sx[tx - 1] + tile + x0) / 2 - x0;
      const int kx1 = tx + 1 == sx.size() ? tw : (x0 + tile + sx[tx + 1]) / 2 - x0;
      const int ky0 = ty == 0 ? 0 : (sy[ty - 1] + tile + y0) / 2 - y0;
      const int ky1 = ty + 1 == sy.size() ? th : (y0 + tile + sy[ty + 1]) / 2 - y0;
      for (int iy = ky0; iy < ky1; ++iy)
        for (int ix = kx0; ix < kx1; ++ix) {
          const std::size_t src = static_cast<std::size_t>(iy) * tw + ix;
          const std::size_t dst = static_cast<std::size_t>(y0 + iy) * width + (x0 + ix);
          out.foreground[dst] = t.foreground[src];
          out.heatmap[dst] = t.heatmap[src];
          out.offset_x[dst] = t.offset_x[src];
          out.offset_y[dst] = t.offset_y[src];
        }
    }
  return out;
}

}  // namespace cosmograd::surveys
