#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/loader.t - the `tiu` command (up, down, endpoint, status, stats and
# their recovery after a crash), in two network namespaces
# joined by a veth pair. TAP; every test is a function; the plan is printed
# at the end (tests/lib/harness.sh). Needs root (skips without), the foreign
# BPF programs of tests/bpf/ (built by make), python3, xdp-tools. Bounded: a
# watchdog ends the run after 540 s (420 before the endpoint crash test,
# which takes 40-90 s).
#
# Covered: up/down round trip leaves nothing; up twice; every bad input gives
# its message and leaves the system unchanged; kill -9 at every step of `up`
# and at a random moment, then `down --purge` recovers; kill -9 at every
# step of `endpoint add|del` leaves no port bit of an unlisted endpoint;
# endpoint add/del while a TCP transfer runs through the tunnel (SHA-256 of both directions);
# xdp-loader attaches the same program on the same maps; --json parses and
# agrees with the text; ip netns exec and nsenter; per-netns pins; config
# file; foreign filters, qdiscs and XDP programs left alone; --help. Issue
# 11: port ranges and the mark selector (list, port table bits through
# bpftool, overlap/duplicate errors with nothing applied, status and --json,
# the mark warnings), slots (reuse after down with zeroed statistics, all 64
# taken), pins of the ABI 4 layout.

. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd python3 xdp-loader bpftool
need_built "$BUILD/tests/foreign_xdp.bpf.o" "$BUILD/tests/foreign_tc.bpf.o"
FOREIGN_XDP=$BUILD/tests/foreign_xdp.bpf.o FOREIGN_TC=$BUILD/tests/foreign_tc.bpf.o

#   ns A (la 10.78.0.1 fd78::1) ---- veth ---- ns B (lb 10.78.0.2 fd78::2)
A4=10.78.0.1 B4=10.78.0.2 A6=fd78::1 B6=fd78::2
PORT=7001

h_init tiul
h_watchdog 540
h_bpffs
h_ns NA a && h_ns NB b && h_veth "$NA" la "$NB" lb &&
	h_addr "$NA" la $A4/24 $A6/64 && h_addr "$NB" lb $B4/24 $B6/64 || bail "set up namespaces"
for i in la lx0 lo; do h_tiu_track "$NA" $i; done
h_tiu_track "$NB" lb
# the detour pair of la is named after its ifindex
IDX=$(ip netns exec "$NA" cat /sys/class/net/la/ifindex)
DA=tiu${IDX}d PA=tiu${IDX}p

tiu_a() { tiu_in "$NA" "$@"; }
tiu_b() { tiu_in "$NB" "$@"; }
in_a()  { in_ns "$NA" "$@"; }
in_b()  { in_ns "$NB" "$@"; }
counter() { if [ "$1" = a ]; then tiu_counter "$NA" la "$2"; else tiu_counter "$NB" lb "$2"; fi; }

# Pin directory of namespace A or B, as tiu computes it (netns-COOKIE).
pins_of() { tiu_pin_dir "$([ "$1" = a ] && echo "$NA" || echo "$NB")"; }
pins_a() { [ -n "${PINS_A:-}" ] || PINS_A=$(pins_of a); echo "$PINS_A"; }
# bits_a PORT: la's bits (slot 0) of the port table entry of PORT.
bits_a() { tiu_port_slot_bits "$(pins_a)" 0 "$1"; }
# the endpoint table's generation in A's pins (tiu_config.ep_gen)
ep_gen_a() {
	bpftool -j map lookup pinned "$(pins_a)/tiu_config" key 0 0 0 0 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"]["ep_gen"])'
}

# Everything that tiu could leave behind in namespace A, as text: links,
# qdiscs, TC filters, XDP, pins of A, tiu's notes in /run/tiu.
snapshot_a() {
	in_a ip -o link show | sed 's/^[0-9]*: //; s/ link\/.*//; s/state [A-Z]* //'
	in_a tc qdisc show dev la
	in_a tc filter show dev la ingress
	in_a tc filter show dev la egress
	in_a ip -d link show dev la | grep -o 'prog/xdp.*' || true
	find "$(pins_a)" 2>/dev/null
	find "/run/tiu/$(basename "$(pins_a)")" 2>/dev/null
}

# Bidirectional transfer A (client) -> B (server) through the tunnel
# (tests/lib/xfer.py); 0 when both directions arrived whole. $1: server address.
xfer() {
	h_xfer lt "$NB" "$1" "$NA" "$1" $PORT "${2:-4000000}" --timeout 40
	xfer_ok lt
}

BASE=$(snapshot_a)

up_a() { tiu_a up la --endpoint remote=$B4:$PORT "$@"; }

# $1 description, $2 expected message (grep -E), rest: the command
bad_input() {
	local d=$1 msg=$2 out rc
	shift 2
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -qE -- "$msg" <<<"$out" && [ "$(snapshot_a)" = "$BASE" ]; then
		ok "bad input: $d"
	else
		not_ok "bad input: $d (rc $rc)"; echo "$out" | diag
		diff <(echo "$BASE") <(snapshot_a) | diag
	fi
}

t_round_trip() {
	local d
	for d in xdp tc; do
		if up_a --decap $d >/dev/null && tiu_a status la | grep -q "tc egress: tiu_tc_egress" &&
		   in_a ip link show $DA >/dev/null 2>&1 &&
		   tiu_a down la --purge >/dev/null && [ "$(snapshot_a)" = "$BASE" ] &&
		   [ ! -e "$(pins_a)" ]; then
			ok "up/down --purge round trip (decap $d) leaves no pins, filters, XDP, detour, qdisc"
		else
			not_ok "up/down round trip (decap $d)"
			diff <(echo "$BASE") <(snapshot_a) | diag
			tiu_a down la --purge >/dev/null 2>&1
		fi
	done
}

t_detour_settings() {
	up_a >/dev/null || { not_ok "detour settings (up failed)"; return; }
	local on6 on mtu_l mtu_d rps st
	on=$(in_a ethtool -k $DA | grep -E '^\s*(tx-checksum|tx-.*segmentation|tx-gso|rx-gro)[^:]*: on' )
	on6=$(in_a cat /proc/sys/net/ipv6/conf/$DA/disable_ipv6 /proc/sys/net/ipv6/conf/$PA/disable_ipv6 | tr -d '\n')
	mtu_l=$(in_a cat /sys/class/net/la/mtu)
	mtu_d=$(in_a cat /sys/class/net/$DA/mtu)
	# RPS over every CPU on the peer: one backlog per flow, no reordering
	rps=$(in_a cat /sys/class/net/$PA/queues/rx-0/rps_cpus | tr -d ',0\n')
	st=$(in_a "$TIU" status la)
	[ "$(nproc)" -le 1 ] && rps=skip
	if [ -z "$on" ] && [ "$on6" = 11 ] && [ "$mtu_d" -ge "$mtu_l" ] &&
	   in_a ip link show $PA | grep -q 'state UP\|,UP' && [ -n "$rps" ] &&
	   { [ "$rps" = skip ] || grep -q 'RPS on' <<<"$st"; }; then
		ok "detour $DA/$PA: checksum/segmentation/GRO offloads off, IPv6 off, MTU >= la's, up, RPS on the peer"
	else
		not_ok "detour settings"; echo "on: $on ipv6-off: $on6 mtu $mtu_d vs $mtu_l rps '$rps'; $st" | diag
	fi
}

