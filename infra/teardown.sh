#!/usr/bin/env bash
# Stop what infra/setup.sh started on this machine, and nothing else: each daemon is stopped
# only if setup.sh left a "started" marker for it in $PLAYGROUND_RUN (/run/playground).
# Services that were already running before setup.sh (or given by DOCKER_HOST, DATABASE_URL,
# REDIS_URL) are left alone.
#
#   infra/teardown.sh            stop the registry mirror, Redis, PostgreSQL, dockerd
#   infra/teardown.sh --purge    also delete the Playground images, the registry storage,
#                                Redis data, the build caches and the generated configs
#                                (the database is kept: drop it with `dropdb playground`)
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=teardown
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
need_root
playground_lock

PURGE=0
case "${1:-}" in
  --purge) PURGE=1 ;;
  "") ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

started() { [ -e "$PLAYGROUND_RUN/started.$1" ]; }

# Registry mirror (and its firewall chain).
if started registry || pid_alive "$PLAYGROUND_RUN/registry.pid"; then
  "$INFRA_DIR/mirror/mirror.sh" stop
else
  log "registry: not started by setup.sh"
fi

if [ "$PURGE" = 1 ] && docker_ok; then
  ids=$(docker ps -aq --filter "ancestor=$PLAYGROUND_IMAGE" 2>/dev/null || true)
  [ -z "$ids" ] || warn "containers still use $PLAYGROUND_IMAGE; its tags are removed, the layers stay until they are gone"
  imgs=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(${PLAYGROUND_IMAGE%:*}|playground/seed-[a-z]+):" || true)
  if [ -n "$imgs" ]; then
    log "images: removing $(echo "$imgs" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    docker rmi $imgs >/dev/null 2>&1 || docker rmi -f $imgs >/dev/null 2>&1 || warn "could not remove some images"
  fi
  # The node agents' shared copies of the instance engine (one per image; in use while instances run).
  vols=$(docker volume ls -q --filter label=playground.role=engine-programs 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$vols" ] || docker volume rm $vols >/dev/null 2>&1 || warn "shared engine volumes still in use: $(echo "$vols" | tr '\n' ' ')"
fi

# Redis.
if started redis; then
  log "redis: shutting down"
  redis-cli -h 127.0.0.1 -p "${REDIS_PORT:-6379}" shutdown >/dev/null 2>&1 || true
  wait_for 10 redis sh -c "! redis-cli -h 127.0.0.1 -p ${REDIS_PORT:-6379} ping" || warn "redis still answers"
  rm -f "$PLAYGROUND_RUN/started.redis"
else
  log "redis: not started by setup.sh"
fi

# PostgreSQL.
if started postgres; then
  v=${PG_VERSION:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)}
  log "postgres: stopping cluster $v/${PG_CLUSTER:-main}"
  pg_ctlcluster "$v" "${PG_CLUSTER:-main}" stop || warn "pg_ctlcluster stop failed"
  rm -f "$PLAYGROUND_RUN/started.postgres"
else
  log "postgres: not started by setup.sh"
fi

# The extra node engines of `npm start -- --nodes N` (infra/node-engines.sh), if any.
"$(dirname "${BASH_SOURCE[0]}")/node-engines.sh" stop || warn "node-engines.sh stop failed"

# Docker engine (stopping it stops every container on it, instances included).
if started dockerd; then
  n=$(docker ps -q 2>/dev/null | wc -l || echo 0)
  log "docker: stopping dockerd ($n running containers will stop)"
  pidfile=$PLAYGROUND_RUN/dockerd.pid
  [ -s /var/run/docker.pid ] && pidfile=/var/run/docker.pid
  stop_pidfile "$pidfile" 30
  rm -f "$PLAYGROUND_RUN/dockerd.pid" "$PLAYGROUND_RUN/started.dockerd"
  # Its btrfs data root (setup.sh's DOCKER_DATA_FS); the image file stays unless --purge.
  if findmnt -n "$PLAYGROUND_STATE/docker-data" >/dev/null 2>&1; then
    umount "$PLAYGROUND_STATE/docker-data" && log "docker: unmounted its data root" || warn "could not unmount $PLAYGROUND_STATE/docker-data"
  fi
  [ "$PURGE" = 1 ] && rm -f "$PLAYGROUND_STATE/docker-data.img"
else
  log "docker: not started by setup.sh"
fi

# The egress firewall of instances (infra/egress.sh); setup.sh applies it again.
"$INFRA_DIR/egress.sh" down && log "egress: rules removed" || warn "egress.sh down failed"

if [ "$PURGE" = 1 ]; then
  # Only what setup.sh and its scripts create (other tools keep data in the same folders).
  log "purge: registry storage, Redis data, build caches, generated configs"
  for d in "$PLAYGROUND_STATE/registry" "$PLAYGROUND_STATE/redis" "$PLAYGROUND_STATE"/build.* \
           "$PLAYGROUND_CACHE/debs" "$PLAYGROUND_RUN/redis"; do
    remove_tree "$d"
  done
  rm -f "$PLAYGROUND_CACHE"/debootstrap-*.tgz "$PLAYGROUND_CACHE"/instance-rootfs-*.tar \
        "$PLAYGROUND_ETC/registry.yml" "$PLAYGROUND_ETC/playground.env"
fi
log "done"
