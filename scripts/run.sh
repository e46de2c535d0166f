#!/usr/bin/env bash
# One command: install what is missing, build, and run the main job (`cosmograd run`
# on its built-in quickstart). Extra arguments go to `cosmograd run`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COSMOGRAD_TARGETS=cosmograd bash "$root/scripts/build.sh"  # the main job needs only the CLI
exec "${COSMOGRAD_BUILD_DIR:-$root/build}/apps/cosmograd" run "$@"
