#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gro.t - UDP GRO on the receiving side (docs/DESIGN.md "UDP GRO before
# decap"): fraglist GRO (rx-gro-list, on by default on OpenWrt) and UDP GRO
# forwarding (rx-udp-gro-forwarding) merge the tunnelled datagrams of one
# connection into one skb before tiu's decap sees them. TC decap can tell
# (gso_segs > 1: dec_skip_gso, passed as UDP, which no socket takes);
# generic XDP on a device stacked on the one that ran GRO cannot, and
# converts the aggregate as one TCP segment. `tiu up` turns both features
# off on the interface and on the devices under it, with a warning line.
#
#   A va --- ra R rb1 --- vb1 B1 (tiu up vb1 --decap tc; GRO on vb1)
#                 rb2 --- vb2 B2 mv2 (macvlan on vb2; tiu up mv2 --decap xdp
#                                     --xdp-mode skb; GRO on vb2)
#
# veth runs GRO only on NAPI: GRO on the receiving end gives it NAPI
# (veth_gro_requested()), and the sending end must not offer TSO for a
# forwarded skb to take that path (veth_skb_is_eligible_for_gro()): TSO is
# off on rb1 and rb2. A's encapsulation sends one datagram per TCP segment,
# the same 4-tuple and size: what GRO merges.
#
# - premise: with the feature turned on again after `tiu up`, aggregates do
#   reach the decap: TC counts dec_skip_gso, generic XDP converts packets
#   longer than the MTU (dec_bytes > 1500 * dec_converted) - the corruption;
# - with the feature on before `tiu up` (rx-gro-list; rx-udp-gro-forwarding):
#   `tiu up` says it turned it off, on vb1 and, for mv2, on vb2 under it;
#   4 MB each way arrive with equal SHA-256 (IPv4, and IPv6 with
#   rx-gro-list); no dec_skip_gso, no packet
#   longer than the MTU decapsulated; dec_converted and dec_bytes equal the
#   packets and bytes R forwarded to B (nftables counters): every packet is
#   explained;
# - a macvlan device whose lower device is in another namespace: `tiu up`
#   says, in one line, that it cannot turn GRO off there.
# Wall time: about 2 min.
. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd ethtool nft nstat python3

h_init gro
h_watchdog 300
h_ns A a || bail "cannot create a network namespace"
h_ns R r || bail "cannot create a network namespace"
h_ns B1 b1 || bail "cannot create a network namespace"
h_ns B2 b2 || bail "cannot create a network namespace"
h_veth "$A" va "$R" ra && h_veth "$R" rb1 "$B1" vb1 && h_veth "$R" rb2 "$B2" vb2 ||
	bail "cannot create the veth pairs"
ip -n "$B2" link add link vb2 name mv2 type macvlan mode bridge && ip -n "$B2" link set mv2 up ||
	bail "mv2: cannot create a macvlan device on vb2 (this test needs CONFIG_MACVLAN)"
h_addr "$A" va 10.84.0.1/24 fd84::1/64 && h_addr "$R" ra 10.84.0.2/24 fd84::2/64 &&
	h_addr "$R" rb1 10.84.1.2/24 fd84:1::2/64 && h_addr "$B1" vb1 10.84.1.1/24 fd84:1::1/64 &&
	h_addr "$R" rb2 10.84.2.2/24 fd84:2::2/64 && h_addr "$B2" mv2 10.84.2.1/24 fd84:2::1/64 ||
	bail "cannot add the addresses"
ip -n "$A" route add default via 10.84.0.2 && ip -n "$B1" route add default via 10.84.1.2 &&
	ip -n "$B2" route add default via 10.84.2.2 && ip -n "$A" -6 route add default via fd84::2 &&
	ip -n "$B1" -6 route add default via fd84:1::2 && ip -n "$B2" -6 route add default via fd84:2::2 ||
	bail "cannot add the routes"
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	bail "R: cannot turn forwarding on"
# vb2 would answer ARP for mv2's address with its own MAC (arp_ignore 0):
# R sends to mv2's MAC, so that the frames go up through macvlan
MV2_MAC=$(ip -n "$B2" -br link show mv2 | awk '{ print $3 }')
ip -n "$R" neigh replace 10.84.2.1 lladdr "$MV2_MAC" dev rb2 nud permanent &&
	ip -n "$R" neigh replace fd84:2::1 lladdr "$MV2_MAC" dev rb2 nud permanent ||
	bail "R: cannot add mv2's neighbour entries"
for r in rb1 rb2; do in_ns "$R" ethtool -K $r tso off >/dev/null || bail "$r: cannot turn TSO off"; done
# what R forwards to B1 and B2: tunnelled UDP to the servers
in_ns "$R" nft -f - <<'EOF' || bail "R: cannot add the nftables counters"
table inet gro {
	counter b1 { }
	counter b2 { }
	chain forward_udp {
		type filter hook forward priority 0;
		ip daddr 10.84.1.1 udp dport 7001 counter name b1
		ip daddr 10.84.2.1 udp dport 7001 counter name b2
		ip6 daddr fd84:1::1 udp dport 7001 counter name b1
		ip6 daddr fd84:2::1 udp dport 7001 counter name b2
	}
}
EOF
tiu_up "$A" va --decap tc --endpoint remote=10.84.1.1:7001 --endpoint remote=10.84.2.1:7001 \
	--endpoint 'remote=[fd84:1::1]:7001' --endpoint 'remote=[fd84:2::1]:7001' ||
	bail "tiu up va failed"

