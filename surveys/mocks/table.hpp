// Column tables for mock catalogues, and their HDF5 and FITS binary-table files.
//
// A Table is a named list of equal-length Columns (name, unit, one-line description, values of
// one type) plus numeric and string metadata. write_tables_hdf5 / write_tables_fits store a list
// of tables in one file, atomically (temporary name, then rename); the readers give back the
// same tables exactly (names, units, descriptions, values bit for bit, metadata in order).
//
// HDF5 layout: root attribute format = kMockTablesFormat; one group /<table> per table (its
// attributes: description, then the metadata in order, numbers as float64, strings as
// fixed-length ASCII); one 1-D dataset per column (float64, float32, int64, int32, bool as
// h5py's enum {FALSE=0, TRUE=1} on int8, fixed-length NULLPAD ASCII strings) with string
// attributes unit and description. Groups, datasets and attributes keep their creation order;
// columns above 4096 rows are chunked and compressed (shuffle + gzip 4).
//
// FITS layout: an empty primary HDU with CGFORMAT = kMockTablesFormat and NTABLES (the number
// of tables, so a file cut at an HDU boundary is detected), then one BINTABLE per
// table: EXTNAME = table name, TTYPEn/TFORMn (D, E, K, J, L, nA)/TUNITn (left out when empty),
// TCOMMn = column description, TABLDESC = table description, METAKEYS = the metadata names
// separated by spaces (which keywords are metadata, their exact case and order), then one
// keyword per metadata item: FITS keywords are case-insensitive and cfitsio writes them in upper
// case ("BoxSize" -> BOXSIZE; names longer than 8 characters use the HIERARCH convention).
// Long strings use the CONTINUE convention, which astropy reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cosmograd::surveys {

/// The values of one column. std::vector<bool> holds flags (FITS 'L', HDF5 bool enum, read by
/// astropy and h5py as bool); strings are printable ASCII without trailing spaces, stored
/// fixed-width (the longest value) on disk.
using ColumnValues =
    std::variant<std::vector<double>, std::vector<float>, std::vector<std::int64_t>,
                 std::vector<std::int32_t>, std::vector<bool>, std::vector<std::string>>;

/// One named column with a unit and a description; values of one type.
struct Column {
  std::string name;         ///< FITS TTYPE: 1-68 letters, digits, '_'; unique in its table
  std::string unit;         ///< FITS unit string ("deg", "km/s", "mag", "nJy", ""), <= 68 chars
  std::string description;  ///< one line of printable ASCII, no trailing space
  ColumnValues values;      ///< the values, one per row

  /// Number of values.
  std::size_t size() const;
  /// "float64", "float32", "int64", "int32", "bool" or "string".
  std::string type_name() const;
  /// The values as std::vector<T>; throws std::invalid_argument naming the column and both
  /// types when the column holds another type.
  template <class T>
  const std::vector<T>& as() const;
};

/// A named table of equal-length columns with metadata.
struct Table {
  std::string name;         ///< HDF5 group and FITS EXTNAME: 1-68 letters, digits, '_'
  std::string description;  ///< one line of printable ASCII, no trailing space
  std::vector<Column> columns;
  /// Numeric metadata (e.g. BoxSize, Redshift, Seed), finite values; names are 1-40 letters,
  /// digits, '_' starting with a letter, unique ignoring case with string_meta's, and not a
  /// name the formats use (description, format, FITS structural keywords).
  std::vector<std::pair<std::string, double>> numeric_meta;
  /// String metadata (e.g. the HOD model name): printable ASCII, no trailing space.
  std::vector<std::pair<std::string, std::string>> string_meta;

  /// Number of rows (0 without columns). Assumes validate() passes.
  std::size_t rows() const;
  /// Throws std::invalid_argument naming the table, the column or metadata item and the
  /// problem: unequal lengths, bad or duplicate names (ignoring case), bad unit characters,
  /// unprintable text, non-finite metadata.
  void validate() const;
  /// The column `name`; throws std::invalid_argument naming the table and listing its columns.
  const Column& column(const std::string& name) const;
  /// Appends a column and returns *this (checked by validate(), not here).
  Table& add(std::string column_name, std::string unit, std::string column_description,
             ColumnValues values);
};

/// The HDF5 root attribute `format` and the FITS primary keyword CGFORMAT of table files.
inline constexpr const char* kMockTablesFormat = "cosmograd mock tables 1";

/// Validates every table and checks their names are unique ignoring case (and none is
/// "PRIMARY"); throws std::invalid_argument.
void validate_tables(const std::vector<Table>& tables);

/// Writes `tables` to the HDF5 file `path` atomically (layout above); creates missing parent
/// directories. Throws std::invalid_argument for invalid tables (before touching the disk) and
/// CallError when a file operation fails; an existing file is replaced only on success.
void write_tables_hdf5(const std::string& path, const std::vector<Table>& tables);

/// Writes `tables` to the FITS file `path` atomically (layout above); errors as
/// write_tables_hdf5.
void write_tables_fits(const std::string& path, const std::vector<Table>& tables);

/// Reads every table of an HDF5 file written by write_tables_hdf5, in file order. Throws
/// std::runtime_error (CallError for failed library calls) naming the file and the missing or
/// bad object.
std::vector<Table> read_tables_hdf5(const std::string& path);

/// Reads every table of a FITS file written by write_tables_fits, in HDU order; errors as
/// read_tables_hdf5.
std::vector<Table> read_tables_fits(const std::string& path);

}  // namespace cosmograd::surveys
