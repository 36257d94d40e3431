#!/usr/bin/env bash
# Egress firewall for instances: what a learner's instance may reach. Instances reach the
# internet and their own session's instances; never the node itself (except the registry
# mirror), link-local / cloud metadata addresses, other private ranges, nor SMTP out.
#
# WHERE THE RULES LIVE, and why there: Docker owns FORWARD's DOCKER* chains and flushes them
# whenever an engine starts (see infra/node-engines.sh), but it never touches DOCKER-USER
# (evaluated first in FORWARD) nor chains of our own. So everything here is in our chains:
#
#   filter PLAYGROUND-EGRESS   jumped to from the TOP of DOCKER-USER (before node-engines.sh's
#                              PLAYGROUND-NODES, which accepts what leaves the extra engines)
#                              for packets routed from an instance bridge (EGRESS_IFACES):
#     - replies to connections that were allowed, and traffic bridged inside one bridge (the
#       session's own network: its instances reach each other) return to Docker's rules;
#     - DNS to the node's resolvers (EGRESS_DNS) returns;
#     - EGRESS_BLOCK_PORTS (SMTP) are rejected to every destination;
#     - EGRESS_ALLOW entries return (Docker's own isolation between sessions still applies,
#       since nothing here ACCEPTs: a RETURN hands the packet back to Docker's chains);
#     - EGRESS_DENY entries and the built-in private / link-local / metadata ranges are
#       rejected (icmp admin-prohibited: the learner sees "No route to host" at once rather
#       than a hang);
#     - anything else (the internet) returns to Docker's rules, which accept it.
#   filter PLAYGROUND-TO-NODE  jumped to from the top of INPUT for packets from an instance
#                              bridge to one of the node's own addresses (any interface's:
#                              the gateway, the public address, another bridge's gateway):
#     replies to the node's own connections (port proxy, agents) and EGRESS_NODE_PORTS (the
#     mirror) return; everything else is rejected.
#   The same two chains exist for IPv6 (ip6tables; hooked from FORWARD and INPUT): Docker
#   gives instances no IPv6 here, but every veth has a link-local address, and services that
#   listen on [::] would otherwise answer an instance at the bridge's fe80:: address.
#
# Matching is by input interface, not by source address: root in an instance may set any
# source address on its own interface, but not the bridge its packets arrive on. The host's
# own traffic (OUTPUT: port proxy, `docker exec`, readiness probes through /proc) is not
# filtered.
#
# Usage: egress.sh up       apply (idempotent; atomic per chain with iptables-restore)
#        egress.sh down     remove the chains and their hooks
#        egress.sh status   print the rules
# Environment (documented in infra/README.md): EGRESS_FIREWALL, EGRESS_IFACES, EGRESS_ALLOW,
# EGRESS_DENY, EGRESS_BLOCK_PORTS, EGRESS_DNS, EGRESS_NODE_PORTS, MIRROR_PORT.
set -euo pipefail
LOG_TAG=egress
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

: "${EGRESS_FIREWALL:=1}"
: "${EGRESS_IFACES:=docker0 br-+}"               # bridges instances sit on (every engine's)
: "${EGRESS_ALLOW:=}"                            # entries: ADDR[/LEN][@PROTO:PORT] or @PROTO:PORT
: "${EGRESS_DENY:=}"                             # same form; rejected in addition to the built-in ranges
: "${EGRESS_BLOCK_PORTS=tcp:25 tcp:465 tcp:587}"  # rejected to any destination (SMTP out); empty: none
: "${EGRESS_DNS:=auto}"                          # auto: non-loopback nameservers of /etc/resolv.conf; none; or addresses
: "${EGRESS_NODE_PORTS=tcp:$MIRROR_PORT}"        # ports of the node itself that instances may reach

CHAIN=PLAYGROUND-EGRESS
NODE_CHAIN=PLAYGROUND-TO-NODE
# Never reachable from an instance unless EGRESS_ALLOW says so: "this network", RFC 1918,
# carrier-grade NAT, loopback, link-local (cloud metadata at 169.254.169.254 and friends),
# IETF protocol assignments, benchmarking, multicast and reserved.
DENY_V4="0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.168.0.0/16 198.18.0.0/15 224.0.0.0/4 240.0.0.0/4"
# Unique-local (fc00::/7, the IPv6 private range), link-local, loopback, unspecified,
# IPv4-mapped (would reach the IPv4 ranges above) and multicast.
DENY_V6="fc00::/7 fe80::/10 ::1/128 ::/128 ::ffff:0:0/96 ff00::/8"
REJECT4=(-j REJECT --reject-with icmp-admin-prohibited)
REJECT6=(-j REJECT --reject-with icmp6-adm-prohibited)

