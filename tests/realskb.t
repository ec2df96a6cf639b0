#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# realskb.t - tiu's programs on skbs the kernel really received, for what
# BPF_PROG_TEST_RUN cannot give a program (docs/DESIGN.md "Testing with real
# skbs"): here, a CHECKSUM_COMPLETE receive sum through TC decap.
#
# No driver of this machine reports CHECKSUM_COMPLETE, but the kernel makes
# one itself: a VXLAN device whose outer UDP carries checksums validates
# them in software (udp_queue_rcv_one_skb() -> udp_lib_checksum_complete()
# -> __skb_checksum_complete(), which leaves ip_summed = CHECKSUM_COMPLETE
# with the sum of the packet in skb->csum), and vxlan_rcv() pulls the outer
# headers and the inner Ethernet header with skb_pull_rcsum() /
# skb_postpull_rcsum(): the inner packet reaches the vxlan device's TC
# ingress with a COMPLETE sum that starts at its IP header. The sender's
# veth has TX checksum offload off, so that the outer checksum is computed
# before the packet crosses (a CHECKSUM_PARTIAL skb would arrive as such,
# and count as verified).
#
#   A (vxa, tiu up: remote=B:7001)  --vxlan, outer UDP checksums--  B (vxb, tiu up --decap tc: local=*:7001)
#
# What is checked, each time by the kernel's own numbers or the recomputed
# sum:
# - the probe (tests/tools/realskb probe, tests/bpf/csumprobe.bpf.c) sees
#   every packet after tiu's TC decap, with its ip_summed and skb->csum, and
#   recomputes the sum from the bytes: every COMPLETE sum must match, and
#   there must be COMPLETE packets at all (the premise);
# - a tunnelled TCP segment corrupted by exactly the amount a stale IPv6 sum
#   is off (0x0b00: next header 17 -> 6 in the high byte of a word) must be
#   refused by TCP (TcpInCsumErrors), not accepted because the stale sum
#   happened to cover the corruption;
# - an ICMP/ICMPv6 error about a tunnelled packet is translated and its
#   COMPLETE sum still matches (the translation needs no sum update).
. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd ethtool nstat python3 nsenter
REALSKB=$BUILD/tests/tools/realskb
PROBE_OBJ=$BUILD/tests/csumprobe.bpf.o
need_built "$REALSKB" "$PROBE_OBJ"
# the probe reads ip_summed and csum through this kfunc (6.2 and later)
grep -q bpf_cast_to_kern_ctx /sys/kernel/btf/vmlinux 2>/dev/null ||
	skip_all "the kernel lacks the bpf_cast_to_kern_ctx kfunc: the probe cannot read the checksum state"

h_init realskb
h_watchdog 300
h_ns A a || bail "cannot create a network namespace"
h_ns B b || bail "cannot create a network namespace"
h_veth "$A" va "$B" vb && h_addr "$A" va 10.79.0.1/24 && h_addr "$B" vb 10.79.0.2/24 ||
	bail "cannot set up the veth pair"
in_ns "$A" ethtool -K va tx off >/dev/null || bail "va: cannot turn TX checksum offload off"
for side in "$A a 1 2" "$B b 2 1"; do
	set -- $side
	ip -n "$1" link add "vx$2" address "02:00:00:00:00:0$3" type vxlan id 42 local "10.79.0.$3" \
		remote "10.79.0.$4" dstport 4789 udpcsum dev "v$2" ||
		bail "vx$2: cannot create a VXLAN device (this test needs CONFIG_VXLAN)"
	h_addr "$1" "vx$2" "10.80.0.$3/24" "fd80::$3/64" && ip -n "$1" link set "vx$2" up ||
		bail "vx$2: cannot configure it"
done
tiu_up "$B" vxb --decap tc --endpoint 'local=*:7001' || bail "tiu up vxb --decap tc failed"
tiu_up "$A" vxa --endpoint remote=10.80.0.2:7001 --endpoint 'remote=[fd80::2]:7001' ||
	bail "tiu up vxa failed"

PROBE_PID=
# probe_start: the probe on vxb in B, after every TC ingress program.
probe_start() {
	local i
	rm -f "$H_WORK/probe.out"
	h_bg nsenter --net="/run/netns/$B" "$REALSKB" probe vxb "$PROBE_OBJ" >"$H_WORK/probe.out" 2>&1
	PROBE_PID=$H_BG
	for i in $(seq 100); do grep -q '^ready' "$H_WORK/probe.out" && return 0; sleep 0.05; done
	cat "$H_WORK/probe.out" | diag
	return 1
}
# probe_stop: stop it; its report in $H_WORK/probe.out
probe_stop() { sleep 0.3; kill -TERM "$PROBE_PID"; h_wait "$PROBE_PID"; }
# probe_field FAMILY PROTO KEY: a number of the probe's report (0 if absent)
probe_field() {
	awk -v f="$1" -v p="$2" -v k="$3" '$1 == f && $2 == p {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) v = kv[2] } }
		END { print v + 0 }' "$H_WORK/probe.out"
}
csum_errors() { in_ns "$B" nstat -z TcpInCsumErrors 2>/dev/null | awk '$1 == "TcpInCsumErrors" { print $2 }'; }

