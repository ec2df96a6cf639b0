#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# NAT and idle connections (idle tunnelled connections must keep their NAT
# mapping through TCP keepalive): tunnelled connections through a NAT
# router whose UDP mappings expire after 3 s (nftables masquerade in the
# middle namespace; port-preserving for ports 7001/7003, fully-random for
# 7002/7004). Each case holds a connection idle for IDLE s, then the server
# sends a message; all cases of a phase run at the same time.
#   phase 1, control, `tiu up --keepalive 0`: the message does not arrive;
#     through the port-randomizing NAT the client's next segment is reset.
#   phase 2, `tiu up --keepalive 1`: it arrives at once, the connection is
#     not reset, the NAT's UDP entries stay, the probes on the wire are valid
#     tunnelled UDP, the counters count exactly the tunnelled connections and
#     subflows, and an untunnelled connection keeps SO_KEEPALIVE off.
# Cases: TCP and MPTCP (two subflows, over both client links) through each
# NAT, plus plain TCP to port 7009 (not an endpoint, not tunnelled).
# Then: connections whose application set its own keepalive before
# connect() (SO_KEEPALIVE with TCP_KEEPIDLE 3600, SO_KEEPALIVE 0, nothing;
# TCP and MPTCP) keep that choice, read back with getsockopt() and ss, and
# counted as kept or given; a `tiu up` killed after attaching the keepalive
# leaves nothing that `tiu down` does not remove. Standalone: `prove -v tests/keepalive.t` (root).
# Wall time: about 45 s (two idle phases of IDLE + 3 s).
#   KA_IDLE=S changes the idle time; H_KEEP=1 keeps the work directory.
#
#   client C (c0 10.77.1.1, c1 10.77.3.1: MPTCP's second subflow)
#     c0--rc   c1--rc2
#   NAT router R (masquerade out of rs 10.77.2.254)
#     rs--s0
#   server S (s0 10.77.2.1)
set -u
. "$(dirname "$0")/lib/harness.sh"
IDLE_PY=$ROOT/tests/e2e/idle.py
PCAPCHECK=$ROOT/tests/e2e/pcapcheck.py

IDLE=${KA_IDLE:-10}
WAIT=3                 # how long past IDLE the client waits for the message
UDP_TIMEOUT=3          # the NAT's conntrack UDP timeouts
P_TCP=7001 P_TCP_R=7002 P_MP=7003 P_MP_R=7004 P_PLAIN=7009
TUN_PORTS="$P_TCP $P_TCP_R $P_MP $P_MP_R"
# case: label port proto nat
CASES=(
	"tcp-preserve $P_TCP tcp port-preserving"
	"tcp-random $P_TCP_R tcp fully-random"
	"mptcp-preserve $P_MP mptcp port-preserving"
	"mptcp-random $P_MP_R mptcp fully-random"
	"plain-tcp $P_PLAIN tcp port-preserving"
)

SRV4=10.77.2.1 CLI4=10.77.1.1 CLI4B=10.77.3.1 NAT4=10.77.2.254

need_root
need_tiu
need_cmd tcpdump nft conntrack ss python3 nsenter bpftool
awk '$3 == "cgroup2" { f = 1 } END { exit !f }' /proc/self/mounts ||
	skip_all "no cgroup v2 mount: tiu has no keepalive here (tiu up warns)"

h_init tiuka
WORK=$H_WORK
T0=$SECONDS
tap() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; } # tap RC DESCRIPTION
# jq-less JSON field access: jget FILE EXPR (python expression on j)
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

topo_up() {
	h_ns C cli && h_ns R nat && h_ns S srv || return 1
	h_veth "$C" c0 "$R" rc && h_veth "$C" c1 "$R" rc2 && h_veth "$S" s0 "$R" rs || return 1
	h_addr "$C" c0 $CLI4/24 && h_addr "$C" c1 $CLI4B/24 || return 1
	h_addr "$R" rc 10.77.1.254/24 && h_addr "$R" rc2 10.77.3.254/24 && h_addr "$R" rs $NAT4/24 || return 1
	h_addr "$S" s0 $SRV4/24 || return 1
	in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip -n "$C" route add default via 10.77.1.254 dev c0
	ip -n "$C" route add default via 10.77.3.254 dev c1 table 100
	ip -n "$C" rule add from $CLI4B table 100
	ip -n "$S" route add default via $NAT4 dev s0
	for ns in "$C" "$S"; do
		in_ns "$ns" sysctl -qw net.mptcp.enabled=1
		ip -n "$ns" mptcp limits set subflow 4 add_addr_accepted 4
	done
	ip -n "$C" mptcp endpoint add $CLI4B dev c1 subflow
}

