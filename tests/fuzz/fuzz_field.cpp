// libFuzzer target: sim::read_field / read_linear_field on HDF5 field files whose dataset
// (name, shape, type, layout) and attributes (on the dataset or the root group) the input
// chooses; the expected mesh size is 2 to 8.
#include <cstdint>
#include <exception>
#include <string>

#include "sim/io/field_io.hpp"
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
  const std::string path = (fuzz::scratch_dir() / "field.h5").string();
  const bool linear = !in.ConsumeBool();
  const int expected = 2 * (1 + in.ConsumeIntegral<std::uint8_t>() % 4);
  const hsize_t n =
      static_cast<hsize_t>(in.ConsumeBool() ? 2 * in.ConsumeIntegralInRange<int>(0, 5) : expected);
  {
    H5Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (file.id < 0) return 0;
    const bool wrong_name = in.ConsumeIntegralInRange<int>(0, 15) == 15;
    const std::string name = linear != wrong_name ? "delta" : "rho";
    // The (n, n, n) cube, or a wrong shape, or a huge never-written one.
    {
      const int mode = 9 - in.ConsumeIntegralInRange<int>(0, 9);  // 9: as it should be
      std::vector<hsize_t> dims{n, n, n};
      if (mode == 1) dims[2] += 1;
      if (mode == 2) dims.pop_back();
      const bool huge = mode == 3;
      if (huge) dims[0] = hsize_t{1} << 40;
      H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
      H5Handle dset(H5Dcreate2(file.id, name.c_str(), fuzz::pick_type(in, 1), space.id, H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
      if (dset.id >= 0) {
        if (!huge) {
          std::size_t count = 1;
          for (hsize_t d : dims) count *= static_cast<std::size_t>(d);
          std::vector<double> v(count);
          for (std::size_t i = 0; i < count; ++i) v[i] = fuzz::pick_double(in, 0.01 * double(i));
          H5Dwrite(dset.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        }
        const hid_t holder = in.ConsumeBool() ? file.id : dset.id;
        fuzz::put_double(holder, "box_size", 100.0, in);
        fuzz::put_double(holder, "redshift", 9.0, in);
      }
    }
  }
  try {
    if (linear) {
      (void)sim::read_linear_field<double>(path, expected);
    } else {
      (void)sim::read_field<float>(path, "rho", expected, "mesh");
    }
    fuzz::report("accepted");
  } catch (const std::exception& e) {
    fuzz::report(e.what());  // rejected with a message: the expected outcome for a bad file
  }
  return 0;
}
