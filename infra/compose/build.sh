#!/usr/bin/env bash
# Builds the images of the Compose deployment OFFLINE (no container registry: only the Debian
# package mirror), on the engine that will run them (or `docker save | docker load` them to
# another host):
#
#   playground/runtime:<key>  Debian trixie (debootstrap minbase) with nodejs 20.19, postgresql,
#                             redis-server, caddy, docker-registry, btrfs-progs, tini, curl and
#                             the files of ./rootfs (entry scripts). Postgres, Redis and Caddy run it.
#   playground/app:<key>      runtime + this repository as `npm start` runs it (sources,
#                             node_modules, the Prisma client, the Next.js build) in /app: one
#                             image for the orchestrator, the node agent, the web server and the
#                             migrations, each with its own command.
#   playground/mirror:<key>   runtime + the seeded registry storage of infra/mirror/mirror.sh
#                             (busybox, debian), served read-only.
#
# Each <key> is the first 12 hex digits of a hash of that image's inputs; an image whose key
# exists is not built again (~1 s). Every image is also tagged :latest. The last lines of the
# output (and the file .playground/compose-images.env) are `RUNTIME_IMAGE=…`, `APP_IMAGE=…`,
# `MIRROR_IMAGE=…`, for docker-compose's environment.
#
# Needs what `bash infra/prepare.sh` leaves on a build machine: node_modules, the generated
# Prisma client, the Next.js build (apps/web/.next) and the seeded mirror storage.
# The instance image (playground/instance, infra/instance/build.sh) is built by setup.sh.
#
# Environment: FORCE=1 (rebuild all three), PLAYGROUND_REFRESH=1 (download packages again),
# COMPOSE_UPGRADE=0 (do not apply trixie-updates/-security), DEBIAN_MIRROR.
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=compose
# shellcheck source=../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

HERE=$INFRA_DIR/compose
REPO_DIR=$(cd "$INFRA_DIR/.." && pwd)
SUITE=trixie
PACKAGES=(nodejs postgresql redis-server caddy docker-registry btrfs-progs ca-certificates tini curl)
: "${COMPOSE_UPGRADE:=1}"
: "${FORCE:=0}"
: "${PLAYGROUND_REFRESH:=0}"

need_root
need_cmd debootstrap docker tar sha256sum flock git
ensure_dirs
docker_ok || die "the Docker engine does not answer (run infra/setup.sh first)"
# A lock of its own (not setup.lock): a build takes minutes and must not hold up setup.sh.
exec 9>"$PLAYGROUND_RUN/compose-build.lock"
flock -w 1200 9 || die "timed out waiting for another compose build ($PLAYGROUND_RUN/compose-build.lock)"

for f in node_modules/.bin/tsx apps/web/.next/BUILD_ID apps/orchestrator/src/generated/prisma; do
  [ -e "$REPO_DIR/$f" ] || die "$f is missing: run 'bash infra/prepare.sh' first (it installs, generates and builds)"
done
REG_DIR=$PLAYGROUND_STATE/registry
[ -s "$REG_DIR/docker/registry/v2/repositories/library/busybox/_manifests/tags/latest/current/link" ] ||
  die "the registry mirror is not seeded ($REG_DIR): run infra/setup.sh first"

