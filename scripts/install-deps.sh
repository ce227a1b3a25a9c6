#!/usr/bin/env bash
# Installs what building, serving and testing Entente needs on Debian 12.
# Safe to run again: only missing packages are installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  librocksdb-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-graph-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libjemalloc-dev libedit-dev openssl
  clang libclang-rt-14-dev  # libFuzzer, for the fuzz targets (scripts/fuzz.sh)
  python3 python3-grpcio python3-protobuf python3-pytest python3-pandas
  python3-nbclient python3-nbformat python3-ipykernel python3-matplotlib python3-networkx
)
# Machines that already have Node.js (from Debian or elsewhere) keep it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# buf (lint, and `buf curl` for exploring the server through reflection).
if ! command -v buf >/dev/null 2>&1; then
  echo "install-deps: installing buf from npm"
  npm install -g --silent @bufbuild/buf@1.75.0
fi
