#!/bin/bash
# systemd-tests.sh - tiu@.service under a real systemd. Runs INSIDE a guest
# that lane.sh boots with `vm-run.sh -S`: the host's own systemd is PID 1
# (with udevd, so that device units exist), this script one of its
# services. TAP through the shared harness.
#
# The unit (packaging/systemd/tiu@.service, @SBINDIR@ as `make install` sets it) is
# installed with its real sandbox into /etc/systemd/system, tiu into
# /usr/local/sbin (the guest's root is a throw-away overlay). For an
# interface whose name holds a "-" (wg-home, the instance
# tiu@wg\x2dhome.service from systemd-escape):
#   1. systemctl start brings tiu up under the unit's sandbox (capability
#      bounding set, private mount namespace: no ptrace access to PID 1);
#   2. from outside the unit, a root shell's tiu status, stats --prometheus
#      and endpoint add find the interface (the same pins);
#   3. systemctl reload goes down and up again (the file's endpoints);
#   4. systemctl stop leaves nothing attached;
#   5. deleting the interface stops the unit (BindsTo= the device unit of
#      the escaped name) and its ExecStop removes the detour pair;
#   6. the package's prerm (remove) with systemd running: the instance
#      stops, an interface brought up by hand goes down, nothing stays
#      attached or pinned, the keepalive link is gone.
# Then tiu.service (`tiu apply` of /etc/tiu/tiu.conf), tiu-apply@.service
# and the udev rule 90-tiu.rules, installed as `make install` does:
#   7. systemctl start tiu brings up the veth that the file's pattern
#      matches, under the same sandbox;
#   8. that veth deleted and created again under its name: tiu is back on
#      the new ifindex with nobody typing a command (udev, SYSTEMD_WANTS=,
#      tiu-apply@.service), nothing of the old ifindex is left, and the
#      time from the device's return to tiu attached is printed;
#   9. systemctl stop tiu takes down what apply brought up.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/harness.sh
. "$HERE/../lib/harness.sh" # ROOT, BUILD, TIU; TAP

need_root
need_tiu
[ "$(cat /proc/1/comm)" = systemd ] || bail "PID 1 is $(cat /proc/1/comm), not systemd: run this through vm-run.sh -S"
h_init tiusd

IFA=wg-home
PEER=wg-peer
INST=$(systemd-escape "$IFA")
UNIT="tiu@$INST.service"
SBIN=/usr/local/sbin/tiu
# tiu under emulation: seconds per command, more with two guests at once
T=${LANE_TIU_TIMEOUT:-150}

# What tiu has attached to IFA: "xdp", "tc" and the detour ends, one a line.
attached() {
	ip link show dev "$IFA" 2>/dev/null | grep -q xdp && echo xdp
	[ -n "$(tc filter show dev "$IFA" egress 2>/dev/null)" ] && echo tc
	ip -o link show 2>/dev/null | grep -o ' tiu[0-9]*[dp][@:]' | tr -d ' @:'
	return 0
}
# Pinned objects (not the kernel's own progs.debug, maps.debug), sorted.
pinned() { find /sys/fs/bpf -mindepth 1 ! -type d ! -path /sys/fs/bpf/progs.debug ! -path /sys/fs/bpf/maps.debug | sort; }
# The unit's state and the last lines of its log, for failures.
unit_log() { systemctl status --no-pager -n 20 "$UNIT" 2>&1 | tail -n 25; }

t_install() {
	install -m 0755 "$TIU" "$SBIN" || return 1
	sed 's|@SBINDIR@|/usr/local/sbin|g' "$ROOT/packaging/systemd/tiu@.service" >/etc/systemd/system/tiu@.service || return 1
	mkdir -p /etc/tiu && echo 'endpoint remote=192.0.2.1:7001' >"/etc/tiu/$IFA.conf" || return 1
	systemctl daemon-reload || fail "systemctl daemon-reload" || return
	ip link add "$IFA" type veth peer name "$PEER" && ip link set "$IFA" up && ip link set "$PEER" up ||
		fail "veth $IFA" || return
	h_defer ip link del "$IFA"
	h_defer systemctl stop "$UNIT"
	systemd-analyze verify "/etc/systemd/system/tiu@.service" 2>&1 | grep -v 'Unit configuration has fatal error' || true
	echo "unit $UNIT, ExecStart: $(systemctl show -p ExecStart --value "$UNIT" | grep -o 'argv\[\]=[^;]*')"
}

