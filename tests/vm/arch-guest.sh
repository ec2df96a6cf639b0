#!/bin/sh
# arch-guest.sh - the other-CPU lanes' tests. Runs INSIDE the guest that
# arch-run.sh boots (dash of the guest's CPU, root; busybox for the small tools),
# with tiu's static binaries of that CPU in /lane, and prints TAP (the plan
# last). Small on purpose: the guest is emulated instruction by instruction.
#
#   1. the golden table: test_datapath (BPF test runs of the XDP and TC
#      programs of this CPU's byte order, on this kernel's verifier and JIT);
#   2. the packet fuzzer against the model (test_pktfuzz, few frames);
#   3. an end-to-end transfer between two namespaces across a middlebox
#      namespace whose nftables drop TCP: tiu up on both ends (client XDP
#      decap, server TC decap), SHA-256 equal, and every UDP checksum of
#      the captures on both of the middlebox's links recomputed (archlane
#      pcapcheck), no TCP seen there;
#   4. `tiu stats --json` and text with a counter seeded past 2^32 on every
#      possible CPU (archlane seed: raw bpf(2)), printed right;
#   5. the no-BTF run: in a mount namespace where an empty tmpfs covers
#      /sys/kernel/btf, tiu up, the transfer of 3., tiu status naming the
#      missing BTF, tiu down.
# env (from arch-run.sh's ARCH_LANE_ENV): LANE_XFER_BYTES (default 2000000),
# LANE_DATAPATH_N (property iterations of test_datapath, default 100),
# LANE_FUZZ_FRAMES (default 300), LANE_ONLY (a regular expression: run only
# the checks whose description it matches).
set -u
BYTES=${LANE_XFER_BYTES:-2000000}
PORT=7001
BTF=/sys/kernel/btf/vmlinux
N=0
FAILED=0

# want DESC: whether LANE_ONLY selects the check
want() { [ -z "${LANE_ONLY:-}" ] || echo "$1" | grep -Eq "$LANE_ONLY"; }
# ok|notok DESC, then the check's output as comments
tap() { # RC DESC
	N=$((N + 1))
	if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); fi
}
comment() { sed 's/^/# /'; }
nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
tiu_in() { local ns=$1; shift; timeout 300 nsenter --net="/run/netns/$ns" /lane/tiu "$@"; }
json_u64() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }


# ------------------------------------------------- 1., 2.: C tests --
# run_tap DESC PROGRAM ARGS: its TAP as comments, one line of ours
run_tap() {
	local desc=$1 out rc t0 t1 ok nok skip
	shift
	want "$desc" || return 0
	t0=$(date +%s)
	out=$("$@" 2>&1)
	rc=$?
	t1=$(date +%s)
	echo "$out" | grep -v '^ok ' | comment
	ok=$(echo "$out" | grep -c '^ok ')
	nok=$(echo "$out" | grep -c '^not ok ')
	skip=$(echo "$out" | grep -c '^ok .*# SKIP')
	echo "# $ok ok ($skip skipped), $nok not ok, exit $rc, $((t1 - t0))s"
	[ "$rc" = 0 ] && [ "$nok" = 0 ] && [ "$ok" -gt "$skip" ]
	tap $? "$desc"
}

# ------------------------------------------- 3.: end-to-end transfer --
# client C (10.81.1.1) -- c0|m0 -- middlebox M, TCP dropped -- m1|s0 -- server S (10.81.2.1)
topo_up() {
	local ns
	for ns in C M S; do ip netns add $ns || return 1; done
	ip link add c0 netns C type veth peer name m0 netns M &&
		ip link add s0 netns S type veth peer name m1 netns M || return 1
	nsx C ip addr add 10.81.1.1/24 dev c0 && nsx M ip addr add 10.81.1.254/24 dev m0 &&
		nsx S ip addr add 10.81.2.1/24 dev s0 && nsx M ip addr add 10.81.2.254/24 dev m1 || return 1
	for ns in C M S; do nsx $ns ip link set lo up; done
	nsx C ip link set c0 up && nsx S ip link set s0 up && nsx M ip link set m0 up && nsx M ip link set m1 up &&
		nsx C ip route add default via 10.81.1.254 && nsx S ip route add default via 10.81.2.254 || return 1
	nsx M sysctl -qw net.ipv4.ip_forward=1 || return 1
	nsx M nft -f - <<-EOF
		table inet mbox {
			chain forward {
				type filter hook forward priority 0; policy accept;
				meta l4proto tcp counter drop
			}
		}
	EOF
}
topo_down() {
	local ns
	for ns in C M S; do ip netns del $ns 2>/dev/null; done
	return 0
}

