#include "sim/measure/halo_catalog.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/units.hpp"
#include "sim/io/detail/h5_limits.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::sim {
namespace {

using detail::H5Id;

constexpr double kMassUnitG = 1.0e10 * units::msun_g;  // 1e10 Msun [g]
constexpr double kVelocityUnitCmS = 1.0e5;             // 1 km/s [cm/s]

/// Per-halo values get(h) x scale, as a 1-D float64 dataset.
void write_halo_column(hid_t group, const std::string& name, const std::vector<Halo>& halos,
                       const std::function<double(const Halo&)>& get, double scale,
                       const std::string& where) {
  std::vector<double> v;
  v.reserve(halos.size());
  for (const Halo& h : halos) v.push_back(get(h) * scale);
  detail::h5_write_dataset(group, name, H5T_IEEE_F64LE, v, 0, where);
}

/// Reads dataset `name` of `group` (shape (rows) when cols = 0, else (rows, cols)) as M.
template <class M>
std::vector<M> read_dataset(hid_t group, const std::string& name, hsize_t rows, hsize_t cols,
                            const std::string& file, const std::string& where) {
  H5Id dset = detail::h5_open_dataset(group, name, file, where);
  const std::string context = file + ": " + where + "/" + name;
  std::vector<hsize_t> want{rows};
  if (cols > 0) want.push_back(cols);
  const std::vector<hsize_t> shape = detail::h5_dataset_shape(dset.get(), context);
  if (shape != want) {
    throw std::runtime_error(context + " has shape " + detail::h5_shape_string(shape) +
                             ", expected " + detail::h5_shape_string(want));
  }
  detail::h5_check_dataset_stored(dset.get(), shape, sizeof(M), context);
  std::vector<M> out(static_cast<std::size_t>(rows * (cols > 0 ? cols : 1)));
  if (!out.empty()) {
    detail::h5_check(
        H5Dread(dset.get(), detail::h5_native_type<M>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
        "H5Dread", context);
  }
  return out;
}

void write_file(const std::string& file_name, const HaloCatalog& c, bool length_in_kpc) {
  const double to_len = length_in_kpc ? 1000.0 : 1.0;  // Mpc/h -> file unit
  const std::int64_t ng = static_cast<std::int64_t>(c.halos.size());
  const std::int64_t nids = static_cast<std::int64_t>(c.ids.size());
  H5Id file = detail::h5_create_file(file_name);
  {
    H5Id g = detail::h5_create_group(file.get(), "Header", file_name);
    const std::string where = file_name + ": /Header";
    const SnapshotHeader& h = c.header;
    detail::h5_write_attribute(g.get(), "Ngroups_ThisFile", ng, where);
    detail::h5_write_attribute(g.get(), "Ngroups_Total", ng, where);
    detail::h5_write_attribute(g.get(), "Nids_ThisFile", nids, where);
    detail::h5_write_attribute(g.get(), "Nids_Total", nids, where);
    detail::h5_write_attribute(g.get(), "NumFiles", std::int32_t{1}, where);
    detail::h5_write_attribute(g.get(), "BoxSize", h.box_size * to_len, where);
    detail::h5_write_attribute(g.get(), "Time", h.a, where);
    detail::h5_write_attribute(g.get(), "Redshift", h.redshift(), where);
    detail::h5_write_attribute(g.get(), "Omega0", h.Omega_m, where);
    detail::h5_write_attribute(g.get(), "OmegaLambda", h.Omega_lambda, where);
    detail::h5_write_attribute(g.get(), "HubbleParam", h.h, where);
    detail::h5_write_attribute(g.get(), "LinkingLength", c.linking_length, where);
    detail::h5_write_attribute(g.get(), "MinMembers", std::int32_t{c.min_members}, where);
    detail::h5_write_attribute(g.get(), "ParticleMass", h.particle_mass, where);
    g.close("H5Gclose", where);
  }
  {
    H5Id g = detail::h5_create_group(file.get(), "Parameters", file_name);
    const std::string where = file_name + ": /Parameters";
    detail::h5_write_attribute(g.get(), "UnitLength_in_cm", units::mpc_cm / to_len, where);
    detail::h5_write_attribute(g.get(), "UnitMass_in_g", kMassUnitG, where);
    detail::h5_write_attribute(g.get(), "UnitVelocity_in_cm_per_s", kVelocityUnitCmS, where);
    g.close("H5Gclose", where);
  }
  {
    H5Id g = detail::h5_create_group(file.get(), "Group", file_name);
    const std::string where = file_name + ": /Group";
    const std::vector<Halo>& hs = c.halos;
    std::vector<std::uint32_t> len;
    std::vector<std::uint64_t> first, offset;
    std::vector<double> pos, so_pos, vel;
    for (std::size_t i = 0; i < hs.size(); ++i) {
      if (hs[i].num_members > std::numeric_limits<std::uint32_t>::max()) {
        throw std::invalid_argument("write_halo_catalog " + file_name + ": halo " +
                                    std::to_string(i) + " has more than 2^32 - 1 members");
      }
      len.push_back(static_cast<std::uint32_t>(hs[i].num_members));
      first.push_back(hs[i].first_id);
      offset.push_back(i < c.offsets.size() ? c.offsets[i] : 0);
      for (int d = 0; d < 3; ++d) {
        pos.push_back(hs[i].pos[d] * to_len);
        so_pos.push_back(hs[i].so_pos[d] * to_len);
        vel.push_back(hs[i].vel[d]);
      }
    }
    detail::h5_write_dataset(g.get(), "GroupLen", H5T_STD_U32LE, len, 0, where);
    detail::h5_write_dataset(g.get(), "GroupOffset", H5T_STD_U64LE, offset, 0, where);
    detail::h5_write_dataset(g.get(), "GroupFirstID", H5T_STD_U64LE, first, 0, where);
    detail::h5_write_dataset(g.get(), "GroupPos", H5T_IEEE_F64LE, pos, 3, where);
    detail::h5_write_dataset(g.get(), "Group_Pos_SO", H5T_IEEE_F64LE, so_pos, 3, where);
    detail::h5_write_dataset(g.get(), "GroupVel", H5T_IEEE_F64LE, vel, 3, where);
    const double to_mass = 1e-10;
    write_halo_column(
        g.get(), "GroupMass", hs, [](const Halo& h) { return h.mass; }, to_mass, where);
    write_halo_column(
        g.get(), "Group_M_Mean200", hs, [](const Halo& h) { return h.m200m; }, to_mass, where);
    write_halo_column(
        g.get(), "Group_R_Mean200", hs, [](const Halo& h) { return h.r200m; }, to_len, where);
    write_halo_column(
        g.get(), "Group_M_Crit200", hs, [](const Halo& h) { return h.m200c; }, to_mass, where);
    write_halo_column(
        g.get(), "Group_R_Crit200", hs, [](const Halo& h) { return h.r200c; }, to_len, where);
    write_halo_column(
        g.get(), "GroupVelDisp", hs, [](const Halo& h) { return h.vel_disp; }, 1.0, where);
    write_halo_column(
        g.get(), "GroupRadius", hs, [](const Halo& h) { return h.radius; }, to_len, where);
    g.close("H5Gclose", where);
  }
  {
    H5Id g = detail::h5_create_group(file.get(), "IDs", file_name);
    const std::string where = file_name + ": /IDs";
    detail::h5_write_dataset(g.get(), "ID", H5T_STD_U64LE, c.ids, 0, where);
    g.close("H5Gclose", where);
  }
  file.close("H5Fclose", file_name);
}

}  // namespace

void write_halo_catalog(const std::string& path, const HaloCatalog& catalog, bool length_in_kpc) {
  if (catalog.offsets.size() != catalog.halos.size()) {
    throw std::invalid_argument("write_halo_catalog " + path +
                                ": offsets.size() = " + std::to_string(catalog.offsets.size()) +
                                " must equal the number of halos " +
                                std::to_string(catalog.halos.size()));
  }
  AtomicWrite write(path);
  write_file(write.temp_path(), catalog, length_in_kpc);
  write.commit();
}

HaloCatalog read_halo_catalog(const std::string& path) {
  HaloCatalog c;
  H5Id file = detail::h5_open_file(path);
  double to_mpc = 1e-3;
  if (detail::h5_has_link(file.get(), "Parameters", path)) {
    H5Id g = detail::h5_open_group(file.get(), "Parameters", path);
    const std::string where = path + ": /Parameters";
    if (detail::h5_has_attribute(g.get(), "UnitLength_in_cm", where)) {
      to_mpc = detail::h5_read_scalar_attribute<double>(g.get(), "UnitLength_in_cm", where) /
               units::mpc_cm;
      if (!(to_mpc > 0) || !std::isfinite(to_mpc)) {
        throw std::runtime_error(where +
                                 ": UnitLength_in_cm = " + std::to_string(to_mpc * units::mpc_cm) +
                                 " (allowed: finite and > 0)");
      }
      if (std::abs(to_mpc * 1000.0 - 1.0) < 1e-9) to_mpc = 1e-3;
      if (std::abs(to_mpc - 1.0) < 1e-9) to_mpc = 1.0;
    }
  }
  std::int64_t ng = 0, nids = 0;
  {
    H5Id g = detail::h5_open_group(file.get(), "Header", path);
    const std::string where = path + ": /Header";
    SnapshotHeader& h = c.header;
    ng = detail::h5_read_scalar_attribute<std::int64_t>(g.get(), "Ngroups_ThisFile", where);
    nids = detail::h5_read_scalar_attribute<std::int64_t>(g.get(), "Nids_ThisFile", where);
    h.box_size = detail::h5_read_scalar_attribute<double>(g.get(), "BoxSize", where) * to_mpc;
    h.a = detail::h5_read_scalar_attribute<double>(g.get(), "Time", where);
    h.Omega_m = detail::h5_read_scalar_attribute<double>(g.get(), "Omega0", where);
    h.Omega_lambda = detail::h5_read_scalar_attribute<double>(g.get(), "OmegaLambda", where);
    h.h = detail::h5_read_scalar_attribute<double>(g.get(), "HubbleParam", where);
    if (detail::h5_has_attribute(g.get(), "ParticleMass", where)) {
      h.particle_mass = detail::h5_read_scalar_attribute<double>(g.get(), "ParticleMass", where);
    }
    if (detail::h5_has_attribute(g.get(), "LinkingLength", where)) {
      c.linking_length = detail::h5_read_scalar_attribute<double>(g.get(), "LinkingLength", where);
    }
    if (detail::h5_has_attribute(g.get(), "MinMembers", where)) {
      c.min_members = detail::h5_read_scalar_attribute<std::int32_t>(g.get(), "MinMembers", where);
    }
    if (ng < 0 || nids < 0) throw std::runtime_error(where + ": negative Ngroups or Nids");
  }
  const hsize_t n = static_cast<hsize_t>(ng);
  {
    H5Id g = detail::h5_open_group(file.get(), "Group", path);
    const std::string w = "/Group";
    const auto len = read_dataset<std::uint64_t>(g.get(), "GroupLen", n, 0, path, w);
    const auto offset = read_dataset<std::uint64_t>(g.get(), "GroupOffset", n, 0, path, w);
    const auto first = read_dataset<std::uint64_t>(g.get(), "GroupFirstID", n, 0, path, w);
    const auto pos = read_dataset<double>(g.get(), "GroupPos", n, 3, path, w);
    // Group_Pos_SO is absent from catalogues written before it existed: so_pos = pos there.
    const bool has_so_pos = detail::h5_has_link(g.get(), "Group_Pos_SO", path + ": " + w);
    const auto so_pos =
        has_so_pos ? read_dataset<double>(g.get(), "Group_Pos_SO", n, 3, path, w) : pos;
    const auto vel = read_dataset<double>(g.get(), "GroupVel", n, 3, path, w);
    const auto mass = read_dataset<double>(g.get(), "GroupMass", n, 0, path, w);
    const auto m200m = read_dataset<double>(g.get(), "Group_M_Mean200", n, 0, path, w);
    const auto r200m = read_dataset<double>(g.get(), "Group_R_Mean200", n, 0, path, w);
    const auto m200c = read_dataset<double>(g.get(), "Group_M_Crit200", n, 0, path, w);
    const auto r200c = read_dataset<double>(g.get(), "Group_R_Crit200", n, 0, path, w);
    const auto disp = read_dataset<double>(g.get(), "GroupVelDisp", n, 0, path, w);
    const auto radius = read_dataset<double>(g.get(), "GroupRadius", n, 0, path, w);
    c.halos.resize(n);
    c.offsets = offset;
    for (std::size_t i = 0; i < n; ++i) {
      Halo& h = c.halos[i];
      h.num_members = len[i];
      h.first_id = first[i];
      for (int d = 0; d < 3; ++d) {
        h.pos[d] = pos[3 * i + d] * to_mpc;
        h.so_pos[d] = so_pos[3 * i + d] * to_mpc;
        h.vel[d] = vel[3 * i + d];
      }
      h.mass = mass[i] * 1e10;
      h.m200m = m200m[i] * 1e10;
      h.r200m = r200m[i] * to_mpc;
      h.m200c = m200c[i] * 1e10;
      h.r200c = r200c[i] * to_mpc;
      h.vel_disp = disp[i];
      h.radius = radius[i] * to_mpc;
      // Written as len > nids - offset: offset + len wraps around for a hostile offset.
      const std::uint64_t ids = static_cast<std::uint64_t>(nids);
      if (offset[i] > ids || len[i] > ids - offset[i]) {
        throw std::runtime_error(
            path + ": /Group/GroupOffset[" + std::to_string(i) +
            "] = " + std::to_string(offset[i]) + " with GroupLen = " + std::to_string(len[i]) +
            " (allowed: GroupOffset + GroupLen <= " + "Nids_ThisFile = " + std::to_string(nids) +
            ")");
      }
    }
  }
  {
    H5Id g = detail::h5_open_group(file.get(), "IDs", path);
    c.ids = read_dataset<std::uint64_t>(g.get(), "ID", static_cast<hsize_t>(nids), 0, path, "/IDs");
  }
  return c;
}

}  // namespace cosmograd::sim
