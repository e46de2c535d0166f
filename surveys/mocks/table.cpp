// Column tables and their HDF5 / FITS files; see table.hpp for the layouts.
#include "surveys/mocks/table.hpp"

#include <fitsio.h>
#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "sim/core/atomic_file.hpp"
#include "sim/core/check.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/sky/detail/fits_file.hpp"

namespace cosmograd::surveys {
namespace {

using sim::detail::FitsHandle;
using sim::detail::h5_check;
using sim::detail::H5Id;

/// Per alternative of ColumnValues: its name, FITS TFORM letter, the cfitsio datatype used to
/// read and write it and the code fits_get_eqcoltype reports for it.
struct TypeInfo {
  const char* name;
  char tform;
  int fits_type;
  int fits_code;
};
constexpr TypeInfo kTypes[] = {
    {"float64", 'D', TDOUBLE, TDOUBLE},   {"float32", 'E', TFLOAT, TFLOAT},
    {"int64", 'K', TLONGLONG, TLONGLONG}, {"int32", 'J', TINT, TLONG},
    {"bool", 'L', TLOGICAL, TLOGICAL},    {"string", 'A', TSTRING, TSTRING}};
constexpr std::size_t kBool = 4, kString = 5;
constexpr hsize_t kChunkAbove = 4096;  // HDF5 columns longer than this are chunked and gzipped
static_assert(sizeof(int) == 4 && sizeof(LONGLONG) == 8, "cfitsio TINT / TLONGLONG sizes");

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_word(const std::string& s, std::size_t max_size) {
  return !s.empty() && s.size() <= max_size && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Printable ASCII without a trailing space (FITS drops trailing spaces of strings).
bool is_text(const std::string& s) {
  return sim::detail::printable(s) && (s.empty() || s.back() != ' ');
}

bool is_unit(const std::string& s) {
  return s.size() <= 68 && is_text(s) && (s.empty() || s.front() != ' ') &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) ||
                  std::strchr(" /*.^()+-_", c) != nullptr;
         });
}

// Metadata names the formats use themselves: fixed names, and indexed ones like TTYPE3.
bool reserved_meta(const std::string& name) {
  static const char* const kFixed[] = {
      "DESCRIPTION", "FORMAT",   "SIMPLE",   "XTENSION", "BITPIX",   "PCOUNT",   "GCOUNT",
      "TFIELDS",     "EXTNAME",  "EXTVER",   "EXTLEVEL", "EXTEND",   "THEAP",    "END",
      "COMMENT",     "HISTORY",  "CONTINUE", "HIERARCH", "LONGSTRN", "CHECKSUM", "DATASUM",
      "INHERIT",     "CGFORMAT", "NTABLES",  "TABLDESC", "METAKEYS"};
  static const char* const kIndexed[] = {"NAXIS", "TTYPE", "TFORM", "TUNIT", "TCOMM",
                                         "TNULL", "TSCAL", "TZERO", "TDISP", "TDIM"};
  const std::string u = upper(name);
  const std::string stem = u.substr(0, u.find_last_not_of("0123456789") + 1);
  return std::any_of(std::begin(kFixed), std::end(kFixed), [&](const char* r) { return u == r; }) ||
         std::any_of(std::begin(kIndexed), std::end(kIndexed),
                     [&](const char* r) { return stem == r; });
}

// The width of a string column on disk: its longest value, at least 1.
std::size_t string_width(const ColumnValues& values) {
  std::size_t w = 1;
  if (const auto* v = std::get_if<std::vector<std::string>>(&values))
    for (const std::string& s : *v) w = std::max(w, s.size());
  return w;
}

// Values of alternative `index` of ColumnValues, n of them.
template <std::size_t I = 0>
ColumnValues make_values(std::size_t index, std::size_t n) {
  if constexpr (I + 1 < std::variant_size_v<ColumnValues>) {
    if (index != I) return make_values<I + 1>(index, n);
  }
  return std::variant_alternative_t<I, ColumnValues>(n);
}

