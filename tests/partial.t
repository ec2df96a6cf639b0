#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# partial.t - CHECKSUM_PARTIAL TCP at tiu's TC egress and at the detour
# (docs/DESIGN.md "Testing with real skbs"): BPF_PROG_TEST_RUN skbs are
# CHECKSUM_NONE, so only locally sent TCP exercises tiu_csum_partial().
#
#   A (va, TX checksum on; tiu up: remote=10.83.1.3:7001) -- R (forwards; rc: TX checksum off) -- C (vc)
#
# A SYN is never GSO but is PARTIAL (__tcp_v4_send_check()): its TCP
# checksum field holds only the pseudo-header seed, and csum_start and
# csum_offset name the TCP checksum field. Over veth a PARTIAL skb stays
# PARTIAL (the sum is never computed), so a wrong inline conversion would go
# unseen between two namespaces; R's rc has TX checksum offload off, so
# validate_xmit_skb() -> skb_checksum_help() completes the sum of every
# PARTIAL skb R forwards, where csum_offset says. C runs no tiu and has no
# socket on 7001: __udp4_lib_rcv() verifies the UDP checksum of each packet
# (UdpInCsumErrors when wrong) before it answers "port unreachable"
# (UdpNoPorts).
#
# - the SYN must take the detour (enc_detoured, detour_converted) and reach
#   C with a valid UDP checksum;
# - with the detour's TX checksum offload turned back on (a misconfigured
#   detour: the segments would stay PARTIAL), the detour must drop them
#   (detour_drop_not_segmented), never send them.
. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd ethtool nstat python3

h_init partial
h_watchdog 120
h_ns A a || bail "cannot create a network namespace"
h_ns R r || bail "cannot create a network namespace"
h_ns C c || bail "cannot create a network namespace"
h_veth "$A" va "$R" ra && h_veth "$R" rc "$C" vc &&
	h_addr "$A" va 10.83.0.1/24 && h_addr "$R" ra 10.83.0.2/24 &&
	h_addr "$R" rc 10.83.1.2/24 && h_addr "$C" vc 10.83.1.3/24 &&
	ip -n "$A" route add default via 10.83.0.2 && ip -n "$C" route add default via 10.83.1.2 ||
	bail "cannot set up A - R - C"
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 || bail "R: cannot turn forwarding on"
in_ns "$A" ethtool -K va tx on >/dev/null || bail "va: cannot turn TX checksum offload on"
in_ns "$R" ethtool -K rc tx off >/dev/null || bail "rc: cannot turn TX checksum offload off"
tiu_up "$A" va --endpoint remote=10.83.1.3:7001 || bail "tiu up va failed"
DETOUR=$(ip -n "$A" -br link | awk '$1 ~ /^tiu[0-9]+d(@|$)/ { sub(/@.*/, "", $1); print $1 }')
[ -n "$DETOUR" ] || bail "va: no detour device tiuNd in A"

udp() { in_ns "$C" nstat -az "$1" 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
N="enc_converted enc_detoured detour_converted detour_drop_not_segmented"
counters() { tiu_counters "$A" va $N; }
# syn: one connection attempt from A to C:7001, given up after 0.5 s (one SYN)
syn() {
	in_ns "$A" python3 -c 'import socket
s = socket.socket(); s.settimeout(0.5)
try: s.connect(("10.83.1.3", 7001))
except OSError: pass'
	sleep 0.3
}

# t_syn: the PARTIAL SYN goes through the detour and arrives intact
t_syn() {
	local c0 c1 e0 e1 p0 p1 d
	c0=$(counters); e0=$(udp UdpInCsumErrors); p0=$(udp UdpNoPorts)
	syn
	c1=$(counters); e1=$(udp UdpInCsumErrors); p1=$(udp UdpNoPorts)
	d=$(tiu_counters_delta "$c0" "$c1")
	[ "$d" = "enc_converted=+0 enc_detoured=+1 detour_converted=+1 detour_drop_not_segmented=+0" ] &&
		[ "$((p1 - p0))" = 1 ] && [ "$((e1 - e0))" = 0 ]
	result $? "a CHECKSUM_PARTIAL SYN takes the detour and reaches C with a valid UDP checksum ($d; C: UdpNoPorts +$((p1 - p0)), UdpInCsumErrors +$((e1 - e0)))"
}

# t_detour_offload_on: PARTIAL segments out of the detour are dropped
t_detour_offload_on() {
	local c0 c1 e0 e1 p0 p1 d
	in_ns "$A" ethtool -K "$DETOUR" tx on >/dev/null || { not_ok "$DETOUR: cannot turn TX checksum on"; return; }
	c0=$(counters); e0=$(udp UdpInCsumErrors); p0=$(udp UdpNoPorts)
	syn
	c1=$(counters); e1=$(udp UdpInCsumErrors); p1=$(udp UdpNoPorts)
	in_ns "$A" ethtool -K "$DETOUR" tx off >/dev/null
	d=$(tiu_counters_delta "$c0" "$c1")
	[ "$d" = "enc_converted=+0 enc_detoured=+1 detour_converted=+0 detour_drop_not_segmented=+1" ] &&
		[ "$((p1 - p0))" = 0 ] && [ "$((e1 - e0))" = 0 ]
	result $? "with TX checksum offload on at $DETOUR, the still PARTIAL SYN is dropped there, not sent ($d; C: UdpNoPorts +$((p1 - p0)), UdpInCsumErrors +$((e1 - e0)))"
}

run_test t_syn
run_test t_detour_offload_on
run_test t_syn
tap_done
