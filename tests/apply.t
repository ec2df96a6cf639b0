#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/apply.t - `tiu apply`: one configuration for interfaces that come and
# go, and nothing left of a device that is gone.
#
#   client ns: wan0 10.79.1.1  --  mbx ns: rc .1.254 | rs .2.254 (nftables:
#   every TCP packet dropped)  --  server ns: s0 10.79.2.1 (tiu up by hand,
#   local=*:7001-7002)
#
# The client's tiu comes only from `tiu apply` with [interface wan*]. Each
# reconnect test takes the device away, brings it back (a new ifindex, or a
# new name), runs `tiu apply`, and checks: the tunnel is back (the time from
# the device's creation to the first tunnelled packet counted by tiu is
# printed), a new connection through the TCP-dropping middlebox arrives with
# SHA-256 equal both ways, and nothing of the old ifindex is left (status,
# pin records, /run/tiu, detour pair, map entries, keepalive entries).
#   1. a veth deleted and created again under its name;
#   2. a tun device closed and opened again (tests/tools/tunfwd, the
#      middlebox of tests/l3.t: raw IP, TCP dropped), both ends by apply;
#   3. an interface renamed out of the pattern (down) and back into it (up).
# Then: a second apply changes nothing; --dry-run prints the plan and
# changes nothing; patterns (several per section, first section wins, names
# that do not match and interfaces brought up by hand are left alone); an
# endpoint added while a tunnelled transfer runs (it completes, SHA-256
# equal, the new port tunnels); a section removed takes its interface down;
# `tiu down --stale` releases a vanished device too; the sock_ops keepalive
# link is detached when its last user vanishes (a pin root of its own, so
# that the link is this test's alone); a bad configuration changes nothing
# and exits 1. The reconnect times include apply's wait for the host-wide
# lock (/run/tiu/lock) while other tiu commands run. Wall time: 4-8 minutes
# on a loaded 2-CPU machine.
. "$(dirname "$0")/e2e/lib.sh"

need_root
need_tiu
need_cmd nft python3 nsenter bpftool strace
FWD=$BUILD/tests/tools/tunfwd
need_built "$FWD"

e2e_init
h_watchdog 600
CLI=10.79.1.1 SRVA=10.79.2.1
BYTES=2000000
h_ns C cli && h_ns R mbx && h_ns S srv || bail "namespaces"
h_veth "$S" s0 "$R" rs && h_addr "$S" s0 $SRVA/24 && h_addr "$R" rs 10.79.2.254/24 || bail "server link"
ip -n "$S" route add default via 10.79.2.254 dev s0
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1
mbox droptcp || bail "middlebox rules"
tiu_up "$S" s0 --decap tc --endpoint "local=*:7001-7002" || bail "tiu up on the server"

CONF=$H_WORK/tiu.conf
cat >"$CONF" <<EOF
# the client's configuration
[interface wan*]
endpoint remote=$SRVA:7001
mss 1400
EOF

