#!/bin/bash
# guest-tests.sh - the stock-kernel lane's tests. Runs INSIDE the guest that
# lane.sh boots with vm-run.sh (root, Debian's stock kernel, bpffs mounted),
# and prints TAP: one line per check, the plan last, then a summary.
#
#   1. unit tests: every program in $BUILD/tests (TAP, BPF test runs): the
#      BPF objects must load and verify on this kernel's verifier;
#   2. libxdp dispatcher with xdp-loader: tiu_xdp.bpf.o and the lane's own
#      counting program (xdp_count.bpf.o) on one veth, in skb and native
#      mode, in both load orders; traffic moves a counter in each; removing
#      one leaves the other running;
#   3. the `tiu` loader (skipped with the reason while $BUILD/tiu lacks what
#      they need): `tiu up` next to another XDP program, `tiu status`, `tiu
#      down`, the ip_summed report and a tunnelled transfer on the no-kfunc
#      path.
#
# Each check is a function: return 0 passes, 1 fails, 77 skips (the reason is
# the last "SKIP: ..." line it printed). Its output is kept as TAP comments.
# Checks of one scenario share state (interfaces, pins) in this shell.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
TIU=$BUILD/tiu
TIU_OBJ=$BUILD/tiu_xdp.bpf.o
COUNT_OBJ=$BUILD/vm/xdp_count.bpf.o
COUNT_PROG=xdp_count          # program name in xdp_count.bpf.c
TIU_PROG=tiu_xdp_decap        # TIU_PROG_XDP_DECAP in headers/tiu_common.h
PINS=/sys/fs/bpf/vm-lane      # xdp-loader -p / tiu --pin-dir roots of the tests
LOG=$(mktemp -d /tmp/vm-lane.XXXXXX)

# The two network namespaces: "a" carries the XDP programs on IFA, "b" sends.
NSA=vma NSB=vmb IFA=va IFB=vb ADDR_A=10.77.0.1 ADDR_B=10.77.0.2
in_a() { nsenter --net="/run/netns/$NSA" "$@"; }
in_b() { nsenter --net="/run/netns/$NSB" "$@"; }
# nsenter, not `ip netns exec`: the latter remounts /sys and hides bpffs.

# ---------------------------------------------------------------- TAP -----
N=0 PASSED=0 FAILED=0 SKIPPED=0

# check DESCRIPTION FUNCTION [ARG...]
check() {
	local desc=$1 rc out=$LOG/out t0=$SECONDS
	shift
	N=$((N + 1))
	# LANE_ONLY=REGEX runs only the matching checks (while developing one).
	if [ -n "${LANE_ONLY:-}" ] && ! [[ $desc =~ $LANE_ONLY ]]; then
		echo "ok $N - $desc # SKIP not selected by LANE_ONLY"
		SKIPPED=$((SKIPPED + 1))
		return 77
	fi
	"$@" >"$out" 2>&1 </dev/null
	rc=$?
	echo "($((SECONDS - t0))s)" >>"$out"
	case $rc in
	0)
		echo "ok $N - $desc"
		PASSED=$((PASSED + 1))
		;;
	77)
		echo "ok $N - $desc # SKIP $(sed -n 's/^SKIP: //p' "$out" | tail -n 1)"
		SKIPPED=$((SKIPPED + 1))
		return "$rc"
		;;
	*)
		echo "not ok $N - $desc"
		FAILED=$((FAILED + 1))
		;;
	esac
	sed 's/^/# /' "$out"
	return "$rc"
}

skip() {
	echo "SKIP: $*"
	return 77
}

# Print a failure reason and fail (for `cond || fail "why"`).
fail() {
	echo "FAIL: $*"
	return 1
}

# ------------------------------------------------------------ counters -----

# Counters are read with bpftool and plain shell: under emulation a python
# start costs a second or two, and these are read around every traffic burst.

# Index of a statistics counter (TIU_STAT_<NAME>) in struct tiu_stats: its
# position in the TIU_STATS(X) list of headers/tiu_common.h, read from the
# header so that a new counter never shifts what the tests read.
stat_index() {
	local pos
	pos=$(sed -n '/^#define TIU_STATS(X)/,/^$/p' "$REPO/headers/tiu_common.h" |
		grep -o '\bX([A-Z0-9_]*,' | sed 's/^X(//; s/,$//' | grep -nx "$1" | cut -d: -f1)
	[ -n "$pos" ] || { echo "no counter $1 in headers/tiu_common.h" >&2; return 1; }
	echo $((pos - 1))
}

