#!/usr/bin/env bash
# tests/robust.t - loader faults, a soak and security checks (TAP).
#
#   tests/robust.t [--soak SECONDS] [--kills N]    defaults: 60 s, 50 kills
#   `make soak` runs: tests/robust.t --soak 600
#
# Two namespaces tiur-PID-a (client, a0 10.88.1.1 fd88::1) and tiur-PID-b
# (server, b0 10.88.1.2 fd88::2), joined by a veth pair. tiu runs through
# nsenter (host mount namespace) with its pins in a private bpffs mounted
# in the work directory: the host's /sys/fs/bpf is never touched. Everything
# (namespaces, mounts, processes started here) is removed by the harness
# (tests/lib/harness.sh); the transfers are tests/lib/xfer.py.
set -u
. "$(dirname "$0")/lib/harness.sh"
SOAK=60 KILLS=50
while [ $# -gt 0 ]; do
	case $1 in
	--soak) SOAK=$2; shift 2 ;;
	--kills) KILLS=$2; shift 2 ;;
	*) echo "usage: $0 [--soak SECONDS] [--kills N]" >&2; exit 2 ;;
	esac
done

need_root
need_tiu
need_cmd nsenter ip tc nft python3 timeout tcpdump

h_init tiur
WORK=$H_WORK
PINS=$WORK/bpf/tiu
PINS_B=$WORK/bpf/tiu-b # a pin directory serves one network namespace
mkdir -p "$WORK/bpf"
# as root a setup that fails is a failure (bail), never a skip
h_mount -t bpf bpf "$WORK/bpf" || bail "cannot mount a bpffs on $WORK/bpf"

tiu_a() { tiu_in "$A" "$@"; }
tiu_b() { tiu_in "$B" "$@"; }
in_a() { H_CMD_TIMEOUT=${T:-30} in_ns "$A" "$@"; }
in_b() { H_CMD_TIMEOUT=${T:-30} in_ns "$B" "$@"; }

make_link() {
	h_veth "$A" a0 "$B" b0 &&
		h_addr "$A" a0 10.88.1.1/24 fd88::1/64 &&
		h_addr "$B" b0 10.88.1.2/24 fd88::2/64 10.88.1.3/24 # .3: a peer that is no endpoint
}
h_ns A a && h_ns B b && make_link || bail "cannot create the namespaces tiur-$$-a/b and their veth pair"
h_tiu_track "$A" a0 "$PINS"
h_tiu_track "$B" b0 "$PINS_B"

# What tiu leaves on namespace $1, interface $2: empty when clean.
leftovers() {
	local ns=$1 ifc=$2 out=
	ip -n $ns link show dev $ifc 2>/dev/null | grep -q 'prog/xdp\|xdpgeneric\| xdp ' && out+=" xdp-on-$ifc"
	for dir in egress ingress; do
		tc -n $ns filter show dev $ifc $dir 2>/dev/null | grep -q 'tiu_\|handle 0x7469' && out+=" tc-$dir-filter"
	done
	ip -n $ns -o link show 2>/dev/null | grep -qE ': tiu[0-9]+[dp][@:]' && out+=" detour:$(ip -n $ns -o link show | grep -oE 'tiu[0-9]+[dp]' | sort -u | tr '\n' ,)"
	[ -n "$(ls -A "$PINS" 2>/dev/null)" ] && out+=" pins:$(ls "$PINS" | tr '\n' ,)"
	echo "$out"
}

UP_A=(a0 --endpoint remote=10.88.1.2:7001 --endpoint "remote=[fd88::2]:7001" --pin-dir "$PINS")
UP_B=(b0 --endpoint "local=*:7001" --pin-dir "$PINS_B")

# ------------------------------------------------------------- kill -9 --
# every "leaves a0 clean" check first proves that up attached something:
# an up that failed would leave a0 clean too
t0=$(date +%s%N)
tiu_a up "${UP_A[@]}" >"$WORK/up0" 2>&1; up_rc=$?
up_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
up_left=$(leftovers $A a0)
tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "baseline: up (rc $up_rc, attached:${up_left:- nothing}) then down --purge leaves a0 clean (up took ${up_ms} ms)" \
	test $up_rc = 0 -a -n "$up_left" -a -z "$(leftovers $A a0)"
[ $up_rc = 0 ] || diag <"$WORK/up0"

