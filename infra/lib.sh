# shellcheck shell=bash
# Shared helpers for infra/*.sh. Source it; it defines functions and default paths only.

# Where things live on the node (never inside the repository).
: "${PLAYGROUND_CACHE:=/var/cache/playground}"   # debootstrap tarballs, downloaded .debs
: "${PLAYGROUND_STATE:=/var/lib/playground}"     # registry storage, redis data, build scratch
: "${PLAYGROUND_LOGS:=/var/log/playground}"      # logs of the daemons setup.sh starts
: "${PLAYGROUND_RUN:=/run/playground}"           # pid files and "started by setup" markers
: "${PLAYGROUND_ETC:=/etc/playground}"           # generated configs, playground.env
: "${PLAYGROUND_IMAGE:=playground/instance:latest}"
: "${MIRROR_PORT:=5000}"
: "${DEBIAN_SUITE:=bookworm}"

# The database setup.sh creates here; scripts use it when DATABASE_URL is unset (TypeScript
# takes the same from packages/contracts/src/local-database.ts).
LOCAL_DATABASE_URL=postgresql://playground:playground@127.0.0.1:5432/playground

INFRA_DIR=${INFRA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

log()  { printf '[%s] %s\n' "${LOG_TAG:-setup}" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "${LOG_TAG:-setup}" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "${LOG_TAG:-setup}" "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (try: sudo $0)"; }

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "required command '$c' not found (run infra/setup.sh, which installs it)"
  done
}

ensure_dirs() {
  mkdir -p "$PLAYGROUND_CACHE" "$PLAYGROUND_STATE" "$PLAYGROUND_LOGS" "$PLAYGROUND_RUN" "$PLAYGROUND_ETC"
  chmod 0755 "$PLAYGROUND_CACHE" "$PLAYGROUND_STATE" "$PLAYGROUND_LOGS" "$PLAYGROUND_RUN" "$PLAYGROUND_ETC"
}

# Serialise runs: setup.sh, build.sh, mirror.sh and teardown.sh may be started by several
# tools at once (npm start, npm test, a person). The lock is fd 8 on $PLAYGROUND_RUN/setup.lock;
# scripts started by a locked script inherit it. Daemons must not inherit fd 8 (start_bg and
# the other daemon starts close it), or the lock would be held for as long as they run.
playground_lock() {
  [ -z "${PLAYGROUND_LOCKED:-}" ] || return 0
  mkdir -p "$PLAYGROUND_RUN"
  exec 8>"$PLAYGROUND_RUN/setup.lock"
  if ! flock -n 8; then
    log "waiting for another setup run to finish ($PLAYGROUND_RUN/setup.lock)"
    flock -w "${PLAYGROUND_LOCK_TIMEOUT:-1200}" 8 || die "timed out waiting for $PLAYGROUND_RUN/setup.lock"
  fi
  export PLAYGROUND_LOCKED=1
}

# wait_for SECONDS DESCRIPTION CMD...  -- polls CMD every 0.2 s until it succeeds.
wait_for() {
  local timeout=$1; shift 2   # $2 only names what is awaited, for the reader
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Is the process in pid file $1 alive?
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Start a daemon detached from this shell: start_bg PIDFILE LOGFILE CMD...
start_bg() {
  local pidfile=$1 logfile=$2; shift 2
  mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
  setsid "$@" </dev/null >>"$logfile" 2>&1 8>&- &
  echo $! >"$pidfile"
}

# Stop the process in a pid file (TERM, then KILL after $2 seconds, default 10).
stop_pidfile() {
  local pidfile=$1 grace=${2:-10} pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# Hash a set of files and directories (paths, modes and contents), plus extra strings given
# with -s. Used to decide whether an image or the mirror seed must be rebuilt.
hash_inputs() {
  local extra=() paths=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -s ]; then extra+=("$2"); shift 2; else paths+=("$1"); shift; fi
  done
  {
    printf '%s\n' "${extra[@]}"
    [ ${#paths[@]} -eq 0 ] ||
    find "${paths[@]}" \( -type f -o -type l \) -print0 2>/dev/null | LC_ALL=C sort -z |
      while IFS= read -r -d '' f; do
        if [ -L "$f" ]; then printf 'L %s -> %s\n' "${f#"$INFRA_DIR"/}" "$(readlink "$f")"
        else printf 'F %s %s %s\n' "${f#"$INFRA_DIR"/}" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"; fi
      done
  } | sha256sum | cut -c1-64
}

# The Debian mirror URL apt uses on this host (deb822 sources first, then sources.list).
debian_mirror() {
  local url=""
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  url=$(awk '/^URIs:/ && !/security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$url" ] || url=$(awk '/^deb / && !/security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${url:-http://deb.debian.org/debian}"
}

docker_ok() { timeout 10 docker info >/dev/null 2>&1; }

image_label() { # image_label IMAGE LABEL -> value or empty
  docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null | grep -v '^<no value>$' || true
}

# Unmount everything below a directory (deepest first), e.g. after an interrupted debootstrap.
umount_below() {
  local dir m
  dir=$(realpath -m "$1")
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# Remove a scratch directory safely: never crosses into mounted filesystems.
remove_tree() {
  [ -n "${1:-}" ] && [ -e "$1" ] || return 0
  umount_below "$1"
  rm -rf --one-file-system "$1"
}

# debian_rootfs_finish ROOT MIRROR UPGRADE LOGFILE
# Turn a fresh debootstrap into an image root file system: apt sources for the mirror with
# -updates and -security, no docs/man/locales on later installs, optionally apply pending
# updates (UPGRADE=1, needs the Debian mirror), then strip docs, man pages, locales, caches
# and logs, and empty machine-id/hostname/resolv.conf (Docker provides them).
debian_rootfs_finish() {
  local root=$1 mirror=$2 upgrade=$3 logfile=$4
  rm -f "$root/etc/apt/sources.list"
  mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security}
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'NODOC'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
NODOC
  cat >"$root/etc/apt/apt.conf.d/01-container" <<'APT'
APT::Install-Recommends "false";
Acquire::Languages "none";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT

  if [ "$upgrade" = 1 ]; then
    log "applying $DEBIAN_SUITE-updates and $DEBIAN_SUITE-security"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    mount -t proc proc "$root/proc"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    if ! chroot "$root" sh -c 'apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -qy -o Dpkg::Options::=--force-confold upgrade' \
        >>"$logfile" 2>&1; then
      warn "upgrade inside $root failed; keeping the $DEBIAN_SUITE packages (log: $logfile)"
    fi
    umount "$root/proc" || umount -l "$root/proc"
    rm -f "$root/usr/sbin/policy-rc.d"
  fi
  umount_below "$root"

  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,info,lintian,linda}/* "$root"/var/cache/man/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/* \
         "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
         "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/*
  mkdir -p "$root/var/lib/apt/lists/partial"
  find "$root/var/log" -type f -delete
  find "$root" -xdev -name __pycache__ -type d -prune -exec rm -rf {} +
  : >"$root/etc/machine-id"
  rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
}
