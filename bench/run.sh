#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh quick|full - run the benchmarks and write bench/results/DATE-MODE.md
# and DATE-MODE.png (throughput by configuration, gnuplot).
#
#   quick  pktcost 2,000 runs per row; loadcost 3 x tiu up; throughput 1 run x 1 s,
#          1 flow  (< 1 min)
#   full   pktcost 20,000 runs per row; throughput 3 runs x 5 s, 1 and 4 flows
#          (< 10 min)
# Needs root. BUILD (default ./build) holds build/bench/pktcost and build/tiu
# (`make bench` / `make bench-quick` build them first). gnuplot-nox is
# installed with apt-get when gnuplot is missing.
set -u
MODE=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../build}
RESULTS=${RESULTS:-$HERE/results}

case $MODE in
quick) PC_ITER=2000 PC_ROUNDS=2 TP_T=1 TP_N=1 TP_FLOWS="1" CC_N=1 CC_M=5000 ;;
full) PC_ITER=20000 PC_ROUNDS=4 TP_T=5 TP_N=3 TP_FLOWS="1 4" CC_N=3 CC_M=20000 ;;
*) echo "usage: $0 quick|full" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (BPF_PROG_TEST_RUN, namespaces)" >&2; exit 2; }
[ -x "$BUILD/bench/pktcost" ] || { echo "run.sh: $BUILD/bench/pktcost missing: run make" >&2; exit 2; }
if ! command -v gnuplot >/dev/null; then
	echo "run.sh: installing gnuplot-nox (chart)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null ||
		echo "run.sh: gnuplot-nox could not be installed: no chart" >&2
fi

