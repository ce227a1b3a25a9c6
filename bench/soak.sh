#!/usr/bin/env bash
# Soak test of entented: a mixed query, write and import load for SECONDS (default 600),
# with the server's RSS sampled into a CSV and RSS growth and error counts reported.
#   bash bench/soak.sh [BUILD] [SECONDS] [--clients N] [--write-rate R] [--out DIR] ...
# bench/soak.py does the work (`bash bench/soak.sh --help` lists the options);
# docs/benchmarks.md, "Soak test", says what it does and reports. Not run by CTest.
set -euo pipefail
# Debian's python3 has grpcio and protobuf; the first python3 on PATH may not.
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/soak.py" "$@"
