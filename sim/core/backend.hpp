// Compute backends (ARCHITECTURE §3): tag types and the one run-time dispatch point.
#pragma once

#include <string>

#include "sim/core/build_config.hpp"

namespace cosmograd::sim {

/// Where the engine's arrays live and its kernels run.
enum class Device { cpu, cuda };

/// Tag type of the CPU backend (FFTW + OpenMP); always built, the test oracle.
struct CpuTag {};
/// Tag type of the CUDA backend (cuFFT + kernels in sim/cuda/).
struct CudaTag {};

/// True when this build contains the CUDA backend.
inline constexpr bool kCudaBuilt = COSMOGRAD_WITH_CUDA != 0;

/// Parses "cpu" or "cuda"; throws std::invalid_argument naming the key `field` otherwise.
Device parse_device(const std::string& name, const std::string& field = "device");
/// "cpu" or "cuda".
const char* device_name(Device device);
/// Number of CUDA devices usable now (0 in a build without CUDA or without a GPU).
int cuda_device_count();
/// Throws std::invalid_argument when `device` cannot run in this build or on this machine.
void require_device(Device device);
/// Sets the OpenMP thread count when requested > 0; returns the count in use (1 without
/// OpenMP).
int use_threads(int requested);
/// One line per compiled-in feature and visible device, for `cosmograd info`.
std::string build_summary();

}  // namespace cosmograd::sim
