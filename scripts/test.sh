#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest: GoogleTest,
# integration tests against the real server, seed and API checks) — first in
# a normal build, then again built with AddressSanitizer + UndefinedBehavior-
# Sanitizer, then a short run of each libFuzzer target (clang, build-fuzz;
# docs/fuzzing.md). SKIP_SANITIZERS=1 runs only the first pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

echo "== build and test ($root/build)"
"$root/scripts/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j "$(nproc)"

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== build and test with ASan + UBSan ($root/build-asan)"
  "$root/scripts/build.sh" "$root/build-asan" -DENTENTE_SANITIZE=ON
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j "$(nproc)"
  echo "== fuzz targets, a short run each ($root/build-fuzz)"
  "$root/scripts/fuzz.sh" --ctest
fi
echo "== all tests passed"
