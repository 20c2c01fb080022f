#!/usr/bin/env bash
# Make the docker backend testable here: Debian's docker.io installed, a
# Docker Engine answering on /var/run/docker.sock (started in the background
# when none runs), and the sandbox image built offline.  Idempotent.
# Exit 0 when all is ready; otherwise non-zero with the reason on stderr
# (scripts/test.sh then skips the docker pass and prints it).
set -uo pipefail
cd "$(dirname "$0")/.."

SOCK=/var/run/docker.sock
LOG=${LR_DOCKERD_LOG:-/tmp/llm-runtime-dockerd.log}
ping_engine() { curl -sf --max-time 5 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

if ! ping_engine; then
  if ! command -v dockerd >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "docker-setup: dockerd is not installed and we are not root to install docker.io" >&2; exit 1
    fi
    echo "docker-setup: installing docker.io"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io; } >/tmp/llm-runtime-docker-apt.log 2>&1 || {
      echo "docker-setup: apt-get install docker.io failed (log: /tmp/llm-runtime-docker-apt.log)" >&2; exit 1; }
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "docker-setup: no Docker Engine answers on $SOCK and only root can start dockerd here" >&2; exit 1
  fi
  echo "docker-setup: starting dockerd (log: $LOG)"
  # setsid: the daemon must outlive this script and the test run's process group.
  setsid dockerd >"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 60); do ping_engine && break; sleep 0.5; done
  if ! ping_engine; then
    echo "docker-setup: dockerd did not answer on $SOCK within 30 s; its log says:" >&2
    tail -5 "$LOG" >&2
    exit 1
  fi
fi
echo "docker-setup: Docker Engine $(curl -s --unix-socket "$SOCK" http://d/version | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["Version"], "API", v["ApiVersion"])' 2>/dev/null) on $SOCK"
./scripts/build-image.sh || { echo "docker-setup: building the sandbox image failed" >&2; exit 1; }
