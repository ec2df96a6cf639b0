# SPDX-License-Identifier: GPL-2.0
# tests/e2e/lib.sh - topology, middleboxes, captures and transfers for the
# end-to-end tests (tests/e2e.t) and the demo (tests/demo.sh). Sourced, bash.
#
#   client (c0 10.77.1.1 fd77:1::1, c1 10.77.3.1 fd77:3::1)
#     |c0--rc|            |c1--rc2|   two links: MPTCP's second subflow uses c1
#   middlebox (rc .1.254, rc2 .3.254, rs .2.254; nftables; the captures)
#     |rs--s0|
#   server (s0 10.77.2.1 fd77:2::1)
#
# Every namespace is named tiue-PID-{cli,mbx,srv}; every address lives only
# inside them. e2e_cleanup (installed as an EXIT trap by e2e_init) takes down
# tiu, kills every process started here by its pid and deletes the
# namespaces, whatever happened before.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TIU=${TIU:-$BUILD/tiu}

PORT=${PORT:-7001}           # the tunnelled server port (outside ip_local_port_range)
SRV4=10.77.2.1 SRV6=fd77:2::1
CLI4=10.77.1.1 CLI6=fd77:1::1
CLI4B=10.77.3.1 CLI6B=fd77:3::1
NAT4=10.77.2.254 NAT6=fd77:2::fe

E2E_PIDS=()                  # background processes to kill on cleanup
E2E_TIU_UP=()                # "ns iface" pairs that tiu is up on

e2e_log() { [ -n "${E2E_QUIET:-}" ] || echo "# $*" >&2; }

e2e_init() {
	C=tiue-$$-cli R=tiue-$$-mbx S=tiue-$$-srv
	WORK=$(mktemp -d /tmp/tiue.$$.XXXX)
	# a private copy of tiu (its BPF objects are embedded): a rebuild of
	# build/tiu during a long run must not change the binary under test
	if [ -x "$TIU" ]; then cp "$TIU" "$WORK/tiu" && TIU=$WORK/tiu; fi
	# `tiu up` mounts a bpffs on /sys/fs/bpf where there is none: undo it after
	E2E_HAD_BPFFS=0
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && E2E_HAD_BPFFS=1
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

# Run in a namespace, with a per-namespace nstat history file.
in_ns() { local ns=$1; shift; NSTAT_HISTORY=$WORK/nstat.$ns timeout "${E2E_CMD_TIMEOUT:-60}" ip netns exec "$ns" "$@"; }
# tiu through nsenter: the host's mount namespace, so its pins are visible to
# every later command (ip netns exec gives each command a fresh /sys).
tiu_in() { local ns=$1; shift; timeout 30 nsenter --net=/run/netns/"$ns" "$TIU" "$@"; }

e2e_cleanup() {
	local rc=$? p pair ns
	trap - EXIT INT TERM
	for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ ${#E2E_TIU_UP[@]} = 0 ] || tiu_down_all || echo "# cleanup: tiu down failed" >&2
	for ns in ${C:-} ${R:-} ${S:-}; do
		[ -e /run/netns/"$ns" ] || continue
		# processes still inside our namespaces are ours: kill them by pid
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ "${E2E_HAD_BPFFS:-1}" = 0 ] && [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ]; then
		rmdir /sys/fs/bpf/xdp /sys/fs/bpf/tiu 2>/dev/null # libxdp's and tiu's, empty by now
		[ -z "$(ls -A /sys/fs/bpf | grep -v -e '^maps.debug$' -e '^progs.debug$')" ] && umount /sys/fs/bpf
	fi
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "${E2E_KEEP:-0}" != never ]; }; then
			echo "# e2e: work files kept in $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