t_start() {
	timeout "$T" systemctl start "$UNIT" || fail "systemctl start $UNIT: $(unit_log)" || return
	[ "$(systemctl is-active "$UNIT")" = active ] || fail "$UNIT is $(systemctl is-active "$UNIT"): $(unit_log)" || return
	echo "bounding set: $(systemctl show -p CapabilityBoundingSet --value "$UNIT")"
	[ "$(attached | grep -c .)" = 4 ] || fail "attached after start: $(attached | paste -sd' ' -)"
}

t_shell() {
	local st prom
	st=$(timeout "$T" "$TIU" status "$IFA" --json) || fail "tiu status $IFA: $st" || return
	grep -q '"pin_dir":"/sys/fs/bpf/tiu",' <<<"$st" ||
		fail "a root shell's tiu status looks elsewhere than the unit pinned: $(cut -c1-200 <<<"$st"); pins: $(ls /sys/fs/bpf/tiu | paste -sd' ' -)" || return
	grep -q "\"name\":\"$IFA\",\"ifindex\":[0-9]*,\"up\":true" <<<"$st" ||
		fail "tiu status does not see $IFA up: $(cut -c1-300 <<<"$st")" || return
	prom=$(timeout "$T" "$TIU" stats --prometheus) || fail "tiu stats --prometheus: $prom" || return
	grep -q "^tiu_converted_packets_total{interface=\"$IFA\",direction=\"encap\"} 0$" <<<"$prom" ||
		fail "stats --prometheus has no $IFA: $(head -3 <<<"$prom")" || return
	timeout "$T" "$TIU" endpoint add "$IFA" remote=192.0.2.2:7002 || fail "tiu endpoint add from a shell" || return
	[ "$(timeout "$T" "$TIU" endpoint list "$IFA" | paste -sd' ' -)" = "remote=192.0.2.1:7001 remote=192.0.2.2:7002" ] ||
		fail "endpoint list: $(timeout "$T" "$TIU" endpoint list "$IFA")"
}

t_reload() {
	timeout "$T" systemctl reload "$UNIT" || fail "systemctl reload: $(unit_log)" || return
	[ "$(systemctl is-active "$UNIT")" = active ] || fail "$UNIT is $(systemctl is-active "$UNIT") after reload" || return
	[ "$(timeout "$T" "$TIU" endpoint list "$IFA" | paste -sd' ' -)" = "remote=192.0.2.1:7001" ] ||
		fail "after reload, the endpoints are not the file's: $(timeout "$T" "$TIU" endpoint list "$IFA")"
}

t_stop() {
	timeout "$T" systemctl stop "$UNIT" || fail "systemctl stop: $(unit_log)" || return
	[ -z "$(attached)" ] || fail "left after stop: $(attached | paste -sd' ' -)" || return
	[ -z "$(ls -A /sys/fs/bpf/tiu 2>/dev/null | grep -v '^keepalive$')" ] || echo "pins kept (stop is down without --purge): $(ls /sys/fs/bpf/tiu | paste -sd' ' -)"
}

t_unplug() {
	local i
	timeout "$T" systemctl start "$UNIT" || fail "systemctl start again: $(unit_log)" || return
	[ "$(attached | grep -c .)" = 4 ] || fail "attached after the second start: $(attached | paste -sd' ' -)" || return
	ip link del "$IFA" || fail "ip link del $IFA" || return
	for i in $(seq 120); do
		[ "$(systemctl is-active "$UNIT")" = inactive ] && [ -z "$(attached)" ] && break
		sleep 1
	done
	[ "$(systemctl is-active "$UNIT")" = inactive ] || fail "$UNIT is still $(systemctl is-active "$UNIT") after $IFA went: $(unit_log)" || return
	[ -z "$(attached)" ] || fail "left after $IFA went: $(attached | paste -sd' ' -)"
}

