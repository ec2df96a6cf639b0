#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# remote.t - a remote= endpoint restores only this host's own connections.
#
# The topology of tests/e2e/lib.sh (client, TCP-dropping middlebox,
# server): the middlebox is a perimeter that lets UDP through. The client
# has `remote=*:7001` (the server's port, any address) and a TCP listener on
# port 2222; the server `local=*:7001`. The attacker is the middlebox
# itself, a host without tiu: it sends plain UDP datagrams from its port
# 7001 to the client's port 2222 that carry a SYN in the tunnel's layout
# (what a tunnelled SYN looks like on the wire), and listens on its UDP
# port 7001 for an answer. Without the check, the client turns them into a
# SYN to its listener, and the SYN-ACK comes back tunnelled, as UDP to the
# attacker's port 7001: a TCP session to any local port through the UDP
# hole. With it, per decap mode (native XDP, TC), both families:
#   - no answer reaches the attacker, the listener has no request socket;
#   - c0's dec_skip_not_ours counts every datagram sent, dec_converted none, and
#     `tiu stats --prometheus` reports it as passed with reason not_ours;
#   - the client's real tunnelled connection to the server still works
#     (a transfer with SHA-256 both ways) and is restored (dec_converted).
# Then the loader's warning for remote=*:PORT on a well-known UDP service
# port, at `up` and at `endpoint add`.
# About 20 s of wall time on a loaded 2-CPU machine. RMT_BYTES (default
# 1000000) bytes each way per transfer.
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/e2e/lib.sh

BYTES=${RMT_BYTES:-1000000}
LPORT=2222   # the client's listener: what the attack wants to reach
NSEND=3      # datagrams per attack

need_root
need_tiu
need_cmd nft python3 nsenter ss

tap_plan 9
e2e_init
h_watchdog 300
topo_up || bail "topology"
mbox droptcp || bail "middlebox rules"

# The attacker: NSEND datagrams from [::]:PORT or 0.0.0.0:PORT to
# TARGET:LPORT, each a SYN in the tunnel's layout (UDP header, then doff/
# flags/window, seq, ack: 20 bytes of L4, a valid UDP checksum from the
# kernel), then 2 s of listening. Prints one line: "sent N answers M
# flags F...", F the TCP flags byte of each answer from TARGET:LPORT.
cat >"$WORK/attack.py" <<'PY'
import socket, struct, sys, time
target, lport, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if ":" in target else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
syn = struct.pack("!BBHII", 0x50, 0x02, 64240, 0x1badcafe, 0)
flags = []
for i in range(n):
    s.sendto(syn, (target, lport))
    time.sleep(0.2)
s.settimeout(0.2)
end = time.time() + 2
while time.time() < end:
    try:
        data, peer = s.recvfrom(2000)
    except (socket.timeout, ConnectionRefusedError):
        continue
    if peer[1] == lport and len(data) >= 2:
        flags.append("0x%02x" % data[1])
print("sent %d answers %d flags %s" % (n, len(flags), " ".join(flags) or "-"))
PY

# A listener on [::]:LPORT (both families) in the client, for the run.
H_CMD_TIMEOUT=600 h_bg in_ns $C python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(8)
time.sleep(600)' $LPORT
for i in $(seq 50); do in_ns $C ss -Htln "sport = :$LPORT" | grep -q . && break; sleep 0.1; done

# run MODE: the attack in both families and a transfer, with the client's
# and the server's decap in MODE (native | tc).
run() {
	local mode=$1 dec a4 a6 nours0 nours1 conv0 conv1 req prom
	case $mode in
	native) dec="--decap xdp --xdp-mode native" ;;
	tc) dec="--decap tc" ;;
	esac
	tiu_up $C c0 $dec --endpoint "remote=*:$PORT" &&
		tiu_up $S s0 $dec --endpoint "local=*:$PORT" || { not_ok "$mode: tiu up"; return; }
	nours0=$(tiu_counter $C c0 dec_skip_not_ours) conv0=$(tiu_counter $C c0 dec_converted)
	a4=$(in_ns $R python3 "$WORK/attack.py" $CLI4 $LPORT $PORT $NSEND)
	a6=$(in_ns $R python3 "$WORK/attack.py" $CLI6 $LPORT $PORT $NSEND)
	req=$(in_ns $C ss -Htn state syn-recv "sport = :$LPORT" | wc -l)
	nours1=$(tiu_counter $C c0 dec_skip_not_ours) conv1=$(tiu_counter $C c0 dec_converted)
	prom=$(tiu_in $C stats c0 --prometheus 2>/dev/null | grep 'reason="not_ours"')
	note "$mode: IPv4 attack: $a4; IPv6 attack: $a6; request sockets on :$LPORT: $req"
	note "$mode: c0 dec_skip_not_ours $nours0 -> $nours1, dec_converted $conv0 -> $conv1; Prometheus: $prom"
	[[ "$a4" == "sent $NSEND answers 0 "* ]]
	result $? "$mode: IPv4 UDP from port $PORT carrying a SYN to the listener on :$LPORT: no SYN-ACK comes back"
	[[ "$a6" == "sent $NSEND answers 0 "* ]] && [ "$req" = 0 ]
	result $? "$mode: the same over IPv6; the listener holds no request socket"
	[ $((nours1 - nours0)) = $((2 * NSEND)) ] && [ "$conv1" = "$conv0" ] &&
		[ "$prom" = "tiu_passed_packets_total{interface=\"c0\",direction=\"decap\",reason=\"not_ours\"} $nours1" ]
	result $? "$mode: c0 counts every attack datagram in dec_skip_not_ours ($((nours1 - nours0)) of $((2 * NSEND))), converts none; Prometheus: passed, reason not_ours"
	xfer_run "rmt-$mode" 4 tcp "$BYTES" 60 >/dev/null 2>&1 && xfer_ok "rmt-$mode" &&
		[ "$(tiu_counter $C c0 dec_converted)" -gt "$conv1" ]
	result $? "$mode: the client's own tunnelled connection to the server still works and is restored"
	tiu_down_all
}

run native
run tc

# The loader: remote=*:PORT on a well-known UDP service port warns, in one
# line, at up and at endpoint add; remote=ADDR:443 and remote=*:7001 do not.
out_up=$(tiu_in $C up c0 --decap tc --endpoint 'remote=*:443' --endpoint "remote=$SRV4:53" 2>&1 >/dev/null)
h_tiu_track $C c0
out_add=$(tiu_in $C endpoint add c0 'remote=*:50-60' "remote=*:$PORT" 2>&1 >/dev/null)
tiu_down_all
note "up: $out_up"
note "endpoint add: $out_add"
[ "$(grep -c 'warning: c0: remote=\*:443: port 443 is the QUIC (HTTP/3) port: every' <<<"$out_up")" = 1 ] &&
	[ "$(grep -c 'warning: .* port [0-9]* is the .* port: every' <<<"$out_up")" = 1 ] &&
	[ "$(grep -c 'warning: c0: remote=\*:50-60: port 53 is the DNS port: every' <<<"$out_add")" = 1 ] &&
	[ "$(grep -c 'warning: .* port [0-9]* is the .* port: every' <<<"$out_add")" = 1 ]
result $? "loader: remote=*:443 at up and remote=*:50-60 at endpoint add each warn in one line; remote=ADDR:53 and remote=*:$PORT do not"

tap_done
