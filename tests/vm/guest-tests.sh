#!/bin/bash
# guest-tests.sh - the stock-kernel lane's tests. Runs INSIDE the guest that
# lane.sh boots with vm-run.sh (root, Debian's stock kernel, bpffs mounted,
# the host's tools seen through 9p), and prints TAP through the shared
# harness (tests/lib/harness.sh): one line per check, the plan last, then a
# summary.
#
#   1. unit tests: every program in $BUILD/tests (TAP, BPF test runs, the
#      packet fuzzer among them): the BPF objects must load and verify on
#      this kernel's verifier;
#   2. libxdp dispatcher with xdp-loader: tiu_xdp.bpf.o and the lane's own
#      counting program (xdp_count.bpf.o) on one veth, in skb and native
#      mode, in both load orders; traffic moves a counter in each; removing
#      one leaves the other running;
#   3. the `tiu` loader: `tiu up` next to another XDP program, `tiu status`
#      (the dispatcher; ip_summed readable or not, as /proc/kallsyms says),
#      `tiu down` removing only tiu's program, and a tunnelled transfer with
#      TX checksum offload off, every UDP checksum on the wire checked;
#   4. a port range and a mark selector: connections chosen by each cross
#      the veth as UDP (a one-way tunnel, replies over a second pair), the
#      ports next to the range and another mark as TCP;
#   5. a real layer-3 device: two namespaces joined by WireGuard over a veth
#      pair, a transfer through the tunnel, then tiu up on both wg0 (raw-IP
#      framing) and a transfer through tiu and the tunnel;
#   6. a path with a smaller MTU: tiu translates the router's ICMP errors
#      about tunnelled packets, both ends' routes learn the MTU;
#   6b. one follow= server port for a tunnelled and a plain client at once,
#      and an MPTCP connection with one subflow of each (tests/conn.t, its
#      server checks);
#   7. netkit (6.7+): whether a netkit device with its offloads off hands its
#      BPF program segmented, checksummed packets (what a segmentation detour
#      needs), and with them on GSO/PARTIAL ones.
#
# Each check is a function run by `check` (harness): return 0 passes, 1
# fails, 77 skips (the reason is the last "SKIP: ..." line it printed); its
# output follows as TAP comments, with its wall time. Checks of one scenario
# share state (namespaces, pins) in this shell. LANE_ONLY=REGEX runs only
# the checks whose description matches (while developing one).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/harness.sh
. "$HERE/../lib/harness.sh" # ROOT, BUILD, TIU; TAP, namespaces, tiu, transfers

# tiu under emulation: loading and verifying its objects takes seconds, and
# far more with two guests and other work on the host; the harness's 30 s
# bound on a tiu command is for the host.
tiu_in() { local ns=$1; shift; timeout "${LANE_TIU_TIMEOUT:-150}" nsenter --net="/run/netns/$ns" "$TIU" "$@"; }

TIU_OBJ=$BUILD/tiu_xdp.bpf.o
COUNT_OBJ=$BUILD/vm/xdp_count.bpf.o     # the Makefile builds both
NETKIT_OBJ=$BUILD/vm/netkit_probe.bpf.o
NETKIT_TOOL=$BUILD/vm/netkit_probe
COUNT_PROG=xdp_count                    # program name in xdp_count.bpf.c
TIU_PROG=tiu_xdp_decap                  # TIU_PROG_XDP_DECAP in headers/tiu_common.h
KVER=$(uname -r)

# ------------------------------------------------------------------ TAP --
# lane_check DESC FUNC [ARG...]: check (harness) with LANE_ONLY and the time.
lane_check() {
	local desc=$1
	shift
	if [ -n "${LANE_ONLY:-}" ] && ! [[ $desc =~ $LANE_ONLY ]]; then
		skip "$desc" "not selected by LANE_ONLY"
		return 77
	fi
	check "$desc" timed "$@"
}
# A scenario's first check builds what its others use (namespaces, tiu):
# lane_setup MISSING DESC FUNC [ARG...] runs it; when it does not pass, each
# lane_next DESC FUNC [ARG...] up to the next lane_setup skips, saying
# MISSING ("no netkit pair"), without running its function.
LANE_MISSING=
lane_setup() {
	LANE_MISSING=$1
	shift
	lane_check "$@" && LANE_MISSING=
}
lane_next() {
	local desc=$1
	shift
	if [ -n "$LANE_MISSING" ]; then
		lane_check "$desc" skip_because "$LANE_MISSING (see above)"
	else
		lane_check "$desc" "$@"
	fi
}
timed() {
	local t0=$SECONDS rc
	"$@"
	rc=$?
	echo "($((SECONDS - t0))s)"
	return $rc
}

# ------------------------------------------------------------- counters --
# tiu's counters come from `tiu stats --json` (harness: tiu_counter). The
# lane's own programs' maps are read with bpftool and plain shell: under
# emulation a python start costs a second or two.

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

count_packets() { map_u64 "$1/vm_xdp_count" 0 2>/dev/null || echo 0; }

# Index of a statistics counter (TIU_STAT_<NAME>) in struct tiu_stats: its
# position in the TIU_STATS(X) list of headers/tiu_common.h, read from the
# header so that a new counter never shifts what the lane reads.
stat_index() {
	local pos
	pos=$(sed -n '/^#define TIU_STATS(X)/,/^$/p' "$ROOT/headers/tiu_common.h" |
		grep -o '\bX([A-Z0-9_]*,' | sed 's/^X(//; s/,$//' | grep -nx "$1" | cut -d: -f1)
	[ -n "$pos" ] || { echo "no counter $1 in headers/tiu_common.h" >&2; return 1; }
	echo $((pos - 1))
}

# tiu's dec_pass on IFA: through `tiu stats` where tiu brought IFA up (its
# pins under TIU_PINS); from the map that xdp-loader pinned when it loaded
# tiu's object itself ($PINS/tiu_stats): tiu stats knows only interfaces
# that tiu brought up.
tiu_dec_pass() { # TIU_PINS
	if [ "$1" = "$PINS" ]; then
		map_u64 "$PINS/tiu_stats" "$DEC_PASS" 2>/dev/null || echo 0
	else
		tiu_counter "$NSA" "$IFA" dec_pass --pin-dir "$1"
	fi
}

