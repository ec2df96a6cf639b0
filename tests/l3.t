#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/l3.t - tiu on layer-3 (raw IP) interfaces, end to end.
#
#   client ns: tunf0 10.78.0.1 fd78::1  <- tunfwd ->  server ns: tunf0 10.78.0.2 fd78::2
#
# tests/tools/tunfwd.c creates a tun device in each namespace and is the
# middlebox between them: it drops TCP and carries UDP, counting what it
# carried and checking every UDP checksum. TUNSETLINK gives the devices the
# type under test: ARPHRD_NONE (tun, WireGuard), ARPHRD_RAWIP (wwan, rmnet,
# qmimux), ARPHRD_PPP - the framing tiu sees is the same as on those drivers
# (the packet starts at the IP header), which this kernel does not have.
#
# For each type: 2 MB each way over IPv4 and over IPv6 with equal SHA-256,
# with generic XDP decap on one side and TC decap on the other (swapped per
# type), and tiu's counters equal to what the forwarder carried, packet for
# packet and byte for byte. Then: without tiu nothing gets through; a device
# type tiu cannot handle is refused in one line with nothing attached;
# native XDP on tun is refused by the kernel and tiu says so.
# Wall time: about 25 s.
. "$(dirname "$0")/lib/harness.sh"

need_root
need_tiu
need_cmd python3
FWD=$BUILD/tests/tools/tunfwd
need_built "$FWD"
h_init l3
h_watchdog 240
h_ns C c
h_ns S s

PORT=7001
BYTES=2000000
FWD_PID=
FWD_STATS=$H_WORK/fwd.json

# fwd_start TYPE: the tun pair (type TYPE, "" for tun's own) and the forwarder.
fwd_start() {
	local i
	rm -f "$H_WORK/fwd.ready" "$FWD_STATS"
	h_bg "$FWD" "$C" "$S" --ready "$H_WORK/fwd.ready" --stats "$FWD_STATS" ${1:+--type "$1"}
	FWD_PID=$H_BG
	for i in $(seq 100); do [ -e "$H_WORK/fwd.ready" ] && break; sleep 0.05; done
	[ -e "$H_WORK/fwd.ready" ] || return 1
	h_addr "$C" tunf0 10.78.0.1/24 fd78::1/64 && h_addr "$S" tunf0 10.78.0.2/24 fd78::2/64 &&
		ip -n "$C" link set tunf0 up && ip -n "$S" link set tunf0 up
}

# fwd_stop: tiu down on both sides first, then the forwarder (its devices go).
fwd_stop() {
	tiu_down_all >/dev/null 2>&1
	[ -n "$FWD_PID" ] || return 0
	kill "$FWD_PID" 2>/dev/null
	h_wait "$FWD_PID" 2>/dev/null
	FWD_PID=
}

# fwd_counter NAME: the forwarder's counter NAME now.
fwd_counter() {
	local seq i
	seq=$(fwd_field seq)
	kill -USR1 "$FWD_PID"
	for i in $(seq 100); do [ "$(fwd_field seq)" != "$seq" ] && break; sleep 0.02; done
	fwd_field "$1"
}
fwd_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$FWD_STATS" "$1" 2>/dev/null; }