DAY=$(date +%Y-%m-%d)
mkdir -p "$RESULTS"
OUT=$RESULTS/$DAY-$MODE
WORK=$(mktemp -d /tmp/tiub-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

PC_CMD="$BUILD/bench/pktcost -n $PC_ITER -r $PC_ROUNDS -m $WORK/pktcost.md"
TP_CMD="BUILD=$BUILD $HERE/throughput.sh -t $TP_T -n $TP_N -f \"$TP_FLOWS\""

echo "run.sh: pktcost ($PC_ITER runs per row)" >&2
$PC_CMD >"$WORK/pktcost.txt" || { echo "run.sh: pktcost failed" >&2; exit 1; }
LC_CMD="BUILD=$BUILD $HERE/loadcost.sh -n 3"
echo "run.sh: loadcost (tiu up under strace, 3 runs)" >&2
BUILD=$BUILD "$HERE/loadcost.sh" -n 3 >"$WORK/loadcost.md" ||
	echo "run.sh: loadcost.sh failed: its table is missing" >&2
CC_CMD="BUILD=$BUILD $HERE/clonecost.sh -n $CC_N -m $CC_M"
echo "run.sh: clonecost (egress on a real connection's skbs, $CC_N x $CC_M messages)" >&2
BUILD=$BUILD "$HERE/clonecost.sh" -n "$CC_N" -m "$CC_M" >"$WORK/clonecost.txt" ||
	echo "run.sh: clonecost.sh failed: its lines are missing" >&2
echo "run.sh: throughput ($TP_N x $TP_T s, flows: $TP_FLOWS)" >&2
BUILD=$BUILD "$HERE/throughput.sh" -t "$TP_T" -n "$TP_N" -f "$TP_FLOWS" >"$WORK/throughput.txt" ||
	echo "run.sh: throughput.sh failed: its table is partial" >&2
perl "$HERE/report.pl" "$WORK/throughput.txt" "$WORK/throughput.md" "$WORK/throughput.dat" ||
	{ echo "run.sh: report.pl failed" >&2; exit 1; }

CHART=""
if command -v gnuplot >/dev/null && [ -s "$WORK/throughput.dat" ]; then
	NF=$(echo $TP_FLOWS | wc -w)
	{
		echo "set terminal pngcairo size 1100,520 font 'sans,10'"
		echo "set output '$OUT.png'"
		echo "set title 'tiu end-to-end TCP throughput ($MODE, $(uname -r), $DAY; medians of $TP_N x $TP_T s)'"
		echo "set ylabel 'Gbit/s'; set yrange [0:*]; set grid ytics"
		echo "set style data histograms; set style histogram clustered gap 1"
		echo "set style fill solid 0.85 border -1; set boxwidth 0.9"
		echo "set xtics rotate by -30 noenhanced; set key outside right top"
		echo "set datafile missing '-'"
		printf "plot "
		i=2
		for f in $TP_FLOWS; do
			[ $i -gt 2 ] && printf ", "
			printf "'%s' using %d:xtic(1) title '%s flow(s)'" "$WORK/throughput.dat" $i "$f"
			i=$((i + 1))
		done
		echo
	} >"$WORK/chart.gp"
	if gnuplot "$WORK/chart.gp" 2>"$WORK/gnuplot.err"; then
		CHART="$(basename "$OUT.png")"
	else
		echo "run.sh: gnuplot failed: $(cat "$WORK/gnuplot.err")" >&2
	fi
fi

ELAPSED=$(( $(date +%s) - START ))
{
	echo "# tiu benchmarks, $MODE, $DAY"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- kernel: $(uname -r) ($(uname -v))"
	echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs online"
	echo "- commit: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)$(git -C "$HERE" diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "- wall time of this run: ${ELAPSED} s"
	echo "- commands:"
	echo "  - \`make bench$([ $MODE = quick ] && echo -quick)\` = \`BUILD=$BUILD bench/run.sh $MODE\`, which runs:"
	echo "  - \`$PC_CMD\`"
	echo "  - \`$LC_CMD\`"
	echo "  - \`$CC_CMD\`"
	echo "  - \`$TP_CMD\`"
	echo
	echo "## Per-packet cost (BPF_PROG_TEST_RUN)"
	echo
	echo "Every program's output was checked against the reference bytes (and checksums, counters) before timing, and every timed run's output again. repeat = 1 per run (the programs rewrite the packet), kernel-reported duration, programs interleaved round-robin, process pinned to one CPU. The floor is an empty program (\`return XDP_PASS\` / \`return TC_ACT_OK\`) of the same hook on the same packet: it is mostly the cost of the kernel's timer around one run. ratio = median / floor median; net = median − floor median. The timer here moves in steps of about 10 ns: the trimmed mean (p5–p95) is finer. Endpoint maps: the client's (remote=SERVER:5201) with 1 entry; a 1,000-port range (remote=SERVER:6000-6999, the tunnelled packets on port 6500); 65,536 entries (the map's capacity; the others exact addresses on ports 1024-61023, both of a tunnelled packet's ports among them, so it pays two exact lookups); 65,536 with none of the others on the packets' ports (one lookup: the map's size alone). Rows \"to another port (passed)\": UDP or TCP on ports without any endpoint, what the neighbours of a tunnel pay. Rows \"not a candidate\": TCP through decap, UDP through egress (a host's other traffic; on egress also every segment the detour sends back), passed and counted nowhere. \"encap, selected by mark\": TCP to a port without endpoint, tunnelled by the interface's mark selector (skb->mark set through the test run's context)."
	echo
	cat "$WORK/pktcost.md"
	echo
	echo "## Verifier cost of tiu up"
	echo
	echo "\`tiu up\` (XDP decap) on a veth under \`strace -f -T -e trace=bpf\`: each program's BPF_PROG_LOAD time (median of the runs; the names as the kernel keeps them, 15 characters) and the instructions the verifier walked (bpf_prog_info.verified_insns, as \`tiu status -j\` reports them). docs/DESIGN.md \"Verifier cost\"."
	echo
	cat "$WORK/loadcost.md"
	echo
	echo "## Egress on a real connection's skbs"
	echo
	echo "bench/clonecost.sh: the kernel's mean run time of tiu_tc_egress (kernel.bpf_stats_enabled) while a TCP client sends small messages with TCP_NODELAY over one veth pair; pass = to a port without endpoint (c0's egress: clones, which the test run cannot give), tunnel = to the endpoint port (c0: clones to the detour; s0: the ACKs converted in place). Includes the two clock reads of bpf_stats. docs/DESIGN.md \"Matching, and what it costs\"."
	echo
	echo '```'
	cat "$WORK/clonecost.txt"
	echo '```'
	echo
	echo "## End-to-end throughput"
	echo
	echo "Namespaces client — router — server over veth, IPv4, iperf3 client → server port 5201. tx off = TX checksum offload off on c0 and s0 (a real NIC checksums after TC egress). Machine CPU = busy time of all CPUs from /proc/stat during the run (includes anything else running on this shared VM); sender/receiver CPU = iperf3's own process CPU (rusage). \"on the wire\" = what the router's nftables counters saw towards port 5201 (tiu rows must be udp only, plain rows tcp only; a run where it was not is not counted as good)."
	echo
	[ -n "$CHART" ] && { echo "![throughput]($CHART)"; echo; }
	cat "$WORK/throughput.md"
	echo
	echo "## Raw lines"
	echo
	echo '```'
	cat "$WORK/pktcost.txt" "$WORK/throughput.txt"
	echo '```'
} >"$OUT.md"
echo "run.sh: wrote $OUT.md${CHART:+ and $OUT.png} in ${ELAPSED} s" >&2
