#!/usr/bin/env bash
# Extra Docker engines on this one machine, one per extra node agent, so that
# `npm start -- --nodes N` and the cluster tests run N nodes that each own a Docker host.
# Node 1 keeps the machine's main engine; node k (2..8) gets its own `dockerd`:
#
#   socket     /run/playground/node-k/docker.sock      (DOCKER_HOST=unix:///run/playground/node-k/docker.sock)
#   exec root  /run/playground/node-k/exec             (its own managed containerd lives here too)
#   pidfile    /run/playground/node-k/docker.pid
#   data root  /var/lib/playground/node-k/docker       (images survive a stop: the next start is fast)
#   bridge     br-pgnode-k, 10.(199+k).255.1/24        (the engine's default bridge; made here)
#   pool       10.(199+k).0.0/17 in /24 networks       (session networks; 128 per node)
#   log        /var/log/playground/node-k-dockerd.log
#
# All extra engines live in 10.200.0.0/13, which overlaps neither the main engine's
# default pools (172.17.0.0/12, 192.168.0.0/16) nor each other.
#
# FIREWALL — why the extra engines run with --iptables=false:
# every dockerd with iptables enabled flushes and deletes the shared DOCKER,
# DOCKER-ISOLATION-STAGE-1/2 chains when it starts (libnetwork's bridge driver calls
# removeIPChains() before setupIPChains()) and then re-adds rules for ITS OWN networks only.
# A second engine would therefore silently wipe the main engine's isolation rules (and the
# main engine, when restarted, the others'): sessions of one engine could reach each other.
# So only the main engine manages Docker's chains; the extra engines add no rules, and this
# script installs one static set for the whole 10.200.0.0/13 range instead, in chains of its
# own that Docker never touches:
#   filter PLAYGROUND-NODES (jumped to from the top of DOCKER-USER, which Docker evaluates
#   first in FORWARD and never flushes):
#     - bridged traffic inside one bridge (same session network) is accepted;
#     - replies to connections an instance opened are accepted;
#     - anything else routed INTO an extra engine's networks is dropped (another session,
#       another engine, the main engine's containers, the outside);
#     - an instance may not route to any other Docker bridge (br-+, docker0, br-pgnode-+);
#     - an instance may reach the outside world (like on the main engine), within the egress
#       rules of infra/egress.sh (chain PLAYGROUND-EGRESS, hooked before this one).
#   nat PLAYGROUND-NODES (from POSTROUTING): masquerade what leaves the range.
# The host itself (orchestrator port proxy, agents) reaches instances through OUTPUT/INPUT,
# which these rules do not filter. Instances reach the node-local mirror at their gateway
# (INPUT on a br-* interface: infra/mirror/mirror.sh's PLAYGROUND-MIRROR chain accepts it).
#
# Usage: node-engines.sh up N     start engines for nodes 2..N (idempotent; ~0.3 s when up)
#        node-engines.sh up-one K start only node K's engine (the security suite runs an
#                                 unsafe mode on node 8's, with SECURITY_MODE=minimal-caps)
#        node-engines.sh stop     stop every extra engine, remove bridges and rules
#        node-engines.sh status   one line per engine
#        node-engines.sh docker-host K   print node K's DOCKER_HOST (unix://…/docker.sock);
#                                 the one source of that path: TypeScript asks this
#                                 (infra/node-engines.ts) instead of repeating it
set -euo pipefail
LOG_TAG=node-engines
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

: "${SECURITY_MODE:=userns}"  # the agents' mode; `userns` needs engines with userns-remap (as setup.sh's)
RANGE=10.200.0.0/13
MAX_NODES=8
CHAIN=PLAYGROUND-NODES