# cap_start LABEL / cap_stop: full captures on the router's three links.
cap_start() {
	local l i
	CAPS=()
	for l in rc rc2 rs; do
		ip netns exec "$R" timeout 300 tcpdump -i $l -s 0 -B 65536 -U -n -w "$WORK/$1.$l.pcap" \
			2>"$WORK/$1.$l.log" &
		CAPS+=($!)
		H_PIDS+=($!)
	done
	for i in $(seq 50); do
		[ "$(grep -l 'listening on' "$WORK/$1".*.log 2>/dev/null | wc -l)" = 3 ] && return 0
		sleep 0.1
	done
	echo "# capture did not start" >&2; return 1
}
cap_stop() {
	local p
	sleep 1.2 # TPACKET_V3 hands over a partly filled block after its timeout
	for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${CAPS[@]}"; do h_wait "$p" 2>/dev/null; done
}

# The NAT: masquerade out of rs, fully-random for the *_R ports; conntrack's
# UDP timeouts (unreplied and stream) of a few seconds stand for a consumer
# router's or a carrier-grade NAT's.
nat_up() {
	cat >"$WORK/nat.rules" <<-EOF
	flush ruleset
	table ip tiuka {
	  chain post {
	    type nat hook postrouting priority 100;
	    oifname "rs" udp dport { $P_TCP_R, $P_MP_R } counter masquerade fully-random
	    oifname "rs" counter masquerade
	  }
	}
	EOF
	in_ns $R nft -f "$WORK/nat.rules" || return 1
	in_ns $R sysctl -qw net.netfilter.nf_conntrack_udp_timeout=$UDP_TIMEOUT \
		net.netfilter.nf_conntrack_udp_timeout_stream=$UDP_TIMEOUT
}

# The NAT's conntrack entries of the test's ports, one per line; when the
# listing fails, a line "conntrack-failed: ..." instead (an empty list must
# not pass for "no entry") and status 1.
ct_list() {
	local o
	o=$(in_ns $R conntrack -L 2>&1) || { echo "conntrack-failed: ${o:0:200}"; return 1; }
	grep -E "dport=($(echo $TUN_PORTS $P_PLAIN | tr ' ' '|')) " <<<"$o" | sort
}

