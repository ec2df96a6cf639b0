#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# probe.t - `tiu probe IFACE SERVER:PORT/TUNNEL_PORT` on four paths from one
# client to one server, each through a middlebox namespace of its own:
#
#   client c1 -- m1 (drops TCP)            -- s1 server
#   client c2 -- m2 (strips MPTCP options) -- s2 server
#   client c3 -- m3 (drops UDP)            -- s3 server
#   client c4 -- m4 (clean; MTU 1400 on its server side) -- s4 server
#
# The server runs MPTCP listeners (they also take plain TCP) on TCP ports
# 7000 (plain) and 7001 (the tunnel port: tiu up on s1..s4 with
# local=*:7001 converts the tunnelled SYN into a TCP SYN to it). Asserted
# for every path, in the text lines and in -j: plain-tcp, mptcp, tunnel and
# the verdict (tunnel, tunnel, plain, plain), the exit status (3, 3, 0, 0),
# the middleboxes' nftables counters where they dropped or stripped, and on
# path 4 the MTU learnt from the middlebox's "fragmentation needed" (1400,
# MSS 1360) while the server's SYN-ACK offers 1460. A tunnel port without
# a listener is "tunnel refused" (tiu answered), one without tiu "closed". Then the errors: an
# unknown interface, an interface without an IPv4 address, a bad server.
# Path 4 also carries IPv6: one run there, and one with two servers; and
# a run with tiu up on the client's c4 (remote= the tunnel port).
# 60-130 s of wall time measured on a busy 2-CPU machine (most of it the
# topology and tiu up; each blocked check waits --timeout 1500).

. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd nft python3 nsenter ss

PORT=7000 TPORT=7001 TO=1500
tap_plan 31
h_init probe
h_watchdog 400

# ------------------------------------------------------------- topology --
# mb_table NS COUNTER RULE: NS forwards through table inet mb, whose one
# RULE (in chain pass) counts what it does in the named COUNTER.
mb_table() {
	in_ns "$1" nft -f - <<-EOF
	table inet mb {
		counter $2 {}
		chain pass { type filter hook forward priority 0; policy accept;
			$3
		}
	}
	EOF
}

setup() {
	local i
	h_ns C c && h_ns S s || return 1
	for i in 1 2 3 4; do
		h_ns "M$i" "m$i" || return 1
		local m=M$i
		h_veth "$C" "c$i" "${!m}" "a$i" && h_veth "${!m}" "b$i" "$S" "s$i" || return 1
		h_addr "$C" "c$i" "10.10.$i.1/24" && h_addr "${!m}" "a$i" "10.10.$i.2/24" &&
			h_addr "${!m}" "b$i" "10.20.$i.2/24" && h_addr "$S" "s$i" "10.20.$i.1/24" || return 1
		ip -n "$C" route add "10.20.$i.0/24" via "10.10.$i.2" dev "c$i" &&
			ip -n "$S" route add "10.10.$i.0/24" via "10.20.$i.2" dev "s$i" &&
			ip netns exec "${!m}" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	ip -n "$M4" link set b4 mtu 1400 || return 1
	# path 4 carries IPv6 too
	h_addr "$C" c4 fd10:4::1/64 && h_addr "$M4" a4 fd10:4::2/64 && h_addr "$M4" b4 fd20:4::2/64 &&
		h_addr "$S" s4 fd20:4::1/64 || return 1
	ip -n "$C" -6 route add fd20:4::/64 via fd10:4::2 dev c4 &&
		ip -n "$S" -6 route add fd10:4::/64 via fd20:4::2 dev s4 &&
		ip netns exec "$M4" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	mb_table "$M1" dropped "meta l4proto tcp counter name dropped drop" || return 1
	# the MPTCP option (kind 30) becomes NOPs, the checksum follows
	mb_table "$M2" stripped "tcp option mptcp exists counter name stripped reset tcp option mptcp" || return 1
	mb_table "$M3" dropped "meta l4proto udp counter name dropped drop" || return 1
	in_ns "$S" sysctl -qw net.mptcp.enabled=1 && in_ns "$C" sysctl -qw net.mptcp.enabled=1 || return 1
	# MPTCP listeners answer MPTCP and plain TCP alike; they accept and close
	# (a connection reset before accept makes accept fail: they go on);
	# through ns_enter, not in_ns, whose 60 s bound ends them in a slow run
	h_bg ns_enter "$S" python3 -c '
import select, socket, sys
ls = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, 262)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(p)))
    s.listen(64)
    ls.append(s)
