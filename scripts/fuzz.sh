#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang in
# build-fuzz and runs each for SECONDS_PER_TARGET (default 300) over a copy
# of its corpus in build-fuzz/fuzz-runs/TARGET (the committed corpus does not
# grow). Exits non-zero when any target crashed, printing where the input is.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#        scripts/fuzz.sh --ctest   (build, then the short CTest runs: ctest -L fuzz;
#                                   scripts/test.sh does this)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=long
if [ "${1:-}" = --ctest ]; then mode=ctest; shift; fi
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_import_tsv fuzz_import_csv fuzz_import_jsonl fuzz_seeds fuzz_requests)
"$root/scripts/install-deps.sh"

build="$root/build-fuzz"
echo "== build the fuzz targets ($build, clang)"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DENTENTE_FUZZ=ON >/dev/null
cmake --build "$build" --target entente_fuzzers -j "$(nproc)"
if [ "$mode" = ctest ]; then
  exec ctest --test-dir "$build" -L fuzz --output-on-failure -j "$(nproc)"
fi

failed=()
for target in "${targets[@]}"; do
  echo "== $target: ${seconds} s"
  bash "$root/fuzz/run.sh" "$build/fuzz/$target" "$root/fuzz/corpus/$target" "$seconds" \
    "$build/fuzz-runs/$target" || failed+=("$target")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzzing found failures in: ${failed[*]} (inputs and logs under $build/fuzz-runs/)"
  exit 1
fi
echo "== no target crashed"
