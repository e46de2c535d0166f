// Convergence tiles from lightcone runs, their HDF5 file and the simulated observations (see
// mass_map_data.hpp).
#include "surveys/discovery/mass_map_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/sky/flat_fits.hpp"
#include "surveys/images/h5_arrays.hpp"

namespace cosmograd::surveys {
namespace {

constexpr const char* kFormat = "cosmograd-massmap-tiles-1";

/// The value of `key` in the run's config.ini ("" when absent).
std::string run_setting(const std::string& dir, const std::string& key) {
  std::ifstream in(dir + "/config.ini");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    if (trim(line.substr(0, eq)) == key) return trim(line.substr(eq + 1));
  }
  return "";
}

/// The stem "DIR/lightcone_kappa_NAME" of the one flat convergence map of run `dir`.
std::string kappa_stem(const std::string& key, const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir))
    throw std::invalid_argument(key + " = '" + dir +
                                "': not a directory (allowed: run "
                                "directories of `cosmograd run --lightcone true "
                                "--lightcone_field_deg D`)");
  std::vector<std::string> stems;
  const std::string pre = "lightcone_kappa_", post = "_flat.fits";
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > pre.size() + post.size() && name.compare(0, pre.size(), pre) == 0 &&
        name.compare(name.size() - post.size(), post.size(), post) == 0)
      stems.push_back(dir + "/" + name.substr(0, name.size() - post.size()));
  }
  if (stems.size() != 1)
    throw std::invalid_argument(key + " = '" + dir + "': has " + std::to_string(stems.size()) +
                                " flat convergence maps lightcone_kappa_*_flat.fits (allowed: "
                                "exactly one; run with --lightcone_field_deg > 0 and one "
                                "source_z)");
  return stems[0];
}

/// Reads the columns ell_mean, pixwin2, cl_limber_halofit of a _flat_cl.txt table.
void read_cl_table(const std::string& path, std::vector<double>& ell, std::vector<double>& cl,
                   std::vector<double>& pixwin2) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the C_ell table");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream row(line);
    double v[9];
    for (double& x : v)
      if (!(row >> x)) throw std::runtime_error(path + ": malformed row '" + line + "'");
    ell.push_back(v[0]);
    pixwin2.push_back(v[5]);
    cl.push_back(v[7]);
  }
  if (ell.size() < 2) throw std::runtime_error(path + ": fewer than 2 C_ell bins");
}

/// splitmix64: a well-mixed 64-bit hash for deriving per-tile seeds.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<std::size_t> MassMapTiles::indices(MassMapSplit s) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < split.size(); ++i)
    if (split[i] == static_cast<int>(s)) out.push_back(i);
  return out;
}

void MassMapTiles::validate() const {
  sim::require(size >= 2, "size", size, ">= 2 [pixels]");
  sim::require(sim::positive(pixel_rad), "pixel_rad", pixel_rad, "> 0 [rad]");
  sim::require(source_z > 0 && std::isfinite(source_z), "source_z", source_z, "> 0");
  const std::size_t n = count(), px = n * pixels();
  const auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("mass-map tiles: " + what + " has the wrong length");
  };
  need(kappa.size() == px, "kappa");
  need(gamma1.size() == px, "gamma1");
  need(gamma2.size() == px, "gamma2");
  need(run.size() == n && tile_x.size() == n && tile_y.size() == n, "run/tile_x/tile_y");
  need(cl_theory.size() == cl_ell.size() && cl_pixwin2.size() == cl_ell.size(), "cl tables");
  for (std::size_t i = 0; i < n; ++i) {
    if (split[i] < 0 || split[i] > 2)
      throw std::invalid_argument("mass-map tiles: split = " + std::to_string(split[i]) +
                                  " (allowed: 0 train, 1 validation, 2 test)");
    if (run[i] < 0 || run[i] >= static_cast<int>(runs.size()))
      throw std::invalid_argument("mass-map tiles: run index " + std::to_string(run[i]) +
                                  " outside the " + std::to_string(runs.size()) + " runs");
  }
}

std::vector<std::pair<int, int>> tile_origins(int n, int tile) {
  if (tile < 1 || tile > n)
    throw std::invalid_argument("tile = " + std::to_string(tile) + ": must be in [1, " +
                                std::to_string(n) + "] (the field's pixels per side)");
  std::vector<std::pair<int, int>> out;
  for (int ty = 0; ty < n / tile; ++ty)
    for (int tx = 0; tx < n / tile; ++tx) out.emplace_back(tx, ty);
  return out;
}

