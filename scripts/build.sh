#!/usr/bin/env bash
# Installs missing Debian packages, configures (Release, Ninja, ccache) and builds.
# Used by scripts/run.sh and scripts/test.sh; extra arguments go to cmake's configure.
# COSMOGRAD_TARGETS (space-separated) builds only those targets (scripts/run.sh: cosmograd).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COSMOGRAD_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh"

werror=OFF
if [[ -n "${CI:-}" ]]; then werror=ON; fi   # warnings are errors in CI

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache \
  -DCOSMOGRAD_WERROR="$werror" \
  "$@" >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
grep -A30 "cosmograd .* configuration" "$build.configure.log" | sed '/^-- $/q' || true
targets=()
for t in ${COSMOGRAD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "${COSMOGRAD_JOBS:-2}" "${targets[@]}"