# Whether tiu's TC egress can read ip_summed: the bpf_cast_to_kern_ctx kfunc
# (6.2+) is in the kernel's symbol table on 6.12, not on 6.1. The lane's
# expectation comes from /proc/kallsyms, not from the loader's BTF probe.
have_kfunc() { grep -q ' bpf_cast_to_kern_ctx$' /proc/kallsyms; }

# ----------------------------------------------------- the veth pair -----
# Namespace "a" carries the XDP programs on IFA, "b" sends.
IFA=va IFB=vb ADDR_A=10.77.0.1 ADDR_B=10.77.0.2
NSA= NSB=
PINS=/sys/fs/bpf/vm-lane-$$ # xdp-loader -p / tiu --pin-dir roots of the tests
h_defer rm -rf "$PINS"
# nsenter, not `ip netns exec` (in_ns): the latter remounts /sys and hides
# bpffs, where xdp-loader and tiu pin.
in_a() { ns_enter "$NSA" "$@"; }
in_b() { ns_enter "$NSB" "$@"; }

pair_up() {
	pair_down
	mkdir -p "$PINS" && h_ns NSA a && h_ns NSB b && h_veth "$NSA" "$IFA" "$NSB" "$IFB" &&
		h_addr "$NSA" "$IFA" "$ADDR_A/24" && h_addr "$NSB" "$IFB" "$ADDR_B/24"
}

pair_down() {
	[ -n "$NSA" ] && ip netns del "$NSA" 2>/dev/null
	[ -n "$NSB" ] && ip netns del "$NSB" 2>/dev/null
	rm -rf "$PINS"
	return 0
}

# Traffic from b to a: pings (answered, so XDP passed them) and UDP to a
# port nobody tunnels (tiu counts it as dec_pass and passes it).
traffic() {
	in_b busybox ping -c 3 -i 0.2 -W 2 "$ADDR_A" >/dev/null || fail "ping $ADDR_A failed" || return
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
	c0=$(count_packets "$cpins")
	t0=$(tiu_dec_pass "$tpins")
	traffic || return 1
	c1=$(count_packets "$cpins")
	t1=$(tiu_dec_pass "$tpins")
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

# The packet fuzzer runs with fewer frames here than in `make test` (which
# runs a million program runs on the host in seconds, and minutes under
# emulation): what this lane adds is this kernel's verifier and BPF runtime.
LANE_FUZZ_FRAMES=${LANE_FUZZ_FRAMES:-40000}

run_unit_tests() {
	local bin found=0 args
	for bin in "$BUILD"/tests/*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		found=1
		args=()
		[ "${bin##*/}" = test_pktfuzz ] && args=("$LANE_FUZZ_FRAMES")
		lane_check "unit: ${bin##*/}${args:+ ($args frames)} on $KVER" unit_test "$bin" "${args[@]}"
	done
	[ "$found" = 1 ] ||
		lane_check "unit tests on $KVER" skip_because "no test programs in $BUILD/tests (make all builds them)"
}