// Rows [first, first + n) as the libraries take them: numbers in place, bools as bytes 0/1,
// strings NUL-padded to `stride` bytes each (in `bytes`).
const void* raw_rows(const ColumnValues& values, std::size_t first, std::size_t n,
                     std::size_t stride, std::vector<char>& bytes) {
  return std::visit(
      [&](const auto& v) -> const void* {
        using T = typename std::decay_t<decltype(v)>::value_type;
        const auto begin = v.begin() + static_cast<std::ptrdiff_t>(first);
        if constexpr (std::is_same_v<T, bool>) {
          bytes.assign(begin, begin + static_cast<std::ptrdiff_t>(n));
        } else if constexpr (std::is_same_v<T, std::string>) {
          bytes.assign(n * stride, '\0');
          for (std::size_t i = 0; i < n; ++i)
            std::memcpy(&bytes[i * stride], begin[i].data(), begin[i].size());
        } else {
          return v.data() + first;
        }
        return bytes.data();
      },
      values);
}

// Fills sized `values` through read(buffer): numbers straight into the vector, bools and strings
// (rows of `stride` bytes, NUL- or space-padded) through a byte buffer.
template <class Read>
void fill_values(ColumnValues& values, std::size_t stride, Read read) {
  std::visit(
      [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if (v.empty()) return;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          read(static_cast<void*>(v.data()));
        } else {
          std::vector<char> bytes(v.size() * stride, '\0');
          read(static_cast<void*>(bytes.data()));
          for (std::size_t i = 0; i < v.size(); ++i) {
            const char* row = &bytes[i * stride];
            if constexpr (std::is_same_v<T, bool>) {
              v[i] = *row != 0;
            } else {
              v[i].assign(row, strnlen(row, stride));
              v[i].erase(v[i].find_last_not_of(' ') + 1);  // FITS pads with spaces
            }
          }
        }
      },
      values);
}

// ---------------------------------------------------------------------------------- HDF5

// Silences HDF5's own error printing while alive (errors are reported by exceptions).
class H5Quiet {
 public:
  H5Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~H5Quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  H5Quiet(const H5Quiet&) = delete;
  H5Quiet& operator=(const H5Quiet&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// A file or group creation property list without times that keeps link and attribute order.
H5Id ordered_plist(hid_t cls, const std::string& ctx) {
  H5Id p = sim::detail::h5_untimed_plist(cls, ctx);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  h5_check(H5Pset_link_creation_order(p.get(), order), "H5Pset_link_creation_order", ctx);
  h5_check(H5Pset_attr_creation_order(p.get(), order), "H5Pset_attr_creation_order", ctx);
  return p;
}

// The HDF5 type of alternative `index` (in memory and on disk): native numbers, h5py's bool
// (an enum on int8, FALSE = 0 and TRUE = 1), fixed-length NULL-padded ASCII of `width` bytes.
H5Id h5_element_type(std::size_t index, std::size_t width, const std::string& ctx) {
  const hid_t base[] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_FLOAT, H5T_NATIVE_INT64,
                        H5T_NATIVE_INT32,  H5T_NATIVE_INT8,  H5T_C_S1};
  H5Id t(h5_check(index == kBool ? H5Tenum_create(base[index]) : H5Tcopy(base[index]),
                  index == kBool ? "H5Tenum_create" : "H5Tcopy", ctx),
         H5Tclose);
  if (index == kBool) {
    const std::int8_t no = 0, yes = 1;
    h5_check(H5Tenum_insert(t.get(), "FALSE", &no), "H5Tenum_insert", ctx);
    h5_check(H5Tenum_insert(t.get(), "TRUE", &yes), "H5Tenum_insert", ctx);
  } else if (index == kString) {
    h5_check(H5Tset_size(t.get(), width), "H5Tset_size", ctx);
    h5_check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad", ctx);
  }
  return t;
}

// The alternative of ColumnValues that the dataset type `type` holds; throws otherwise.
std::size_t h5_type_index(hid_t type, const std::string& ctx) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  const bool is_signed = cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2;
  if (cls == H5T_FLOAT && (size == 8 || size == 4)) return size == 8 ? 0 : 1;
  if (is_signed && (size == 8 || size == 4)) return size == 8 ? 2 : 3;
  if (cls == H5T_ENUM && size == 1) return kBool;
  if (cls == H5T_STRING && H5Tis_variable_str(type) == 0) return kString;
  throw std::runtime_error(ctx +
                           ": unsupported element type (expected float64, float32, int64, "
                           "int32, bool enum or fixed-length string)");
}

