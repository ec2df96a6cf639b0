#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/pmtu.t - a path with a smaller MTU through tiu (TAP).
#
# client (c0) --- (r0) router (r1) --- (s0) server
#   10.71.1.2        .1      10.71.2.1        .2
#   fd71:1::2        ::1     fd71:2::1        ::2
#
# The router forwards, drops every TCP packet (so only what tiu tunnels
# crosses it) and forwards at most 1400 bytes (IPv4) / 1280 bytes (IPv6)
# either way (route MTUs, see set_mtu). Both ends' 1500-byte packets hit it;
# the router answers "fragmentation needed" / "packet too big" quoting them
# in their UDP form. tiu (client: XDP or TC decap; server: XDP) must turn the
# quote back into TCP so that each end's TCP lowers its MSS.
#
# Each run: 20 MB each way (PMTU_BYTES) with equal SHA-256, the MTU the
# routes of both ends learned (`ip route get`), tiu's dec_icmp_translated, a
# capture of the client-side link in which every packet on the tunnelled
# port is valid UDP (tests/e2e/pcapcheck.py).
#
# MSS clamp: the router also drops the ICMP errors (nft) - a black hole that
# no translation can fix. Without --mss the transfer stalls (control); with
# `tiu up --mss` on the client it completes and the tunnelled SYN on the wire
# carries the clamped MSS.
set -u
. "$(dirname "$0")/lib/harness.sh"

BYTES=${PMTU_BYTES:-20000000}
PORT=5201
CLI4=10.71.1.2 SRV4=10.71.2.2 CLI6=fd71:1::2 SRV6=fd71:2::2

need_root
need_tiu
need_cmd nsenter ip nft tcpdump python3 timeout

h_init tiup
h_watchdog 600
# as root a setup that fails is a failure (bail), never a skip
h_ns C c && h_ns R r && h_ns S s || bail "cannot create the namespaces tiup-$$-c/r/s"
{
	h_veth "$C" c0 "$R" r0 && h_veth "$R" r1 "$S" s0 &&
		h_addr "$C" c0 $CLI4/24 $CLI6/64 && h_addr "$R" r0 10.71.1.1/24 fd71:1::1/64 &&
		h_addr "$R" r1 10.71.2.1/24 fd71:2::1/64 && h_addr "$S" s0 $SRV4/24 $SRV6/64 &&
		ip -n "$C" route add default via 10.71.1.1 && ip -n "$C" -6 route add default via fd71:1::1 &&
		ip -n "$S" route add default via 10.71.2.1 && ip -n "$S" -6 route add default via fd71:2::1 &&
		in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
} || bail "cannot build the topology (veth pairs, addresses, routes, forwarding in $R)"
in_ns "$R" nft -f - <<EOF || bail "nft: cannot load the table tiu_pmtu in the router namespace $R"
add table inet tiu_pmtu
add chain inet tiu_pmtu forwarded { type filter hook forward priority 0; }
add rule inet tiu_pmtu forwarded meta l4proto tcp counter drop
add chain inet tiu_pmtu sent { type filter hook output priority 0; }
EOF

# The path MTU through the router, both ways: IPv4 $1, IPv6 $2. Route MTUs
# (ip_dst_mtu_maybe_forward() and ip6_dst_mtu_maybe_forward() honour them
# when forwarding), so that every interface keeps MTU 1500: with the server's
# own interface at 1400 the MSS of its SYN-ACK would already fit the path and
# hide the bottleneck. Both ends forget what they learned.
set_mtu() {
	ip -n "$R" route replace 10.71.2.0/24 dev r1 mtu "$1" &&
		ip -n "$R" route replace 10.71.1.0/24 dev r0 mtu "$1" &&
		ip -n "$R" -6 route replace fd71:2::/64 dev r1 metric 256 mtu "$2" &&
		ip -n "$R" -6 route replace fd71:1::/64 dev r0 metric 256 mtu "$2" &&
		ip -n "$C" route flush cache && ip -n "$C" -6 route flush cache &&
		ip -n "$S" route flush cache && ip -n "$S" -6 route flush cache
}
# The router drops the ICMP errors it would send (1) or not (0).
drop_icmp() {
	in_ns "$R" nft flush chain inet tiu_pmtu sent &&
		if [ "$1" = 1 ]; then
			in_ns "$R" nft add rule inet tiu_pmtu sent icmp type destination-unreachable counter drop &&
				in_ns "$R" nft add rule inet tiu_pmtu sent icmpv6 type packet-too-big counter drop
		fi
}