t_up_twice() {
	local out
	up_a >/dev/null
	out=$(up_a 2>&1)
	[ $? -ne 0 ] && grep -q "already up" <<<"$out" &&
		tiu_a status la | grep -q "xdp: tiu_xdp_decap"
	result $? "up twice: clear error, the first up keeps running" "$out"
	tiu_a down la --purge >/dev/null
}

t_bad_inputs() {
	bad_input "unknown interface" "nosuch0: no such interface" tiu_a up nosuch0
	bad_input "bad address" "'10.1.2' is not an IPv4 address" tiu_a up la --endpoint remote=10.1.2:80
	bad_input "IPv6 without brackets" "is not an IPv4 address, \[IPv6\]" tiu_a up la --endpoint remote=fd78::2:80
	bad_input "bad port" "'99999' is not a port number" tiu_a up la --endpoint remote=$B4:99999
	bad_input "port 0" "port 0 is not allowed" tiu_a up la --endpoint local=*:0
	bad_input "bad role" "write local=ADDR:PORT or remote=ADDR:PORT" tiu_a up la --endpoint server=$B4:80
	bad_input "duplicate endpoint in up" "duplicate endpoint remote=$B4:$PORT" \
		tiu_a up la --endpoint remote=$B4:$PORT --endpoint remote=$B4:$PORT
	bad_input "port range backwards" "bad endpoint 'local=\\*:8000-7000': the range 8000-7000 runs backwards" \
		tiu_a up la --endpoint 'local=*:8000-7000'
	bad_input "port 0 in a range" "port 0 is not allowed" tiu_a up la --endpoint 'remote=*:0-10'
	bad_input "port range beyond 65535" "'1-65536' is not a port number \\(1-65535\\) or range" \
		tiu_a up la --endpoint 'local=*:1-65536'
	bad_input "overlapping ranges in up" \
		"la: endpoint local=\\*:10-20 overlaps local=\\*:1-10 \\(both given\\)" \
		tiu_a up la --endpoint 'local=*:1-10' --endpoint 'local=*:10-20'
	bad_input "bad mark" "'0xz' is not a mark" tiu_a up la --endpoint mark=0xz
	bad_input "mark value outside its mask" "the value 0x12 has bits outside the mask 0xf" \
		tiu_a up la --endpoint mark=0x12/0xf
	bad_input "two marks in up" "la: two mark selectors, mark=0x1 and mark=0x2: an interface takes one" \
		tiu_a up la --endpoint mark=1 --endpoint mark=2 --endpoint remote=$B4:$PORT
	bad_input "bad --xdp-mode" "bad --xdp-mode 'fast'" tiu_a up la --xdp-mode fast
	bad_input "endpoint add on an interface that is not up" "la: not up" \
		tiu_a endpoint add la remote=$B4:80
	bad_input "pin dir not on bpffs" "not on a bpffs" tiu_a up la --pin-dir "$H_WORK/pins"
	bad_input "not root" "needs root or CAP_BPF and CAP_NET_ADMIN" \
		timeout 10 nsenter --net=/run/netns/"$NA" setpriv --reuid=65534 --regid=65534 --clear-groups "$TIU" up la
	# detour name taken by something that is not tiu's
	in_a ip link add $DA type veth peer name $PA
	BASE_TAKEN=$(snapshot_a)
	local out rc
	out=$(up_a 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "$DA: exists but is not a tiu detour" <<<"$out" &&
		[ "$(snapshot_a)" = "$BASE_TAKEN" ]
	result $? "bad input: detour name taken by a foreign device" "$out"
	in_a ip link del $DA
	# foreign XDP program without the dispatcher
	in_a ip link set dev la xdpgeneric obj "$FOREIGN_XDP" sec xdp
	BASE_X=$(snapshot_a)
	out=$(up_a 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "another XDP program (foreign_xdp" <<<"$out" &&
		[ "$(snapshot_a)" = "$BASE_X" ]
	result $? "bad input: another non-dispatcher XDP program on the interface" "$out"
	in_a ip link set dev la xdpgeneric off
}

# endpoint_refused DESC PATTERN ARGS...: `tiu endpoint ARGS` exits 1 with a
# message matching PATTERN and leaves la's endpoint list as it was ($before).
endpoint_refused() {
	local desc=$1 pat=$2 out rc
	shift 2
	out=$(tiu_a endpoint "$@" 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "$pat" <<<"$out" && [ "$(tiu_a endpoint list la)" = "$before" ]
	result $? "$desc" "$out"
}

t_endpoint_errors() {
	up_a >/dev/null || { not_ok "endpoint errors (up failed)"; return; }
	local before out rc
	before=$(tiu_a endpoint list la)
	out=$(tiu_a endpoint add la remote=$B4:$PORT 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "duplicate endpoint remote=$B4:$PORT" <<<"$out" &&
		[ "$(tiu_a endpoint list la)" = "$before" ]
	result $? "bad input: duplicate endpoint on add" "$out"
	out=$(tiu_a endpoint del la remote=$B4:1234 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "no endpoint remote=$B4:1234 to delete" <<<"$out"
	result $? "bad input: missing endpoint on del" "$out"
	# all or nothing: the second endpoint is a duplicate, the first must not stay
	out=$(tiu_a endpoint add la local=*:9000 remote=$B4:$PORT 2>&1); rc=$?
	if [ $rc -ne 0 ] && [ "$(tiu_a endpoint list la)" = "$before" ]; then
		ok "endpoint add of several is all or nothing"
	else
		not_ok "endpoint add all or nothing"; tiu_a endpoint list la | diag
	fi
	tiu_a endpoint add la 'local=[::]:443' 'remote=[fd78::2]:80' '*:1' >/dev/null 2>&1
	tiu_a endpoint add la 'local=[::]:443' 'remote=[fd78::2]:80' local=0.0.0.0:444
	out=$(tiu_a endpoint list la | sort | tr '\n' ' ')
	[ "$out" = "local=*:443 local=*:444 remote=$B4:$PORT remote=[fd78::2]:80 " ]
	result $? "endpoint list: wildcards ([::], 0.0.0.0) and IPv6 round-trip"
	tiu_a down la --purge >/dev/null
}

t_stale_pins() {
	local dir out rc
	dir=$(pins_a)
	mkdir -p "$dir"
	bpftool map create "$dir/tiu_config" type array key 4 value 16 entries 1 name tiu_config
	out=$(up_a 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "stale pins from another version.*run \`tiu down la --purge\`" <<<"$out" &&
		! in_a ip link show $DA >/dev/null 2>&1
	result $? "stale pins (other map layout): clear error, nothing attached" "$out"
	tiu_a down la --purge >/dev/null
	mkdir -p "$dir"
	bpftool map create "$dir/tiu_config" type array key 4 value 8 entries 1 name tiu_config
	bpftool map update pinned "$dir/tiu_config" key 0 0 0 0 value 99 0 0 0 0 0 0 0
	out=$(up_a 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "stale pins from another version (ABI 99" <<<"$out"
	result $? "stale pins (other ABI version): clear error" "$out"
	tiu_a down la --purge >/dev/null && up_a >/dev/null && tiu_a down la --purge >/dev/null &&
		[ "$(snapshot_a)" = "$BASE" ]
	result $? "down --purge clears stale pins, up works again"
}

# Port ranges and the mark selector: list, port table, errors (all or
# nothing), status and --json, the mark warnings, keepalive entries.
t_ranges_marks() {
	local out rc before err bits p
	tiu_a up la --endpoint 'local=*:7100-7199' --endpoint "remote=$B4:$PORT" \
		--endpoint "remote=[$B6]:443-444" --endpoint mark=0x10/0xf0 >/dev/null 2>"$H_WORK/rm.err" ||
		{ not_ok "ranges and marks: up failed"; diag < "$H_WORK/rm.err"; return; }
	out=$(tiu_a endpoint list la | tr '\n' ' ')
	[ "$out" = "local=*:7100-7199 remote=$B4:$PORT remote=[$B6]:443-444 mark=0x10/0xf0 " ] &&
		! grep -q "mark=" "$H_WORK/rm.err"
	result $? "up with ranges and a mark: endpoint list prints them as given (FIRST-LAST, mark last), no mark warning" "$out"
	bits=
	for p in 7099 7100 7150 7199 7200 $PORT 442 443 444 445; do
		bits="$bits $p:$(bits_a $p | tr -d ' ' | sed 's/local=\(.\)local_any=\(.\)remote=\(.\)remote_any=\(.\)/\1\2\3\4/')"
	done
	[ "$bits" = " 7099:0000 7100:0100 7150:0100 7199:0100 7200:0000 $PORT:0010 442:0000 443:0010 444:0010 445:0000" ]
	result $? "port table: local_any on 7100-7199 only, remote on $PORT, 443, 444 (bits local,local_any,remote,remote_any:$bits)"
	before=$(tiu_a endpoint list la)
	out=$(tiu_a endpoint add la 'local=*:9000' 'local=*:7150-7250' 2>&1); rc=$?
	[ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
		grep -q "^tiu: la: endpoint local=\*:7150-7250 overlaps local=\*:7100-7199 (already there)" <<<"$out" &&
		[ "$(tiu_a endpoint list la)" = "$before" ] &&
		[ "$(bits_a 9000)" = "local=0 local_any=0 remote=0 remote_any=0" ] &&
		[ "$(bits_a 7250)" = "local=0 local_any=0 remote=0 remote_any=0" ]
	result $? "overlapping range on add: exit 1, one line naming both, nothing applied (list, port table)" "$out"
	endpoint_refused "the same range again: duplicate endpoint" \
		"duplicate endpoint local=\*:7100-7199 (already there" add la 'local=0.0.0.0:7100-7199'
	endpoint_refused "del of a port inside a range: exit 1, names the range, nothing deleted" \
		"cannot delete local=\*:7150: port 7150 belongs to the range local=\*:7100-7199, which goes as a whole" \
		del la 'local=*:7150'
	endpoint_refused "a second mark selector: exit 1, names the first" \
		"la has the mark selector mark=0x10/0xf0 already (one per interface)" add la mark=0x20
	endpoint_refused "a range larger than the room left: exit 1 before anything is written" \
		"remote=\*:1-65535 needs 65535 entries of the endpoint table (one per port), 65433 of 65536 are free" \
		add la 'remote=*:1-65535'
	# status, --json
	out=$(tiu_a status la)
	grep -qF "endpoints: local=*:7100-7199 remote=$B4:$PORT remote=[$B6]:443-444 mark=0x10/0xf0" <<<"$out" &&
		grep -qF "mark: 0x10/0xf0: egress TCP with this fwmark is tunnelled whatever its ports; incoming UDP is matched by the port endpoints only" <<<"$out" &&
		grep -q "^  slot: 0$" <<<"$out"
	result $? "status: ranges and the mark in the endpoint line, what the mark cannot do, the slot" "$out"
	tiu_iface_json "$NA" la | python3 -c '
import json, sys
i = json.load(sys.stdin)
want = ["local=*:7100-7199", "remote=" + sys.argv[1] + ":" + sys.argv[2], "remote=[" + sys.argv[3] + "]:443-444", "mark=0x10/0xf0"]
assert i["endpoints"] == want, i["endpoints"]
assert i["mark"] == {"value": 16, "mask": 240}, i["mark"]
assert i["slot"] == 0 and i["warnings"] == [], (i["slot"], i["warnings"])
# keepalive (default: remote= only): one entry per port of a range
assert i["keepalive"]["endpoints"] == 3, i["keepalive"]' "$B4" "$PORT" "$B6" 2>&1
	result $? "status --json: endpoints as list prints them, mark {value,mask}, slot; keepalive: 3 entries (a 2-port range and one port)"
	# del of ranges as given; the endpoint generation stepped by 2, to the
	# next even value (the programs' memo of exact endpoints, epgen.c)
	local gen0
	gen0=$(ep_gen_a)
	out=$(tiu_a endpoint del la 'local=*:7100-7199' "remote=[$B6]:443-444" 2>&1); rc=$?
	bits=$(for p in 7100 7150 7199 443 444; do bits_a $p; done | sort -u)
	[ $rc = 0 ] && [ "$(tiu_a endpoint list la | tr '\n' ' ')" = "remote=$B4:$PORT mark=0x10/0xf0 " ] &&
		[ "$bits" = "local=0 local_any=0 remote=0 remote_any=0" ] &&
		[ "$(bits_a $PORT)" = "local=0 local_any=0 remote=1 remote_any=0" ] &&
		[ -n "$gen0" ] && [ $((gen0 % 2)) = 0 ] && [ "$(ep_gen_a)" = $((gen0 + 2)) ]
	result $? "del of two ranges as added: gone from the list and the port table, the rest stays; the endpoint generation $gen0 -> $(ep_gen_a)" "$out"
	# the last port endpoint goes while the mark stays: one warning
	out=$(tiu_a endpoint del la "remote=$B4:$PORT" 2>&1); rc=$?
	[ $rc = 0 ] && [ "$(grep -c "warning: la: mark=0x10/0xf0 selects egress TCP by its mark, but incoming UDP is matched by address and port only (ingress cannot see the sender's mark): the last port endpoint is gone" <<<"$out")" = 1 ] &&
		tiu_a status la 2>&1 >/dev/null | grep -q "warning: la: mark=0x10/0xf0 selects egress TCP by its mark, but there is no port endpoint"
	result $? "the last port endpoint deleted while a mark stays: one warning line, and status warns" "$out"
	out=$(tiu_a endpoint del la mark=0x10/0xf0 2>&1) && [ -z "$(tiu_a endpoint list la)" ]
	result $? "del of the mark selector" "$out"
	tiu_a down la >/dev/null
	out=$(tiu_a up la --endpoint mark=16 2>&1 >/dev/null); rc=$?
	[ $rc = 0 ] && [ "$(grep -c "warning: la: mark=0x10 selects egress TCP by its mark, .*there is no port endpoint, so the peer's tunnelled replies stay UDP" <<<"$out")" = 1 ]
	result $? "up with a mark and no port endpoint: one warning line" "$out"
	out=$(tiu_a endpoint add la "remote=$B4:$PORT" 2>&1) && [ -z "$out" ]
	result $? "adding a port endpoint beside the mark: no warning" "$out"
	# a local range inside the ephemeral ports: warned, as a single port is
	p=$(in_a cat /proc/sys/net/ipv4/ip_local_port_range | awk '{ print $1 }')
	out=$(tiu_a endpoint add la "local=*:$((p - 10))-$((p + 5))" 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "warning: la: local=\*:$((p - 10))-$((p + 5)): ports $p-$((p + 5)) are inside net.ipv4.ip_local_port_range ($p-" <<<"$out"
	result $? "a local range overlapping ip_local_port_range: warning naming the ports inside" "$out"
	tiu_a down la --purge >/dev/null
	# every port: the table has room for one more; up of another interface
	# that needs more is refused before it changes anything
	local snap
	tiu_a up la --endpoint 'local=*:1-65535' >/dev/null 2>&1 &&
		[ "$(bits_a 1) $(bits_a 65535)" = "local=0 local_any=1 remote=0 remote_any=0 local=0 local_any=1 remote=0 remote_any=0" ]
	result $? "local=*:1-65535: every port's local_any bit set"
	snap=$(snapshot_a)
	out=$(tiu_a up lo --endpoint 'remote=*:1-10' 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^tiu: lo: remote=\*:1-10 needs 10 entries of the endpoint table (one per port), 1 of 65536 are free" <<<"$out" &&
		[ "$(snapshot_a)" = "$snap" ] && ! in_a ip link show tiu1d >/dev/null 2>&1
	result $? "up whose range does not fit the table: exit 1 before anything changes" "$out"
	tiu_a down la --purge >/dev/null
}

# Slots: given at up (the lowest free), freed at down, the statistics of
# a reused slot start at zero; port bits per slot; all 64 taken.
t_slots() {
	local out rc pd vs s ifs
	in_a ip link add ls0 type veth peer name ls1 && in_a ip link set ls0 up && in_a ip link set ls1 up
	h_tiu_track "$NA" ls0
	h_tiu_track "$NA" ls1
	up_a >/dev/null && tiu_a up ls0 --endpoint 'local=*:7300-7310' >/dev/null &&
		tiu_a endpoint add la 'local=*:7305-7320' >/dev/null ||
		{ not_ok "slots: up failed"; return; }
	pd=$(pins_a)
	[ "$(tiu_slot "$NA" la)" = 0 ] && [ "$(tiu_slot "$NA" ls0)" = 1 ] &&
		[ "$(tiu_port_words "$pd" 7300)" = "local=0 local_any=2 remote=0 remote_any=0" ] &&
		[ "$(tiu_port_words "$pd" 7305)" = "local=0 local_any=3 remote=0 remote_any=0" ] &&
		[ "$(tiu_port_words "$pd" 7320)" = "local=0 local_any=1 remote=0 remote_any=0" ]
	result $? "two interfaces: slots 0 and 1, one bit each in the port table" "$(tiu_port_words "$pd" 7305)"
	vs=$(bpftool -j map show pinned "$pd/tiu_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_value"])')
	VS_STATS=$vs
	tiu_a down la >/dev/null
	[ "$(tiu_port_words "$pd" 7305)" = "local=0 local_any=2 remote=0 remote_any=0" ] &&
		[ "$(tiu_port_words "$pd" 7320)" = "local=0 local_any=0 remote=0 remote_any=0" ] &&
		[ "$(tiu_a endpoint list ls0)" = "local=*:7300-7310" ]
	result $? "down la: its bits and endpoints gone, ls0's stay"
	# slot 0's statistics record as a crash might leave it: every counter 1 on every CPU
	bpftool map update pinned "$pd/tiu_stats" key 0 0 0 0 value $(for ((s = 0; s < vs / 8; s++)); do printf '1 0 0 0 0 0 0 0 '; done)
	up_a >/dev/null
	out=$(tiu_counters_nonzero "$NA" la)
	[ "$(tiu_slot "$NA" la)" = 0 ] && [ -z "$out" ]
	result $? "up la again: the lowest free slot (0), its statistics zeroed" "$out"
	# all 64 taken: slots 2..63 held by interfaces that no longer exist
	for ((s = 2; s < 64; s++)); do
		echo "map update pinned $pd/tiu_ifaces key $s 0 0 0 value $((s + 100)) 39 0 0 $(printf '0 %.0s' $(seq 20))"
	done | bpftool batch file - >/dev/null
	ifs=$(snapshot_a)
	out=$(tiu_a up ls1 --endpoint "remote=$B4:$PORT" 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^tiu: ls1: no free slot: 64 interfaces have tiu up with the pins in $pd (at most 64); some of them no longer exist" <<<"$out" &&
		[ "$(snapshot_a)" = "$ifs" ]
	result $? "all 64 slots taken: exit 1, a clear error, nothing changed" "$out"
	for ((s = 2; s < 64; s++)); do
		echo "map update pinned $pd/tiu_ifaces key $s 0 0 0 value $(printf '0 %.0s' $(seq 24))"
	done | bpftool batch file - >/dev/null
	tiu_a up ls1 >/dev/null && [ "$(tiu_slot "$NA" ls1)" = 2 ]
	result $? "a slot freed: up works again (slot 2)"
	tiu_a down ls1 >/dev/null; tiu_a down ls0 >/dev/null; tiu_a down la --purge >/dev/null
	in_a ip link del ls0
}

# Pins of the previous layout (ABI 4): the stale-pins error, from up and
# from the commands that only read.
t_stale_abi4() {
	local dir out rc abi bad=
	dir=$(pins_a)
	mkdir -p "$dir"
	bpftool map create "$dir/tiu_endpoints" type hash key 24 value 8 entries 65536 name tiu_endpoints flags 1 &&
	bpftool map create "$dir/tiu_stats" type percpu_hash key 4 value "${VS_STATS:-256}" entries 256 name tiu_stats &&
	bpftool map create "$dir/tiu_links" type hash key 4 value 16 entries 512 name tiu_links &&
	bpftool map create "$dir/tiu_config" type array key 4 value 8 entries 1 name tiu_config &&
	bpftool map update pinned "$dir/tiu_config" key 0 0 0 0 value 4 0 0 0 0 0 0 0 || bad="bpftool"
	out=$(up_a 2>&1); rc=$?
	abi=$("$TIU" --version | sed -n 's/.*(ABI \([0-9]*\)).*/\1/p') # the ABI changes with the counters
	[ $rc = 1 ] && [ -n "$abi" ] &&
		grep -q "^tiu: la: stale pins from another version (.* in $dir; this tiu has ABI $abi): run \`tiu down la --purge\`" <<<"$out" &&
		! in_a ip link show $DA >/dev/null 2>&1 && [ -z "$bad" ]
	result $? "pins of the ABI 4 layout: up gives the stale-pins error, nothing attached" "$out"
	out=$(tiu_a status 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "stale pins from another version" <<<"$out"
	result $? "pins of the ABI 4 layout: status gives the stale-pins error" "$out"
	tiu_a down la --purge >/dev/null
	# only tiu_stats of another map type (the ABI 4 per-CPU hash), sizes as now
	up_a >/dev/null && tiu_a down la >/dev/null && rm -f "$dir/tiu_stats" &&
		bpftool map create "$dir/tiu_stats" type percpu_hash key 4 value "$VS_STATS" entries 64 name tiu_stats
	out=$(tiu_a status 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "stale pins from another version (tiu_stats is type 5 key 4 value $VS_STATS entries 64, expected 6/4/$VS_STATS/64" <<<"$out"
	result $? "a map of another type only (tiu_stats per-CPU hash): stale pins" "$out"
	out=$(up_a 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "la: stale pins from another version (tiu_stats is type 5" <<<"$out"
	result $? "... and up refuses it too" "$out"
	tiu_a down la --purge >/dev/null && up_a >/dev/null && tiu_a down la --purge >/dev/null &&
		[ "$(snapshot_a)" = "$BASE" ]
	result $? "down --purge clears them, up works again"
}

# Every port-table bit of la (slot 0) at the ports of EP_PORTS belongs to
# an endpoint that `tiu endpoint list la` shows: local_any/remote_any to a
# wildcard local=*:/remote=* range holding the port, local/remote to one of
# an exact address. 0, or 1 with the bits that belong to nothing. With
# "clean": every one of those bits is 0. One bpftool (batch) for all ports.
EP_PORTS="7100 7103 7200 7300"
bits_listed() {
	local p
	for p in $EP_PORTS; do
		echo "map lookup pinned $(pins_a)/tiu_ports key $((p & 255)) $((p >> 8)) 0 0"
	done | bpftool -j batch file - >"$H_WORK/ep-bits.json" 2>&1
	{ [ "${1:-}" = clean ] || tiu_a endpoint list la; } | python3 -c '
import json, re, sys
eps = []
for line in sys.stdin:
    m = re.match(r"(local|remote)=(.*):(\d+)(?:-(\d+))?$", line.strip())
    if m:
        eps.append((m[1], m[2] == "*", int(m[3]), int(m[4] or m[3])))
bad = []
for r in json.load(open(sys.argv[1])):
    k = [int(x, 0) for x in r["command"][5:7]]
    port = k[0] | k[1] << 8
    v = r["output"]["formatted"]["value"]
    for role in ("local", "remote"):
        for anyw in (False, True):
            key = role + ("_any" if anyw else "")
            if v[key] & 1 and not any(e[0] == role and e[1] == anyw and e[2] <= port <= e[3] for e in eps):
                bad.append(f"{port}:{key}")
print(" ".join(bad))
sys.exit(1 if bad else 0)' "$H_WORK/ep-bits.json"
}

# kill -9 at each step of `endpoint add` and `endpoint del`: the datapath
# never matches an endpoint that `endpoint list` does not show.
t_kill9_endpoint() {
	local op step rc bad= out eps=("local=*:7100-7103" "remote=$B4:7200" "remote=*:7300") left
	up_a >/dev/null || { not_ok "kill -9 during endpoint add/del (up failed)"; return; }
	for op in add del; do
		for step in ep-unset ep-elem ep-elems ep-ports; do
			[ $op = add ] && [ $step = ep-unset ] && continue
			if [ $op = del ]; then
				tiu_a endpoint add la "${eps[@]}" >/dev/null || bad="$bad $op/$step(add failed)"
			fi
			tiu_crash $step "$NA" endpoint $op la "${eps[@]}" >/dev/null 2>&1; rc=$?
			[ $rc -eq 137 ] || bad="$bad $op/$step(rc $rc, no crash)"
			out=$(bits_listed) || bad="$bad $op/$step(bits of unlisted endpoints: $out)"
			# what the crash left listed goes with a plain del
			left=$(tiu_a endpoint list la | grep -vx "remote=$B4:$PORT")
			[ -z "$left" ] || tiu_a endpoint del la $left >/dev/null ||
				bad="$bad $op/$step(del of the rest failed)"
			[ "$(tiu_a endpoint list la)" = "remote=$B4:$PORT" ] && bits_listed clean >/dev/null ||
				bad="$bad $op/$step(not clean after del)"
		done
	done
	# the product has no crash hook: the same variable changes nothing
	TIU_TEST_CRASH_AT=ep-elem tiu_a endpoint add la "${eps[@]}" >/dev/null 2>&1; rc=$?
	out=$(tiu_a endpoint list la | sort | tr '\n' ' ')
	tiu_a down la --purge >/dev/null
	[ $rc = 0 ] && [ "$out" = "$(printf '%s\n' "remote=$B4:$PORT" "${eps[@]}" | sort | tr '\n' ' ')" ]
	result $? "tiu (not the test build) ignores TIU_TEST_CRASH_AT: endpoint add runs to the end" \
		"rc $rc, listed: $out"
	if [ -z "$bad" ]; then
		ok "kill -9 at each step of endpoint add (ep-elem ep-elems ep-ports) and del (ep-unset too): every port bit set is a listed endpoint's"
	else
		not_ok "kill -9 during endpoint add/del:$bad"
	fi
}

t_kill9() {
	local step rc bad=
	for step in pins detour links endpoints detour-prog decap egress; do
		tiu_crash $step "$NA" up la --endpoint remote=$B4:$PORT >/dev/null 2>&1; rc=$?
		[ $rc -eq 137 ] || bad="$bad $step(rc $rc, no crash)"
		tiu_a down la --purge >/dev/null 2>&1 || bad="$bad $step(down failed)"
		[ "$(snapshot_a)" = "$BASE" ] || bad="$bad $step(leftovers)"
	done
	if [ -z "$bad" ]; then
		ok "kill -9 at each step of up (pins detour links endpoints detour-prog decap egress), down --purge recovers"
	else
		not_ok "kill -9 during up:$bad"; diff <(echo "$BASE") <(snapshot_a) | diag
	fi
	# up after a crash without down: names the leftovers
	tiu_crash links "$NA" up la --endpoint remote=$B4:$PORT >/dev/null 2>&1
	local out
	out=$(up_a 2>&1)
	grep -q "left over from an interrupted \`tiu up\` (found: map entries, detour $DA)" <<<"$out"
	result $? "up after a crashed up names the leftovers and says to run down" "$out"
	tiu_a down la --purge >/dev/null
	# a real asynchronous kill at several moments
	bad=
	local snap delay
	for delay in 0.01 0.03 0.06 0.1 0.2; do
		# nsenter itself, not the ns_enter function: a function in the
		# background is a subshell, $! would be that subshell and the
		# kill would leave tiu running; nsenter execs tiu: $! is tiu
		nsenter --net="/run/netns/$NA" "$TIU" up la --endpoint remote=$B4:$PORT --decap tc >/dev/null 2>&1 &
		local pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		tiu_a down la --purge >/dev/null 2>&1 || bad="$bad $delay(down failed)"
		snap=$(snapshot_a)
		[ "$snap" = "$BASE" ] || { bad="$bad $delay(leftovers)"; diff <(echo "$BASE") <(echo "$snap") | diag; }
	done
	if [ -z "$bad" ]; then
		ok "kill -9 of up after 10-200 ms, down --purge recovers"
	else
		not_ok "async kill -9:$bad"; diff <(echo "$BASE") <(snapshot_a) | diag
	fi
}

t_foreign_left_alone() {
	in_a tc qdisc add dev la clsact
	in_a tc filter add dev la egress pref 1 handle 1 bpf da obj "$FOREIGN_TC" sec tc
	local before
	before=$(snapshot_a)
	if up_a --decap tc >/dev/null && tiu_a down la --purge >/dev/null &&
	   [ "$(snapshot_a)" = "$before" ]; then
		ok "an existing clsact qdisc and a foreign TC filter survive up/down"
	else
		not_ok "foreign clsact/filter"; diff <(echo "$before") <(snapshot_a) | diag
	fi
	in_a tc qdisc del dev la clsact
}

t_traffic() {
	up_a >/dev/null && tiu_b up lb --endpoint local=*:$PORT >/dev/null ||
		{ not_ok "traffic: up failed"; return; }
	local eps_before n=0 big=150000000
	eps_before=$(tiu_a endpoint list la)
	xfer $B4 $big > "$H_WORK/xfer.out" 2>&1 &
	local xpid=$!
	while kill -0 $xpid 2>/dev/null; do
		tiu_a endpoint add la remote=10.78.0.99:80 'remote=[fd78::99]:443' local=*:9$((n % 10))00 &&
		tiu_b endpoint add lb local=$B4:8080 &&
		tiu_a endpoint del la remote=10.78.0.99:80 'remote=[fd78::99]:443' local=*:9$((n % 10))00 &&
		tiu_b endpoint del lb local=$B4:8080 || break
		n=$((n + 1))
	done
	wait $xpid; local rc=$?
	diag < "$H_WORK/xfer.out"
	[ $rc -eq 0 ] && [ $n -gt 0 ] && [ "$(tiu_a endpoint list la)" = "$eps_before" ]
	result $? "TCP transfer through the tunnel intact (SHA-256 both ways) during $n endpoint add/del rounds"
	local det dec
	det=$(counter a detour_converted) dec=$(counter b dec_converted)
	[ "${det:-0}" -gt 0 ] && [ "${dec:-0}" -gt 0 ]
	result $? "counters moved: A detour_converted $det, B dec_converted $dec"
	# IPv6: a remote endpoint in brackets on A, the wildcard on B covers it
	local d6
	d6=$(counter b dec_converted)
	if tiu_a endpoint add la "remote=[$B6]:$PORT" && xfer $B6 3000000 > "$H_WORK/x6.out" 2>&1 &&
	   [ "$(counter b dec_converted)" -gt "$d6" ]; then
		ok "IPv6 transfer through the tunnel intact (remote=[$B6]:$PORT, local=*:$PORT)"
	else
		not_ok "IPv6 transfer"; diag < "$H_WORK/x6.out"
	fi
	tiu_a endpoint del la "remote=[$B6]:$PORT"
	# endpoints removed on both sides: the flow is plain TCP again
	tiu_a endpoint del la remote=$B4:$PORT && tiu_b endpoint del lb local=*:$PORT
	local before after bb ba rd=0
	before=$(counter a detour_converted) && bb=$(counter b dec_converted) || rd=1
	xfer $B4 200000 >/dev/null 2>&1; rc=$?
	after=$(counter a detour_converted) && ba=$(counter b dec_converted) || rd=1
	# rd: every counter was read (an unreadable one must not pass as unchanged)
	[ $rd = 0 ] && [ $rc -eq 0 ] && [ "$before" = "$after" ] && [ "$bb" = "$ba" ]
	result $? "after endpoint del on both sides, the flow passes as plain TCP (counters unchanged)"
	tiu_b endpoint add lb local=*:$PORT
	tiu_a endpoint add la remote=$B4:$PORT
	echo "# tiu status in namespace A:"; tiu_a status | diag
	echo "# tiu stats in namespace A:"; tiu_a stats | diag
}

# the programs' memo of exact endpoints off (an odd generation, as a
# deletion killed halfway leaves it): status says so in a line and in JSON;
# the next endpoint del that finishes turns it on
t_ep_memo_status() {
	local dir gen abi st sj
	dir=$(pins_a) gen=$(ep_gen_a)
	abi=$(bpftool -j map lookup pinned "$dir/tiu_config" key 0 0 0 0 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"]["abi_version"])')
	bpftool map update pinned "$dir/tiu_config" key 0 0 0 0 value $(python3 -c '
import struct, sys
print(" ".join(str(b) for b in struct.pack("=II", int(sys.argv[1]), int(sys.argv[2]) | 1)))' "$abi" "$gen")
	st=$(tiu_a status) sj=$(tiu_a status --json)
	if grep -q "^memo: $dir: the programs' memo of exact endpoints is off (endpoint generation $((gen | 1)) is odd" <<<"$st" &&
	   python3 -c 'import json, sys; d = json.loads(sys.argv[1])["pin_dirs"][0]; sys.exit(0 if d["ep_memo"] is False and d["ep_gen"] % 2 == 1 else 1)' "$sj"; then
		ok "an odd endpoint generation: status says the memo is off (text line, JSON ep_memo false)"
	else
		not_ok "status with an odd endpoint generation"; { echo "$st"; echo "$sj"; } | diag
	fi
	tiu_a endpoint add la remote=10.78.9.9:99 && tiu_a endpoint del la remote=10.78.9.9:99
	st=$(tiu_a status 2>&1) sj=$(tiu_a status --json)
	if [ "$(ep_gen_a)" = $(((gen | 1) + 1)) ] && ! grep -q "^memo:" <<<"$st" &&
	   python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1])["pin_dirs"][0]["ep_memo"] is True else 1)' "$sj"; then
		ok "the next endpoint del ends it: generation $(ep_gen_a), no memo line, ep_memo true"
	else
		not_ok "endpoint del after an odd generation"; { echo "gen $(ep_gen_a)"; echo "$st"; } | diag
	fi
}

t_json() {
	local sj st
	sj=$(tiu_a status --json) st=$(tiu_a status)
	if python3 -m json.tool <<<"$sj" >/dev/null &&
	   python3 - "$sj" "$st" <<-'EOF'
	import json, sys
	j, text = json.loads(sys.argv[1]), sys.argv[2]
	i = j["interfaces"][0]
	want = [f"pins: {j['pin_dir']} (ABI {j['abi_version']};",
	        f"{i['name']} (ifindex {i['ifindex']})",
	        f"xdp: {i['xdp']['prog']} id {i['xdp']['prog_id']}, {i['xdp']['mode']}, {i['xdp']['kind']}",
	        f"tc egress: {i['tc_egress']['prog']} id {i['tc_egress']['prog_id']}",
	        f"detour: {i['detour']['name']} (ifindex {i['detour']['ifindex']}) -> {i['detour']['peer']}",
	        "endpoints: " + " ".join(i["endpoints"])]
	missing = [w for w in want if w not in text]
	for m in missing: print("# missing in text:", m)
	sys.exit(1 if missing or len(j["interfaces"]) != 1 else 0)
	EOF
	then
		ok "status --json parses and matches the text output"
	else
		not_ok "status --json"; echo "$sj" | diag
	fi
	sj=$(tiu_a stats --json) st=$(tiu_a stats)
	if python3 -m json.tool <<<"$sj" >/dev/null &&
	   python3 - "$sj" "$st" <<-'EOF'
	import json, sys
	j, text = json.loads(sys.argv[1]), sys.argv[2]
	c = j["interfaces"][0]["counters"]
	rows = {l.split()[0]: int(l.split()[1]) for l in text.splitlines()[1:]}
	# counters only grow between the two reads: text >= json, same names
	bad = [k for k in c if k not in rows or rows[k] < c[k]]
	print("# differing:", bad) if bad else None
	sys.exit(1 if bad or set(rows) != set(c) or len(c) < 20 else 0)
	EOF
	then
		ok "stats --json parses and matches the text output ($(grep -c '^  ' <<<"$st") counters)"
	else
		not_ok "stats --json"; echo "$sj" | diag
	fi
	st=$(timeout 5 nsenter --net=/run/netns/"$NA" "$TIU" stats --watch 1 --json | head -2)
	if [ "$(wc -l <<<"$st")" = 2 ] && tail -1 <<<"$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "rates" in d["interfaces"][0] and d["interval"] > 0'; then
		ok "stats --watch 1 --json: a sample per interval with rates"
	else
		not_ok "stats --watch"; echo "$st" | diag
	fi
}

t_netns_isolation() {
	local sa sb
	sa=$(tiu_a status --json) sb=$(tiu_b status --json)
	if python3 - "$sa" "$sb" <<-'EOF'
	import json, sys
	a, b = (json.loads(x) for x in sys.argv[1:])
	names = lambda s: [i["name"] for i in s["interfaces"]]
	ok = names(a) == ["la"] and names(b) == ["lb"] and a["pin_dir"] != b["pin_dir"] \
	     and "/netns-" in a["pin_dir"]
	sys.exit(0 if ok else 1)
	EOF
	then
		ok "two namespaces: own pin directories, status shows only its own interface"
	else
		not_ok "netns isolation"; echo "$sa $sb" | diag
	fi
}

t_ip_netns_exec() {
	local out
	out=$(in_a "$TIU" status la)
	grep -q "xdp: tiu_xdp_decap" <<<"$out" && grep -q "endpoints: remote=$B4:$PORT" <<<"$out"
	result $? "ip netns exec (hides /sys/fs/bpf) sees the pins made through nsenter" "$out"
}

t_xdp_loader() {
	# tiu's XDP program replaced by the same object loaded with xdp-loader
	local dir before after out
	dir=$(pins_a)
	timeout 10 nsenter --net=/run/netns/"$NB" xdp-loader unload lb --all &&
	timeout 10 nsenter --net=/run/netns/"$NB" xdp-loader load -p "$(pins_of b)" lb "$BUILD/tiu_xdp.bpf.o"
	out=$(tiu_b status lb)
	before=$(counter b dec_converted)
	xfer $B4 300000 > "$H_WORK/xl.out" 2>&1; local rc=$?
	diag < "$H_WORK/xl.out"
	after=$(counter b dec_converted)
	grep -q "xdp: tiu_xdp_decap" <<<"$out" && [ $rc -eq 0 ] && [ "$after" -gt "$before" ]
	result $? "xdp-loader load -p PINDIR lb tiu_xdp.bpf.o: same maps (transfer intact, dec_converted $before -> $after)" "$out"
	tiu_b down lb >/dev/null && ! in_b ip link show lb | grep -q xdp
	result $? "tiu down removes the xdp-loader-attached tiu program too"
	tiu_a down la --purge >/dev/null
	tiu_b down lb --purge >/dev/null
}

t_config() {
	cat > "$H_WORK/la.conf" <<-EOF
	# tiu configuration for la
	endpoint remote=$B4:$PORT   # the server
	endpoint local=*:7100
	endpoint remote=[$B6]:8000-8010
	endpoint mark=0x10/0xf0    # marked TCP too

	decap tc
	EOF
	tiu_a up la --config "$H_WORK/la.conf" >/dev/null &&
		[ "$(tiu_a endpoint list la | tr '\n' ' ')" = "local=*:7100 remote=$B4:$PORT remote=[$B6]:8000-8010 mark=0x10/0xf0 " ] &&
		tiu_a status la | grep -q "tc ingress: tiu_tc_decap"
	result $? "up --config FILE: endpoints (a range, a mark) and options, comments ignored"
	tiu_a down la --purge >/dev/null
	echo "xdp-mode turbo" > "$H_WORK/bad.conf"
	bad_input "bad line in the config file" "bad.conf:1" tiu_a up la --config "$H_WORK/bad.conf"
}

t_dispatcher() {
	local why
	why=$(tiu_a status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("" if d["dispatcher_possible"] else d["dispatcher_note"])')
	if [ -n "$why" ]; then
		skip "libxdp dispatcher: tiu joins a foreign program" "$why"
		return
	fi
	timeout 10 nsenter --net=/run/netns/"$NA" xdp-loader load -m skb la "$FOREIGN_XDP"
	up_a --xdp-mode skb >/dev/null && tiu_a status la | grep -q "libxdp dispatcher (2 programs)" &&
		tiu_a down la --purge >/dev/null &&
		timeout 10 nsenter --net=/run/netns/"$NA" xdp-loader status la | grep -q foreign_xdp
	result $? "libxdp dispatcher: tiu joins a foreign program and leaves it on down"
	timeout 10 nsenter --net=/run/netns/"$NA" xdp-loader unload la --all
}

t_xdp_modes() {
	# lo has no native XDP: native must fail with the hint, auto must warn once
	local out rc
	out=$(tiu_a up lo --xdp-mode native --endpoint remote=$B4:9 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "lo: native XDP attach failed: .*try --xdp-mode skb" <<<"$out" &&
		! in_a ip link show tiu1d >/dev/null 2>&1 && ! in_a ip link show lo | grep -q xdp
	result $? "--xdp-mode native on a driver without it: names the reason, suggests skb, undoes all" "$out"
	out=$(tiu_a up lo --endpoint remote=$B4:9 2>&1 >/dev/null); rc=$?
	[ $rc -eq 0 ] && [ "$(grep -c "warning: lo: native XDP not available" <<<"$out")" = 1 ] &&
		tiu_a status lo | grep -q "xdp: tiu_xdp_decap id [0-9]*, skb"
	result $? "--xdp-mode auto falls back to skb with one warning line" "$out"
	tiu_a down lo --purge >/dev/null
}

t_concurrent_and_vanished() {
	local r1 r2 out
	in_a ip link add lx0 type veth peer name lx1 && in_a ip link set lx0 up && in_a ip link set lx1 up
	ns_enter "$NA" "$TIU" up lx0 --endpoint remote=$B4:9 >"$H_WORK/c1" 2>&1 & local p1=$!
	ns_enter "$NA" "$TIU" up lx0 --endpoint remote=$B4:9 >"$H_WORK/c2" 2>&1 & local p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	if [ $((r1 + r2)) = 1 ] && grep -q "already up" "$H_WORK/c1" "$H_WORK/c2" &&
	   tiu_a status lx0 | grep -q "xdp: tiu_xdp_decap" &&
	   [ "$(in_a ip -o link show | grep -c 'tiu[0-9]*d@')" = 1 ]; then
		ok "two concurrent up: one wins, the other waits and says already up"
	else
		not_ok "concurrent up (rc $r1/$r2)"; cat "$H_WORK/c1" "$H_WORK/c2" | diag
	fi
	in_a ip link del lx0
	out=$(tiu_a down lx0 --purge 2>&1)
	[ $? = 0 ] && ! in_a ip -o link show | grep -q 'tiu[0-9]*[dp]@' && [ ! -e "$(pins_a)" ]
	result $? "interface deleted while up: down --purge removes its detour (by alias) and the pins" "$out"
}

t_unit() {
	local unit=$H_WORK/tiu@.service
	sed "s|@SBINDIR@|$(dirname "$TIU")|g" "$ROOT/packaging/systemd/tiu@.service" > "$unit"
	if ! command -v systemd-analyze >/dev/null; then
		skip "tiu@.service passes systemd-analyze verify" "systemd-analyze not installed"
	elif out=$(systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
		ok "tiu@.service passes systemd-analyze verify"
	else
		not_ok "tiu@.service: systemd-analyze verify"; echo "$out" | diag
	fi
}

t_help() {
	local c bad=
	for c in up down endpoint status stats; do
		"$TIU" $c --help | grep -q "usage: tiu $c" || bad="$bad $c"
	done
	"$TIU" --help | grep -q "/sys/fs/bpf/tiu/netns-ID" || bad="$bad main(pins)"
	if [ -z "$bad" ]; then ok "--help of every subcommand"; else not_ok "--help:$bad"; fi
}

run_test t_help
run_test t_round_trip
run_test t_detour_settings
tiu_a down la --purge >/dev/null
run_test t_up_twice
run_test t_bad_inputs
run_test t_endpoint_errors
run_test t_stale_pins
run_test t_ranges_marks
run_test t_slots
run_test t_stale_abi4
run_test t_kill9
run_test t_kill9_endpoint
run_test t_foreign_left_alone
run_test t_config
run_test t_traffic
run_test t_json
run_test t_ep_memo_status
run_test t_netns_isolation
run_test t_ip_netns_exec
run_test t_dispatcher
run_test t_xdp_loader
run_test t_xdp_modes
run_test t_unit
run_test t_concurrent_and_vanished
if [ "$(snapshot_a)" = "$BASE" ]; then ok "at the end, namespace A is as it was"; else not_ok "leftovers at the end"; fi

tap_done
