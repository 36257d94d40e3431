#!/usr/bin/env bash
# Build the instance image (a Docker-in-Docker host) OFFLINE: no container registry needed,
# only the Debian package mirror. debootstrap makes a minimal Debian 13 (trixie) root file
# system with the packages below (today's Docker: Engine 26, Compose v2 as `docker compose`,
# Buildx; the host itself stays on Debian 12), docs and caches are stripped, the files in ./rootfs are laid on top,
# and the result is imported with `docker import`.
#
# Caches (in $PLAYGROUND_CACHE, default /var/cache/playground):
#   debootstrap-<suite>-<key>.tgz     the downloaded .debs (debootstrap --make-tarball);
#                                     rebuilding the root file system needs no network.
#   instance-rootfs-<key>.tar         the cleaned root file system before ./rootfs is added.
# The image carries the label org.playground.inputs=<sha256 of all build inputs> and is
# tagged playground/instance:<first 12 hex digits>; when the label of :latest matches, the
# build is skipped.
#
# Environment: PLAYGROUND_IMAGE (default playground/instance:latest), FORCE=1 (rebuild the
# image), PLAYGROUND_REFRESH=1 (download packages again, e.g. for security updates),
# DEBIAN_MIRROR (default: the mirror apt uses on this host), INSTANCE_SUITE (default trixie:
# the Debian release the image is made from), INSTANCE_UPGRADE=0 (do not apply
# <suite>-updates/-security on top of the debootstrap).
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=instance
# shellcheck source=../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

HERE=$INFRA_DIR/instance
# trixie splits the CLI (with its bash completion) into docker-cli; its docker-compose is
# Compose v2 (the `docker compose` plugin, also on PATH as docker-compose); iproute2 brings
# ss, bind9-dnsutils dig. python3 came with Compose v1; lessons (and this project's
# port-scanner and security tests) use it.
PACKAGES=(docker.io docker-cli docker-compose docker-buildx iptables iproute2 procps ca-certificates curl
          wget git vim nano less bash-completion iputils-ping bind9-dnsutils openssh-client
          tini jq tree htop python3)
: "${INSTANCE_SUITE:=trixie}"
# lib.sh's debian_rootfs_finish writes apt sources for $DEBIAN_SUITE: the image's release,
# not the host's.
DEBIAN_SUITE=$INSTANCE_SUITE
: "${INSTANCE_UPGRADE:=1}"
: "${FORCE:=0}"
: "${PLAYGROUND_REFRESH:=0}"

need_root
need_cmd debootstrap docker tar sha256sum gcc
ensure_dirs
playground_lock
docker_ok || die "the Docker engine does not answer (run infra/setup.sh first)"

MIRROR=$(debian_mirror)
ARCH=$(dpkg --print-architecture)
REPO=${PLAYGROUND_IMAGE%:*}

# Three keys: the .debs, the cleaned root file system (adds this script), the image (adds ./rootfs).
DEBS_KEY=$(hash_inputs -s "$DEBIAN_SUITE" -s "$MIRROR" -s "$ARCH" -s "minbase" -s "${PACKAGES[*]}")
# (Of lib.sh only the function that shapes the root file system counts, so that unrelated
# edits to lib.sh do not cause a rebuild.)
ROOT_KEY=$(hash_inputs -s "$DEBS_KEY" -s "upgrade=$INSTANCE_UPGRADE" -s "$(declare -f debian_rootfs_finish)" "$HERE/build.sh")
IMAGE_KEY=$(hash_inputs -s "$ROOT_KEY" "$HERE/rootfs" "$HERE/pty-relay.c")
TAG="$REPO:${IMAGE_KEY:0:12}"
DEBS_TGZ=$PLAYGROUND_CACHE/debootstrap-$DEBIAN_SUITE-${DEBS_KEY:0:12}.tgz
ROOT_TAR=$PLAYGROUND_CACHE/instance-rootfs-$DEBIAN_SUITE-${ROOT_KEY:0:12}.tar

if [ "$FORCE" != 1 ] && [ "$PLAYGROUND_REFRESH" != 1 ]; then
  if [ "$(image_label "$PLAYGROUND_IMAGE" org.playground.inputs)" = "$IMAGE_KEY" ]; then
    log "image $PLAYGROUND_IMAGE is up to date ($TAG)"
    exit 0
  fi
  if [ "$(image_label "$TAG" org.playground.inputs)" = "$IMAGE_KEY" ]; then
    docker tag "$TAG" "$PLAYGROUND_IMAGE"
    log "image $PLAYGROUND_IMAGE re-tagged from $TAG"
    exit 0
  fi
fi