# Build the three namespaces, both client links, IPv4 + IPv6, MPTCP limits.
topo_up() {
	local n
	for n in $C $R $S; do ip netns add "$n" || return 1; ip -n "$n" link set lo up; done
	ip -n $C link add c0 type veth peer name rc netns $R || return 1
	ip -n $C link add c1 type veth peer name rc2 netns $R || return 1
	ip -n $S link add s0 type veth peer name rs netns $R || return 1
	in_ns $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n $C addr add $CLI4/24 dev c0;  ip -n $C addr add $CLI6/64 dev c0 nodad
	ip -n $C addr add $CLI4B/24 dev c1; ip -n $C addr add $CLI6B/64 dev c1 nodad
	ip -n $R addr add 10.77.1.254/24 dev rc;  ip -n $R addr add fd77:1::fe/64 dev rc nodad
	ip -n $R addr add 10.77.3.254/24 dev rc2; ip -n $R addr add fd77:3::fe/64 dev rc2 nodad
	ip -n $R addr add $NAT4/24 dev rs;        ip -n $R addr add $NAT6/64 dev rs nodad
	ip -n $S addr add $SRV4/24 dev s0;  ip -n $S addr add $SRV6/64 dev s0 nodad
	for n in c0 c1; do ip -n $C link set $n up; done
	for n in rc rc2 rs; do ip -n $R link set $n up; done
	ip -n $S link set s0 up
	ip -n $C route add default via 10.77.1.254 dev c0
	ip -n $C -6 route add default via fd77:1::fe dev c0
	ip -n $S route add default via $NAT4 dev s0
	ip -n $S -6 route add default via $NAT6 dev s0
	# second subflow: traffic from the c1 addresses leaves through c1
	ip -n $C route add default via 10.77.3.254 dev c1 table 100
	ip -n $C -6 route add default via fd77:3::fe dev c1 table 100
	ip -n $C rule add from $CLI4B table 100
	ip -n $C -6 rule add from $CLI6B table 100
	for n in $C $S; do
		in_ns $n sysctl -qw net.mptcp.enabled=1
		ip -n $n mptcp limits set subflow 4 add_addr_accepted 4
	done
	ip -n $C mptcp endpoint add $CLI4B dev c1 subflow
	ip -n $C mptcp endpoint add $CLI6B dev c1 subflow
	# Both families and both client links must reach the server (no ping
	# here: a TCP connect to a closed port answered by RST proves the path).
	in_ns $C python3 - $SRV4 $CLI4 $SRV6 $CLI6 $SRV4 $CLI4B $SRV6 $CLI6B <<'PY' && return 0
import socket, sys, time
a = sys.argv[1:]
for dst, src in zip(a[0::2], a[1::2]):
    fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
    for i in range(50):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.bind((src, 0))
        try:
            s.connect((dst, 9))
        except ConnectionRefusedError:
            break
        except OSError:
            time.sleep(0.1)
        finally:
            s.close()
    else:
        sys.exit('no path %s -> %s' % (src, dst))
PY
	echo "# topology: no IPv4/IPv6 connectivity client -> server" >&2
	return 1
}

# mbox KIND: load the middlebox's nftables ruleset (replacing the last one).
#   none | droptcp | stripmptcp | nat | lossN (N percent random drop)
mbox() {
	local kind=$1 rules
	case $kind in
	none)       rules='' ;;
	droptcp)    rules='meta l4proto tcp counter drop' ;;
	stripmptcp) rules='tcp option mptcp exists counter reset tcp option mptcp' ;;
	nat)        rules='' ;;
	loss*)      rules="numgen random mod 100 < ${kind#loss} counter drop" ;;
	*) echo "# mbox: unknown kind $kind" >&2; return 1 ;;
	esac
	{
		echo "flush ruleset"
		echo "table inet tiue {"
		echo "  chain mbox_forward {"
		echo "    type filter hook forward priority 0; policy accept;"
		echo "    $rules"
		echo "  }"
		if [ "$kind" = nat ]; then
			echo "  chain mbox_nat {"
			echo "    type nat hook postrouting priority 100;"
			echo "    oifname \"rs\" counter masquerade"
			echo "  }"
		fi
		echo "}"
	} >"$WORK/nft.rules"
	in_ns $R nft -f "$WORK/nft.rules"
}
# The middlebox's rule counters, one line.
mbox_counters() { in_ns $R nft list ruleset 2>/dev/null | grep -o 'counter packets [0-9]* bytes [0-9]* [a-z ]*' | tr '\n' ';'; }