# map_u64 PINNED_MAP INDEX: the sum, over every key and CPU, of the INDEX-th
# u64 of the value. Raw value bytes from bpftool (little endian), so neither
# BTF nor a JSON parser is needed: every '"value":["0x..",...]' array is one
# value (one per CPU in a per-CPU map).
map_u64() {
	local idx=$2 total=0 arr bytes v i
	while read -r arr; do
		IFS=, read -ra bytes <<<"$arr"
		v=0
		for ((i = 7; i >= 0; i--)); do
			v=$(((v << 8) | ${bytes[idx * 8 + i]}))
		done
		total=$((total + v))
	done < <(bpftool -j map dump pinned "$1" | grep -o '"value":\["[^]]*\]' |
		sed 's/^"value":\[//; s/\]$//; s/"//g')
	echo "$total"
}

count_packets() { map_u64 "$1/vm_xdp_count" 0; }
tiu_dec_pass() { map_u64 "$1/tiu_stats" "$DEC_PASS"; }
tiu_counter() { map_u64 "$1/tiu_stats" "$(stat_index "$2")"; }

# --------------------------------------------------------------- setup -----

pair_up() {
	pair_down
	mkdir -p "$PINS" && ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "$IFA" netns "$NSA" type veth peer name "$IFB" netns "$NSB" &&
		ip -n "$NSA" addr add "$ADDR_A/24" dev "$IFA" &&
		ip -n "$NSB" addr add "$ADDR_B/24" dev "$IFB" &&
		ip -n "$NSA" link set lo up && ip -n "$NSA" link set "$IFA" up &&
		ip -n "$NSB" link set lo up && ip -n "$NSB" link set "$IFB" up
}

pair_down() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$PINS"
	return 0
}

# Traffic from b to a: pings (answered, so XDP passed them) and UDP to a
# port nobody tunnels (tiu counts it as dec_pass and passes it).
traffic() {
	in_b busybox ping -c 3 -i 0.2 -W 2 "$ADDR_A" >/dev/null || fail "ping $ADDR_A failed"
	in_b bash -c "for i in 1 2 3 4 5; do echo lane >/dev/udp/$ADDR_A/5555; done" ||
		fail "sending UDP failed"
}

# The programs that libxdp's dispatcher runs on IFA according to the
# `xdp-loader status` output on stdin, one name a line; nothing if IFA has
# no dispatcher.
dispatched() {
	awk -v ifc="$IFA" '
		$1 == ifc { on = ($2 == "xdp_dispatcher"); next }
		on && $1 == "=>" { print $3; next }
		{ on = 0 }'
}

# xdp-loader's ID of program NAME under the dispatcher on IFA.
prog_id() {
	in_a xdp-loader status "$IFA" | awk -v n="$1" '$1 == "=>" && $3 == n { print $4; exit }'
}

# expect_dispatched NAME... : the dispatcher on IFA runs exactly these.
expect_dispatched() {
	local want got status
	status=$(in_a xdp-loader status "$IFA")
	printf '%s\n' "$status"
	want=$(printf '%s\n' "$@" | sort)
	got=$(printf '%s\n' "$status" | dispatched | sort)
	[ "$got" = "$want" ] ||
		fail "dispatcher on $IFA runs [$(echo $got)], expected [$(echo $want)]"
}

# expect_counting COUNT_PINS TIU_PINS YES|NO YES|NO: send traffic, then check
# whether xdp_count's counter and tiu's dec_pass moved (YES) or not (NO).
expect_counting() {
	local cpins=$1 tpins=$2 want_c=$3 want_t=$4 c0 c1 t0 t1 bad=0
	c0=$(count_packets "$cpins" 2>/dev/null || echo 0)
	t0=$(tiu_dec_pass "$tpins" 2>/dev/null || echo 0)
	traffic || return 1
	c1=$(count_packets "$cpins" 2>/dev/null || echo 0)
	t1=$(tiu_dec_pass "$tpins" 2>/dev/null || echo 0)
	echo "xdp_count packets: $c0 -> $c1; tiu dec_pass: $t0 -> $t1"
	moved() { if [ "$2" -gt "$1" ]; then echo YES; else echo NO; fi; }
	[ "$(moved "$c0" "$c1")" = "$want_c" ] || { echo "FAIL: xdp_count counter moved: expected $want_c"; bad=1; }
	# 5 UDP datagrams were sent: all must be counted when tiu runs.
	if [ "$want_t" = YES ]; then
		[ $((t1 - t0)) -ge 5 ] || { echo "FAIL: tiu dec_pass moved by $((t1 - t0)), expected >= 5"; bad=1; }
	else
		[ "$t1" = "$t0" ] || { echo "FAIL: tiu dec_pass moved, expected no change"; bad=1; }
	fi
	return $bad
}

