// Helpers shared by the Gadget HDF5 readers (dark-matter snapshots, sim/io/snapshot.cpp, and
// hydrodynamical ones, sim/io/hydro_snapshot.cpp): finding the files of a snapshot, unit
// attributes, cosmological parameters and particle totals (sim-internal).
#pragma once

#include <hdf5.h>

#include <array>
#include <cstdint>
#include <string>

namespace cosmograd::sim::detail {

/// Gadget particle types 0..5.
inline constexpr int kGadgetTypes = 6;

/// `s` without a trailing ".hdf5".
std::string strip_hdf5(const std::string& s);
/// Whether `path` names a regular file.
bool file_exists(const std::string& path);
/// The first file of the snapshot named by `path`: the file itself, else <base>.hdf5, else
/// <base>.0.hdf5; throws "<what> not found: tried ..." otherwise.
std::string find_first_file(const std::string& path, const std::string& what);
/// The base name of a multi-file snapshot from one of its files ("a/snap.3.hdf5" -> "a/snap");
/// throws naming the file when it is not <base>.<i>.hdf5.
std::string multi_file_base(const std::string& file);
/// A positive unit attribute `name` from /Parameters (Gadget-4), /Header (AREPO, TNG, CAMELS)
/// or /Units, in that order; `fallback` (Gadget's default) when none holds it.
double read_unit(hid_t file, const std::string& name, double fallback, const std::string& fname);
/// A cosmological parameter from /Header, else /Parameters (Gadget-4); throws naming the file
/// and the attribute when neither has it.
double read_cosmo_parameter(hid_t file, hid_t header, const std::string& name,
                            const std::string& fname);
/// NumPart_Total of every type (+ NumPart_Total_HighWord << 32 when NumPart_Total is stored as
/// 32-bit, the Gadget-2/3 convention; Gadget-4 stores 64-bit totals). `where` names /Header.
std::array<std::uint64_t, kGadgetTypes> read_num_part_total(hid_t header, const std::string& where);

}  // namespace cosmograd::sim::detail
