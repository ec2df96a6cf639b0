#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# clonecost.sh - what tiu_tc_egress costs per packet on the skbs a real TCP
# socket sends, which BPF_PROG_TEST_RUN (bench/pktcost.c) cannot give it:
# TCP's skbs leave as clones (the socket keeps the original for
# retransmission), and a TC program that writes packet data directly runs
# the verifier's unclone prologue on every clone (docs/DESIGN.md "Matching,
# and what it costs"). The kernel's own statistics of the program
# (kernel.bpf_stats_enabled: run_time_ns and run_cnt, bpf_prog_info) give
# the mean time per run, prologue included.
#
# Topology: namespaces tiuk-PID-{cli,srv}, one veth pair, IPv4:
#   cli c0 10.78.0.1 ------------ 10.78.0.2 s0 srv
# tiu up c0 --endpoint remote=10.78.0.2:5201 (cli), tiu up s0 --endpoint
# local=*:5201 (srv), XDP decap. A Python client in cli sends MSGS messages
# of SIZE bytes with TCP_NODELAY to a sink in srv:
#   pass    to port 5202 (no endpoint): c0's egress passes clones
#   tunnel  to port 5201: c0's egress sends clones to the detour (their
#           checksum is CHECKSUM_PARTIAL), s0's egress converts the pure ACKs
#           in place (not clones: tcp_send_ack() sends a fresh skb)
# Rows: "clonecost loader=L flow=F dev=D runs=N mean_ns=M", the mean of the
# program on that device over the flow (the kernel's clock: the program's
# own time, prologue included; bpf_stats' own two clock reads too).
#
# usage: clonecost.sh [-n ROUNDS] [-m MSGS] [-s SIZE] [-l LOADER]...
#   -l LOADER  a tiu binary to measure (default: $BUILD/tiu); given more
#              than once, the loaders alternate round by round so that
#              drift hits them alike
# Root. Sets kernel.bpf_stats_enabled for the run and restores it.
set -u

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=3 MSGS=20000 SIZE=100 LOADERS=()
bench_getopts "n:ROUNDS m:MSGS s:SIZE l+LOADERS" "$@"
BUILD=${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
[ ${#LOADERS[@]} -gt 0 ] || LOADERS=("$BUILD/tiu")
[ "$(id -u)" = 0 ] || { echo "clonecost.sh: needs root (namespaces, BPF)" >&2; exit 2; }
for l in "${LOADERS[@]}"; do
	[ -x "$l" ] || { echo "clonecost.sh: $l: no such loader (make first)" >&2; exit 2; }
done

C=tiuk-$$-cli S=tiuk-$$-srv
CLI_IP=10.78.0.1 SRV_IP=10.78.0.2
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
UP="" SINK=""
log() { echo "clonecost.sh: $*" >&2; }
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

down_all() {
	local e
	for e in $UP; do # NS,LOADER,IFACE
		IFS=, read -r n l i <<<"$e"
		timeout 20 ip netns exec "$n" "$l" down "$i" --purge >/dev/null 2>&1 ||
			log "warning: tiu down $i --purge failed in $n"
	done
	UP=""
}

cleanup() {
	trap - EXIT INT TERM HUP
	down_all
	[ -n "$SINK" ] && kill $SINK 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	ip netns del $C 2>/dev/null
	ip netns del $S 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ip netns add $C && ip netns add $S || exit 1
ip -n $C link add c0 type veth peer name s0 netns $S || exit 1
ip -n $C addr add $CLI_IP/24 dev c0 && ip -n $S addr add $SRV_IP/24 dev s0 || exit 1
for n in "$C c0" "$S s0"; do
	set -- $n
	ip -n "$1" link set lo up && ip -n "$1" link set "$2" up || exit 1
done

# one sink for both ports: reads every connection to its end
in_ns $S python3 -c '
import socket, threading
def serve(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port)); l.listen(8)
    while True:
        c, _ = l.accept()
        while c.recv(65536): pass
        c.close()
for p in (5201, 5202): threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Event().wait()
' &
SINK=$!
sleep 0.5

# prog_stats NS DEV: "run_time_ns run_cnt" of the egress program on DEV
prog_stats() {
	local id
	id=$(in_ns "$1" tc filter show dev "$2" egress | sed -n 's/.* id \([0-9]*\).*/\1/p' | head -1)
	[ -n "$id" ] || { echo "0 0"; return 1; }
	bpftool prog show id "$id" -j | python3 -c '
import json, sys; p = json.load(sys.stdin); print(p.get("run_time_ns", 0), p.get("run_cnt", 0))'
}

send() {
	in_ns $C python3 -c '
import socket, sys
ip, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection((ip, port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b"x" * size
for _ in range(n):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
' "$SRV_IP" "$1" "$MSGS" "$SIZE"
}

sysctl -qw kernel.bpf_stats_enabled=1
for r in $(seq "$ROUNDS"); do
	for l in "${LOADERS[@]}"; do
		timeout 30 ip netns exec $C "$l" up c0 --endpoint remote=$SRV_IP:5201 >/dev/null &&
			UP="$UP $C,$l,c0" &&
			timeout 30 ip netns exec $S "$l" up s0 --endpoint local=*:5201 >/dev/null &&
			UP="$UP $S,$l,s0" || { log "tiu up failed with $l"; exit 1; }
		for flow in pass tunnel; do
			port=5202
			[ $flow = tunnel ] && port=5201
			read -r tc0 nc0 < <(prog_stats $C c0)
			read -r ts0 ns0 < <(prog_stats $S s0)
			send $port || { log "the $flow flow failed with $l"; exit 1; }
			read -r tc1 nc1 < <(prog_stats $C c0)
			read -r ts1 ns1 < <(prog_stats $S s0)
			for d in "c0 $((tc1 - tc0)) $((nc1 - nc0))" "s0 $((ts1 - ts0)) $((ns1 - ns0))"; do
				set -- $d
				[ "$3" -gt 0 ] || continue
				echo "clonecost round=$r loader=$l flow=$flow dev=$1 runs=$3" \
					"mean_ns=$(($2 / $3))"
			done
		done
		down_all
	done
done