# plain TCP must not cross the middlebox (else the transfer proves nothing)
plain_blocked() {
	# nsenter execs the program: $! is the program itself
	nsenter --net=/run/netns/S /lane/archlane recv $PORT /tmp/plain.out 2>/dev/null &
	local rpid=$!
	sleep 1
	head -c 1000 /dev/urandom >/tmp/plain.in
	if timeout 10 nsenter --net=/run/netns/C /lane/archlane send 10.81.2.1 $PORT /tmp/plain.in 2>/dev/null; then
		kill $rpid 2>/dev/null
		echo "plain TCP crossed the middlebox"
		return 1
	fi
	kill $rpid 2>/dev/null
	wait $rpid 2>/dev/null
	echo "plain TCP: blocked ($(nsx M nft list ruleset | grep -o 'counter packets [0-9]*'))"
}

# xfer NAME: tiu up on both ends, BYTES client -> server, captured on m1.
# The server's endpoint is a range of 200 ports: the loader writes one
# element of the endpoint table per port in a burst (on mips that burst ran
# the kernel's BPF allocator dry: loader/sys/elem.c).
xfer() {
	local name=$1 rpid cpid cpid0 sa sb rc=0
	tiu_in C up c0 --decap xdp --xdp-mode native --endpoint "remote=10.81.2.1:$PORT" >/tmp/$name.upc 2>&1 &&
		tiu_in S up s0 --decap tc --endpoint "local=*:$PORT-$((PORT + 199))" >/tmp/$name.ups 2>&1
	rc=$?
	cat /tmp/$name.upc /tmp/$name.ups | comment
	[ $rc = 0 ] || { echo "tiu up failed"; return 1; }
	head -c "$BYTES" /dev/urandom >/tmp/$name.in
	nsenter --net=/run/netns/M tcpdump -Z root -i m0 -s 0 -U -w /tmp/$name.m0.pcap udp or tcp 2>/tmp/$name.tcpdump0 &
	cpid0=$!
	nsenter --net=/run/netns/M tcpdump -Z root -i m1 -s 0 -U -w /tmp/$name.m1.pcap udp or tcp 2>/tmp/$name.tcpdump1 &
	cpid=$!
	sleep 2
	nsenter --net=/run/netns/S timeout 400 /lane/archlane recv $PORT /tmp/$name.out 2>&1 &
	rpid=$!
	sleep 1
	timeout 300 nsenter --net=/run/netns/C /lane/archlane send 10.81.2.1 $PORT /tmp/$name.in || rc=1
	wait $rpid || rc=1
	sleep 1
	kill $cpid0 $cpid 2>/dev/null || { echo "a capture ended early:"; cat /tmp/$name.tcpdump0 /tmp/$name.tcpdump1; rc=1; }
	wait $cpid0 $cpid 2>/dev/null
	sa=$(sha256sum </tmp/$name.in | cut -d' ' -f1)
	sb=$(sha256sum </tmp/$name.out 2>/dev/null | cut -d' ' -f1)
	echo "sha256 sent $sa, received ${sb:-nothing} ($(wc -c </tmp/$name.out 2>/dev/null) bytes)"
	[ "$sa" = "$sb" ] || rc=1
	printf 'client link (m0): '
	/lane/archlane pcapcheck /tmp/$name.m0.pcap $PORT || rc=1
	printf 'server link (m1): '
	/lane/archlane pcapcheck /tmp/$name.m1.pcap $PORT || rc=1
	[ $rc = 0 ] || nsx M nstat -az 2>/dev/null | grep -E 'InHdrErrors|InCsumErrors|InDiscards|InAddrErrors' | grep -v ' 0 '
	tiu_in C stats c0 --json >/tmp/$name.statsc 2>&1
	echo "client: enc_converted $(json_u64 enc_converted </tmp/$name.statsc), detour_converted $(json_u64 detour_converted </tmp/$name.statsc), dec_converted $(json_u64 dec_converted </tmp/$name.statsc)"
	return $rc
}
xfer_down() {
	tiu_in C down c0 --purge 2>&1 | comment
	tiu_in S down s0 --purge 2>&1 | comment
}

