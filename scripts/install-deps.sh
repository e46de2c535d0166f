#!/usr/bin/env bash
# Install cosmograd's Debian build dependencies that are missing; idempotent.
# A second run finds everything installed and does nothing (no apt calls).
set -euo pipefail

# Packages, one group per reason.
packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make
  # sim/: FFTs (threads + MPI), HDF5 I/O, MPI
  libfftw3-dev libfftw3-mpi-dev libhdf5-dev libopenmpi-dev openmpi-bin
  # nn/, inference/, surveys/: LibTorch; linear algebra
  libtorch-dev libeigen3-dev
  # sim/baryons: L-BFGS for the LDL fit (header-only, on Eigen)
  liblbfgspp-dev
  # apps/: command line
  libboost-program-options-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # CI's fuzz stage (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # surveys/ and outputs: FITS images, raw PNG images, HEALPix sky maps
  libcfitsio-dev libpng-dev libhealpix-cxx-dev
  # viz/: plots and density maps (PLplot and its cairo PNG driver)
  libplplot-dev plplot-driver-cairo
  # integration test: snapshots must open in yt
  python3-yt
  # integration test: mock tables must open in astropy (FITS) and h5py
  python3-astropy
  # integration test: SExtractor detects the galaxies of a rendered survey tile
  source-extractor
  # integration test: real galaxy cutouts from scikit-image's Hubble Deep Field image
  # (scripts/hdf_cutouts.py: detection and masks with scipy.ndimage)
  python3-skimage python3-scipy
  # python/: the `cosmograd` module (pybind11 against Debian's PyTorch, the same build as
  # libtorch-dev), its pytest suite, the example's plot and the tests' HDF5 reads
  python3-dev pybind11-dev python3-torch python3-pytest python3-matplotlib python3-h5py
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