SCRATCH=$(mktemp -d "$PLAYGROUND_STATE/build.instance.XXXXXX")
cleanup() { remove_tree "$SCRATCH"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the .debs ----------------------------------------------------------------------
include=$(IFS=,; echo "${PACKAGES[*]}")
if [ ! -s "$DEBS_TGZ" ] || [ "$PLAYGROUND_REFRESH" = 1 ]; then
  log "downloading packages from $MIRROR (debootstrap --make-tarball)"
  debootstrap --variant=minbase --include="$include" --make-tarball="$SCRATCH/debs.tgz" \
    "$DEBIAN_SUITE" "$SCRATCH/dl" "$MIRROR" >"$PLAYGROUND_LOGS/debootstrap-instance.log" 2>&1 ||
    die "debootstrap --make-tarball failed (log: $PLAYGROUND_LOGS/debootstrap-instance.log)"
  mv "$SCRATCH/debs.tgz" "$DEBS_TGZ"
  find "$PLAYGROUND_CACHE" -maxdepth 1 -name "debootstrap-$DEBIAN_SUITE-*.tgz" ! -name "$(basename "$DEBS_TGZ")" -delete
  remove_tree "$SCRATCH/dl"
  rm -f "$ROOT_TAR"
fi

# --- 2. the cleaned root file system --------------------------------------------------------
if [ ! -s "$ROOT_TAR" ]; then
  ROOT=$SCRATCH/root
  log "installing the root file system (debootstrap --unpack-tarball)"
  debootstrap --variant=minbase --include="$include" --unpack-tarball="$DEBS_TGZ" \
    "$DEBIAN_SUITE" "$ROOT" "$MIRROR" >"$PLAYGROUND_LOGS/debootstrap-instance.log" 2>&1 ||
    die "debootstrap failed (log: $PLAYGROUND_LOGS/debootstrap-instance.log)"

  debian_rootfs_finish "$ROOT" "$MIRROR" "$INSTANCE_UPGRADE" "$PLAYGROUND_LOGS/debootstrap-instance.log"
  printf 'Playground instance (Debian %s)\n' "$DEBIAN_SUITE" >"$ROOT/etc/issue"

  log "caching the root file system ($(du -sh "$ROOT" | cut -f1))"
  tar --numeric-owner --xattrs -C "$ROOT" -cf "$SCRATCH/rootfs.tar" .
  mv "$SCRATCH/rootfs.tar" "$ROOT_TAR"
  remove_tree "$ROOT"
  # Keep only the current root file system tarball.
  find "$PLAYGROUND_CACHE" -maxdepth 1 -name "instance-rootfs-$DEBIAN_SUITE-*.tar" ! -name "$(basename "$ROOT_TAR")" -delete
else
  log "using cached root file system $(basename "$ROOT_TAR")"
fi

# --- 3. the image ------------------------------------------------------------------------------
ROOT=$SCRATCH/image
mkdir -p "$ROOT"
tar --numeric-owner --xattrs -C "$ROOT" -xf "$ROOT_TAR"
# Lay ./rootfs on top: files owned by root, existing directories keep their modes.
tar --owner=0 --group=0 --numeric-owner -C "$HERE/rootfs" -c . | tar --no-overwrite-dir -C "$ROOT" -x
# The terminal relay (pty-relay.c says why): a static program, so it runs whatever the
# image's C library; -Werror so a warning of a newer compiler stops the build here.
RELAY=$ROOT/usr/local/libexec/playground/pty-relay
mkdir -p "$(dirname "$RELAY")"
gcc -Os -static -s -Wall -Wextra -Werror -o "$RELAY" "$HERE/pty-relay.c" 2>"$PLAYGROUND_LOGS/pty-relay.log" ||
  die "building the terminal relay failed (log: $PLAYGROUND_LOGS/pty-relay.log; needs gcc and libc6-dev)"
chmod 0755 "$RELAY"
# Sanity checks before importing.
for f in usr/sbin/dockerd usr/bin/docker usr/bin/docker-compose usr/libexec/docker/cli-plugins/docker-compose \
         usr/libexec/docker/cli-plugins/docker-buildx usr/share/bash-completion/completions/docker usr/bin/tini usr/bin/jq sbin/iptables usr/local/bin/playground-init \
         usr/local/libexec/playground/pty-relay; do
  [ -e "$ROOT/$f" ] || die "built root file system lacks /$f"
done

log "importing $TAG"
previous=$(docker image inspect -f '{{ .Id }}' "$TAG" 2>/dev/null || true)   # only with FORCE=1
tar --numeric-owner --xattrs -C "$ROOT" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/playground-init"]' \
  -c 'CMD []' \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV LANG=C.UTF-8' \
  -c 'ENV MIRROR_PORT=5000' \
  -c 'WORKDIR /root' \
  -c 'VOLUME /var/lib/docker' \
  -c "LABEL org.playground.inputs=$IMAGE_KEY" \
  -c "LABEL org.playground.rootfs=$ROOT_KEY" \
  -c "LABEL org.playground.role=instance" \
  -c "LABEL org.opencontainers.image.title=playground-instance" \
  -c "LABEL org.opencontainers.image.description=\"Docker-in-Docker host for Playground sessions (Debian $DEBIAN_SUITE)\"" \
  -c "LABEL org.opencontainers.image.created=$(date -u +%FT%TZ)" \
  -m "playground instance ${IMAGE_KEY:0:12}" - "$TAG" >/dev/null
docker tag "$TAG" "$PLAYGROUND_IMAGE"
log "built $PLAYGROUND_IMAGE = $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"

# Drop the image this build replaced and older content-hash tags, unless a container uses
# them (each import is a full ~500 MB layer).
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{ .Id }}' "$TAG")" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
{ docker images --format '{{.Repository}}:{{.Tag}}' "$REPO" | grep -E ":[0-9a-f]{12}\$" | grep -vx "$TAG" || true; } |
  while read -r old; do
    docker rmi "$old" >/dev/null 2>&1 && log "removed old image $old" || true
  done
