#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reconnect.sh - how long after a WAN device comes back is it tunnelled
# again, with `tiu apply` started by a hook the way the real ones start it.
#
#   cli ns: DEV (tiu, by apply only)  ----  peer ns: the other end, where a
#   capture (tcpdump -i any, udp dst port 7001) sees what arrives
#
# Kinds (-k):
#   veth  DEV = wan0, a veth deleted and created again under its name (a new
#         ifindex), then set up and addressed;
#   tun   DEV = ppp0, a tun device (IFF_TUN, raw IP, device type ARPHRD_PPP:
#         tests/tools/tunfwd) whose process ends and starts again, as pppd
#         closes and reopens its unit; the peer is tunfwd's other end.
# Configuration: [interface wan0 ppp0], endpoint remote=PEER:7001.
# A client in cli ns sends a TCP SYN to PEER:7001 every 2 ms all along
# (a new socket each, python3), so the first packet tiu
# converts after the device's return shows up within 2 ms.
#
# Trigger: bench/reconnect-hook.sh, an `ip -ts monitor link` loop in cli ns
# that runs `tiu -v apply` once per new device, standing in for udev's
# 90-tiu.rules -> tiu-apply@.service (udevd does not run here; see the
# hook's header).
#
# Per run, all on the machine's realtime clock, from the device's creation
# (t0: the timestamp `ip -ts monitor` gives the kernel's RTM_NEWLINK):
#   trigger   t0 -> apply started by the hook
#   apply     apply's wall time (it waits for the host's tiu lock, releases
#             the old ifindex and brings up the new one: `tiu -v apply`
#             timing lines split it: lock, released, up)
#   first     t0 -> the first UDP packet to PEER:7001 in the peer's
#             capture (its kernel timestamp): the tunnel is back
# Then -s RUNS more runs of each kind with apply under
# `strace --seccomp-bpf -f -T -e trace=bpf` (so they are not timed with
# the others): the time spent in BPF_PROG_LOAD (the verifier) per program.
#
# usage: bench/reconnect.sh [-n RUNS] [-s STRACE_RUNS] [-k "veth tun"] [-o FILE]
#   -n  timed runs per kind (default 5)
#   -s  strace runs per kind (default 3; 0: none)
#   -o  the report (default bench/results/DATE-reconnect.md)
# `make bench-reconnect` runs it with the defaults. Needs root.
# Output: "reconnect kind=... run=... trigger_ms=... apply_ms=... first_ms=..."
# lines on stdout, the Markdown report in FILE, progress on stderr.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
RUNS=5 SRUNS=3 KINDS="veth tun" OUT=""
bench_getopts "n:RUNS s:SRUNS k:KINDS o:OUT" "$@"
[ "$(id -u)" = 0 ] || { echo "reconnect.sh: needs root (namespaces, BPF)" >&2; exit 2; }
for c in tcpdump strace python3 nsenter; do
	command -v $c >/dev/null || { echo "reconnect.sh: $c missing: make deps" >&2; exit 2; }
done
FWD=$BUILD/tests/tools/tunfwd
[ -x "$BUILD/tiu" ] && [ -x "$FWD" ] || { echo "reconnect.sh: $BUILD/tiu or $FWD missing: run make" >&2; exit 2; }
[ -n "$OUT" ] || OUT=$HERE/results/$(date +%Y-%m-%d)-reconnect.md

# namespaces, background processes, tiu and the cleanup: the tests' harness
. "$ROOT/tests/lib/harness.sh"
h_init tiur
CONF=$H_WORK/tiu.conf
cat >"$CONF" <<EOF
[interface wan0 ppp0]
endpoint remote=10.93.0.2:7001
EOF
log() { echo "reconnect.sh: $*" >&2; }
die() { log "$*"; exit 1; }
# epoch seconds (float) of an `ip -ts` local time
epoch_of() { python3 -c 'import sys,datetime; print(datetime.datetime.fromisoformat(sys.argv[1]).timestamp())' "$1"; }
ms() { python3 -c 'import sys; print(round((float(sys.argv[1]) - float(sys.argv[2])) * 1000))' "$1" "$2"; }

# kind_setup KIND: namespaces, the capture, the SYN client, the hook.
kind_setup() {
	h_ns C "$1-cli" && h_ns P "$1-peer" || die "namespaces"
	EVENTS=$H_WORK/$1.events CAP=$H_WORK/$1.cap
	: >"$EVENTS"
	nsenter --net="/run/netns/$P" tcpdump -i any -n -tt -l "udp and dst port 7001" >"$CAP" 2>"$CAP.err" &
	H_PIDS+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$CAP.err" && break; sleep 0.05; done
	grep -q "listening on" "$CAP.err" || die "tcpdump in $P: $(cat "$CAP.err")"
	nsenter --net="/run/netns/$C" python3 -c '
import socket, time, collections
q = collections.deque()
while True:
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("10.93.0.2", 7001))
    except OSError:
        pass
    q.append(s)
    if len(q) > 200:
        q.popleft().close()
    time.sleep(0.002)' &
	H_PIDS+=($!)
}