unit_test() { # BINARY [ARG...]
	local out rc
	out=$(cd "$ROOT" && timeout 150 "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	[ "$rc" = 0 ] || fail "$1 exited $rc" || return
	! printf '%s\n' "$out" | grep -Eq '^not ok\b' || fail "$1 reported failures" || return
	printf '%s\n' "$out" | grep -Eq '^(ok|1\.\.)' || fail "$1 printed no TAP"
}

# ------------------------------------ 2. dispatcher with xdp-loader --------

xl_load() { # MODE OBJECT
	in_a xdp-loader load -p "$PINS" -m "$1" "$IFA" "$2" || fail "xdp-loader load -m $1 $IFA $2 failed" || return
	[ "$2" != "$TIU_OBJ" ] || xl_link_tiu
}

# tiu's object loaded as built finds its interface's slot per packet in
# tiu_links and passes, uncounted, the packets of an interface without an
# entry there (tiu_where() in headers/tiu_datapath.h). `tiu up` writes the
# entry; without tiu, the lane writes it as tiu would: slot 0,
# TIU_LINK_F_REAL (struct tiu_link in headers/tiu_common.h).
xl_link_tiu() {
	local ifindex
	ifindex=$(ip -n "$NSA" -o link show "$IFA" | cut -d: -f1)
	[ -n "$ifindex" ] || fail "no ifindex for $IFA" || return
	bpftool map update pinned "$PINS/tiu_links" \
		key $((ifindex & 255)) $((ifindex >> 8 & 255)) 0 0 value 0 0 0 0 1 0 0 0 ||
		fail "cannot write $IFA's tiu_links entry"
}

xl_unload() { # PROGRAM-NAME
	local id
	id=$(prog_id "$1")
	[ -n "$id" ] || fail "$1 is not on $IFA" || return
	in_a xdp-loader unload -i "$id" "$IFA" || fail "xdp-loader unload -i $id $IFA failed"
}

xl_both() { # MODE FIRST-OBJ SECOND-OBJ
	pair_up || fail "cannot create the veth pair" || return
	xl_load "$1" "$2" && xl_load "$1" "$3" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG"
}

xl_traffic_both() { expect_counting "$PINS" "$PINS" YES YES; }

xl_remove() { # PROGRAM-TO-REMOVE PROGRAM-LEFT YES|NO(count moves) YES|NO(tiu moves)
	xl_unload "$1" || return
	expect_dispatched "$2" || return
	expect_counting "$PINS" "$PINS" "$3" "$4"
}

run_xdp_loader_tests() {
	local mode
	for mode in skb native; do
		lane_check "xdp-loader $mode: xdp_count, then tiu_xdp.bpf.o -p: one dispatcher runs both" \
			xl_both "$mode" "$COUNT_OBJ" "$TIU_OBJ"
		lane_check "xdp-loader $mode: traffic moves xdp_count's counter and tiu's dec_pass" xl_traffic_both
		lane_check "xdp-loader $mode: unloading tiu's program leaves xdp_count running" \
			xl_remove "$TIU_PROG" "$COUNT_PROG" YES NO
		lane_check "xdp-loader $mode: reverse order, tiu_xdp.bpf.o then xdp_count: one dispatcher runs both" \
			xl_both "$mode" "$TIU_OBJ" "$COUNT_OBJ"
		lane_check "xdp-loader $mode: traffic moves both counters" xl_traffic_both
		lane_check "xdp-loader $mode: unloading xdp_count leaves tiu running" \
			xl_remove "$COUNT_PROG" "$TIU_PROG" NO YES
		pair_down
	done
}

# ---------------------------------------------------- 3. the tiu loader ----

tiu_next_to_count() { # MODE
	pair_up || fail "cannot create the veth pair" || return
	mkdir -p "$PINS/count"
	in_a xdp-loader load -p "$PINS/count" -m "$1" "$IFA" "$COUNT_OBJ" || fail "xdp-loader load xdp_count failed" || return
	tiu_up "$NSA" "$IFA" --xdp-mode "$1" --pin-dir "$PINS/tiu" || fail "tiu up $IFA --xdp-mode $1 failed" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG"
}

# tiu status shows the dispatcher, and whether ip_summed is readable exactly
# as /proc/kallsyms says ("ip_summed readable" on 6.12, "not readable" on 6.1).
tiu_status_dispatcher() {
	local line
	tiu_in "$NSA" status "$IFA" --pin-dir "$PINS/tiu" | tee "$H_WORK/tiu-status" || fail "tiu status $IFA failed" || return
	grep -qi dispatcher "$H_WORK/tiu-status" || fail "tiu status does not mention the dispatcher" || return
	! grep -Eqi 'single|legacy|fallback' "$H_WORK/tiu-status" || fail "tiu status reports a fallback mode" || return
	line=$(grep -i 'ip_summed' "$H_WORK/tiu-status")
	[ -n "$line" ] || fail "tiu status does not mention ip_summed" || return
	if have_kfunc; then
		echo "$line" | grep -q 'ip_summed readable' ||
			fail "bpf_cast_to_kern_ctx is in /proc/kallsyms but tiu status does not say 'ip_summed readable'"
	else
		echo "$line" | grep -q 'ip_summed not readable' ||
			fail "this kernel has no bpf_cast_to_kern_ctx but tiu status does not say 'ip_summed not readable'"
	fi
}

tiu_traffic_both() { expect_counting "$PINS/count" "$PINS/tiu" YES YES; }

tiu_down_keeps_count() {
	tiu_in "$NSA" down "$IFA" --purge --pin-dir "$PINS/tiu" || fail "tiu down $IFA --purge failed" || return
	expect_dispatched "$COUNT_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" YES NO
}

tiu_first_then_count() { # MODE
	in_a xdp-loader unload -a "$IFA" 2>/dev/null
	rm -rf "$PINS/count" "$PINS/tiu"
	mkdir -p "$PINS/count"
	tiu_up "$NSA" "$IFA" --xdp-mode "$1" --pin-dir "$PINS/tiu" || fail "tiu up $IFA failed" || return
	in_a xdp-loader load -p "$PINS/count" -m "$1" "$IFA" "$COUNT_OBJ" || fail "xdp-loader load xdp_count failed" || return
	expect_dispatched "$COUNT_PROG" "$TIU_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" YES YES
}

tiu_unload_count() {
	local id
	id=$(prog_id "$COUNT_PROG")
	in_a xdp-loader unload -i "$id" "$IFA" || fail "xdp-loader unload -i $id $IFA failed" || return
	expect_dispatched "$TIU_PROG" || return
	expect_counting "$PINS/count" "$PINS/tiu" NO YES || return
	tiu_in "$NSA" down "$IFA" --purge --pin-dir "$PINS/tiu" || fail "tiu down $IFA --purge failed"
}

# capture NS IFACE FILTER FILE: tcpdump of what IFACE shows to packet taps
# (egress after TC; on ingress XDP has already run), whole packets. Waits
# until it listens; its pid in CAPTURE (killed at the end if still running).
capture() {
	h_bg ns_enter "$1" timeout 150 tcpdump -i "$2" -nn -U -w "$4" "$3" 2>"$4.err"
	CAPTURE=$H_BG
	local i
	for ((i = 0; i < 100; i++)); do # tcpdump starts slowly under emulation
		grep -q 'listening on' "$4.err" && return
		sleep 0.2
	done
}
capture_end() { # PID...
	local p
	sleep 1 # let tcpdump write out the last packets
	for p in "$@"; do
		kill "$p" 2>/dev/null # TERM: a background job of a script ignores SIGINT
		h_wait "$p"
	done
}

# wire_check FILE WHO PROTO: every captured packet has a valid PROTO (udp or
# tcp) checksum, verified by tcpdump -vv over the whole packet ("[udp sum
# ok]" / "[bad udp cksum ...]"; "cksum 0x... (correct)" / "(incorrect ...)"
# for TCP); at least one packet.
wire_check() {
	local n good
	tcpdump -r "$1" -nn -vv 2>/dev/null >"$1.txt"
	n=$(tcpdump -r "$1" -nn 2>/dev/null | wc -l)
	case $3 in
	udp) good=$(grep -c 'udp sum ok' "$1.txt") ;;
	tcp) good=$(grep -c 'cksum 0x[0-9a-f]* (correct)' "$1.txt") ;;
	esac
	echo "on the wire from the $2: $n packets, $good with a valid $3 checksum"
	grep -m 3 -E 'bad udp cksum|incorrect' "$1.txt"
	[ "$n" -gt 0 ] || fail "no packet captured from the $2 ($(cat "$1.err"))" || return
	[ "$good" = "$n" ] || fail "$((n - good)) packets from the $2 with a bad $3 checksum"
}

