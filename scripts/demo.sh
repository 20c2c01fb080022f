#!/usr/bin/env bash
# One command for a fresh machine: install dependencies, build, and run a
# sample LLM reply (examples/demo/reply.txt) against a demo workspace through
# the native sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build llm-runtime >/dev/null

ws=build/demo-workspace
rm -rf "$ws"
cp -r examples/demo/workspace "$ws"
# As root, the sandbox user maps to the workspace owner; a root-owned
# workspace maps to nobody, which could not write.  Give the demo workspace
# to an unprivileged uid (see SECURITY.md, "Identity").
if [ "$(id -u)" -eq 0 ]; then chown -R 1000:1000 "$ws"; fi

echo "--- input: examples/demo/reply.txt ---"
cat examples/demo/reply.txt
echo "--- output of: build/llm-runtime --root $ws --input examples/demo/reply.txt ---"
exec build/llm-runtime --root "$ws" --input examples/demo/reply.txt --no-audit
