#!/usr/bin/env bash
# The benchmark, in one command: install what it needs (bubblewrap as a peer,
# gnuplot for the chart), build, measure, and write bench/results/latest.{md,json,png}.
#   bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
missing=()
for p in bubblewrap gnuplot-nox python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build llm-runtime lr-agent >/dev/null
exec python3 bench/bench.py "$@"
