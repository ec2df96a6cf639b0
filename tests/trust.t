#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/trust.t - what `tiu` trusts: pin directories, record links and
# pinned maps that someone else made; a relative --pin-dir; configuration
# lines of any length; `down --config` with a mistake in the file. TAP
# (tests/lib/harness.sh); needs root (skips without), bpftool, setpriv,
# unshare.
#
# The file runs in a mount namespace of its own (it re-executes itself
# under `unshare --mount`), with a fresh bpffs on /sys/fs/bpf for each
# scenario and a tmpfs on /run/tiu: a fresh bpffs has a root of mode 1777,
# as `mount -t bpf bpf /sys/fs/bpf` makes it, where any user can create
# /sys/fs/bpf/tiu first; and `down --stale` here sees only this file's
# state, never another test's. The unprivileged user is nobody (65534),
# through setpriv.

. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd bpftool setpriv unshare python3 ip
if [ -z "${TIU_TRUST_MNTNS:-}" ]; then
	TIU_TRUST_MNTNS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi

#   ns A (la 10.79.0.1) ---- veth ---- ns B (lb 10.79.0.2)
A4=10.79.0.1 B4=10.79.0.2
h_init tiut
h_watchdog 300
mkdir -p /run/tiu
h_mount -t tmpfs -o mode=0755 tiu-trust /run/tiu || bail "tmpfs on /run/tiu"
h_ns NA a && h_ns NB b && h_veth "$NA" la "$NB" lb &&
	h_addr "$NA" la $A4/24 && h_addr "$NB" lb $B4/24 || bail "set up namespaces"
h_tiu_track "$NA" la
IDX=$(in_ns "$NA" cat /sys/class/net/la/ifindex)
DA=tiu${IDX}d
# the network namespace's cookie, as tiu names its pin directory (netns-ID)
COOKIE=$(ns_enter "$NA" python3 -c 'import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
print(struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 71, 8))[0])') # SO_NETNS_COOKIE
[ -n "$COOKIE" ] || bail "read the namespace's cookie"
PD=/sys/fs/bpf/tiu/netns-$COOKIE