# A tunnelled transfer end to end: a client namespace tunnels TCP to a server
# namespace, TX checksum offload off on both (what a NIC without offload
# does). The transfer (both directions) must arrive whole and every tunnelled
# packet on the wire, both ways, must carry a valid UDP checksum. Before the
# server listens, one connection attempt must be refused: the server
# kernel's RST comes from its control socket (tcp_v4_send_reset ->
# ip_send_unicast_reply), with a complete checksum, while everything a TCP
# socket sends is CHECKSUM_PARTIAL (__tcp_transmit_skb; linux commit
# 98be9b12096f). So on a kernel where tiu reads ip_summed (6.12) that RST is
# the control packet converted in place (enc_converted) and the data takes
# the detour; where it cannot (6.1) everything takes the detour.
cnt_a() { tiu_counter "$NSA" "$IFA" "$1" --pin-dir "$PINS/a"; }
cnt_b() { tiu_counter "$NSB" "$IFB" "$1" --pin-dir "$PINS/b"; }
tiu_transfer() {
	local size=$((512 * 1024)) port=46000 # each way; a port tcpdump decodes as plain UDP
	local cap_a cap_b err wire_a wire_b c
	pair_up || fail "cannot create the veth pair" || return
	in_a ethtool -K "$IFA" tx off >/dev/null || fail "ethtool -K $IFA tx off failed" || return
	in_b ethtool -K "$IFB" tx off >/dev/null || fail "ethtool -K $IFB tx off failed" || return
	tiu_up "$NSA" "$IFA" --endpoint "remote=$ADDR_B:$port" --pin-dir "$PINS/a" || fail "tiu up (client) failed" || return
	tiu_up "$NSB" "$IFB" --endpoint "local=$ADDR_B:$port" --pin-dir "$PINS/b" || fail "tiu up (server) failed" || return
	capture "$NSA" "$IFA" "udp and port $port" "$H_WORK/wire-a.pcap"
	cap_a=$CAPTURE
	capture "$NSB" "$IFB" "udp and port $port" "$H_WORK/wire-b.pcap"
	cap_b=$CAPTURE

	# The refused connection: SYN through the tunnel, RST back through it.
	local conv0 det0 conv1 det1
	conv0=$(cnt_b enc_converted) det0=$(cnt_b enc_detoured)
	err=$(in_a timeout 20 bash -c "exec 3<>/dev/tcp/$ADDR_B/$port" 2>&1)
	conv1=$(cnt_b enc_converted) det1=$(cnt_b enc_detoured)
	echo "connection to $ADDR_B:$port before the server listens: ${err:-connected?}"
	echo "server, for its RST: enc_converted $conv0 -> $conv1, enc_detoured $det0 -> $det1"

	h_xfer xfer "$NSB" "$ADDR_B" "$NSA" "$ADDR_B" "$port" "$size" --timeout 90
	c=$?
	capture_end "$cap_a" "$cap_b"
	xfer_ok xfer
	local xok=$?
	wire_check "$H_WORK/wire-a.pcap" client udp
	wire_a=$?
	wire_check "$H_WORK/wire-b.pcap" server udp
	wire_b=$?
	echo "client: $(tiu_counters_nonzero "$NSA" "$IFA" --pin-dir "$PINS/a")"
	echo "server: $(tiu_counters_nonzero "$NSB" "$IFB" --pin-dir "$PINS/b")"
	local det_a det_b enc_a enc_b dec_b
	det_a=$(cnt_a detour_converted) det_b=$(cnt_b detour_converted)
	enc_a=$(cnt_a enc_converted) enc_b=$(cnt_b enc_converted) dec_b=$(cnt_b dec_converted)
	tiu_in "$NSA" down "$IFA" --purge --pin-dir "$PINS/a"
	tiu_in "$NSB" down "$IFB" --purge --pin-dir "$PINS/b"
	[ "$c" = 0 ] && [ "$xok" = 0 ] || fail "the transfer failed (client exit $c)" || return
	[ "$wire_a" = 0 ] && [ "$wire_b" = 0 ] || return 1
	[[ $err == *"Connection refused"* ]] ||
		fail "the connection before the server listened was not refused (the RST did not come back through the tunnel)" || return
	[ "$det_a" -gt 0 ] && [ "$det_b" -gt 0 ] || fail "data did not go through both detours" || return
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
	local mode summed=not
	have_kfunc && summed=
	for mode in ${LANE_TIU_MODES:-native}; do
		lane_check "tiu $mode: tiu up on a veth that carries xdp_count: one dispatcher runs both" \
			tiu_next_to_count "$mode"
		lane_check "tiu $mode: tiu status shows the dispatcher and ip_summed ${summed:+$summed }readable" \
			tiu_status_dispatcher
		lane_check "tiu $mode: traffic moves xdp_count's counter and tiu's dec_pass" tiu_traffic_both
		lane_check "tiu $mode: tiu down removes only tiu's program, xdp_count keeps running" \
			tiu_down_keeps_count
		lane_check "tiu $mode: reverse order, tiu up then xdp-loader: one dispatcher, both count" \
			tiu_first_then_count "$mode"
		lane_check "tiu $mode: unloading xdp_count leaves tiu running" tiu_unload_count
		pair_down
	done
	if have_kfunc; then
		lane_check "kfunc path: tunnelled transfer, TX offload off: whole both ways, every UDP checksum valid, data via the detours, the control-socket RST converted in place" \
			tiu_transfer
	else
		lane_check "no-kfunc path: tunnelled transfer, TX offload off: whole both ways, every UDP checksum valid, everything via the detours" \
			tiu_transfer
	fi
	pair_down
}

# --------------------------------------- 4. port ranges and marks ---------
# A one-way tunnel over the veth pair: a's va tunnels what its endpoints
# select, b's vb turns it back into TCP, and b's replies come back as plain
# TCP over a second veth pair without tiu (va2/vb2: b routes a's address
# there). So every connection completes, and what decides is what crosses
# va: a selected connection's packets to the port are all UDP with valid
# checksums, those of a connection nothing selects are TCP. a holds a port
# range and a mark selector: the range's port table on this kernel's
# verifier, and skb->mark read at TC egress and kept across the detour
# (where 6.1's compat build sends every tunnelled packet).
SEL_A2=10.77.5.1 SEL_B2=10.77.5.2
SEL_FIRST=7000 SEL_LAST=7009 SEL_OTHER=7100
# sel_counts: a's and b's counters, one `tiu stats` each (each tiu command
# costs seconds under emulation), as "conv pass det dec": a's converted
# (in place and at the detour), a's enc_pass, a's detour_converted, b's
# dec_converted.
sel_counts() {
	local ja jb
	ja=$(tiu_stats_json "$NSA" "$IFA" --pin-dir "$PINS/sa")
	jb=$(tiu_stats_json "$NSB" "$IFB" --pin-dir "$PINS/sb")
	echo "$(($(counter_of enc_converted <<<"$ja") + $(counter_of detour_converted <<<"$ja")))" \
		"$(counter_of enc_pass <<<"$ja")" "$(counter_of detour_converted <<<"$ja")" \
		"$(counter_of dec_converted <<<"$jb")"
}

