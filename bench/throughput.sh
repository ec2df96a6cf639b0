#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# throughput.sh - end-to-end TCP throughput through tiu and its baselines.
#
# Topology (namespaces tiub-PID-{cli,rtr,srv}, veth pairs, IPv4):
#   cli c0 10.77.1.1 --- rc | rtr (forwards) | rs --- 10.77.2.1 s0 srv
# iperf3 client in cli sends to the server in srv, port 5201 (outside
# ip_local_port_range, as docs/DESIGN.md "Endpoints" recommends for a server endpoint).
#
# Configurations (tx = TX checksum offload of c0 and s0; "tx off" is how a
# veth imitates a real NIC that checksums after TC egress):
#   plain-default      plain TCP, veth defaults (TSO)
#   plain-swgso        plain TCP, tx off: software GSO (what the detour costs against)
#   plain-seg1         plain TCP, tx off, gso_max_segs 1 (one segment per skb:
#                      what upstream tcp-in-udp requires)
#   tiu-xdpN           tiu, XDP native decap, GRO off on c0/s0, tx off
#   tiu-xdpN-gro       tiu, XDP native decap, GRO on on c0/s0, tx off
#   tiu-xdpG           tiu, XDP generic (skb) decap, tx off
#   tiu-tc             tiu, TC ingress decap, tx off
#   tiu-tc-txon        tiu, TC ingress decap, tx on
#   tiu-xdpN-gro-txon  tiu, XDP native decap, GRO on, tx on
#   tiu-tc-64k         tiu-tc with the endpoint maps of both sides filled to
#                      65,536 entries ($BUILD/bench/epfill): the scale case
# The tiu rows need the loader ($BUILD/tiu): without it they are skipped with
# a SKIP line. Every tiu row checks on the router (nftables counters) that the
# client->server packets were UDP and none TCP, and every plain row the reverse.
#
# Per run: Gbit/s received (iperf3), TCP retransmissions, CPU: busy seconds of
# the whole machine from /proc/stat (user+nice+system+irq+softirq, all CPUs)
# per GB received, and iperf3's own sender and receiver process CPU (rusage)
# per GB; TCP/UDP checksum errors counted by cli and srv.
#
# Configurations are interleaved run by run (run 1 of each, then run 2...)
# so that drift on a noisy machine hits them alike.
#
# Diagnostics: -p DIR records a system-wide profile of every measurement
# (`perf record -a -g`, for the iperf3 run) into DIR/CFG-fFLOWS-rRUN.data;
# perf's own cost then inflates the CPU columns of those runs.
#
# -d adds to each line what the retransmissions were: dsack= (the receiver
# reported a duplicate: the segment had arrived, out of order),
# reorder= (TCPSACKReorder+TCPTSReorder+TCPRenoReorder of the sender) and
# detour_drops= (dropped packets counted by the detour veth ends of both
# sides), deltas over the run.
#
# -x NAME=CMD defines the variant CFG+NAME of each configuration CFG (give
# it in -c): CFG, then the shell command CMD in the client's and the server's
# namespace with $D and $P set to that side's detour ends (tiuNd, tiuNp;
# names only: plain configurations have none).
# For trying detour settings against the default in one run, e.g.
#   -c "tiu-tc tiu-tc+gro" -x 'gro=ethtool -K $P gro on'
#
# usage: throughput.sh [-t SECONDS] [-n RUNS] [-f "1 4"] [-c "cfg ..."] [-p DIR]
#                      [-x NAME=CMD]... [-d]
# Output: "throughput key=value..." lines on stdout, progress on stderr.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

