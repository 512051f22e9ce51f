#!/usr/bin/env bash
# Installs the Debian 12 packages attnserve needs to build, run and test. Idempotent: packages
# already installed are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config clang-format
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libcivetweb-dev civetweb prometheus nlohmann-json3-dev libyaml-cpp-dev
  libssl-dev openssl libhwy-dev libgtest-dev libgmock-dev clang libclang-rt-14-dev
  docker.io docker-compose debootstrap
  python3 python3-grpcio python3-numpy python3-protobuf python3-matplotlib python3-yaml
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# Node.js runs the grpc-js interop test. Checked by command, not package: a Node.js from
# elsewhere (e.g. NodeSource, which bundles npm) serves as well, and Debian's npm would clash
# with it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages and Node.js present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
