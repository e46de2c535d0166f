// Convergence tiles for mass mapping: non-overlapping square tiles cut from the flat Born
// convergence and shear maps of cosmograd lightcone runs (lightcone_kappa_NAME_flat.fits,
// lightcone_gamma{1,2}_NAME_flat.fits), split into training, validation and test runs, with the
// run's halofit Limber C_ell (the _flat_cl.txt table) as the theory prior, and the simulated
// observations: shape noise per pixel sigma_e / sqrt(n_gal A_pix) on each shear component and a
// mask of random circular holes (bright-star masks), where no shear is measured.
//
// The shear tiles are cut from the full field's Kaiser-Squires shear (periodic over the whole
// field, not over the tile), so a tile's shear carries the influence of the mass outside it,
// as a real survey patch does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// Which part of the data a tile belongs to (tiles of one run share it).
enum class MassMapSplit : int { train = 0, validation = 1, test = 2 };

/// Tiles of true convergence and noiseless shear with their provenance.
struct MassMapTiles {
  int size = 0;                   ///< tile side T [pixels]
  double pixel_rad = 0;           ///< pixel side [rad]
  double source_z = 0;            ///< source-plane redshift of the runs
  std::vector<float> kappa;       ///< N x T x T true convergence, [tile][iy][ix]
  std::vector<float> gamma1;      ///< N x T x T noiseless shear gamma_1 (along ix minus along iy)
  std::vector<float> gamma2;      ///< N x T x T noiseless shear gamma_2 (along the diagonal)
  std::vector<int> split;         ///< per tile: MassMapSplit as int (0 train, 1 validation, 2 test)
  std::vector<int> run;           ///< per tile: index into `runs`
  std::vector<int> tile_x;        ///< per tile: column of the tile in its field (ix0 = tile_x T)
  std::vector<int> tile_y;        ///< per tile: row of the tile in its field (iy0 = tile_y T)
  std::vector<std::string> runs;  ///< run directories the tiles were cut from
  std::vector<double> cl_ell;     ///< theory table: bin-centre multipoles ell of the first run
  std::vector<double> cl_theory;  ///< halofit Limber C_ell^kk at cl_ell (dimensionless)
  std::vector<double> cl_pixwin2;  ///< squared pixel window of the field map at cl_ell
  std::string source;              ///< how the tiles were made (command, seeds)
  /// Number of tiles N.
  std::size_t count() const { return split.size(); }
  /// Pixels per tile T^2.
  std::size_t pixels() const { return static_cast<std::size_t>(size) * size; }
  /// Indices of the tiles of split `s`, in file order.
  std::vector<std::size_t> indices(MassMapSplit s) const;
  /// Throws std::invalid_argument naming the first inconsistent field.
  void validate() const;
};

/// Where non-overlapping tiles of side `tile` lie in an n x n field: (tile_x, tile_y) for
/// tile_x, tile_y in [0, n / tile), row-major by tile_y; the remainder n % tile is left out.
/// Throws std::invalid_argument unless 1 <= tile <= n.
std::vector<std::pair<int, int>> tile_origins(int n, int tile);

/// Copies tile (tx, ty) of side `tile` out of the n x n row-major `field` (values[iy n + ix]).
std::vector<float> cut_tile(const std::vector<double>& field, int n, int tile, int tx, int ty);

/// Cuts every run directory of `train_runs`, `validation_runs`, `test_runs` into tiles of side
/// `tile` (the maps lightcone_kappa_NAME_flat.fits with its gamma maps and _flat_cl.txt; one
/// source per run). All runs must have the same pixel size and source redshift. Throws
/// std::invalid_argument naming the key and run when a run lacks the maps or does not match.
MassMapTiles make_mass_map_tiles(const std::vector<std::string>& train_runs,
                                 const std::vector<std::string>& validation_runs,
                                 const std::vector<std::string>& test_runs, int tile);

/// Writes `tiles` to the HDF5 file `path` atomically (format cosmograd-massmap-tiles-1).
void write_mass_map_tiles(const std::string& path, const MassMapTiles& tiles);
/// Reads a file of write_mass_map_tiles; throws std::runtime_error naming the file otherwise.
MassMapTiles read_mass_map_tiles(const std::string& path);

/// Shape noise and mask of the simulated observations.
struct MassMapNoise {
  double sigma_e = 0.26;        ///< intrinsic ellipticity rms per component
  double n_gal = 30;            ///< source density [galaxies per arcmin^2]
  double mask_fraction = 0.15;  ///< target masked fraction of each tile (holes added until >=)
  double hole_min = 1.0;        ///< smallest hole radius [pixels]
  double hole_max = 4.0;        ///< largest hole radius [pixels]
  /// Shear noise rms per pixel and component, sigma_e / sqrt(n_gal A_pix) (A_pix in arcmin^2).
  double sigma_pixel(double pixel_rad) const;
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// Noisy masked shear of a batch of tiles: gamma_obs = mask (gamma + n), n ~ N(0, sigma_pixel^2)
/// per component, mask 1 where shear is measured and 0 inside the holes.
struct MassMapObservation {
  std::vector<float> gamma1;  ///< B x T x T observed gamma_1 (0 in masked pixels)
  std::vector<float> gamma2;  ///< B x T x T observed gamma_2 (0 in masked pixels)
  std::vector<float> mask;    ///< B x T x T, 1 observed, 0 masked
};

/// A T x T mask of random circular holes (radii uniform in [hole_min, hole_max] pixels, centres
/// uniform over the tile, not wrapped) added until the masked fraction reaches mask_fraction;
/// deterministic in `seed`.
std::vector<float> random_hole_mask(int size, const MassMapNoise& noise, std::uint64_t seed);

/// Observations of the tiles `rows` of `tiles`, each drawn from seed (seed, row, draw): the same
/// arguments give the same noise and mask. `flip` (optional, one per row: 0..7) applies a
/// dihedral transform to each tile first (bit 0: mirror ix -> T-1-ix, gamma_2 -> -gamma_2;
/// bit 1: mirror iy, gamma_2 -> -gamma_2; bit 2: transpose, gamma_1 -> -gamma_1) and returns
/// the transformed true kappa in `kappa`.
MassMapObservation observe_tiles(const MassMapTiles& tiles, const std::vector<std::size_t>& rows,
                                 const MassMapNoise& noise, std::uint64_t seed,
                                 std::uint64_t draw = 0, const std::vector<int>* flip = nullptr,
                                 std::vector<float>* kappa = nullptr);

}  // namespace cosmograd::surveys
