#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The decision made once per connection (docs/DESIGN.md "Choosing per
# connection"), end to end through the real loader, on the e2e topology
# (tests/e2e/lib.sh) with a middlebox that drops TCP on the client's first
# link (c0) only:
#  - one server port (follow=*:PORT) serving, at the same time, a
#    tunnelled client (through c0) and a plain one (through c1), 20 MB each
#    way with SHA-256 equal; then an MPTCP connection whose first subflow
#    is tunnelled (c0) and whose second is plain (c1);
#  - a tunnelled transfer that lives through `endpoint del` on both ends and
#    `tiu up` of another interface; a plain one through `endpoint add` of an
#    endpoint that matches it.
#   CONN_SERVER_EP=local runs the server test with local=*:PORT instead (the
#   behaviour before follow=: the plain client fails).
#   CONN_BYTES (20000000), CONN_DEL_BYTES (20000000). CONN_ONLY=server: the
#   server checks only (the VM lanes run these); CONN_ONLY=rules: the rule
#   changes only.
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

BYTES=${CONN_BYTES:-20000000}
DEL_BYTES=${CONN_DEL_BYTES:-20000000}
SEP=${CONN_SERVER_EP:-follow}

need_root
need_tiu
need_cmd nft ethtool python3 nsenter tc

ONLY=${CONN_ONLY:-}
tap_plan $(case $ONLY in server|rules) echo 2 ;; *) echo 4 ;; esac)
e2e_init
topo_up || bail "topology"

# TCP crossing the c0 link is dropped (both ways); c1 carries it.
drop_tcp_on_c0() {
	cat >"$WORK/nft.rules" <<EOF
flush ruleset
table inet tiue {
  chain mbox_forward {
    type filter hook forward priority 0; policy accept;
    meta l4proto tcp iifname "rc" counter drop
    meta l4proto tcp oifname "rc" counter drop
  }
}
EOF
	in_ns $R nft -f "$WORK/nft.rules"
}
drop_tcp_on_c0 || bail "middlebox rules"

# srv_pair LABEL PEER CLIENT_JSON: the server result (LABEL.server.json.K)
# whose peer is PEER, judged with the client's (xfer.py check).
srv_pair() {
	local f
	for f in "$WORK/$1".server.json.[0-9]; do
		[ -e "$f" ] || continue
		[ "$(python3 "$XFER" field "$f" peer)" = "$2" ] || continue
		python3 "$XFER" check "$3" "$f"
		return
	done
	echo "# no server result from $2 ($(cat "$3" 2>/dev/null))"
	return 1
}

# ---- one server port, tunnelled and plain clients at once ----------------
if [ "$ONLY" != rules ]; then
server_test() {
	local c0 c1 rc=0 pa pb sp
	tiu_up $C c0 --decap xdp --xdp-mode native --endpoint remote=$SRV4:$PORT || return 1
	tiu_up $S s0 --decap xdp --xdp-mode native --endpoint "$SEP=*:$PORT" || return 1
	c0=$(tiu_counters $S s0 enc_conn_tunnelled enc_conn_plain dec_conn_syn 2>/dev/null)
	rm -f "$WORK"/both.*
	H_CMD_TIMEOUT=70 in_ns $S python3 "$XFER" server --bind 0.0.0.0 --port $PORT --send $BYTES \
		--accept 2 --timeout 40 --out "$WORK/both.server.json" &
	sp=$!
	H_PIDS+=($sp)
	for i in $(seq 200); do [ -e "$WORK/both.server.json.ready" ] && break; sleep 0.05; done
	H_CMD_TIMEOUT=60 in_ns $C python3 "$XFER" client --connect $SRV4 --port $PORT --send $BYTES \
		--timeout 40 --out "$WORK/both.tun.json" &
	pa=$!
	H_CMD_TIMEOUT=60 in_ns $C python3 "$XFER" client --connect $SRV4 --source $CLI4B --port $PORT \
		--send $BYTES --timeout 40 --out "$WORK/both.plain.json" &
	pb=$!
	H_PIDS+=($pa $pb)
	h_wait $pa; h_wait $pb
	for i in $(seq 100); do [ -e "$WORK/both.server.json.2" ] && break; sleep 0.1; done
	kill $sp 2>/dev/null # a client that never connected leaves the server waiting
	echo "# tunnelled client (c0, $CLI4):"
	srv_pair both $CLI4 "$WORK/both.tun.json" || rc=1
	echo "# plain client (c1, $CLI4B):"
	srv_pair both $CLI4B "$WORK/both.plain.json" || rc=1
	c1=$(tiu_counters $S s0 enc_conn_tunnelled enc_conn_plain dec_conn_syn 2>/dev/null)
	echo "# server s0 ($SEP=*:$PORT): $(tiu_counters_delta "$c0" "$c1")"
	[ $rc = 0 ] || return 1
	# the choices were the server's per connection: one each
	grep -q 'enc_conn_tunnelled=+[1-9]' <<<"$(tiu_counters_delta "$c0" "$c1")" &&
		grep -q 'enc_conn_plain=+[1-9]' <<<"$(tiu_counters_delta "$c0" "$c1")"
}
server_test
result $? "one server port ($SEP=*:$PORT): a tunnelled client through the TCP-dropping link and a plain one, at once, $BYTES bytes each way, SHA-256 equal"