# ------------------------------------------- 4.: counters past 2^32 --
counters() {
	local pd ncpu want got txt
	ip netns add K && ip link add ka netns K type veth peer name kb netns K || return 1
	nsx K ip link set ka up && nsx K ip link set kb up || return 1
	tiu_in K up ka --endpoint remote=10.9.9.9:7001 || { echo "tiu up failed"; return 1; }
	pd=$(tiu_in K status --json | sed -n 's/.*"pin_dir":"\([^"]*\)".*/\1/p')
	[ -n "$pd" ] || { echo "no pin directory in tiu status --json"; return 1; }
	ncpu=$(/lane/archlane seed "$pd/tiu_stats") || return 1
	want=$((ncpu * 4294967297))
	got=$(tiu_in K stats ka --json | json_u64 enc_converted)
	txt=$(tiu_in K stats ka | grep -w enc_converted)
	echo "$ncpu possible CPUs: want $want; --json: $got; text: $txt"
	tiu_in K down ka --purge || return 1
	ip netns del K
	[ "$got" = "$want" ] && echo "$txt" | grep -qw "$want"
}

# --------------------------------------------------- 5.: no BTF --
nobtf() {
	local st
	if [ -e $BTF ]; then echo "kernel BTF: present (hidden here)"; else echo "kernel BTF: absent on this kernel"; fi
	mount -t tmpfs -o size=1m tiu-nobtf /sys/kernel/btf 2>/dev/null || mkdir -p /sys/kernel/btf 2>/dev/null
	[ ! -e $BTF ] || { echo "cannot hide $BTF"; return 1; }
	xfer nobtf || { xfer_down; return 1; }
	st=$(tiu_in C status c0 2>&1)
	echo "$st" | grep '^kernel:'
	grep -q 'no kernel BTF' /tmp/nobtf.upc && echo "$st" | grep -q "^kernel: ip_summed not readable (no kernel BTF: $BTF missing)" ||
		{ echo "tiu up or status does not name the missing BTF"; xfer_down; return 1; }
	xfer_down
	tiu_in C status 2>&1 | grep -q '^no interface is up in this network namespace'
}
# ---------------------------------------------------------------- main --
# --nobtf: 5. alone, in the mount namespace the main run made for it
if [ "${1:-}" = --nobtf ]; then
	nobtf
	exit
fi

echo "# lane: $(uname -m), $(uname -r) ($LANE_KPKG), $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "# BPF JIT: net.core.bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo "absent (no JIT on this kernel and CPU)"); kernel BTF: $([ -e $BTF ] && echo present || echo absent)"
dmesg | grep -i 'bpf\|jit' | comment
[ -z "${LANE_DEBUG:-}" ] || { ls /proc/sys/net/core | tr '\n' ' '; grep -c . /proc/kallsyms; grep -w 'bpf_jit_enable\|bpf_int_jit_compile' /proc/kallsyms; } 2>&1 | comment
/lane/tiu --version 2>&1 | comment
run_tap "the golden table (test_datapath ${LANE_DATAPATH_N:-100}) on this CPU and kernel" \
	/lane/test_datapath "${LANE_DATAPATH_N:-100}"
run_tap "the packet fuzzer against the model (test_pktfuzz ${LANE_FUZZ_FRAMES:-300} frames)" \
	/lane/test_pktfuzz "${LANE_FUZZ_FRAMES:-300}"
topo=1
want "transfer end-to-end no-BTF" && { topo_up >/tmp/topo.log 2>&1; topo=$?; }
[ ! -e /tmp/topo.log ] || comment </tmp/topo.log
if [ "$topo" = 0 ]; then
	plain_blocked >/tmp/plain.log 2>&1
	tap $? "the middlebox drops plain TCP"
	comment </tmp/plain.log
	xfer e2e >/tmp/e2e.log 2>&1
	tap $? "transfer of $BYTES bytes through the TCP-dropping middlebox: sha256 equal, only UDP with valid checksums on both middlebox links"
	comment </tmp/e2e.log
	xfer_down
	unshare -m /bin/sh /lane/arch-guest.sh --nobtf >/tmp/nobtf.log 2>&1
	tap $? "no kernel BTF (an empty tmpfs over /sys/kernel/btf): tiu up and status name it, the transfer of 3. passes, tiu down"
	comment </tmp/nobtf.log
elif want "transfer end-to-end no-BTF"; then
	tap 1 "the three namespaces and the TCP-dropping middlebox"
fi

if want "tiu stats counter past 2^32"; then
	counters >/tmp/counters.log 2>&1
	tap $? "tiu stats (--json and text) prints a counter past 2^32 right"
	comment </tmp/counters.log
fi
topo_down
echo "1..$N"
[ "$FAILED" = 0 ]