BYTES=4000000
MTU=1500

# fwd_count WHICH: "packets bytes" R forwarded to b1 or b2
fwd_count() {
	in_ns "$R" nft -j list counter inet gro "$1" |
		python3 -c 'import json,sys
for o in json.load(sys.stdin)["nftables"]:
	if "counter" in o: print(o["counter"]["packets"], o["counter"]["bytes"])'
}
# gro_state NS IFACE: "rx-gro-list=on|off rx-udp-gro-forwarding=on|off"
gro_state() {
	in_ns "$1" ethtool -k "$2" | awk -F': ' '$1 == "rx-gro-list" || $1 == "rx-udp-gro-forwarding" {
		split($2, v, " "); printf "%s%s=%s", n++ ? " " : "", $1, v[1] } END { print "" }'
}
DEC="dec_converted dec_bytes dec_skip_gso dec_skip_length dec_pass"

# t_premise tc|xdp NS IFACE LOWER FEATURE ADDR: tiu up, then FEATURE on again on
# LOWER; a transfer (it may fail: that is not what is asserted) must bring
# aggregates to the decap.
t_premise() {
	local name=$1 ns=$2 ifc=$3 lower=$4 feat=$5 addr=$6 c0 c1 conv bytes gso try
	in_ns "$ns" ethtool -K "$lower" "$feat" on >/dev/null ||
		{ not_ok "$name premise: cannot turn $feat on on $lower"; return; }
	c0=$(tiu_counters "$ns" "$ifc" $DEC) || { not_ok "$name premise: counters"; return; }
	# GRO merges what one NAPI poll brings: a transfer may, rarely, end
	# before it merged anything; at most three, until one did
	for try in 1 2 3; do
		h_xfer "premise-$name" "$ns" "$(bind_of "$addr")" "$A" "$addr" 7001 "$BYTES" --timeout 8 >/dev/null 2>&1
		c1=$(tiu_counters "$ns" "$ifc" $DEC) || { not_ok "$name premise: counters"; return; }
		read -r conv bytes gso < <(python3 -c 'import sys
a = dict(kv.split("=") for kv in sys.argv[1].split()); b = dict(kv.split("=") for kv in sys.argv[2].split())
d = {k: int(b[k]) - int(a[k]) for k in b}
print(d["dec_converted"], d["dec_bytes"], d["dec_skip_gso"])' "$c0" "$c1")
		[ "$gso" -gt 0 ] && break
	done
	in_ns "$ns" ethtool -K "$lower" "$feat" off >/dev/null
	# TC reads gso_segs > 1, XDP sees an IP packet longer than the MTU
	# (tiu_gro.h): the aggregate is left alone, none converted
	[ "$gso" -gt 0 ] && [ "$bytes" -le $((conv * MTU)) ]
	result $? "premise, $name decap on $ifc: $feat on $lower after tiu up: aggregates to $addr reach the decap and none is converted: dec_bytes <= MTU * dec_converted (dec_skip_gso +$gso; dec_converted +$conv, dec_bytes +$bytes; transfers: $try)"
}

# bind_of ADDR: the server's wildcard address of ADDR's family
bind_of() { case $1 in *:*) echo :: ;; *) echo 0.0.0.0 ;; esac; }