sel_up() {
	pair_up && h_veth "$NSA" va2 "$NSB" vb2 && h_addr "$NSA" va2 "$SEL_A2/24" &&
		h_addr "$NSB" vb2 "$SEL_B2/24" && ip -n "$NSB" route add "$ADDR_A/32" via "$SEL_A2" dev vb2 &&
		ns_enter "$NSA" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.va2.rp_filter=0 ||
		fail "cannot build the two veth pairs" || return
	ip -n "$NSB" route get "$ADDR_A" | grep -q 'dev vb2' || fail "b does not route a's address through vb2" || return
	mkdir -p "$PINS/sa" "$PINS/sb"
	tiu_up "$NSA" "$IFA" --endpoint "remote=$ADDR_B:$SEL_FIRST-$SEL_LAST" --endpoint mark=0x100/0xf00 \
		--pin-dir "$PINS/sa" || fail "tiu up $IFA with a port range and a mark failed" || return
	tiu_up "$NSB" "$IFB" --endpoint "local=*:$SEL_FIRST-$SEL_LAST" --endpoint "local=*:$SEL_OTHER" \
		--pin-dir "$PINS/sb" || fail "tiu up $IFB with a port range failed"
}

# sel_conn LABEL PORT UDP|TCP [XFER OPTIONS...]: a transfer from a to b's
# PORT, whole both ways; what a's va carried to PORT is all UDP (each with
# a valid checksum; a converted exactly those and b turned exactly those
# back into TCP) or all TCP (a passed them untouched, b converted nothing).
# Sets SEL_DETOUR: what a converted at the detour.
sel_conn() {
	local lab=$1 port=$2 want=$3 cap c udp tcp conv0 pass0 det0 dec0 conv1 pass1 det1 dec1
	shift 3
	read -r conv0 pass0 det0 dec0 < <(sel_counts)
	capture "$NSA" "$IFA" "port $port" "$H_WORK/$lab.pcap"
	cap=$CAPTURE
	h_xfer "$lab" "$NSB" "$ADDR_B" "$NSA" "$ADDR_B" "$port" $((128 * 1024)) --timeout 90 "$@"
	c=$?
	capture_end "$cap"
	read -r conv1 pass1 det1 dec1 < <(sel_counts)
	SEL_DETOUR=$((det1 - det0))
	udp=$(tcpdump -r "$H_WORK/$lab.pcap" -nn udp 2>/dev/null | wc -l)
	tcp=$(tcpdump -r "$H_WORK/$lab.pcap" -nn tcp 2>/dev/null | wc -l)
	echo "on va to or from port $port: $udp UDP, $tcp TCP; a converted +$((conv1 - conv0)) ($SEL_DETOUR at the detour), passed +$((pass1 - pass0)); b decapsulated +$((dec1 - dec0))"
	[ "$c" = 0 ] && xfer_ok "$lab" || fail "the transfer to port $port failed (client exit $c)" || return
	if [ "$want" = UDP ]; then
		wire_check "$H_WORK/$lab.pcap" client udp || return
		[ "$tcp" = 0 ] || fail "$tcp TCP packets to port $port crossed va untunnelled" || return
		[ $((conv1 - conv0)) = "$udp" ] && [ $((dec1 - dec0)) = "$udp" ] ||
			fail "a converted $((conv1 - conv0)), b decapsulated $((dec1 - dec0)), va carried $udp UDP"
	else
		[ "$udp" = 0 ] && [ "$tcp" -gt 0 ] || fail "expected only TCP to port $port on va" || return
		# enc_pass counts skbs: a GSO skb is one there, several packets on va
		[ $((conv1 - conv0)) = 0 ] && [ $((dec1 - dec0)) = 0 ] &&
			[ $((pass1 - pass0)) -ge 1 ] && [ $((pass1 - pass0)) -le "$tcp" ] ||
			fail "a converted $((conv1 - conv0)) and passed $((pass1 - pass0)), b decapsulated $((dec1 - dec0)): want 0, 1..$tcp, 0"
	fi
}

# The mark must survive the redirect to the detour (same namespace: the
# veth's skb_scrub_packet() keeps skb->mark), where the data of a socket
# with TX offload on goes.
sel_mark_conn() {
	sel_conn "$@" || return
	[ "$SEL_DETOUR" -gt 0 ] || fail "nothing went through the detour"
}

run_select_tests() {
	lane_setup "no tiu on the veth pairs" \
		"range and mark on $KVER: tiu up with remote=ADDR:$SEL_FIRST-$SEL_LAST and mark=0x100/0xf00; replies routed over a second veth pair" \
		sel_up
	lane_next "range: a transfer to port $SEL_LAST (the range's last) crosses va as UDP only, every checksum valid, counters = capture" \
		sel_conn range-last "$SEL_LAST" UDP
	lane_next "mark: SO_MARK 0x1ff (mark=0x100/0xf00) to port $SEL_OTHER, outside the range: tunnelled by the mark alone, via the detour" \
		sel_mark_conn mark-1ff "$SEL_OTHER" UDP --mark 0x1ff
	lane_next "range and mark: SO_MARK 0x200 to port $((SEL_LAST + 1)) (one past the range; not the mark) crosses va as TCP, counted in enc_pass" \
		sel_conn neither $((SEL_LAST + 1)) TCP --mark 0x200
	tiu_in "$NSA" down "$IFA" --purge --pin-dir "$PINS/sa" >/dev/null 2>&1
	tiu_in "$NSB" down "$IFB" --purge --pin-dir "$PINS/sb" >/dev/null 2>&1
	pair_down
}