# phase LABEL KEEPALIVE: tiu up on both ends, every case at once, the NAT's
# entries and the client's sockets in the middle of the idle time.
phase() {
	local lab=$1 ka=$2 c label port proto nat opt ep="" sep="" i t pids=()
	for port in $TUN_PORTS; do ep="$ep --endpoint remote=$SRV4:$port"; sep="$sep --endpoint local=*:$port"; done
	tiu_up $C c0 --decap tc --keepalive "$ka" $ep || return 1
	tiu_up $C c1 --decap tc --keepalive "$ka" $ep || return 1
	tiu_up $S s0 --decap tc $sep || return 1   # the server: the default (none for local=)
	in_ns $R conntrack -F >/dev/null 2>&1
	cap_start "$lab" || return 1
	H_CMD_TIMEOUT=$((IDLE + 40)) in_ns $S python3 "$IDLE_PY" server --bind 0.0.0.0 --mptcp \
		--ports "$(echo $TUN_PORTS $P_PLAIN | tr ' ' ,)" --idle "$IDLE" --timeout $((IDLE + 25)) \
		--out "$WORK/$lab.server.jsonl" 2>"$WORK/$lab.server.err" &
	local srv=$!
	H_PIDS+=($srv)
	for i in $(seq 100); do [ -e "$WORK/$lab.server.jsonl.ready" ] && break; sleep 0.05; done
	for c in "${CASES[@]}"; do
		set -- $c
		opt=""; [ "$3" = mptcp ] && opt="--mptcp --want-subflows 2"
		H_CMD_TIMEOUT=$((IDLE + 30)) in_ns $C python3 "$IDLE_PY" client --connect $SRV4 \
			--port "$2" $opt --idle "$IDLE" --wait $WAIT --out "$WORK/$lab.$1.json" &
		pids+=($!)
		H_PIDS+=($!)
	done
	# late in the idle time of every case (each says when it begins): every
	# mapping has expired unless kept alive
	for i in $(seq 300); do
		[ "$(ls "$WORK/$lab".*.json.idle 2>/dev/null | wc -l)" -ge ${#CASES[@]} ] && break
		sleep 0.1
	done
	sleep $((IDLE - 3))
	ct_list >"$WORK/$lab.conntrack"
	in_ns $C ss -tnoH state established "( dport >= :$P_TCP and dport <= :$P_PLAIN )" \
		>"$WORK/$lab.ss" 2>&1
	for i in "${pids[@]}"; do h_wait "$i"; done
	# the server (python under timeout under ip netns exec) is the only
	# process in the server's namespace
	for i in $(ip netns pids $S); do kill "$i" 2>/dev/null; done
	{ h_wait $srv; } 2>/dev/null
	ct_list >"$WORK/$lab.conntrack.end"
	cap_stop
	tiu_stats_json $C c0 >"$WORK/$lab.stats.c0.json"
	tiu_stats_json $C c1 >"$WORK/$lab.stats.c1.json"
	tiu_stats_json $S s0 >"$WORK/$lab.stats.s0.json"
	tiu_in $C status --json >"$WORK/$lab.status.c.json" 2>&1
	tiu_in $S status --json >"$WORK/$lab.status.s.json" 2>&1
	tiu_down_all
}

# summary LABEL: one comment line per case
summary() {
	local c lab=$1
	for c in "${CASES[@]}"; do
		set -- $c
		echo "#   $(printf '%-15s' $1) $(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("msg_at=%s after_ping=%s error=%s SO_KEEPALIVE=%s subflows=%s/%s" % (
    j["msg_at"], ",".join(j["after_ping"] or []) or "-", j["error"], j["keepalive"],
    j["subflows_before"], j["subflows_after"]))' "$WORK/$lab.$1.json" 2>/dev/null || echo 'no result')"
	done
}

topo_up || bail "topology"
nat_up || bail "NAT ruleset or conntrack sysctls in $R"


# ---- phase 1: control, no keepalive ----
echo "# control: --keepalive 0, idle ${IDLE} s, NAT UDP timeout ${UDP_TIMEOUT} s"
phase ctl 0 || echo "# control phase setup failed"
summary ctl
echo "# the NAT's conntrack entries ${IDLE}-3 s into the idle time (control):"
sed 's/^/#     /' "$WORK/ctl.conntrack"
ctl_idle=0 # the tunnelled connections that were up and went idle
for c in "${CASES[@]:0:4}"; do
	set -- $c
	[ "$(jget "$WORK/ctl.$1.json" 'j.get("idle_start") is not None')" = True ] && ctl_idle=$((ctl_idle + 1))
	# the connection was up (greetings exchanged, idle_start) and waited
	# out the whole idle time (idle_end): one that never came up has no
	# message either
	[ "$(jget "$WORK/ctl.$1.json" 'j["msg_at"] is None and j.get("idle_start") is not None and j.get("idle_end") is not None')" = True ] &&
		[ "$(jget "$WORK/ctl.$1.json" 'j["subflows_before"]')" = "$([ $3 = mptcp ] && echo 2 || echo None)" ]
	tap $? "control, $1 ($4 NAT): connected, then the server's message after ${IDLE} s idle does not arrive within ${WAIT} s"