# tiu on both ends: the client with decap MODE (native|tc); more options to both.
ends_up() {
	local mode=$1 dec
	shift
	case $mode in
	native) dec=(--decap xdp --xdp-mode native) ;;
	tc) dec=(--decap tc) ;;
	esac
	tiu_up "$C" c0 "${dec[@]}" --endpoint "remote=$SRV4:$PORT" --endpoint "remote=[$SRV6]:$PORT" "$@" &&
		tiu_up "$S" s0 --endpoint "local=*:$PORT" "$@"
}

# A capture of the router's client-side link (r0), whole packets with a big
# ring; cap_stop sets CAP_MISSED to the packets the kernel dropped from it.
cap_start() {
	rm -f "$H_WORK/$1.pcap" "$H_WORK/$1.pcap.log"
	ip netns exec "$R" timeout 120 tcpdump -i r0 -n -U -s 0 -B 65536 -w "$H_WORK/$1.pcap" \
		"udp port $PORT or tcp port $PORT or icmp or icmp6" 2>"$H_WORK/$1.pcap.log" &
	CAP=$!
	H_PIDS+=("$CAP")
	CAP_LOG=$H_WORK/$1.pcap.log
	for _ in $(seq 100); do grep -q listening "$CAP_LOG" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
cap_stop() {
	sleep 1.2 # TPACKET_V3 hands over a partly filled block after its timeout
	kill -INT "$CAP" 2>/dev/null
	h_wait "$CAP" 2>/dev/null
	CAP_MISSED=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$CAP_LOG")
}

# The MTU of namespace $1's route to $2 (empty if none was learned).
learned_mtu() { ip -n "$1" route get "$2" 2>/dev/null | grep -o 'mtu [0-9]*' | cut -d' ' -f2; }

# pmtu_run FAMILY MTU MODE: one transfer through the smaller MTU.
pmtu_run() {
	local fam=$1 mtu=$2 mode=$3 lab=v$1-mtu$2-$3 srv cli got sgot icmp sicmp secs pc
	[ "$fam" = 4 ] && srv=$SRV4 cli=$CLI4 || srv=$SRV6 cli=$CLI6
	set_mtu 1400 1280 && drop_icmp 0 || fail "path MTU through the router" || return
	ends_up "$mode" || fail "tiu up" || { tiu_down_all; return 1; }
	cap_start "$lab" || fail "tcpdump did not start" || { tiu_down_all; return 1; }
	h_xfer "$lab" "$S" "$srv" "$C" "$srv" $PORT "$BYTES" --timeout 60
	cap_stop
	got=$(learned_mtu "$C" "$srv")
	sgot=$(learned_mtu "$S" "$cli")
	icmp=$(tiu_counter "$C" c0 dec_icmp_translated)
	sicmp=$(tiu_counter "$S" s0 dec_icmp_translated)
	note "$lab: client: $(tiu_counters_nonzero "$C" c0)"
	note "$lab: server: $(tiu_counters_nonzero "$S" s0)"
	tiu_down_all
	secs=$(xfer_field "$lab" client seconds 2>/dev/null)
	pc=$(python3 "$ROOT/tests/e2e/pcapcheck.py" --port $PORT --expect udp "$H_WORK/$lab.pcap")
	note "$lab: $BYTES bytes each way in ${secs:-?} s; route mtu learned: client ${got:-none}," \
		"server ${sgot:-none}; dec_icmp_translated: client $icmp, server $sicmp;" \
		"ICMP errors on r0: $(timeout 20 tcpdump -n -r "$H_WORK/$lab.pcap" \
			'icmp[icmptype] == icmp-unreach or (icmp6 and ip6[40] == 2)' 2>/dev/null | wc -l)"
	xfer_ok "$lab" || fail "transfer: $(xfer_field "$lab" client error 2>/dev/null)" || return
	[ "$got" = "$mtu" ] || fail "the client's route shows mtu '${got:-none}', want $mtu" || return
	[ "$sgot" = "$mtu" ] || fail "the server's route shows mtu '${sgot:-none}', want $mtu" || return
	[ "${icmp:-0}" -gt 0 ] || fail "dec_icmp_translated did not move on the client" || return
	[ "${sicmp:-0}" -gt 0 ] || fail "dec_icmp_translated did not move on the server" || return
	[ "${CAP_MISSED:-x}" = 0 ] || fail "the capture missed ${CAP_MISSED:-?} packets (tcpdump)" || return
	python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$pc" ||
		fail "capture of r0: $pc" || return
	note "$lab: capture of r0: $(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); t=j.get("total", j); print({k: v for k, v in t.items() if isinstance(v, int)})' "$pc" 2>/dev/null)"
	return 0
}

t_baseline() {
	local lab=base-v4 secs
	set_mtu 1500 1500 && drop_icmp 0 && ends_up native || { not_ok "baseline: tiu up"; tiu_down_all; return; }
	h_xfer "$lab" "$S" $SRV4 "$C" $SRV4 $PORT "$BYTES" --timeout 60
	tiu_down_all
	secs=$(xfer_field "$lab" client seconds 2>/dev/null)
	note "baseline (MTU 1500 end to end, XDP decap): $BYTES bytes each way in ${secs:-?} s"
	if xfer_ok "$lab"; then ok "baseline: IPv4 through tiu with MTU 1500 end to end"; else not_ok "baseline transfer"; fi
}

t_pmtu() {
	local fam mtu mode
	for fam in 4 6; do
		[ $fam = 4 ] && mtu=1400 || mtu=1280
		for mode in native tc; do
			check "IPv$fam, path MTU $mtu, client decap $mode: 20 MB each way, both routes learn $mtu, ICMP translated on both ends, only UDP on the wire" \
				pmtu_run $fam $mtu $mode
		done
	done
}

# The MSS options of the tunnelled SYN and SYN-ACK in a capture, from the
# wire format (UDP byte 9 holds the TCP flags, the options start at L4 byte
# 20): "SYN 1360 SYN-ACK 1360", or what is missing.
syn_mss() {
	python3 - "$1" $PORT <<'PY'
import struct, sys
data, port = open(sys.argv[1], 'rb').read(), int(sys.argv[2])
off, seen = 24, {}
while off + 16 <= len(data):
    incl = struct.unpack_from('<I', data, off + 8)[0]
    pkt, off = data[off + 16:off + 16 + incl], off + 16 + incl
    et, l3 = struct.unpack_from('!H', pkt, 12)[0], 14
    if et == 0x0800:
        proto, l4 = pkt[l3 + 9], l3 + (pkt[l3] & 15) * 4
    elif et == 0x86dd:
        proto, l4 = pkt[l3 + 6], l3 + 40
    else:
        continue
    if proto != 17 or len(pkt) < l4 + 20:
        continue
    sport, dport = struct.unpack_from('!HH', pkt, l4)
    flags, doff = pkt[l4 + 9], (pkt[l4 + 8] >> 4) * 4
    if port not in (sport, dport) or not flags & 2:
        continue
    o, mss = l4 + 20, None
    while o < l4 + doff and o < len(pkt):
        if pkt[o] == 0:
            break
        if pkt[o] == 1:
            o += 1
            continue
        if pkt[o] == 2 and pkt[o + 1] == 4:
            mss = struct.unpack_from('!H', pkt, o + 2)[0]
        o += max(pkt[o + 1], 2)
    seen.setdefault('SYN-ACK' if flags & 0x10 else 'SYN', mss)
print(' '.join('%s %s' % (k, seen.get(k)) for k in ('SYN', 'SYN-ACK')))
PY
}

# ICMP errors dropped at the router: a black hole. lab, family, tiu options.
blackhole_run() {
	local lab=$1 fam=$2 bytes=$3 to=$4 srv
	shift 4
	[ "$fam" = 4 ] && srv=$SRV4 || srv=$SRV6
	set_mtu 1400 1280 && drop_icmp 1 || { echo "FAIL: router setup"; return 1; }
	ends_up native "$@" || { tiu_down_all; return 1; }
	cap_start "$lab" || { tiu_down_all; return 1; }
	h_xfer "$lab" "$S" "$srv" "$C" "$srv" $PORT "$bytes" --timeout "$to"
	cap_stop
	note "$lab: client: $(tiu_counters_nonzero "$C" c0); server: $(tiu_counters_nonzero "$S" s0)"
	tiu_down_all
}

t_clamp() {
	local got secs
	# control: without --mss nothing crosses the hole (the handshake does,
	# the first full-size segment does not; the client is killed at 15 s)
	local dropped syns
	blackhole_run hole-v4 4 2000000 5
	dropped=$(in_ns "$R" nft list chain inet tiu_pmtu sent | grep -o 'packets [0-9]*' | head -1 | cut -d' ' -f2)
	syns=$(syn_mss "$H_WORK/hole-v4.pcap")
	note "no --mss, ICMP dropped: handshake on the wire: $syns; the router dropped ${dropped:-0} ICMP errors;" \
		"client result: $(cat "$H_WORK/hole-v4.client.json" 2>/dev/null || echo none: still sending when killed)"
	if ! xfer_ok hole-v4 >/dev/null 2>&1 && [ "$syns" = "SYN 1460 SYN-ACK 1460" ] && [ "${dropped:-0}" -gt 0 ]; then
		ok "control: without --mss the ICMP black hole stalls the transfer after the handshake"
	else
		not_ok "control: without --mss the ICMP black hole stalls the transfer after the handshake"
	fi
	for fam in 4 6; do
		local mss=1360 lab=clamp-v$fam
		[ $fam = 6 ] && mss=1220
		blackhole_run $lab $fam "$BYTES" 60 --mss $mss
		got=$(syn_mss "$H_WORK/$lab.pcap")
		secs=$(xfer_field $lab client seconds 2>/dev/null)
		note "$lab: --mss $mss on both ends, ICMP dropped: $BYTES bytes each way in ${secs:-?} s; on the wire: $got"
		if xfer_ok $lab && [ "$got" = "SYN $mss SYN-ACK $mss" ] && [ "${CAP_MISSED:-x}" = 0 ]; then
			ok "IPv$fam: --mss $mss through the ICMP black hole: 20 MB each way, SYN and SYN-ACK carry MSS $mss"
		else
			not_ok "IPv$fam: --mss $mss through the ICMP black hole (wire: $got, capture missed ${CAP_MISSED:-?})"
		fi
	done
}

# `mss N` in the configuration file; status and status --json show it.
t_mss_status() {
	local js txt
	printf '# client\nendpoint remote=%s:%s\nmss 1360\n' $SRV4 $PORT >"$H_WORK/c0.conf"
	tiu_up "$C" c0 --config "$H_WORK/c0.conf" || { not_ok "mss from the config file: tiu up"; return; }
	js=$(tiu_in "$C" status c0 --json)
	txt=$(tiu_in "$C" status c0)
	tiu_down_all
	if grep -q '"mss":1360' <<<"$js" && grep -q 'mss clamp: 1360' <<<"$txt"; then
		ok "mss 1360 from the config file: status shows 'mss clamp: 1360', --json \"mss\":1360"
	else
		not_ok "mss from the config file in status"; echo "$txt"; echo "$js" | diag
	fi
	tiu_up "$C" c0 --endpoint "remote=$SRV4:$PORT" && js=$(tiu_in "$C" status c0 --json)
	tiu_down_all
	if grep -q '"mss":null' <<<"$js"; then ok "without --mss: --json \"mss\":null"; else not_ok "without --mss in status --json"; fi
}

run_test t_mss_status
run_test t_baseline
run_test t_pmtu
run_test t_clamp
tap_done
