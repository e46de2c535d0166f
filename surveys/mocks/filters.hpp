// Photometric passbands and band integrals. A filter is a photon-counting response sampled on an
// observed-frame wavelength grid and taken as zero outside it. Every band integral is a trapezoid
// rule on the filter's own grid merged with caller-supplied points (the SED's grid points that
// fall inside the band), so a narrow emission line resolved on the SED grid contributes its
// integrated flux times the local throughput whatever the two grids are.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// A passband; its throughput is zero outside [wavelength.front(), wavelength.back()].
struct Filter {
  std::string name;                ///< band name, e.g. "r"
  std::vector<double> wavelength;  ///< observed-frame wavelength [Angstrom], strictly ascending
  std::vector<double> throughput;  ///< photon-counting response in [0, 1], one per wavelength
};

/// Throws std::invalid_argument (naming the field, index and value) unless f has a name, >= 2
/// samples, equal lengths, strictly ascending finite wavelengths > 0 [Angstrom], throughput in
/// [0, 1] and some throughput > 0.
void validate(const Filter& f);

/// Rows of a two-column numeric text file: x strictly ascending.
struct TwoColumnTable {
  std::vector<double> x;  ///< first column
  std::vector<double> y;  ///< second column
};

/// Reads a whitespace-separated two-column file ('#' starts a comment, blank lines allowed);
/// `columns` names the columns in messages; `check_row(x, y)` may throw std::invalid_argument.
/// Every error names the file and line.
TwoColumnTable read_two_column_table(const std::string& path, const std::string& columns,
                                     const std::function<void(double, double)>& check_row);

/// Reads a filter from a two-column file: wavelength [Angstrom], throughput in [0, 1].
Filter read_filter(const std::string& path, const std::string& name);

/// Names accepted by builtin_filters.
std::vector<std::string> builtin_filter_sets();

/// Built-in sets, bands u g r i z y: "lsst" (logistic edges of 66 A 10-90% width at the
/// approximate LSST band edges times a plausible peak throughput, sampled every 5 A) and
/// "tophat_ugrizy" (throughput 1 between the same edges). Unknown set: std::invalid_argument.
std::vector<Filter> builtin_filters(const std::string& set);

/// Throughput at observed wavelength `wavelength` [Angstrom] by linear interpolation; 0 outside.
double throughput_at(const Filter& f, double wavelength);

/// Trapezoid integral of g(lambda) T(lambda) d lambda [units of g times Angstrom] on the filter
/// grid merged with the points of `extra` (ascending, observed frame [Angstrom]) inside it.
double integrate_band(const Filter& f, const std::function<double(double)>& g,
                      const std::vector<double>& extra = {});

/// Photon-counting pivot wavelength sqrt(int T lambda dlambda / int T dlambda / lambda)
/// [Angstrom] (Tokunaga & Vacca 2005, PASP 117, 421).
double pivot_wavelength(const Filter& f);

}  // namespace cosmograd::surveys