# nsenter itself in the background, not the ns_enter function: a function
# there runs in a subshell, $! would be the subshell and kill -9 would leave
# tiu running on; nsenter execs tiu, so $! is tiu
RANDOM=$$
bad=0 recovered=0 kill_up=0 kill_down=0 killed_done=0 msgs=
for i in $(seq 1 "$KILLS"); do
	ms=$((RANDOM % (up_ms + 50)))
	if [ $((i % 3)) = 0 ]; then
		tiu_a up "${UP_A[@]}" >/dev/null 2>&1 || { bad=$((bad + 1)); msgs+=" [#$i: up before the killed down failed]"; }
		nsenter --net="/run/netns/$A" "$TIU" down a0 --pin-dir "$PINS" >/dev/null 2>&1 &
		kill_down=$((kill_down + 1))
	else
		nsenter --net="/run/netns/$A" "$TIU" up "${UP_A[@]}" >/dev/null 2>&1 &
		kill_up=$((kill_up + 1))
	fi
	p=$!
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 $p 2>/dev/null || killed_done=$((killed_done + 1))
	wait $p 2>/dev/null
	out=$(tiu_a down a0 --purge --pin-dir "$PINS" 2>&1); rc=$?
	left=$(leftovers $A a0)
	if [ $rc != 0 ] || [ -n "$left" ]; then
		bad=$((bad + 1)); msgs+=" [#$i after ${ms} ms: rc=$rc${left:+ left:$left} $(echo "$out" | head -1)]"
		tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
	else
		recovered=$((recovered + 1))
	fi
done
note "kill -9: $kill_up during up, $kill_down during down, at 0-$((up_ms + 50)) ms; $killed_done had already finished"
check "kill -9 at random points of up/down, $KILLS times: down --purge recovered $recovered/$KILLS${msgs:+;$msgs}" test $bad = 0

# the loader's own crash points
bad=
for step in pins detour-created detour links endpoints detour-prog decap egress; do
	# the crash must happen: SIGKILL, exit status 137 (timeout passes it
	# on), by the test build of tiu (tiu_crash). Bounded by 120 s, not 30: on a loaded machine an up
	# can take longer than 30 s to reach its last step, and a timeout
	# (124) is not the crash asked for.
	TIU_CRASH_TIMEOUT=120 tiu_crash $step "$A" up "${UP_A[@]}" >/dev/null 2>&1; rc=$?
	[ $rc = 137 ] || bad+=" $step(up-rc=$rc,not-killed)"
	tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1 || bad+=" $step(down-rc)"
	left=$(leftovers $A a0); [ -z "$left" ] || bad+=" $step:$left"
done
check "crash (SIGKILL) after each step of up, then down --purge: clean${bad:+ -- failed:$bad}" test -z "$bad"

# ---------------------------------------------------- concurrent up --
ns_enter $A "$TIU" up "${UP_A[@]}" >"$WORK/c1" 2>&1 & p1=$!
ns_enter $A "$TIU" up "${UP_A[@]}" >"$WORK/c2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
note "concurrent up: rc $r1 ($(head -1 "$WORK/c1")), rc $r2 ($(head -1 "$WORK/c2"))"
st=$(tiu_a status --pin-dir "$PINS" 2>&1)
ndet=$(ip -n $A -o link show | grep -cE ': tiu[0-9]+d[@:]')
nfil=$(tc -n $A filter show dev a0 egress | grep -c 'handle 0x7469')
# says_why RC FILE: success, or a first line "tiu: ..." that names a0
says_why() { [ "$1" = 0 ] || head -n 1 "$2" | grep -q '^tiu: .*a0'; }
good=1
[ $((r1 == 0 || r2 == 0)) = 1 ] && says_why $r1 "$WORK/c1" && says_why $r2 "$WORK/c2" && good=0
check "two concurrent up on a0: at least one succeeds, a failure names a0 and why (rc $r1/$r2)" test $good = 0
check "after concurrent up: one detour, one egress filter, XDP attached, status shows it" \
	test "$ndet" = 1 -a "$nfil" = 1 -a -n "$(ip -n $A link show a0 | grep prog/xdp)" -a -n "$(echo "$st" | grep 'xdp: tiu_xdp_decap')"
