#!/usr/bin/env bash
# Install the Debian packages llm-runtime needs to build and test.
# Idempotent: installs only what is missing; runs apt-get update first when
# it has something to install.  Needs root (or sudo).
set -euo pipefail

BUILD_PKGS=(build-essential meson ninja-build pkg-config libseccomp-dev libjansson-dev libyaml-dev libgit2-dev libcurl4-openssl-dev)
TEST_PKGS=(libcmocka-dev clang libclang-rt-14-dev python3 procps curl bubblewrap)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${TEST_PKGS[@]}")
fi

missing=()
# The MCP client test runs the official TypeScript SDK on Node.js.  A
# machine that already has node and npm (from any source) keeps them;
# otherwise Debian's nodejs and npm are installed.
if [ "${1:-}" = "--test" ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
