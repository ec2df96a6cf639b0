#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# select.t - what tiu tunnels, chosen by a port range or by a packet mark,
# end to end through the TCP-dropping middlebox of tests/e2e/lib.sh (client,
# middlebox, server; tiu on both ends through the real loader). Every
# tunnelled transfer is judged by tests/e2e/verdict.py (SHA-256 both ways,
# every packet on the middlebox links UDP with valid checksums, tiu's
# counters equal to the captures); every connection tiu must leave alone
# fails at the middlebox, and the client's enc_pass equals what the
# middlebox dropped.
#
# 1. Port range: client remote=SERVER:7000-7099 (IPv4 and IPv6), server
#    local=*:7000-7099 with TC decap; transfers to the first, a middle and
#    the last port; ports 6999 and 7100 are not tunnelled.
# 2. Mark: the client's c0 holds only mark=0x100 and replies come back
#    through its second link c1 (the middlebox routes the client's c0
#    addresses there), which holds the port endpoint for the return
#    traffic: so the mark is the only reason c0 tunnels anything. A socket
#    with SO_MARK 0x100 is tunnelled, 0x1ff and unmarked ones are not;
#    through a middlebox that passes TCP an unmarked connection crosses as
#    TCP one way while the server still tunnels its replies (the server's
#    local=*:PORT knows nothing of the client's mark). Then mark=0x100/0xf00
#    (tiu endpoint del/add): an nftables rule marks 0x1ff, tunnelled (IPv6);
#    SO_MARK 0x200 is not.
# About 22 s of CPU; 68-114 s of wall time measured on a 2-CPU VM with
# other tests running. SEL_BYTES (default 2000000) bytes each way per
# transfer; E2E_KEEP=1 keeps the work directory (captures of failed runs
# are kept).
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

BYTES=${SEL_BYTES:-2000000}
RANGE_FIRST=7000 RANGE_LAST=7099
MARK_PORT=7201

need_root
need_tiu
need_cmd tcpdump nft ethtool nstat python3 nsenter

tap_plan 20
e2e_init
T0=$SECONDS
topo_up || bail "topology"
mbox droptcp || bail "middlebox rules"

# ------------------------------------------------------------- helpers --