# ------------------------------------------- 5. a real layer-3 device ------
# Two namespaces, an underlay veth pair (10.78.0.0/24) and a WireGuard
# tunnel over it (wg0, 10.79.0.0/24): a device without a MAC header
# (link/none, ARPHRD_NONE), as people run it.
WGA= WGB=
WG_A=10.79.0.1 WG_B=10.79.0.2

wg_up() {
	local side ns peer_pub under peer_under
	modprobe wireguard 2>&1 || fail "cannot load the wireguard module of $KVER" || return
	command -v wg >/dev/null || fail "wg not found (make test-vm installs wireguard-tools)" || return
	h_ns WGA wga && h_ns WGB wgb && h_veth "$WGA" ua "$WGB" ub &&
		h_addr "$WGA" ua 10.78.0.1/24 && h_addr "$WGB" ub 10.78.0.2/24 || fail "cannot build the underlay" || return
	for side in a b; do
		(umask 077 && wg genkey >"$H_WORK/wg-$side.key") && wg pubkey <"$H_WORK/wg-$side.key" >"$H_WORK/wg-$side.pub" ||
			fail "wg genkey failed" || return
	done
	for side in a b; do
		if [ $side = a ]; then
			ns=$WGA peer_pub=$(cat "$H_WORK/wg-b.pub") under=10.78.0.1 peer_under=10.78.0.2
		else
			ns=$WGB peer_pub=$(cat "$H_WORK/wg-a.pub") under=10.78.0.2 peer_under=10.78.0.1
		fi
		ip -n "$ns" link add wg0 type wireguard || fail "ip link add wg0 type wireguard failed" || return
		ns_enter "$ns" wg set wg0 private-key "$H_WORK/wg-$side.key" listen-port 51820 \
			peer "$peer_pub" allowed-ips 10.79.0.0/24 endpoint "$peer_under:51820" ||
			fail "wg set wg0 failed" || return
		h_addr "$ns" wg0 "$([ $side = a ] && echo $WG_A || echo $WG_B)/24" &&
			ip -n "$ns" link set wg0 up || fail "cannot bring wg0 up" || return
	done
	ip -n "$WGA" -d link show wg0
	ns_enter "$WGA" busybox ping -c 2 -W 5 "$WG_B" || fail "no ping through the WireGuard tunnel" || return
	ns_enter "$WGA" wg show wg0
	ns_enter "$WGA" wg show wg0 latest-handshakes | awk '$2 > 0 { ok = 1 } END { exit !ok }' ||
		fail "no WireGuard handshake"
}

# wg_bytes NS: bytes sent plus received by wg0's one peer.
wg_bytes() { ns_enter "$1" wg show wg0 transfer | awk '{ s += $2 + $3 } END { print s + 0 }'; }

wg_plain_transfer() {
	local size=$((512 * 1024)) b0 b1
	b0=$(wg_bytes "$WGA")
	h_xfer wgplain "$WGB" "$WG_B" "$WGA" "$WG_B" 47000 "$size" --timeout 90 || fail "the transfer failed" || return
	xfer_ok wgplain || fail "the data differs" || return
	b1=$(wg_bytes "$WGA")
	echo "wg0 peer bytes: $b0 -> $b1"
	[ $((b1 - b0)) -ge $((2 * size)) ] || fail "the transfer did not go through wg0"
}

# tiu on the WireGuard devices (raw IP, link/none): generic XDP decap on the
# client, TC decap on the server. The tunnelled UDP is captured on each wg0
# (before WireGuard encrypts it) and every UDP checksum checked; the data
# arrives whole both ways and tiu's counters move: the client's detour
# (raw IP in, Ethernet pushed and pulled off again), both decap paths.
wg_tiu_transfer() {
	local size=$((512 * 1024)) port=47001 cap_a cap_b c xok wire_a wire_b sent_a dec_b dec_a det_a
	mkdir -p "$PINS/wga" "$PINS/wgb"
	tiu_up "$WGA" wg0 --decap xdp --xdp-mode skb --endpoint "remote=$WG_B:$port" --pin-dir "$PINS/wga" ||
		fail "tiu up wg0 (client, generic XDP decap) failed" || return
	tiu_up "$WGB" wg0 --decap tc --endpoint "local=$WG_B:$port" --pin-dir "$PINS/wgb" ||
		fail "tiu up wg0 (server, TC decap) failed" || return
	cat "$H_WORK/tiu-up.$WGA.wg0.log" "$H_WORK/tiu-up.$WGB.wg0.log"
	tiu_in "$WGA" status wg0 --pin-dir "$PINS/wga" | tee "$H_WORK/wg-status"
	grep -q 'framing: raw IP (link/none)' "$H_WORK/wg-status" ||
		fail "tiu status does not show raw-IP framing (link/none) on wg0" || return
	capture "$WGA" wg0 "udp and port $port" "$H_WORK/wg-a.pcap"
	cap_a=$CAPTURE
	capture "$WGB" wg0 "udp and port $port" "$H_WORK/wg-b.pcap"
	cap_b=$CAPTURE
	h_xfer wgtiu "$WGB" "$WG_B" "$WGA" "$WG_B" "$port" "$size" --timeout 90
	c=$?
	capture_end "$cap_a" "$cap_b"
	xfer_ok wgtiu
	xok=$?
	wire_check "$H_WORK/wg-a.pcap" client udp
	wire_a=$?
	wire_check "$H_WORK/wg-b.pcap" server udp
	wire_b=$?
	echo "client: $(tiu_counters_nonzero "$WGA" wg0 --pin-dir "$PINS/wga")"
	echo "server: $(tiu_counters_nonzero "$WGB" wg0 --pin-dir "$PINS/wgb")"
	sent_a=$(tcpdump -r "$H_WORK/wg-a.pcap" -nn 2>/dev/null | wc -l)
	dec_b=$(tiu_counter "$WGB" wg0 dec_converted --pin-dir "$PINS/wgb")
	dec_a=$(tiu_counter "$WGA" wg0 dec_converted --pin-dir "$PINS/wga")
	det_a=$(tiu_counter "$WGA" wg0 detour_converted --pin-dir "$PINS/wga")
	echo "UDP packets the client sent on wg0: $sent_a; the server's dec_converted: $dec_b"
	tiu_in "$WGA" down wg0 --purge --pin-dir "$PINS/wga"
	tiu_in "$WGB" down wg0 --purge --pin-dir "$PINS/wgb"
	[ "$c" = 0 ] && [ "$xok" = 0 ] || fail "the transfer through tiu and wg0 failed (client exit $c)" || return
	[ "$wire_a" = 0 ] && [ "$wire_b" = 0 ] || return 1
	[ "$det_a" -gt 0 ] || fail "nothing of the client's went through the detour" || return
	[ "$dec_b" -gt 0 ] || fail "the server's TC decap converted nothing" || return
	[ "$dec_a" -gt 0 ] || fail "the client's generic XDP decap converted nothing"
}

