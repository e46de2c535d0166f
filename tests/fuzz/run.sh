#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in build-fuzz/ and runs
# each for SECONDS seconds (default 60) on a copy of its seed corpus, two at a time. Prints a
# table (target, runs, seconds, result), writes it to build-fuzz/fuzz_results.md and exits
# non-zero when a target crashes. Usage: bash tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${1:-60}
shift || true
build=$root/build-fuzz
jobs=${FUZZ_JOBS:-2}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ini power_table snapshot field halo_catalog fits restart)
fi

export CCACHE_BASEDIR=$root
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
    -DCOSMOGRAD_FUZZ=ON -DCOSMOGRAD_SANITIZE=address,undefined,fuzzer-no-link \
    -DCOSMOGRAD_WITH_TORCH=OFF -DCOSMOGRAD_WITH_CUDA=OFF -DCOSMOGRAD_WITH_MPI=OFF \
    -DCOSMOGRAD_BUILD_TESTS=OFF -DCOSMOGRAD_BUILD_BENCHMARKS=OFF \
    >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
fi
ninja -C "$build" -j "$jobs" $(printf 'fuzz_%s ' "${targets[@]}")

# HDF5 prints its error stack for expected failures; the readers turn them into exceptions.
export HDF5_USE_FILE_LOCKING=FALSE
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$build/fuzz_out
rm -rf "$out"
mkdir -p "$out"

run_one() {
  local t=$1
  local work=$out/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/corpus/" 2>/dev/null || true
  local start=$SECONDS rc=0
  (cd "$work" && TMPDIR=$work "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    corpus >"$work/log.txt" 2>&1) || rc=$?
  echo "$rc $((SECONDS - start))" >"$work/status"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
{
  echo "| target | runs | seconds | result |"
  echo "|---|---:|---:|---|"
  for t in "${targets[@]}"; do
    read -r rc secs <"$out/$t/status"
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t/log.txt" | grep -o '[0-9]*$' || true)
    if [ "$rc" -eq 0 ]; then
      result=ok
    else
      result="CRASH (rc $rc; $out/$t/log.txt, $(ls "$out/$t/artifacts" | head -1))"
      failed=1
    fi
    echo "| $t | ${runs:-?} | $secs | $result |"
  done
} | tee "$build/fuzz_results.md"
exit "$failed"
