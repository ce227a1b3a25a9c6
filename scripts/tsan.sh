#!/usr/bin/env bash
# Installs what is missing, builds Entente with ThreadSanitizer in build-tsan
# and runs the tests labelled `concurrency` under it (docs/sanitizers.md).
# Not part of scripts/test.sh: it takes too long for the regular run.
#   scripts/tsan.sh [more ctest args, e.g. -R crash_test]
# TSAN_OPTIONS set by the caller are added after ours (a later flag wins).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

echo "== build with ThreadSanitizer ($root/build-tsan)"
"$root/scripts/build.sh" "$root/build-tsan" -DENTENTE_TSAN=ON

echo "== concurrency tests under ThreadSanitizer"
# halt_on_error: a process ends at its first report with exitcode 66, so a
# report in entented (a child of the tests) also ends the server and fails
# the test; tests/tsan.supp holds reports inside the uninstrumented Debian
# libraries (gRPC, protobuf, RocksDB, abseil), each entry with its reason.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 \
suppressions=$root/tests/tsan.supp ${TSAN_OPTIONS:-}"
ctest --test-dir "$root/build-tsan" -L concurrency --output-on-failure -j "$(nproc)" "$@"
echo "== the concurrency tests passed under ThreadSanitizer"