# match_args FAMILY ENTRY -> prints the iptables match for one list entry, or nothing when
# the entry is of the other family. ENTRY: ADDR[/LEN][@PROTO:PORT[-PORT]] or @PROTO:PORT.
match_args() {
  local family=$1 entry=$2 addr port='' proto='' out=''
  addr=${entry%%@*}
  if [[ "$entry" == *@* ]]; then
    port=${entry#*@}; proto=${port%%:*}; port=${port#*:}
    [[ "$proto" =~ ^(tcp|udp)$ && "$port" =~ ^[0-9]+(-[0-9]+)?$ ]] ||
      die "bad entry '$entry': the part after @ must be tcp:PORT or udp:PORT (or a range PORT-PORT)"
  fi
  if [ -n "$addr" ]; then
    if [[ "$addr" == *:* ]]; then [ "$family" = 6 ] || return 0; else [ "$family" = 4 ] || return 0; fi
    [[ "$addr" =~ ^[0-9a-fA-F.:]+(/[0-9]+)?$ ]] || die "bad address in entry '$entry'"
    out="-d $addr"
  fi
  [ -z "$proto" ] || out="$out -p $proto -m $proto --dport ${port/-/:}"
  echo "${out# }"
}

nameservers() {
  case "$EGRESS_DNS" in
    none) ;;
    auto) awk '$1 == "nameserver" && $2 !~ /^(127\.|::1$)/ { print $2 }' /etc/resolv.conf 2>/dev/null || true ;;
    *) printf '%s\n' $EGRESS_DNS ;;
  esac
}

# rules FAMILY -> the iptables-restore text of both chains for that family.
rules() {
  local f=$1 e m ns deny reject
  if [ "$f" = 4 ]; then deny=$DENY_V4; reject="${REJECT4[*]}"; else deny=$DENY_V6; reject="${REJECT6[*]}"; fi
  echo "*filter"
  echo ":$CHAIN - [0:0]"
  echo ":$NODE_CHAIN - [0:0]"
  echo "-A $CHAIN -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
  echo "-A $CHAIN -m physdev --physdev-is-bridged -j RETURN"
  while read -r ns; do
    [ -n "$ns" ] || continue
    if [[ "$ns" == *:* ]]; then [ "$f" = 6 ] || continue; else [ "$f" = 4 ] || continue; fi
    echo "-A $CHAIN -d $ns -p udp -m udp --dport 53 -j RETURN"
    echo "-A $CHAIN -d $ns -p tcp -m tcp --dport 53 -j RETURN"
  done < <(nameservers)
  for e in $EGRESS_BLOCK_PORTS; do echo "-A $CHAIN $(match_args "$f" "@$e") $reject"; done
  for e in $EGRESS_ALLOW; do m=$(match_args "$f" "$e"); [ -z "$m" ] || echo "-A $CHAIN $m -j RETURN"; done
  for e in $EGRESS_DENY $deny; do m=$(match_args "$f" "$e"); [ -z "$m" ] || echo "-A $CHAIN $m $reject"; done
  echo "-A $NODE_CHAIN -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
  # IPv6 neighbour discovery, so the link itself keeps working (no service behind it).
  if [ "$f" = 6 ]; then
    for e in router-solicitation neighbour-solicitation neighbour-advertisement; do
      echo "-A $NODE_CHAIN -p ipv6-icmp -m icmp6 --icmpv6-type $e -j RETURN"
    done
  fi
  for e in $EGRESS_NODE_PORTS; do echo "-A $NODE_CHAIN $(match_args "$f" "@$e") -j RETURN"; done
  echo "-A $NODE_CHAIN $reject"
  echo "COMMIT"
}