hook_start() { # STRACE_DIR or ""
	nsenter --net="/run/netns/$C" setsid "$HERE/reconnect-hook.sh" "$TIU" "$CONF" "$EVENTS" "$1" &
	HOOK=$!
	H_PIDS+=($HOOK)
	sleep 0.3 # ip monitor subscribed
}
hook_stop() { kill -- -"$HOOK" 2>/dev/null; wait "$HOOK" 2>/dev/null; }

dev_gone() { # KIND
	case $1 in
	veth) ip -n "$C" link del wan0 2>/dev/null ;;
	tun) [ -n "${FWDPID:-}" ] && { kill "$FWDPID"; wait "$FWDPID" 2>/dev/null; FWDPID=; } ;;
	esac
}
dev_back() { # KIND
	case $1 in
	veth)
		ip link add wan0 netns "$C" type veth peer name p0 netns "$P" &&
			ip -n "$C" link set wan0 up && ip -n "$P" link set p0 up &&
			ip -n "$C" addr add 10.93.0.1/24 dev wan0 && ip -n "$P" addr add 10.93.0.2/24 dev p0 ;;
	tun)
		rm -f "$H_WORK/fwd.ready"
		"$FWD" "$C" "$P" --name ppp0 --type 512 --ready "$H_WORK/fwd.ready" --stats "$H_WORK/fwd.json" &
		FWDPID=$!
		H_PIDS+=($FWDPID)
		for _ in $(seq 200); do [ -e "$H_WORK/fwd.ready" ] && break; sleep 0.01; done
		ip -n "$C" addr add 10.93.0.1/24 dev ppp0 && ip -n "$P" addr add 10.93.0.2/24 dev ppp0 &&
			ip -n "$C" link set ppp0 up && ip -n "$P" link set ppp0 up ;;
	esac
}
DEVNAME() { [ "$1" = veth ] && echo wan0 || echo ppp0; }

# one_run KIND LABEL: the device goes and comes back; waits for the hook's
# apply of the new ifindex and the first tunnelled packet. Sets R_*.
one_run() {
	local kind=$1 dev idx line i t0 first
	dev=$(DEVNAME "$kind")
	dev_gone "$kind"
	sleep 0.2
	dev_back "$kind" || die "$kind: the device did not come back"
	idx=$(ip -n "$C" -o link show "$dev" | cut -d: -f1)
	line=
	for i in $(seq 600); do
		line=$(grep " ifindex=$idx " "$EVENTS" | tail -1)
		[ -n "$line" ] && break
		sleep 0.05
	done
	[ -n "$line" ] || die "$kind: no apply for ifindex $idx after 30 s"
	grep -q " rc=0$" <<<"$line" || { cat "$EVENTS.$idx.out" "$EVENTS.$idx.log" >&2; die "$kind: apply failed: $line"; }
	t0=$(epoch_of "$(sed 's/.* event=\([^ ]*\) .*/\1/' <<<"$line")")
	R_START=$(sed 's/.* start=\([^ ]*\) .*/\1/' <<<"$line") R_END=$(sed 's/.* end=\([^ ]*\) .*/\1/' <<<"$line")
	first=
	for i in $(seq 200); do
		first=$(awk -v t0="$t0" '$1 + 0 >= t0 + 0 { print $1; exit }' "$CAP")
		[ -n "$first" ] && break
		sleep 0.05
	done
	[ -n "$first" ] || die "$kind: no tunnelled packet in the peer's capture 10 s after apply (ifindex $idx)"
	R_IDX=$idx
	R_TRIG=$(ms "$R_START" "$t0") R_APPLY=$(ms "$R_END" "$R_START") R_FIRST=$(ms "$first" "$t0")
	R_AFTER=$(ms "$first" "$R_END")
	R_LOG=$EVENTS.$idx.log
}

# timing NAME LOG: a value of apply's -v timing line ("tiu: apply: timing: ...")
timing() { sed -n "s/^tiu: apply: timing: .*[ (]$1 \([0-9]*\) ms.*/\1/p" "$2" | head -1; }

