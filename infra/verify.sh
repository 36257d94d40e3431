#!/usr/bin/env bash
# Self-test of a node prepared by setup.sh: starts one instance in the default userns mode
# (the options of apps/node-agent/src/instances/isolation.ts, cgroups delegated as the agent does),
# checks the inner engine, the mirror, docker build, docker-compose and a published port,
# prints timings and memory, and removes everything it created (container and volume).
# Traffic stays on this host (the engine, the instance, the mirror on the gateway).
#   infra/verify.sh [RUNS]    RUNS: how many start-up timings to take (default 1)
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=verify
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
RUNS=${1:-1}
NAME=pgverify-$$
FAILED=0
pass() { log "PASS $*"; }
fail() { log "FAIL $*"; FAILED=1; }

cleanup() {
  local i
  for i in $(seq 1 "$RUNS"); do
    docker rm -f "$NAME-$i" >/dev/null 2>&1 || true
    docker volume rm "$NAME-$i" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

docker_ok || die "the Docker engine does not answer"
docker info --format '{{ json .SecurityOptions }}' | grep -q name=userns ||
  die "the engine runs without userns-remap: the default security mode needs it (run infra/setup.sh)"
SECCOMP=$(mktemp); trap 'rm -f "$SECCOMP"; cleanup' EXIT
(cd "$INFRA_DIR/../apps/node-agent" && node --import tsx -e \
  "import('./src/instances/isolation.ts').then((m) => process.stdout.write(m.instanceSeccompProfile()))") >"$SECCOMP"
# What the agent does after start: the instance's root gets its own cgroup directories.
delegate_cgroups() { # delegate_cgroups CONTAINER
  local pid uid controllers path
  pid=$(docker inspect -f '{{ .State.Pid }}' "$1")
  uid=$(awk '$1 == 0 { print $2 }' "/proc/$pid/uid_map")
  while IFS=: read -r _ controllers path; do
    [ -n "$controllers" ] && [ "$path" != / ] || continue
    [ -d "/sys/fs/cgroup/${controllers#name=}$path" ] && chown "$uid:$uid" "/sys/fs/cgroup/${controllers#name=}$path"
  done <"/proc/$pid/cgroup"
}
run_instance() { # run_instance NAME
  docker volume create "$1" >/dev/null
  docker run -d --name "$1" --hostname "${1##*-}node" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN \
    --security-opt systempaths=unconfined --security-opt "seccomp=$SECCOMP" \
    --cgroupns=private -v "$1:/var/lib/docker" \
    --memory 1g --cpus 1 --pids-limit 1000 \
    -e "MIRROR_PORT=$MIRROR_PORT" "$PLAYGROUND_IMAGE" >/dev/null
  delegate_cgroups "$1"
}

times=()
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  run_instance "$NAME-$i"
  if wait_for 30 "inner engine" docker exec "$NAME-$i" docker info; then
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  else
    fail "inner engine of $NAME-$i did not answer within 30 s"; docker logs "$NAME-$i" || true; exit 1
  fi
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
pass "docker run -> docker info inside: median ${median} ms (${sorted% } ms)"

T=$NAME-1
x() { docker exec "$T" "$@"; }
[ "$(x docker run --rm busybox echo hi 2>/dev/null)" = hi ] && pass "busybox pulled through the mirror and run" || fail "docker run busybox"
if x sh -c 'printf "FROM debian:bookworm\nRUN echo built > /x\n" | docker build -q -t verify-build - >/dev/null && docker run --rm verify-build cat /x' 2>/dev/null | grep -qx built; then
  pass "docker build FROM debian:bookworm"
else
  fail "docker build"
fi
v=$(x docker-compose version --short 2>/dev/null || true)
[ -n "$v" ] && pass "docker-compose $v" || fail "docker-compose version"
x docker run -d --name web -p 8080:80 busybox sh -c 'mkdir /www && echo verify-ok >/www/index.html && httpd -f -p 80 -h /www' >/dev/null
ip=$(docker inspect -f '{{ range .NetworkSettings.Networks }}{{ .IPAddress }}{{ end }}' "$T")
if wait_for 10 "published port" sh -c "curl -fs -m 2 http://$ip:8080/ | grep -qx verify-ok"; then
  pass "port 8080 published inside answers at http://$ip:8080/ from the host"
else
  fail "published port at http://$ip:8080/"
fi
x docker rm -f web >/dev/null
[ "$(x hostname)" = "1node" ] && pass "hostname from --hostname" || fail "hostname"
lim=$(x cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || x cat /sys/fs/cgroup/memory.max 2>/dev/null || echo "?")
[ "$lim" = 1073741824 ] && pass "--memory 1g visible inside" || fail "memory limit inside is $lim"

# Memory of an idle instance: the last one started (the tests ran in the first one).
idle=$NAME-$RUNS; what=idle
[ "$RUNS" -gt 1 ] || what="after the tests"
id=$(docker inspect -f '{{ .Id }}' "$idle")
for f in "/sys/fs/cgroup/memory/docker/$id/memory.usage_in_bytes" "/sys/fs/cgroup/system.slice/docker-$id.scope/memory.current"; do
  if [ -r "$f" ]; then log "instance memory ($what): $(( $(cat "$f") / 1048576 )) MiB ($f)"; break; fi
done
[ "$FAILED" = 0 ] && log "all checks passed" || { log "some checks FAILED"; exit 1; }
