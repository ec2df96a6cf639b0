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
#    `tiu up` of another interface; one that lives through `endpoint del` of
#    its endpoint while another endpoint keeps the port; a plain one through
#    `endpoint add` of an endpoint that matches it;
#  - one socket, two connections (connect(AF_UNSPEC) in between): each
#    gets its own choice, not the one its socket's first connection made.
#   CONN_SERVER_EP=local runs the server test with local=*:PORT instead (the
#   behaviour before follow=: the plain client fails).
#   CONN_BYTES (20000000), CONN_DEL_BYTES (20000000). CONN_ONLY=server: the
#   server checks only (the VM lanes run these); CONN_ONLY=rules: the rule
#   changes only; CONN_ONLY=reuse: the socket used twice only.
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
tap_plan $(case $ONLY in server|reuse) echo 2 ;; rules) echo 3 ;; *) echo 7 ;; esac)
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
if [ -z "$ONLY" ] || [ "$ONLY" = server ]; then
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

if [ "$ONLY" = server ]; then tap_done; exit; fi

if [ "$ONLY" != reuse ]; then

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

# A2: a tunnelled transfer whose endpoint is deleted on the client while
# another endpoint (an address that takes no part) keeps its port: a
# packet of the transfer then matches only the lingering port.
del_shared_test() {
	local pid c0 c1
	tiu_up $C c0 --endpoint remote=$SRV4:$PORT || return 1
	tiu_in $C endpoint add c0 remote=192.0.2.1:$PORT || return 1
	tiu_up $S s0 --endpoint "local=*:$PORT" || return 1
	c0=$(kept $C c0)
	h_bg xfer_run delshared 4 tcp $DEL_BYTES 30
	pid=$H_BG
	wait_established $PORT || { h_wait $pid; return 1; }
	sleep 0.5
	tiu_in $C endpoint del c0 remote=$SRV4:$PORT || { h_wait $pid; return 1; }
	echo "# client c0 endpoints after the deletion: $(tiu_in $C endpoint list c0 | tr '\n' ' ')"
	h_wait $pid
	c1=$(kept $C c0)
	echo "# enc_conn_kept dec_conn_kept: client c0 $c0 -> $c1"
	xfer_ok delshared || return 1
	set -- $c0 $c1
	[ "${3:-0}" -gt "${1:-0}" ] && [ "${4:-0}" -gt "${2:-0}" ]
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
	tiu_down_all
	del_shared_test
	result $? "a tunnelled transfer ($DEL_BYTES bytes each way) lives through endpoint del of its endpoint while another endpoint keeps the port"
else
	for i in 1 2 3; do result 1 "pacing the middlebox links (tc qdisc tbf)"; done
fi
tiu_down_all
for d in rc rc2 rs; do in_ns $R tc qdisc del dev $d root 2>/dev/null; done
fi

if [ "$ONLY" = rules ]; then tap_done; exit; fi

# ---- one socket, two connections -----------------------------------------
# A TCP socket can be dissolved with connect(AF_UNSPEC) (tcp_disconnect())
# and connected again: a new connection, whose choice its own first packet
# makes, while the socket (and its storage) lives on. The client's c0 drops
# TCP, so a connection there gets through only tunnelled: PORT has an
# endpoint on both ends, PORT2 none.
cat >"$WORK/reuse.py" <<'PY'
import ctypes, socket, sys
srv, first, second, first_wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
def attempt(s, port, wait):
    s.settimeout(wait)
    try:
        s.connect((srv, port))
        s.sendall(b"ping")
        return "echoed" if s.recv(4) == b"ping" else "no-echo"
    except socket.timeout:
        return "timed-out"
    except OSError as e:
        return "failed-errno-%d" % e.errno
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
a = attempt(s, first, first_wait)
unspec = (ctypes.c_ubyte * 16)()  # sa_family 0: AF_UNSPEC
if libc.connect(s.fileno(), unspec, 16) != 0:
    print("connect(AF_UNSPEC) failed: errno %d" % ctypes.get_errno())
    sys.exit(2)
print(a, attempt(s, second, 4.0))
PY
cat >"$WORK/echo.py" <<'PY'
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(8)
open(sys.argv[2], "w").close()
while True:
    c, _ = l.accept()
    c.settimeout(5)
    try:
        c.sendall(c.recv(4))
    except OSError:
        pass
    c.close()
PY
# reuse_test FIRST SECOND FIRST_WAIT WANT: one socket connects to FIRST (for
# at most FIRST_WAIT s), then, after connect(AF_UNSPEC), to SECOND; WANT:
# the two outcomes. The client's counters must show one choice of each kind.
reuse_test() {
	local out c0 c1 d
	c0=$(tiu_counters $C c0 enc_conn_tunnelled enc_conn_plain)
	out=$(H_CMD_TIMEOUT=20 in_ns $C python3 "$WORK/reuse.py" $SRV4 $1 $2 $3)
	c1=$(tiu_counters $C c0 enc_conn_tunnelled enc_conn_plain)
	d=$(tiu_counters_delta "$c0" "$c1")
	echo "# :$1, then :$2 on the same socket: $out; client c0: $d"
	[ "$out" = "$4" ] && grep -q 'enc_conn_tunnelled=+1\b' <<<"$d" &&
		grep -q 'enc_conn_plain=+1\b' <<<"$d"
}
PORT2=$((PORT + 1))
if tiu_up $C c0 --endpoint remote=$SRV4:$PORT && tiu_up $S s0 --endpoint "local=*:$PORT"; then
	rm -f "$WORK/echo.ready"
	in_ns $S python3 "$WORK/echo.py" $PORT "$WORK/echo.ready" &
	H_PIDS+=($!)
	for i in $(seq 100); do [ -e "$WORK/echo.ready" ] && break; sleep 0.05; done
	reuse_test $PORT2 $PORT 1.5 "timed-out echoed"
	result $? "one socket: a plain connection (TCP dropped on c0), then connect(AF_UNSPEC) and one to the endpoint's port: tunnelled, echoed"
	reuse_test $PORT $PORT2 4 "echoed timed-out"
	result $? "one socket: a tunnelled connection, then connect(AF_UNSPEC) and one to a port without endpoint: plain (dropped on c0)"
else
	result 1 "tiu up for the socket reuse test"
	result 1 "tiu up for the socket reuse test"
fi
tiu_down_all

tap_done
