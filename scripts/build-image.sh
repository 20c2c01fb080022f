#!/usr/bin/env bash
# Build the docker backend's sandbox image offline: a root filesystem made
# from Debian packages (apt-get download + dpkg-deb -x, no registry), then
# `docker import`.  Idempotent: does nothing when the image exists.
#
#   scripts/build-image.sh [--tag TAG] [--force] [--rootfs-only DIR]
#
# The image: a non-root `sandbox` user (uid 1000), no SUID/SGID binaries,
# a shell, coreutils and the usual text tools, python3 and git (the test
# suites use them).  The runtime runs it read-only, as the workspace owner,
# with its own static agent as PID 1.  docs/DOCKER-IMAGE.md has the recipe;
# image/Dockerfile builds the same image where a registry is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${LR_IMAGE:-llm-runtime-sandbox:1}
FORCE=0
ROOTFS_ONLY=""
while [ $# -gt 0 ]; do
  case $1 in
    --tag) TAG=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --rootfs-only) ROOTFS_ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-image.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# What goes in.  Keep in step with image/Dockerfile.
PACKAGES=(dash bash coreutils findutils grep sed mawk diffutils procps hostname libc-bin
          python3 git less ncurses-base tzdata)

SOCK=${DOCKER_HOST:-unix:///var/run/docker.sock}
docker_ok() { curl -sf --max-time 5 --unix-socket "${SOCK#unix://}" http://d/_ping >/dev/null 2>&1; }

if [ -z "$ROOTFS_ONLY" ]; then
  case $SOCK in unix://*) ;; *) echo "build-image.sh: only a unix:// DOCKER_HOST is supported here" >&2; exit 1 ;; esac
  if ! docker_ok; then
    echo "build-image.sh: Docker is required to import the image, but no Docker Engine answers on $SOCK." >&2
    echo "  Install it (apt-get install docker.io) and start it (systemctl start docker, or dockerd &)," >&2
    echo "  or run scripts/docker-setup.sh, which does both." >&2
    exit 1
  fi
  if [ "$FORCE" = 0 ] && curl -sf --unix-socket "${SOCK#unix://}" "http://d/images/$TAG/json" >/dev/null; then
    echo "image $TAG exists (use --force to rebuild)"
    exit 0
  fi
fi
[ "$(id -u)" -eq 0 ] || { echo "build-image.sh: run as root (dpkg-deb keeps file ownership only for root)" >&2; exit 1; }

CACHE=${LR_IMAGE_CACHE:-/var/cache/llm-runtime-image}
WORK=$(mktemp -d /tmp/llm-runtime-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=${ROOTFS_ONLY:-$WORK/rootfs}
mkdir -p "$CACHE" "$ROOT"

echo "=== resolving packages ==="
# Every package the set needs: Depends and Pre-Depends, recursively; for a
# virtual package apt lists its providers, of which the first real one is
# taken.
mapfile -t ALL < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${PACKAGES[@]}" 2>/dev/null |
  awk '/^[^ <]/ {print $1}' | sort -u)
# Packages that only matter to a booted system or dpkg itself.
SKIP='^(debconf|debconf-i18n|perl-base|init-system-helpers|adduser|passwd|login|util-linux|mount|sysvinit-utils|systemd.*|libpam.*|dpkg|install-info|gcc-1[0-9]-base|debianutils|lsb-base|media-types|readline-common|libperl5.*)$'
KEEP=()
for p in "${ALL[@]}"; do [[ $p =~ $SKIP ]] || KEEP+=("$p"); done
echo "${#KEEP[@]} packages"

echo "=== downloading into $CACHE ==="
need=()
for p in "${KEEP[@]}"; do compgen -G "$CACHE/${p}_*.deb" >/dev/null || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  (cd "$CACHE" && apt-get download -q "${need[@]}") || {
    echo "build-image.sh: apt-get download failed (is the Debian mirror reachable? try apt-get update)" >&2; exit 1; }
fi

echo "=== unpacking ==="
# Bookworm's packages still ship /bin, /lib...; merged /usr as Debian
# itself lays it out: the top-level directories are links into /usr.
mkdir -p "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/usr/lib" "$ROOT/usr/lib64"
for d in bin sbin lib lib64; do ln -sfn "usr/$d" "$ROOT/$d"; done
for p in "${KEEP[@]}"; do
  deb=$(ls -1 "$CACHE/${p}_"*.deb | tail -1)
  dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$ROOT"
done

echo "=== configuring ==="
[ -e "$ROOT/bin/sh" ] || ln -s dash "$ROOT/usr/bin/sh"
[ -e "$ROOT/usr/bin/python3" ] || ln -s "$(cd "$ROOT/usr/bin" && ls python3.* | grep -E '^python3\.[0-9]+$' | head -1)" "$ROOT/usr/bin/python3"
[ -e "$ROOT/usr/bin/awk" ] || ln -s mawk "$ROOT/usr/bin/awk"
mkdir -p "$ROOT/etc" "$ROOT/workspace" "$ROOT/home/sandbox" "$ROOT/tmp" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/run" "$ROOT/var/tmp"
cat > "$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/nonexistent:/usr/sbin/nologin
sandbox:x:1000:1000:llm-runtime sandbox:/home/sandbox:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$ROOT/etc/group" <<'EOF'
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' > "$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost sandbox\n::1 localhost\n' > "$ROOT/etc/hosts"
echo sandbox > "$ROOT/etc/hostname"
chown 1000:1000 "$ROOT/workspace" "$ROOT/home/sandbox"
chmod 0755 "$ROOT/workspace" "$ROOT/home/sandbox"
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
# No SUID/SGID binary may stay: no-new-privileges would neuter them, but an
# image without them does not depend on that.
find "$ROOT" -xdev -type f -perm /6000 -exec chmod ug-s {} +
# Nothing of root's: the sandbox never runs as root (as natively, /root is absent).
rm -rf "$ROOT/root"
rm -rf "$ROOT/usr/share/doc" "$ROOT/usr/share/man" "$ROOT/usr/share/info" "$ROOT/usr/share/locale" \
       "$ROOT/usr/share/lintian" "$ROOT/var/cache/debconf"
{
  echo "llm-runtime sandbox image 1, built $(date -u +%FT%TZ) from Debian packages:"
  for p in "${KEEP[@]}"; do basename "$(ls -1 "$CACHE/${p}_"*.deb | tail -1)" .deb; done
} > "$ROOT/etc/llm-runtime-image"

if [ -n "$ROOTFS_ONLY" ]; then
  echo "root filesystem ready in $ROOT"
  exit 0
fi

echo "=== importing as $TAG ==="
old_id=$(curl -sf --unix-socket "${SOCK#unix://}" "http://d/images/$TAG/json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])' 2>/dev/null || true)
tar -C "$ROOT" -c . | curl -sf --unix-socket "${SOCK#unix://}" -X POST \
  -H 'Content-Type: application/x-tar' --data-binary @- \
  "http://d/images/create?fromSrc=-&repo=${TAG}&changes=USER%201000%3A1000&changes=WORKDIR%20%2Fworkspace&changes=ENV%20PATH%3D%2Fusr%2Flocal%2Fbin%3A%2Fusr%2Fbin%3A%2Fbin%3A%2Fusr%2Fsbin%3A%2Fsbin&changes=LABEL%20llm-runtime.image%3D1" \
  >/dev/null || { echo "build-image.sh: docker import failed" >&2; exit 1; }
curl -sf --unix-socket "${SOCK#unix://}" "http://d/images/$TAG/json" >/dev/null ||
  { echo "build-image.sh: the image $TAG is not there after the import" >&2; exit 1; }
# The image this one replaces (--force): removed unless a container uses it.
new_id=$(curl -sf --unix-socket "${SOCK#unix://}" "http://d/images/$TAG/json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])' 2>/dev/null || true)
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  curl -s --unix-socket "${SOCK#unix://}" -X DELETE "http://d/images/$old_id" >/dev/null || true
fi
echo "built $TAG"
