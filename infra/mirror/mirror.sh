#!/usr/bin/env bash
# Node-local registry mirror for instances: Debian's docker-registry (distribution 2.8) run
# as a background process (no systemd), storage in $PLAYGROUND_STATE/registry.
#
# Instances reach it at http://<their network's gateway IP>:$MIRROR_PORT (playground-init
# writes that into the inner engine's registry-mirrors). Gateway IPs differ per Docker
# network, so the registry listens on 0.0.0.0. FIREWALL: it is the only Playground service
# bound to all interfaces, so unless MIRROR_FIREWALL=0 this script adds an iptables chain
# PLAYGROUND-MIRROR-<port> that accepts the port only from lo, docker0 and br-* (Docker bridges)
# and drops it from everywhere else. Keep an equivalent rule if you manage the firewall
# yourself; a cloud security group should not open the port either.
#
# Seeding (no registry is reachable on an offline node): images are built here without any
# registry -- busybox:latest from Debian's busybox-static, debian:bookworm (also :12 and
# :latest) from a minbase debootstrap -- and pushed while the registry runs in plain
# read-write mode on 127.0.0.1 only. Re-seeding is skipped while the seed inputs are
# unchanged (stamp file $PLAYGROUND_STATE/registry/.playground-seed).
#
# Serving mode, after seeding:
#   MIRROR_UPSTREAM unset/empty (default): plain registry, read-only
#     (storage.maintenance.readonly), serving the seeded images. Nobody can push to it.
#   MIRROR_UPSTREAM=https://registry-1.docker.io: pull-through cache of Docker Hub
#     (proxy.remoteurl) over the same storage. distribution 2.8 asks the upstream first for a
#     tag and falls back to local storage when the upstream fails, so the seeded images are
#     still served when Docker Hub fails later on (verified with a stand-in upstream on
#     loopback that failed every manifest request, then with it stopped).
#     It is NOT the default: (1) distribution 2.8 pings the upstream at start-up and PANICS
#     when it is unreachable, so proxy mode cannot start on an offline node (this script then
#     falls back to plain read-only mode with a warning); (2) every pull makes the node
#     contact the upstream (DNS lookup and connection), which an offline or egress-restricted
#     node must not do, and a blackholed upstream would delay every pull by the dial timeout.
#
# Usage: mirror.sh up | seed | start | stop | status
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
LOG_TAG=mirror
# shellcheck source=../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

: "${MIRROR_ADDR:=0.0.0.0}"
: "${MIRROR_UPSTREAM:=}"
: "${MIRROR_FIREWALL:=1}"
: "${PLAYGROUND_REFRESH:=0}"
: "${FORCE_SEED:=0}"
REG_DIR=$PLAYGROUND_STATE/registry
CONF=$PLAYGROUND_ETC/registry.yml
PIDFILE=$PLAYGROUND_RUN/registry.pid
LOGFILE=$PLAYGROUND_LOGS/registry.log
SEED_STAMP=$REG_DIR/.playground-seed
REG_USER=docker-registry
id "$REG_USER" >/dev/null 2>&1 || REG_USER=root
LOCAL=127.0.0.1:$MIRROR_PORT
FW_CHAIN=PLAYGROUND-MIRROR-$MIRROR_PORT

registry_ok() { curl -fs -m 2 -o /dev/null "http://$LOCAL/v2/"; }
manifest_ok() { # manifest_ok REPO TAG
  curl -fs -m 5 -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$LOCAL/v2/$1/manifests/$2"
}