# cli_link NAME: the client's link to the middlebox, named NAME, addressed, routed.
cli_link() {
	h_veth "$C" "$1" "$R" rc && h_addr "$C" "$1" $CLI/24 && h_addr "$R" rc 10.79.1.254/24 &&
		ip -n "$C" route replace default via 10.79.1.254 dev "$1"
}
apply() { tiu_in "$C" apply --config "$CONF" "$@"; }
ifindex() { ip -n "$1" -o link show "$2" 2>/dev/null | cut -d: -f1; }
# links NS: the names of NS's devices
links() { ip -n "$1" -o link show 2>/dev/null | awk '{print $2}'; }
# The namespace's pin directory and run state (for the cleanup too).
state_dirs() {
	local pd
	pd=$(tiu_pin_dir "$C")
	[ -n "$pd" ] || return 0
	PD=$pd RS=/run/tiu/$(basename "$pd") COOKIE=${pd##*netns-}
	h_defer rm -rf "$RS"
}
PD= RS= COOKIE=

# leftovers NS IFINDEX: what tiu still holds of IFINDEX (empty: nothing).
leftovers() {
	local ns=$1 idx=$2 out=
	links "$ns" | grep -q "^tiu${idx}[dp][@:]" && out+=" detour tiu${idx}d/p;"
	tiu_in "$ns" status 2>/dev/null | grep -q "(ifindex $idx)" && out+=" status lists ifindex $idx;"
	tiu_in "$ns" status 2>/dev/null | grep -q "^? " && out+=" status lists a vanished device;"
	ls "/run/tiu/netns-$(ns_cookie "$ns")" 2>/dev/null | grep -q "^$idx\." && out+=" run state $idx.*;"
	[ -n "$PD" ] && [ -e "$PD/iface-$idx" ] && out+=" pin record iface-$idx;"
	ka_entries "$ns" "$idx" | grep -q . && out+=" keepalive entries;"
	echo "$out"
}
ns_cookie() { tiu_in "$1" status --json 2>/dev/null | sed -n 's/.*"pin_dir":"[^"]*netns-\([0-9]*\)".*/\1/p'; }
# ka_entries NS IFINDEX: keepalive entries (tiu_ka_ifaces) of IFINDEX in NS.
ka_entries() {
	local c=${COOKIE:-0}
	[ -e /sys/fs/bpf/tiu/keepalive/tiu_ka_ifaces ] || return 0
	bpftool -j map dump pinned /sys/fs/bpf/tiu/keepalive/tiu_ka_ifaces 2>/dev/null |
		python3 -c 'import json,sys
for e in json.load(sys.stdin):
    k=e.get("formatted",{}).get("key",{})
    if str(k.get("netns"))==sys.argv[1] and str(k.get("ifindex"))==sys.argv[2]: print(k)' "$c" "$2"
}

# tunnelled NS IFACE: tiu's converted packets on IFACE (egress and detour).
tunnelled() {
	local j a b
	j=$(tiu_stats_json "$1" "$2")
	a=$(counter_of enc_converted <<<"$j") b=$(counter_of detour_converted <<<"$j")
	echo $((${a:-0} + ${b:-0}))
}

# reconnect LABEL T0 NS IFACE SERVER PORT [SRVNS]: after apply, a transfer
# through the middlebox while tiu's counters are polled; prints the ms from
# T0 (the device's creation) to the first tunnelled packet; 0: SHA-256 equal.
reconnect() {
	local lab=$1 t0=$2 ns=$3 ifc=$4 srv=$5 port=$6 sns=${7:-$S} xp t1= i n
	( h_xfer "$lab" "$sns" 0.0.0.0 "$ns" "$srv" "$port" $BYTES --timeout 30 >/dev/null 2>&1 ) &
	xp=$!
	for i in $(seq 400); do
		n=$(tunnelled "$ns" "$ifc")
		[ "${n:-0}" -gt 0 ] && { t1=$(date +%s%N); break; }
		sleep 0.025
	done
	wait $xp
	[ -n "$t1" ] && LAT_MS=$(((t1 - t0) / 1000000)) || LAT_MS=none
	xfer_ok "$lab" >/dev/null 2>&1
}

# reconnect_check DESC LABEL T0 NS IFACE SERVER PORT [SRVNS]: reconnect as
# a test: ok DESC, with "@MS" in it standing for the milliseconds to the
# first tunnelled packet, or not ok with the transfer's report.
reconnect_check() {
	local desc=$1
	shift
	if reconnect "$@"; then
		ok "${desc//@MS/$LAT_MS}"
	else
		not_ok "${desc//@MS/$LAT_MS}"; xfer_ok "$1" 2>&1 | diag
	fi
}

# ---------------------------------------------------------------- tests --

t_first() {
	local out rc
	cli_link wan0 || { not_ok "client link"; return; }
	out=$(apply 2>&1); rc=$?
	h_tiu_track "$C" wan0
	state_dirs
	if [ $rc = 0 ] && grep -q "^wan0: up (pattern wan\*, ifindex $(ifindex "$C" wan0), 1 endpoint)$" <<<"$out" &&
	   tiu_in "$C" endpoint list wan0 | grep -qx "remote=$SRVA:7001" &&
	   tiu_in "$C" status wan0 | grep -q "mss clamp: 1400"; then
		ok "apply brings up wan0 from [interface wan*] with its endpoint and mss (one line, exit 0)"
	else
		not_ok "apply brings up wan0 (rc $rc)"; echo "$out" | diag
	fi
	reconnect_check "a transfer through the TCP-dropping middlebox: SHA-256 equal both ways" \
		first "$(date +%s%N)" "$C" wan0 $SRVA 7001
	out=$(apply 2>&1); rc=$?
	result $([ $rc = 0 ] && [ "$out" = "tiu: apply: nothing to change" ]; echo $?) \
		"a second apply changes nothing and says so, exit 0" "rc $rc: $out"
}

t_veth_recreate() {
	local old new out rc t0 left
	old=$(ifindex "$C" wan0)
	local had
	had=$(leftovers "$C" "$old") # what tiu holds of it while it is up
	ip -n "$C" link del wan0
	t0=$(date +%s%N)
	cli_link wan0 || { not_ok "client link again"; return; }
	new=$(ifindex "$C" wan0)
	local ta=$(date +%s%N)
	out=$(apply 2>&1); rc=$?
	ta=$((($(date +%s%N) - ta) / 1000000))
	if [ $rc = 0 ] && grep -q "^wan0: released (ifindex $old no longer exists: tiu${old}d" <<<"$out" &&
	   grep -q "^wan0: up (pattern wan\*, ifindex $new, 1 endpoint)$" <<<"$out"; then
		ok "veth re-created (ifindex $old -> $new): apply releases the old one and brings up the new one"
	else
		not_ok "veth re-created: apply (rc $rc)"; echo "$out" | diag
	fi
	reconnect_check "veth re-created: tunnel back @MS ms after the device's creation (apply: $ta ms, with its wait for the lock); a new connection through the middlebox, SHA-256 equal" \
		veth "$t0" "$C" wan0 $SRVA 7001
	left=$(leftovers "$C" "$old")
	result $([ -n "$had" ] && [ -z "$left" ]; echo $?) \
		"veth re-created: nothing of ifindex $old left (status, detour, run state, pin record, keepalive)" "before:$had after:$left"
	local st prom
	st=$(tiu_in "$C" status 2>/dev/null) prom=$(tiu_in "$C" stats --prometheus 2>/dev/null)
	if grep -q "^apply: pattern wan\*: wan0 (ifindex $new, applied 20[0-9-]*T[0-9:]*Z)$" <<<"$st" &&
	   grep -qx 'tiu_interface_up{interface="wan0"} 1' <<<"$prom" &&
	   grep -qx 'tiu_apply_changes_total{action="released"} 1' <<<"$prom" &&
	   grep -qx 'tiu_apply_changes_total{action="up"} 2' <<<"$prom"; then
		ok "status shows what pattern wan* matched and when; Prometheus: tiu_interface_up 1, changes released 1, up 2"
	else
		not_ok "status / prometheus after the re-creation"; { grep apply <<<"$st"; grep -e interface_up -e apply_changes <<<"$prom"; } | diag
	fi
}

t_rename() {
	local idx out rc t0 left
	idx=$(ifindex "$C" wan0)
	ip -n "$C" link set wan0 down && ip -n "$C" link set wan0 name lan0 && ip -n "$C" link set lan0 up &&
		ip -n "$C" route replace default via 10.79.1.254 dev lan0
	out=$(apply 2>&1); rc=$?
	left=$(leftovers "$C" "$idx")
	if [ $rc = 0 ] && grep -q "^lan0: down (no section of .* matches it)$" <<<"$out" && [ -z "$left" ] &&
	   ! h_xfer out "$S" 0.0.0.0 "$C" $SRVA 7001 100000 --timeout 3 >/dev/null 2>&1; then
		ok "renamed out of the pattern (wan0 -> lan0): apply takes it down, nothing left, TCP no longer crosses the middlebox"
	else
		not_ok "renamed out of the pattern (rc $rc) $left"; echo "$out" | diag
	fi
	ip -n "$C" link set lan0 down && ip -n "$C" link set lan0 name wan0
	t0=$(date +%s%N)
	ip -n "$C" link set wan0 up && ip -n "$C" route replace default via 10.79.1.254 dev wan0
	out=$(apply 2>&1); rc=$?
	result $([ $rc = 0 ] && grep -q "^wan0: up (pattern wan\*, ifindex $idx, 1 endpoint)$" <<<"$out"; echo $?) \
		"renamed into the pattern (lan0 -> wan0): apply brings it up" "rc $rc: $out"
	reconnect_check "renamed into the pattern: tunnel back @MS ms after the rename; SHA-256 equal" \
		rename "$t0" "$C" wan0 $SRVA 7001
}

t_tun() {
	local T1 T2 fp old1 old2 new1 new2 out1 out2 rc1 rc2 t0 left c1 c2
	h_ns T1 tc1 && h_ns T2 tc2 || { not_ok "tun namespaces"; return; }
	cat >"$H_WORK/tun-c.conf" <<EOF
[interface tunf*]
endpoint remote=10.78.0.2:7001
xdp-mode skb
EOF
	cat >"$H_WORK/tun-s.conf" <<EOF
[interface tunf0]
endpoint local=*:7001
decap tc
EOF
	tun_open() {
		rm -f "$H_WORK/fwd.ready"
		h_bg "$FWD" "$T1" "$T2" --ready "$H_WORK/fwd.ready" --stats "$H_WORK/fwd.json"
		fp=$H_BG
		for i in $(seq 100); do [ -e "$H_WORK/fwd.ready" ] && break; sleep 0.05; done
		h_addr "$T1" tunf0 10.78.0.1/24 && h_addr "$T2" tunf0 10.78.0.2/24 &&
			ip -n "$T1" link set tunf0 up && ip -n "$T2" link set tunf0 up
	}
	tun_open || { not_ok "tun pair"; return; }
	tiu_in "$T1" apply --config "$H_WORK/tun-c.conf" >/dev/null 2>&1
	tiu_in "$T2" apply --config "$H_WORK/tun-s.conf" >/dev/null 2>&1
	h_tiu_track "$T1" tunf0; h_tiu_track "$T2" tunf0
	c1=$(ns_cookie "$T1") c2=$(ns_cookie "$T2")
	h_defer rm -rf "/run/tiu/netns-$c1" "/run/tiu/netns-$c2"
	old1=$(ifindex "$T1" tunf0) old2=$(ifindex "$T2" tunf0)
	local had
	had=$(COOKIE=$c1 leftovers "$T1" "$old1")
	# the daemon closes its tun devices (a PPP session ends, a modem resets)
	kill "$fp"; h_wait "$fp" 2>/dev/null
	t0=$(date +%s%N)
	tun_open || { not_ok "tun pair reopened"; return; }
	new1=$(ifindex "$T1" tunf0) new2=$(ifindex "$T2" tunf0)
	out1=$(tiu_in "$T1" apply --config "$H_WORK/tun-c.conf" 2>&1); rc1=$?
	out2=$(tiu_in "$T2" apply --config "$H_WORK/tun-s.conf" 2>&1); rc2=$?
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] &&
	   grep -q "^tunf0: released (ifindex $old1 no longer exists" <<<"$out1" &&
	   grep -q "^tunf0: up (pattern tunf\*, ifindex $new1, 1 endpoint)$" <<<"$out1" &&
	   grep -q "^tunf0: up (pattern tunf0, ifindex $new2, 1 endpoint)$" <<<"$out2" &&
	   tiu_in "$T1" status tunf0 | grep -q "framing: raw IP"; then
		ok "tun closed and reopened (ifindex $old1 -> $new1, $old2 -> $new2): apply on both ends releases the old devices and brings up the new ones, raw IP"
	else
		not_ok "tun reopened: apply (rc $rc1/$rc2)"; { echo "$out1"; echo "$out2"; } | diag
	fi
	reconnect_check "tun reopened: tunnel back @MS ms after the devices' creation; through tunfwd (TCP dropped), SHA-256 equal" \
		tun "$t0" "$T1" tunf0 10.78.0.2 7001 "$T2"
	left=$(COOKIE=$c1 leftovers "$T1" "$old1")$(COOKIE=$c2 leftovers "$T2" "$old2")
	result $([ -n "$had" ] && [ -z "$left" ]; echo $?) "tun reopened: nothing of the old ifindexes left on either end" "before:$had after:$left"
	tiu_in "$T1" down tunf0 --purge >/dev/null 2>&1; tiu_in "$T2" down tunf0 --purge >/dev/null 2>&1
	kill "$fp"; h_wait "$fp" 2>/dev/null
}