# hook_top IPT TABLE_CHAIN TARGET -> one `-i IFACE -j TARGET` per interface, first in the
# chain, in order (re-inserted when anything else came before them).
hook_top() {
  local ipt=$1 parent=$2 target=$3 want have i n=0 rule
  want=$(for i in $EGRESS_IFACES; do echo "-A $parent -i $i -j $target"; done)
  n=$(wc -l <<<"$want")
  have=$("$ipt" -S "$parent" | { grep -- '^-A' || true; } | head -n "$n")
  [ "$have" = "$want" ] && return 0
  unhook "$ipt" "$parent" "$target"
  tac <<<"$want" | sed 's/^-A [^ ]* //' | while read -r rule; do
    # shellcheck disable=SC2086
    "$ipt" -I "$parent" 1 $rule
  done
}

unhook() { # unhook IPT PARENT TARGET
  local rule
  { "$1" -S "$2" 2>/dev/null || true; } | { grep -- "-j $3\$" || true; } | sed 's/^-A //' | while read -r rule; do
    # shellcheck disable=SC2086
    "$1" -D $rule
  done
}

up() {
  if [ "$EGRESS_FIREWALL" != 1 ]; then
    warn "EGRESS_FIREWALL=$EGRESS_FIREWALL: instances may reach the node's services, private networks and cloud metadata"
    down
    return 0
  fi
  need_cmd iptables iptables-restore
  # Validate every entry before touching anything.
  local e; for e in $EGRESS_ALLOW $EGRESS_DENY; do match_args 4 "$e" >/dev/null; done
  for e in $EGRESS_BLOCK_PORTS $EGRESS_NODE_PORTS; do match_args 4 "@$e" >/dev/null; done
  # Docker's DOCKER-USER exists whenever an engine runs with iptables; make it (as Docker
  # would) when it does not, so the hook takes effect either way.
  if ! iptables -S DOCKER-USER >/dev/null 2>&1; then
    iptables -N DOCKER-USER
    iptables -A DOCKER-USER -j RETURN
  fi
  iptables -C FORWARD -j DOCKER-USER 2>/dev/null || iptables -I FORWARD 1 -j DOCKER-USER
  # --noflush: only our two chains are replaced, atomically (no moment without rules).
  rules 4 | iptables-restore --noflush || die "iptables-restore rejected the egress rules (see above)"
  hook_top iptables DOCKER-USER "$CHAIN"
  hook_top iptables INPUT "$NODE_CHAIN"
  if command -v ip6tables-restore >/dev/null && ip6tables -S >/dev/null 2>&1; then
    rules 6 | ip6tables-restore --noflush || die "ip6tables-restore rejected the egress rules"
    hook_top ip6tables FORWARD "$CHAIN"
    hook_top ip6tables INPUT "$NODE_CHAIN"
  else
    warn "ip6tables unusable: instances' IPv6 link-local traffic to the node is not filtered"
  fi
  log "instances ($EGRESS_IFACES) reach the internet and their session; not the node (except ${EGRESS_NODE_PORTS}), private or link-local ranges, nor ${EGRESS_BLOCK_PORTS:-no blocked ports}${EGRESS_ALLOW:+; allowed: $EGRESS_ALLOW}${EGRESS_DENY:+; denied: $EGRESS_DENY} (chains $CHAIN, $NODE_CHAIN)"
}

down() {
  local ipt c
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    unhook "$ipt" DOCKER-USER "$CHAIN"
    unhook "$ipt" FORWARD "$CHAIN"
    unhook "$ipt" INPUT "$NODE_CHAIN"
    for c in "$CHAIN" "$NODE_CHAIN"; do "$ipt" -F "$c" 2>/dev/null && "$ipt" -X "$c" 2>/dev/null || true; done
  done
}

status() {
  local ipt
  for ipt in iptables ip6tables; do
    "$ipt" -S "$CHAIN" 2>/dev/null || echo "$ipt: no chain $CHAIN"
    "$ipt" -S "$NODE_CHAIN" 2>/dev/null || echo "$ipt: no chain $NODE_CHAIN"
  done
}

# One caller at a time (setup.sh, node-engines.sh and tests may apply it together).
case "${1:-}" in
  up | down) need_root; mkdir -p "$PLAYGROUND_RUN"; exec 7>"$PLAYGROUND_RUN/egress.lock"; flock 7 ;;
esac
case "${1:-}" in
  up) up ;;
  down) down; log "egress rules removed" ;;
  status) status ;;
  *) echo "usage: $0 up | down | status" >&2; exit 2 ;;
esac