T=5 N=3 FLOWS="1 4" PERF_DIR="" DIAG=0 XDEFS=()
declare -A VARIANT
CONFIGS="plain-default plain-swgso plain-seg1 tiu-xdpN tiu-xdpN-gro tiu-xdpG tiu-tc tiu-tc-txon tiu-xdpN-gro-txon tiu-tc-64k"
bench_getopts "t:T n:N f:FLOWS c:CONFIGS p:PERF_DIR x+XDEFS d=DIAG" "$@"
for x in "${XDEFS[@]}"; do VARIANT[${x%%=*}]=${x#*=}; done

BUILD=${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
TIU=${TIU:-$BUILD/tiu}
PORT=5201
P=tiub-$$
C=$P-cli R=$P-rtr S=$P-srv
CLI_IP=10.77.1.1 SRV_IP=10.77.2.1
HZ=$(getconf CLK_TCK)
TIU_UP=""          # "ns:iface ..." that tiu is up on
PIN_DIRS=""        # pin directories tiu used for our namespaces
PIN_BASE=/sys/fs/bpf/tiu
MAX_EP=65536
PIN_BASE_EXISTED=0
[ -d $PIN_BASE ] && PIN_BASE_EXISTED=1
# tiu under `ip netns exec` pins through the host's bpffs: mount one where the
# host has none (as `tiu up` itself would on the host), and unmount it after
BPFFS_MOUNTED=0
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ] && [ "$(id -u)" = 0 ]; then
	mount -t bpf bpf /sys/fs/bpf && BPFFS_MOUNTED=1
fi

log() { echo "throughput.sh: $*" >&2; }
in_ns() { local n=$1; shift; ip netns exec "$n" "$@"; }

# ------------------------------------------------------------- cleanup --
tiu_down_all() {
	local e
	for e in $TIU_UP; do
		timeout 20 ip netns exec "${e%%:*}" "$TIU" down "${e#*:}" --purge >/dev/null 2>&1 ||
			log "warning: tiu down ${e#*:} --purge failed in ${e%%:*}"
	done
	TIU_UP=""
}

cleanup() {
	local n pids i
	trap - EXIT INT TERM HUP
	trap '' PIPE  # a closed stdout must not stop the cleanup
	tiu_down_all
	for n in $C $R $S; do
		ip netns list 2>/dev/null | grep -qw "^$n" || continue
		pids=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
		for i in 1 2 3 4 5; do
			pids=$(ip netns pids "$n" 2>/dev/null)
			[ -z "$pids" ] && break
			sleep 0.2
		done
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	# pins of our namespaces (as tiu named them) that a failed `tiu down` left
	for i in $PIN_DIRS; do
		case $i in "$PIN_BASE"/netns-*) ;; *) continue ;; esac
		[ -d "$i" ] && { log "removing leftover pins $i"; rm -rf "$i"; }
	done
	[ $PIN_BASE_EXISTED = 0 ] && [ -d $PIN_BASE ] && rmdir $PIN_BASE 2>/dev/null
	if [ $BPFFS_MOUNTED = 1 ]; then
		rmdir /sys/fs/bpf/xdp 2>/dev/null # libxdp's, empty by now
		umount /sys/fs/bpf 2>/dev/null
	fi
	return 0
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE

# ------------------------------------------------------------ topology --
setup() {
	local n
	for n in $C $R $S; do ip netns add "$n" || return 1; ip -n "$n" link set lo up; done
	ip -n $C link add c0 type veth peer name rc netns $R || return 1
	ip -n $S link add s0 type veth peer name rs netns $R || return 1
	in_ns $R sysctl -qw net.ipv4.ip_forward=1
	ip -n $C addr add $CLI_IP/24 dev c0
	ip -n $R addr add 10.77.1.254/24 dev rc
	ip -n $R addr add 10.77.2.254/24 dev rs
	ip -n $S addr add $SRV_IP/24 dev s0
	ip -n $C link set c0 up; ip -n $S link set s0 up
	ip -n $R link set rc up; ip -n $R link set rs up
	ip -n $C route add default via 10.77.1.254
	ip -n $S route add default via 10.77.2.254
	# wire check on the router: what crosses it towards the server port
	in_ns $R nft -f - <<-EOF || return 1
	table inet tiub {
		counter tcp_c2s {
		}
		counter udp_c2s {
		}
		chain count {
			type filter hook forward priority 0; policy accept;
			tcp dport $PORT counter name tcp_c2s
			udp dport $PORT counter name udp_c2s
		}
	}
	EOF
	# reachability without ping: a refused connection proves the path
	in_ns $C timeout 3 bash -c "echo >/dev/tcp/$SRV_IP/9" 2>&1 | grep -q refused ||
		{ log "no connectivity in the topology"; return 1; }
	GSO_SEGS_DEFAULT=$(ip -n $C -d link show c0 | sed -n 's/.*gso_max_segs \([0-9]*\).*/\1/p')
}