# t_up NAME NS IFACE LOWER FEATURE ADDR UP_ARGS...: FEATURE and GRO on LOWER,
# then tiu up IFACE: turned off, said once, and a transfer that is whole.
t_up() {
	local name=$1 ns=$2 ifc=$3 lower=$4 feat=$5 addr=$6 out c0 c1 f0 f1 n0 n1 b0 b1 conv bytes gso segs
	shift 6
	in_ns "$ns" ethtool -K "$lower" gro on "$feat" on >/dev/null ||
		{ not_ok "$name: cannot turn gro and $feat on on $lower"; return; }
	tiu_up "$ns" "$ifc" "$@" --endpoint 'local=*:7001' || { not_ok "$name: tiu up $ifc $*"; return; }
	out=$(cat "$H_WORK/tiu-up.$ns.$ifc.log")
	[ "$(grep -c "^tiu: warning: $lower: turned $feat off: .*decap on $ifc cannot convert.*ethtool -K $lower $feat on" <<<"$out")" = 1 ] &&
		[ "$(gro_state "$ns" "$lower")" = "rx-gro-list=off rx-udp-gro-forwarding=off" ]
	result $? "$name: tiu up $ifc turns $feat off on $lower, in one warning line ($(gro_state "$ns" "$lower"))" "$out"

	c0=$(tiu_counters "$ns" "$ifc" $DEC) && read -r f0 b0 < <(fwd_count "$name") &&
		n0=$(in_ns "$ns" nstat -az TcpInSegs | awk '$1 == "TcpInSegs" { print $2 }') ||
		{ not_ok "$name: counters before"; return; }
	if h_xfer "$name" "$ns" "$(bind_of "$addr")" "$A" "$addr" 7001 "$BYTES" --timeout 60 >/dev/null 2>&1 &&
	   xfer_ok "$name"; then
		ok "$name: $BYTES bytes each way through tiu to $addr, decap on $ifc, SHA-256 equal"
	else
		not_ok "$name: $BYTES bytes each way through tiu to $addr, decap on $ifc, SHA-256 equal"
		xfer_ok "$name" 2>&1 | diag
	fi
	sleep 0.3
	c1=$(tiu_counters "$ns" "$ifc" $DEC) && read -r f1 b1 < <(fwd_count "$name") &&
		n1=$(in_ns "$ns" nstat -az TcpInSegs | awk '$1 == "TcpInSegs" { print $2 }') ||
		{ not_ok "$name: counters after"; return; }
	read -r conv bytes gso < <(python3 -c 'import sys
a = dict(kv.split("=") for kv in sys.argv[1].split()); b = dict(kv.split("=") for kv in sys.argv[2].split())
d = {k: int(b[k]) - int(a[k]) for k in b}
print(d["dec_converted"], d["dec_bytes"], d["dec_skip_gso"])' "$c0" "$c1")
	segs=$((n1 - n0))
	[ "$gso" = 0 ] && [ "$conv" = $((f1 - f0)) ] && [ "$bytes" = $((b1 - b0)) ] &&
		[ "$bytes" -le $((conv * MTU)) ] && [ "$conv" = "$segs" ]
	result $? "$name: every datagram R forwarded was converted alone (R: $((f1 - f0)) packets $((b1 - b0)) bytes; dec_converted +$conv dec_bytes +$bytes dec_skip_gso +$gso; TcpInSegs +$segs)" \
		"$(tiu_counters_delta "$c0" "$c1")"
}

# t_down NS IFACE LOWER FEATURE: tiu down does not turn it on again.
t_down() {
	local ns=$1 ifc=$2 lower=$3 feat=$4
	tiu_in "$ns" down "$ifc" >/dev/null 2>&1
	[ "$(gro_state "$ns" "$lower")" = "rx-gro-list=off rx-udp-gro-forwarding=off" ]
	result $? "tiu down $ifc leaves $feat off on $lower, as tiu up said"
}

# t_elsewhere: a macvlan device whose lower device is in another namespace:
# tiu up cannot reach it, and says so in one line
t_elsewhere() {
	local out
	h_ns C c || { not_ok "elsewhere: cannot create a namespace"; return; }
	ip -n "$B1" link add link vb1 name mvc type macvlan mode bridge &&
		ip -n "$B1" link set mvc netns "$C" && ip -n "$C" link set mvc up ||
		{ not_ok "elsewhere: cannot create mvc on vb1 and move it to C"; return; }
	tiu_up "$C" mvc --decap tc --endpoint 'local=*:7001' || { not_ok "elsewhere: tiu up mvc"; return; }
	out=$(cat "$H_WORK/tiu-up.$C.mvc.log")
	[ "$(grep -c "^tiu: warning: mvc: the device under mvc is in another network namespace: turn UDP GRO off there yourself" <<<"$out")" = 1 ]
	result $? "tiu up on a macvlan whose lower device is in another namespace says it cannot reach it" "$out"
	tiu_in "$C" down mvc >/dev/null 2>&1
}

run_test t_elsewhere
run_test t_up b1 "$B1" vb1 vb1 rx-gro-list 10.84.1.1 --decap tc
run_test t_premise tc "$B1" vb1 vb1 rx-gro-list 10.84.1.1
run_test t_down "$B1" vb1 vb1 rx-gro-list
run_test t_up b1 "$B1" vb1 vb1 rx-udp-gro-forwarding 10.84.1.1 --decap tc
run_test t_premise tc "$B1" vb1 vb1 rx-udp-gro-forwarding 10.84.1.1
run_test t_down "$B1" vb1 vb1 rx-udp-gro-forwarding
run_test t_up b1 "$B1" vb1 vb1 rx-gro-list fd84:1::1 --decap tc
run_test t_premise tc "$B1" vb1 vb1 rx-gro-list fd84:1::1
run_test t_down "$B1" vb1 vb1 rx-gro-list
run_test t_up b2 "$B2" mv2 vb2 rx-gro-list 10.84.2.1 --decap xdp --xdp-mode skb
run_test t_premise xdp "$B2" mv2 vb2 rx-gro-list 10.84.2.1
run_test t_down "$B2" mv2 vb2 rx-gro-list
run_test t_up b2 "$B2" mv2 vb2 rx-gro-list fd84:2::1 --decap xdp --xdp-mode skb
run_test t_premise xdp "$B2" mv2 vb2 rx-gro-list fd84:2::1
run_test t_down "$B2" mv2 vb2 rx-gro-list
tap_done