std::vector<float> cut_tile(const std::vector<double>& field, int n, int tile, int tx, int ty) {
  std::vector<float> out(static_cast<std::size_t>(tile) * tile);
  for (int y = 0; y < tile; ++y)
    for (int x = 0; x < tile; ++x)
      out[static_cast<std::size_t>(y) * tile + x] =
          static_cast<float>(field[static_cast<std::size_t>(ty * tile + y) * n +
                                   static_cast<std::size_t>(tx * tile + x)]);
  return out;
}

MassMapTiles make_mass_map_tiles(const std::vector<std::string>& train_runs,
                                 const std::vector<std::string>& validation_runs,
                                 const std::vector<std::string>& test_runs, int tile) {
  MassMapTiles t;
  t.size = tile;
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> parts = {
      {"train_runs", &train_runs},
      {"validation_runs", &validation_runs},
      {"test_runs", &test_runs}};
  std::ostringstream src;
  src << "flat Born convergence and Kaiser-Squires shear of cosmograd lightcone runs, tiles of "
      << tile << " pixels;";
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const std::string& key = parts[p].first;
    for (const std::string& dir : *parts[p].second) {
      const std::string stem = kappa_stem(key, dir);
      const std::string name = stem.substr(stem.rfind("lightcone_kappa_") + 16);
      const sim::FlatMap kappa = sim::read_flat_fits(stem + "_flat.fits");
      const sim::FlatMap g1 = sim::read_flat_fits(dir + "/lightcone_gamma1_" + name + "_flat.fits");
      const sim::FlatMap g2 = sim::read_flat_fits(dir + "/lightcone_gamma2_" + name + "_flat.fits");
      if (g1.n != kappa.n || g2.n != kappa.n)
        throw std::invalid_argument(key + " = '" + dir +
                                    "': shear and convergence maps differ "
                                    "in size");
      const double z = std::stod(
          run_setting(dir, "source_z").empty() ? std::string("nan") : run_setting(dir, "source_z"));
      if (!(z > 0))
        throw std::invalid_argument(key + " = '" + dir + "': config.ini has no single source_z");
      if (t.runs.empty()) {
        t.pixel_rad = kappa.pixel_rad();
        t.source_z = z;
        read_cl_table(stem + "_flat_cl.txt", t.cl_ell, t.cl_theory, t.cl_pixwin2);
      } else {
        if (std::abs(kappa.pixel_rad() / t.pixel_rad - 1) > 1e-6)
          throw std::invalid_argument(key + " = '" + dir + "': pixel " +
                                      std::to_string(kappa.pixel_rad()) +
                                      " rad differs from the first run's " +
                                      std::to_string(t.pixel_rad) + " rad (allowed: equal)");
        if (std::abs(z - t.source_z) > 1e-9)
          throw std::invalid_argument(key + " = '" + dir + "': source_z " + std::to_string(z) +
                                      " differs from the first run's " +
                                      std::to_string(t.source_z) + " (allowed: equal)");
      }
      const int r = static_cast<int>(t.runs.size());
      t.runs.push_back(dir);
      src << " " << key.substr(0, key.find('_')) << " " << dir << " (seed "
          << run_setting(dir, "seed") << ")";
      for (const auto& [tx, ty] : tile_origins(kappa.n, tile)) {
        for (auto [field, dst] :
             {std::pair{&kappa, &t.kappa}, std::pair{&g1, &t.gamma1}, std::pair{&g2, &t.gamma2}}) {
          const std::vector<float> v = cut_tile(field->values, kappa.n, tile, tx, ty);
          dst->insert(dst->end(), v.begin(), v.end());
        }
        t.split.push_back(static_cast<int>(p));
        t.run.push_back(r);
        t.tile_x.push_back(tx);
        t.tile_y.push_back(ty);
      }
    }
  }
  if (train_runs.empty() || test_runs.empty())
    throw std::invalid_argument(std::string(train_runs.empty() ? "train_runs" : "test_runs") +
                                " is empty (allowed: comma-separated run directories)");
  t.source = src.str();
  t.validate();
  return t;
}

