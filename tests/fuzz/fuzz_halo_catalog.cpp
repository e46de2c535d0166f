// libFuzzer target: sim::read_halo_catalog on HDF5 halo catalogues whose header counts
// (Ngroups_ThisFile, Nids_ThisFile), units and /Group, /IDs datasets the input chooses.
#include <cstdint>
#include <exception>
#include <string>

#include "sim/measure/halo_catalog.hpp"
#include "tests/fuzz/h5_generator.hpp"

using namespace cosmograd;
using fuzz::H5Handle;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_hdf5();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::clear_scratch();
  const std::string path = (fuzz::scratch_dir() / "halos.hdf5").string();
  const hsize_t groups = (in.ConsumeIntegral<std::uint8_t>() + 4) % 13;
  const hsize_t ids = groups * (in.ConsumeIntegral<std::uint8_t>() % 5 + 3) +
                      in.ConsumeIntegral<std::uint8_t>() % 4;
  {
    H5Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (file.id < 0) return 0;
    if (!in.ConsumeBool()) {
      H5Handle g(fuzz::put_group(file.id, "Parameters", in), H5Gclose);
      fuzz::put_double(g.id, "UnitLength_in_cm", 3.085678e21, in);
    }
    {
      H5Handle g(fuzz::put_group(file.id, "Header", in), H5Gclose);
      fuzz::put_attribute(g.id, "Ngroups_ThisFile",
                          {static_cast<double>(fuzz::pick_count(in, groups))}, in, 4);
      fuzz::put_attribute(g.id, "Nids_ThisFile", {static_cast<double>(fuzz::pick_count(in, ids))},
                          in, 4);
      for (const char* name : {"BoxSize", "Time", "Omega0", "OmegaLambda", "HubbleParam",
                               "ParticleMass", "LinkingLength", "MinMembers"}) {
        fuzz::put_double(g.id, name, 0.5, in);
      }
    }
    {
      H5Handle g(fuzz::put_group(file.id, "Group", in), H5Gclose);
      const hsize_t per = groups > 0 ? ids / groups : 0;
      fuzz::put_dataset(g.id, "GroupLen", groups, 0, in, 3,
                        [&](std::size_t) { return static_cast<double>(per); });
      fuzz::put_dataset(g.id, "GroupOffset", groups, 0, in, 5,
                        [&](std::size_t i) { return static_cast<double>(i * per); });
      fuzz::put_dataset(g.id, "GroupFirstID", groups, 0, in, 5,
                        [](std::size_t i) { return static_cast<double>(i); });
      for (const char* name : {"GroupPos", "Group_Pos_SO", "GroupVel"}) {
        fuzz::put_dataset(g.id, name, groups, 3, in, 0,
                          [](std::size_t i) { return static_cast<double>(i); });
      }
      for (const char* name : {"GroupMass", "Group_M_Mean200", "Group_R_Mean200", "Group_M_Crit200",
                               "Group_R_Crit200", "GroupVelDisp", "GroupRadius"}) {
        fuzz::put_dataset(g.id, name, groups, 0, in, 0, [](std::size_t) { return 1.0; });
      }
    }
    {
      H5Handle g(fuzz::put_group(file.id, "IDs", in), H5Gclose);
      fuzz::put_dataset(g.id, "ID", ids, 0, in, 5,
                        [](std::size_t i) { return static_cast<double>(i); });
    }
  }
  try {
    (void)sim::read_halo_catalog(path);
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // rejected with a message: the expected outcome for a bad file
  }
  return 0;
}