# The package's prerm (packaging/debian/tiu.prerm) with a running systemd: it
# stops the instance and purges its pins, and takes down what was brought
# up by hand. tiu as the package installs it (/usr/sbin/tiu).
t_prerm() {
	local out ka left
	local before
	# What was pinned outside tiu's directory before (after the unplug
	# above, libxdp's dispatcher of the deleted wg-home may stay: libxdp's,
	# not the package's); tiu's own pins (kept by the stop) must all go.
	before=$(pinned | grep -v '^/sys/fs/bpf/tiu/')
	[ -z "$before" ] || echo "pinned before, not by tiu: $(echo $before)"
	install -m 0755 "$TIU" /usr/sbin/tiu || return 1
	# A container image's "start and stop nothing" policy-rc.d (Docker's,
	# seen through the host's root) would make deb-systemd-invoke refuse:
	# a real system has none. Gone from the overlay only.
	rm -f /usr/sbin/policy-rc.d
	ip link add "$IFA" type veth peer name "$PEER" && ip link set "$IFA" up && ip link set "$PEER" up ||
		fail "veth $IFA again" || return
	ip link add hand0 type veth peer name hand1 && ip link set hand0 up && ip link set hand1 up || fail "veth hand0" || return
	h_defer ip link del hand0
	timeout "$T" systemctl start "$UNIT" || fail "systemctl start: $(unit_log)" || return
	out=$(timeout "$T" /usr/sbin/tiu up hand0 --endpoint 'local=*:7003' 2>&1) || fail "tiu up hand0: $out" || return
	ka=$(timeout "$T" /usr/sbin/tiu status "$IFA" --json | sed -n 's/.*"keepalive":{[^}]*"link_id":\([0-9]*\).*/\1/p')
	[ -n "$ka" ] && [ "$ka" != 0 ] || fail "no keepalive link" || return
	out=$(timeout 600 sh "$ROOT/packaging/debian/tiu.prerm" remove 2>&1) || fail "prerm remove: $out" || return
	echo "$out"
	[ "$(systemctl is-active "$UNIT")" = inactive ] || fail "$UNIT is $(systemctl is-active "$UNIT") after prerm" || return
	left=$(attached; ip link show hand0 | grep -q xdp && echo "hand0: xdp"
		comm -13 <(echo "$before") <(pinned)
		bpftool link show id "$ka" >/dev/null 2>&1 && echo "keepalive link $ka")
	[ -z "$left" ] || fail "left after prerm remove: $(echo $left)"
}

# tiu.service, tiu-apply@.service and 90-tiu.rules (packaging/), a file whose
# pattern wan* matches the veth WAN (its peer XPEER matches nothing).
WAN=wan0
XPEER=xpeer0
# How long the device's return may take to be tunnelled again: a few
# seconds on hardware; tiu takes seconds per command under emulation.
APPLY_WAIT=${LANE_APPLY_WAIT:-60}
wan_attached() {
	local IFA=$WAN
	attached
}
apply_log() { journalctl --no-pager -n 30 -u tiu.service -u 'tiu-apply@*' 2>&1 | tail -n 30; }
wan_veth() {
	ip link add "$WAN" type veth peer name "$XPEER" && ip link set "$WAN" up && ip link set "$XPEER" up
}
ifindex_of() { cat "/sys/class/net/$1/ifindex" 2>/dev/null; }

t_apply_start() {
	local st f
	for f in tiu.service tiu-apply@.service; do
		sed 's|@SBINDIR@|/usr/local/sbin|g' "$ROOT/packaging/systemd/$f" >"/etc/systemd/system/$f" || return 1
	done
	install -m 0644 "$ROOT/packaging/udev/90-tiu.rules" /etc/udev/rules.d/90-tiu.rules || return 1
	h_defer rm -f /etc/udev/rules.d/90-tiu.rules
	udevadm control --reload || fail "udevadm control --reload" || return
	printf '[interface wan*]\nendpoint remote=192.0.2.1:7005\n' >/etc/tiu/tiu.conf || return 1
	systemctl daemon-reload || fail "systemctl daemon-reload" || return
	systemd-analyze verify /etc/systemd/system/tiu.service /etc/systemd/system/tiu-apply@.service 2>&1 || true
	wan_veth || fail "veth $WAN" || return
	h_defer ip link del "$WAN"
	h_defer systemctl stop tiu.service
	timeout "$T" systemctl start tiu.service || fail "systemctl start tiu: $(apply_log)" || return
	[ "$(systemctl is-active tiu.service)" = active ] || fail "tiu.service is $(systemctl is-active tiu.service): $(apply_log)" || return
	st=$(timeout "$T" "$TIU" status "$WAN" --json) || fail "tiu status $WAN: $st" || return
	grep -q "\"name\":\"$WAN\",\"ifindex\":$(ifindex_of "$WAN"),\"up\":true" <<<"$st" ||
		fail "tiu status does not see $WAN up: $(cut -c1-300 <<<"$st"); $(apply_log)" || return
	[ "$(wan_attached | grep -c .)" = 4 ] || fail "attached to $WAN after start: $(wan_attached | paste -sd' ' -)"
}