MIRROR=$(debian_mirror)
ARCH=$(dpkg --print-architecture)
SCRATCH=$(mktemp -d "$PLAYGROUND_STATE/build.compose.XXXXXX")
cleanup() { remove_tree "$SCRATCH"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# built IMAGE:TAG -> the image exists with that content key.
built() { [ "$FORCE" != 1 ] && [ "$(image_label "$1" org.playground.inputs)" = "${1##*:}" ]; }

# --- 1. runtime: debootstrap -> strip -> ./rootfs -> docker import ----------------------------
# The cleaned root file system, from the cached .debs (its key covers this function only, so
# that editing the rest of this script rebuilds nothing).
runtime_rootfs() { # runtime_rootfs ROOT
  local root=$1
  debootstrap --variant=minbase --include="$include" --unpack-tarball="$DEBS_TGZ" \
    "$SUITE" "$root" "$MIRROR" >"$PLAYGROUND_LOGS/debootstrap-compose.log" 2>&1 ||
    die "debootstrap failed (log: $PLAYGROUND_LOGS/debootstrap-compose.log)"
  DEBIAN_SUITE=$SUITE debian_rootfs_finish "$root" "$MIRROR" "$COMPOSE_UPGRADE" "$PLAYGROUND_LOGS/debootstrap-compose.log"
  # The packages' own clusters and data are not used: each service gets its data from a
  # volume and its settings from the compose file.
  rm -rf "$root"/var/lib/postgresql/* "$root"/etc/postgresql/* "$root"/var/lib/redis/*
  # The one unprivileged user the Node processes run as (fixed ids: volumes are owned by them).
  chroot "$root" groupadd --gid 10001 playground
  chroot "$root" useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin playground
}

DEBS_KEY=$(hash_inputs -s "$SUITE" -s "$MIRROR" -s "$ARCH" -s minbase -s "${PACKAGES[*]}")
ROOT_KEY=$(hash_inputs -s "$DEBS_KEY" -s "upgrade=$COMPOSE_UPGRADE" -s "$(declare -f debian_rootfs_finish runtime_rootfs)")
RUNTIME_KEY=$(hash_inputs -s "$ROOT_KEY" "$HERE/rootfs")
RUNTIME_IMAGE=playground/runtime:${RUNTIME_KEY:0:12}
DEBS_TGZ=$PLAYGROUND_CACHE/debootstrap-compose-$SUITE-${DEBS_KEY:0:12}.tgz
ROOT_TAR=$PLAYGROUND_CACHE/compose-rootfs-${ROOT_KEY:0:12}.tar
include=$(IFS=,; echo "${PACKAGES[*]}")

if built "$RUNTIME_IMAGE"; then
  log "image $RUNTIME_IMAGE is up to date"
else
  if [ ! -s "$DEBS_TGZ" ] || [ "$PLAYGROUND_REFRESH" = 1 ]; then
    log "downloading $SUITE packages from $MIRROR (debootstrap --make-tarball)"
    debootstrap --variant=minbase --include="$include" --make-tarball="$SCRATCH/debs.tgz" \
      "$SUITE" "$SCRATCH/dl" "$MIRROR" >"$PLAYGROUND_LOGS/debootstrap-compose.log" 2>&1 ||
      die "debootstrap --make-tarball failed (log: $PLAYGROUND_LOGS/debootstrap-compose.log)"
    mv "$SCRATCH/debs.tgz" "$DEBS_TGZ"
    find "$PLAYGROUND_CACHE" -maxdepth 1 -name "debootstrap-compose-$SUITE-*.tgz" ! -name "$(basename "$DEBS_TGZ")" -delete
    remove_tree "$SCRATCH/dl"
    rm -f "$ROOT_TAR"
  fi
  if [ ! -s "$ROOT_TAR" ]; then
    log "installing the $SUITE root file system (debootstrap --unpack-tarball)"
    runtime_rootfs "$SCRATCH/root"
    tar --numeric-owner --xattrs -C "$SCRATCH/root" -cf "$SCRATCH/rootfs.tar" .
    mv "$SCRATCH/rootfs.tar" "$ROOT_TAR"
    remove_tree "$SCRATCH/root"
    find "$PLAYGROUND_CACHE" -maxdepth 1 -name 'compose-rootfs-*.tar' ! -name "$(basename "$ROOT_TAR")" -delete
  fi
  ROOT=$SCRATCH/image
  mkdir -p "$ROOT"
  tar --numeric-owner --xattrs -C "$ROOT" -xf "$ROOT_TAR"
  tar --owner=0 --group=0 --numeric-owner -C "$HERE/rootfs" -c . | tar --no-overwrite-dir -C "$ROOT" -x
  for f in usr/bin/node usr/bin/redis-server usr/bin/caddy usr/bin/docker-registry usr/bin/tini bin/btrfs usr/local/bin/postgres-entrypoint; do
    [ -e "$ROOT/$f" ] || die "built root file system lacks /$f"
  done
  log "importing $RUNTIME_IMAGE"
  tar --numeric-owner --xattrs -C "$ROOT" -c . | docker import \
    -c 'ENTRYPOINT ["/usr/bin/tini", "--"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c "LABEL org.playground.inputs=${RUNTIME_KEY:0:12}" \
    -c "LABEL org.playground.role=compose-runtime" \
    -c "LABEL org.opencontainers.image.description=\"Playground runtime: Debian $SUITE with Node.js, PostgreSQL, Redis, Caddy, registry\"" \
    -m "playground runtime ${RUNTIME_KEY:0:12}" - "$RUNTIME_IMAGE" >/dev/null
  remove_tree "$ROOT"
fi

# --- 2. app and mirror: a layer on the runtime (docker create + cp + commit, no registry) ------
# layer IMAGE KEY-LABEL TAR-STREAM-CMD... : commits the runtime plus the tar stream's files.
layer() {
  local image=$1; shift
  local container
  container=$(docker create --label org.playground.role=compose-build "$RUNTIME_IMAGE" true)
  if ! "$@" | docker cp - "$container:/"; then docker rm -f "$container" >/dev/null; die "copying into $image failed"; fi
  docker commit "${COMMIT_CHANGES[@]}" -c "LABEL org.playground.inputs=${image##*:}" "$container" "$image" >/dev/null
  docker rm -f "$container" >/dev/null
}

# The app's files: what git knows (tracked or new, not ignored), the installed dependencies,
# the generated Prisma client and the Next.js build (without its build cache).
app_files() {
  (cd "$REPO_DIR" && git ls-files -z --cached --others --exclude-standard | xargs -0 -r ls -d 2>/dev/null)
}
# The key: names and contents of those files (one sha256sum for all: ~1000 files, where a process
# per file would take a minute on a busy machine), the lock file for node_modules, the build id.
app_digest() {
  (cd "$REPO_DIR" && { app_files; find apps/orchestrator/src/generated -type f; } | LC_ALL=C sort |
    xargs -d '\n' sha256sum | sha256sum | cut -c1-64)
}
APP_KEY=$(hash_inputs -s "$RUNTIME_KEY" -s "$(declare -f app_files app_tar app_digest)" -s "$(app_digest)" \
  -s "$(cat "$REPO_DIR/apps/web/.next/BUILD_ID")" -s "$(sha256sum <"$REPO_DIR/package-lock.json")")
APP_IMAGE=playground/app:${APP_KEY:0:12}
app_tar() {
  (cd "$REPO_DIR" && { app_files; echo node_modules; echo apps/orchestrator/src/generated; echo apps/web/.next; } |
    tar --exclude=apps/web/.next/cache --exclude='*/.cache' --owner=0 --group=0 --numeric-owner \
      --transform 's,^,app/,S' -cf - --verbatim-files-from -T -)
}
if built "$APP_IMAGE"; then
  log "image $APP_IMAGE is up to date"
else
  log "building $APP_IMAGE (the repository, node_modules and builds on $RUNTIME_IMAGE)"
  COMMIT_CHANGES=(-c 'WORKDIR /app' -c 'ENV NODE_ENV=production' -c 'ENV NEXT_TELEMETRY_DISABLED=1'
    -c 'LABEL org.playground.role=compose-app' -c 'CMD ["node", "--import", "tsx", "apps/orchestrator/src/main.ts"]')
  layer "$APP_IMAGE" app_tar
fi

MIRROR_KEY=$(hash_inputs -s "$RUNTIME_KEY" -s "$(cat "$REG_DIR/.playground-seed" 2>/dev/null)" -s "$(declare -f mirror_tar)")
MIRROR_IMAGE=playground/mirror:${MIRROR_KEY:0:12}
mirror_tar() {
  # Readable by anyone: the mirror runs as nobody.
  tar -C "$REG_DIR" --exclude=./.playground-seed --owner=0 --group=0 --numeric-owner --mode=a+rX \
    --transform 's,^\.,var/lib/registry,S' -cf - .
}
if built "$MIRROR_IMAGE"; then
  log "image $MIRROR_IMAGE is up to date"
else
  log "building $MIRROR_IMAGE (seeded registry storage on $RUNTIME_IMAGE)"
  COMMIT_CHANGES=(-c 'USER 65534:65534' -c 'LABEL org.playground.role=compose-mirror'
    -c 'CMD ["docker-registry", "serve", "/etc/playground/registry.yml"]')
  layer "$MIRROR_IMAGE" mirror_tar
fi

for image in "$RUNTIME_IMAGE" "$APP_IMAGE" "$MIRROR_IMAGE"; do docker tag "$image" "${image%:*}:latest"; done
# Older content-hash tags go unless a container uses them.
for repo in playground/runtime playground/app playground/mirror; do
  { docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -E ":[0-9a-f]{12}\$" |
    grep -vx -e "$RUNTIME_IMAGE" -e "$APP_IMAGE" -e "$MIRROR_IMAGE" || true; } |
    while read -r old; do docker rmi "$old" >/dev/null 2>&1 && log "removed old image $old" || true; done
done
mkdir -p "$REPO_DIR/.playground"
printf 'RUNTIME_IMAGE=%s\nAPP_IMAGE=%s\nMIRROR_IMAGE=%s\n' "$RUNTIME_IMAGE" "$APP_IMAGE" "$MIRROR_IMAGE" | tee "$REPO_DIR/.playground/compose-images.env"
