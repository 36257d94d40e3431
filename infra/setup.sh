#!/usr/bin/env bash
# Make this machine ready to run Playground: packages, Docker engine, PostgreSQL, Redis,
# the instance image and the node-local registry mirror. Idempotent: every step checks
# first and is skipped when already done, so a second run takes seconds.
# Run as root on Debian 12. See infra/README.md for the environment variables.
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=setup
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

need_root
ensure_dirs
START=$(date +%s.%N)
playground_lock

: "${PG_VERSION:=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)}"; PG_VERSION=${PG_VERSION:-15}
: "${PG_CLUSTER:=main}"
: "${PLAYGROUND_DB_USER:=playground}"
: "${PLAYGROUND_DB_PASSWORD:=playground}"
: "${PLAYGROUND_DB_NAME:=playground}"
: "${REDIS_PORT:=6379}"
: "${SKIP_IMAGES:=0}"   # 1 = stop after the services (no instance image, no mirror)
: "${DOCKER_ADDRESS_POOL:=base=10.64.0.0/12,size=24}"  # for a dockerd started here; "none" = Docker's default
: "${SECURITY_MODE:=userns}"  # the node agent's mode; `userns` needs an engine with userns-remap
: "${DOCKER_DATA_FS:=btrfs}"   # btrfs: the engine's data root on a loop-mounted btrfs with quotas; none: /var/lib/docker
: "${DOCKER_DATA_MAX_GB:=200}" # cap of that file system's size (it is 80% of the free disk, sparse)

# ---------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------
# docker-compose: the Compose deployment's test (test/deploy/compose.test.ts) brings it up with it.
# fonts-nanum: a Korean font, so Chromium (tests, screenshots) draws the Korean UI, not boxes.
# gcc, libc6-dev: the instance image's terminal relay (infra/instance/pty-relay.c) is built here.
PACKAGES=(docker.io postgresql redis-server chromium debootstrap docker-registry docker-compose
          iptables iproute2 ca-certificates curl btrfs-progs fonts-nanum gcc libc6-dev)

pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