void write_column_hdf5(hid_t group, const Column& c, const std::string& where) {
  const std::string ctx = where + "/" + c.name;
  const hsize_t n = c.size();
  const H5Id type = h5_element_type(c.values.index(), string_width(c.values), ctx);
  const H5Id space = sim::detail::h5_dataspace({n}, ctx);
  const H5Id dcpl = sim::detail::h5_untimed_plist(H5P_DATASET_CREATE, ctx);
  if (n > kChunkAbove) {
    const hsize_t bytes = H5Tget_size(type.get());
    const hsize_t chunk = std::min(n, std::max<hsize_t>(kChunkAbove, (hsize_t{1} << 20) / bytes));
    h5_check(H5Pset_chunk(dcpl.get(), 1, &chunk), "H5Pset_chunk", ctx);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
      h5_check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", ctx);
      h5_check(H5Pset_deflate(dcpl.get(), 4), "H5Pset_deflate", ctx);
    }
  }
  H5Id dset(h5_check(H5Dcreate2(group, c.name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT),
                     "H5Dcreate2", ctx),
            H5Dclose);
  if (n > 0) {
    std::vector<char> bytes;
    const void* data = raw_rows(c.values, 0, n, string_width(c.values), bytes);
    h5_check(H5Dwrite(dset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite",
             ctx);
  }
  sim::detail::h5_write_string_attribute(dset.get(), "unit", c.unit, ctx);
  sim::detail::h5_write_string_attribute(dset.get(), "description", c.description, ctx);
  dset.close("H5Dclose", ctx);
}

// Names of the links (or the attributes) of `loc` in creation order, which our files track.
std::vector<std::string> h5_names(hid_t loc, bool attributes, const std::string& ctx) {
  std::vector<std::string> names;
  if (attributes) {
    auto add = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
      static_cast<std::vector<std::string>*>(out)->emplace_back(name);
      return 0;
    };
    h5_check(H5Aiterate2(loc, H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr, add, &names), "H5Aiterate2",
             ctx);
    return names;
  }
  H5G_info_t info;
  h5_check(H5Gget_info(loc, &info), "H5Gget_info", ctx);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256] = {0};  // table and column names have at most 68 characters
    h5_check(H5Lget_name_by_idx(loc, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, sizeof name,
                                H5P_DEFAULT),
             "H5Lget_name_by_idx", ctx);
    names.emplace_back(name);
  }
  return names;
}

std::string h5_text_attribute(hid_t loc, const std::string& name, const std::string& where) {
  if (!sim::detail::h5_has_attribute(loc, name, where))
    throw std::runtime_error(where + ": missing attribute " + name);
  return sim::detail::h5_read_string_attribute(loc, name, where);
}

Column read_column_hdf5(hid_t group, const std::string& name, const std::string& where) {
  const std::string ctx = where + "/" + name;
  H5Id d(h5_check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), "H5Dopen2", ctx), H5Dclose);
  const std::vector<hsize_t> shape = sim::detail::h5_dataset_shape(d.get(), ctx);
  if (shape.size() != 1) {
    throw std::runtime_error(ctx + ": a column must be 1-D, not of shape " +
                             sim::detail::h5_shape_string(shape));
  }
  const H5Id disk(h5_check(H5Dget_type(d.get()), "H5Dget_type", ctx), H5Tclose);
  const std::size_t index = h5_type_index(disk.get(), ctx);
  const std::size_t width = H5Tget_size(disk.get());
  const H5Id mem = h5_element_type(index, width, ctx);
  Column c{name, h5_text_attribute(d.get(), "unit", ctx),
           h5_text_attribute(d.get(), "description", ctx), make_values(index, shape[0])};
  fill_values(c.values, index == kString ? width : 1, [&](void* buf) {
    h5_check(H5Dread(d.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "H5Dread", ctx);
  });
  return c;
}