t_apply_hotplug() {
	local old new t0 t1 st left
	old=$(ifindex_of "$WAN")
	ip link del "$WAN" || fail "ip link del $WAN" || return
	t0=$(date +%s%N)
	wan_veth || fail "veth $WAN again" || return
	new=$(ifindex_of "$WAN")
	[ -n "$new" ] && [ "$new" != "$old" ] || fail "$WAN came back with ifindex $new (was $old)" || return
	# a deadline in wall-clock time: each look costs seconds under emulation
	while [ "$(wan_attached | grep -c .)" != 4 ] && [ $((($(date +%s%N) - t0) / 1000000000)) -lt "$APPLY_WAIT" ]; do
		sleep 0.2
	done
	t1=$(date +%s%N)
	[ "$(wan_attached | grep -c .)" = 4 ] ||
		fail "$WAN (ifindex $new) not tunnelled ${APPLY_WAIT}s after it came back: $(wan_attached | paste -sd' ' -); $(apply_log)" || return
	echo "$WAN back (ifindex $old -> $new): tiu attached after $(((t1 - t0) / 1000000)) ms, by $(systemctl list-units --all --plain --no-legend 'tiu-apply@*' | awk '{print $1}' | paste -sd' ' -)"
	journalctl --no-pager -u 'tiu-apply@*' -o cat 2>/dev/null | grep "$WAN" | tail -n 3
	st=$(timeout "$T" "$TIU" status --json) || fail "tiu status: $st" || return
	grep -q "\"name\":\"$WAN\",\"ifindex\":$new,\"up\":true" <<<"$st" ||
		fail "tiu status does not see $WAN up on ifindex $new: $(cut -c1-400 <<<"$st")" || return
	left=$(grep -o "\"ifindex\":$old[,}]" <<<"$st"
		ip -o link show | grep -o " tiu${old}[dp][@:]"
		find /run/tiu -name "$old.*" 2>/dev/null)
	[ -z "$left" ] || fail "left of the old ifindex $old: $(echo $left)"
}

t_apply_stop() {
	timeout "$T" systemctl stop tiu.service || fail "systemctl stop tiu: $(apply_log)" || return
	[ -z "$(wan_attached)" ] || fail "left on $WAN after stop: $(wan_attached | paste -sd' ' -)"
}

check "install tiu@.service, tiu, /etc/tiu/$IFA.conf and a veth $IFA" t_install || bail "cannot install the unit"
check "systemctl start $UNIT brings tiu up under the unit's sandbox" t_start
check "a root shell's tiu status, stats --prometheus and endpoint add find $IFA (the unit's pins)" t_shell
check "systemctl reload takes $IFA down and up with the file's endpoints" t_reload
check "systemctl stop leaves nothing attached to $IFA" t_stop
check "deleting $IFA stops the unit (BindsTo= its device unit) and removes the detour" t_unplug
check "the package's prerm stops the instance and takes down what a shell brought up: nothing attached or pinned" t_prerm
check "systemctl start tiu (tiu apply of /etc/tiu/tiu.conf) brings up $WAN, which its pattern wan* matches" t_apply_start
check "$WAN deleted and created again: tiu is back on the new ifindex by itself (udev rule, tiu-apply@.service), nothing of the old one left" t_apply_hotplug
check "systemctl stop tiu takes down what apply brought up" t_apply_stop
tap_done