# t_transfer FAMILY ADDR: a TCP transfer through the tunnel; B's TC decap
# restores it from UDP with a COMPLETE sum, which must stay the sum of the
# bytes (the probe), and TCP must not need its software fallback.
t_transfer() {
	local fam=$1 addr=$2 lab=xfer$1 dec0 dec1 complete bad out
	dec0=$(tiu_counter "$B" vxb dec_converted)
	probe_start || { not_ok "v$fam: probe on vxb"; return; }
	h_xfer "$lab" "$B" "$addr" "$A" "$addr" 7001 200000 --timeout 30
	probe_stop
	out=$(cat "$H_WORK/probe.out")
	dec1=$(tiu_counter "$B" vxb dec_converted)
	xfer_ok "$lab" >/dev/null
	result $? "v$fam: a TCP transfer through the tunnel, TC decap on a VXLAN device" "$out"
	complete=$(probe_field "v$fam" tcp complete)
	[ "$complete" -gt 0 ] && [ "$((dec1 - dec0))" -gt 0 ]
	result $? "v$fam: the decapsulated segments reach the stack as CHECKSUM_COMPLETE (the premise): complete=$complete, dec_converted +$((dec1 - dec0))" "$out"
	bad=$(probe_field "v$fam" tcp bad)
	[ "$bad" = 0 ] && [ "$(probe_field "v$fam" tcp ok)" = "$complete" ]
	result $? "v$fam: every COMPLETE sum after TC decap is the sum of the bytes (bad=$bad of $complete)" "$out"
}

# t_corrupt FAMILY SRC DST [EXT]: a tunnelled SYN whose bytes sum 0x0b00
# short of its checksum must count in TcpInCsumErrors.
t_corrupt() {
	local fam=$1 src=$2 dst=$3 ext=${4:-0} e0 e1 dec0 dec1 what
	what="v$fam${4:+ with $ext extension headers}"
	csum_errors >/dev/null
	dec0=$(tiu_counter "$B" vxb dec_converted)
	probe_start || { not_ok "$what: probe on vxb"; return; }
	in_ns "$A" "$REALSKB" send vxa --family "$fam" --src "$src" --dst "$dst" --sport 40001 \
		--dport 7001 --ext "$ext" --corrupt 0b00 || { not_ok "$what: send"; return; }
	probe_stop
	e1=$(csum_errors)
	dec1=$(tiu_counter "$B" vxb dec_converted)
	[ "$((dec1 - dec0))" = 1 ] && [ "${e1:-0}" = 1 ]
	result $? "$what: a corrupted tunnelled segment is decapsulated (dec_converted +$((dec1 - dec0))) and refused by TCP (TcpInCsumErrors +${e1:-0})" "$(cat "$H_WORK/probe.out")"
}

# t_icmp FAMILY SRC DST: an ICMP error about a tunnelled packet B sent; the
# translation of its quote must leave the COMPLETE sum right without an
# update (it follows every change in the message's own checksum).
t_icmp() {
	local fam=$1 t0 t1 complete bad
	t0=$(tiu_counter "$B" vxb dec_icmp_translated)
	probe_start || { not_ok "v$fam ICMP: probe on vxb"; return; }
	in_ns "$A" "$REALSKB" send vxa --family "$fam" --src "$2" --dst "$3" --sport 40001 \
		--dport 7001 --icmp || { not_ok "v$fam ICMP: send"; return; }
	probe_stop
	t1=$(tiu_counter "$B" vxb dec_icmp_translated)
	complete=$(probe_field "v$fam" icmp complete)
	bad=$(probe_field "v$fam" icmp bad)
	[ "$((t1 - t0))" = 1 ] && [ "$complete" -ge 1 ] && [ "$bad" = 0 ]
	result $? "v$fam: an ICMP error about a tunnelled packet is translated (dec_icmp_translated +$((t1 - t0))) and its COMPLETE sum stays the sum of the bytes (bad=$bad of $complete)" "$(cat "$H_WORK/probe.out")"
}

run_test t_transfer 6 fd80::2
run_test t_transfer 4 10.80.0.2
run_test t_corrupt 6 fd80::1 fd80::2
run_test t_corrupt 6 fd80::1 fd80::2 2
run_test t_corrupt 4 10.80.0.1 10.80.0.2
run_test t_icmp 6 fd80::1 fd80::2
run_test t_icmp 4 10.80.0.1 10.80.0.2
tap_done
