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
# inside them. Built on tests/lib/harness.sh: its cleanup (the EXIT trap of
# e2e_init) takes down tiu, kills every process started here and deletes the
# namespaces, whatever happened before. The work directory of a failed run
# is kept (E2E_KEEP=1: always, E2E_KEEP=never: never).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/../lib/harness.sh"

PORT=${PORT:-7001}           # the tunnelled server port (outside ip_local_port_range)
SRV4=10.77.2.1 SRV6=fd77:2::1
CLI4=10.77.1.1 CLI6=fd77:1::1
CLI4B=10.77.3.1 CLI6B=fd77:3::1
NAT4=10.77.2.254 NAT6=fd77:2::fe

e2e_init() {
	H_KEEP_ON_FAIL=1
	case ${E2E_KEEP:-0} in 1) H_KEEP=1 ;; never) H_KEEP_ON_FAIL=0 ;; esac
	h_init tiue
	WORK=$H_WORK
	C=tiue-$$-cli R=tiue-$$-mbx S=tiue-$$-srv   # the names topo_up's h_ns gives
}

# Build the three namespaces, both client links, IPv4 + IPv6, MPTCP limits.
topo_up() {
	local n
	h_ns C cli && h_ns R mbx && h_ns S srv || return 1
	h_veth $C c0 $R rc && h_veth $C c1 $R rc2 && h_veth $S s0 $R rs || return 1
	in_ns $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	h_addr $C c0 $CLI4/24 $CLI6/64 && h_addr $C c1 $CLI4B/24 $CLI6B/64 &&
	h_addr $R rc 10.77.1.254/24 fd77:1::fe/64 && h_addr $R rc2 10.77.3.254/24 fd77:3::fe/64 &&
	h_addr $R rs $NAT4/24 $NAT6/64 && h_addr $S s0 $SRV4/24 $SRV6/64 || return 1
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
	in_ns $C python3 "$XFER" reach $CLI4 $SRV4 $CLI6 $SRV6 $CLI4B $SRV4 $CLI6B $SRV6 && return 0
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
		h_bg ip netns exec $ns timeout 300 tcpdump -i $ifc -s 0 -B 65536 -U -n -w "$f" 2>"$f.log"
		E2E_CAPS+=("$H_BG $f")
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
		h_wait "$1" 2>/dev/null
		d=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$2.log")
		if [ -z "$d" ]; then
			echo "# capture $2: no statistics from tcpdump:" >&2; sed 's/^/#   /' "$2.log" >&2
			d=1000000
		fi
		miss=$((miss + d))
	done
	E2E_CAP_MISSED=$miss
}

