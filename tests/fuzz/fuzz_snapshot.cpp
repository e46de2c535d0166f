// libFuzzer target: sim::read_snapshot on Gadget HDF5 snapshots (one to three files) whose
// header attributes, units, groups and datasets (shape, type, layout) the input chooses.
#include <cstdint>
#include <exception>
#include <string>

#include "sim/io/snapshot.hpp"
#include "tests/fuzz/h5_generator.hpp"

using namespace cosmograd;
using fuzz::H5Handle;

namespace {

/// Writes file `index` of `files` with `rows` particles, `total` in all.
void write_file(const std::string& path, int files, hsize_t rows, std::uint64_t total,
                FuzzedDataProvider& in) {
  H5Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (file.id < 0) return;
  const double box = 1000.0;
  {
    H5Handle g(fuzz::put_group(file.id, "Header", in), H5Gclose);
    const double this_file = static_cast<double>(fuzz::pick_count(in, rows));
    const std::uint64_t tot = fuzz::pick_count(in, total);
    fuzz::put_attribute(g.id, "NumPart_ThisFile", {0, this_file, 0, 0, 0, 0}, in, 3);
    fuzz::put_attribute(g.id, "NumPart_Total",
                        {0, static_cast<double>(tot & 0xffffffffu), 0, 0, 0, 0}, in, 3);
    fuzz::put_attribute(g.id, "NumPart_Total_HighWord",
                        {0, static_cast<double>(tot >> 32), 0, 0, 0, 0}, in, 3);
    fuzz::put_attribute(g.id, "MassTable", {0, fuzz::pick_double(in, 0.5), 0, 0, 0, 0}, in);
    fuzz::put_double(g.id, "Time", 0.5, in);
    fuzz::put_double(g.id, "BoxSize", box, in);
    fuzz::put_attribute(g.id, "NumFilesPerSnapshot",
                        {static_cast<double>(fuzz::pick_count(in, files))}, in, 2);
    fuzz::put_double(g.id, "Omega0", 0.3, in);
    fuzz::put_double(g.id, "OmegaLambda", 0.7, in);
    fuzz::put_double(g.id, "HubbleParam", 0.7, in);
  }
  if (!in.ConsumeBool()) {
    H5Handle g(fuzz::put_group(file.id, "Parameters", in), H5Gclose);
    fuzz::put_double(g.id, "UnitLength_in_cm", 3.085678e21, in);
    fuzz::put_double(g.id, "UnitVelocity_in_cm_per_s", 1e5, in);
    fuzz::put_double(g.id, "UnitMass_in_g", 1.989e43, in);
    if (in.ConsumeBool()) {
      for (const char* name :
           {"OmegaBaryon", "Sigma8", "PrimordialIndex", "DarkEnergyW0", "DarkEnergyWa",
            "OmegaCurvature", "CMBTemperature", "NEff", "PrimordialAmplitude", "Radiation"}) {
        fuzz::put_double(g.id, name, 0.5, in);
      }
    }
  }
  H5Handle g(fuzz::put_group(file.id, "PartType1", in), H5Gclose);
  auto coordinate = [&](std::size_t i) { return static_cast<double>(i % 997) * box / 997.0; };
  fuzz::put_dataset(g.id, "Coordinates", rows, 3, in, 1, coordinate);
  fuzz::put_dataset(g.id, "Velocities", rows, 3, in, 1,
                    [](std::size_t i) { return static_cast<double>(i) - 3.0; });
  fuzz::put_dataset(g.id, "ParticleIDs", rows, 0, in, 5,
                    [](std::size_t i) { return static_cast<double>(i + 1); });
  if (in.ConsumeBool()) {
    fuzz::put_dataset(g.id, "Masses", rows, 0, in, 0, [](std::size_t) { return 0.5; });
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_hdf5();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::clear_scratch();
  const std::string base = (fuzz::scratch_dir() / "snap").string();
  const int files = 1 + in.ConsumeIntegral<std::uint8_t>() % 3;
  std::uint64_t total = 0;
  std::vector<hsize_t> rows(static_cast<std::size_t>(files));
  for (hsize_t& r : rows) total += r = (in.ConsumeIntegral<std::uint8_t>() + 5) % 41;
  const std::vector<std::string> names = sim::snapshot_file_names(base, files);
  for (int i = 0; i < files; ++i) write_file(names[i], files, rows[i], total, in);
  const bool as_double = in.ConsumeBool();
  const std::string path = in.ConsumeBool() ? base : names[0];
  try {
    if (as_double) {
      (void)sim::read_snapshot<double>(path);
    } else {
      (void)sim::read_snapshot<float>(path);
    }
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // rejected with a message: the expected outcome for a bad file
  }
  return 0;
}