# The middlebox's TCP drops so far.
mbox_dropped() { in_ns $R nft list ruleset | sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* drop.*/\1/p' | head -n 1; }

# counters_json NS IFACE: tiu's counters of IFACE as one JSON object.
counters_json() { local j; j=$(tiu_stats_json "$1" "$2") || return 1; sed -n 's/.*"counters":\({[^}]*}\).*/\1/p' <<<"$j"; }

# jget JSON NAME: one counter of a counters_json object (0 when absent).
jget() { local v; v=$(grep -o "\"$2\":[0-9]*" <<<"$1" | cut -d: -f2); echo "${v:-0}"; }

# sel_run LABEL FAMILY IFACES UDP_LINKS [XFER OPTIONS...]: a tunnelled
# transfer of BYTES each way to $PORT while tiu is up, captures on the
# links of UDP_LINKS, judged by verdict.py (IFACES: its --ifaces).
sel_run() {
	local lab=$1 fam=$2 ifaces=$3 links=$4 l caps=
	shift 4
	for l in ${links//,/ }; do caps+=" $R:$l"; done
	E2E_CAP_LINKS=$caps e2e_measure "$lab" "$fam" tcp "$BYTES" 60 "$ifaces" "$@" || return 1
	e2e_verdict "$lab" "$BYTES" --peer "$([ "$fam" = 6 ] && echo $CLI6 || echo $CLI4)" \
		--ifaces "$ifaces" --udp-links "$links"
}

# sel_untunnelled LABEL FAMILY [XFER OPTIONS...]: a connection to $PORT
# that tiu on c0 must leave alone. Through the TCP-dropping middlebox it
# never connects; c0 passed every segment it saw as TCP (enc_pass) and
# converted none, the middlebox dropped exactly those, and tiu on the
# server saw nothing at all.
sel_untunnelled() {
	local lab=$1 fam=$2 c0a c0b s0a s0b d0 d1 err pass conv n
	shift 2
	c0a=$(counters_json $C c0) s0a=$(counters_json $S s0) d0=$(mbox_dropped)
	xfer_run "$lab" "$fam" tcp 100000 5 --connect-timeout 2 "$@" >/dev/null 2>&1
	c0b=$(counters_json $C c0) s0b=$(counters_json $S s0) d1=$(mbox_dropped)
	err=$(xfer_field "$lab" client error 2>/dev/null)
	pass=$(($(jget "$c0b" enc_pass) - $(jget "$c0a" enc_pass)))
	conv=0
	for n in enc_converted enc_detoured detour_converted; do
		conv=$((conv + $(jget "$c0b" $n) - $(jget "$c0a" $n)))
	done
	echo "# $lab: client ${err:-connected}; c0 enc_pass +$pass, converted or detoured +$conv;" \
		"middlebox dropped +$((d1 - d0)) TCP; server's counters $([ -n "$s0a" ] && [ "$s0a" = "$s0b" ] && echo unchanged || echo CHANGED)"
	[ -n "$err" ] || { echo "# $lab: the connection crossed a middlebox that drops TCP" >&2; return 1; }
	[ "$pass" -ge 1 ] && [ "$conv" = 0 ] && [ "$pass" = $((d1 - d0)) ] || return 1
	[ -n "$s0a" ] && [ "$s0a" = "$s0b" ]
}

# ------------------------------------------------------ 1. port range --

range_up() {
	PORT=$RANGE_FIRST
	tiu_up $C c0 --decap xdp --xdp-mode native \
		--endpoint "remote=$SRV4:$RANGE_FIRST-$RANGE_LAST" --endpoint "remote=[$SRV6]:$RANGE_FIRST-$RANGE_LAST" &&
		tiu_up $S s0 --decap tc --endpoint "local=*:$RANGE_FIRST-$RANGE_LAST"
}

# The range as the user wrote it, once per endpoint, in `tiu endpoint list`.
range_listed() {
	local out
	out=$(tiu_in $C endpoint list c0 2>&1; tiu_in $S endpoint list s0 2>&1)
	echo "$out" | sed 's/^/# /'
	grep -qF "remote=$SRV4:$RANGE_FIRST-$RANGE_LAST" <<<"$out" &&
		grep -qF "remote=[$SRV6]:$RANGE_FIRST-$RANGE_LAST" <<<"$out" &&
		grep -qF "local=*:$RANGE_FIRST-$RANGE_LAST" <<<"$out"
}

t_range() {
	local port fam tx r
	note "port range: client c0 remote=$SRV4:$RANGE_FIRST-$RANGE_LAST and [$SRV6], server s0 local=*:$RANGE_FIRST-$RANGE_LAST (TC decap)"
	range_up
	result $? "range: tiu up with remote=ADDR:$RANGE_FIRST-$RANGE_LAST (IPv4, IPv6) and local=*:$RANGE_FIRST-$RANGE_LAST"
	range_listed
	result $? "range: tiu endpoint list shows each range as written"
	# port family sender-TX-offload: the first, a middle and the last port
	for r in "$RANGE_FIRST 4 on" "7050 4 off" "$RANGE_LAST 4 on" "$RANGE_FIRST 6 off" "$RANGE_LAST 6 on"; do
		set -- $r
		PORT=$1 fam=$2 tx=$3
		set_txcsum "$tx"
		sel_run range-v$fam-$PORT "$fam" c0:rc:client,s0:rs:server rc,rs
		result $? "range: IPv$fam transfer to port $PORT, TX offload $tx: tunnelled both ways, sha256 equal, counters = captures"
	done
	set_txcsum on
	PORT=$((RANGE_LAST + 1))
	sel_untunnelled range-out-v4-$PORT 4
	result $? "range: port $PORT (one past the range) is not tunnelled: dropped as TCP, counted in enc_pass"
	PORT=$((RANGE_FIRST - 1))
	sel_untunnelled range-out-v6-$PORT 6
	result $? "range: IPv6 port $PORT (one before the range) is not tunnelled: dropped as TCP, counted in enc_pass"
	tiu_down_all
}

# ----------------------------------------------------------- 2. marks --

# Replies to the client's c0 addresses come back through c1: the middlebox
# routes them to c1's addresses; the client takes them (any local address
# on any interface, no reverse-path filter).
asym_on() {
	in_ns $C sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.c0.rp_filter=0 net.ipv4.conf.c1.rp_filter=0 &&
		ip -n $R route add $CLI4/32 via $CLI4B dev rc2 &&
		ip -n $R -6 route add $CLI6/128 via $CLI6B dev rc2 || return 1
	ip -n $R route get $CLI4 | grep -q 'dev rc2' && ip -n $R -6 route get $CLI6 | grep -q 'dev rc2' &&
		ip -n $C route get $SRV4 | grep -q 'dev c0' && ip -n $C -6 route get $SRV6 | grep -q 'dev c0'
}
asym_off() { ip -n $R route del $CLI4/32; ip -n $R -6 route del $CLI6/128; }

MARK_IFACES=c0:rc:client/out,c1:rc2:client/in,s0:rs:server

mark_up() {
	PORT=$MARK_PORT
	tiu_up $C c0 --endpoint mark=0x100 &&
		tiu_up $C c1 --endpoint "remote=$SRV4:$PORT" --endpoint "remote=[$SRV6]:$PORT" &&
		tiu_up $S s0 --endpoint "local=*:$PORT"
}

# An nftables rule in the client that marks its TCP to $PORT (both families).
nft_mark() { # VALUE | off
	in_ns $C nft delete table inet selmark 2>/dev/null
	[ "$1" = off ] && return 0
	in_ns $C nft -f - <<-NFT
		table inet selmark {
			chain out {
				type route hook output priority mangle; policy accept;
				tcp dport $PORT counter meta mark set $1
			}
		}
	NFT
}
nft_marked() { in_ns $C nft list table inet selmark | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'; }

# Through a middlebox that passes TCP: an unmarked connection crosses as
# TCP from the client (c0 leaves it alone) while the server tunnels its
# replies by its port, and c1 turns them back into TCP. Captured on the
# middlebox: rc only TCP to the port, rc2 only UDP from it, every checksum
# valid (sender TX offload off); c0 passed them (enc_pass counts skbs, a
# GSO skb once), c1's dec_converted equals the capture on rc2, the server
# converted what rc2 saw and decapsulated nothing.
half_tunnel() {
	local lab=unmarked-passing a b rc_tcp rc_udp rc2_tcp rc2_udp rc_ok ok=0
	mbox none || return 1
	set_txcsum off
	a=$(counters_json $C c0; counters_json $C c1; counters_json $S s0)
	E2E_CAP_LINKS="$R:rc $R:rc2" cap_start $lab || { mbox droptcp; set_txcsum on; return 1; }
	xfer_run $lab 4 tcp 1000000 30
	cap_stop
	b=$(counters_json $C c0; counters_json $C c1; counters_json $S s0)
	mbox droptcp
	set_txcsum on
	xfer_ok $lab || ok=1
	python3 tests/e2e/pcapcheck.py --port $PORT --expect tcp "$WORK/$lab.rc.pcap" >"$WORK/$lab.rc.json"
	python3 tests/e2e/pcapcheck.py --port $PORT --expect udp "$WORK/$lab.rc2.pcap" >"$WORK/$lab.rc2.json" || ok=1
	read -r rc_tcp rc_udp rc2_tcp rc2_udp rc_ok < <(python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
t = a["total"]
print(t["tcp"], t["udp"], b["total"]["tcp"], b["total"]["udp"], int(t["tcp_bad"] == 0 and t["ipv4_hdr_bad"] == 0))
' "$WORK/$lab.rc.json" "$WORK/$lab.rc2.json")
	python3 - "$rc_tcp" "$rc_udp" "$rc2_tcp" "$rc2_udp" "$rc_ok" "$E2E_CAP_MISSED" $a $b <<'PY' || ok=1
import json, sys
rc_tcp, rc_udp, rc2_tcp, rc2_udp, rc_ok, missed = map(int, sys.argv[1:7])
a = [json.loads(x) for x in sys.argv[7:10]]
b = [json.loads(x) for x in sys.argv[10:13]]
d = [{k: y.get(k, 0) - x.get(k, 0) for k in y} for x, y in zip(a, b)]
c0, c1, s0 = d
conv = lambda x: x.get('enc_converted', 0) + x.get('detour_converted', 0)
checks = [
    (rc_tcp > 0 and rc_udp == 0 and rc_ok, 'rc (client -> server): %d TCP, all checksums valid, %d UDP' % (rc_tcp, rc_udp)),
    (rc2_udp > 0 and rc2_tcp == 0, 'rc2 (server -> client): %d UDP, %d TCP' % (rc2_udp, rc2_tcp)),
    (missed == 0, 'captures complete (%d missed)' % missed),
    # enc_pass counts skbs at TC egress: a GSO skb is one there and is
    # segmented after it, so the wire shows as many packets or more
    (1 <= c0.get('enc_pass', 0) <= rc_tcp and conv(c0) == 0 and c0.get('enc_detoured', 0) == 0,
     'c0 (mark only): enc_pass +%d skbs for %d TCP packets on rc, converted %d'
     % (c0.get('enc_pass', 0), rc_tcp, conv(c0))),
    (c1.get('dec_converted', 0) == rc2_udp, 'c1 (return endpoint): dec_converted +%d = UDP on rc2' % c1.get('dec_converted', 0)),
    (conv(s0) == rc2_udp and s0.get('dec_converted', 0) == 0,
     's0 (local=*:PORT): converted +%d = UDP on rc2, dec_converted +%d' % (conv(s0), s0.get('dec_converted', 0))),
]
for good, what in checks:
    print('#   %s %s' % ('ok  ' if good else 'FAIL', what))
sys.exit(0 if all(g for g, _ in checks) else 1)
PY
	[ $ok = 0 ] && [ "${E2E_KEEP:-0}" != 1 ] && rm -f "$WORK/$lab".*.pcap
	return $ok
}

t_mark() {
	local warn n0 n1 r
	note "mark: client c0 mark=0x100 only, c1 remote=$SRV4:$MARK_PORT and [$SRV6] (replies come back through c1), server s0 local=*:$MARK_PORT"
	asym_on
	result $? "mark: replies to the client's c0 addresses are routed through c1"
	mark_up
	result $? "mark: tiu up c0 --endpoint mark=0x100"
	warn=$(grep -i 'mark' "$H_WORK/tiu-up.$C.c0.log" | grep -i 'warn')
	echo "# tiu up c0: ${warn:-no warning}"
	[ -n "$warn" ]
	result $? "mark: tiu up warns that c0's mark has no port endpoint for the return traffic"
	sel_run mark-v4-so-mark 4 $MARK_IFACES rc,rc2,rs --mark 0x100
	result $? "mark: IPv4 socket with SO_MARK 0x100 (mark=0x100): tunnelled by the mark alone, sha256 equal, counters = captures"
	sel_untunnelled mark-v4-0x1ff 4 --mark 0x1ff
	result $? "mark: SO_MARK 0x1ff is not mark=0x100: not tunnelled, dropped as TCP, counted in enc_pass"
	sel_untunnelled mark-v4-unmarked 4
	result $? "mark: an unmarked connection to the same port is not tunnelled by c0; the server's tiu never sees it"
	half_tunnel
	result $? "mark: through a middlebox that passes TCP, an unmarked connection crosses as TCP one way, the server still tunnels its replies (by port), c1 decapsulates them"

	{ tiu_in $C endpoint del c0 mark=0x100 && tiu_in $C endpoint add c0 mark=0x100/0xf00; } 2>&1 | sed 's/^/# /'
	result "${PIPESTATUS[0]}" "mark: tiu endpoint del c0 mark=0x100, endpoint add c0 mark=0x100/0xf00"
	nft_mark 0x1ff
	n0=$(nft_marked)
	set_txcsum off
	sel_run mark-v6-nft-0x1ff 6 $MARK_IFACES rc,rc2,rs
	r=$?
	set_txcsum on
	n1=$(nft_marked)
	echo "# packets the nftables rule marked 0x1ff: $n0 -> $n1"
	[ $r = 0 ] && [ "${n1:-0}" -gt "${n0:-0}" ]
	result $? "mark: IPv6, nftables marks 0x1ff, mark=0x100/0xf00, TX offload off: tunnelled, sha256 equal, counters = captures"
	nft_mark off
	sel_untunnelled mark-v6-0x200 6 --mark 0x200
	result $? "mark: SO_MARK 0x200 under mark=0x100/0xf00 is not tunnelled (IPv6)"
	sel_untunnelled mark-v4-unmarked-masked 4
	result $? "mark: unmarked under mark=0x100/0xf00 is not tunnelled"
	tiu_down_all
	asym_off
}

run_test t_range
run_test t_mark

note "select.t: $((SECONDS - T0)) s wall"
tap_done