node_run()   { echo "$PLAYGROUND_RUN/node-$1"; }
node_data()  { echo "$PLAYGROUND_STATE/node-$1"; }
node_sock()  { echo "$(node_run "$1")/docker.sock"; }
node_log()   { echo "$PLAYGROUND_LOGS/node-$1-dockerd.log"; }
node_bridge() { echo "br-pgnode-$1"; }
node_octet() { echo $((199 + $1)); }
ndocker()    { local k=$1; shift; docker -H "unix://$(node_sock "$k")" "$@"; }
engine_ok()  { timeout 5 docker -H "unix://$(node_sock "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
engine_pid() { cat "$(node_run "$1")/docker.pid" 2>/dev/null || true; }
engine_remaps() { ndocker "$1" info --format '{{ json .SecurityOptions }}' 2>/dev/null | grep -q 'name=userns'; }
# userns needs the remap; every other mode must run without it (with the remap, image files
# belong to the remapped root, so a setuid binary such as mount would drop root in them).
engine_fits_mode() { if [ "$SECURITY_MODE" = userns ]; then engine_remaps "$1"; else ! engine_remaps "$1"; fi; }

# ---------------------------------------------------------------------------------------
firewall_up() {
  need_cmd iptables
  # Docker's chain DOCKER-USER exists whenever the main engine runs with iptables; create it
  # (as Docker would) when it does not, so the hook below always takes effect.
  if ! iptables -S DOCKER-USER >/dev/null 2>&1; then
    iptables -N DOCKER-USER
    iptables -A DOCKER-USER -j RETURN
  fi
  iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD 1 -j DOCKER-USER
  iptables -N "$CHAIN" 2>/dev/null || true
  local want have
  want=$(cat <<RULES
-A $CHAIN -s $RANGE -d $RANGE -m physdev --physdev-is-bridged -j ACCEPT
-A $CHAIN -d $RANGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A $CHAIN -d $RANGE -j DROP
-A $CHAIN -s $RANGE -o br-+ -j DROP
-A $CHAIN -s $RANGE -o docker0 -j DROP
-A $CHAIN -s $RANGE -j ACCEPT
RULES
)
  have=$(iptables -S "$CHAIN" | grep -- '^-A' || true)
  if [ "$have" != "$want" ]; then
    iptables -F "$CHAIN"
    while read -r rule; do
      # shellcheck disable=SC2086
      iptables $rule
    done <<<"$want"
  fi
  iptables -C DOCKER-USER -j "$CHAIN" 2>/dev/null || iptables -I DOCKER-USER 1 -j "$CHAIN"
  iptables -t nat -N "$CHAIN" 2>/dev/null || true
  want="-A $CHAIN -s $RANGE ! -d $RANGE -j MASQUERADE"
  have=$(iptables -t nat -S "$CHAIN" | grep -- '^-A' || true)
  if [ "$have" != "$want" ]; then
    iptables -t nat -F "$CHAIN"
    # shellcheck disable=SC2086
    iptables -t nat $want
  fi
  iptables -t nat -C POSTROUTING -j "$CHAIN" 2>/dev/null || iptables -t nat -A POSTROUTING -j "$CHAIN"
  # The egress rules (what instances may reach: no node services, private ranges, metadata,
  # SMTP) must come BEFORE this chain in DOCKER-USER, since its last rule accepts everything
  # leaving the range; egress.sh puts its hooks first.
  "$INFRA_DIR/egress.sh" up
}

firewall_down() {
  iptables -D DOCKER-USER -j "$CHAIN" 2>/dev/null || true
  iptables -F "$CHAIN" 2>/dev/null && iptables -X "$CHAIN" 2>/dev/null || true
  iptables -t nat -D POSTROUTING -j "$CHAIN" 2>/dev/null || true
  iptables -t nat -F "$CHAIN" 2>/dev/null && iptables -t nat -X "$CHAIN" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------
# The engine's default bridge. dockerd only creates `docker0` itself; a bridge with any
# other name must exist before it starts.
bridge_up() {
  local k=$1 br addr
  br=$(node_bridge "$k"); addr="10.$(node_octet "$k").255.1/24"
  ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
  ip -4 addr show dev "$br" | grep -q " ${addr} " || { ip addr flush dev "$br"; ip addr add "$addr" dev "$br"; }
  ip link set "$br" up
}

engine_start() {
  local k=$1 run data octet
  run=$(node_run "$k"); data=$(node_data "$k"); octet=$(node_octet "$k")
  if engine_ok "$k"; then
    engine_fits_mode "$k" && return 0
    warn "node-$k: its engine's userns-remap does not fit SECURITY_MODE=$SECURITY_MODE; restarting it"
    engine_stop "$k"
  fi
  mkdir -p "$run/exec" "$data/docker"
  chmod 0711 "$run"
  # A config of its own: a /etc/docker/daemon.json meant for the main engine (bip,
  # data-root, hosts, …) must not apply here. Its own trust key gives it its own engine ID
  # (the key path has no command-line flag in 20.10). In the userns mode it remaps users
  # like the main engine: root in an instance is an unprivileged user on the host.
  local remap=''
  [ "$SECURITY_MODE" = userns ] && remap=', "userns-remap": "default"'
  printf '{ "deprecated-key-path": "%s/key.json"%s }\n' "$data" "$remap" >"$data/daemon.json"
  bridge_up "$k"
  # Start with no stored network state: dockerd 20.10 re-creates its default network from
  # that store on a restart and, with --bridge pointing elsewhere, deletes the main engine's
  # `docker0` link on the way (seen here: every second start broke the main engine). Nothing
  # is lost: without live-restore an engine restart has stopped its containers already, and
  # the agent re-creates session networks by name. With userns-remap the store sits under
  # the remapped root (docker/<uid>.<gid>/network/…): both places are cleared.
  rm -f "$data/docker/network/files/local-kv.db" "$data"/docker/*.*/network/files/local-kv.db
  log "node-$k: starting dockerd (socket $(node_sock "$k"), log $(node_log "$k"))"
  setsid dockerd \
    --host "unix://$(node_sock "$k")" \
    --data-root "$data/docker" \
    --exec-root "$run/exec" \
    --pidfile "$run/docker.pid" \
    --config-file "$data/daemon.json" \
    --bridge "$(node_bridge "$k")" \
    --default-address-pool "base=10.$octet.0.0/17,size=24" \
    --iptables=false --ip-masq=false \
    --storage-driver overlay2 \
    </dev/null >>"$(node_log "$k")" 2>&1 9>&- &
}

# Stops one engine (its containers stop first, within their stop timeout).
engine_stop() {
  local pid i
  pid=$(engine_pid "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  warn "dockerd $pid still running after 30 s; killing it"; kill -KILL "$pid"
}

# The main engine's default bridge. An extra engine that started from a stale network store
# once deleted it, and the main engine's containers on the default network then failed to
# start ("could not find bridge docker0") long after: say it where it happens.
main_bridge_present() { ip link show docker0 >/dev/null 2>&1; }
main_bridge_kept() {
  [ "$1" != yes ] || main_bridge_present ||
    die "starting an extra engine deleted the main engine's docker0 bridge (re-create it: infra/setup.sh)"
}

# Answers, or its dockerd is gone (then waiting longer is pointless).
engine_settled() { engine_ok "$1" || ! pgrep -f -- "--pidfile $(node_run "$1")/docker.pid" >/dev/null; }
engine_wait() {
  local k=$1
  if ! wait_for "${DOCKERD_TIMEOUT:-60}" "node-$k dockerd" engine_settled "$k" || ! engine_ok "$k"; then
    tail -n 15 "$(node_log "$k")" >&2 || true
    die "node-$k: dockerd did not answer within ${DOCKERD_TIMEOUT:-60}s (log: $(node_log "$k"))"
  fi
}

# The instance image, copied from the main engine through a tarball cached by image id
# (saved once, loaded into every engine that lacks that id).
image_sync() {
  local k=$1 want have tar
  want=$(docker image inspect --format '{{.Id}}' "$PLAYGROUND_IMAGE" 2>/dev/null) ||
    die "the main engine has no $PLAYGROUND_IMAGE (run infra/setup.sh first)"
  have=$(ndocker "$k" image inspect --format '{{.Id}}' "$PLAYGROUND_IMAGE" 2>/dev/null || true)
  [ "$have" = "$want" ] && return 0
  tar=$PLAYGROUND_CACHE/instance-image-${want#sha256:}.tar
  if [ ! -s "$tar" ]; then
    log "saving $PLAYGROUND_IMAGE (${want:7:12}) from the main engine"
    rm -f "$PLAYGROUND_CACHE"/instance-image-*.tar
    docker save -o "$tar.tmp" "$PLAYGROUND_IMAGE" && mv "$tar.tmp" "$tar"
  fi
  log "node-$k: loading $PLAYGROUND_IMAGE (${want:7:12})"
  ndocker "$k" load -q -i "$tar" >/dev/null || die "node-$k: docker load failed"
  have=$(ndocker "$k" image inspect --format '{{.Id}}' "$PLAYGROUND_IMAGE")
  [ "$have" = "$want" ] || die "node-$k: loaded image id $have differs from the main engine's $want"
  # The image it replaced, unless a container still uses it.
  ndocker "$k" image prune -f >/dev/null 2>&1 || true
}

up() {
  local n=${1:-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$MAX_NODES" ] || die "usage: $0 up N (N = 1..$MAX_NODES nodes in all)"
  need_root; ensure_dirs; need_cmd dockerd docker ip iptables setsid flock
  [ "$n" -ge 2 ] || { log "one node: the main engine is enough"; return 0; }
  # Routes in the range belong to the extra engines' own bridges (br-pgnode-k, br-<id>);
  # anything else means the range is taken on this host.
  local foreign
  foreign=$(ip -4 route show | awk '$1 ~ /^10\.20[0-7]\./ { for (i = 1; i < NF; i++) if ($i == "dev" && $(i + 1) !~ /^br-/) print }')
  [ -z "$foreign" ] || die "a host route already uses $RANGE ($foreign); the extra engines need that range"
  firewall_up
  local k had_bridge=no
  main_bridge_present && had_bridge=yes
  for ((k = 2; k <= n; k++)); do engine_start "$k"; done
  for ((k = 2; k <= n; k++)); do engine_wait "$k"; done
  main_bridge_kept "$had_bridge"
  # One at a time: loading is disk- and CPU-bound, two in parallel are no faster.
  for ((k = 2; k <= n; k++)); do image_sync "$k"; done
  log "engines for nodes 2..$n ready"
}

# One engine only (k = 2..MAX_NODES), e.g. an engine in another security mode for a test.
up_one() {
  local k=${1:-}
  [[ "$k" =~ ^[0-9]+$ ]] && [ "$k" -ge 2 ] && [ "$k" -le "$MAX_NODES" ] || die "usage: $0 up-one K (K = 2..$MAX_NODES)"
  need_root; ensure_dirs; need_cmd dockerd docker ip iptables setsid flock
  firewall_up
  local had_bridge=no
  main_bridge_present && had_bridge=yes
  engine_start "$k"
  engine_wait "$k"
  main_bridge_kept "$had_bridge"
  image_sync "$k"
  log "engine for node $k ready (security mode $SECURITY_MODE)"
}

stop() {
  need_root
  local dir k pid i pids=() nodes=()
  for dir in "$PLAYGROUND_RUN"/node-*; do
    [ -d "$dir" ] || continue
    k=${dir##*/node-}
    nodes+=("$k")
    pid=$(engine_pid "$k")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      log "node-$k: stopping dockerd (pid $pid)"
      kill -TERM "$pid"
      pids+=("$pid")
    fi
  done
  # All at once: each dockerd gives running containers their stop timeout (10 s) before it exits.
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { warn "dockerd $pid still running after 30 s; killing it"; kill -KILL "$pid"; }
  done
  for k in "${nodes[@]}"; do ip link del "$(node_bridge "$k")" 2>/dev/null || true; done
  firewall_down
  log "extra engines stopped"
}

status() {
  local dir k
  for dir in "$PLAYGROUND_RUN"/node-*; do
    [ -d "$dir" ] || continue
    k=${dir##*/node-}
    if engine_ok "$k"; then
      echo "node-$k: up (pid $(engine_pid "$k"), $(ndocker "$k" ps -q | wc -l) containers, socket $(node_sock "$k"))"
    else
      echo "node-$k: down"
    fi
  done
}

docker_host() {
  local k=${1:-}
  [[ "$k" =~ ^[0-9]+$ ]] && [ "$k" -ge 2 ] && [ "$k" -le "$MAX_NODES" ] || die "usage: $0 docker-host K (K = 2..$MAX_NODES)"
  echo "unix://$(node_sock "$k")"
}

# A read-only answer: no root, no lock.
if [ "${1:-}" = docker-host ]; then docker_host "${2:-}"; exit 0; fi

# One caller at a time (npm start and a test file may both bring engines up).
mkdir -p "$PLAYGROUND_RUN"
exec 9>"$PLAYGROUND_RUN/node-engines.lock"
flock 9
case "${1:-}" in
  up) up "${2:-}" ;;
  up-one) up_one "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 up N | up-one K | stop | status | docker-host K" >&2; exit 2 ;;
esac