# ------------------------------------------------------ 1. unit tests ------

run_unit_tests() {
	local bin found=0
	for bin in "$BUILD"/tests/*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		found=1
		check "unit: ${bin##*/} on $(uname -r)" unit_test "$bin"
	done
	[ "$found" = 1 ] ||
		check "unit tests on $(uname -r)" skip "no test programs in $BUILD/tests yet (make all builds them)"
}

unit_test() {
	local out rc
	out=$(cd "$REPO" && timeout 120 "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	[ "$rc" = 0 ] || fail "$1 exited $rc" || return
	! printf '%s\n' "$out" | grep -Eq '^not ok\b' || fail "$1 reported failures" || return
	printf '%s\n' "$out" | grep -Eq '^(ok|1\.\.)' || fail "$1 printed no TAP"
}

# ------------------------------------ 2. dispatcher with xdp-loader --------

have_tiu_obj() {
	[ -f "$TIU_OBJ" ] || skip "$TIU_OBJ not built yet (make $TIU_OBJ)"
}

xl_load() { # MODE OBJECT
	in_a xdp-loader load -p "$PINS" -m "$1" "$IFA" "$2" || fail "xdp-loader load -m $1 $IFA $2 failed"
}

xl_unload() { # PROGRAM-NAME
	local id
	id=$(prog_id "$1")
	[ -n "$id" ] || fail "$1 is not on $IFA"
	in_a xdp-loader unload -i "$id" "$IFA" || fail "xdp-loader unload -i $id $IFA failed"
}

xl_both() { # MODE FIRST-OBJ SECOND-OBJ
	have_tiu_obj || return
	pair_up || fail "cannot create the veth pair" || return
	mkdir -p "$PINS"
	xl_load "$1" "$2" && xl_load "$1" "$3" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG"
}

xl_traffic_both() {
	have_tiu_obj || return
	expect_counting "$PINS" "$PINS" YES YES
}

xl_remove() { # PROGRAM-TO-REMOVE PROGRAM-LEFT YES|NO(count moves) YES|NO(tiu moves)
	have_tiu_obj || return
	xl_unload "$1" || return
	expect_dispatched "$2" || return
	expect_counting "$PINS" "$PINS" "$3" "$4"
}

run_xdp_loader_tests() {
	local mode
	for mode in skb native; do
		check "xdp-loader $mode: xdp_count, then tiu_xdp.bpf.o -p: one dispatcher runs both" \
			xl_both "$mode" "$COUNT_OBJ" "$TIU_OBJ"
		check "xdp-loader $mode: traffic moves xdp_count's counter and tiu's dec_pass" xl_traffic_both
		check "xdp-loader $mode: unloading tiu's program leaves xdp_count running" \
			xl_remove "$TIU_PROG" "$COUNT_PROG" YES NO
		check "xdp-loader $mode: reverse order, tiu_xdp.bpf.o then xdp_count: one dispatcher runs both" \
			xl_both "$mode" "$TIU_OBJ" "$COUNT_OBJ"
		check "xdp-loader $mode: traffic moves both counters" xl_traffic_both
		check "xdp-loader $mode: unloading xdp_count leaves tiu running" \
			xl_remove "$COUNT_PROG" "$TIU_PROG" NO YES
		pair_down
	done
}

# ---------------------------------------------------- 3. the tiu loader ----

# Skip unless $BUILD/tiu has the subcommand (and options) the check uses.
need_tiu() {
	local sub
	[ -x "$TIU" ] || { skip "$TIU not built yet (the loader, issue 3)"; return; }
	for sub in "$@"; do
		"$TIU" "$sub" --help >/dev/null 2>&1 ||
			{ skip "$TIU has no working '$sub' subcommand yet"; return; }
	done
}

tiu_a() { in_a "$TIU" "$@"; }

tiu_next_to_count() { # MODE
	need_tiu up down status || return
	pair_up || fail "cannot create the veth pair" || return
	mkdir -p "$PINS/count"
	in_a xdp-loader load -p "$PINS/count" -m "$1" "$IFA" "$COUNT_OBJ" || fail "xdp-loader load xdp_count failed" || return
	tiu_a up "$IFA" --xdp-mode "$1" --pin-dir "$PINS/tiu" || fail "tiu up $IFA --xdp-mode $1 failed" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG"
}

tiu_status_dispatcher() {
	need_tiu up down status || return
	tiu_a status "$IFA" --pin-dir "$PINS/tiu" | tee "$LOG/tiu-status" || fail "tiu status $IFA failed" || return
	grep -qi dispatcher "$LOG/tiu-status" || fail "tiu status does not mention the dispatcher" || return
	! grep -Eqi 'single|legacy|fallback' "$LOG/tiu-status" || fail "tiu status reports a fallback mode"
}

tiu_traffic_both() {
	need_tiu up down status || return
	expect_counting "$PINS/count" "$PINS/tiu" YES YES
}

tiu_down_keeps_count() {
	need_tiu up down status || return
	tiu_a down "$IFA" --purge --pin-dir "$PINS/tiu" || fail "tiu down $IFA --purge failed" || return
	expect_dispatched "$COUNT_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" YES NO
}

tiu_first_then_count() { # MODE
	need_tiu up down status || return
	in_a xdp-loader unload -a "$IFA" 2>/dev/null
	rm -rf "$PINS/count" "$PINS/tiu"
	mkdir -p "$PINS/count"
	tiu_a up "$IFA" --xdp-mode "$1" --pin-dir "$PINS/tiu" || fail "tiu up $IFA failed" || return
	in_a xdp-loader load -p "$PINS/count" -m "$1" "$IFA" "$COUNT_OBJ" || fail "xdp-loader load xdp_count failed" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" YES YES
}

tiu_unload_count() {
	need_tiu up down status || return
	local id
	id=$(prog_id "$COUNT_PROG")
	in_a xdp-loader unload -i "$id" "$IFA" || fail "xdp-loader unload -i $id $IFA failed" || return
	expect_dispatched "$TIU_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" NO YES || return
	tiu_a down "$IFA" --purge --pin-dir "$PINS/tiu" || fail "tiu down $IFA --purge failed"
}

# Whether tiu's TC egress can read ip_summed: the bpf_cast_to_kern_ctx kfunc
# (6.2+) is in the kernel's symbol table on 6.12, not on 6.1. The lane's
# expectation comes from /proc/kallsyms, not from the loader's BTF probe.
have_kfunc() { grep -q ' bpf_cast_to_kern_ctx$' /proc/kallsyms; }

# tiu status must say which: "ip_summed readable" or "not readable". Reads
# the `tiu status` output of tiu_status_dispatcher when there is one (a tiu
# up/down costs seconds under emulation).
tiu_status_ip_summed() {
	need_tiu up down status || return
	local line
	if [ -s "$LOG/tiu-status" ]; then
		cat "$LOG/tiu-status"
	else
		pair_up || fail "cannot create the veth pair" || return
		tiu_a up "$IFA" --pin-dir "$PINS/tiu" || fail "tiu up $IFA failed" || return
		tiu_a status "$IFA" --pin-dir "$PINS/tiu" | tee "$LOG/tiu-status"
		tiu_a down "$IFA" --purge --pin-dir "$PINS/tiu"
	fi
	line=$(grep -i 'ip_summed' "$LOG/tiu-status")
	[ -n "$line" ] || fail "tiu status does not mention ip_summed" || return
	if have_kfunc; then
		echo "$line" | grep -q 'ip_summed readable' ||
			fail "bpf_cast_to_kern_ctx is in /proc/kallsyms but tiu status does not say 'ip_summed readable': $line"
	else
		echo "$line" | grep -q 'ip_summed not readable' ||
			fail "this kernel has no bpf_cast_to_kern_ctx but tiu status does not say 'ip_summed not readable': $line"
	fi
}

# capture NS IFACE PORT FILE: tcpdump of the tunnelled UDP that IFACE sends
# (taps see egress after TC; received UDP is TCP again by the time a tap sees
# it, XDP runs first). Waits until it listens; its pid in CAPTURE.
capture() {
	in_ns_of "$1" timeout 150 tcpdump -i "$2" -nn -U -w "$4" "udp and port $3" 2>"$4.err" &
	CAPTURE=$!
	local i
	for ((i = 0; i < 100; i++)); do # tcpdump starts slowly under emulation
		grep -q 'listening on' "$4.err" && return
		sleep 0.2
	done
}
in_ns_of() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

# wire_check FILE WHO: every captured packet has a valid UDP checksum
# (tcpdump -vv verifies IPv4 UDP checksums of whole packets, hence no snap
# length: "[udp sum ok]" or "[bad udp cksum ...]"); at least one packet.
wire_check() {
	local n ok
	tcpdump -r "$1" -nn -vv 2>/dev/null >"$1.txt"
	n=$(tcpdump -r "$1" -nn 2>/dev/null | wc -l)
	ok=$(grep -c 'udp sum ok' "$1.txt")
	echo "on the wire from the $2: $n tunnelled packets, $ok with a valid UDP checksum"
	grep -m 3 'bad udp cksum' "$1.txt"
	[ "$n" -gt 0 ] || fail "no tunnelled packet captured from the $2 ($(cat "$1.err"))" || return
	[ "$ok" = "$n" ] || fail "$((n - ok)) tunnelled packets from the $2 with a bad UDP checksum"
}

# A tunnelled transfer end to end: a client namespace tunnels TCP to a server
# namespace, TX checksum offload off on both (what a NIC without offload
# does). The transfer must complete with the same SHA-256 and every
# tunnelled packet on the wire, both ways, must carry a valid UDP checksum.
# Before the server listens, one connection attempt must be refused: the
# server kernel's RST comes from its control socket (tcp_v4_send_reset ->
# ip_send_unicast_reply), with a complete checksum, while everything a TCP
# socket sends is CHECKSUM_PARTIAL (__tcp_transmit_skb; linux commit
# 98be9b12096f). So on a kernel where tiu reads ip_summed (6.12) that RST is
# the control packet converted in place (enc_converted) and the data takes
# the detour; where it cannot (6.1) everything takes the detour.
tiu_transfer() {
	need_tiu up down status endpoint || return
	local size=$((1024 * 1024)) port=46000 want got # a port tcpdump decodes as plain UDP
	local cap_a cap_b err
	pair_up || fail "cannot create the veth pair" || return
	in_a ethtool -K "$IFA" tx off >/dev/null || fail "ethtool -K $IFA tx off failed" || return
	in_b ethtool -K "$IFB" tx off >/dev/null || fail "ethtool -K $IFB tx off failed" || return
	in_a "$TIU" up "$IFA" --endpoint "remote=$ADDR_B:$port" --pin-dir "$PINS/a" || fail "tiu up (client) failed" || return
	in_b "$TIU" up "$IFB" --endpoint "local=$ADDR_B:$port" --pin-dir "$PINS/b" || fail "tiu up (server) failed" || return
	head -c "$size" /dev/urandom >"$LOG/send"
	want=$(sha256sum <"$LOG/send" | cut -d' ' -f1)
	capture "$NSA" "$IFA" "$port" "$LOG/wire-a.pcap"
	cap_a=$CAPTURE
	capture "$NSB" "$IFB" "$port" "$LOG/wire-b.pcap"
	cap_b=$CAPTURE

	# The refused connection: SYN through the tunnel, RST back through it.
	local conv0 det0 conv1 det1
	conv0=$(tiu_counter "$PINS/b" ENC_CONVERTED) det0=$(tiu_counter "$PINS/b" ENC_DETOURED)
	err=$(in_a timeout 20 bash -c "exec 3<>/dev/tcp/$ADDR_B/$port" 2>&1)
	conv1=$(tiu_counter "$PINS/b" ENC_CONVERTED) det1=$(tiu_counter "$PINS/b" ENC_DETOURED)
	echo "connection to $ADDR_B:$port before the server listens: ${err:-connected?}"
	echo "server, for its RST: enc_converted $conv0 -> $conv1, enc_detoured $det0 -> $det1"

	in_b timeout 90 python3 -c '
import hashlib, socket, sys
s = socket.create_server(("'"$ADDR_B"'", '"$port"'))
c, _ = s.accept(); h = hashlib.sha256()
while (b := c.recv(65536)): h.update(b)
print(h.hexdigest())' >"$LOG/recv" &
	local server=$!
	in_a timeout 90 python3 -c '
import socket, sys, time
for attempt in range(100):  # until the server listens (slow under emulation)
    try:
        c = socket.create_connection(("'"$ADDR_B"'", '"$port"'))
        break
    except ConnectionRefusedError:
        time.sleep(0.2)
c.sendall(open(sys.argv[1], "rb").read()); c.shutdown(socket.SHUT_WR); c.recv(1)' "$LOG/send" ||
		echo "FAIL: the sender failed"
	wait "$server"
	sleep 1 # let tcpdump write out the last packets
	kill "$cap_a" "$cap_b" # TERM: a background job of a script ignores SIGINT
	wait "$cap_a" "$cap_b"
	got=$(cat "$LOG/recv")
	echo "sha256 sent $want, received ${got:-nothing}"
	wire_check "$LOG/wire-a.pcap" client
	local wire_a=$?
	wire_check "$LOG/wire-b.pcap" server
	local wire_b=$?
	in_a "$TIU" stats "$IFA" --pin-dir "$PINS/a"
	in_b "$TIU" stats "$IFB" --pin-dir "$PINS/b"
	local enc_a det_a enc_b dec_b
	enc_a=$(tiu_counter "$PINS/a" ENC_CONVERTED) det_a=$(tiu_counter "$PINS/a" DET_CONVERTED)
	enc_b=$(tiu_counter "$PINS/b" ENC_CONVERTED) dec_b=$(tiu_counter "$PINS/b" DEC_CONVERTED)
	echo "client enc_converted=$enc_a detour_converted=$det_a; server enc_converted=$enc_b dec_converted=$dec_b"
	in_a "$TIU" down "$IFA" --purge --pin-dir "$PINS/a"
	in_b "$TIU" down "$IFB" --purge --pin-dir "$PINS/b"
	[ "$got" = "$want" ] || fail "the received data differs" || return
	[ "$wire_a" = 0 ] && [ "$wire_b" = 0 ] || return 1
	[[ $err == *"Connection refused"* ]] ||
		fail "the connection before the server listened was not refused (the RST did not come back through the tunnel)" || return
	[ "$det_a" -gt 0 ] || fail "no client segment went through the detour" || return
	[ "$dec_b" -gt 0 ] || fail "the server decapsulated nothing" || return
	if have_kfunc; then
		[ $((conv1 - conv0)) -ge 1 ] && [ "$det1" = "$det0" ] ||
			fail "the server's RST (complete checksum) was not converted in place: enc_converted +$((conv1 - conv0)), enc_detoured +$((det1 - det0))"
	else
		[ $((enc_a + enc_b)) = 0 ] ||
			fail "$((enc_a + enc_b)) packets were converted in place although ip_summed cannot be read" || return
		[ $((det1 - det0)) -ge 1 ] || fail "the server's RST did not take the detour"
	fi
}

# tiu's own attach logic does not depend on the XDP mode (the xdp-loader
# checks above cover both modes of the dispatcher), and each tiu up/down
# costs seconds here: native only unless LANE_TIU_MODES says otherwise.
run_tiu_tests() {
	local mode
	for mode in ${LANE_TIU_MODES:-native}; do
		check "tiu $mode: tiu up on a veth that carries xdp_count: one dispatcher runs both" \
			tiu_next_to_count "$mode"
		check "tiu $mode: tiu status shows the dispatcher" tiu_status_dispatcher
		check "tiu $mode: traffic moves xdp_count's counter and tiu's dec_pass" tiu_traffic_both
		check "tiu $mode: tiu down removes only tiu's program, xdp_count keeps running" \
			tiu_down_keeps_count
		check "tiu $mode: reverse order, tiu up then xdp-loader: one dispatcher, both count" \
			tiu_first_then_count "$mode"
		check "tiu $mode: unloading xdp_count leaves tiu running" tiu_unload_count
		pair_down
	done
	if have_kfunc; then
		check "tiu status says ip_summed readable (bpf_cast_to_kern_ctx) on $(uname -r)" tiu_status_ip_summed
		pair_down
		check "kfunc path: tunnelled transfer, TX offload off: SHA-256, every UDP checksum both ways, data via the detour, the control-socket RST converted in place" \
			tiu_transfer
	else
		check "tiu status says ip_summed not readable on $(uname -r)" tiu_status_ip_summed
		pair_down
		check "no-kfunc path: tunnelled transfer, TX offload off: SHA-256, every UDP checksum both ways, everything via the detour" \
			tiu_transfer
	fi
	pair_down
}

# ---------------------------------------------------------------- main -----

echo "# stock-kernel lane on $(uname -r) ($(nproc) CPUs)"
[ -f "$COUNT_OBJ" ] || { echo "Bail out! $COUNT_OBJ missing (lane.sh builds it)"; exit 1; }
DEC_PASS=$(stat_index DEC_PASS) || { echo "Bail out! cannot find DEC_PASS in headers/tiu_common.h"; exit 1; }

run_unit_tests
run_xdp_loader_tests
run_tiu_tests
pair_down
rm -rf "$LOG"

echo "1..$N"
echo "# $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" = 0 ]