mptcp_test() {
	local c0 c1 d sub
	c0=$(tiu_counters $S s0 enc_conn_tunnelled enc_conn_plain dec_conn_syn 2>/dev/null)
	xfer_run mp 4 mptcp $BYTES 40
	xfer_ok mp || return 1
	sub=$(xfer_field mp client subflows_max)
	c1=$(tiu_counters $S s0 enc_conn_tunnelled enc_conn_plain dec_conn_syn 2>/dev/null)
	d=$(tiu_counters_delta "$c0" "$c1")
	echo "# MPTCP: fallback $(xfer_field mp client fallback), subflows $sub; server s0: $d"
	# the first subflow crossed c0 (its TCP is dropped there: tunnelled), the
	# second c1 as plain TCP (the server chose each subflow on its own)
	[ "$(xfer_field mp client fallback)" = False ] && [ "${sub:-0}" -ge 2 ] &&
		grep -q 'enc_conn_tunnelled=+[1-9]' <<<"$d" && grep -q 'enc_conn_plain=+[1-9]' <<<"$d"
}
mptcp_test
result $? "one server port ($SEP=*:$PORT): an MPTCP connection, one subflow tunnelled and one plain, $BYTES bytes each way"
tiu_down_all
fi

[ "$ONLY" = server ] && tap_done && exit

# ---- rule changes while transfers run ------------------------------------
# The middlebox paces the client's links (40 Mbit/s each way: 20 MB take 4 s)
# so that the changes happen during the transfers.
PORT2=$((PORT + 1))   # no endpoint on the server
# wait_established PORT: the server has an established connection on PORT
wait_established() {
	for i in $(seq 100); do
		[ -n "$(in_ns $S ss -Htn state established "( sport = :$1 )")" ] && return 0
		sleep 0.1
	done
	return 1
}
# kept NS IFACE: "enc_conn_kept dec_conn_kept" of IFACE, values only
kept() { tiu_counters $1 $2 enc_conn_kept dec_conn_kept | sed 's/[a-z_]*=//g'; }

# A: a tunnelled transfer whose endpoints are deleted on both ends once it
# runs (and not added back), with tiu up of another interface meanwhile.
del_test() {
	local pid c0 s0 c1 s1
	tiu_up $C c0 --endpoint remote=$SRV4:$PORT || return 1
	tiu_up $S s0 --endpoint "local=*:$PORT" || return 1
	c0=$(kept $C c0) s0=$(kept $S s0)
	h_bg xfer_run del 4 tcp $DEL_BYTES 30
	pid=$H_BG
	wait_established $PORT || { h_wait $pid; return 1; }
	sleep 0.5
	tiu_in $C endpoint del c0 remote=$SRV4:$PORT && tiu_in $S endpoint del s0 "local=*:$PORT" ||
		{ h_wait $pid; return 1; }
	echo "# endpoints deleted on both ends: client c0 lists '$(tiu_in $C endpoint list c0)'"
	tiu_up $C c1 --endpoint remote=$SRV4:$((PORT + 2)) || { h_wait $pid; return 1; }
	echo "# tiu up c1 during the transfer"
	h_wait $pid
	c1=$(kept $C c0) s1=$(kept $S s0)
	echo "# middlebox: $(mbox_counters)"
	echo "# enc_conn_kept dec_conn_kept: client c0 $c0 -> $c1, server s0 $s0 -> $s1"
	xfer_ok del || return 1
	set -- $c0 $c1 $s0 $s1
	[ "${3:-0}" -gt "${1:-0}" ] && [ "${4:-0}" -gt "${2:-0}" ] &&
		[ "${7:-0}" -gt "${5:-0}" ] && [ "${8:-0}" -gt "${6:-0}" ]
}

# B: a plain transfer through c1 (tiu up there, no endpoint for it) to a
# port without endpoints; once it runs, `endpoint add` of an endpoint that
# matches it: it stays plain (the server has nothing to decapsulate with).
add_test() {
	local pid p0 p1
	p0=$(tiu_counter $C c1 enc_conn_plain)
	h_xfer add $S 0.0.0.0 $C $SRV4 $PORT2 $DEL_BYTES --timeout 30 --source $CLI4B &
	pid=$!
	H_PIDS+=($pid)
	wait_established $PORT2 || { h_wait $pid; return 1; }
	sleep 0.5
	tiu_in $C endpoint add c1 remote=$SRV4:$PORT2 &&
		echo "# endpoint added on c1: $(tiu_in $C endpoint list c1 | tr '\n' ' ')" || { h_wait $pid; return 1; }
	h_wait $pid
	p1=$(tiu_counter $C c1 enc_conn_plain)
	echo "# client c1 enc_conn_plain: $p0 -> $p1"
	xfer_ok add || return 1
	[ "${p1:-0}" -gt "${p0:-0}" ]
}

if in_ns $R tc qdisc replace dev rc root tbf rate 40mbit burst 64kb latency 100ms &&
	in_ns $R tc qdisc replace dev rc2 root tbf rate 40mbit burst 64kb latency 100ms &&
	in_ns $R tc qdisc replace dev rs root tbf rate 40mbit burst 64kb latency 100ms; then
	del_test
	result $? "a tunnelled transfer ($DEL_BYTES bytes each way) lives through endpoint del on both ends and tiu up of another interface"
	add_test
	result $? "a plain transfer ($DEL_BYTES bytes each way) stays plain through endpoint add of an endpoint that matches it"
else
	result 1 "pacing the middlebox links (tc qdisc tbf)"
	result 1 "pacing the middlebox links (tc qdisc tbf)"
fi
tiu_down_all

tap_done