note "after concurrent up: detour devices $ndet, egress filters $nfil, XDP: $(ip -n $A link show a0 | grep -c prog/xdp)"
tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "down --purge after concurrent up: clean ($(leftovers $A a0))" test -z "$(leftovers $A a0)"
# start the next checks from a clean a0 whatever happened
for d in $(ip -n $A -o link show | grep -oE 'tiu[0-9]+d' | sort -u); do ip -n $A link del "$d" 2>/dev/null; done

# ------------------------------------------- interface removed while up --
tiu_a up "${UP_A[@]}" >/dev/null 2>&1; up_rc=$?
up_left=$(leftovers $A a0)
check "up before the interface is removed (rc $up_rc, attached:${up_left:- nothing})" test $up_rc = 0 -a -n "$up_left"
ip -n $A link del a0
out=$(tiu_a down a0 --purge --pin-dir "$PINS" 2>&1); rc=$?
note "down --purge of a removed interface: rc $rc: $(echo "$out" | head -2 | tr '\n' ' ')"
det=$(ip -n $A -o link show | grep -oE 'tiu[0-9]+[dp]' | sort -u | tr '\n' ' ')
check "interface removed while up: down --purge leaves no detour device (${det:-none}) and no pins ($(ls "$PINS" 2>/dev/null | tr '\n' ' '))" \
	test -z "$det" -a -z "$(ls -A "$PINS" 2>/dev/null)"