while True:
    for s in select.select(ls, [], [])[0]:
        try:
            s.accept()[0].close()
        except OSError:  # reset before accept (the probe closes with RST)
            pass' "$PORT" "$TPORT"
	for i in $(seq 100); do
		[ "$(in_ns "$S" ss -Hltn "( sport = :$PORT or sport = :$TPORT )" | wc -l)" = 2 ] && break
		sleep 0.1
	done
	[ "$(in_ns "$S" ss -Hltn "( sport = :$PORT or sport = :$TPORT )" | wc -l)" = 2 ] ||
		{ echo "# the listeners did not start" >&2; return 1; }
	for i in 1 2 3 4; do
		tiu_up "$S" "s$i" --endpoint "local=*:$TPORT" || return 1
	done
}

# nft_counter NS NAME: packets of the named counter of table inet mb.
nft_counter() { in_ns "$1" nft list counter inet mb "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# probe I [ARGS...]: tiu probe on c$I to the server's address on path I;
# output in $OUT, status in $RC.
probe() {
	local i=$1
	shift
	OUT=$(tiu_in "$C" probe "c$i" "10.20.$i.1:$PORT/$TPORT" --timeout $TO "$@" 2>&1)
	RC=$?
	echo "$OUT" | sed 's/^/#   /'
}

# has LINE...: every LINE (a regular expression for a whole line) in $OUT.
has() {
	local l
	for l in "$@"; do grep -qxE "$l" <<<"$OUT" || { echo "# missing: $l" >&2; return 1; }; done
}

# json_is FIELD=VALUE...: the first object of the -j array in $OUT.
json_is() {
	python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert isinstance(o, list) and len(o) == 1, "not an array of one object"
bad = [kv for kv in sys.argv[2:] if str(o[0].get(kv.split("=")[0])) != kv.split("=", 1)[1]]
if bad:
    print("# json: not", bad, "in", o[0]); sys.exit(1)' "$OUT" "$@"
}

# t_path I TCP MPTCP TUNNEL VERDICT RC: the text and JSON findings of path I.
t_path() {
	local i=$1 tcp=$2 mptcp=$3 tun=$4 ver=$5 rc=$6 l="c$1 10\.20\.$1\.1:$PORT"
	probe "$i"
	[ $RC = "$rc" ] && has "$l plain-tcp $tcp( .*)?" "$l mptcp $mptcp( .*)?" \
		"$l tunnel $tun port $TPORT( .*)?" "$l verdict $ver"
	result $? "path $i text: plain-tcp $tcp, mptcp $mptcp, tunnel $tun, verdict $ver, exit $rc (got $RC)"
	TEXT=$OUT
	probe "$i" -j
	[ $RC = "$rc" ] && json_is "iface=c$i" "server=10.20.$i.1:$PORT" "tunnel_port=$TPORT" \
		"plain_tcp=$tcp" "mptcp=$mptcp" "tunnel=$tun" "verdict=$ver"
	result $? "path $i -j: the same findings (exit $RC)"
	JSON=$OUT
}

t_paths() {
	local d1 s2 d3 s2b
	t_path 1 blocked blocked ok tunnel 3
	d1=$(nft_counter "$M1" dropped)
	[ "${d1:-0}" -ge 4 ]
	result $? "middlebox 1 dropped the probe's TCP: $d1 packets (at least a SYN each of two runs, plain and MPTCP)"
	grep -q "plain-tcp blocked timeout ${TO}ms" <<<"$TEXT"
	result $? "path 1: a TCP drop is told as a timeout, not a refusal"

	s2=$(nft_counter "$M2" stripped)
	t_path 2 ok stripped ok tunnel 3
	s2b=$(nft_counter "$M2" stripped)
	[ "${s2b:-0}" -ge $((${s2:-0} + 2)) ]
	result $? "middlebox 2 stripped MP_CAPABLE of both MPTCP SYNs: its counter went ${s2:-?} -> ${s2b:-?}"

	t_path 3 ok ok blocked plain 0
	d3=$(nft_counter "$M3" dropped)
	[ "${d3:-0}" -ge 2 ]
	result $? "middlebox 3 dropped the tunnelled SYNs: $d3 packets"

	t_path 4 ok ok ok plain 0
	OUT=$TEXT has "c4 10\.20\.4\.1:$PORT mtu 1400 mss 1360 from path"
	result $? "path 4: MTU 1400 learnt from the middlebox's ICMP, MSS 1360"
	OUT=$JSON json_is mtu=1400 mss=1360 mtu_from=path syn_ack_mss=1460
	result $? "path 4 -j: mtu 1400, mss 1360 from path; the server's SYN-ACK offered 1460"
	# the other paths' MTU is their route's
	probe 3
	has "c3 10\.20\.3\.1:$PORT mtu 1500 mss 1460 from link"
	result $? "path 3: MTU 1500 of the link, nothing said smaller"
}

# IPv6 on the clean path, and two servers in one run: one line set and
# one JSON object each, in order; the MTU of IPv6 is the same 1400 (MSS 1340).
t_ipv6_two() {
	local l6="c4 \[fd20:4::1\]:$PORT"
	OUT=$(tiu_in "$C" probe c4 "[fd20:4::1]:$PORT/$TPORT" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && has "$l6 plain-tcp ok" "$l6 mptcp ok" "$l6 tunnel ok port $TPORT" \
		"$l6 mtu 1400 mss 1340 from path" "$l6 verdict plain"
	result $? "IPv6 path 4: plain-tcp, mptcp and tunnel ok, mtu 1400 mss 1340, verdict plain (exit $RC)"
	OUT=$(tiu_in "$C" probe -j c4 "[fd20:4::1]:$PORT/$TPORT" "10.20.4.1:$PORT/7003" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert [x["server"] for x in o] == ["[fd20:4::1]:7000", "10.20.4.1:7000"], o
assert [x["tunnel"] for x in o] == ["ok", "closed"], o
assert [x["tunnel_port"] for x in o] == [7001, 7003], o' "$OUT"
	result $? "two servers in one run: a JSON object each, in order (exit $RC)"
}

# A tunnelled probe leaves no half-open connection: the RST after the
# SYN-ACK removes the server's request (no SYN-RECV left on the tunnel port).
t_no_half_open() {
	local n
	probe 4
	n=$(in_ns "$S" ss -Htn state syn-recv "sport = :$TPORT" | wc -l)
	[ "$n" = 0 ]
	result $? "the server keeps no half-open connection of the tunnelled probe ($n in SYN-RECV)"
}

# The tunnel's other answers, on the clean path: a port without tiu is
# closed (ICMP port unreachable: UDP got there), a tiu port without a
# listener refused (a tunnelled RST: the tunnel got there), a SYN-ACK that
# acknowledges another sequence number bad; a plain port without a
# listener refused, which still counts as reaching the server.
t_tunnel_answers() {
	local l="c4 10\.20\.4\.1:$PORT"
	OUT=$(tiu_in "$C" probe c4 "10.20.4.1:$PORT/7002" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && has "$l tunnel closed port 7002 .*no tiu local= endpoint.*" "$l verdict plain"
	result $? "a tunnel port without tiu: tunnel closed (exit $RC)"
	tiu_in "$S" endpoint add s4 "local=*:7002" >/dev/null 2>&1 || { not_ok "tiu endpoint add s4"; return; }
	OUT=$(tiu_in "$C" probe c4 "10.20.4.1:$PORT/7002" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && has "$l tunnel refused port 7002 .*nothing listens.*"
	result $? "a tiu port without a listener: tunnel refused (exit $RC)"
	# a UDP responder on 7005 that answers every SYN with a SYN-ACK in tiu's
	# form acknowledging the wrong sequence number (ISN + 2)
	h_bg ns_enter "$S" python3 -c '
import socket, struct
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 7005))
while True:
    b, a = u.recvfrom(2048)
    if len(b) >= 12 and b[1] & 0x02:
        seq = struct.unpack("!I", b[4:8])[0]
        u.sendto(struct.pack("!BBHII", 0x50, 0x12, 1000, 12345, (seq + 2) & 0xffffffff), a)'
	for i in $(seq 50); do in_ns "$S" ss -Hlun "sport = :7005" | grep -q . && break; sleep 0.1; done
	OUT=$(tiu_in "$C" probe c4 "10.20.4.1:$PORT/7005" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && has "$l tunnel bad port 7005 an answer that is not our SYN-ACK \(flags 0x12 .*" "$l verdict plain"
	result $? "a SYN-ACK that acknowledges another sequence number: tunnel bad (exit $RC)"
	l="c4 10\.20\.4\.1:7009"
	OUT=$(tiu_in "$C" probe c4 "10.20.4.1:7009/$TPORT" --timeout $TO 2>&1); RC=$?
	echo "$OUT" | sed 's/^/#   /'
	[ $RC = 0 ] && has "$l plain-tcp refused reset by the server" "$l mptcp unknown reset by the server" \
		"$l tunnel ok port $TPORT" "$l verdict plain"
	result $? "a plain port without a listener: refused (TCP reaches the server), mptcp unknown, verdict plain (exit $RC)"
}

# With tiu up on the client's interface and a remote= endpoint for the
# tunnel port, the probe still sees the tunnel: the tunnelled SYN-ACK to
# its UDP socket belongs to no TCP connection of the client, so the
# client's decap passes it as UDP (dec_skip_not_ours) instead of turning
# it into TCP that no socket would take.
t_client_tiu_up() {
	local l="c4 10\.20\.4\.1:$PORT" n0 n1
	tiu_up "$C" c4 --endpoint "remote=10.20.4.1:$TPORT" || { not_ok "tiu up c4 on the client"; return; }
	n0=$(tiu_counter "$C" c4 dec_skip_not_ours) || { not_ok "the client's counters"; return; }
	probe 4
	n1=$(tiu_counter "$C" c4 dec_skip_not_ours)
	[ $RC = 0 ] && has "$l plain-tcp ok" "$l tunnel ok port $TPORT" "$l verdict plain" &&
		[ "${n1:-0}" -ge $((n0 + 1)) ]
	result $? "with tiu up on c4 (remote=SERVER:$TPORT): tunnel ok, the SYN-ACK passed as UDP (dec_skip_not_ours $n0 -> ${n1:-?})"
}

# probe_says RC PATTERN DESC ARGS...: `tiu probe ARGS` in C exits RC with
# output matching PATTERN; its output follows DESC.
probe_says() {
	local want=$1 pat=$2 desc=$3 out rc
	shift 3
	out=$(tiu_in "$C" probe "$@" 2>&1); rc=$?
	[ $rc = "$want" ] && grep -q "$pat" <<<"$out"
	result $? "$desc ($out)"
}

t_errors() {
	local out rc
	probe_says 1 "nosuch0: no such interface" "an unknown interface: exit 1, named" \
		nosuch0 "10.20.1.1:$PORT"
	ip -n "$C" link add c9 type veth peer name c9p && ip -n "$C" link set c9 up &&
		ip -n "$C" link set c9p up || return 1
	probe_says 1 "c9: no IPv4 address" "an interface without an address: exit 1, named" \
		c9 "10.20.1.1:$PORT"
	probe_says 2 "bad server '10.20.1.1': no port" "a server without a port: exit 2, named" \
		c1 "10.20.1.1"
	probe_says 2 "tunnel port '70000'" "a bad tunnel port: exit 2, named" \
		c1 "10.20.1.1:$PORT/70000"
	probe_says 2 "'server.example' is not a numeric" "a name instead of an address: exit 2, named" \
		c1 "server.example:$PORT"
	probe_says 2 "bad --timeout '0'" "a bad --timeout: exit 2, named" \
		c1 "10.20.1.1:$PORT" --timeout 0
	probe_says 2 "c1: which server" "no server: exit 2" c1
	out=$(tiu_in "$C" probe --help 2>&1); rc=$?
	[ $rc = 0 ] && grep -q "^Exit status: 0 every verdict is plain; 3" <<<"$out"
	result $? "--help documents the exit status"
}

setup || bail "topology"
run_test t_paths
run_test t_ipv6_two
run_test t_no_half_open
run_test t_tunnel_answers
run_test t_client_tiu_up
run_test t_errors
tap_done