void write_mass_map_tiles(const std::string& path, const MassMapTiles& t) {
  using namespace sim::detail;
  t.validate();
  const auto n = static_cast<hsize_t>(t.count()), s = static_cast<hsize_t>(t.size);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kFormat, path);
    h5_write_string_attribute(root.get(), "source", t.source, path);
    std::string runs;
    for (std::size_t i = 0; i < t.runs.size(); ++i) runs += (i ? "\n" : "") + t.runs[i];
    h5_write_string_attribute(root.get(), "runs", runs, path);
    h5_write_attribute(root.get(), "tile_pixels", t.size, path);
    h5_write_attribute(root.get(), "pixel_rad", t.pixel_rad, path);
    h5_write_attribute(root.get(), "pixel_arcmin", t.pixel_rad * 180 / M_PI * 60, path);
    h5_write_attribute(root.get(), "source_z", t.source_z, path);
    detail::write_floats(root.get(), "kappa", t.kappa, {n, s, s}, path);
    detail::write_floats(root.get(), "gamma1", t.gamma1, {n, s, s}, path);
    detail::write_floats(root.get(), "gamma2", t.gamma2, {n, s, s}, path);
    h5_write_dataset(root.get(), "split", H5T_STD_I32LE, t.split, 0, path);
    h5_write_dataset(root.get(), "run", H5T_STD_I32LE, t.run, 0, path);
    h5_write_dataset(root.get(), "tile_x", H5T_STD_I32LE, t.tile_x, 0, path);
    h5_write_dataset(root.get(), "tile_y", H5T_STD_I32LE, t.tile_y, 0, path);
    h5_write_dataset(root.get(), "cl_ell", H5T_IEEE_F64LE, t.cl_ell, 0, path);
    h5_write_dataset(root.get(), "cl_limber_halofit", H5T_IEEE_F64LE, t.cl_theory, 0, path);
    h5_write_dataset(root.get(), "cl_pixwin2", H5T_IEEE_F64LE, t.cl_pixwin2, 0, path);
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

MassMapTiles read_mass_map_tiles(const std::string& path) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = detail::root_string(root.get(), "format", path);
  if (format != kFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kFormat + "' (not a mass-map tile file of `discover massmap data`)");
  MassMapTiles t;
  t.source = detail::root_string(root.get(), "source", path);
  std::stringstream runs(detail::root_string(root.get(), "runs", path));
  for (std::string line; std::getline(runs, line);) t.runs.push_back(line);
  t.size = h5_read_scalar_attribute<int>(root.get(), "tile_pixels", path);
  t.pixel_rad = h5_read_scalar_attribute<double>(root.get(), "pixel_rad", path);
  t.source_z = h5_read_scalar_attribute<double>(root.get(), "source_z", path);
  std::vector<hsize_t> dims;
  t.kappa = detail::read_floats(root.get(), "kappa", 3, dims, path);
  const hsize_t n = dims[0], s = static_cast<hsize_t>(t.size);
  detail::require_shape(path, "kappa", dims, {n, s, s});
  t.gamma1 = detail::read_floats(root.get(), "gamma1", 3, dims, path);
  detail::require_shape(path, "gamma1", dims, {n, s, s});
  t.gamma2 = detail::read_floats(root.get(), "gamma2", 3, dims, path);
  detail::require_shape(path, "gamma2", dims, {n, s, s});
  for (auto [name, dst] : {std::pair{"split", &t.split}, std::pair{"run", &t.run},
                           std::pair{"tile_x", &t.tile_x}, std::pair{"tile_y", &t.tile_y}}) {
    *dst = detail::read_ints(root.get(), name, 1, dims, path);
    detail::require_shape(path, name, dims, {n});
  }
  t.cl_ell = h5_read_doubles(root.get(), "cl_ell", path);
  t.cl_theory = h5_read_doubles(root.get(), "cl_limber_halofit", path);
  t.cl_pixwin2 = h5_read_doubles(root.get(), "cl_pixwin2", path);
  try {
    t.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return t;
}

double MassMapNoise::sigma_pixel(double pixel_rad) const {
  const double arcmin = pixel_rad * 180 / M_PI * 60;
  return sigma_e / std::sqrt(n_gal * arcmin * arcmin);
}