t_dry_run() {
	local out rc before after
	sed -i "s/^endpoint remote=$SRVA:7001$/&\nendpoint remote=$SRVA:7002/" "$CONF"
	before=$(tiu_in "$C" endpoint list wan0)
	out=$(apply --dry-run 2>&1); rc=$?
	after=$(tiu_in "$C" endpoint list wan0)
	if [ $rc = 0 ] && [ "$out" = "plan: wan0: endpoints (pattern wan*, +remote=$SRVA:7002)" ] &&
	   [ "$before" = "$after" ] && [ "$(tiu_in "$C" apply --config "$CONF" --dry-run -j)" = \
		"{\"config\":\"$CONF\",\"dry_run\":true,\"changes\":[{\"interface\":\"wan0\",\"ifindex\":$(ifindex "$C" wan0),\"action\":\"endpoints\",\"pattern\":\"wan*\",\"ok\":true,\"detail\":\"+remote=$SRVA:7002\"}],\"failed\":0}" ]; then
		ok "--dry-run prints the plan (text and -j) and changes nothing"
	else
		not_ok "--dry-run (rc $rc)"; { echo "$out"; echo "before: $before"; echo "after: $after"; } | diag
	fi
}

t_endpoint_live() {
	local xp out rc i p paused= base cpid=
	base=$(tunnelled "$C" wan0)
	( h_xfer live "$S" 0.0.0.0 "$C" $SRVA 7001 20000000 --timeout 90 >/dev/null 2>&1 ) &
	xp=$!
	# the client runs and its connection has been tunnelled
	for i in $(seq 800); do
		for p in $(ip netns pids "$C"); do
			{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q "xfer.py client" && cpid=$p
		done
		[ -n "$cpid" ] && [ "$(tunnelled "$C" wan0)" -gt "$base" ] && break
		sleep 0.025
	done
	# the client is held still while apply runs (however long it waits for
	# the lock): its connection is open across the change
	[ -n "$cpid" ] && kill -STOP "$cpid" && paused=$cpid
	out=$(apply 2>&1); rc=$?
	for p in $paused; do kill -CONT "$p"; done
	wait $xp
	if [ -n "$paused" ] && [ $rc = 0 ] && [ "$out" = "wan0: endpoints (pattern wan*, +remote=$SRVA:7002)" ] && xfer_ok live >/dev/null &&
	   [ "$(tiu_in "$C" endpoint list wan0 | tr '\n' ' ')" = "remote=$SRVA:7001 remote=$SRVA:7002 " ]; then
		ok "an endpoint added while a tunnelled transfer is open (its client held still during apply): it completes, SHA-256 equal"
	else
		not_ok "endpoint change during a transfer (rc $rc, paused:${paused:- none})"; { echo "$out"; xfer_ok live 2>&1; } | diag
	fi
	reconnect_check "the new endpoint tunnels: port 7002 through the middlebox, SHA-256 equal" \
		port2 "$(date +%s%N)" "$C" wan0 $SRVA 7002
}

t_patterns() {
	local out rc
	h_veth "$C" wanx "$R" rx && h_veth "$C" lte0 "$R" rl && h_veth "$C" lan1 "$R" r1 &&
		h_veth "$C" wan9 "$R" r9 || { not_ok "pattern links"; return; }
	tiu_up "$C" wan9 --endpoint remote=$SRVA:7001
	cat >>"$CONF" <<EOF
[interface lte? wwan0]
endpoint remote=$SRVA:7001
[interface wanx]
endpoint remote=$SRVA:7003
EOF
	out=$(apply 2>&1); rc=$?
	h_tiu_track "$C" wanx; h_tiu_track "$C" lte0
	if [ $rc = 0 ] && grep -q "^wanx: up (pattern wan\*," <<<"$out" && grep -q "^lte0: up (pattern lte?," <<<"$out" &&
	   ! grep -q "^lan1:" <<<"$out" && ! grep -q "^wan9:" <<<"$out" &&
	   grep -q "warning: wan9: up by hand (not by apply): left alone" <<<"$out" &&
	   [ "$(tiu_in "$C" endpoint list wanx | tr '\n' ' ')" = "remote=$SRVA:7001 remote=$SRVA:7002 " ] &&
	   ! tiu_in "$C" status lan1 | grep -q "slot:"; then
		ok "patterns: wan* and 'lte? wwan0' match, the first section wins (wanx), lan1 is left out, wan9 (up by hand) is left alone"
	else
		not_ok "patterns (rc $rc)"; echo "$out" | diag
	fi
	out=$(apply 2>&1); rc=$?
	result $([ $rc = 0 ] && [ "$(grep -v warning <<<"$out")" = "tiu: apply: nothing to change" ]; echo $?) \
		"patterns: a second apply changes nothing" "rc $rc: $out"
}

t_remove() {
	local out rc idx
	idx=$(ifindex "$C" lte0)
	sed -i '/^\[interface lte? wwan0\]$/,/^endpoint/d' "$CONF"
	out=$(apply 2>&1); rc=$?
	if [ $rc = 0 ] && [ "$(grep -v warning <<<"$out")" = "lte0: down (no section of $CONF matches it)" ] &&
	   [ -z "$(leftovers "$C" "$idx")" ] && ! ip -n "$C" link show lte0 | grep -q xdp &&
	   tiu_in "$C" status wan9 | grep -q "slot:"; then
		ok "a section removed: apply takes its interface down, nothing of it left; wan9 (by hand) stays up"
	else
		not_ok "section removed (rc $rc)"; echo "$out" | diag
	fi
}

t_stale() {
	local idx out rc left
	idx=$(ifindex "$C" wanx)
	ip -n "$C" link del wanx
	out=$(tiu_in "$C" down --stale 2>&1); rc=$?
	left=$(leftovers "$C" "$idx")
	# exit 1 also when a namespace of another program cannot be entered (the
	# dead-namespace part cannot be told then): the vanished device is
	# released all the same, before that look
	if { [ $rc = 0 ] || { [ $rc = 1 ] && grep -q "^tiu: down --stale: cannot tell which namespaces are gone" <<<"$out"; }; } &&
	   grep -q "^wanx: released (ifindex $idx no longer exists): tiu${idx}d" <<<"$out" && [ -z "$left" ]; then
		ok "tiu down --stale releases a vanished device too (detour, slot, records, keepalive; exit $rc)"
	else
		not_ok "down --stale and a vanished device (rc $rc) $left"; echo "$out" | diag
	fi
}

# port_bits NS PORT: tiu_ports[PORT] of NS's pins as "remote remote_any".
port_bits() {
	bpftool -j map lookup pinned "$(tiu_pin_dir "$1")/tiu_ports" key $(($2 & 255)) $(($2 >> 8)) 0 0 2>/dev/null |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["formatted"]["value"]; print(v["remote"], v["remote_any"])'
}

t_release_ports() {
	local Q out rc idx0 b0 b1 calls loaded
	# two interfaces in one namespace (one pin directory, one tiu_ports);
	# one vanishes: apply clears its slot's port bits, not the other's, and
	# reads the 65,536-entry table in a batch, not a bpf() call per port
	h_ns Q rel || { not_ok "namespace"; return; }
	h_veth "$Q" rel0 "$R" rr0 && h_veth "$Q" rel1 "$R" rr1 || { not_ok "links"; return; }
	printf '[interface rel0]\nendpoint remote=%s:7101\n[interface rel1]\nendpoint remote=%s:7102\n' $SRVA $SRVA >"$H_WORK/rel.conf"
	out=$(strace -f -e trace=bpf -o "$H_WORK/up.strace" nsenter --net="/run/netns/$Q" "$TIU" apply --config "$H_WORK/rel.conf" 2>&1); rc=$?
	h_tiu_track "$Q" rel0; h_tiu_track "$Q" rel1
	h_defer rm -rf "/run/tiu/netns-$(ns_cookie "$Q")"
	# the programs verified: XDP decapsulates, so not the TC ingress one
	loaded=$(sed -n 's/.*BPF_PROG_LOAD.*prog_name="\(tiu_[a-z_]*\)".*/\1/p' "$H_WORK/up.strace" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')
	result $([ $rc = 0 ] && grep -q "tiu_tc_detour:2 tiu_tc_egress:2 tiu_xdp_decap:2" <<<"$loaded" &&
		! grep -q tiu_tc_decap <<<"$loaded"; echo $?) \
		"apply (XDP decap) on two interfaces verifies the TC egress, detour and XDP programs, not tiu_tc_decap ($loaded)" "rc $rc: $loaded"
	b0=$(port_bits "$Q" 7101) b1=$(port_bits "$Q" 7102)
	if [ $rc != 0 ] || [ "${b0%% *}" = 0 ] || [ "${b1%% *}" = 0 ] || [ -z "$b0" ] || [ -z "$b1" ]; then
		not_ok "two interfaces up by apply with their port bits (rc $rc, 7101: $b0, 7102: $b1)"; echo "$out" | diag; return
	fi
	idx0=$(ifindex "$Q" rel0)
	ip -n "$Q" link del rel0
	out=$(strace -f -c -e trace=bpf -o "$H_WORK/rel.strace" nsenter --net="/run/netns/$Q" "$TIU" apply --config "$H_WORK/rel.conf" 2>&1); rc=$?
	calls=$(awk '$NF == "bpf" { print $4 }' "$H_WORK/rel.strace")
	if [ $rc = 0 ] && grep -q "^rel0: released (ifindex $idx0 no longer exists" <<<"$out" &&
	   [ "$(port_bits "$Q" 7101)" = "0 0" ] && [ "$(port_bits "$Q" 7102)" = "$b1" ] &&
	   [ -n "$calls" ] && [ "$calls" -lt 20000 ]; then
		ok "a vanished device's port bits cleared, the other interface's kept ($b1), in $calls bpf() calls (a batch read of tiu_ports)"
	else
		not_ok "release of one of two interfaces (rc $rc, 7101: $(port_bits "$Q" 7101), 7102: $(port_bits "$Q" 7102) (was $b1), bpf() calls: ${calls:-?})"
		{ echo "$out"; cat "$H_WORK/rel.strace"; } | diag
	fi
}

# The DSL (PPPoE) + LTE example of the documentation ("Routers: WANs that
# reconnect"), on a ppp0 of type link/ppp and a wwan0 of type link/rawip
# (tunfwd's tun devices of those types): its file applies, and the output
# the documentation shows for the first runs is what tiu prints.
t_doc_example() {
	local X XP XW src conf out rc want fp1 fp2
	src=$(grep -l '^# /etc/tiu/tiu.conf$' "$ROOT/README.md" "$ROOT"/docs/*.md 2>/dev/null | head -1)
	[ -n "$src" ] || { not_ok "the documentation's example (# /etc/tiu/tiu.conf) not found in README.md or docs/"; return; }
	conf=$H_WORK/example.conf
	sed -n '/^# \/etc\/tiu\/tiu.conf$/,/^```$/p' "$src" | sed '$d' >"$conf"
	# the documented output: the fenced lines after "# tiu apply --dry-run",
	# one block per "# tiu ..." command line
	doc_out() {
		awk -v want="$1" '/^# tiu apply --dry-run$/ { on = 1 } on && /^```$/ { exit }
			on && /^# tiu / { n++; next } on && n == want' "$src"
	}
	h_ns X ex && h_ns XP exp && h_ns XW exw || { not_ok "namespaces"; return; }
	for d in "ppp0 512 $XP" "wwan0 519 $XW"; do
		set -- $d
		h_bg "$FWD" "$X" "$3" --name "$1" --type "$2" --ready "$H_WORK/$1.ready" --stats "$H_WORK/$1.json"
		for i in $(seq 100); do [ -e "$H_WORK/$1.ready" ] && break; sleep 0.05; done
	done
	ip -n "$X" addr add 198.51.100.2/32 peer 198.51.100.1 dev ppp0 && ip -n "$X" link set ppp0 up &&
		ip -n "$X" addr add 10.64.0.2/30 dev wwan0 && ip -n "$X" link set wwan0 up || { not_ok "ppp0 and wwan0"; return; }
	h_tiu_track "$X" ppp0; h_tiu_track "$X" wwan0
	out=$(tiu_in "$X" apply --config "$conf" --dry-run 2>&1); rc=$?
	want=$(doc_out 1)
	result $([ $rc = 0 ] && [ -n "$want" ] && [ "$out" = "$want" ]; echo $?) \
		"the documented example: --dry-run prints what $(basename "$src") shows" "rc $rc: got:
$out
documented:
$want"
	out=$(tiu_in "$X" apply --config "$conf" 2>&1); rc=$?
	h_defer rm -rf "/run/tiu/netns-$(ns_cookie "$X")"
	want=$(doc_out 2)
	if [ $rc = 0 ] && [ -n "$want" ] && [ "$out" = "$want" ] &&
	   tiu_in "$X" status ppp0 | grep -q "framing: raw IP (link/ppp)" &&
	   tiu_in "$X" status ppp0 | grep -q "mss clamp: 1452" &&
	   tiu_in "$X" status wwan0 | grep -q "framing: raw IP (link/rawip)" &&
	   [ "$(tiu_in "$X" endpoint list ppp0 | tr '\n' ' ')" = "remote=192.0.2.10:7001 remote=[2001:db8::10]:7001 " ]; then
		ok "the documented example: apply brings up ppp0 (link/ppp, mss 1452, 2 endpoints) and wwan0 (link/rawip) and prints what $(basename "$src") shows"
	else
		not_ok "the documented example: apply (rc $rc)"; { echo "got:"; echo "$out"; echo "documented:"; echo "$want"; } | diag
	fi
	out=$(tiu_in "$X" apply --config "$conf" 2>&1); rc=$?
	want=$(doc_out 3)
	result $([ $rc = 0 ] && [ "$out" = "$want" ]; echo $?) \
		"the documented example: a second apply prints what $(basename "$src") shows" "rc $rc: $out"
	tiu_in "$X" down ppp0 >/dev/null 2>&1; tiu_in "$X" down wwan0 >/dev/null 2>&1
}

t_keepalive_link() {
	local K idx lid out rc pins
	# a pin root of its own gets a keepalive attachment of its own: its
	# sock_ops link is this test's alone (the host's is shared)
	h_ns K ka || { not_ok "namespace"; return; }
	mkdir -p "$H_WORK/bpf" && h_mount -t bpf bpf "$H_WORK/bpf" || { not_ok "a bpffs for the pins"; return; }
	pins=$H_WORK/bpf/tiu
	h_veth "$K" wka0 "$R" rka || { not_ok "link"; return; }
	printf '[interface wka*]\nendpoint remote=%s:7001\nkeepalive 15\npin-dir %s\n' $SRVA "$pins" >"$H_WORK/ka.conf"
	out=$(tiu_in "$K" apply --config "$H_WORK/ka.conf" 2>&1); rc=$?
	h_tiu_track "$K" wka0 "$pins"
	h_defer rm -rf "/run/tiu/netns-$(ns_cookie "$K")"
	idx=$(ifindex "$K" wka0)
	lid=$(bpftool -j link show pinned "$pins/keepalive/tiu_ka_link" 2>/dev/null | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
	if [ $rc != 0 ] || [ -z "$lid" ]; then
		not_ok "keepalive: apply with its own pin root attaches a sock_ops link (rc $rc)"; echo "$out" | diag; return
	fi
	ip -n "$K" link del wka0
	out=$(tiu_in "$K" apply --config "$H_WORK/ka.conf" 2>&1); rc=$?
	if [ $rc = 0 ] && grep -q "^wka0: released (ifindex $idx no longer exists: tiu${idx}d, keepalive, sock_ops link" <<<"$out" &&
	   [ ! -e "$pins/keepalive/tiu_ka_link" ] && ! bpftool link show id "$lid" >/dev/null 2>&1 &&
	   ! ip -n "$K" -o link show 2>/dev/null | grep -q "tiu${idx}[dp]"; then
		ok "the last keepalive user vanished: apply releases it and the sock_ops link (id $lid) is detached from the cgroup root"
	else
		not_ok "keepalive link after the device vanished (rc $rc)"; { echo "$out"; bpftool link show id "$lid"; } 2>&1 | diag
	fi
}

t_bad_config() {
	local out rc
	printf '[interface wan*]\nendpoint remote=%s:7001\nmss 12\n' $SRVA >"$H_WORK/bad.conf"
	out=$(tiu_in "$C" apply --config "$H_WORK/bad.conf" 2>&1); rc=$?
	if [ $rc = 1 ] && grep -q "bad --mss '12'" <<<"$out" && grep -q "bad.conf: in section \[interface wan\*\] (line 1)" <<<"$out" &&
	   [ "$(tiu_in "$C" endpoint list wan0 | wc -l)" = 2 ]; then
		ok "a bad configuration: exit 1, the line and section named, nothing changed"
	else
		not_ok "bad configuration (rc $rc)"; echo "$out" | diag
	fi
	printf 'endpoint remote=%s:7001\n' $SRVA >"$H_WORK/bad2.conf"
	out=$(tiu_in "$C" apply --config "$H_WORK/bad2.conf" 2>&1); rc=$?
	result $([ $rc = 1 ] && grep -q "bad2.conf:1: 'endpoint remote=.*' is outside a section: start one with \[interface PATTERN\]" <<<"$out"; echo $?) \
		"an option outside a section: exit 1, one line saying what to do" "rc $rc: $out"
}

tap_plan 28
run_test t_first
run_test t_veth_recreate
run_test t_rename
run_test t_tun
run_test t_dry_run
run_test t_endpoint_live
run_test t_patterns
run_test t_remove
run_test t_stale
run_test t_release_ports
run_test t_doc_example
run_test t_keepalive_link
run_test t_bad_config
tap_done