Table read_table_hdf5(hid_t file, const std::string& name, const std::string& path) {
  const std::string where = path + ": /" + name;
  H5Id group(h5_check(H5Oopen(file, name.c_str(), H5P_DEFAULT), "H5Oopen", where), H5Oclose);
  if (H5Iget_type(group.get()) != H5I_GROUP)
    throw std::runtime_error(where + ": expected a group (one per table)");
  Table t{name, h5_text_attribute(group.get(), "description", where), {}, {}, {}};
  for (const std::string& attr : h5_names(group.get(), true, where)) {
    if (attr == "description") continue;
    H5Id a(h5_check(H5Aopen(group.get(), attr.c_str(), H5P_DEFAULT), "H5Aopen", where), H5Aclose);
    H5Id type(h5_check(H5Aget_type(a.get()), "H5Aget_type", where), H5Tclose);
    if (H5Tget_class(type.get()) == H5T_STRING) {
      t.string_meta.emplace_back(attr,
                                 sim::detail::h5_read_string_attribute(group.get(), attr, where));
    } else {
      t.numeric_meta.emplace_back(
          attr, sim::detail::h5_read_scalar_attribute<double>(group.get(), attr, where));
    }
  }
  for (const std::string& col : h5_names(group.get(), false, where))
    t.columns.push_back(read_column_hdf5(group.get(), col, where));
  return t;
}

// ---------------------------------------------------------------------------------- FITS

void fits_check(int status, const std::string& where, const char* call) {
  if (status != 0) sim::detail::fits_failed(status, where, call);
}

// Writes a string keyword, with the long-string (CONTINUE) convention when needed.
void fits_write_text(const FitsHandle& h, const std::string& key, const std::string& value,
                     const char* comment, const std::string& where) {
  // cfitsio 4.2 splits long HIERARCH values correctly only when the prefix is explicit.
  const std::string card = key.size() > 8 ? "HIERARCH " + key : key;
  int status = 0;
  fits_write_key_longstr(h.f, card.c_str(), value.c_str(), comment, &status);
  fits_check(status, where + ": keyword " + key, "fits_write_key_longstr");
}

// Reads a string keyword (long-string convention) into `out`; false when absent.
bool fits_read_text(const FitsHandle& h, const std::string& key, std::string* out,
                    const std::string& where) {
  char* value = nullptr;
  int status = 0, ignored = 0;
  fits_read_key_longstr(h.f, key.c_str(), &value, nullptr, &status);
  if (status == 0) *out = value;
  if (value != nullptr) fits_free_memory(value, &ignored);
  if (status == KEY_NO_EXIST) fits_clear_errmsg();
  if (status != KEY_NO_EXIST)
    fits_check(status, where + ": keyword " + key, "fits_read_key_longstr");
  return status == 0;
}

// Rows [first, first + n) of column `col` (1-based, strings `width` wide) to the current HDU.
void write_fits_rows(const FitsHandle& h, int col, const Column& c, std::size_t width,
                     std::size_t first, std::size_t n, const std::string& where) {
  const std::size_t index = c.values.index(), stride = width + 1;
  std::vector<char> bytes;
  const void* data = raw_rows(c.values, first, n, stride, bytes);
  std::vector<char*> rows;  // cfitsio takes strings as an array of pointers
  for (std::size_t i = 0; index == kString && i < n; ++i) rows.push_back(&bytes[i * stride]);
  int status = 0;
  fits_write_col(h.f, kTypes[index].fits_type, col, static_cast<LONGLONG>(first) + 1, 1,
                 static_cast<LONGLONG>(n), index == kString ? rows.data() : const_cast<void*>(data),
                 &status);
  fits_check(status, where + ": column " + c.name, "fits_write_col");
}

