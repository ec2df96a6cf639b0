#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nonlinear.t - tiu's TC programs on non-linear skbs whose headers straddle
# page fragments, as a driver delivers them (docs/DESIGN.md "Testing with
# real skbs"): BPF_PROG_TEST_RUN skbs are linear, so the pulls of the TC
# programs (tiu_tc_can_pull(), tiu_tc_pull(), TIU_TC_RETRY) run only here.
#
# The skbs come from a tap device with IFF_NAPI_FRAGS (tests/tools/realskb
# tap): each iovec written after the first becomes a page fragment of the
# skb, only the Ethernet header is pulled into the linear part before TC
# ingress, and GRO is off on the tap so that nothing else is.
#
#   realskb send --tap --split ...  ->  tp (B: tiu up --decap tc, local=*:7001)
#                                        B forwards 10.82.0.0/24 ->  vb (tiu up: remote=10.82.0.3:7001) -- vc (C)
#
# - decap: a tunnelled SYN (IPv4, IPv6) split after the Ethernet header,
#   inside the IP header, and after the UDP ports (the 20 bytes tiu rewrites
#   partly in a fragment) must be converted (dec_converted +1, no
#   dec_skip_short/dec_skip_unparsed) and accepted by TCP with a checksum the
#   kernel verifies in software (TcpInSegs +1, TcpInCsumErrors +0);
# - an ICMP error quoting a tunnelled packet, split after the Ethernet
#   header or after the ICMP header (the quote in a fragment), must be
#   translated (dec_icmp_translated +1, no
#   dec_icmp_skip_short);
# - a tunnelled SYN in IPv6 with more extension headers than tiu follows,
#   all in a fragment: pulled once, then counted (dec_skip_unparsed +1);
# - egress: a TCP SYN written into the tap with its header split after the
#   ports is forwarded by B and leaves through vb still non-linear: it must
#   be encapsulated (enc_converted +1, no enc_drop_malformed).
. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd ethtool nstat
REALSKB=$BUILD/tests/tools/realskb
need_built "$REALSKB"

h_init nonlinear
h_watchdog 120
h_ns B b || bail "cannot create a network namespace"
h_ns C c || bail "cannot create a network namespace"
in_ns "$B" "$REALSKB" tap tp || bail "tp: cannot create a tap with IFF_NAPI_FRAGS"
ip -n "$B" link set tp address 02:00:00:00:00:02 && ip -n "$B" link set tp up &&
	h_addr "$B" tp 10.81.0.2/24 fd81::2/64 || bail "tp: cannot configure it"
in_ns "$B" ethtool -K tp gro off >/dev/null || bail "tp: cannot turn GRO off"
h_veth "$B" vb "$C" vc && h_addr "$B" vb 10.82.0.2/24 && h_addr "$C" vc 10.82.0.3/24 ||
	bail "cannot set up the veth pair"
# early demux (tcp_v4_early_demux()) would pull the TCP header of the
# forwarded segment into the linear part before routing
in_ns "$B" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.ip_early_demux=0 ||
	bail "B: cannot turn forwarding on and early demux off"
ip -n "$B" neigh replace 10.82.0.3 lladdr "$(ip -n "$C" -br link show vc | awk '{ print $3 }')" \
	dev vb nud permanent || bail "vb: cannot add C's neighbour entry"
tiu_up "$B" tp --decap tc --endpoint 'local=*:7001' || bail "tiu up tp --decap tc failed"
tiu_up "$B" vb --endpoint remote=10.82.0.3:7001 || bail "tiu up vb failed"

