#!/usr/bin/env bash
# Installs what is missing, builds, and serves the seeded Entente graph.
# The database lives in ./entente-data (ENTENTE_DB overrides); on first start
# it is created and the curated seed graph is loaded into it. Extra arguments
# go to entented (e.g. --listen 127.0.0.1:6000). Stop with Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"
exec "$root/build/server/entented" --db "${ENTENTE_DB:-$root/entente-data}" "$@"