void write_table_fits(const FitsHandle& h, const Table& t, const std::string& path) {
  const std::string where = path + ": table " + t.name;
  std::vector<std::string> forms;
  std::vector<std::size_t> widths;
  std::vector<char*> ttype, tform, tunit;
  for (const Column& c : t.columns) {
    const std::size_t i = c.values.index();
    widths.push_back(string_width(c.values));
    forms.push_back((i == kString ? std::to_string(widths.back()) : "") + kTypes[i].tform);
  }
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    ttype.push_back(const_cast<char*>(t.columns[i].name.c_str()));
    tform.push_back(const_cast<char*>(forms[i].c_str()));
    tunit.push_back(const_cast<char*>(t.columns[i].unit.c_str()));  // "" writes no TUNITn
  }
  int status = 0;
  fits_create_tbl(h.f, BINARY_TBL, static_cast<LONGLONG>(t.rows()), static_cast<int>(ttype.size()),
                  ttype.data(), tform.data(), tunit.data(), t.name.c_str(), &status);
  fits_check(status, where, "fits_create_tbl");
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (!t.columns[i].description.empty()) {
      fits_write_text(h, "TCOMM" + std::to_string(i + 1), t.columns[i].description,
                      "description of the column", where);
    }
  }
  if (!t.description.empty())
    fits_write_text(h, "TABLDESC", t.description, "table description", where);
  std::string names;
  std::vector<sim::FitsKeyword> numbers;
  for (const auto& [key, value] : t.numeric_meta) {
    names += (names.empty() ? "" : " ") + key;
    numbers.push_back({key, value, ""});
  }
  for (const auto& m : t.string_meta) names += (names.empty() ? "" : " ") + m.first;
  if (!names.empty()) fits_write_text(h, "METAKEYS", names, "names of the metadata", where);
  sim::detail::write_keywords(h, numbers, {});  // integers exactly, others with 17 digits
  for (const auto& [key, value] : t.string_meta) fits_write_text(h, key, value, nullptr, where);

  long chunk = 0;  // cfitsio's optimal number of rows per write
  fits_get_rowsize(h.f, &chunk, &status);
  fits_check(status, where, "fits_get_rowsize");
  const std::size_t step = static_cast<std::size_t>(std::max(chunk, 1L));
  for (std::size_t first = 0; first < t.rows(); first += step) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      write_fits_rows(h, static_cast<int>(i) + 1, t.columns[i], widths[i], first,
                      std::min(step, t.rows() - first), where);
    }
  }
}

Column read_column_fits(const FitsHandle& h, int col, std::size_t rows, const std::string& where) {
  const std::string n = std::to_string(col);
  Column c;
  if (!fits_read_text(h, "TTYPE" + n, &c.name, where))
    throw std::runtime_error(where + ": missing keyword TTYPE" + n);
  fits_read_text(h, "TUNIT" + n, &c.unit, where);
  fits_read_text(h, "TCOMM" + n, &c.description, where);
  const std::string ctx = where + ": column " + c.name;
  int code = 0, status = 0;
  LONGLONG repeat = 0, width = 0;
  fits_get_eqcoltypell(h.f, col, &code, &repeat, &width, &status);
  fits_check(status, ctx, "fits_get_eqcoltypell");
  const auto* info = std::find_if(std::begin(kTypes), std::end(kTypes),
                                  [&](const TypeInfo& k) { return k.fits_code == code; });
  if (info == std::end(kTypes) || (code != TSTRING && repeat != 1))
    throw std::runtime_error(ctx + ": unsupported TFORM (expected D, E, K, J, L or nA)");
  const auto index = static_cast<std::size_t>(info - std::begin(kTypes));
  const std::size_t stride = index == kString ? static_cast<std::size_t>(repeat) + 1 : 1;
  c.values = make_values(index, rows);
  fill_values(c.values, stride, [&](void* buf) {
    std::vector<char*> ptrs;  // cfitsio reads strings through an array of pointers
    for (std::size_t i = 0; index == kString && i < rows; ++i)
      ptrs.push_back(static_cast<char*>(buf) + i * stride);
    char empty[] = "";
    int anynul = 0;
    fits_read_col(h.f, info->fits_type, col, 1, 1, static_cast<LONGLONG>(rows),
                  index == kString ? static_cast<void*>(empty) : nullptr,
                  index == kString ? static_cast<void*>(ptrs.data()) : buf, &anynul, &status);
    fits_check(status, ctx, "fits_read_col");
  });
  return c;
}

