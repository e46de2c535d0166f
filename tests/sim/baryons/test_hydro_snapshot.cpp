// Hydro snapshot input (sim/io/hydro_snapshot.hpp) and the fields painted from it
// (sim/baryons/hydro_fields.hpp): small files in the Gadget-4, AREPO/TNG and CAMELS layouts
// written here and read back, with analytic checks of the gas thermodynamics.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/baryons/hydro_fields.hpp"
#include "sim/core/units.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/io/hydro_snapshot.hpp"
#include "tests/sim/temp_files.hpp"

namespace cg = cosmograd::sim;
namespace h5 = cosmograd::sim::detail;
using Q = cg::HydroQuantity;

namespace {

constexpr double kKpcCm = 3.085678e21;  // the rounded kpc that Gadget and TNG files carry
constexpr double kTngMassG = 1.989e43;  // TNG's 1e10 Msun in g
// Constants for the analytic checks, written out independently of the library.
constexpr double kMp = 1.67262192369e-24, kKb = 1.380649e-16, kKev = 1.602176634e-9;

/// Particles of one type in file units; empty vectors are not written.
struct Part {
  std::vector<double> pos, mass, u, x_e, rho, sfr;
  std::size_t size() const { return pos.size() / 3; }
};

/// One file: its layout ("gadget4": units and cosmology in /Parameters; "tng": in /Header;
/// "units": units in a /Units group; "none": no unit attribute), units and particles.
struct Spec {
  std::string layout = "gadget4";
  double box = 20000, a = 0.5;
  double length_cm = kKpcCm, mass_g = kTngMassG, vel_cm_s = 1e5;
  bool float32 = false;
  std::array<double, 6> mass_table{};
  Part gas, stars;
};

void write_values(hid_t g, const char* name, const std::vector<double>& v, hsize_t cols,
                  bool float32, const std::string& where) {
  if (v.empty()) return;
  if (float32) {
    h5::h5_write_dataset(g, name, H5T_IEEE_F32LE, std::vector<float>(v.begin(), v.end()), cols,
                         where);
  } else {
    h5::h5_write_dataset(g, name, H5T_IEEE_F64LE, v, cols, where);
  }
}

void write_units(hid_t g, const Spec& s, const std::string& where) {
  h5::h5_write_attribute(g, "UnitLength_in_cm", s.length_cm, where);
  h5::h5_write_attribute(g, "UnitMass_in_g", s.mass_g, where);
  h5::h5_write_attribute(g, "UnitVelocity_in_cm_per_s", s.vel_cm_s, where);
}

void write_cosmology(hid_t g, const std::string& where) {
  h5::h5_write_attribute(g, "Omega0", 0.3089, where);
  h5::h5_write_attribute(g, "OmegaLambda", 0.6911, where);
  h5::h5_write_attribute(g, "HubbleParam", 0.6774, where);
}

/// Writes file `path` of a snapshot of `num_files` files with NumPart_Total `total`.
void write_file(const std::string& path, const Spec& s, int num_files,
                std::array<std::uint64_t, 6> total) {
  h5::H5Id file = h5::h5_create_file(path);
  {
    h5::H5Id header = h5::h5_create_group(file.get(), "Header", path);
    h5::h5_write_attribute(header.get(), "BoxSize", s.box, path);
    h5::h5_write_attribute(header.get(), "Time", s.a, path);
    h5::h5_write_attribute(header.get(), "Redshift", 1 / s.a - 1, path);
    h5::h5_write_attribute(header.get(), "NumFilesPerSnapshot", std::int32_t{num_files}, path);
    h5::h5_write_attribute(header.get(), "MassTable",
                           std::vector<double>(s.mass_table.begin(), s.mass_table.end()), path);
    std::vector<std::uint32_t> this_file(6, 0), low(6), high(6);
    this_file[0] = static_cast<std::uint32_t>(s.gas.size());
    this_file[4] = static_cast<std::uint32_t>(s.stars.size());
    for (int t = 0; t < 6; ++t) {
      low[t] = static_cast<std::uint32_t>(total[t]);
      high[t] = static_cast<std::uint32_t>(total[t] >> 32);
    }
    h5::h5_write_attribute(header.get(), "NumPart_ThisFile", this_file, path);
    if (s.layout == "gadget4") {  // Gadget-4: 64-bit totals, units and cosmology in /Parameters
      h5::h5_write_attribute(header.get(), "NumPart_Total",
                             std::vector<std::uint64_t>(total.begin(), total.end()), path);
      h5::H5Id par = h5::h5_create_group(file.get(), "Parameters", path);
      write_units(par.get(), s, path);
      write_cosmology(par.get(), path);
    } else {  // Gadget-2/3, AREPO, TNG: 32-bit totals with HighWord, cosmology in /Header
      h5::h5_write_attribute(header.get(), "NumPart_Total", low, path);
      h5::h5_write_attribute(header.get(), "NumPart_Total_HighWord", high, path);
      write_cosmology(header.get(), path);
      if (s.layout == "tng") write_units(header.get(), s, path);
      if (s.layout == "units") {
        h5::H5Id units = h5::h5_create_group(file.get(), "Units", path);
        write_units(units.get(), s, path);
      }
    }
    for (const auto& [type, p] : {std::pair<int, const Part*>{0, &s.gas}, {4, &s.stars}}) {
      if (p->size() == 0) continue;
      h5::H5Id g = h5::h5_create_group(file.get(), "PartType" + std::to_string(type), path);
      write_values(g.get(), "Coordinates", p->pos, 3, s.float32, path);
      write_values(g.get(), "Masses", p->mass, 0, s.float32, path);
      write_values(g.get(), "InternalEnergy", p->u, 0, s.float32, path);
      write_values(g.get(), "ElectronAbundance", p->x_e, 0, s.float32, path);
      write_values(g.get(), "Density", p->rho, 0, s.float32, path);
      write_values(g.get(), "StarFormationRate", p->sfr, 0, s.float32, path);
    }
  }
  file.close("H5Fclose", path);
}

/// A single-file snapshot.
void write_single(const std::string& path, const Spec& s) {
  write_file(path, s, 1, {s.gas.size(), 0, 0, 0, s.stars.size(), 0});
}

/// n deterministic particles in a box of side `box` (file units), some outside [0, box).
Part make_part(std::size_t n, double box, double mass_scale, bool with_thermo) {
  Part p;
  for (std::size_t j = 0; j < n; ++j) {
    for (int d = 0; d < 3; ++d) {
      const double s = 0.5 + 0.55 * std::sin(1.7 * static_cast<double>(j) + 2.1 * d);
      p.pos.push_back(s * box);  // in [-0.05, 1.05) box
    }
    p.mass.push_back(mass_scale * (1.0 + 0.5 * std::cos(0.9 * static_cast<double>(j))));
    if (with_thermo) {
      p.u.push_back(1e4 * (1.0 + static_cast<double>(j % 7)));
      p.x_e.push_back(1.0 + 0.15 * static_cast<double>(j % 3));
      p.rho.push_back(1e-6 * static_cast<double>(j + 1));
      p.sfr.push_back(0.01 * static_cast<double>(j % 4));
    }
  }
  return p;
}

double wrap(double x, double box) {
  x = std::fmod(x, box);
  return x < 0 ? x + box : x;
}

std::string tmp(const std::string& test, const std::string& name) {
  return (cosmograd::testing::fresh_dir("hydro_" + test) / name).string();
}

/// Sum of all cells of a serial field.
double field_sum(const cg::Field<double>& f) {
  double s = 0;
  for (int x = 0; x < f.n(); ++x)
    for (int y = 0; y < f.n(); ++y)
      for (int z = 0; z < f.n(); ++z) s += f.at(x, y, z);
  return s;
}

TEST(HydroSnapshot, Gadget4ParametersUnitsAndMassConservation) {
  Spec s;  // Gadget-4: kpc/h, 1e10 Msun/h (IAU), km/s, all in /Parameters
  s.mass_g = 1e10 * cg::units::msun_g;
  s.gas = make_part(50, s.box, 2e-3, true);
  s.stars = make_part(20, s.box, 1e-3, false);
  const std::string path = tmp("gadget4", "snap_010.hdf5");
  write_single(path, s);
  const cg::HydroSnapshot snap = cg::read_hydro_snapshot(path, Q::gas_density | Q::stellar_density);
  EXPECT_DOUBLE_EQ(snap.header.box_size, 20.0);
  EXPECT_DOUBLE_EQ(snap.header.a, 0.5);
  EXPECT_DOUBLE_EQ(snap.header.redshift, 1.0);
  EXPECT_DOUBLE_EQ(snap.header.Omega_m, 0.3089);
  EXPECT_DOUBLE_EQ(snap.header.Omega_lambda, 0.6911);
  EXPECT_DOUBLE_EQ(snap.header.h, 0.6774);
  ASSERT_EQ(snap.num_gas(), 50u);
  ASSERT_EQ(snap.num_stars(), 20u);
  EXPECT_TRUE(snap.internal_energy.empty());  // not needed, not read
  for (std::size_t i = 0; i < snap.gas_pos.size(); ++i) {
    EXPECT_NEAR(snap.gas_pos[i], wrap(s.gas.pos[i] / 1000, 20.0), 1e-12);
    EXPECT_GE(snap.gas_pos[i], 0.0);
    EXPECT_LT(snap.gas_pos[i], 20.0);
  }
  for (std::size_t j = 0; j < 50; ++j)
    EXPECT_NEAR(snap.gas_mass[j] / (s.gas.mass[j] * 1e10), 1, 1e-12);
  // Painting conserves mass: sum(rho) (L/n)^3 = sum of particle masses (1e-10 relative).
  const int n = 8;
  const double cell3 = std::pow(20.0 / n, 3);
  const std::vector<cg::HydroMesh> meshes =
      cg::paint_hydro_fields(snap, Q::gas_density | Q::stellar_density, n);
  ASSERT_EQ(meshes.size(), 2u);
  EXPECT_EQ(meshes[0].quantity, Q::gas_density);
  EXPECT_EQ(meshes[1].quantity, Q::stellar_density);
  const double gas = std::accumulate(snap.gas_mass.begin(), snap.gas_mass.end(), 0.0);
  const double stars = std::accumulate(snap.star_mass.begin(), snap.star_mass.end(), 0.0);
  EXPECT_NEAR(field_sum(meshes[0].field) * cell3 / gas, 1.0, 1e-10);
  EXPECT_NEAR(field_sum(meshes[1].field) * cell3 / stars, 1.0, 1e-10);
}

TEST(HydroSnapshot, TngHeaderUnitsMatchKpcFile) {
  // The same particles in Mpc/h (units on /Header, AREPO/TNG style) and in kpc/h.
  Spec mpc;
  mpc.layout = "tng";
  mpc.box = 20.0;
  mpc.length_cm = 3.085678e24;
  mpc.gas = make_part(30, mpc.box, 3e-3, true);
  Spec kpc = mpc;
  kpc.box = 20000.0;
  kpc.length_cm = kKpcCm;
  for (double& x : kpc.gas.pos) x *= 1000;
  const std::string a = tmp("tng", "mpc.hdf5");
  const std::string b = (std::filesystem::path(a).parent_path() / "kpc.hdf5").string();
  write_single(a, mpc);
  write_single(b, kpc);
  const cg::HydroSnapshot sa = cg::read_hydro_snapshot(a, Q::temperature);
  const cg::HydroSnapshot sb = cg::read_hydro_snapshot(b, Q::temperature);
  EXPECT_DOUBLE_EQ(sa.header.box_size, 20.0);
  EXPECT_DOUBLE_EQ(sb.header.box_size, 20.0);
  ASSERT_EQ(sa.gas_pos.size(), sb.gas_pos.size());
  for (std::size_t i = 0; i < sa.gas_pos.size(); ++i) {
    EXPECT_NEAR(sa.gas_pos[i], sb.gas_pos[i], 1e-12 * 20);
    EXPECT_NEAR(sa.gas_pos[i], wrap(mpc.gas.pos[i], 20.0), 1e-12 * 20);
  }
  // UnitMass_in_g = 1.989e43 is 1.989e43 / Msun_IAU x 1e10 Msun/h.
  const double m_unit = kTngMassG / cg::units::msun_g;
  for (std::size_t j = 0; j < sa.num_gas(); ++j) {
    EXPECT_NEAR(sa.gas_mass[j] / (mpc.gas.mass[j] * m_unit), 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(sa.internal_energy[j], mpc.gas.u[j]);  // (km/s)^2
    EXPECT_DOUBLE_EQ(sa.electron_abundance[j], mpc.gas.x_e[j]);
  }
}

TEST(HydroSnapshot, CamelsFloat32ReadAll) {
  Spec s;  // CAMELS: TNG-like, float32, kpc/h and 1e10 Msun/h on /Header
  s.layout = "tng";
  s.box = 25000;
  s.float32 = true;
  s.vel_cm_s = 2e5;  // a 2 km/s velocity unit: u in the file is in units of 4 (km/s)^2
  s.gas = make_part(40, s.box, 1e-3, true);
  s.stars = make_part(10, s.box, 5e-4, false);
  const std::string path = tmp("camels", "snap_033.hdf5");
  write_single(path, s);
  const cg::HydroSnapshot snap = cg::read_hydro_snapshot(path, Q::none, true);
  EXPECT_DOUBLE_EQ(snap.header.box_size, 25.0);
  ASSERT_EQ(snap.num_gas(), 40u);
  ASSERT_EQ(snap.num_stars(), 10u);
  ASSERT_EQ(snap.gas_density.size(), 40u);
  ASSERT_EQ(snap.star_formation_rate.size(), 40u);
  const double m_unit = kTngMassG / cg::units::msun_g;  // Msun/h per file mass unit
  const double rho_unit = m_unit / 1e-9;                // per (kpc/h)^3 -> per (Mpc/h)^3
  for (std::size_t j = 0; j < 40; ++j) {
    const auto f = [](double v) { return static_cast<double>(static_cast<float>(v)); };
    EXPECT_NEAR(snap.gas_pos[3 * j] / wrap(f(s.gas.pos[3 * j]) / 1000, 25.0), 1.0, 1e-6);
    EXPECT_NEAR(snap.gas_mass[j] / (f(s.gas.mass[j]) * m_unit), 1.0, 1e-12);
    EXPECT_NEAR(snap.internal_energy[j] / (4.0 * f(s.gas.u[j])), 1.0, 1e-12);
    EXPECT_NEAR(snap.gas_density[j] / (f(s.gas.rho[j]) * rho_unit), 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(snap.star_formation_rate[j], f(s.gas.sfr[j]));  // Msun/yr as stored
  }
}

TEST(HydroSnapshot, MultiFileMatchesSingleFile) {
  Spec s;
  s.layout = "units";  // Gadget-2/3 style with a /Units group
  s.gas = make_part(25, s.box, 1e-3, true);
  s.stars = make_part(6, s.box, 1e-3, false);
  const std::string single = tmp("multi", "one.hdf5");
  write_single(single, s);
  const std::string dir = std::filesystem::path(single).parent_path().string();
  Spec f0 = s, f1 = s;
  const auto split = [](const Part& p, std::size_t b, std::size_t e) {
    Part out;
    const auto cut = [&](const std::vector<double>& v, std::size_t w) {
      return v.empty() ? v : std::vector<double>(v.begin() + b * w, v.begin() + e * w);
    };
    out.pos = cut(p.pos, 3), out.mass = cut(p.mass, 1), out.u = cut(p.u, 1);
    out.x_e = cut(p.x_e, 1), out.rho = cut(p.rho, 1), out.sfr = cut(p.sfr, 1);
    return out;
  };
  f0.gas = split(s.gas, 0, 10), f1.gas = split(s.gas, 10, 25);
  f0.stars = Part{}, f1.stars = s.stars;  // all stars in the second file
  const std::array<std::uint64_t, 6> total{25, 0, 0, 0, 6, 0};
  write_file(dir + "/snap.0.hdf5", f0, 2, total);
  write_file(dir + "/snap.1.hdf5", f1, 2, total);
  const Q all = Q::electron_pressure | Q::stellar_density;
  const cg::HydroSnapshot ref = cg::read_hydro_snapshot(single, all);
  for (const std::string& path : {dir + "/snap", dir + "/snap.0.hdf5", dir + "/snap.1.hdf5"}) {
    const cg::HydroSnapshot snap = cg::read_hydro_snapshot(path, all);
    EXPECT_EQ(snap.header.num_files, 2) << path;
    EXPECT_EQ(snap.gas_pos, ref.gas_pos) << path;
    EXPECT_EQ(snap.gas_mass, ref.gas_mass) << path;
    EXPECT_EQ(snap.internal_energy, ref.internal_energy) << path;
    EXPECT_EQ(snap.electron_abundance, ref.electron_abundance) << path;
    EXPECT_EQ(snap.star_pos, ref.star_pos) << path;
    EXPECT_EQ(snap.star_mass, ref.star_mass) << path;
  }
  EXPECT_DOUBLE_EQ(ref.header.box_size, 20.0);  // /Units group in kpc/h
}

TEST(HydroSnapshot, MassTableWithoutMassesDataset) {
  Spec s;
  s.layout = "none";  // no unit attributes: Gadget's defaults kpc/h, 1e10 Msun/h
  s.gas = make_part(12, s.box, 1.0, false);
  s.gas.mass.clear();
  s.mass_table[0] = 0.02;
  const std::string path = tmp("masstable", "snap.hdf5");
  write_single(path, s);
  const cg::HydroSnapshot snap = cg::read_hydro_snapshot(path);
  ASSERT_EQ(snap.gas_mass.size(), 12u);
  for (double m : snap.gas_mass) EXPECT_NEAR(m / 2e8, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(snap.header.box_size, 20.0);
  // No Masses and MassTable[0] = 0: an error naming the dataset.
  s.mass_table[0] = 0;
  write_single(path, s);
  try {
    cg::read_hydro_snapshot(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/PartType0/Masses"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("MassTable[0]"), std::string::npos) << e.what();
  }
}

TEST(HydroSnapshot, MissingDatasetsFilesAndAttributes) {
  Spec s;
  s.gas = make_part(8, s.box, 1e-3, true);
  s.gas.x_e.clear();
  const std::string path = tmp("missing", "gas.hdf5");
  write_single(path, s);
  EXPECT_EQ(cg::read_hydro_snapshot(path, Q::gas_density).num_gas(), 8u);
  try {
    cg::read_hydro_snapshot(path, Q::gas_density | Q::electron_pressure);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": /PartType0/ElectronAbundance is missing (needed for electron_pressure)");
  }
  // A snapshot read for gas only cannot paint the electron pressure.
  EXPECT_THROW(cg::paint_hydro_fields(cg::read_hydro_snapshot(path), Q::electron_pressure, 4),
               std::invalid_argument);
  try {
    cg::read_hydro_snapshot(path + "_absent");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + "_absent"), std::string::npos) << e.what();
  }
  {  // A header without BoxSize.
    h5::H5Id file = h5::h5_create_file(path);
    { h5::H5Id header = h5::h5_create_group(file.get(), "Header", path); }
    file.close("H5Fclose", path);
  }
  try {
    cg::read_hydro_snapshot(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("BoxSize"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(HydroFields, UniformGasAnalyticTemperatureAndPressure) {
  // One gas particle on every mesh node (CIC puts all of it in that cell), all with the same
  // u and x_e: n_e, T and P_e = n_e k_B T are analytic in every cell.
  const int n = 4;
  const double box = 8.0, u = 2.5e4, x_e = 1.1, mass = 3e9;  // Mpc/h, (km/s)^2, -, Msun/h
  cg::HydroSnapshot snap;
  snap.header.box_size = box;
  snap.header.a = 0.8;
  snap.header.h = 0.7;
  for (int i = 0; i < n * n * n; ++i) {
    for (int c : {i / (n * n), (i / n) % n, i % n}) snap.gas_pos.push_back(c * box / n);
    snap.gas_mass.push_back(mass);
    snap.internal_energy.push_back(u);
    snap.electron_abundance.push_back(x_e);
  }
  const double X = 0.76, mu = 4.0 / (1 + 3 * X + 4 * X * x_e);
  const double T = (5.0 / 3.0 - 1.0) * u * 1e10 * mu * kMp / kKb;
  const double cell_cm = 0.8 * (box / n) / 0.7 * cg::units::mpc_cm;
  const double n_e = x_e * X * (mass / 0.7 * cg::units::msun_g) / kMp / std::pow(cell_cm, 3);
  const double p_e = n_e * kKb * T / kKev;
  EXPECT_NEAR(cg::gas_temperature(u, x_e) / T, 1.0, 1e-12);
  const std::vector<cg::HydroMesh> m = cg::paint_hydro_fields(
      snap, Q::electron_density | Q::electron_pressure | Q::temperature | Q::gas_density, n);
  ASSERT_EQ(m.size(), 4u);
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        EXPECT_NEAR(m[0].field.at(x, y, z) / (mass / std::pow(box / n, 3)), 1.0, 1e-6);
        EXPECT_NEAR(m[1].field.at(x, y, z) / n_e, 1.0, 1e-6);
        EXPECT_NEAR(m[2].field.at(x, y, z) / p_e, 1.0, 1e-6);
        EXPECT_NEAR(m[3].field.at(x, y, z) / T, 1.0, 1e-6);
      }
}

TEST(HydroFields, ScatteredGasKeepsPressureEqualsNeKT) {
  // Scattered particles of unequal masses but one u and x_e: in every cell with gas the
  // mass-weighted T is that of the particles and P_e = n_e k_B T; empty cells have T = 0.
  Spec s;
  s.gas = make_part(60, 8.0, 1e9, true);
  cg::HydroSnapshot snap;
  snap.header.box_size = 8.0;
  snap.header.a = 1.0;
  snap.header.h = 0.7;
  for (double x : s.gas.pos) snap.gas_pos.push_back(wrap(x, 8.0));
  snap.gas_mass = s.gas.mass;
  snap.internal_energy.assign(60, 4e4);
  snap.electron_abundance.assign(60, 1.15);
  const int n = 8;
  const double T = cg::gas_temperature(4e4, 1.15);
  const auto m =
      cg::paint_hydro_fields(snap, Q::electron_density | Q::electron_pressure | Q::temperature, n);
  int empty = 0;
  for (int x = 0; x < n; ++x)
    for (int y = 0; y < n; ++y)
      for (int z = 0; z < n; ++z) {
        const double ne = m[0].field.at(x, y, z);
        if (ne == 0) {
          ++empty;
          EXPECT_EQ(m[2].field.at(x, y, z), 0.0);  // temperature 0 where no gas
          continue;
        }
        EXPECT_NEAR(m[1].field.at(x, y, z) / (ne * kKb * T / kKev), 1.0, 1e-6);
        EXPECT_NEAR(m[2].field.at(x, y, z) / T, 1.0, 1e-6);
      }
  EXPECT_GT(empty, 0);
}

TEST(HydroFields, QuantityNames) {
  for (Q q : cg::kHydroQuantities) {
    EXPECT_EQ(cg::parse_hydro_quantity(cg::hydro_quantity_name(q)), q);
    EXPECT_NE(std::string(cg::hydro_quantity_unit(q)), "");
  }
  try {
    cg::parse_hydro_quantity("pressure", "--field");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--field"), std::string::npos) << msg;
    EXPECT_NE(msg.find("electron_pressure"), std::string::npos) << msg;
  }
}

}  // namespace