# xfer_run LABEL FAMILY(4|6) PROTO(tcp|mptcp) BYTES [TIMEOUT [XFER OPTIONS...]]:
# a full-duplex transfer of BYTES each way (h_xfer) to the server's $PORT;
# results in $WORK/LABEL.{client,server}.json.
xfer_run() {
	local lab=$1 fam=$2 proto=$3 bytes=$4 to=${5:-60} srv bind opt=()
	shift $(($# < 5 ? $# : 5))
	if [ "$fam" = 6 ]; then srv=$SRV6 bind=::; else srv=$SRV4 bind=0.0.0.0; fi
	if [ "$proto" = mptcp ]; then opt=(--mptcp --want-subflows 2); fi
	h_xfer "$lab" $S $bind $C $srv $PORT "$bytes" --timeout "$to" "${opt[@]}" "$@"
}

nstat_reset() { local n; for n in "$@"; do in_ns $n nstat -n >/dev/null 2>&1; done; }
nstat_json() { in_ns "$1" nstat -z --json 2>/dev/null; }   # deltas since nstat_reset

# TX drops of the topology's veths, "IFACE=N,...": a veth whose peer runs
# native XDP hands it the packet through a ring (drivers/net/veth.c,
# veth_xmit() -> veth_xdp_rx()); with the ring full and no qdisc the packet
# is dropped and counted in the sender's tx_dropped, after packet taps on the
# sender already saw it.
link_drops() {
	local l ns ifc out=
	for l in $C:c0 $C:c1 $S:s0 $R:rc $R:rc2 $R:rs; do
		ns=${l%%:*} ifc=${l#*:}
		out+="$ifc=$(in_ns $ns cat /sys/class/net/$ifc/statistics/tx_dropped 2>/dev/null || echo 0),"
	done
	echo "${out%,}"
}

# packets dropped because a CPU's receive backlog was full (all CPUs, host-wide)
softnet_drops() { local s=0 a b r; while read -r a b r; do s=$((s + 16#$b)); done </proc/net/softnet_stat; echo $s; }

# The namespace of a topology interface: c* the client, s* the server, else the middlebox.
e2e_ns_of() { case $1 in c*) echo "$C" ;; s*) echo "$S" ;; *) echo "$R" ;; esac; }

# e2e_measure LABEL FAMILY PROTO BYTES TIMEOUT IFACES [XFER OPTIONS...]
# One transfer while tiu is up, with everything verdict.py needs: tiu's
# counters of IFACES (verdict.py's IFACE:LINK:SIDE,... list) before and
# after, nstat deltas, backlog and veth drops, captures on E2E_CAP_LINKS
# (default: every middlebox link), the transfer (xfer_run). Sets E2E_MEASURED
# (verdict.py's options for the drops) for e2e_verdict. Returns 1 only when
# the captures did not start (the transfer's fate is the verdict's).
e2e_measure() {
	local lab=$1 fam=$2 proto=$3 bytes=$4 to=$5 ifaces=$6 spec ifc sn0 sn1 ld0 ld1
	shift 6
	for spec in ${ifaces//,/ }; do
		ifc=${spec%%:*}
		tiu_stats_json "$(e2e_ns_of $ifc)" $ifc >"$WORK/$lab.stats0.$ifc.json"
	done
	nstat_reset $C $S
	sn0=$(softnet_drops) ld0=$(link_drops)
	cap_start "$lab" || return 1
	xfer_run "$lab" "$fam" "$proto" "$bytes" "$to" "$@"
	cap_stop
	sn1=$(softnet_drops) ld1=$(link_drops)
	nstat_json $C >"$WORK/$lab.nstat.cli.json"
	nstat_json $S >"$WORK/$lab.nstat.srv.json"
	for spec in ${ifaces//,/ }; do
		ifc=${spec%%:*}
		tiu_stats_json "$(e2e_ns_of $ifc)" $ifc >"$WORK/$lab.stats1.$ifc.json"
	done
	E2E_MEASURED="--cap-missed $E2E_CAP_MISSED --softnet-drops $((sn1 - sn0)) --link-drops $ld0 $ld1"
}

# e2e_verdict LABEL BYTES [VERDICT OPTIONS...]: verdict.py on what
# e2e_measure left (tiu's port: $PORT); one line to results.jsonl. The
# captures are large: kept only for a failed run.
e2e_verdict() {
	local lab=$1 bytes=$2 rc
	shift 2
	PORT=$PORT python3 "$E2E_DIR/verdict.py" --work "$WORK" --label "$lab" --bytes "$bytes" \
		$E2E_MEASURED --results "$WORK/results.jsonl" "$@"
	rc=$?
	[ $rc = 0 ] && [ "${E2E_KEEP:-0}" != 1 ] && rm -f "$WORK/$lab".*.pcap
	return $rc
}

# e2e_run LABEL FAMILY(4|6) PROTO(tcp|mptcp) MBOX MODE(native|skb|tc) TX(on|off) BYTES [TIMEOUT]
# One run through tiu: middlebox, tiu up on both ends, sender TX checksum
# offload, captures, a full-duplex transfer of BYTES each way, counters,
# tiu down, then verdict.py judges it. Returns 0 when every check passed.
e2e_run() {
	local lab=$1 fam=$2 proto=$3 mb=$4 mode=$5 tx=$6 bytes=$7 to=${8:-60}
	local peer opt=""
	mbox "$mb" || return 1
	tiu_ends_up "$mode" || { tiu_down_all; return 1; }
	[ -z "${E2E_ON_UP:-}" ] || $E2E_ON_UP   # a caller's look at tiu while it is up
	set_txcsum "$tx" || { echo "# ethtool -K tx $tx failed" >&2; tiu_down_all; return 1; }
	e2e_measure "$lab" "$fam" "$proto" "$bytes" "$to" c0:rc:client,c1:rc2:client,s0:rs:server ||
		{ tiu_down_all; return 1; }
	tiu_down_all
	set_txcsum on
	if [ "$mb" = nat ]; then peer=$NAT4; [ "$fam" = 6 ] && peer=$NAT6
	else peer=$CLI4; [ "$fam" = 6 ] && peer=$CLI6; fi
	[ "$proto" = mptcp ] && opt=--mptcp
	e2e_verdict "$lab" "$bytes" $opt --peer "$peer"
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
	local lab=$1 fam=$2 mode=$3 bytes=$4 to=${5:-60} dec
	case $mode in
	native|skb) dec="--decap xdp --xdp-mode $mode" ;;
	tc) dec="--decap tc" ;;
	esac
	mbox none || return 1
	tiu_up $C c0 $dec --endpoint remote=$SRV4:$PORT --endpoint "remote=[$SRV6]:$PORT" || { tiu_down_all; return 1; }
	tiu_up $R rc --decap tc --endpoint local=$SRV4:$PORT --endpoint "local=[$SRV6]:$PORT" || { tiu_down_all; return 1; }
	in_ns $R ethtool -K rs tx off >/dev/null 2>&1 && in_ns $S ethtool -K s0 tx off >/dev/null 2>&1 &&
		in_ns $C ethtool -K c0 tx off >/dev/null 2>&1 || { echo "# ethtool failed" >&2; tiu_down_all; return 1; }
	E2E_CAP_LINKS="$R:rc $R:rs" e2e_measure "$lab" "$fam" tcp "$bytes" "$to" c0:rc:client,rc:rc:server ||
		{ tiu_down_all; return 1; }
	tiu_down_all
	in_ns $R ethtool -K rs tx on >/dev/null 2>&1; set_txcsum on
	e2e_verdict "$lab" "$bytes" --peer "$([ "$fam" = 6 ] && echo $CLI6 || echo $CLI4)" \
		--ifaces c0:rc:client,rc:rc:server --udp-links rc --tcp-links rs
}