# A one-off iperf3 server per measurement: a server that dies cannot spoil
# the runs after it.
start_server() {
	local i
	in_ns $S timeout $((T + 40)) iperf3 -s -1 -p $PORT >/dev/null 2>&1 &
	SRV_PID=$!
	for i in $(seq 50); do
		in_ns $S ss -Hltn "sport = :$PORT" | grep -q . && return 0
		sleep 0.05
	done
	log "iperf3 server did not start"
	return 1
}

stop_server() {
	local i
	for i in $(seq 50); do
		kill -0 $SRV_PID 2>/dev/null || break
		sleep 0.1
	done
	kill $SRV_PID 2>/dev/null
	wait $SRV_PID 2>/dev/null
}

# ---------------------------------------------------------- configurations --
offl() { in_ns "$1" ethtool -K "$2" "${@:3}" >/dev/null 2>&1; }

reset_cfg() {
	tiu_down_all
	offl $C c0 tx on gro off; offl $S s0 tx on gro off
	ip -n $C link set c0 gso_max_segs "${GSO_SEGS_DEFAULT:-65535}"
	ip -n $S link set s0 gso_max_segs "${GSO_SEGS_DEFAULT:-65535}"
}

# pin_dir NS: where tiu pins the maps of that namespace (its own naming)
pin_dir() {
	timeout 10 ip netns exec "$1" "$TIU" status --json 2>/dev/null |
		sed -n 's/.*"pin_dir":"\([^"]*\)".*/\1/p' | sed 's|^/proc/[0-9]*/root/|/|' | head -1
}

# tiu_up NS IFACE ENDPOINT ARGS...
tiu_up() {
	local n=$1 i=$2 out
	out=$(timeout 30 ip netns exec "$n" "$TIU" up "$i" --endpoint "$3" "${@:4}" 2>&1)
	local rc=$?
	TIU_UP="$TIU_UP $n:$i"  # down even after a partial failure
	local d; d=$(pin_dir "$n")
	case " $PIN_DIRS " in *" $d "*) ;; *) [ -n "$d" ] && PIN_DIRS="$PIN_DIRS $d" ;; esac
	[ $rc = 0 ] || { SKIP_WHY="tiu up $i ${*:3} failed: $(echo "$out" | tail -1)"; return 1; }
}

# apply_cfg NAME: 0 ready, 1 skip (reason in SKIP_WHY)
apply_cfg() {
	local c=$1 v n ifx
	case $c in
	*+*)
		v=${c#*+}
		[ -n "${VARIANT[$v]:-}" ] || { SKIP_WHY="no -x $v=CMD"; return 1; }
		apply_base_cfg "${c%%+*}" || return 1
		for n in "$C:c0" "$S:s0"; do
			ifx=$(in_ns "${n%%:*}" cat /sys/class/net/"${n#*:}"/ifindex)
			in_ns "${n%%:*}" env D="tiu${ifx}d" P="tiu${ifx}p" bash -c "${VARIANT[$v]}" >&2 ||
				{ SKIP_WHY="variant $v failed in ${n%%:*}"; return 1; }
		done
		return 0 ;;
	esac
	apply_base_cfg "$c"
}