# sum NS NAME...: the sum of tiu's counters NAME... on tunf0 in NS.
sum() {
	local ns=$1 json n v t=0
	shift
	json=$(tiu_stats_json "$ns" tunf0) || return 1
	for n in "$@"; do
		v=$(counter_of "$n" <<<"$json")
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

t_middlebox() {
	fwd_start "" || { not_ok "the tun pair and the forwarder come up"; return; }
	if h_xfer base "$S" 0.0.0.0 "$C" 10.78.0.2 $PORT 100000 --timeout 4 >/dev/null 2>&1; then
		not_ok "without tiu TCP must not get through the middlebox"
	else
		local d
		d=$(fwd_counter a2b_tcp_dropped)
		[ "${d:-0}" -gt 0 ] && ok "without tiu the middlebox drops TCP ($d segments dropped), no transfer" ||
			not_ok "without tiu: the forwarder dropped no TCP ($d)"
	fi
	fwd_stop
}

# t_type TYPE LABEL CLIENT_DECAP SERVER_DECAP
t_type() {
	local type=$1 lab=$2 cdec=$3 sdec=$4 fam a2b a2b_b b2a b2a_b bad drop t0 secs
	local -a copt sopt
	fwd_start "$type" || { not_ok "$lab: the tun pair and the forwarder come up"; return; }
	[ "$cdec" = tc ] && copt=(--decap tc) || copt=(--decap xdp --xdp-mode skb)
	[ "$sdec" = tc ] && sopt=(--decap tc) || sopt=(--decap xdp --xdp-mode skb)
	if ! tiu_up "$C" tunf0 "${copt[@]}" --endpoint remote=10.78.0.2:$PORT --endpoint "remote=[fd78::2]:$PORT" ||
	   ! tiu_up "$S" tunf0 "${sopt[@]}" --endpoint "local=*:$PORT"; then
		not_ok "$lab: tiu up on both sides"; fwd_stop; return
	fi
	if grep -q "up: raw IP framing" "$H_WORK/tiu-up.$C.tunf0.log" &&
	   tiu_in "$S" status tunf0 | grep -q "framing: raw IP (link/$lab)" &&
	   tiu_in "$C" status tunf0 --json | grep -q "\"framing\":\"raw IP\",\"device_type\":\"$lab\""; then
		ok "$lab: up and status (text and --json) show raw-IP framing and the device type"
	else
		not_ok "$lab: framing in up/status"; tiu_in "$S" status tunf0 | diag
	fi
	# what the forwarder carried before tiu's counters started (tiu up resets them)
	a2b=$(fwd_counter a2b_udp) a2b_b=$(fwd_field a2b_udp_bytes)
	b2a=$(fwd_field b2a_udp) b2a_b=$(fwd_field b2a_udp_bytes)
	for fam in 4 6; do
		local addr=10.78.0.2 bind=0.0.0.0
		[ $fam = 6 ] && addr=fd78::2 bind=::
		t0=$(date +%s.%N)
		if h_xfer "$lab$fam" "$S" $bind "$C" $addr $PORT $BYTES --timeout 30 >/dev/null 2>&1 &&
		   xfer_ok "$lab$fam" >/dev/null; then
			secs=$(xfer_field "$lab$fam" client seconds)
			ok "$lab: IPv$fam through tiu, XDP/TC decap $cdec/$sdec: $BYTES bytes each way, SHA-256 equal (${secs} s)"
		else
			not_ok "$lab: IPv$fam transfer through tiu"; xfer_ok "$lab$fam" 2>&1 | diag
		fi
	done
	sleep 0.5 # the last ACKs
	a2b=$(($(fwd_counter a2b_udp) - a2b)) a2b_b=$(($(fwd_field a2b_udp_bytes) - a2b_b))
	b2a=$(($(fwd_field b2a_udp) - b2a)) b2a_b=$(($(fwd_field b2a_udp_bytes) - b2a_b))
	bad=$(($(fwd_field a2b_udp_bad) + $(fwd_field b2a_udp_bad)))
	drop=$(($(fwd_field a2b_tcp_dropped) + $(fwd_field b2a_tcp_dropped)))
	local c_enc c_enc_b c_dec c_dec_b s_enc s_enc_b s_dec s_dec_b c_det s_det
	c_enc=$(sum "$C" enc_converted detour_converted) c_enc_b=$(sum "$C" enc_bytes detour_bytes)
	s_dec=$(sum "$S" dec_converted) s_dec_b=$(sum "$S" dec_bytes)
	s_enc=$(sum "$S" enc_converted detour_converted) s_enc_b=$(sum "$S" enc_bytes detour_bytes)
	c_dec=$(sum "$C" dec_converted) c_dec_b=$(sum "$C" dec_bytes)
	c_det=$(sum "$C" enc_detoured) s_det=$(sum "$S" enc_detoured)
	note "$lab: forwarder a2b $a2b UDP ($a2b_b bytes), b2a $b2a UDP ($b2a_b bytes); client converted $c_enc (detoured $c_det), server restored $s_dec; server converted $s_enc (detoured $s_det), client restored $c_dec"
	if [ "$a2b" -gt 0 ] && [ "$c_enc" = "$a2b" ] && [ "$s_dec" = "$a2b" ] &&
	   [ "$c_enc_b" = "$a2b_b" ] && [ "$s_dec_b" = "$a2b_b" ]; then
		ok "$lab: client->server: tiu converted and restored exactly what the forwarder carried ($a2b packets, $a2b_b bytes)"
	else
		not_ok "$lab: client->server counters differ from the forwarder's"
	fi
	if [ "$b2a" -gt 0 ] && [ "$s_enc" = "$b2a" ] && [ "$c_dec" = "$b2a" ] &&
	   [ "$s_enc_b" = "$b2a_b" ] && [ "$c_dec_b" = "$b2a_b" ]; then
		ok "$lab: server->client: tiu converted and restored exactly what the forwarder carried ($b2a packets, $b2a_b bytes)"
	else
		not_ok "$lab: server->client counters differ from the forwarder's"
	fi
	if [ "$c_det" -gt 0 ] && [ "$bad" = 0 ] && [ "$drop" = 0 ] &&
	   [ -z "$(tiu_counters_nonzero "$C" tunf0 | grep -o '[a-z_]*drop[a-z_0-9]*=[0-9]*')" ] &&
	   [ -z "$(tiu_counters_nonzero "$S" tunf0 | grep -o '[a-z_]*drop[a-z_0-9]*=[0-9]*')" ]; then
		ok "$lab: the detour carried raw-IP TCP ($c_det + $s_det super-packets), every UDP checksum valid, no TCP dropped, no drop counter moved"
	else
		not_ok "$lab: detour $c_det/$s_det, bad UDP checksums $bad, TCP dropped $drop"
		{ tiu_counters_nonzero "$C" tunf0; tiu_counters_nonzero "$S" tunf0; } | diag
	fi
	fwd_stop
}

t_unsupported() {
	local out rc n
	fwd_start 778 || { not_ok "a tun pair of type gre comes up"; return; }
	out=$(tiu_in "$C" up tunf0 --endpoint remote=10.78.0.2:$PORT 2>&1 >/dev/null); rc=$?
	n=$(wc -l <<<"$out")
	if [ $rc != 0 ] && [ "$n" = 1 ] &&
	   grep -q "tunf0: device type link/gre (ARPHRD 778) is not supported" <<<"$out" &&
	   [ -z "$(tc -n "$C" qdisc show dev tunf0 | grep clsact)" ] &&
	   ! ip -n "$C" link show tunf0 | grep -q xdp &&
	   [ "$(ip -n "$C" -o link show | grep -c 'tiu[0-9]*[dp]')" = 0 ] &&
	   ! tiu_in "$C" status --json | grep -q '"pins":true'; then
		ok "an unsupported device type: one line naming the device and its type, exit $rc, nothing attached"
	else
		not_ok "unsupported device type (rc $rc, $n lines)"; echo "$out" | diag
	fi
	fwd_stop
}

t_native() {
	local out rc
	fwd_start "" || { not_ok "the tun pair comes up"; return; }
	out=$(tiu_in "$C" up tunf0 --xdp-mode native --endpoint remote=10.78.0.2:$PORT 2>&1 >/dev/null); rc=$?
	if [ $rc != 0 ] && grep -q "tunf0: native XDP attach failed: .*does not support XDP in native mode.*try --xdp-mode skb" <<<"$out" &&
	   [ "$(ip -n "$C" -o link show | grep -c 'tiu[0-9]*[dp]')" = 0 ] && ! ip -n "$C" link show tunf0 | grep -q xdp; then
		ok "native XDP on tun: the kernel refuses it (no ndo_bpf in TUN mode), tiu says so and undoes everything"
	else
		not_ok "native XDP on tun (rc $rc)"; echo "$out" | diag
	fi
	# not in $(...): tiu_up records the interface for fwd_stop and the cleanup
	tiu_up "$C" tunf0 --endpoint remote=10.78.0.2:$PORT >"$H_WORK/up-auto.out" 2>&1
	out=$(cat "$H_WORK/up-auto.out" "$H_WORK/tiu-up.$C.tunf0.log")
	if [ "$(grep -c 'warning: tunf0: native XDP not available' <<<"$out")" = 1 ] &&
	   tiu_in "$C" status tunf0 | grep -q "xdp: tiu_xdp_decap id [0-9]*, skb"; then
		ok "--xdp-mode auto on tun: one warning line, XDP in skb mode"
	else
		not_ok "--xdp-mode auto on tun"; echo "$out" | diag
	fi
	fwd_stop
}

run_test t_middlebox
run_test t_type "" none xdp tc
run_test t_type 519 rawip tc xdp
run_test t_type 512 ppp xdp xdp
run_test t_unsupported
run_test t_native
tap_done