Table read_table_fits(const FitsHandle& h, int hdu, const std::string& path) {
  std::string where = path + ": HDU " + std::to_string(hdu);
  int type = 0, status = 0, cols = 0;
  fits_movabs_hdu(h.f, hdu, &type, &status);
  fits_check(status, where, "fits_movabs_hdu");
  Table t;
  if (type != BINARY_TBL || !fits_read_text(h, "EXTNAME", &t.name, where))
    throw std::runtime_error(where + " is not a binary table with an EXTNAME");
  where = path + ": table " + t.name;
  fits_read_text(h, "TABLDESC", &t.description, where);
  LONGLONG rows = 0;
  fits_get_num_rowsll(h.f, &rows, &status);
  fits_get_num_cols(h.f, &cols, &status);
  fits_check(status, where, "fits_get_num_cols");
  for (int i = 1; i <= cols; ++i)
    t.columns.push_back(read_column_fits(h, i, static_cast<std::size_t>(rows), where));
  std::string names;
  fits_read_text(h, "METAKEYS", &names, where);
  for (std::size_t pos = 0, end = 0; pos < names.size(); pos = end + 1) {
    end = std::min(names.find(' ', pos), names.size());
    const std::string key = names.substr(pos, end - pos);
    char value[FLEN_VALUE] = {0}, comment[FLEN_COMMENT] = {0}, kind = 0;
    double number = 0;
    fits_read_keyword(h.f, key.c_str(), value, comment, &status);
    fits_get_keytype(value, &kind, &status);
    fits_check(status, where + ": metadata keyword " + key, "fits_read_keyword");
    if (kind == 'C') {
      std::string text;
      fits_read_text(h, key, &text, where);
      t.string_meta.emplace_back(key, text);
    } else {
      fits_read_key_dbl(h.f, key.c_str(), &number, nullptr, &status);
      fits_check(status, where + ": metadata keyword " + key, "fits_read_key_dbl");
      t.numeric_meta.emplace_back(key, number);
    }
  }
  return t;
}

// Starts an atomic write of `path`; a failure (e.g. a parent that is a file) names `path`.
std::unique_ptr<sim::AtomicWrite> begin_write(const std::string& path) {
  try {
    return std::make_unique<sim::AtomicWrite>(path);
  } catch (const sim::CallError& e) {
    throw sim::CallError("cannot write " + path + ": " + e.what());
  }
}

// Throws unless `path` exists and starts with `magic` (clearer than the libraries' messages).
void check_magic(const std::string& path, const std::string& magic, const char* kind) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path + ": cannot open file (does it exist?)");
  std::string head(magic.size(), '\0');
  const std::size_t got = std::fread(head.data(), 1, head.size(), f);
  std::fclose(f);
  if (got != magic.size() || head != magic)
    throw std::runtime_error(path + ": not a " + kind + " file (no " + kind + " signature)");
}

}  // namespace

// ---------------------------------------------------------------------------------- tables

std::size_t Column::size() const {
  return std::visit([](const auto& v) { return v.size(); }, values);
}

std::string Column::type_name() const { return kTypes[values.index()].name; }

template <class T>
const std::vector<T>& Column::as() const {
  if (const auto* v = std::get_if<std::vector<T>>(&values)) return *v;
  throw std::invalid_argument("column '" + name + "' holds " + type_name() + " values, not " +
                              kTypes[ColumnValues(std::vector<T>{}).index()].name);
}

template const std::vector<double>& Column::as<double>() const;
template const std::vector<float>& Column::as<float>() const;
template const std::vector<std::int64_t>& Column::as<std::int64_t>() const;
template const std::vector<std::int32_t>& Column::as<std::int32_t>() const;
template const std::vector<bool>& Column::as<bool>() const;
template const std::vector<std::string>& Column::as<std::string>() const;

