// `cosmograd mock blends`: BTK-style blend stamps for deblenders (Mendoza et al. 2024, the
// BlendingToolKit) from a lightcone galaxy mock: noisy multi-band blends, every galaxy's
// isolated image, segmentation maps and a per-galaxy truth table (surveys/images/blend_set.hpp).
#include <algorithm>
#include <sstream>

#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/log.hpp"
#include "surveys/images/blend_set.hpp"

namespace cosmograd::apps {
namespace {

/// summary.txt: stamps, galaxies, the n_galaxies histogram and the blendedness statistics.
std::string blend_summary(const surveys::BlendSet& set) {
  std::vector<double> blend = set.truth.column("blendedness").as<double>();
  std::vector<std::size_t> histogram(static_cast<std::size_t>(set.max_blend) + 1, 0);
  for (std::int32_t n : set.n_galaxies) ++histogram[static_cast<std::size_t>(n)];
  const auto blended = std::count_if(blend.begin(), blend.end(), [](double b) { return b > 0.1; });
  std::sort(blend.begin(), blend.end());
  std::ostringstream s;
  s << "# cosmograd mock blends\nstamps " << set.count() << "\ngalaxies " << blend.size()
    << "\n# n_galaxies stamps\n";
  for (std::size_t n = 1; n < histogram.size(); ++n)
    s << "n_galaxies_" << n << " " << histogram[n] << "\n";
  s << "blendedness_median " << (blend.empty() ? 0.0 : blend[blend.size() / 2])
    << "\nblendedness_above_0.1_fraction "
    << (blend.empty() ? 0.0 : static_cast<double>(blended) / static_cast<double>(blend.size()))
    << "\n# band sigma_background[nJy/pixel]\n";
  for (std::size_t b = 0; b < set.bands.size(); ++b)
    s << set.bands[b] << " " << set.sigma[b] << "\n";
  return s.str();
}

}  // namespace

int mock_blends(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"count", "", "500", "stamps"},
      {"size", "pixels", "120", "stamp side"},
      {"pixel_scale", "arcsec", "0.2", "pixel side"},
      {"min_blend", "", "1", "fewest galaxies per stamp"},
      {"max_blend", "", "4", "most galaxies per stamp (count uniform in [min, max])"},
      {"max_shift", "arcsec", "2", "offsets from the centre uniform in +-max_shift per axis"},
      {"ref_band", "", "i", "band of max_mag, blendedness, S/N and segmentation"},
      {"max_mag", "mag", "25.3", "galaxies with ref_band mag <= this (LSST gold sample)"},
      {"bands", "", "", "bands to draw (empty: every mag_true_<band> of the table)"},
      {"psf_fwhm", "arcsec", "u:0.92,g:0.87,r:0.83,i:0.80,z:0.78,y:0.76",
       "Moffat FWHM per band (LSST delivered seeing, Ivezic et al. 2019); others 0.8"},
      {"psf_beta", "", "3.5", "Moffat beta"},
      {"sky", "mag/arcsec^2", "u:22.9,g:22.3,r:21.2,i:20.5,z:19.6,y:18.6",
       "sky brightness per band (LSST dark sky, Ivezic et al. 2019); others 21.2"},
      {"read_noise", "electrons", "9", "read noise per pixel"},
      {"segmentation_sigma", "", "1",
       "segment threshold in background sigma of ref_band (noiseless isolated images)"},
      generative_model_key(),
      {"seed", "", "1", "random seed"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "blends", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "mock blends",
      "usage: cosmograd mock blends [config.ini] --galaxies DIR/galaxies.h5 [--count 500] "
      "[--key value ...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty()) throw std::invalid_argument("cosmograd mock blends: give --galaxies FILE");
  surveys::BlendSetOptions o;
  o.count = static_cast<int>(s.get_int("count"));
  o.size = static_cast<int>(s.get_int("size"));
  o.pixel_scale = s.get_double("pixel_scale");
  o.min_blend = static_cast<int>(s.get_int("min_blend"));
  o.max_blend = static_cast<int>(s.get_int("max_blend"));
  o.max_shift = s.get_double("max_shift");
  o.ref_band = s.get_string("ref_band");
  o.max_mag = s.get_double("max_mag");
  o.bands = sim::split_list(s.get_string("bands"));
  o.psf_fwhm = band_values(s, "psf_fwhm");
  o.psf_beta = s.get_double("psf_beta");
  o.sky_mag = band_values(s, "sky");
  o.read_noise = s.get_double("read_noise");
  o.segmentation_sigma = s.get_double("segmentation_sigma");
  o.seed = seed_setting(s);
  o.validate();
  o.painter = generative_painter(s, o.seed);
  const surveys::Table galaxies = read_galaxy_table(path);
  const surveys::BlendSet set = surveys::make_blend_set(galaxies, mock_cosmology(galaxies), o);

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  std::vector<std::string> files = {dir + "/blends.h5"};
  surveys::write_blend_set(files[0], set, o.pixel_scale);
  for (const auto& f : write_mock_tables(dir + "/truth", {set.truth}, "both")) files.push_back(f);
  std::vector<std::size_t> first(16);
  for (std::size_t k = 0; k < first.size(); ++k) first[k] = k;
  if (write_stamp_grid_png(dir + "/blend_examples.png", set.images, set.bands.size(), set.size,
                           first, std::clamp(128 / o.size, 1, 4)))
    files.push_back(dir + "/blend_examples.png");
  finish_mock_dir(out, files, blend_summary(set), s, "cosmograd mock blends");
  sim::log_info("mock blends: ", set.count(), " stamps of ", set.truth.rows(), " galaxies in ",
                dir);
  return 0;
}

}  // namespace cosmograd::apps