tiu_a() { tiu_in "$NA" "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# a bpffs of its own on /sys/fs/bpf for each scenario (on top of the last)
fresh_bpffs() { h_mount -t bpf bpf /sys/fs/bpf; }
# what tiu attached to la: XDP, its detour, TC filters ("" when nothing)
attached() {
	in_ns "$NA" ip -d link show dev la 2>/dev/null | grep -o 'prog/xdp.*'
	in_ns "$NA" ip link show "$DA" 2>/dev/null | head -1
	in_ns "$NA" tc filter show dev la egress
	in_ns "$NA" tc filter show dev la ingress
}
# after each scenario, also where tiu did what it should not have (an
# unfixed tiu): down --purge (ARGS), then whatever is still attached, by hand
reset_la() {
	tiu_a down la --purge "$@" >/dev/null 2>&1
	[ -z "$(attached)" ] && return
	in_ns "$NA" ip link set dev la xdpdrv off
	in_ns "$NA" ip link set dev la xdpgeneric off
	in_ns "$NA" tc qdisc del dev la clsact
	in_ns "$NA" ip link del "$DA"
} 2>/dev/null
# a pinned map with tiu's name and layout of tiu_config
pin_config_map() { bpftool map create "$1/tiu_config" type array key 4 value 8 entries 1 name tiu_config; }
UP=(up la --endpoint remote=$B4:7001 --keepalive 0)

# $1 description, $2 expected message (grep -E), $3 the output, $4 its status
refused() {
	[ "$4" = 1 ] && grep -qE -- "$2" <<<"$3" && [ -z "$(attached)" ]
}

t_foreign_pin_root() {
	local out rc
	fresh_bpffs
	as_nobody mkdir /sys/fs/bpf/tiu || { not_ok "nobody creates /sys/fs/bpf/tiu"; return; }
	out=$(tiu_a "${UP[@]}" 2>&1); rc=$?
	refused x "^tiu: /sys/fs/bpf/tiu is owned by uid 65534, not root: tiu does not use a directory that someone else may control: see what it holds, remove it \(\`rm -r /sys/fs/bpf/tiu\`\)" "$out" $rc &&
		[ -z "$(ls -A /sys/fs/bpf/tiu)" ] && [ "$(stat -c %u /sys/fs/bpf/tiu)" = 65534 ]
	result $? "/sys/fs/bpf/tiu made by another user: up refuses in one line, attaches nothing, creates nothing in it" "$out"
	out=$(tiu_a down la --purge 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^tiu: /sys/fs/bpf/tiu is owned by uid 65534" <<<"$out" &&
		[ -d /sys/fs/bpf/tiu ]
	result $? "... and down --purge refuses it too, leaving it in place" "$out"
	reset_la
}

t_foreign_netns_dir() {
	local out rc
	fresh_bpffs
	mkdir -m 700 /sys/fs/bpf/tiu && mkdir -m 700 "$PD" && chown 65534:65534 "$PD"
	out=$(tiu_a "${UP[@]}" 2>&1); rc=$?
	refused x "^tiu: $PD is owned by uid 65534, not root: tiu does not use" "$out" $rc &&
		[ -z "$(ls -A "$PD")" ]
	result $? "a netns-ID directory owned by another user: up refuses, attaches nothing" "$out"
	reset_la
	fresh_bpffs
	mkdir /sys/fs/bpf/tiu && chmod 1777 /sys/fs/bpf/tiu
	out=$(tiu_a "${UP[@]}" 2>&1); rc=$?
	refused x "^tiu: /sys/fs/bpf/tiu is writable by group or others \(mode 1777\): tiu does not use" "$out" $rc &&
		[ ! -e "$PD" ]
	result $? "/sys/fs/bpf/tiu of root but world-writable: up refuses, creates no netns-ID in it" "$out"
	reset_la
	fresh_bpffs
	as_nobody mkdir /sys/fs/bpf/mine
	out=$(tiu_a "${UP[@]}" --pin-dir /sys/fs/bpf/mine 2>&1); rc=$?
	refused x "^tiu: /sys/fs/bpf/mine is owned by uid 65534, not root" "$out" $rc &&
		[ -z "$(ls -A /sys/fs/bpf/mine)" ]
	result $? "a --pin-dir made by another user: up refuses" "$out"
	reset_la --pin-dir /sys/fs/bpf/mine
}

t_planted_record() {
	local out rc
	fresh_bpffs
	tiu_a "${UP[@]}" >/dev/null || { not_ok "planted record link (up failed)"; return; }
	# a directory of another user, holding a map named as tiu's
	mkdir /sys/fs/bpf/victim && pin_config_map /sys/fs/bpf/victim &&
		chown -R 65534:65534 /sys/fs/bpf/victim &&
		ln -s /sys/fs/bpf/victim "$PD/iface-$IDX" || { not_ok "plant a record link"; return; }
	out=$(tiu_a down la --purge 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^tiu: /sys/fs/bpf/victim is owned by uid 65534, not root" <<<"$out" &&
		[ -e /sys/fs/bpf/victim/tiu_config ] && [ -n "$(attached)" ]
	result $? "a record link to another user's directory: down refuses to follow it, removes nothing there" "$out"
	rm -f "$PD/iface-$IDX"
	out=$(tiu_a down la --purge 2>&1) && [ -z "$(attached)" ] && [ ! -e /sys/fs/bpf/tiu ]
	result $? "... without the link, down --purge removes everything" "$out"
	reset_la
}

t_stale_planted() {
	local out rc
	fresh_bpffs
	# root's pins of some --pin-dir that no namespace records
	mkdir -m 700 /sys/fs/bpf/victim && pin_config_map /sys/fs/bpf/victim || { not_ok "victim pins"; return; }
	# another user's fake state of a namespace that does not exist
	as_nobody mkdir -p /sys/fs/bpf/tiu/netns-999 &&
		as_nobody ln -s /sys/fs/bpf/victim /sys/fs/bpf/tiu/netns-999/iface-1 ||
		{ not_ok "nobody plants a stale namespace"; return; }
	out=$(timeout 30 "$TIU" down --stale 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "^tiu: /sys/fs/bpf/tiu is owned by uid 65534, not root" <<<"$out" &&
		[ -e /sys/fs/bpf/victim/tiu_config ] && [ -L /sys/fs/bpf/tiu/netns-999/iface-1 ]
	result $? "down --stale refuses a pin root made by another user and follows none of its links" "$out"
}

t_foreign_map() {
	local out rc dir=$H_WORK/pd
	mkdir "$dir" && h_mount -t bpf bpf "$dir" && pin_config_map "$dir" &&
		chown 65534 "$dir/tiu_config" || { not_ok "a map pinned by another user"; return; }
	out=$(tiu_a "${UP[@]}" --pin-dir "$dir" 2>&1); rc=$?
	refused x "^tiu: la: foreign pins \(tiu_config is pinned by uid 65534, not root in $dir\): tiu does not share maps with another user: run \`tiu down la --purge\`" "$out" $rc &&
		[ "$(ls "$dir" | grep '^tiu')" = tiu_config ]
	result $? "a map of tiu's layout pinned by another user: up refuses to use it, attaches nothing" "$out
in $dir: $(ls "$dir")
attached: $(attached)"
	out=$(tiu_a status --pin-dir "$dir" 2>&1); rc=$?
	[ $rc = 1 ] && grep -q "foreign pins (tiu_config is pinned by uid 65534" <<<"$out"
	result $? "... status says so too" "$out"
	tiu_a down la --purge --pin-dir "$dir" >/dev/null 2>&1
	[ ! -e "$dir/tiu_config" ]
	result $? "... down --purge removes it"
	reset_la --pin-dir "$dir"
}

t_umask() {
	local out modes
	fresh_bpffs
	out=$( (umask 000; tiu_a up la --endpoint remote=$B4:7001) 2>&1)
	modes=$(stat -c '%n %a' /sys/fs/bpf/tiu "$PD" /sys/fs/bpf/tiu/keepalive 2>&1)
	[ "$(awk '{print $2}' <<<"$modes" | sort -u)" = 700 ]
	result $? "under umask 000, tiu's pin directories (tiu, netns-ID, keepalive) are 0700" "$out
$modes"
	reset_la
	in_ns "$NA" ip link add lx type veth peer name ly && in_ns "$NA" ip link set ly up && in_ns "$NA" ip link set lx up
	out=$( (umask 000; tiu_a up lx --pin-dir /sys/fs/bpf/own --keepalive 0) 2>&1)
	modes=$(stat -c '%n %a' /sys/fs/bpf/own 2>&1)
	[ "$(awk '{print $2}' <<<"$modes" | sort -u)" = 700 ]
	result $? "... and the directories of a --pin-dir that tiu creates" "$out
$modes"
	tiu_a down lx --purge >/dev/null
	in_ns "$NA" ip link del lx
}

t_relative_pin_dir() {
	local out rc rec
	fresh_bpffs
	out=$(cd /sys/fs/bpf && tiu_a "${UP[@]}" --pin-dir ./rel 2>&1) ||
		{ not_ok "up --pin-dir ./rel from /sys/fs/bpf"; echo "$out" | diag; return; }
	rec=$(cat "/run/tiu/netns-$COOKIE/$IDX.pin-dir")
	out=$(cd / && tiu_a down la 2>&1); rc=$?
	[ $rc = 0 ] && [ -z "$(attached)" ] && [ "$rec" = /sys/fs/bpf/rel ]
	result $? "up --pin-dir ./rel from /sys/fs/bpf records /sys/fs/bpf/rel; down from / detaches everything" "record: $rec
$out"
	out=$(cd / && tiu_a down la --purge 2>&1) && [ ! -e /sys/fs/bpf/rel/tiu_config ]
	result $? "... and down --purge from / removes its pins" "$out"
	reset_la --pin-dir /sys/fs/bpf/rel
}

# a configuration file from python3 (lines of any length)
conf() { python3 -c 'import sys; open(sys.argv[1], "w").write(sys.argv[2].replace("\\n", "\n"))' "$@"; }

# up la from configuration file $1 with text $2; its endpoint list must be
# exactly $3; $4 names the check
conf_up_endpoints() {
	local out list
	conf "$1" "$2"
	out=$(tiu_a up la --config "$1" 2>&1) && list=$(tiu_a endpoint list la 2>&1)
	[ "$list" = "$3" ]
	result $? "$4" "$out
list: $list"
	reset_la
}

t_config_long_lines() {
	local out rc f=$H_WORK/long.conf pad
	fresh_bpffs
	# a comment whose 512th byte starts an option: fgets(512) made it a line
	pad=$(printf 'x%.0s' $(seq 510))
	conf_up_endpoints "$f" "#${pad}endpoint local=*:22\nendpoint remote=$B4:7001\nkeepalive 0\n" \
		"remote=$B4:7001" "a comment line of 530 bytes ending in 'endpoint local=*:22' is a comment to its end"
	pad=$(printf 'y%.0s' $(seq 700))
	conf_up_endpoints "$f" "endpoint$(printf ' %.0s' $(seq 600))remote=$B4:7003\nkeepalive 0   # $pad\n" \
		"remote=$B4:7003" "long valid lines (600 blanks inside, a 700-byte comment after) are read whole"
	conf "$f" "# $pad\nxdp-mode natve\n"
	tiu_a up la --config "$f" >/dev/null 2>"$H_WORK/err"; rc=$?
	out=$(cat "$H_WORK/err")
	[ $rc = 1 ] && [ "$(tail -c 1 "$H_WORK/err" | od -An -c | tr -d ' ')" = '\n' ] &&
		! grep -qv '^tiu: ' "$H_WORK/err" &&
		grep -qx "tiu: bad --xdp-mode 'natve': use native, skb or auto" "$H_WORK/err" &&
		grep -qx "tiu: $f:2: in the configuration line above" "$H_WORK/err" && [ -z "$(attached)" ]
	result $? "a bad value after a long comment: its line number, every message a line of its own ending in a newline" "$out"
	reset_la
}

t_down_config_typo() {
	local out rc f=$H_WORK/ops.conf
	fresh_bpffs
	conf "$f" "pin-dir /sys/fs/bpf/cfg\nendpoint remote=$B4:7001\nkeepalive 0\n"
	tiu_a up la --config "$f" >/dev/null || { not_ok "down --config with a typo (up failed)"; return; }
	# a typo made while the tunnel runs
	conf "$f" "pin-dir /sys/fs/bpf/cfg\nendpoint remote=$B4:7001\nxdp-mode natve\nkeepalive 0\n"
	out=$(tiu_a down la --config "$f" 2>&1); rc=$?
	[ $rc = 0 ] && [ -z "$(attached)" ] &&
		grep -qx "tiu: warning: $f:3: bad --xdp-mode 'natve': use native, skb or auto; \`down\` needs only pin-dir from this file and goes on: fix the line before the next \`tiu up\`" <<<"$out" &&
		[ -e /sys/fs/bpf/cfg/tiu_config ]
	result $? "down --config with a bad value in the file: warns naming file:line, detaches everything, exit 0" "$out"
	out=$(tiu_a down la --purge --config "$f" 2>&1); rc=$?
	[ $rc = 0 ] && [ ! -e /sys/fs/bpf/cfg/tiu_config ]
	result $? "... and down --purge --config finds the pins in its pin-dir" "$out"
	reset_la --pin-dir /sys/fs/bpf/cfg
}

run_test t_foreign_pin_root
run_test t_foreign_netns_dir
run_test t_planted_record
run_test t_stale_planted
run_test t_foreign_map
run_test t_umask
run_test t_relative_pin_dir
run_test t_config_long_lines
run_test t_down_config_typo
tap_done
