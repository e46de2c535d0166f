// Lens-finder inputs and the classical residual baseline (see lens_features.hpp).
#include "surveys/vision/lens_features.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/core/require.hpp"
#include "surveys/vision/image_tensors.hpp"

namespace cosmograd::surveys {
namespace {

/// The number of stamps of the set's images.
std::size_t stamp_count(const LensSet& set) {
  const std::size_t per = set.bands.size() * static_cast<std::size_t>(set.size) * set.size;
  if (per == 0 || set.images.size() % per != 0)
    throw std::invalid_argument(
        "lens set: " + std::to_string(set.images.size()) +
        " image values are not a whole number of " + std::to_string(set.bands.size()) + " x " +
        std::to_string(set.size) + " x " + std::to_string(set.size) + " stamps");
  return set.images.size() / per;
}

void check_rows(const LensSet& set, const std::vector<std::size_t>& rows) {
  const std::size_t n = stamp_count(set);
  for (std::size_t r : rows)
    sim::require(r < n, "lens stamp row", static_cast<double>(r),
                 "< " + std::to_string(n) + " (the set's stamps)");
}

void check_sigma(const LensSet& set, const std::vector<double>& sigma) {
  sim::require(sigma.size() == set.bands.size(), "sigma", static_cast<double>(sigma.size()),
               "one per band (" + std::to_string(set.bands.size()) + ")");
  for (double s : sigma) sim::require(sim::positive(s), "sigma", s, "> 0 and finite [nJy]");
}

/// The index of band `name` in the set, or `fallback` when it has none.
std::size_t band_index(const LensSet& set, const std::string& name, std::size_t fallback) {
  const auto it = std::find(set.bands.begin(), set.bands.end(), name);
  return it == set.bands.end() ? fallback : static_cast<std::size_t>(it - set.bands.begin());
}

double median(std::vector<double> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

std::vector<double> lens_band_sigma(const LensSet& set, const std::vector<std::size_t>& rows,
                                    int border) {
  check_rows(set, rows);
  sim::require(!rows.empty(), "rows", 0, "at least one stamp");
  sim::require(border >= 1 && 2 * border < set.size, "border", border,
               "in [1, size / 2) = [1, " + std::to_string(set.size / 2) + ")");
  const std::size_t nb = set.bands.size(), s = static_cast<std::size_t>(set.size);
  const std::size_t step = std::max<std::size_t>(1, rows.size() / 2000);
  std::vector<double> out;
  for (std::size_t b = 0; b < nb; ++b) {
    std::vector<double> v;
    for (std::size_t k = 0; k < rows.size(); k += step) {
      const float* img = set.images.data() + (rows[k] * nb + b) * s * s;
      for (std::size_t iy = 0; iy < s; ++iy)
        for (std::size_t ix = 0; ix < s; ++ix) {
          const std::size_t e = std::min({ix, iy, s - 1 - ix, s - 1 - iy});
          if (e < static_cast<std::size_t>(border)) v.push_back(img[iy * s + ix]);
        }
    }
    const double med = median(v);
    for (double& x : v) x = std::abs(x - med);
    out.push_back(1.4826 * median(v));
    sim::require(sim::positive(out.back()), "band " + set.bands[b] + " border MAD", out.back(),
                 "> 0 (stamps without noise cannot set the scale)");
  }
  return out;
}

torch::Tensor lens_inputs(const LensSet& set, const std::vector<std::size_t>& rows,
                          const std::vector<double>& sigma, int crop, double soften) {
  check_rows(set, rows);
  check_sigma(set, sigma);
  sim::require(crop >= 8 && crop <= set.size && crop % 2 == 0 && (set.size - crop) % 2 == 0, "crop",
               crop,
               "even, in [8, " + std::to_string(set.size) + "] (the stamp side, same parity)");
  const int64_t nb = static_cast<int64_t>(set.bands.size()), s = set.size;
  const torch::Tensor all =
      torch::from_blob(const_cast<float*>(set.images.data()),
                       {static_cast<int64_t>(stamp_count(set)), nb, s, s}, torch::kFloat32);
  std::vector<int64_t> idx(rows.begin(), rows.end());
  const int64_t off = (s - crop) / 2;
  const torch::Tensor x = all.index_select(0, torch::tensor(idx, torch::kLong))
                              .narrow(2, off, crop)
                              .narrow(3, off, crop)
                              .contiguous();
  return asinh_scale(x, torch::tensor(sigma, torch::kFloat64).to(torch::kFloat32), soften);
}

torch::Tensor lens_labels(const LensSet& set, const std::vector<std::size_t>& rows) {
  check_rows(set, rows);
  const auto& is_lens = set.truth.column("is_lens").as<bool>();
  sim::require(is_lens.size() == stamp_count(set), "truth rows",
               static_cast<double>(is_lens.size()),
               "one per stamp (" + std::to_string(stamp_count(set)) + ")");
  std::vector<int64_t> out;
  for (std::size_t r : rows) out.push_back(is_lens[r] ? 1 : 0);
  return torch::tensor(out, torch::kLong);
}

std::vector<std::string> lens_feature_names(const LensSet& set) {
  std::vector<std::string> names;
  for (const std::string& b : set.bands) names.push_back("resid_snr_" + b);
  for (const char* n :
       {"resid_asymmetry", "annulus_colour", "core_colour", "blue_excess_snr", "annulus_snr_blue"})
    names.emplace_back(n);
  return names;
}

torch::Tensor lens_features(const LensSet& set, const std::vector<std::size_t>& rows,
                            const std::vector<double>& sigma, double r_in, double r_out) {
  check_rows(set, rows);
  check_sigma(set, sigma);
  sim::require(r_in > 0 && r_out > r_in && std::isfinite(r_out), "r_out", r_out,
               "> r_in > 0 [arcsec]");
  const std::size_t nb = set.bands.size(), s = static_cast<std::size_t>(set.size);
  const std::size_t nf = nb + 5;
  torch::Tensor out =
      torch::empty({static_cast<int64_t>(rows.size()), static_cast<int64_t>(nf)}, torch::kFloat64);
  double* o = out.data_ptr<double>();
  // Pixel classes: 1 annulus, 2 core, 0 neither (centre at s / 2, pixel centres at +0.5).
  std::vector<int> zone(s * s, 0);
  double n_ann = 0, n_core = 0;
  for (std::size_t iy = 0; iy < s; ++iy)
    for (std::size_t ix = 0; ix < s; ++ix) {
      const double r = std::hypot(ix + 0.5 - 0.5 * s, iy + 0.5 - 0.5 * s) * set.pixel_scale;
      zone[iy * s + ix] = r < r_in ? 2 : (r <= r_out ? 1 : 0);
      n_ann += zone[iy * s + ix] == 1;
      n_core += zone[iy * s + ix] == 2;
    }
  sim::require(n_ann > 0 && n_core > 0, "r_in", r_in,
               "such that the core and the annulus hold pixels at pixel_scale " +
                   std::to_string(set.pixel_scale));
  const std::size_t blue = band_index(set, "g", 0), red = band_index(set, "i", nb - 1);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    double* f = o + k * nf;
    double resid_all = 0, abs_all = 0;
    std::vector<double> ann(nb, 0), core(nb, 0);
    for (std::size_t b = 0; b < nb; ++b) {
      const float* img = set.images.data() + (rows[k] * nb + b) * s * s;
      double resid = 0;
      for (std::size_t iy = 0; iy < s; ++iy)
        for (std::size_t ix = 0; ix < s; ++ix) {
          const int z = zone[iy * s + ix];
          const double v = img[iy * s + ix];
          if (z == 1) {
            const double r = std::abs(v - img[(s - 1 - iy) * s + (s - 1 - ix)]);
            resid += r;
            abs_all += std::abs(v);
            ann[b] += v;
          } else if (z == 2) {
            core[b] += v;
          }
        }
      resid_all += resid;
      f[b] = (resid - n_ann * 2 * sigma[b] / std::sqrt(M_PI)) / (sigma[b] * std::sqrt(n_ann));
    }
    f[nb] = abs_all > 0 ? resid_all / abs_all : NAN;
    auto colour = [&](double fb, double fr, double npix) {
      return -2.5 * std::log10(std::max(fb, sigma[blue] * std::sqrt(npix)) /
                               std::max(fr, sigma[red] * std::sqrt(npix)));
    };
    f[nb + 1] = colour(ann[blue], ann[red], n_ann);
    f[nb + 2] = colour(core[blue], core[red], n_core);
    const double alpha =
        std::max(core[blue], 0.0) / std::max(core[red], sigma[red] * std::sqrt(n_core));
    f[nb + 3] = (ann[blue] - alpha * ann[red]) /
                (std::sqrt(sigma[blue] * sigma[blue] + alpha * alpha * sigma[red] * sigma[red]) *
                 std::sqrt(n_ann));
    f[nb + 4] = ann[blue] / (sigma[blue] * std::sqrt(n_ann));
  }
  return out;
}

}  // namespace cosmograd::surveys