apply_base_cfg() {
	local c=$1 dec mode tx=off gro=off fill=1
	SKIP_WHY=""
	case $c in
	plain-default) return 0 ;;
	plain-swgso) offl $C c0 tx off; offl $S s0 tx off; return 0 ;;
	plain-seg1)
		offl $C c0 tx off; offl $S s0 tx off
		ip -n $C link set c0 gso_max_segs 1; ip -n $S link set s0 gso_max_segs 1
		return 0 ;;
	tiu-xdpN) dec=xdp mode=native ;;
	tiu-xdpN-gro) dec=xdp mode=native gro=on ;;
	tiu-xdpG) dec=xdp mode=skb ;;
	tiu-tc) dec=tc mode=native ;;
	tiu-tc-txon) dec=tc mode=native tx=on ;;
	tiu-xdpN-gro-txon) dec=xdp mode=native gro=on tx=on ;;
	tiu-tc-64k) dec=tc mode=native fill=$MAX_EP ;;
	*) SKIP_WHY="unknown configuration"; return 1 ;;
	esac
	if [ ! -x "$TIU" ]; then
		SKIP_WHY="$TIU is missing (the loader is not built yet)"
		return 1
	fi
	offl $C c0 tx $tx gro $gro; offl $S s0 tx $tx gro $gro
	tiu_up $C c0 remote=$SRV_IP:$PORT --decap $dec --xdp-mode $mode || return 1
	tiu_up $S s0 local=$SRV_IP:$PORT --decap $dec --xdp-mode $mode || return 1
	# fill=1 checks that each map holds only our endpoint (no stale pins)
	fill_endpoints $C c0 $fill && fill_endpoints $S s0 $fill || return 1
	return 0
}

# fill_endpoints NS IFACE TOTAL: pad the namespace's endpoint map (pinned by
# tiu under PIN_BASE/netns-COOKIE) with endpoints that match nothing
fill_endpoints() {
	local n=$1 i=$2 dir ifx out
	dir=$(pin_dir "$n")
	ifx=$(in_ns "$n" cat /sys/class/net/"$i"/ifindex)
	[ -x "$BUILD/bench/epfill" ] || { SKIP_WHY="$BUILD/bench/epfill missing: run make"; return 1; }
	[ -n "$dir" ] || { SKIP_WHY="tiu status --json names no pin_dir"; return 1; }
	out=$("$BUILD/bench/epfill" "$dir/tiu_endpoints" "$ifx" "$3" 2>&1) ||
		{ SKIP_WHY="endpoint map of $i: want $3 entries: $out"; return 1; }
	[ "$3" -gt 1 ] && log "$out"
	return 0
}