# Sender TX checksum offload (both ends send: the transfer is full duplex).
set_txcsum() { # on|off
	in_ns $C ethtool -K c0 tx "$1" >/dev/null 2>&1 || return 1
	in_ns $C ethtool -K c1 tx "$1" >/dev/null 2>&1 || return 1
	in_ns $S ethtool -K s0 tx "$1" >/dev/null 2>&1
}

# tiu_up NS IFACE ARGS...: bring tiu up (the real loader) and remember it.
tiu_up() {
	local ns=$1 ifc=$2; shift 2
	tiu_in "$ns" up "$ifc" "$@" >"$WORK/tiu-up.$ns.$ifc.log" 2>&1 || {
		echo "# tiu up $ifc $* in $ns failed:" >&2; sed 's/^/#   /' "$WORK/tiu-up.$ns.$ifc.log" >&2; return 1; }
	E2E_TIU_UP+=("$ns $ifc")
}
# Down every interface tiu was brought up on; the last one of each
# namespace with --purge (the pins are shared by the namespace's interfaces).
tiu_down_all() {
	local i j pair rc=0 purge
	for i in "${!E2E_TIU_UP[@]}"; do
		set -- ${E2E_TIU_UP[$i]}
		purge=--purge
		for ((j = i + 1; j < ${#E2E_TIU_UP[@]}; j++)); do
			[ "${E2E_TIU_UP[$j]%% *}" = "$1" ] && purge=
		done
		tiu_in "$1" down "$2" $purge >"$WORK/tiu-down.log" 2>&1 || {
			echo "# tiu down $2 $purge in $1 failed:" >&2; sed 's/^/#   /' "$WORK/tiu-down.log" >&2; rc=1; }
	done
	E2E_TIU_UP=()
	return $rc
}

# tiu on both ends. MODE: native | skb (XDP decap) | tc (TC decap).
# The client tunnels everything to the server's port; the server tunnels
# its own port on every address (wildcard).
tiu_ends_up() {
	local mode=$1 dec
	case $mode in
	native|skb) dec="--decap xdp --xdp-mode $mode" ;;
	tc) dec="--decap tc" ;;
	esac
	local cep="--endpoint remote=$SRV4:$PORT --endpoint remote=[$SRV6]:$PORT"
	tiu_up $C c0 $dec $cep || return 1
	tiu_up $C c1 $dec $cep || return 1
	tiu_up $S s0 $dec --endpoint "local=*:$PORT" || return 1
}

# Captures on every middlebox link (E2E_CAP_LINKS: "NS:IFACE ..." to pick
# others), full packets, no filter (the checker picks the tunnelled port).
cap_start() { # LABEL
	local l ns ifc f i
	E2E_CAPS=()
	for l in ${E2E_CAP_LINKS:-$R:rc $R:rc2 $R:rs}; do
		ns=${l%%:*} ifc=${l#*:}
		f=$WORK/$1.$ifc.pcap
		ip netns exec $ns timeout 300 tcpdump -i $ifc -s 0 -B 65536 -U -n -w "$f" 2>"$f.log" &
		E2E_PIDS+=($!)
		E2E_CAPS+=("$! $f")
	done
	for i in $(seq 50); do
		[ "$(grep -l 'listening on' "$WORK/$1".*.pcap.log 2>/dev/null | wc -l)" = ${#E2E_CAPS[@]} ] && return 0
		sleep 0.1
	done
	echo "# capture did not start" >&2; return 1
}

# Stop the captures; sets E2E_CAP_MISSED to the number of packets the kernel
# dropped from them (ring full). Not in a subshell: it waits for tcpdump. tcpdump's "received by filter" also counts packets that
# arrive after its last read (a late neighbour probe), so it is not used:
# the verdict compares the captures with tiu's own counters instead.
cap_stop() {
	local c d miss=0
	sleep 1.2  # TPACKET_V3 hands over a partly filled block after its timeout
	for c in "${E2E_CAPS[@]}"; do set -- $c; kill -INT "$1" 2>/dev/null; done
	for c in "${E2E_CAPS[@]}"; do
		set -- $c
		wait "$1" 2>/dev/null
		d=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$2.log")
		if [ -z "$d" ]; then
			echo "# capture $2: no statistics from tcpdump:" >&2; sed 's/^/#   /' "$2.log" >&2
			d=1000000
		fi
		miss=$((miss + d))
	done
	E2E_CAP_MISSED=$miss
}

# xfer_run LABEL FAMILY(4|6) PROTO(tcp|mptcp) BYTES [TIMEOUT]: a full-duplex
# transfer of BYTES each way; results in $WORK/LABEL.{client,server}.json.
xfer_run() {
	local lab=$1 fam=$2 proto=$3 bytes=$4 to=${5:-60} srv bind opt="" want=""
	if [ "$fam" = 6 ]; then srv=$SRV6 bind=::; else srv=$SRV4 bind=0.0.0.0; fi
	if [ "$proto" = mptcp ]; then opt=--mptcp want="--want-subflows 2"; fi
	rm -f "$WORK/$lab".client.json* "$WORK/$lab".server.json*
	E2E_CMD_TIMEOUT=$((to + 10)) in_ns $S python3 "$ROOT/tests/lib/xfer.py" server --bind $bind --port $PORT \
		--send "$bytes" --out "$WORK/$lab.server.json" --timeout "$to" $opt &
	local sp=$!
	E2E_PIDS+=($sp)
	local i
	for i in $(seq 100); do [ -e "$WORK/$lab.server.json.ready" ] && break; sleep 0.05; done
	E2E_CMD_TIMEOUT=$((to + 10)) in_ns $C python3 "$ROOT/tests/lib/xfer.py" client --connect $srv --port $PORT \
		--send "$bytes" --out "$WORK/$lab.client.json" --timeout "$to" $opt $want
	local crc=$?
	if [ $crc != 0 ] && [ ! -e "$WORK/$lab.server.json" ]; then
		kill "$sp" 2>/dev/null     # the client never connected: stop the server
	fi
	wait "$sp" 2>/dev/null
	return $crc
}

nstat_reset() { local n; for n in "$@"; do in_ns $n nstat -n >/dev/null 2>&1; done; }
nstat_json() { in_ns "$1" nstat -z --json 2>/dev/null; }   # deltas since nstat_reset

# tiu stats of an interface as JSON (empty object when tiu is not up there)
tiu_stats_json() { tiu_in "$1" stats "$2" --json 2>/dev/null || echo '{}'; }

# packets dropped because a CPU's receive backlog was full (all CPUs, host-wide)
softnet_drops() { local s=0 a b r; while read -r a b r; do s=$((s + 16#$b)); done </proc/net/softnet_stat; echo $s; }

# e2e_run LABEL FAMILY(4|6) PROTO(tcp|mptcp) MBOX MODE(native|skb|tc) TX(on|off) BYTES [TIMEOUT]
# One run through tiu: middlebox, tiu up on both ends, sender TX checksum
# offload, captures, a full-duplex transfer of BYTES each way, counters,
# tiu down, then verdict.py judges it. Returns 0 when every check passed.
e2e_run() {
	local lab=$1 fam=$2 proto=$3 mb=$4 mode=$5 tx=$6 bytes=$7 to=${8:-60}
	local peer ifc ns sn0 sn1 missed rc opt=""
	mbox "$mb" || return 1
	tiu_ends_up "$mode" || { tiu_down_all; return 1; }
	[ -z "${E2E_ON_UP:-}" ] || $E2E_ON_UP   # a caller's look at tiu while it is up
	set_txcsum "$tx" || { echo "# ethtool -K tx $tx failed" >&2; tiu_down_all; return 1; }
	for ifc in c0 c1 s0; do
		ns=$C; [ $ifc = s0 ] && ns=$S
		tiu_stats_json $ns $ifc >"$WORK/$lab.stats0.$ifc.json"
	done
	nstat_reset $C $S
	sn0=$(softnet_drops)
	cap_start "$lab" || { tiu_down_all; return 1; }
	xfer_run "$lab" "$fam" "$proto" "$bytes" "$to"
	cap_stop
	missed=$E2E_CAP_MISSED
	sn1=$(softnet_drops)
	nstat_json $C >"$WORK/$lab.nstat.cli.json"
	nstat_json $S >"$WORK/$lab.nstat.srv.json"
	for ifc in c0 c1 s0; do
		ns=$C; [ $ifc = s0 ] && ns=$S
		tiu_stats_json $ns $ifc >"$WORK/$lab.stats1.$ifc.json"
	done
	tiu_down_all
	set_txcsum on
	if [ "$mb" = nat ]; then peer=$NAT4; [ "$fam" = 6 ] && peer=$NAT6
	else peer=$CLI4; [ "$fam" = 6 ] && peer=$CLI6; fi
	[ "$proto" = mptcp ] && opt=--mptcp
	PORT=$PORT python3 "$E2E_DIR/verdict.py" --work "$WORK" --label "$lab" --bytes "$bytes" $opt \
		--peer "$peer" --cap-missed "$missed" --softnet-drops $((sn1 - sn0)) \
		--results "$WORK/results.jsonl"
	rc=$?
	# the captures are large: keep them only for a failed run
	[ $rc = 0 ] && [ "${E2E_KEEP:-0}" != 1 ] && rm -f "$WORK/$lab".*.pcap
	return $rc
}

# e2e_router_run LABEL FAMILY MODE(native|skb|tc) BYTES [TIMEOUT]
# (MODE: the client's decap. The middlebox decaps in TC: an XDP program on rc
# would rewrite packets before the capture on rc sees them.)
# Router decap: tiu on the client (c0) and on the middlebox's client-side
# link (rc, local=SERVER:PORT); the server runs plain TCP. The middlebox
# turns the client's UDP back into TCP and forwards it out of rs with TX
# checksum offload off (nothing downstream fixes a checksum), the server
# too sends with TX offload off: every TCP packet on rs must carry a valid
# checksum, the server must count no checksum error.
e2e_router_run() {
	local lab=$1 fam=$2 mode=$3 bytes=$4 to=${5:-60} dec missed ifc ns rc
	case $mode in
	native|skb) dec="--decap xdp --xdp-mode $mode" ;;
	tc) dec="--decap tc" ;;
	esac
	mbox none || return 1
	tiu_up $C c0 $dec --endpoint remote=$SRV4:$PORT --endpoint "remote=[$SRV6]:$PORT" || { tiu_down_all; return 1; }
	tiu_up $R rc --decap tc --endpoint local=$SRV4:$PORT --endpoint "local=[$SRV6]:$PORT" || { tiu_down_all; return 1; }
	in_ns $R ethtool -K rs tx off >/dev/null 2>&1 && in_ns $S ethtool -K s0 tx off >/dev/null 2>&1 &&
		in_ns $C ethtool -K c0 tx off >/dev/null 2>&1 || { echo "# ethtool failed" >&2; tiu_down_all; return 1; }
	for ifc in c0 rc; do
		ns=$C; [ $ifc = rc ] && ns=$R
		tiu_stats_json $ns $ifc >"$WORK/$lab.stats0.$ifc.json"
	done
	nstat_reset $C $S
	E2E_CAP_LINKS="$R:rc $R:rs" cap_start "$lab" || { tiu_down_all; return 1; }
	xfer_run "$lab" "$fam" tcp "$bytes" "$to"
	cap_stop
	missed=$E2E_CAP_MISSED
	nstat_json $C >"$WORK/$lab.nstat.cli.json"
	nstat_json $S >"$WORK/$lab.nstat.srv.json"
	for ifc in c0 rc; do
		ns=$C; [ $ifc = rc ] && ns=$R
		tiu_stats_json $ns $ifc >"$WORK/$lab.stats1.$ifc.json"
	done
	tiu_down_all
	in_ns $R ethtool -K rs tx on >/dev/null 2>&1; set_txcsum on
	PORT=$PORT python3 "$E2E_DIR/verdict.py" --work "$WORK" --label "$lab" --bytes "$bytes" \
		--peer "$([ "$fam" = 6 ] && echo $CLI6 || echo $CLI4)" --cap-missed "$missed" \
		--ifaces c0:rc:client,rc:rc:server --udp-links rc --tcp-links rs \
		--results "$WORK/results.jsonl"
	rc=$?
	[ $rc = 0 ] && [ "${E2E_KEEP:-0}" != 1 ] && rm -f "$WORK/$lab".*.pcap
	return $rc
}