done
[ "$(jget "$WORK/ctl.tcp-random.json" 'j["errno"]')" = 104 ]
tap $? "control, tcp-random: the client's next segment leaves from a new port and is reset (ECONNRESET)"
[ "$(jget "$WORK/ctl.plain-tcp.json" 'j["msg_at"] is not None and j["msg_at"] < '$IDLE' + 1')" = True ]
tap $? "control, plain TCP through the same NAT: the message arrives (TCP mappings last)"
# "No entry left" means something only for connections that were up and
# idle (all four), and a listing that worked: it holds the plain TCP
# connection's entry, established and assured (alive, see above; the
# SYN_SENT entry of a connection that never came up is no proof).
[ $ctl_idle = 4 ] && ! grep -q '^conntrack-failed' "$WORK/ctl.conntrack" &&
	grep -qE "^tcp .* ESTABLISHED .*dport=$P_PLAIN .*\[ASSURED\]" "$WORK/ctl.conntrack" &&
	! grep -qE "^udp .*dport=($(echo $TUN_PORTS | tr ' ' '|')) .*ASSURED" "$WORK/ctl.conntrack"
tap $? "control: the NAT has no established (assured) UDP entry left for the idle tunnelled connections ($ctl_idle/4 were up and idle; its listing holds the established plain TCP entry)"
echo "# the NAT's conntrack entries after the client's ping (control):"
sed 's/^/#     /' "$WORK/ctl.conntrack.end"

# ---- phase 2: --keepalive 1 ----
echo "# keepalive: --keepalive 1, idle ${IDLE} s, NAT UDP timeout ${UDP_TIMEOUT} s"
phase ka 1 || echo "# keepalive phase setup failed"
summary ka
echo "# the NAT's conntrack entries ${IDLE}-3 s into the idle time (keepalive):"
sed 's/^/#     /' "$WORK/ka.conntrack"
echo "# the client's sockets then (ss -tno):"
sed 's/^/#     /' "$WORK/ka.ss"
for c in "${CASES[@]:0:4}"; do
	set -- $c
	want_sub=None; [ $3 = mptcp ] && want_sub=2
	[ "$(jget "$WORK/ka.$1.json" 'j["msg_at"] is not None and j["msg_at"] < '$IDLE' + 1 and j["error"] is None and (j["after_ping"] or [""])[-1].startswith("pong") and j["subflows_before"] == j["subflows_after"]')" = True ] &&
		[ "$(jget "$WORK/ka.$1.json" 'j["subflows_after"]')" = $want_sub ]
	tap $? "keepalive, $1 ($4 NAT): the message arrives at once after ${IDLE} s idle, no reset$([ $3 = mptcp ] && echo ', both subflows alive')"
done
ok=0
for p in $TUN_PORTS; do
	grep -qE "^udp .*dport=$p .*\[ASSURED\]" "$WORK/ka.conntrack" || { ok=1; echo "# no assured UDP entry for port $p"; }
done
tap $ok "keepalive: the NAT keeps an assured UDP entry for every tunnelled connection and subflow"

# the tunnelled sockets carry the keepalive timer, the untunnelled one does not
ka_socks=$(grep -cE ":($(echo $TUN_PORTS | tr ' ' '|')) .*timer:\(keepalive" "$WORK/ka.ss")
plain_ka=$(grep -E ":$P_PLAIN " "$WORK/ka.ss" | grep -c 'timer:(keepalive')
[ "$ka_socks" = 6 ] && [ "$plain_ka" = 0 ] && [ "$(jget "$WORK/ka.plain-tcp.json" 'j["keepalive"]')" = 0 ] &&
	[ "$(jget "$WORK/ka.tcp-preserve.json" 'j["keepalive"]')" = 1 ]
tap $? "keepalive on the 6 tunnelled sockets (2 TCP + 2x2 MPTCP subflows: $ka_socks); the untunnelled one keeps SO_KEEPALIVE off (ss: $plain_ka, getsockopt: $(jget "$WORK/ka.plain-tcp.json" 'j["keepalive"]'))"