snmp() { in_ns "$B" nstat -az "$1" 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
# counters IFACE NAME...: "NAME=value ..." of tp or vb
counters() { local ifc=$1; shift; tiu_counters "$B" "$ifc" "$@"; }

DEC="dec_converted dec_skip_short dec_skip_unparsed dec_icmp_translated dec_icmp_skip_short"

# t_decap FAMILY SPLIT WHAT: a tunnelled SYN to B, written as SPLIT
t_decap() {
	local fam=$1 split=$2 src dst c0 c1 s0 s1 e0 e1 d want
	[ "$fam" = 4 ] && { src=10.81.0.1; dst=10.81.0.2; } || { src=fd81::1; dst=fd81::2; }
	c0=$(counters tp $DEC); s0=$(snmp TcpInSegs); e0=$(snmp TcpInCsumErrors)
	in_ns "$B" "$REALSKB" send tp --tap --split "$split" --family "$fam" --src "$src" \
		--dst "$dst" --sport 40001 --dport 7001 || { not_ok "v$fam $split: send"; return; }
	c1=$(counters tp $DEC); s1=$(snmp TcpInSegs); e1=$(snmp TcpInCsumErrors)
	d=$(tiu_counters_delta "$c0" "$c1")
	want="dec_converted=+1 dec_skip_short=+0 dec_skip_unparsed=+0 dec_icmp_translated=+0 dec_icmp_skip_short=+0"
	[ "$d" = "$want" ] && [ "$((s1 - s0))" = 1 ] && [ "$((e1 - e0))" = 0 ]
	result $? "v$fam, iovecs $split: converted at TC ingress and accepted by TCP ($d; TcpInSegs +$((s1 - s0)), TcpInCsumErrors +$((e1 - e0)))"
}

# t_icmp FAMILY SPLIT: an ICMP error about a tunnelled packet B sent
t_icmp() {
	local fam=$1 split=$2 src dst c0 c1 d
	[ "$fam" = 4 ] && { src=10.81.0.1; dst=10.81.0.2; } || { src=fd81::1; dst=fd81::2; }
	c0=$(counters tp $DEC)
	in_ns "$B" "$REALSKB" send tp --tap --split "$split" --family "$fam" --src "$src" \
		--dst "$dst" --sport 40001 --dport 7001 --icmp || { not_ok "v$fam ICMP: send"; return; }
	c1=$(counters tp $DEC)
	d=$(tiu_counters_delta "$c0" "$c1")
	[ "$d" = "dec_converted=+0 dec_skip_short=+0 dec_skip_unparsed=+0 dec_icmp_translated=+1 dec_icmp_skip_short=+0" ]
	result $? "v$fam ICMP error, iovecs $split: its quote translated at TC ingress ($d)"
}

# t_unparsed SPLIT: a tunnelled SYN in IPv6 with 7 extension headers, one
# more than tiu follows: the first check finds the headers beyond the
# linear part and pulls; the second must then count it as IP it cannot
# parse (dec_skip_unparsed +1), not ask for another pull and pass it
# uncounted (the check after a pull runs with nothing more to pull).
t_unparsed() {
	local split=$1 c0 c1 d
	c0=$(counters tp $DEC)
	in_ns "$B" "$REALSKB" send tp --tap --split "$split" --family 6 --src fd81::1 \
		--dst fd81::2 --sport 40001 --dport 7001 --ext 7 || { not_ok "v6 --ext 7: send"; return; }
	c1=$(counters tp $DEC)
	d=$(tiu_counters_delta "$c0" "$c1")
	[ "$d" = "dec_converted=+0 dec_skip_short=+0 dec_skip_unparsed=+1 dec_icmp_translated=+0 dec_icmp_skip_short=+0" ]
	result $? "v6 with 7 extension headers, iovecs $split: pulled, then counted as unparsed ($d)"
}

# t_encap SPLIT: a TCP SYN through the tap, forwarded out of vb
t_encap() {
	local split=$1 c0 c1 d n=enc_converted\ enc_drop_malformed\ enc_skip_unparsed
	c0=$(counters vb $n)
	in_ns "$B" "$REALSKB" send tp --tap --tcp --split "$split" --family 4 --src 10.81.0.1 \
		--dst 10.82.0.3 --sport 40001 --dport 7001 || { not_ok "encap $split: send"; return; }
	sleep 0.2
	c1=$(counters vb $n)
	d=$(tiu_counters_delta "$c0" "$c1")
	[ "$d" = "enc_converted=+1 enc_drop_malformed=+0 enc_skip_unparsed=+0" ]
	result $? "forwarded TCP, iovecs $split: encapsulated at TC egress of vb ($d)"
}

run_test t_decap 4 14             # IP, UDP in one fragment
run_test t_decap 4 14,7,9,5,11    # the IP and UDP headers across four
run_test t_decap 4 42,4           # UDP ports linear, the rest of tiu's 20 bytes not
run_test t_decap 6 14
run_test t_decap 6 30,30,6
run_test t_decap 6 62,6
run_test t_icmp 4 14
run_test t_icmp 4 42               # outer headers linear, the quote not
run_test t_icmp 6 14
run_test t_icmp 6 62
run_test t_unparsed 14            # all of IPv6 and its headers in a fragment
run_test t_encap 38,2             # TCP ports linear, flags and the rest not
run_test t_encap 14,10
tap_done