for d in $det; do ip -n $A link del "$d" 2>/dev/null; done
rm -f "$PINS"/* 2>/dev/null; rmdir "$PINS" 2>/dev/null
make_link >/dev/null 2>&1

# ------------------------------------------------ pins on a non-bpffs --
# bad_pins DIR WHAT DESC: up with pins in DIR fails clearly, attaches nothing
bad_pins() {
	local out rc left
	out=$(tiu_a up a0 --endpoint remote=10.88.1.2:7001 --pin-dir "$1" 2>&1); rc=$?
	note "up with $2: rc $rc: $(echo "$out" | head -1)"
	left=$(PINS=$1 leftovers $A a0)
	# a clear error: "tiu: ..." naming the pin directory, nothing attached
	local good=1
	[ $rc != 0 ] && [ -z "$left" ] && head -n 1 <<<"$out" | grep -q "^tiu: .*$1" && good=0
	check "$3: clear error naming $1, nothing attached${left:+ -- left:$left}" test $good = 0
	tiu_a down a0 --purge --pin-dir "$1" >/dev/null 2>&1
}
mkdir -p "$WORK/notbpf"
bad_pins "$WORK/notbpf/tiu" "pins on a plain directory" "pin directory not on bpffs (bpffs unmounted)"
mkdir -p "$WORK/robpf" && h_mount -t bpf -o ro bpf "$WORK/robpf"
bad_pins "$WORK/robpf/tiu" "a read-only bpffs" "read-only pin directory"
umount "$WORK/robpf"

# ------------------------------------------------------------- tunnel --
tiu_a up "${UP_A[@]}" >/dev/null 2>&1 && tiu_b up "${UP_B[@]}" >/dev/null 2>&1
check "tiu up on both ends" test -n "$(ip -n $A link show a0 | grep prog/xdp)" -a -n "$(ip -n $B link show b0 | grep prog/xdp)"

nft_loss() { # 1% loss of the tunnelled TCP on both ends (before conversion)
	ip netns exec $1 nft -f - <<NFT
table inet tiur_loss {
	chain out {
		type filter hook output priority 0;
		meta l4proto tcp th $2 7001 numgen random mod 100 < 1 counter drop
	}
}
NFT
}

# the echo server and the soak client: tests/lib/xfer.py
h_bg ip netns exec $B python3 "$XFER" echo-server --port 7001
sleep 0.5
T=20 in_a python3 "$XFER" soak --connect 10.88.1.2 --connect fd88::2 --port 7001 --seconds 2 > "$WORK/quick" 2>&1
check "tunnelled echo works before the soak: $(cat "$WORK/quick")" grep -q 'fail 0' "$WORK/quick"

# ---------------------------------------------------------------- soak --
nft_loss $A dport && nft_loss $B sport
# The captures take TCP and UDP of port 7001: the UDP they see proves that
# they worked, when they find no plain TCP. A capture counts only once
# tcpdump said "listening on".
# cap_start NS IFACE: tcpdump in the background, $WORK/IFACE.pcap; 0 once listening
cap_start() {
	local i
	h_bg ip netns exec $1 tcpdump -i $2 -Q out -nn -s 96 -w "$WORK/$2.pcap" 'port 7001' \
		>/dev/null 2>"$WORK/$2.tcpdump"
	for i in $(seq 100); do
		grep -q 'listening on' "$WORK/$2.tcpdump" 2>/dev/null && return 0
		kill -0 $H_BG 2>/dev/null || break
		sleep 0.1
	done
	echo "# tcpdump on $2 in $1 did not start:" >&2; diag <"$WORK/$2.tcpdump"
	return 1
}
cap_start $A a0; cap_a_ok=$?; cap_a=$H_BG
cap_start $B b0; cap_b_ok=$?; cap_b=$H_BG
check "soak: captures on a0 and b0 listening" test $cap_a_ok = 0 -a $cap_b_ok = 0
nstat_ok=0
ip netns exec $A nstat -n && ip netns exec $B nstat -n || nstat_ok=1
# list_eps: the endpoint list of a0, failing when tiu cannot give it
list_eps() { tiu_a endpoint list a0 --pin-dir "$PINS"; }
eps0=$(list_eps); ep_rc=$?
ep0=$(grep -c . <<<"$eps0")
(
	i=0
	while [ ! -e "$WORK/stop" ]; do
		i=$((i + 1))
		tiu_a endpoint add a0 "remote=10.88.1.9:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		tiu_b endpoint add b0 "local=[fd88::2]:$((7100 + i % 50))" --pin-dir "$PINS_B" >/dev/null 2>&1
		sleep 2
		tiu_a endpoint del a0 "remote=10.88.1.9:$((7100 + i % 50))" --pin-dir "$PINS" >/dev/null 2>&1
		tiu_b endpoint del b0 "local=[fd88::2]:$((7100 + i % 50))" --pin-dir "$PINS_B" >/dev/null 2>&1
		echo $i > "$WORK/churn"
		sleep 1
	done
) & churn=$!; H_PIDS+=($churn)
T=$((SOAK + 120)) in_a python3 "$XFER" soak --connect 10.88.1.2 --connect fd88::2 --port 7001 --seconds "$SOAK" > "$WORK/soak" 2>&1
touch "$WORK/stop"; T=20 timeout 20 tail --pid=$churn -f /dev/null; kill $churn 2>/dev/null; h_wait $churn 2>/dev/null
sleep 1
eps1=$(list_eps) || ep_rc=1
ep1=$(grep -c . <<<"$eps1")
# six readings (three counters, two namespaces), each one read, or no sum
csum_lines=$( { ip netns exec $A nstat -az TcpInCsumErrors UdpInCsumErrors Udp6InCsumErrors &&
	ip netns exec $B nstat -az TcpInCsumErrors UdpInCsumErrors Udp6InCsumErrors; } ) || nstat_ok=1
[ "$(grep -cE '^(Tcp|Udp|Udp6)InCsumErrors +[0-9]+' <<<"$csum_lines")" = 6 ] || nstat_ok=1
csum=$(awk '/Csum/ { s += $2 } END { print s }' <<<"$csum_lines")
[ $nstat_ok = 0 ] || { csum="unreadable"; diag <<<"$csum_lines"; }
retr=$(ip netns exec $A nstat -az TcpRetransSegs 2>/dev/null | awk '/Retrans/ { print $2 }')
drops=$(ip netns exec $A nft list table inet tiur_loss 2>/dev/null | grep -o 'packets [0-9]*' | awk '{ print $2 }')
note "soak ${SOAK} s: $(cat "$WORK/soak"); endpoint add/del cycles: $(cat "$WORK/churn" 2>/dev/null || echo 0); 1% loss dropped ${drops:-?} segments on a; retransmissions (a) ${retr:-?}"
note "client counters: $(tiu_counters_nonzero $A a0 --pin-dir "$PINS")"
note "server counters: $(tiu_counters_nonzero $B b0 --pin-dir "$PINS_B")"
check "soak: connections completed, none stuck or corrupted" grep -qE 'short [1-9][0-9]* long [1-9][0-9]* bytes [0-9]+ fail 0' "$WORK/soak"
check "soak: no TCP/UDP checksum errors in either namespace ($csum)" test "$csum" = 0
check "soak: endpoint map back to its size after the add/del churn ($ep0 -> $ep1 entries)" \
	test $ep_rc = 0 -a "$ep0" = 2 -a "$ep0" = "$ep1"
kill $cap_a $cap_b 2>/dev/null; h_wait $cap_a; h_wait $cap_b
# pcount FILE FILTER: packets of FILE that FILTER takes; nothing (status 1)
# when the file cannot be read
pcount() { local o; o=$(tcpdump -r "$1" -nn "$2" 2>/dev/null) || return 1; grep -c . <<<"$o"; return 0; }
pa=$(pcount "$WORK/a0.pcap" 'tcp port 7001') && pb=$(pcount "$WORK/b0.pcap" 'tcp port 7001') &&
	ua=$(pcount "$WORK/a0.pcap" 'udp port 7001') && ub=$(pcount "$WORK/b0.pcap" 'udp port 7001')
check "soak: no plain TCP to/from the tunnel port left either host (${pa:-?}, ${pb:-?} packets; the captures saw ${ua:-?}, ${ub:-?} tunnelled UDP)" \
	test "${pa:-x}" = 0 -a "${pb:-x}" = 0 -a "${ua:-0}" -gt 0 -a "${ub:-0}" -gt 0
ip netns exec $A nft delete table inet tiur_loss; ip netns exec $B nft delete table inet tiur_loss

# ------------------------------------------------------------ security --
ip netns exec $B nft -f - <<NFT
table inet tiur_fw {
	chain in {
		type filter hook input priority 0;
		tcp dport 7001 counter reject with tcp reset
	}
}
NFT
# The refusal must be B's rule answering a SYN that arrived through the
# tunnel: the rule's counter moved and B decapsulated it (an RST from
# anywhere else would also read ConnectionRefused).
dec0=$(tiu_counter $B b0 dec_converted --pin-dir "$PINS_B")
T=20 in_a python3 "$XFER" client --connect 10.88.1.2 --port 7001 --out "$WORK/fw.client.json" --timeout 5
fw=$(xfer_field fw client error)
hits=$(ip netns exec $B nft list table inet tiur_fw | grep -o 'packets [0-9]*' | awk '{ print $2 }')
dec1=$(tiu_counter $B b0 dec_converted --pin-dir "$PINS_B")
good=1
grep -q ConnectionRefused <<<"$fw" && [ "${hits:-0}" -ge 1 ] && [ "${dec1:-0}" -gt "${dec0:-x}" ] && good=0
check "an nftables input rule rejecting TCP 7001 also blocks the tunnelled traffic (${fw:-connected}, rule hit ${hits:-0} times, b0 dec_converted ${dec0:-?} -> ${dec1:-?})" \
	test $good = 0
ip netns exec $B nft delete table inet tiur_fw

# UDP from a peer that is no endpoint (10.88.1.3:7001) to the client: untouched
before=$(tiu_counter $A a0 dec_pass --pin-dir "$PINS")
# 40 bytes shaped like a tunnelled segment (length field right, doff 5)
pay=00000000500201f5112233445566778800$(printf '%02x' $(seq 1 19))
# the receiver touches udp.ready once bound (a busy machine starts Python slowly)
T=40 in_a python3 "$XFER" udp-recv --bind 10.88.1.1 --port 40001 --expect "$pay" --timeout 30 \
	--out "$WORK/udp" > "$WORK/udp" 2>&1 & r=$!
for i in $(seq 200); do [ -e "$WORK/udp.ready" ] && break; sleep 0.1; done
T=30 in_b python3 "$XFER" udp-send --bind 10.88.1.3 --sport 7001 --connect 10.88.1.1 --port 40001 --data "$pay"; wait $r
after=$(tiu_counter $A a0 dec_pass --pin-dir "$PINS")
# dec_pass moved: tiu saw the datagram and let it be
good=1
grep -q "^same 10.88.1.3 7001" "$WORK/udp" && [ "${after:-0}" -gt "${before:-x}" ] && good=0
check "UDP to the client from a non-endpoint peer (10.88.1.3:7001) arrives untouched ($(cat "$WORK/udp"); dec_pass ${before:-?} -> ${after:-?})" \
	test $good = 0

tiu_b down b0 --purge --pin-dir "$PINS_B" >/dev/null 2>&1; tiu_a down a0 --purge --pin-dir "$PINS" >/dev/null 2>&1
check "final down --purge on both ends: clean ($(leftovers $A a0)$(leftovers $B b0))" test -z "$(leftovers $A a0)$(leftovers $B b0)"
tap_done
