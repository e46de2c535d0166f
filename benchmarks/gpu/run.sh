#!/usr/bin/env bash
# CUDA backend check and benchmark (issue 7), for a machine with the CUDA toolkit and CMake
# (FFTW, HDF5, MPI, Boost and GoogleTest optional). Configures and builds the CUDA path of sim/
# with all cores, runs the gpu tests (ctest -L gpu), then bench_pm_gpu; prints one markdown
# table and writes it to $OUT/pm_gpu.md when $OUT is set. Fits in about 8 minutes on an H100.
# Usage: benchmarks/gpu/run.sh [build-dir]   (default: build-gpu in the repository root)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build-gpu}"
jobs="$(nproc 2>/dev/null || echo 4)"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

echo "== configure ($build)"
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCOSMOGRAD_WITH_TORCH=OFF -DCOSMOGRAD_WITH_MPI=OFF -DCOSMOGRAD_WITH_CUDA=ON \
  -DCOSMOGRAD_BUILD_BENCHMARKS=ON -DCOSMOGRAD_BUILD_TESTS=ON
echo "== build (-j$jobs)"
cmake --build "$build" -j "$jobs"

echo "== gpu tests"
tests_status=0
(cd "$build" && ctest -L gpu --output-on-failure --timeout 300) || tests_status=$?

echo "== benchmark"
args=()
if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  args=(--out "$OUT/pm_gpu.md")
  cp "$build"/Testing/Temporary/LastTest.log "$OUT/gpu_tests.log" 2>/dev/null || true
fi
"$build/benchmarks/bench_pm_gpu" "${args[@]}"
if [[ $tests_status -ne 0 ]]; then
  echo "run.sh: gpu tests FAILED (ctest status $tests_status)" >&2
  exit "$tests_status"
fi