# counters: exactly the tunnelled client connections and subflows; none on the server (local=, default)
given=$(python3 -c '
import json, sys
g = 0
for f in sys.argv[1:3]:
    for i in json.load(open(f))["interfaces"]:
        g += i["counters"]["keepalive_given"]
s = json.load(open(sys.argv[3]))["interfaces"][0]["keepalive"]
print(g, s.get("given", 0), s["seconds"], s.get("default"))' "$WORK/ka.stats.c0.json" "$WORK/ka.stats.c1.json" "$WORK/ka.status.s.json" 2>&1)
echo "# keepalive counters: client given (c0 + c1), server given, server seconds, server default: $given"
[ "$given" = "6 0 25 True" ]
tap $? "counters: 6 connections given a keepalive on the client, 0 on the server (local= endpoints, default 25 s)"
links=$(python3 -c '
import json, sys
ids = [i["keepalive"]["link_id"] for f in sys.argv[1:] for i in json.load(open(f))["interfaces"]]
print(" ".join(map(str, ids)))' "$WORK/ka.status.c.json" "$WORK/ka.status.s.json" 2>&1)
echo "# sock_ops link of c0, c1 (client netns) and s0 (server netns): $links"
[ "$(tr ' ' '\n' <<<"$links" | sort -u | wc -l)" = 1 ] && [ "${links%% *}" -gt 0 ] 2>/dev/null
tap $? "two namespaces, three interfaces: one sock_ops attachment (link ids $links)"

# probes on the wire: valid tunnelled UDP, both ways, all through the idle time
ok=0
for p in $TUN_PORTS; do
	r=$(python3 "$PCAPCHECK" --port $p "$WORK"/ka.*.pcap)
	python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ok"] else 1)' "$r" || {
		ok=1; echo "# pcapcheck port $p: $r"; }
done
tap $ok "keepalive: every packet of the tunnelled ports on rc, rc2 and rs is valid tunnelled UDP (checksums recomputed)"
s=$(jget "$WORK/ka.tcp-preserve.json" 'j["idle_start"]') e=$(jget "$WORK/ka.tcp-preserve.json" 'j["idle_end"]')
pr=$(python3 "$IDLE_PY" probes --port $P_TCP --start "${s:-0}" --end "${e:-0}" "$WORK"/ka.rs.pcap)
echo "# tunnelled UDP on rs during the idle time of tcp-preserve (probes, answers): $pr"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if j["to_port"] >= '$((IDLE / 2))' and j["from_port"] >= '$((IDLE / 2))' else 1)' "$pr"
tap $? "keepalive probes and their answers cross the NAT as UDP while the connection is idle"
[ "$H_FAIL" = 0 ] && [ "${H_KEEP:-0}" != 1 ] && rm -f "$WORK"/*.pcap

# ---- the application's own keepalive choice (set before connect) stands ----
# TCP to $P_TCP: SO_KEEPALIVE with TCP_KEEPIDLE 3600, SO_KEEPALIVE 0, nothing;
# MPTCP to $P_MP: SO_KEEPALIVE 1, SO_KEEPALIVE 0, nothing. Read back with
# getsockopt() by the client and from ss -tnoi (each TCP socket and MPTCP
# subflow with its timer), and the counters given/kept.
KA_OWN=$ROOT/tests/e2e/ka_own.py
# ss's timer of at most 5 s (print_ms_timer() in ss: "4.984ms" is 4 s 984 ms)
KA_TIU_TIMER='timer:\(keepalive,([0-5](\.[0-9]{3}ms|sec)|[0-9]{1,3}ms),'
own_case() { # own_case LABEL: the ss line of the client socket of that case
	local port
	port=$(python3 -c 'import json,sys; print([c["port"] for c in json.load(open(sys.argv[1])) if c["label"] == sys.argv[2]][0])' "$WORK/own.json" "$1" 2>/dev/null)
	grep -E "^[^ ]+ +[^ ]+ +[^ ]+:${port:-none} " "$WORK/own.ss"
}
tiu_up $C c0 --decap tc --keepalive 5 --endpoint remote=$SRV4:$P_TCP --endpoint remote=$SRV4:$P_MP >/dev/null &&
	tiu_up $S s0 --decap tc --endpoint "local=*:$P_TCP" --endpoint "local=*:$P_MP" >/dev/null ||
	echo "# application's keepalive: tiu up failed"
rm -f "$WORK/own.ready"
H_CMD_TIMEOUT=30 in_ns $S python3 "$KA_OWN" server --bind 0.0.0.0 --ports $P_TCP,$P_MP --timeout 20 \
	--ready "$WORK/own.ready" 2>"$WORK/own.server.err" &
own_srv=$!
H_PIDS+=($own_srv)
for i in $(seq 100); do [ -e "$WORK/own.ready" ] && break; sleep 0.05; done
H_CMD_TIMEOUT=30 in_ns $C python3 "$KA_OWN" client --connect $SRV4 --hold 4 --out "$WORK/own.json" \
	tcp-own:$P_TCP:tcp:own tcp-off:$P_TCP:tcp:off tcp-none:$P_TCP:tcp:none \
	mptcp-own:$P_MP:mptcp:own mptcp-off:$P_MP:mptcp:off mptcp-none:$P_MP:mptcp:none \
	2>"$WORK/own.client.err" &
own_cli=$!
H_PIDS+=($own_cli)
for i in $(seq 150); do [ -e "$WORK/own.json" ] && break; sleep 0.1; done
in_ns $C ss -tnoiH state established >"$WORK/own.ss" 2>&1
h_wait $own_cli
for i in $(ip netns pids $S); do kill "$i" 2>/dev/null; done
{ h_wait $own_srv; } 2>/dev/null
tiu_stats_json $C c0 >"$WORK/own.stats.json"
tiu_down_all
sed 's/^/# client: /' "$WORK/own.client.err" "$WORK/own.server.err"
for c in tcp-own tcp-off tcp-none mptcp-own mptcp-off mptcp-none; do
	echo "# $(printf '%-10s' $c) getsockopt $(python3 -c 'import json,sys; c=[c for c in json.load(open(sys.argv[1])) if c["label"] == sys.argv[2]][0]; print("SO_KEEPALIVE=%s TCP_KEEPIDLE=%s" % (c["keepalive"], c["idle"]))' "$WORK/own.json" $c 2>/dev/null); ss: $(own_case $c | grep -o 'timer:([^)]*)' || echo 'no timer')"
done
jc() { python3 -c 'import json,sys; c=[c for c in json.load(open(sys.argv[1])) if c["label"] == sys.argv[2]][0]; print(c["keepalive"], c["idle"])' "$WORK/own.json" "$1" 2>/dev/null; }
[ "$(jc tcp-own)" = "1 3600" ] && own_case tcp-own | grep -qE 'timer:\(keepalive,(59min|60min|1h)'
tap $? "a client that set SO_KEEPALIVE and TCP_KEEPIDLE 3600 itself keeps them (getsockopt: $(jc tcp-own); ss: $(own_case tcp-own | grep -o 'timer:([^)]*)'))"
[ "$(jc tcp-off)" = "0 7200" ] && [ -n "$(own_case tcp-off)" ] && ! own_case tcp-off | grep -q 'timer:(keepalive'
tap $? "a client that set SO_KEEPALIVE 0 itself stays without keepalive (getsockopt: $(jc tcp-off); ss: $(own_case tcp-off | grep -o 'timer:([^)]*)' || echo 'no timer'))"
[ "$(jc tcp-none)" = "1 5" ] && own_case tcp-none | grep -qE "$KA_TIU_TIMER"
tap $? "a client that set nothing gets tiu's keepalive (getsockopt: $(jc tcp-none); ss: $(own_case tcp-none | grep -o 'timer:([^)]*)'))"
[ "$(jc mptcp-off)" = "0 None" ] && [ -n "$(own_case mptcp-off)" ] && ! own_case mptcp-off | grep -q 'timer:(keepalive' &&
	own_case mptcp-own | grep -qE 'timer:\(keepalive,[0-9]+min' && own_case mptcp-none | grep -qE "$KA_TIU_TIMER"
tap $? "MPTCP: the subflow of a client that set SO_KEEPALIVE 0 stays without keepalive, one that set it on keeps the system's idle time, one that set nothing gets tiu's"
own=$(python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["interfaces"][0]["counters"]; print(i["keepalive_given"], i["keepalive_kept"])' "$WORK/own.stats.json" 2>&1)
[ "$own" = "2 4" ]
tap $? "counters of c0: given to the 2 connections that chose nothing, kept for the 4 that chose (given kept: $own)"

# ---- a tiu killed after attaching the keepalive: down removes it ----
netns_cookie() { in_ns "$1" python3 -c 'import socket; s=socket.socket(); print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), "little"))'; }
ka_entries() { # entries of netns cookie $1 in both keepalive maps (0 when unpinned)
	local d m c=0
	for d in /sys/fs/bpf/tiu/keepalive; do
		for m in tiu_ka_ifaces tiu_ka_eps; do
			[ -e "$d/$m" ] || continue
			c=$((c + $(bpftool -j map dump pinned "$d/$m" | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e.get("formatted", e)["key"]["netns"] == int(sys.argv[1])))' "$1")))
		done
	done
	echo $c
}
ck=$(netns_cookie $C)
tiu_crash keepalive-link $C up c0 --decap tc --keepalive 5 --endpoint remote=$SRV4:$P_TCP >/dev/null 2>&1
rc=$?
h_tiu_track "$C" c0
before=$(ka_entries "$ck")
link=$(bpftool -j link show pinned /sys/fs/bpf/tiu/keepalive/tiu_ka_link 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["attach_type"])' 2>/dev/null)
tiu_in $C up c0 --decap tc --keepalive 5 --endpoint remote=$SRV4:$P_TCP >"$WORK/up-again.log" 2>&1
again=$?
tiu_down_all
after=$(ka_entries "$ck")
echo "# killed at keepalive-link: exit $rc, link left pinned: ${link:-none}, entries of the netns then: $before; up again: exit $again; after down: $after"
[ $rc = 137 ] && [ "$link" = cgroup_sock_ops ] && [ "$again" != 0 ] && [ "$after" = 0 ]
tap $? "a tiu up killed after attaching the keepalive: the pinned link holds, up refuses, down leaves no entry of the netns"

# ---- status text of a keepalive interface, and the endpoint commands ----
tiu_up $C c0 --decap tc --endpoint remote=$SRV4:$P_TCP >/dev/null
st=$(tiu_in $C status c0 | grep 'keepalive:')
tiu_in $C endpoint add c0 "local=*:$P_MP" remote=$SRV4:$P_TCP_R >/dev/null
n_eps=$(tiu_in $C status c0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["interfaces"][0]["keepalive"]["endpoints"])')
tiu_in $C endpoint del c0 remote=$SRV4:$P_TCP >/dev/null
n_eps2=$(tiu_in $C status c0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["interfaces"][0]["keepalive"]["endpoints"])')
tiu_down_all
echo "#$st"
echo "# keepalive entries of c0 (default: remote= only): after endpoint add of a local= and a remote=: $n_eps; after del of the first remote=: $n_eps2"
[[ "$st" == *"25 s idle and interval (default: remote= endpoints only)"* ]] && [ "$n_eps" = 2 ] && [ "$n_eps2" = 1 ]
tap $? "default keepalive: 25 s for remote= endpoints only, following tiu endpoint add|del"

# ---- a namespace deleted while up: tiu down --stale removes its entries ----
h_ns D gone && h_veth "$D" d0 "$R" rd && h_addr "$D" d0 10.77.9.1/24
ckd=$(netns_cookie $D)
tiu_in $D up d0 --decap tc --keepalive 7 --endpoint remote=$SRV4:$P_TCP --endpoint "local=*:$P_MP" >/dev/null 2>&1
rc=$?
before=$(ka_entries "$ckd")
# What down --stale should have removed, removed by the test itself where
# it did not (a failure of its own above): the namespace's keepalive
# entries, its pin directory and run state. Also at the end, should the run
# stop before.
ka_forget_ns() {
	local c=$1 d=/sys/fs/bpf/tiu/keepalive
	[ -n "$c" ] || return 0
	[ -e $d/tiu_ka_ifaces ] && python3 - "$c" "$d" <<-'EOF'
	import json, struct, subprocess, sys
	c, d = int(sys.argv[1]), sys.argv[2]
	for m, fmt, f in (("tiu_ka_eps", "<Q16sHBBI", lambda k: (k["netns"], bytes(k["addr"]), k["port"], k["role"], 0, 0)),
	                  ("tiu_ka_ifaces", "<QII", lambda k: (k["netns"], k["ifindex"], 0))):
	    for e in json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump", "pinned", d + "/" + m])):
	        k = e.get("formatted", e)["key"]
	        if k["netns"] == c:
	            subprocess.call(["bpftool", "map", "delete", "pinned", d + "/" + m, "key", "hex"] +
	                            ["%02x" % b for b in struct.pack(fmt, *f(k))])
	EOF
	rm -f /sys/fs/bpf/tiu/netns-$c/* /run/tiu/netns-$c/* 2>/dev/null
	rmdir /sys/fs/bpf/tiu/netns-$c /run/tiu/netns-$c 2>/dev/null
	return 0
}
h_defer ka_forget_ns "$ckd"
ip netns del "$D"
"$TIU" down --stale >"$WORK/stale.out" 2>&1
after=$(ka_entries "$ckd")
sed 's/^/# down --stale: /' "$WORK/stale.out" | grep -e "$ckd" -e "cannot"
echo "# namespace $ckd: up exit $rc, keepalive entries before its deletion $before, after tiu down --stale $after"
[ $rc = 0 ] && [ "$before" = 3 ] && [ "$after" = 0 ] && grep -q "keepalive entr.* of network namespace $ckd" "$WORK/stale.out"
tap $? "a namespace deleted while up: tiu down --stale removes its keepalive entries (its interface and both endpoints)"
[ "$after" = 0 ] || { ka_forget_ns "$ckd"; echo "# removed what tiu down --stale left of namespace $ckd: $(ka_entries "$ckd") keepalive entries left"; }

# ---- ip netns exec hides /sys (bpffs, cgroup2): the host's are used ----
in_ns $C "$TIU" up c0 --decap tc --endpoint remote=$SRV4:$P_TCP >"$WORK/ipne.out" 2>&1
rc=$?
h_tiu_track "$C" c0
j1=$(in_ns $C "$TIU" status c0 --json 2>/dev/null | python3 -c 'import json,sys; k=json.load(sys.stdin)["interfaces"][0]["keepalive"]; print(k["seconds"], k["link_id"], k["endpoints"])')
j2=$(tiu_in $C status c0 --json 2>/dev/null | python3 -c 'import json,sys; k=json.load(sys.stdin)["interfaces"][0]["keepalive"]; print(k["seconds"], k["link_id"], k["endpoints"])')
tiu_down_all
echo "# up through ip netns exec: exit $rc, $(cat "$WORK/ipne.out"); keepalive (seconds link endpoints) seen through ip netns exec: $j1, through nsenter: $j2"
[ $rc = 0 ] && [ "$j1" = "$j2" ] && [ "${j1%% *}" = 25 ] && ! grep -q warning "$WORK/ipne.out"
tap $? "through ip netns exec (no cgroup2, no bpffs in its /sys): keepalive attached, the same link and entries as through nsenter"

# ---- no cgroup v2: one warning, the tunnel still comes up ----
TIU_TEST_NO_CGROUP2=1 tiu_in $C up c0 --decap tc --keepalive 5 --endpoint remote=$SRV4:$P_TCP >"$WORK/nocg.out" 2>"$WORK/nocg.err"
rc=$?
h_tiu_track "$C" c0
sed 's/^/# stderr: /' "$WORK/nocg.err"
st=$(tiu_in $C status c0)
tiu_down_all
[ $rc = 0 ] && [ "$(wc -l <"$WORK/nocg.err")" = 1 ] && grep -q "c0: keepalive not available (no cgroup v2 mount" "$WORK/nocg.err" &&
	grep -q "tc egress: tiu_tc_egress" <<<"$st" && grep -q "keepalive: off" <<<"$st"
tap $? "without cgroup v2: tiu up succeeds with one warning line naming the reason, the datapath is attached, status says keepalive off"

note "wall time $((SECONDS - T0)) s"
tap_done
