// What inference reads of a campaign (driver/campaign.hpp): the split into training,
// validation, held-out and fiducial simulations, their summary vectors (ln P(k), bispectrum
// B(k1, k2, k3)) and density fields, streamed from the summary files on demand.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "driver/campaign.hpp"

namespace cosmograd::inference {

/// Which summary of a simulation is used.
enum class SummaryKind {
  density,          ///< the density-contrast mesh (for the field-level compressor)
  power,            ///< ln P(k) of the bins with k <= k_max
  power_bispectrum  ///< ln P(k), then B of the triangles with k1, k2, k3 <= k_max
};
/// Parses "density", "power" or "power_bispectrum"; throws std::invalid_argument naming `key`.
SummaryKind parse_summary_kind(const std::string& name, const std::string& key = "summary");
/// The name of a summary kind.
const char* summary_kind_name(SummaryKind k);

/// A campaign split by role (design entries ordered by index).
struct CampaignSplit {
  std::vector<std::string> parameters;            ///< varied parameter names
  std::vector<driver::CampaignEntry> train;       ///< design points for training
  std::vector<driver::CampaignEntry> validation;  ///< design points for early stopping
  std::vector<driver::CampaignEntry> test;        ///< held-out design points (the last ones)
  std::vector<driver::CampaignEntry> fiducial;    ///< fiducial simulations (covariances)
};

/// Reads dir/manifest.txt and splits its design points: the last `test` are held out, the
/// `validation` before them validate, the rest train; throws std::invalid_argument when fewer
/// than test + validation + 1 design points are complete.
CampaignSplit split_campaign(const std::string& dir, int validation, int test);

/// The summary vector of one file: ln P(k) for k <= k_max (0: every bin), then, for
/// power_bispectrum, B [(Mpc/h)^6] of the triangles whose sides are all <= k_max. Throws
/// std::runtime_error naming the file when the summary is missing or P <= 0.
std::vector<double> read_summary_vector(const std::string& file, SummaryKind kind, double k_max);
/// How many leading entries of read_summary_vector() are ln P (the rest are B).
std::size_t power_entries(const std::string& file, double k_max);

/// The density-contrast mesh of one file (n^3 float32, C order); throws naming the file when it
/// has none.
std::vector<float> read_density_field(const std::string& file, int* n);

/// Density fields of a list of files, read on demand and kept in memory up to `cache_bytes`
/// (so data sets larger than memory stream from disk).
class FieldStream {
 public:
  /// The fields of `files`, all of mesh n (checked on first read).
  FieldStream(std::vector<std::string> files, std::size_t cache_bytes);
  /// Field i (n^3 values).
  const std::vector<float>& get(std::size_t i);
  /// Number of files.
  std::size_t size() const { return files_.size(); }
  /// Cells per side (reads the first file).
  int mesh();

 private:
  std::vector<std::string> files_;
  std::size_t cache_bytes_, cached_bytes_ = 0;
  std::map<std::size_t, std::vector<float>> cache_;
  std::vector<float> scratch_;
  int mesh_ = 0;
};

}  // namespace cosmograd::inference
