#include "sim/io/hydro_snapshot.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "sim/core/units.hpp"
#include "sim/io/detail/gadget_files.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/io/snapshot.hpp"

namespace cosmograd::sim {

namespace {

using detail::H5Id;

constexpr int kNumTypes = detail::kGadgetTypes;
constexpr double kKpcCm = units::mpc_cm / 1000.0;      // 1 kpc [cm], Gadget's default length
constexpr double kMassUnitG = 1.0e10 * units::msun_g;  // 1e10 Msun [g], Gadget's default mass
constexpr double kVelocityUnitCmS = 1.0e5;             // 1 km/s [cm/s], Gadget's default

struct QuantityInfo {
  HydroQuantity q;
  const char* name;
  const char* unit;
};
constexpr QuantityInfo kInfo[] = {
    {HydroQuantity::gas_density, "gas_density", "(Msun/h)/(Mpc/h)^3 comoving"},
    {HydroQuantity::electron_density, "electron_density", "cm^-3 physical"},
    {HydroQuantity::electron_pressure, "electron_pressure", "keV cm^-3 physical"},
    {HydroQuantity::temperature, "temperature", "K (mass-weighted)"},
    {HydroQuantity::stellar_density, "stellar_density", "(Msun/h)/(Mpc/h)^3 comoving"}};

const QuantityInfo& info(HydroQuantity q) {
  for (const QuantityInfo& i : kInfo) {
    if (i.q == q) return i;
  }
  throw std::invalid_argument("hydro quantity " + std::to_string(static_cast<unsigned>(q)) +
                              " is not a single quantity");
}

/// The names of the quantities of `set` that need a dataset, joined by ", ".
std::string names_of(HydroQuantity set) {
  std::string s;
  for (HydroQuantity q : kHydroQuantities) {
    if (contains(set, q)) s += (s.empty() ? "" : ", ") + std::string(hydro_quantity_name(q));
  }
  return s;
}

/// One dataset of one particle type to read: where it goes, how it converts, who needs it.
struct Wanted {
  const char* name;          // dataset name under /PartType<t>
  std::vector<double>* out;  // destination (cols values per particle)
  int cols;                  // 3 for vectors, 1 for scalars
  double scale;              // file unit -> cosmograd unit
  HydroQuantity needed_by;   // quantities that require it (none: optional)
  bool present = true;       // false once a file with particles lacks an optional one
};

/// Reads dataset w of group g (n particles) into w.out at particle `offset`; returns false
/// when it is absent and optional, throws when absent and needed or of the wrong shape.
bool read_wanted(hid_t g, const std::string& group, Wanted& w, std::uint64_t n,
                 std::uint64_t offset, const std::string& fname) {
  const std::string where = fname + ": " + group + "/" + w.name;
  if (!detail::h5_has_link(g, w.name, fname)) {
    if (w.needed_by == HydroQuantity::none) return false;
    throw std::runtime_error(fname + ": " + group + "/" + w.name + " is missing (needed for " +
                             names_of(w.needed_by) + ")");
  }
  H5Id dset = detail::h5_open_dataset(g, w.name, fname, group);
  const std::vector<hsize_t> shape = detail::h5_dataset_shape(dset.get(), where);
  std::vector<hsize_t> want{n};
  if (w.cols > 1) want.push_back(static_cast<hsize_t>(w.cols));
  if (shape != want) {
    throw std::runtime_error(where + " has shape " + detail::h5_shape_string(shape) +
                             " but NumPart_ThisFile needs " + detail::h5_shape_string(want));
  }
  double* dst = w.out->data() + offset * static_cast<std::uint64_t>(w.cols);
  detail::h5_check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst),
                   "H5Dread", where);
  const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(w.cols);
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(dst[i])) {
      throw std::runtime_error(where + " holds a non-finite value at row " +
                               std::to_string(i / static_cast<std::size_t>(w.cols)));
    }
    dst[i] *= w.scale;
  }
  return true;
}

/// Positions wrapped into [0, L).
void wrap_positions(std::vector<double>& pos, double box) {
  for (double& x : pos) {
    x = std::fmod(x, box);
    if (x < 0) x += box;
    if (x >= box) x = 0;
  }
}

}  // namespace

const char* hydro_quantity_name(HydroQuantity q) { return info(q).name; }

const char* hydro_quantity_unit(HydroQuantity q) { return info(q).unit; }

