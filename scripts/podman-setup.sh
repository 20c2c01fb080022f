#!/usr/bin/env bash
# Make the docker backend testable against Podman's Docker-compatible
# service too: Debian's podman installed, `podman system service` answering
# on /run/podman/podman.sock, and the sandbox image imported into Podman's
# store.  Idempotent.  Exit 0 when ready; otherwise non-zero with the reason
# on stderr (scripts/test.sh then skips the Podman pass and prints it).
set -uo pipefail
cd "$(dirname "$0")/.."

SOCK=/run/podman/podman.sock
LOG=${LR_PODMAN_LOG:-/tmp/llm-runtime-podman.log}
ping_engine() { curl -sf --max-time 5 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

[ "$(id -u)" -eq 0 ] || { echo "podman-setup: needs root (rootful Podman service)" >&2; exit 1; }
if ! command -v podman >/dev/null; then
  echo "podman-setup: installing podman"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman; } >/tmp/llm-runtime-podman-apt.log 2>&1 || {
    echo "podman-setup: apt-get install podman failed (log: /tmp/llm-runtime-podman-apt.log)" >&2; exit 1; }
fi
# This machine kind has hybrid cgroups and no systemd: Debian's crun 1.8
# fails there, runc works, and cgroups are managed directly.  An existing
# configuration is left alone.
if [ ! -e /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
    > /etc/containers/containers.conf
fi
if ! ping_engine; then
  mkdir -p /run/podman
  echo "podman-setup: starting podman system service (log: $LOG)"
  setsid podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 60); do ping_engine && break; sleep 0.5; done
  ping_engine || { echo "podman-setup: the Podman service did not answer on $SOCK within 30 s:" >&2; tail -5 "$LOG" >&2; exit 1; }
fi
echo "podman-setup: $(curl -s --unix-socket "$SOCK" http://d/version | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["Components"][0]["Name"], v["Version"], "API", v["ApiVersion"])' 2>/dev/null) on $SOCK"
DOCKER_HOST=unix://$SOCK ./scripts/build-image.sh || { echo "podman-setup: importing the image failed" >&2; exit 1; }
# A sandbox must start here, or the pass would only test error paths.
if [ -x build/llm-runtime ]; then
  ws=$(mktemp -d /tmp/lr-podman-check.XXXXXX); chown 1000:1000 "$ws"
  out=$(echo '<exec echo podman-ok>' | DOCKER_HOST=unix://$SOCK build/llm-runtime --root "$ws" --no-audit --backend docker 2>&1)
  rm -rf "$ws"
  case $out in
    *podman-ok*) echo "podman-setup: a sandbox runs on Podman" ;;
    *) echo "podman-setup: a sandbox does not start on Podman here:" >&2; echo "$out" | tail -3 >&2; exit 1 ;;
  esac
fi