void MassMapNoise::validate() const {
  sim::require(sigma_e >= 0 && std::isfinite(sigma_e), "sigma_e", sigma_e, ">= 0");
  sim::require(sim::positive(n_gal), "n_gal", n_gal, "> 0 [per arcmin^2]");
  sim::require(mask_fraction >= 0 && mask_fraction <= 0.6, "mask_fraction", mask_fraction,
               "in [0, 0.6]");
  sim::require(sim::positive(hole_min), "hole_min", hole_min, "> 0 [pixels]");
  sim::require(hole_max >= hole_min && std::isfinite(hole_max), "hole_max", hole_max,
               ">= hole_min [pixels]");
}

std::vector<float> random_hole_mask(int size, const MassMapNoise& noise, std::uint64_t seed) {
  const std::size_t px = static_cast<std::size_t>(size) * size;
  std::vector<float> mask(px, 1.0f);
  if (noise.mask_fraction <= 0) return mask;
  std::mt19937_64 rng(mix(seed));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::size_t masked = 0;
  for (int hole = 0; hole < 100000 && masked < noise.mask_fraction * px; ++hole) {
    const double cx = u(rng) * size, cy = u(rng) * size;
    const double r = noise.hole_min + (noise.hole_max - noise.hole_min) * u(rng);
    for (int y = std::max(0, static_cast<int>(cy - r) - 1);
         y <= std::min(size - 1, static_cast<int>(cy + r) + 1); ++y)
      for (int x = std::max(0, static_cast<int>(cx - r) - 1);
           x <= std::min(size - 1, static_cast<int>(cx + r) + 1); ++x) {
        const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        float& m = mask[static_cast<std::size_t>(y) * size + x];
        if (dx * dx + dy * dy <= r * r && m > 0) {
          m = 0;
          ++masked;
        }
      }
  }
  return mask;
}

MassMapObservation observe_tiles(const MassMapTiles& tiles, const std::vector<std::size_t>& rows,
                                 const MassMapNoise& noise, std::uint64_t seed, std::uint64_t draw,
                                 const std::vector<int>* flip, std::vector<float>* kappa) {
  noise.validate();
  const int T = tiles.size;
  const std::size_t px = tiles.pixels();
  if (flip != nullptr && flip->size() != rows.size())
    throw std::invalid_argument("observe_tiles: one flip per row needed");
  const double sigma = noise.sigma_pixel(tiles.pixel_rad);
  MassMapObservation o;
  o.gamma1.resize(rows.size() * px);
  o.gamma2.resize(rows.size() * px);
  o.mask.resize(rows.size() * px);
  if (kappa != nullptr) kappa->resize(rows.size() * px);
  for (std::size_t b = 0; b < rows.size(); ++b) {
    const std::size_t r = rows[b];
    if (r >= tiles.count()) throw std::invalid_argument("observe_tiles: row out of range");
    const std::uint64_t key = mix(mix(mix(seed) ^ r) ^ draw);
    const std::vector<float> mask = random_hole_mask(T, noise, key);
    std::mt19937_64 rng(mix(key + 1));
    std::normal_distribution<double> gauss(0.0, 1.0);
    const int f = flip ? (*flip)[b] : 0;
    const float s1 = (f & 4) ? -1.0f : 1.0f;
    const float s2 = (((f & 1) != 0) != ((f & 2) != 0)) ? -1.0f : 1.0f;
    for (int y = 0; y < T; ++y)
      for (int x = 0; x < T; ++x) {
        // Source pixel of output (x, y): undo transpose, then the mirrors.
        int sx = (f & 4) ? y : x, sy = (f & 4) ? x : y;
        if (f & 1) sx = T - 1 - sx;
        if (f & 2) sy = T - 1 - sy;
        const std::size_t src = r * px + static_cast<std::size_t>(sy) * T + sx;
        const std::size_t dst = b * px + static_cast<std::size_t>(y) * T + x;
        const float m = mask[static_cast<std::size_t>(y) * T + x];
        const double n1 = sigma * gauss(rng), n2 = sigma * gauss(rng);
        o.mask[dst] = m;
        o.gamma1[dst] = m * static_cast<float>(s1 * tiles.gamma1[src] + n1);
        o.gamma2[dst] = m * static_cast<float>(s2 * tiles.gamma2[src] + n2);
        if (kappa != nullptr) (*kappa)[dst] = tiles.kappa[src];
      }
  }
  return o;
}

}  // namespace cosmograd::surveys