stats() { # values... -> "median min max"
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

START=$(date +%s)
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
ROWS=() PROGS=() RAW=()
for kind in $KINDS; do
	kind_setup "$kind"
	hook_start ""
	dev_back "$kind" || die "$kind: device"
	# the first apply (nothing to release): not counted
	for _ in $(seq 600); do grep -q " rc=" "$EVENTS" && break; sleep 0.05; done
	grep -q " rc=0$" "$EVENTS" || die "$kind: the first apply failed: $(cat "$EVENTS" "$H_WORK"/$kind.events.*.log)"
	h_tiu_track "$C" "$(DEVNAME "$kind")"
	trig=() appl=() first=() after=() rel=() up=() lock=() nolock=()
	for r in $(seq "$RUNS"); do
		one_run "$kind"
		trig+=("$R_TRIG") appl+=("$R_APPLY") first+=("$R_FIRST") after+=("$R_AFTER")
		rel+=("$(timing released "$R_LOG")") up+=("$(timing up "$R_LOG")") lock+=("$(timing lock "$R_LOG")")
		nolock+=($((R_FIRST - ${lock[-1]:-0})))
		l="reconnect kind=$kind run=$r ifindex=$R_IDX trigger_ms=$R_TRIG apply_ms=$R_APPLY first_ms=$R_FIRST first_after_apply_ms=$R_AFTER apply_lock_ms=${lock[-1]} apply_released_ms=${rel[-1]} apply_up_ms=${up[-1]}"
		echo "$l"; RAW+=("$l")
		log "$l"
	done
	ROWS+=("| $kind | $(stats "${first[@]}" | awk '{print $1" | "$2" | "$3}') | $(stats "${nolock[@]}" | awk '{print $1" | "$2" | "$3}') | $(stats "${trig[@]}" | cut -d' ' -f1) | $(stats "${appl[@]}" | cut -d' ' -f1) | $(stats "${lock[@]}" | cut -d' ' -f1) | $(stats "${rel[@]}" | cut -d' ' -f1) | $(stats "${up[@]}" | cut -d' ' -f1) | $(stats "${after[@]}" | cut -d' ' -f1) |")
	if [ "$SRUNS" -gt 0 ]; then
		hook_stop
		mkdir -p "$H_WORK/strace-$kind"
		hook_start "$H_WORK/strace-$kind"
		for r in $(seq "$SRUNS"); do
			one_run "$kind"
			f=$H_WORK/strace-$kind/$R_IDX
			# BPF_PROG_LOAD lines: prog_name and <seconds>; the rest (feature
			# probes of libbpf and libxdp: 2-5 instructions each) summed
			l=$(perl -ne 'next unless /BPF_PROG_LOAD.*insn_cnt=(\d+).*prog_name="([^"]*)".*<([\d.]+)>$/;
				$t += $3; $n++; if ($1 > 50) { $p{$2} += $3 } else { $small += $3 }
				END { printf "load_ms=%d loads=%d", $t * 1000, $n;
				      printf " %s=%d", $_, $p{$_} * 1000 for sort keys %p;
				      printf " probes=%d\n", $small * 1000 }' "$f")
			l="reconnect-strace kind=$kind run=$r apply_ms=$R_APPLY first_ms=$R_FIRST $l"
			echo "$l"; RAW+=("$l")
			log "$l"
			PROGS+=("$kind $l")
		done
	fi
	hook_stop
	dev_gone "$kind"
done
LOAD2=$(cut -d' ' -f1 /proc/loadavg)
ELAPSED=$(($(date +%s) - START))

mkdir -p "$(dirname "$OUT")"
{
	echo "# tiu reconnect benchmark, $(date +%Y-%m-%d)"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- kernel: $(uname -r) ($(uname -v))"
	echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs online"
	echo "- load average (1 min) at the start / end: $LOAD1 / $LOAD2 ($(nproc) CPUs)"
	echo "- tiu: ${TIU_LABEL:-$BUILD/tiu}"
	echo "- commit: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)$(git -C "$HERE" diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "- wall time of this run: ${ELAPSED} s"
	echo "- command: \`bench/reconnect.sh -n $RUNS -s $SRUNS -k \"$KINDS\"\`"
	echo
	echo "Time from a device's return (t0: the kernel's RTM_NEWLINK as \`ip -ts monitor link\` received it) to the first tunnelled packet seen by a capture at the other end (its kernel timestamp), with \`tiu apply\` started by a hook that stands in for udev (bench/reconnect-hook.sh). A TCP SYN to the endpoint leaves every 2 ms. ms, $RUNS runs per kind: median, min, max of the total, and of the total less apply's wait for the lock (what a host without other tiu commands running would see); medians of the parts. trigger: t0 → apply started; apply: apply's wall time; lock / released / up: its parts (\`tiu -v apply\` timing lines; lock: the wait for /run/tiu/lock, held by other tiu commands of the host); after apply: apply's end → the first packet (negative: the packet came while apply was still finishing, after TC egress was attached)."
	echo
	echo "| kind | first packet (median) | min | max | without lock wait (median) | min | max | trigger | apply | lock | released | up | after apply |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	if [ ${#PROGS[@]} -gt 0 ]; then
		echo "## In BPF_PROG_LOAD (the verifier)"
		echo
		echo "$SRUNS runs per kind with apply under \`strace --seccomp-bpf -f -T -e trace=bpf\` (strace's own cost makes apply a little slower: these runs are not in the table above). load_ms: the sum of all BPF_PROG_LOAD calls; per program in ms; probes: libbpf's and libxdp's feature probes and the dispatcher."
		echo
		echo '```'
		printf '%s\n' "${PROGS[@]}"
		echo '```'
		echo
	fi
	echo "## Raw lines"
	echo
	echo '```'
	printf '%s\n' "${RAW[@]}"
	echo '```'
} >"$OUT"
log "wrote $OUT in ${ELAPSED} s"
