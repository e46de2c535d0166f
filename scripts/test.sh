#!/usr/bin/env bash
# One command: install what is missing, build, and run the test suite through ctest
# (all labels but `slow`). Exits non-zero on any failure. Extra arguments go to ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COSMOGRAD_BUILD_DIR:-$root/build}"
bash "$root/scripts/build.sh"
cd "$build"
ctest -LE slow --output-on-failure --no-tests=error -j "${COSMOGRAD_JOBS:-2}" "$@"