write_config() { # write_config seed|serve FILE
  local mode=$1 file=$2 addr=$MIRROR_ADDR
  [ "$mode" = seed ] && addr=127.0.0.1
  {
    echo "# Written by infra/mirror/mirror.sh ($mode mode). Edits are overwritten."
    echo "version: 0.1"
    echo "log:"
    echo "  level: info"
    echo "  fields: { service: playground-mirror }"
    echo "storage:"
    echo "  filesystem: { rootdirectory: $REG_DIR }"
    echo "  cache: { blobdescriptor: inmemory }"
    echo "  delete: { enabled: false }"
    if [ "$mode" = serve ] && [ -z "$MIRROR_UPSTREAM" ]; then
      # Plain mode: nobody may push. (A pull-through cache rejects pushes by itself.)
      echo "  maintenance:"
      echo "    uploadpurging: { enabled: false }"
      echo "    readonly: { enabled: true }"
    fi
    echo "http:"
    echo "  addr: $addr:$MIRROR_PORT"
    echo "  headers: { X-Content-Type-Options: [nosniff] }"
    if [ "$mode" = serve ] && [ -n "$MIRROR_UPSTREAM" ]; then
      echo "proxy:"
      echo "  remoteurl: $MIRROR_UPSTREAM"
    fi
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}

# Answers, or has died (then wait_for stops waiting; the caller checks registry_ok).
registry_up() { registry_ok || ! pid_alive "$PIDFILE"; }
registry_stop() {
  if pid_alive "$PIDFILE"; then
    log "stopping registry (pid $(cat "$PIDFILE"))"
  fi
  stop_pidfile "$PIDFILE" 10
  rm -f "$PLAYGROUND_RUN/registry.conf.sha"
}

registry_start() { # registry_start CONFIG
  local conf=$1
  need_cmd docker-registry setpriv
  if registry_ok; then
    die "something already answers on $LOCAL that this script did not start; stop it or set MIRROR_PORT"
  fi
  install -d -o "$REG_USER" -m 0755 "$REG_DIR"
  start_bg "$PIDFILE" "$LOGFILE" setpriv --reuid="$REG_USER" --regid="$REG_USER" --init-groups \
    docker-registry serve "$conf"
  if ! wait_for 20 registry registry_up || ! registry_ok; then
    tail -n 10 "$LOGFILE" >&2 || true
    die "docker-registry did not answer on $LOCAL within 20s (log: $LOGFILE)"
  fi
  sha256sum <"$conf" | cut -c1-64 >"$PLAYGROUND_RUN/registry.conf.sha"
  touch "$PLAYGROUND_RUN/started.registry"
}

# --- images built without a registry ----------------------------------------------------------
busybox_deb() {
  local d=$PLAYGROUND_CACHE/debs
  mkdir -p "$d"
  if [ "$PLAYGROUND_REFRESH" = 1 ] || ! compgen -G "$d/busybox-static_*.deb" >/dev/null; then
    rm -f "$d"/busybox-static_*.deb
    (cd "$d" && apt-get download -q busybox-static >/dev/null 2>&1) ||
      (apt-get -q update >/dev/null 2>&1 && cd "$d" && apt-get download -q busybox-static >/dev/null 2>&1) ||
      die "cannot download busybox-static from the Debian mirror"
  fi
  ls "$d"/busybox-static_*.deb | tail -n1
}

# The .debs of a plain minbase debootstrap, cached like the instance build's. (The instance
# tarball cannot be reused: --unpack-tarball installs every package in the tarball.)
debs_tarball() {
  local t=$PLAYGROUND_CACHE/debootstrap-minbase-$DEBIAN_SUITE.tgz
  if [ ! -s "$t" ] || [ "$PLAYGROUND_REFRESH" = 1 ]; then
    log "downloading minbase packages (debootstrap --make-tarball)" >&2
    {
      local tmp; tmp=$(mktemp -d "$PLAYGROUND_STATE/build.debs.XXXXXX")
      debootstrap --variant=minbase --make-tarball="$tmp/debs.tgz" "$DEBIAN_SUITE" "$tmp/dl" "$(debian_mirror)" \
        >"$PLAYGROUND_LOGS/debootstrap-seed.log" 2>&1 || { remove_tree "$tmp"; die "debootstrap --make-tarball failed (log: $PLAYGROUND_LOGS/debootstrap-seed.log)"; }
      mv "$tmp/debs.tgz" "$t"; remove_tree "$tmp"
    } >&2
  fi
  echo "$t"
}

build_busybox() { # build_busybox DEB IMAGE
  local deb=$1 image=$2 dir
  dir=$(mktemp -d "$PLAYGROUND_STATE/build.busybox.XXXXXX")
  mkdir -p "$dir/x" "$dir/root"
  dpkg-deb -x "$deb" "$dir/x"
  (cd "$dir/root" && mkdir -p bin sbin usr/bin usr/sbin etc root tmp var/tmp home proc sys dev)
  chmod 1777 "$dir/root/tmp" "$dir/root/var/tmp"; chmod 0700 "$dir/root/root"
  install -m 0755 "$dir/x/bin/busybox" "$dir/root/bin/busybox"
  chroot "$dir/root" /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$dir/root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$dir/root/etc/group"
  tar --numeric-owner -C "$dir/root" -c . | docker import -c 'CMD ["sh"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL org.playground.seed=$(basename "$deb" .deb)" -m "busybox from $(basename "$deb")" - "$image" >/dev/null
  remove_tree "$dir"
}

build_debian() { # build_debian DEBS_TGZ IMAGE
  local debs=$1 image=$2 dir mirror
  mirror=$(debian_mirror)
  dir=$(mktemp -d "$PLAYGROUND_STATE/build.debian.XXXXXX")
  if ! debootstrap --variant=minbase --unpack-tarball="$debs" "$DEBIAN_SUITE" "$dir/root" "$mirror" \
      >"$PLAYGROUND_LOGS/debootstrap-seed.log" 2>&1; then
    remove_tree "$dir"; die "debootstrap of debian:$DEBIAN_SUITE failed (log: $PLAYGROUND_LOGS/debootstrap-seed.log)"
  fi
  debian_rootfs_finish "$dir/root" "$mirror" "${INSTANCE_UPGRADE:-1}" "$PLAYGROUND_LOGS/debootstrap-seed.log"
  tar --numeric-owner --xattrs -C "$dir/root" -c . | docker import -c 'CMD ["bash"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL org.playground.seed=debian-$DEBIAN_SUITE-minbase" -m "debian $DEBIAN_SUITE minbase" - "$image" >/dev/null
  remove_tree "$dir"
}

tag_stored() { # tag_stored REPO TAG: is the tag in the registry's storage? (registry may be stopped)
  [ -s "$REG_DIR/docker/registry/v2/repositories/$1/_manifests/tags/$2/current/link" ]
}
seeded() { # seeded KEY
  [ "$(cat "$SEED_STAMP" 2>/dev/null)" = "$1" ] && tag_stored library/busybox latest && tag_stored library/debian "$DEBIAN_SUITE"
}

seed() {
  local deb debs key
  need_cmd docker debootstrap dpkg-deb chroot curl
  docker_ok || die "the Docker engine does not answer (run infra/setup.sh first)"
  deb=$(busybox_deb)
  debs=$(debs_tarball)
  # The key covers what ends up in the registry: the inputs and the code that builds and
  # pushes the images (not the rest of this script, so editing e.g. the firewall does not re-seed).
  key=$(hash_inputs -s "$(basename "$deb")" -s "$(basename "$debs")" -s "$DEBIAN_SUITE" \
    -s "$(declare -f build_busybox build_debian debian_rootfs_finish seed)")
  if [ "$FORCE_SEED" != 1 ] && [ "$PLAYGROUND_REFRESH" != 1 ]; then
    if seeded "$key"; then log "seed images already present"; return 0; fi
  fi

  log "building seed images (busybox from $(basename "$deb"), debian:$DEBIAN_SUITE minbase)"
  local sk=${key:0:12}
  # (a seed image left by an interrupted run is reused)
  docker image inspect "playground/seed-busybox:$sk" >/dev/null 2>&1 || build_busybox "$deb" "playground/seed-busybox:$sk"
  docker image inspect "playground/seed-debian:$sk" >/dev/null 2>&1 || build_debian "$debs" "playground/seed-debian:$sk"

  registry_stop
  write_config seed "$PLAYGROUND_RUN/registry-seed.yml"
  log "pushing to the registry (seed mode, 127.0.0.1 only)"
  registry_start "$PLAYGROUND_RUN/registry-seed.yml"
  local pushes=("playground/seed-busybox:$sk library/busybox:latest"
                "playground/seed-busybox:$sk library/busybox:$(dpkg-deb -f "$deb" Version | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')"
                "playground/seed-debian:$sk library/debian:$DEBIAN_SUITE"
                "playground/seed-debian:$sk library/debian:$(. /etc/os-release 2>/dev/null; echo "${VERSION_ID:-12}")"
                "playground/seed-debian:$sk library/debian:latest")
  local p src dst
  for p in "${pushes[@]}"; do
    src=${p% *}; dst=$LOCAL/${p#* }
    docker tag "$src" "$dst"
    docker push -q "$dst" >/dev/null 2>>"$LOGFILE" || die "docker push $dst failed (log: $LOGFILE)"
    docker rmi "$dst" >/dev/null
    log "  pushed ${p#* }"
  done
  docker rmi "playground/seed-busybox:$sk" "playground/seed-debian:$sk" >/dev/null
  echo "$key" >"$SEED_STAMP"
  registry_stop
  # Drop blobs and untagged manifests left over from an earlier seed.
  setpriv --reuid="$REG_USER" --regid="$REG_USER" --init-groups docker-registry garbage-collect \
    --delete-untagged "$PLAYGROUND_RUN/registry-seed.yml" >>"$LOGFILE" 2>&1 || warn "registry garbage-collect failed (log: $LOGFILE)"
  rm -f "$PLAYGROUND_RUN/registry-seed.yml"
}

# --- firewall (IPv4 and IPv6: Go's wildcard listener is dual-stack) ----------------------------
firewall_apply() {
  [ "$MIRROR_FIREWALL" = 1 ] || { log "firewall: MIRROR_FIREWALL=0, not adding rules for port $MIRROR_PORT"; return 0; }
  command -v iptables >/dev/null || { warn "iptables not found; port $MIRROR_PORT is open on all interfaces"; return 0; }
  local ipt i
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    "$ipt" -N "$FW_CHAIN" 2>/dev/null || true
    "$ipt" -F "$FW_CHAIN" 2>/dev/null || { warn "$ipt unusable; not filtering port $MIRROR_PORT for it"; continue; }
    for i in lo docker0 'br-+' ${MIRROR_ALLOW_IFACES:-}; do "$ipt" -A "$FW_CHAIN" -i "$i" -j RETURN; done
    "$ipt" -A "$FW_CHAIN" -j DROP
    firewall_unhook "$ipt"
    "$ipt" -I INPUT -p tcp --dport "$MIRROR_PORT" -j "$FW_CHAIN"
  done
  log "firewall: port $MIRROR_PORT accepted only from lo, docker0, br-+${MIRROR_ALLOW_IFACES:+, $MIRROR_ALLOW_IFACES} (chain $FW_CHAIN)"
}
firewall_unhook() { # firewall_unhook iptables|ip6tables
  local rule
  { "$1" -S INPUT 2>/dev/null || true; } | { grep -- "-j $FW_CHAIN\$" || true; } | sed 's/^-A //' |
    while read -r rule; do
      # shellcheck disable=SC2086
      "$1" -D $rule
    done
}
firewall_remove() {
  local ipt
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    firewall_unhook "$ipt"
    "$ipt" -F "$FW_CHAIN" 2>/dev/null && "$ipt" -X "$FW_CHAIN" 2>/dev/null || true
  done
}

up() {
  need_root; ensure_dirs
  seed
  write_config serve "$CONF"
  if pid_alive "$PIDFILE" && registry_ok &&
     [ "$(sha256sum <"$CONF" | cut -c1-64)" = "$(cat "$PLAYGROUND_RUN/registry.conf.sha" 2>/dev/null)" ]; then
    log "registry already serving on $MIRROR_ADDR:$MIRROR_PORT"
  else
    registry_stop
    if [ -n "$MIRROR_UPSTREAM" ] && ! (registry_start "$CONF") 2>/dev/null; then
      # distribution 2.8 pings the upstream at start-up and panics when it cannot reach it
      # ("panic: Get \"<remoteurl>/v2/\": dial tcp ..."), so proxy mode cannot start offline.
      warn "registry did not start as a proxy of $MIRROR_UPSTREAM (unreachable?); serving the seeded images read-only instead"
      stop_pidfile "$PIDFILE" 2
      MIRROR_UPSTREAM=
      write_config serve "$CONF"
      registry_start "$CONF"
    elif [ -z "$MIRROR_UPSTREAM" ]; then
      registry_start "$CONF"
    fi
    if [ -n "$MIRROR_UPSTREAM" ]; then
      log "registry serving on $MIRROR_ADDR:$MIRROR_PORT (pull-through proxy of $MIRROR_UPSTREAM)"
    else
      log "registry serving on $MIRROR_ADDR:$MIRROR_PORT (read-only, seeded images)"
    fi
  fi
  firewall_apply
  manifest_ok library/busybox latest || die "registry does not serve library/busybox:latest"
}

case "${1:-up}" in status) ;; *) need_root; ensure_dirs; playground_lock ;; esac
case "${1:-up}" in
  up) up ;;
  seed) need_root; ensure_dirs; FORCE_SEED=1 seed; up ;;
  start) need_root; ensure_dirs; write_config serve "$CONF"; pid_alive "$PIDFILE" || registry_start "$CONF"; firewall_apply ;;
  stop) need_root; registry_stop; firewall_remove; rm -f "$PLAYGROUND_RUN/started.registry" ;;
  status)
    if registry_ok; then
      echo "registry: answering on $LOCAL (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
      curl -fsS -m 5 "http://$LOCAL/v2/_catalog" && echo
    else
      echo "registry: not answering on $LOCAL"; exit 1
    fi ;;
  *) echo "usage: $0 up|seed|start|stop|status" >&2; exit 2 ;;
esac