HydroQuantity parse_hydro_quantity(const std::string& name, const std::string& field) {
  std::string valid;
  for (const QuantityInfo& i : kInfo) {
    if (name == i.name) return i.q;
    valid += (valid.empty() ? "" : ", ") + std::string(i.name);
  }
  throw std::invalid_argument(field + " = \"" + name + "\" is not one of: " + valid);
}

HydroSnapshot read_hydro_snapshot(const std::string& path, HydroQuantity needed, bool read_all) {
  HydroSnapshot out;
  HydroHeader& h = out.header;
  const std::string first = detail::find_first_file(path, "hydro snapshot");
  std::vector<double> mass_table;
  {
    H5Id file = detail::h5_open_file(first);
    H5Id header = detail::h5_open_group(file.get(), "Header", first);
    const std::string where = first + ": /Header";
    h.length_unit_mpc_h =
        detail::read_unit(file.get(), "UnitLength_in_cm", kKpcCm, first) / units::mpc_cm;
    // Files round the kpc or Mpc to 7 digits (3.085678e21): read them as the exact unit so a
    // BoxSize of 25000 kpc/h is 25 Mpc/h.
    for (double exact : {1e-3, 1.0}) {
      if (std::abs(h.length_unit_mpc_h / exact - 1.0) < 1e-6) h.length_unit_mpc_h = exact;
    }
    h.mass_unit_msun_h =
        detail::read_unit(file.get(), "UnitMass_in_g", kMassUnitG, first) / units::msun_g;
    h.velocity_unit_km_s =
        detail::read_unit(file.get(), "UnitVelocity_in_cm_per_s", kVelocityUnitCmS, first) / 1.0e5;
    h.box_size = detail::h5_read_scalar_attribute<double>(header.get(), "BoxSize", where) *
                 h.length_unit_mpc_h;
    h.a = detail::h5_read_scalar_attribute<double>(header.get(), "Time", where);
    if (!(h.box_size > 0) || !std::isfinite(h.box_size)) {
      throw std::runtime_error(where + ": attribute BoxSize = " + std::to_string(h.box_size) +
                               " Mpc/h must be positive");
    }
    if (!(h.a > 0) || !std::isfinite(h.a)) {
      throw std::runtime_error(where + ": attribute Time = " + std::to_string(h.a) +
                               " (the scale factor) must be positive");
    }
    h.redshift = detail::h5_has_attribute(header.get(), "Redshift", where)
                     ? detail::h5_read_scalar_attribute<double>(header.get(), "Redshift", where)
                     : 1.0 / h.a - 1.0;
    h.Omega_m = detail::read_cosmo_parameter(file.get(), header.get(), "Omega0", first);
    h.Omega_lambda = detail::read_cosmo_parameter(file.get(), header.get(), "OmegaLambda", first);
    h.h = detail::read_cosmo_parameter(file.get(), header.get(), "HubbleParam", first);
    mass_table = detail::h5_read_attribute<double>(header.get(), "MassTable", kNumTypes, where);
    h.num_files =
        detail::h5_read_scalar_attribute<std::int32_t>(header.get(), "NumFilesPerSnapshot", where);
    if (h.num_files < 1) {
      throw std::runtime_error(where + ": attribute NumFilesPerSnapshot = " +
                               std::to_string(h.num_files) + " must be >= 1");
    }
    h.num_part = detail::read_num_part_total(header.get(), where);
  }
  const std::vector<std::string> files =
      h.num_files == 1 ? std::vector<std::string>{first}
                       : snapshot_file_names(detail::multi_file_base(first), h.num_files);

  // What to read: type 0 (gas) and type 4 (stars), each dataset with the quantities needing it.
  using Q = HydroQuantity;
  const Q any_gas =
      needed & (Q::gas_density | Q::electron_density | Q::electron_pressure | Q::temperature);
  const Q x_e_for = needed & (Q::electron_density | Q::electron_pressure | Q::temperature);
  const Q u_for = needed & (Q::electron_pressure | Q::temperature);
  const Q stars_for = needed & Q::stellar_density;
  const double length = h.length_unit_mpc_h, mass = h.mass_unit_msun_h;
  const double vel2 = h.velocity_unit_km_s * h.velocity_unit_km_s;
  struct TypeRead {
    int type;
    bool active;
    double mass_table;
    std::vector<Wanted> wanted;
  };
  TypeRead types[2] = {{0,
                        any_gas != Q::none || read_all,
                        mass_table[0] * mass,
                        {{"Coordinates", &out.gas_pos, 3, length, any_gas},
                         {"Masses", &out.gas_mass, 1, mass, any_gas},
                         {"InternalEnergy", &out.internal_energy, 1, vel2, u_for},
                         {"ElectronAbundance", &out.electron_abundance, 1, 1.0, x_e_for}}},
                       {4,
                        stars_for != Q::none || read_all,
                        mass_table[4] * mass,
                        {{"Coordinates", &out.star_pos, 3, length, stars_for},
                         {"Masses", &out.star_mass, 1, mass, stars_for}}}};
  if (read_all) {
    types[0].wanted.push_back(
        {"Density", &out.gas_density, 1, mass / (length * length * length), Q::none});
    types[0].wanted.push_back({"StarFormationRate", &out.star_formation_rate, 1, 1.0, Q::none});
  } else {
    // Only what is needed: drop the optional datasets.
    for (TypeRead& t : types) {
      std::vector<Wanted> keep;
      for (const Wanted& w : t.wanted) {
        if (w.needed_by != Q::none) keep.push_back(w);
      }
      t.wanted = keep;
    }
  }
  // A requested quantity of a particle type the file has none of (e.g. a dark-matter-only
  // snapshot given as hydro input).
  for (const Q q : {any_gas, stars_for}) {
    const int type = q == stars_for ? 4 : 0;
    if (q != Q::none && h.num_part[type] == 0) {
      throw std::runtime_error(first + ": /PartType" + std::to_string(type) +
                               " holds no particles (NumPart_Total[" + std::to_string(type) +
                               "] = 0; needed for " + names_of(q) +
                               "): not a hydrodynamical snapshot?");
    }
  }
  for (TypeRead& t : types) {
    if (!t.active) continue;
    for (Wanted& w : t.wanted)
      w.out->resize(h.num_part[t.type] * static_cast<std::uint64_t>(w.cols));
  }

  std::array<std::uint64_t, kNumTypes> offset{};
  for (const std::string& fname : files) {
    H5Id file = detail::h5_open_file(fname);
    H5Id header = detail::h5_open_group(file.get(), "Header", fname);
    const std::vector<std::uint64_t> this_file = detail::h5_read_attribute<std::uint64_t>(
        header.get(), "NumPart_ThisFile", kNumTypes, fname + ": /Header");
    for (TypeRead& t : types) {
      const std::uint64_t n = this_file[t.type];
      const std::string group = "/PartType" + std::to_string(t.type);
      if (offset[t.type] + n > h.num_part[t.type]) {
        throw std::runtime_error(fname + ": NumPart_ThisFile[" + std::to_string(t.type) +
                                 "] summed over the files exceeds NumPart_Total = " +
                                 std::to_string(h.num_part[t.type]));
      }
      if (!t.active || n == 0) {
        offset[t.type] += n;
        continue;
      }
      if (!detail::h5_has_link(file.get(), group.substr(1), fname)) {
        throw std::runtime_error(fname + ": missing group " + group + " (NumPart_ThisFile[" +
                                 std::to_string(t.type) + "] = " + std::to_string(n) + ")");
      }
      H5Id g = detail::h5_open_group(file.get(), group.substr(1), fname);
      for (Wanted& w : t.wanted) {
        if (!w.present) continue;
        const bool is_mass = std::string(w.name) == "Masses";
        const bool from_table =
            is_mass && t.mass_table > 0 && !detail::h5_has_link(g.get(), w.name, fname);
        if (from_table) {
          std::fill_n(w.out->begin() + static_cast<std::ptrdiff_t>(offset[t.type]), n,
                      t.mass_table);
        } else if (is_mass && w.needed_by != Q::none &&
                   !detail::h5_has_link(g.get(), w.name, fname)) {
          throw std::runtime_error(fname + ": " + group + "/Masses is missing and MassTable[" +
                                   std::to_string(t.type) + "] is 0 (needed for " +
                                   names_of(w.needed_by) + ")");
        } else if (!read_wanted(g.get(), group, w, n, offset[t.type], fname)) {
          w.present = false;  // optional and absent: dropped for the whole snapshot
          w.out->clear();
        }
      }
      offset[t.type] += n;
    }
  }
  for (const TypeRead& t : types) {
    if (offset[t.type] != h.num_part[t.type]) {
      throw std::runtime_error(first + ": NumPart_ThisFile[" + std::to_string(t.type) +
                               "] sums to " + std::to_string(offset[t.type]) + " over " +
                               std::to_string(files.size()) +
                               " files but NumPart_Total = " + std::to_string(h.num_part[t.type]));
    }
  }
  wrap_positions(out.gas_pos, h.box_size);
  wrap_positions(out.star_pos, h.box_size);
  return out;
}

}  // namespace cosmograd::sim