missing=()
for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  log "packages: all ${#PACKAGES[@]} installed"
else
  log "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold -q)
  apt-get "${apt_opts[@]}" update >"$PLAYGROUND_LOGS/apt.log" 2>&1 ||
    die "apt-get update failed (see $PLAYGROUND_LOGS/apt.log); cannot install: ${missing[*]}"
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >>"$PLAYGROUND_LOGS/apt.log" 2>&1 ||
    die "apt-get install failed (see $PLAYGROUND_LOGS/apt.log); missing: ${missing[*]}"
  still=()
  for p in "${missing[@]}"; do pkg_installed "$p" || still+=("$p"); done
  [ ${#still[@]} -eq 0 ] || die "packages still missing after apt-get install: ${still[*]}"
fi

# ---------------------------------------------------------------------------------------
# 2. Docker engine
# ---------------------------------------------------------------------------------------
if [ -n "${DOCKER_HOST:-}" ]; then
  if docker_ok; then
    log "docker: using DOCKER_HOST=$DOCKER_HOST"
  else
    warn "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; falling back to the local engine"
    unset DOCKER_HOST
  fi
fi
# In the default security mode (userns) root in an instance is an unprivileged user on the
# host: the engine runs every container in a user namespace (userns-remap; Docker makes the
# `dockremap` user and its /etc/subuid range). Other modes opt out per container.
engine_remaps() { docker info --format '{{ json .SecurityOptions }}' 2>/dev/null | grep -q 'name=userns'; }
# The engine's data root on a file system that can limit each instance's disk (the agent's
# INSTANCE_DISK_GB): btrfs, whose qgroups are part of btrfs itself, because these hosts' kernels
# lack XFS quotas and the quota format ext4 project quotas need. A sparse image under
# $PLAYGROUND_STATE, loop-mounted; its size caps what all instances together can write, so the
# node's own disk never fills. Prints the dockerd arguments (and nothing else: messages go to
# stderr); none (and a loud warning) where btrfs or loop devices are unavailable.
DATA_IMG=$PLAYGROUND_STATE/docker-data.img
DATA_MNT=$PLAYGROUND_STATE/docker-data
quota_data_root_args() {
  [ "$DOCKER_DATA_FS" = btrfs ] || { warn "docker: DOCKER_DATA_FS=$DOCKER_DATA_FS: instance disks are NOT limited; a learner can fill this node's disk"; return 0; }
  if grep -qs -e data-root -e '"graph"' -e storage-driver /etc/docker/daemon.json; then
    warn "docker: /etc/docker/daemon.json sets data-root or storage-driver; not moving it: instance disks are limited only if that is btrfs (or overlay2 on XFS with prjquota)"
    return 0
  fi
  local why=''
  if ! grep -qw btrfs /proc/filesystems; then why='the kernel has no btrfs'
  elif ! command -v mkfs.btrfs >/dev/null; then why='mkfs.btrfs is missing (package btrfs-progs)'
  elif ! findmnt -n "$DATA_MNT" >/dev/null; then
    if [ ! -s "$DATA_IMG" ]; then
      local free_gb size_gb
      free_gb=$(( $(df -P -k "$PLAYGROUND_STATE" | awk 'NR == 2 { print $4 }') / 1024 / 1024 ))
      size_gb=$(( free_gb * 8 / 10 )); [ "$size_gb" -le "$DOCKER_DATA_MAX_GB" ] || size_gb=$DOCKER_DATA_MAX_GB
      if [ "$size_gb" -lt 10 ]; then why="only ${free_gb} GB free under $PLAYGROUND_STATE"
      else
        log "docker: making a ${size_gb} GB btrfs data root ($DATA_IMG, sparse)" >&2  # stdout is the arguments
        truncate -s "${size_gb}G" "$DATA_IMG.tmp" && mkfs.btrfs -q -f "$DATA_IMG.tmp" >/dev/null && mv "$DATA_IMG.tmp" "$DATA_IMG" || why='mkfs.btrfs failed'
      fi
    fi
    if [ -z "$why" ]; then
      mkdir -p "$DATA_MNT"
      mount -o loop "$DATA_IMG" "$DATA_MNT" 2>/dev/null || why="mounting $DATA_IMG failed (no loop devices in this container?)"
    fi
  fi
  [ -n "$why" ] || btrfs quota enable "$DATA_MNT" 2>/dev/null || why="btrfs quota enable $DATA_MNT failed"
  if [ -n "$why" ]; then
    warn "docker: ******** instance disks are NOT limited: $why. A learner can fill this node's disk. ********"
    return 0
  fi
  mkdir -p "$DATA_MNT/docker"
  echo --data-root "$DATA_MNT/docker" --storage-driver btrfs
}
start_local_engine() {
  need_cmd dockerd
  # One Docker network per session: Docker's built-in pools hold only 31 networks
  # (172.17-31/16 and 192.168.x/20), so give it 4096 /24s unless daemon.json sets pools.
  local dockerd_args=()
  if [ "$DOCKER_ADDRESS_POOL" != none ] && ! grep -qs default-address-pools /etc/docker/daemon.json; then
    dockerd_args+=(--default-address-pool "$DOCKER_ADDRESS_POOL")
  fi
  if [ "$SECURITY_MODE" = userns ] && ! grep -qs userns-remap /etc/docker/daemon.json; then
    dockerd_args+=(--userns-remap=default)
  fi
  # shellcheck disable=SC2207  # plain words (paths under $PLAYGROUND_STATE)
  dockerd_args+=($(quota_data_root_args))
  log "docker: starting dockerd ${dockerd_args[*]} (log: $PLAYGROUND_LOGS/dockerd.log)"
  start_bg "$PLAYGROUND_RUN/dockerd.pid" "$PLAYGROUND_LOGS/dockerd.log" dockerd "${dockerd_args[@]}"
  if ! wait_for "${DOCKERD_TIMEOUT:-60}" dockerd docker_ok; then
    tail -n 15 "$PLAYGROUND_LOGS/dockerd.log" >&2 || true
    die "dockerd did not answer 'docker info' within ${DOCKERD_TIMEOUT:-60}s (log: $PLAYGROUND_LOGS/dockerd.log)"
  fi
  touch "$PLAYGROUND_RUN/started.dockerd"
  log "docker: engine up ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
}
# Every container and every exec in it takes kernel keys (runc gives each a session keyring),
# and with userns-remap all instances' roots are one host user: the kernel's default quota of
# 200 keys per user then fails container starts on a busy node ("unable to create session
# key: disk quota exceeded"). Raised here and for the next boot.
KEYS_SYSCTL=/etc/sysctl.d/60-playground-keys.conf
if [ ! -f "$KEYS_SYSCTL" ]; then
  printf '%s\n' '# Playground (infra/setup.sh): kernel keys for many containers under one remapped user' \
    'kernel.keys.maxkeys = 20000' 'kernel.keys.maxbytes = 2000000' >"$KEYS_SYSCTL"
fi
if [ "$(cat /proc/sys/kernel/keys/maxkeys 2>/dev/null || echo 0)" -lt 20000 ]; then
  sysctl -q -p "$KEYS_SYSCTL" 2>/dev/null || warn "kernel keys: could not raise kernel.keys.maxkeys (a busy node may fail to start containers)"
fi

if [ -z "${DOCKER_HOST:-}" ]; then
  if docker_ok && [ "$SECURITY_MODE" = userns ] && ! engine_remaps; then
    # An engine this script started earlier, before the safe mode was the default: restart it
    # with the remap (its containers stop; instances of the unsafe mode must not live on).
    if [ -f "$PLAYGROUND_RUN/started.dockerd" ] && pid_alive "$PLAYGROUND_RUN/dockerd.pid"; then
      warn "docker: the engine runs without userns-remap; restarting it for SECURITY_MODE=userns"
      stop_pidfile "$PLAYGROUND_RUN/dockerd.pid" 60
    else
      die "the Docker engine on /var/run/docker.sock runs without userns-remap, which SECURITY_MODE=userns needs
  (root in an instance would be root on this host). Add \"userns-remap\": \"default\" to /etc/docker/daemon.json
  and restart it, or choose another SECURITY_MODE knowingly (see infra/README.md)."
    fi
  fi
  if docker_ok; then
    log "docker: engine already answers on /var/run/docker.sock${SECURITY_MODE:+ (security mode $SECURITY_MODE)}"
    # Not restarted for it (that would stop every instance): say so when disks are unlimited.
    if [ "$DOCKER_DATA_FS" = btrfs ] && [ "$(docker info --format '{{.Driver}}' 2>/dev/null)" != btrfs ]; then
      warn "docker: the running engine's data root is not on btrfs: instance disks are NOT limited until it is restarted by this script (stop it, then run setup.sh)"
    fi
  else
    start_local_engine
  fi
elif [ "$SECURITY_MODE" = userns ] && ! engine_remaps; then
  die "the engine at DOCKER_HOST=$DOCKER_HOST runs without userns-remap, which SECURITY_MODE=userns needs"
fi

# The default bridge's link must exist for containers on it to start. If something deleted
# it ("could not find bridge docker0"), re-create it rather than restart the engine (which
# would stop every running instance).
if [ -z "${DOCKER_HOST:-}" ]; then
  br=$(docker network inspect bridge -f '{{ index .Options "com.docker.network.bridge.name" }}' 2>/dev/null || true)
  if [ -n "$br" ] && ! ip link show "$br" >/dev/null 2>&1; then
    subnet=$(docker network inspect bridge -f '{{ range .IPAM.Config }}{{ .Subnet }}{{ end }}')
    gw=$(docker network inspect bridge -f '{{ range .IPAM.Config }}{{ .Gateway }}{{ end }}')
    [ -n "$gw" ] || gw=$(echo "${subnet%/*}" | awk -F. '{ printf "%s.%s.%s.%d", $1, $2, $3, $4 + 1 }')
    warn "docker: bridge $br is missing; re-creating it with $gw/${subnet#*/}"
    ip link add "$br" type bridge && ip addr add "$gw/${subnet#*/}" dev "$br" && ip link set "$br" up ||
      die "could not re-create bridge $br; restart dockerd (this stops all containers)"
  fi
fi

# Egress firewall for instances (infra/egress.sh): the internet and their session, never the
# node's services, private or link-local ranges, nor SMTP. Matched by bridge interface, so it
# covers this engine's networks and the extra engines' (node-engines.sh applies it too).
"$INFRA_DIR/egress.sh" up

# ---------------------------------------------------------------------------------------
# 3. PostgreSQL
# ---------------------------------------------------------------------------------------
as_postgres() { (cd / && runuser -u postgres -- "$@"); }
if [ -n "${DATABASE_URL:-}" ]; then
  log "postgres: DATABASE_URL is set; not managing a local cluster"
else
  need_cmd pg_lsclusters pg_ctlcluster psql
  if [ ! -d "/etc/postgresql/$PG_VERSION/$PG_CLUSTER" ]; then
    log "postgres: creating cluster $PG_VERSION/$PG_CLUSTER"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null || die "pg_createcluster $PG_VERSION $PG_CLUSTER failed"
  fi
  PG_PORT=$(pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" | awk '{print $3}')
  if [ "$(pg_lsclusters -h "$PG_VERSION" "$PG_CLUSTER" | awk '{print $4}')" = online ]; then
    log "postgres: cluster $PG_VERSION/$PG_CLUSTER already running on port $PG_PORT"
  else
    log "postgres: starting cluster $PG_VERSION/$PG_CLUSTER"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start 8>&- ||
      die "pg_ctlcluster $PG_VERSION $PG_CLUSTER start failed (see /var/log/postgresql/)"
    touch "$PLAYGROUND_RUN/started.postgres"
  fi
  wait_for 30 postgres pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "postgres does not answer on 127.0.0.1:$PG_PORT"
  q() { as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"; }
  if [ "$(q -c "SELECT 1 FROM pg_roles WHERE rolname = '$PLAYGROUND_DB_USER'")" != 1 ]; then
    log "postgres: creating role $PLAYGROUND_DB_USER"
    # CREATEDB: migrations create and drop their own shadow database.
    printf "CREATE ROLE \"%s\" LOGIN CREATEDB PASSWORD '%s';\n" "$PLAYGROUND_DB_USER" "${PLAYGROUND_DB_PASSWORD//\'/\'\'}" | q >/dev/null
  fi
  if [ "$(q -c "SELECT 1 FROM pg_database WHERE datname = '$PLAYGROUND_DB_NAME'")" != 1 ]; then
    log "postgres: creating database $PLAYGROUND_DB_NAME"
    q -c "CREATE DATABASE \"$PLAYGROUND_DB_NAME\" OWNER \"$PLAYGROUND_DB_USER\"" >/dev/null
  fi
  if PGPASSWORD=$PLAYGROUND_DB_PASSWORD psql -qtAX -h 127.0.0.1 -p "$PG_PORT" -U "$PLAYGROUND_DB_USER" -d "$PLAYGROUND_DB_NAME" -c 'SELECT 1' >/dev/null 2>&1; then
    log "postgres: role $PLAYGROUND_DB_USER can log in to database $PLAYGROUND_DB_NAME on 127.0.0.1:$PG_PORT"
  else
    warn "postgres: role $PLAYGROUND_DB_USER exists but cannot log in with PLAYGROUND_DB_PASSWORD (password changed?)"
  fi
  DATABASE_URL_OUT="postgresql://$PLAYGROUND_DB_USER:$PLAYGROUND_DB_PASSWORD@127.0.0.1:$PG_PORT/$PLAYGROUND_DB_NAME"
fi

# ---------------------------------------------------------------------------------------
# 4. Redis
# ---------------------------------------------------------------------------------------
if [ -n "${REDIS_URL:-}" ]; then
  log "redis: REDIS_URL is set; not managing a local server"
else
  need_cmd redis-server redis-cli
  redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
  if redis_ok; then
    log "redis: already answers on 127.0.0.1:$REDIS_PORT"
  else
    log "redis: starting redis-server on 127.0.0.1:$REDIS_PORT"
    ruser=root; id redis >/dev/null 2>&1 && ruser=redis
    install -d -o "$ruser" -m 0750 "$PLAYGROUND_STATE/redis" "$PLAYGROUND_RUN/redis"
    touch "$PLAYGROUND_LOGS/redis.log"; chown "$ruser" "$PLAYGROUND_LOGS/redis.log"
    # appendonly: BullMQ jobs survive a restart; noeviction: BullMQ requires it.
    (cd / && runuser -u "$ruser" -- redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
      --protected-mode yes --dir "$PLAYGROUND_STATE/redis" --pidfile "$PLAYGROUND_RUN/redis/redis.pid" \
      --logfile "$PLAYGROUND_LOGS/redis.log" --appendonly yes --maxmemory-policy noeviction 8>&-) ||
      die "redis-server failed to start (log: $PLAYGROUND_LOGS/redis.log)"
    wait_for 20 redis redis_ok || die "redis does not answer on 127.0.0.1:$REDIS_PORT (log: $PLAYGROUND_LOGS/redis.log)"
    touch "$PLAYGROUND_RUN/started.redis"
  fi
  REDIS_URL_OUT="redis://127.0.0.1:$REDIS_PORT"
fi

# ---------------------------------------------------------------------------------------
# 5. Instance image and registry mirror (each rebuilt only when its inputs changed)
# ---------------------------------------------------------------------------------------
if [ "$SKIP_IMAGES" = 1 ]; then
  log "images: skipped (SKIP_IMAGES=1)"
else
  "$INFRA_DIR/instance/build.sh"
  "$INFRA_DIR/mirror/mirror.sh" up
fi

# ---------------------------------------------------------------------------------------
# 6. Environment file for the apps (mode 0600: it holds the database password)
# ---------------------------------------------------------------------------------------
envfile="$PLAYGROUND_ETC/playground.env"
{
  echo "# Written by infra/setup.sh on $(date -u +%FT%TZ)"
  [ -n "${DOCKER_HOST:-}" ] && echo "DOCKER_HOST=$DOCKER_HOST"
  echo "DATABASE_URL=${DATABASE_URL:-${DATABASE_URL_OUT:-}}"
  echo "REDIS_URL=${REDIS_URL:-${REDIS_URL_OUT:-}}"
  echo "PLAYGROUND_IMAGE=$PLAYGROUND_IMAGE"
  echo "MIRROR_PORT=$MIRROR_PORT"
} >"$envfile.tmp"
chmod 0600 "$envfile.tmp"; mv "$envfile.tmp" "$envfile"
log "env: wrote $envfile (DATABASE_URL, REDIS_URL, PLAYGROUND_IMAGE, MIRROR_PORT)"
log "done in $(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')s"