run_l3_tests() {
	lane_setup "no WireGuard tunnel" \
		"WireGuard on $KVER: two namespaces joined by wg0 over a veth pair, handshake and ping" wg_up
	lane_next "WireGuard: a plain TCP transfer through wg0, whole both ways" wg_plain_transfer
	lane_next "WireGuard: tiu up on both wg0 (raw IP; generic XDP and TC decap), a transfer through tiu: whole both ways, every UDP checksum valid, counters move" \
		wg_tiu_transfer
}

# --------------------------------------------- 6. a path with a smaller MTU --
# client (c0) --- (r0) router (r1) --- (s0) server, IPv4: the router forwards
# at most 1400 bytes (route MTUs; every interface keeps 1500) and drops
# every TCP packet, so only what tiu tunnels crosses it. Its "fragmentation
# needed" errors quote the packets in their UDP form; tiu's decap turns the
# quote back into TCP (dec_icmp_translated) so that each end's route learns
# the path MTU and TCP lowers its MSS - on this kernel's ICMP and route code.
PM_C= PM_S= PM_R=

pmtu_transfer() {
	local size=$((128 * 1024)) port=5201 got sgot icmp sicmp c
	h_ns PM_C pmc && h_ns PM_R pmr && h_ns PM_S pms || fail "cannot create the namespaces" || return
	h_veth "$PM_C" c0 "$PM_R" r0 && h_veth "$PM_R" r1 "$PM_S" s0 &&
		h_addr "$PM_C" c0 10.71.1.2/24 && h_addr "$PM_R" r0 10.71.1.1/24 &&
		h_addr "$PM_R" r1 10.71.2.1/24 && h_addr "$PM_S" s0 10.71.2.2/24 &&
		ip -n "$PM_C" route add default via 10.71.1.1 && ip -n "$PM_S" route add default via 10.71.2.1 &&
		ns_enter "$PM_R" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$PM_R" route replace 10.71.2.0/24 dev r1 mtu 1400 &&
		ip -n "$PM_R" route replace 10.71.1.0/24 dev r0 mtu 1400 || fail "cannot build the topology" || return
	ns_enter "$PM_R" nft -f - <<-NFT || fail "nft in the router namespace" || return
		add table inet tiu_pmtu
		add chain inet tiu_pmtu forwarded { type filter hook forward priority 0; }
		add rule inet tiu_pmtu forwarded meta l4proto tcp counter drop
	NFT
	mkdir -p "$PINS/pmc" "$PINS/pms"
	tiu_up "$PM_C" c0 --endpoint "remote=10.71.2.2:$port" --pin-dir "$PINS/pmc" || fail "tiu up (client) failed" || return
	tiu_up "$PM_S" s0 --endpoint "local=*:$port" --pin-dir "$PINS/pms" || fail "tiu up (server) failed" || return
	h_xfer pmtu "$PM_S" 10.71.2.2 "$PM_C" 10.71.2.2 "$port" "$size" --timeout 90
	c=$?
	got=$(ip -n "$PM_C" route get 10.71.2.2 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	sgot=$(ip -n "$PM_S" route get 10.71.1.2 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)
	icmp=$(tiu_counter "$PM_C" c0 dec_icmp_translated --pin-dir "$PINS/pmc")
	sicmp=$(tiu_counter "$PM_S" s0 dec_icmp_translated --pin-dir "$PINS/pms")
	echo "client: $(tiu_counters_nonzero "$PM_C" c0 --pin-dir "$PINS/pmc")"
	echo "server: $(tiu_counters_nonzero "$PM_S" s0 --pin-dir "$PINS/pms")"
	echo "route mtu learned: client ${got:-none}, server ${sgot:-none}; dec_icmp_translated: client $icmp, server $sicmp"
	ns_enter "$PM_R" nft list chain inet tiu_pmtu forwarded | grep counter
	xfer_ok pmtu && [ "$c" = 0 ] || fail "the transfer across the 1400-byte link failed" || return
	[ "$got" = 1400 ] || fail "the client's route shows mtu '${got:-none}', want 1400" || return
	[ "$sgot" = 1400 ] || fail "the server's route shows mtu '${sgot:-none}', want 1400" || return
	[ "${icmp:-0}" -gt 0 ] && [ "${sicmp:-0}" -gt 0 ] || fail "dec_icmp_translated did not move on both ends"
}

run_pmtu_tests() {
	lane_check "path MTU 1400 behind a router that drops TCP: tiu translates its ICMP errors, both ends learn 1400, the transfer completes" \
		pmtu_transfer
}

# ------------------------------------------------------------ 7. netkit -----
# A netkit pair (nk0 in one namespace, nk1 in another; L2 mode, policy pass)
# with netkit_probe.bpf.o as nk0's program: netkit_xmit() runs it from
# nk0's ndo_start_xmit, after validate_xmit_skb() has done in software
# whatever nk0's features do not offer. The probe records each TCP skb's GSO
# state, ip_summed and length. A transfer with nk0's offloads as created
# (SG, HW_CSUM, GSO_SOFTWARE: GSO/PARTIAL skbs reach the program), then one
# with them off (only segments with complete checksums may reach it: what a
# segmentation detour needs, without the receive backlog of a veth).
NKA= NKB=
NK_A=10.81.0.1 NK_B=10.81.0.2

nk_up() {
	local out
	h_ns NKA nka && h_ns NKB nkb || fail "cannot create the namespaces" || return
	out=$(ns_enter "$NKA" "$NETKIT_TOOL" create nk0 nk1 "/run/netns/$NKB" 2>&1)
	if [ $? != 0 ]; then
		echo "$out"
		case $out in
		*"not supported"*) skip_because "no netkit in $KVER (6.7+, CONFIG_NETKIT)" ;;
		*) fail "cannot create a netkit pair" ;;
		esac
		return
	fi
	h_addr "$NKA" nk0 "$NK_A/24" && h_addr "$NKB" nk1 "$NK_B/24" &&
		ip -n "$NKA" link set nk0 up && ip -n "$NKB" link set nk1 up || fail "cannot configure nk0/nk1" || return
	mkdir -p "$PINS/nk"
	ns_enter "$NKA" "$NETKIT_TOOL" attach nk0 "$NETKIT_OBJ" "$PINS/nk" || fail "cannot attach the probe" || return
	ip -n "$NKA" -d link show nk0
	bpftool link show pinned "$PINS/nk/link"
}