std::size_t Table::rows() const { return columns.empty() ? 0 : columns.front().size(); }

void Table::validate() const {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("table '" + name + "'" + what);
  };
  const std::string text_rule = "printable ASCII without a trailing space";
  if (!is_word(name, 68)) fail(": bad name (allowed: 1 to 68 letters, digits, '_')");
  if (!is_text(description)) fail(": description is not " + text_rule);
  std::vector<std::string> seen;
  auto unique = [&](const std::string& what, const std::string& key) {
    if (std::find(seen.begin(), seen.end(), upper(key)) != seen.end())
      fail(", " + what + ": duplicate name (names must differ ignoring case)");
    seen.push_back(upper(key));
  };
  for (const Column& c : columns) {
    const std::string what = "column '" + c.name + "'";
    if (!is_word(c.name, 68))
      fail(", " + what + ": bad name (allowed: 1 to 68 letters, digits, '_')");
    unique(what, c.name);
    if (!is_unit(c.unit)) {
      fail(", " + what + ": bad unit '" + c.unit +
           "' (allowed: at most 68 of letters, digits, spaces and / * . ^ ( ) + - _)");
    }
    if (!is_text(c.description)) fail(", " + what + ": description is not " + text_rule);
    if (c.size() != rows()) {
      fail(", " + what + ": has " + std::to_string(c.size()) + " values, but column '" +
           columns.front().name + "' has " + std::to_string(rows()));
    }
    if (const auto* s = std::get_if<std::vector<std::string>>(&c.values)) {
      const auto bad =
          std::find_if(s->begin(), s->end(), [](const auto& v) { return !is_text(v); });
      if (bad != s->end())
        fail(", " + what + ", row " + std::to_string(bad - s->begin()) + ": value is not " +
             text_rule);
    }
  }
  seen.clear();
  auto check_meta = [&](const std::string& key) {
    const std::string what = "metadata '" + key + "'";
    if (!is_word(key, 40) || !std::isalpha(static_cast<unsigned char>(key[0])))
      fail(", " + what + ": bad name (allowed: 1 to 40 letters, digits, '_'; a letter first)");
    if (reserved_meta(key)) fail(", " + what + ": the name is reserved by the file formats");
    unique(what, key);
  };
  for (const auto& [key, value] : numeric_meta) {
    check_meta(key);
    if (!std::isfinite(value)) fail(", metadata '" + key + "': value is not finite");
  }
  for (const auto& [key, value] : string_meta) {
    check_meta(key);
    if (!is_text(value)) fail(", metadata '" + key + "': value is not " + text_rule);
  }
}

const Column& Table::column(const std::string& column_name) const {
  std::string list;
  for (const Column& c : columns) {
    if (c.name == column_name) return c;
    list += (list.empty() ? "" : ", ") + c.name;
  }
  throw std::invalid_argument("table '" + name + "' has no column '" + column_name +
                              "' (columns: " + (list.empty() ? "none" : list) + ")");
}

Table& Table::add(std::string column_name, std::string unit, std::string column_description,
                  ColumnValues values) {
  columns.push_back(
      {std::move(column_name), std::move(unit), std::move(column_description), std::move(values)});
  return *this;
}

void validate_tables(const std::vector<Table>& tables) {
  std::vector<std::string> seen;
  for (const Table& t : tables) {
    t.validate();
    const std::string key = upper(t.name);
    if (key == "PRIMARY" || std::find(seen.begin(), seen.end(), key) != seen.end()) {
      throw std::invalid_argument("table '" + t.name + "': " +
                                  (key == "PRIMARY" ? "the name is reserved (FITS primary HDU)"
                                                    : "duplicate name (ignoring case)"));
    }
    seen.push_back(key);
  }
}

// ---------------------------------------------------------------------------------- files