# --------------------------------------------------------------- measure --
cpu_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
csum_errors() { # TCP + UDP InCsumErrors of a namespace
	in_ns "$1" awk '/^(Tcp|Udp):/{ if (!h[$1]++) { for (i=2;i<=NF;i++) if ($i=="InCsumErrors") c[$1]=i } else s+=$c[$1] } END{print s+0}' /proc/net/snmp
}
# diag_counters: "dsack reorder detour_drops" now (-d)
diag_counters() {
	local d=0 n f
	for n in $C $S; do
		for f in $(in_ns $n sh -c 'ls -d /sys/class/net/tiu*[dp] 2>/dev/null'); do
			d=$((d + $(in_ns $n cat $f/statistics/rx_dropped $f/statistics/tx_dropped | awk "{s+=\$1} END{print s+0}")))
		done
	done
	in_ns $C awk -v d=$d '/^TcpExt:/{ if (!h++) { for (i=2;i<=NF;i++) n[$i]=i } else {
		print $n["TCPDSACKRecv"], $n["TCPSACKReorder"]+$n["TCPTSReorder"]+$n["TCPRenoReorder"], d } }' /proc/net/netstat
}
nft_counter() { in_ns $R nft reset counter inet tiub "$1" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p' | head -1; }

# measure CFG FLOWS RUN
measure() {
	local cfg=$1 flows=$2 run=$3 b0 b1 e0 e1 json res tcp udp wire ok=1
	nft_counter tcp_c2s >/dev/null; nft_counter udp_c2s >/dev/null
	e0=$(( $(csum_errors $C) + $(csum_errors $S) ))
	local dg0="" dg1="" diag=""
	[ $DIAG = 1 ] && dg0=$(diag_counters)
	start_server
	b0=$(cpu_busy)
	local perf_pid=""
	if [ -n "$PERF_DIR" ]; then
		perf record -q -a -g -o "$PERF_DIR/$cfg-f$flows-r$run.data" -- sleep "$T" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	json=$(timeout $((T + 30)) ip netns exec $C iperf3 -c $SRV_IP -p $PORT -t "$T" -P "$flows" -J 2>/dev/null)
	[ -n "$perf_pid" ] && wait $perf_pid
	b1=$(cpu_busy)
	stop_server
	e1=$(( $(csum_errors $C) + $(csum_errors $S) ))
	if [ $DIAG = 1 ]; then
		dg1=$(diag_counters)
		set -- $dg0 $dg1
		diag=" dsack=$(($4 - $1)) reorder=$(($5 - $2)) detour_drops=$(($6 - $3))"
	fi
	tcp=$(nft_counter tcp_c2s); udp=$(nft_counter udp_c2s)
	# perl (JSON::PP is core): python3 takes seconds to start on these VMs
	res=$(echo "$json" | perl -MJSON::PP -e '
my ($busy, $hz) = @ARGV;
my $j = eval { local $/; decode_json(<STDIN>) };
my $e = $j && $j->{end};
if (!$e || !$e->{sum_received} || !$e->{sum_received}{bytes}) {
	my $err = ($j && $j->{error}) || "no result from iperf3";
	$err =~ s/\s+/_/g;
	print "error=$err\n";
	exit 0;
}
my ($rcv, $snd, $cpu) = ($e->{sum_received}, $e->{sum_sent}, $e->{cpu_utilization_percent});
my $gb = $rcv->{bytes} / 1e9;
my $secs = $snd->{seconds};
printf "gbps=%.3f bytes=%d retr=%d cpu_s_per_gb=%.3f snd_cpu_s_per_gb=%.3f rcv_cpu_s_per_gb=%.3f\n",
	$rcv->{bits_per_second} / 1e9, $rcv->{bytes}, $snd->{retransmits} // -1, $busy / $hz / $gb,
	$cpu->{host_total} / 100 * $secs / $gb, $cpu->{remote_total} / 100 * $secs / $gb;
' $((b1 - b0)) "$HZ")
	case $cfg in
	tiu-*) [ "${udp:-0}" -gt 0 ] && [ "${tcp:-1}" = 0 ] && wire=udp || { wire=WRONG; ok=0; } ;;
	*) [ "${tcp:-0}" -gt 0 ] && [ "${udp:-1}" = 0 ] && wire=tcp || { wire=WRONG; ok=0; } ;;
	esac
	case $res in error=*) ok=0 ;; esac
	echo "throughput config=$cfg flows=$flows run=$run secs=$T $res wire=$wire wire_tcp_pkts=${tcp:-?} wire_udp_pkts=${udp:-?} csum_errors=$((e1 - e0))$diag ok=$ok"
	[ $ok = 1 ] || log "$cfg flows=$flows run=$run: NOT OK ($res wire tcp=$tcp udp=$udp)"
}

# ------------------------------------------------------------------ main --
[ "$(id -u)" = 0 ] || { log "needs root (namespaces)"; exit 2; }
for t in iperf3 nft ethtool perl ss; do
	command -v $t >/dev/null || { log "missing $t (make deps)"; exit 2; }
done
if [ -n "$PERF_DIR" ]; then
	command -v perf >/dev/null || { log "-p needs perf (linux-perf)"; exit 2; }
	mkdir -p "$PERF_DIR" || exit 2
fi
setup || { log "topology setup failed"; exit 1; }
log "namespaces $C $R $S; ${N} run(s) x ${T} s; flows: $FLOWS"
declare -A SKIPPED
for run in $(seq "$N"); do
	for cfg in $CONFIGS; do
		[ -n "${SKIPPED[$cfg]:-}" ] && continue
		reset_cfg
		if ! apply_cfg "$cfg"; then
			SKIPPED[$cfg]=1
			echo "throughput config=$cfg SKIP reason=\"$SKIP_WHY\""
			log "SKIP $cfg: $SKIP_WHY"
			continue
		fi
		for f in $FLOWS; do
			log "run $run/$N $cfg flows=$f"
			measure "$cfg" "$f" "$run"
			sleep 0.3
		done
	done
done
reset_cfg
exit 0