# The probe's record (struct netkit_probe_stats): tcp, gso, summed[4], max_len.
nk_stats() {
	local i names=(tcp gso none unnecessary complete partial max_len)
	for i in 0 1 2 3 4 5 6; do
		printf '%s=%s ' "${names[$i]}" "$(map_u64 "$PINS/nk/stats" $i)"
	done
	echo
}
nk_field() { map_u64 "$PINS/nk/stats" "$1"; }
nk_reset() { bpftool map update pinned "$PINS/nk/stats" key 0 0 0 0 value $(printf '0 %.0s' $(seq 56)); }

# nk_transfer LABEL PORT: a transfer over the netkit pair with the probe's
# record reset first; nk1's received TCP captured and its checksums checked.
nk_transfer() {
	local cap c
	nk_reset || fail "cannot reset the probe's counters" || return
	capture "$NKB" nk1 "tcp and src host $NK_A" "$H_WORK/$1.pcap"
	cap=$CAPTURE
	h_xfer "$1" "$NKB" "$NK_B" "$NKA" "$NK_B" "$2" $((1024 * 1024)) --timeout 90
	c=$?
	capture_end "$cap"
	xfer_ok "$1" && [ "$c" = 0 ] || fail "the transfer over netkit failed" || return
	echo "netkit probe at nk0's transmit: $(nk_stats)"
	ns_enter "$NKA" ethtool -k nk0 | grep -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload):'
}

nk_offloads_on() {
	nk_transfer nkon 48000 || return
	# For the record (not a condition): what nk1 receives then still carries
	# the checksum seed of CHECKSUM_PARTIAL, and super-packets.
	wire_check "$H_WORK/nkon.pcap" client tcp
	# With the offloads on, what TCP hands down passes validate_xmit_skb
	# untouched: the program sees GSO and CHECKSUM_PARTIAL.
	[ "$(nk_field 1)" -gt 0 ] && [ "$(nk_field 5)" -gt 0 ] ||
		fail "expected GSO/PARTIAL skbs at netkit's transmit with its offloads on"
}

nk_offloads_off() {
	ns_enter "$NKA" ethtool -K nk0 tx off sg off tso off gso off >/dev/null ||
		fail "ethtool -K nk0 tx off sg off tso off gso off failed" || return
	nk_transfer nkoff 48001 || return
	wire_check "$H_WORK/nkoff.pcap" client tcp || return
	[ "$(nk_field 0)" -gt 0 ] || fail "the probe saw no TCP" || return
	[ "$(nk_field 1)" = 0 ] || fail "$(nk_field 1) GSO skbs reached netkit's program with GSO off" || return
	[ "$(nk_field 5)" = 0 ] || fail "$(nk_field 5) CHECKSUM_PARTIAL skbs reached netkit's program with TX checksumming off" || return
	[ "$(nk_field 6)" -le 1514 ] || fail "an skb of $(nk_field 6) bytes reached netkit's program (MTU 1500)"
}

run_netkit_tests() {
	lane_setup "no netkit pair" \
		"netkit on $KVER: a pair made through rtnetlink, the probe attached as nk0's program" nk_up
	lane_next "netkit: offloads on, the program at its transmit sees GSO/CHECKSUM_PARTIAL skbs" nk_offloads_on
	lane_next "netkit: offloads off, the program at its transmit sees only segments with complete checksums; TCP checksums valid on nk1" \
		nk_offloads_off
}

# ------------------------------------------------ choosing per connection --
# tests/conn.t's server checks on this kernel: its own TAP, judged by its
# exit status; its lines follow as comments.
conn_server() {
	local out rc
	out=$(CONN_ONLY=server TIU=$TIU BUILD=$BUILD bash "$HERE/../conn.t" 2>&1)
	rc=$?
	sed 's/^/  /' <<<"$out"
	[ $rc = 0 ] && grep -q '^ok 2 ' <<<"$out" || fail "tests/conn.t (CONN_ONLY=server) failed on $KVER"
}

run_conn_tests() {
	lane_check "one follow= server port: a tunnelled and a plain client at once, an MPTCP connection with one subflow of each (tests/conn.t)" \
		conn_server
}

# ---------------------------------------------------------------- main -----

note "stock-kernel lane on $KVER ($(nproc) CPUs)"
for f in "$TIU" "$TIU_OBJ" "$COUNT_OBJ" "$NETKIT_OBJ" "$NETKIT_TOOL"; do
	[ -e "$f" ] || bail "$f not built (make test-vm builds it)" # never a lane of skips
done
DEC_PASS=$(stat_index DEC_PASS) || bail "cannot find DEC_PASS in headers/tiu_common.h"
h_init vm

run_unit_tests
run_xdp_loader_tests
run_tiu_tests
run_select_tests
run_conn_tests
run_l3_tests
run_pmtu_tests
run_netkit_tests
pair_down
tap_done