void write_tables_hdf5(const std::string& path, const std::vector<Table>& tables) {
  validate_tables(tables);
  const auto out = begin_write(path);
  {
    H5Id fapl(h5_check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path), H5Pclose);
    h5_check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), "H5Pset_fclose_degree", path);
    const H5Id fcpl = ordered_plist(H5P_FILE_CREATE, path);
    H5Id file(h5_check(H5Fcreate(out->temp_path().c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()),
                       "H5Fcreate", out->temp_path()),
              H5Fclose);
    sim::detail::h5_write_string_attribute(file.get(), "format", kMockTablesFormat, path);
    for (const Table& t : tables) {
      const std::string where = path + ": /" + t.name;
      const H5Id gcpl = ordered_plist(H5P_GROUP_CREATE, where);
      H5Id group(
          h5_check(H5Gcreate2(file.get(), t.name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                   "H5Gcreate2", where),
          H5Gclose);
      sim::detail::h5_write_string_attribute(group.get(), "description", t.description, where);
      for (const auto& [key, value] : t.numeric_meta)
        sim::detail::h5_write_attribute(group.get(), key, value, where);
      for (const auto& [key, value] : t.string_meta)
        sim::detail::h5_write_string_attribute(group.get(), key, value, where);
      for (const Column& c : t.columns) write_column_hdf5(group.get(), c, where);
      group.close("H5Gclose", where);
    }
    file.close("H5Fclose", path);
  }
  out->commit();
}

std::vector<Table> read_tables_hdf5(const std::string& path) {
  const H5Quiet quiet;
  check_magic(path, "", "HDF5");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw std::runtime_error(path + ": not an HDF5 file (no HDF5 signature)");
  H5Id file = sim::detail::h5_open_file(path);
  if (!sim::detail::h5_has_attribute(file.get(), "format", path) ||
      sim::detail::h5_read_string_attribute(file.get(), "format", path) != kMockTablesFormat) {
    throw std::runtime_error(path + ": not a cosmograd table file (root attribute format is not '" +
                             kMockTablesFormat + "')");
  }
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path), H5Gclose);
  std::vector<Table> tables;
  for (const std::string& name : h5_names(root.get(), false, path))
    tables.push_back(read_table_hdf5(file.get(), name, path));
  return tables;
}

void write_tables_fits(const std::string& path, const std::vector<Table>& tables) {
  validate_tables(tables);
  const auto out = begin_write(path);
  std::remove(out->temp_path().c_str());  // a stale temporary from a crashed run of this pid
  FitsHandle h;
  h.create(out->temp_path());
  int status = 0;
  fits_create_img(h.f, BYTE_IMG, 0, nullptr, &status);
  fits_check(status, path, "fits_create_img");
  fits_write_text(h, "CGFORMAT", kMockTablesFormat, "file layout", path);
  LONGLONG count = static_cast<LONGLONG>(tables.size());
  fits_write_key(h.f, TLONGLONG, "NTABLES", &count, "number of table HDUs after this one", &status);
  fits_check(status, path, "fits_write_key");
  for (const Table& t : tables) write_table_fits(h, t, path);
  h.close();
  out->commit();
}

std::vector<Table> read_tables_fits(const std::string& path) {
  check_magic(path, "SIMPLE  =", "FITS");
  FitsHandle h;
  h.open_readonly(path);
  std::string format;
  if (!fits_read_text(h, "CGFORMAT", &format, path) || format != kMockTablesFormat) {
    throw std::runtime_error(path +
                             ": not a cosmograd table file (primary keyword CGFORMAT is "
                             "not '" +
                             kMockTablesFormat + "')");
  }
  int hdus = 0, status = 0;
  long count = 0;
  fits_read_key(h.f, TLONG, "NTABLES", &count, nullptr, &status);
  fits_get_num_hdus(h.f, &hdus, &status);
  fits_check(status, path + ": primary keyword NTABLES", "fits_read_key");
  if (hdus - 1 != count) {
    throw std::runtime_error(path + ": holds " + std::to_string(hdus - 1) +
                             " tables but NTABLES says " + std::to_string(count) +
                             " (a truncated file?)");
  }
  std::vector<Table> tables;
  for (int i = 2; i <= hdus; ++i) tables.push_back(read_table_fits(h, i, path));
  return tables;
}

}  // namespace cosmograd::surveys
