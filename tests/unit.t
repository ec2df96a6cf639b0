#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/unit.t - tiu under the systemd unit's sandbox, on the host (PID 1
# here need not be systemd):
#   1. the unit's capability bounding set (CapabilityBoundingSet= of
#      packaging/systemd/tiu@.service, applied with setpriv) takes away ptrace access to
#      PID 1, so /proc/1/ns/* cannot be read: tiu must still see that it runs
#      in the initial network and mount namespaces and pin where a root shell
#      looks. Each scenario runs in a PID, mount and network namespace of its
#      own (unshare), whose PID 1 stands for the host's: the host's pins and
#      /run/tiu are never touched, and everything goes with the namespaces.
#      - net: a bpffs is mounted; a sandboxed `tiu up` pins in /sys/fs/bpf/tiu,
#        and `tiu status`, `stats --prometheus`, `endpoint add` from a full
#        root shell find the interface. A sandboxed tiu in a network
#        namespace of its own still pins in netns-COOKIE (the control).
#      - mnt: no bpffs; the sandboxed `tiu up` mounts one itself (it is in
#        the host's mount namespace) instead of refusing.
#   2. the unit's command lines after systemd's own specifier expansion
#      (`systemd --test`, run as nobody, which needs no running systemd):
#      for instances made with `systemd-escape`, every command gets the
#      interface name as one argument, whatever it holds (-, ', ;, $, ", \),
#      and the device dependency is the name of the interface's device unit
#      (`systemd-escape --path`).
# Needs root. About 20 s.

. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd setpriv unshare ip

h_init unitt
h_watchdog 240
UNIT=$ROOT/packaging/systemd/tiu@.service

# setpriv's --bounding-set from the unit's CapabilityBoundingSet=.
CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
[ -n "$CAPS" ] || bail "no CapabilityBoundingSet= in $UNIT"
CAPS=-all,$CAPS
note "the unit's bounding set: setpriv --bounding-set $CAPS"

# The scenario, as PID 1's child in fresh PID, mount and network namespaces.
cat >"$H_WORK/inner.sh" <<'EOF'
W=$1 SCEN=$2 CAPS=$3 TIU=$4
sandboxed() { setpriv --bounding-set "$CAPS" --no-new-privs "$TIU" "$@"; }
run() { local name=$1; shift; "$@" >"$W/$SCEN.$name.out" 2>&1; echo $? >"$W/$SCEN.$name.rc"; }
# The host's bpffs leaves this (private) mount namespace; /run/tiu is ours.
while [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ]; do umount -l /sys/fs/bpf || exit 3; done
[ "$SCEN" = net ] && { mount -t bpf bpf /sys/fs/bpf || exit 3; }
mkdir -p /run/tiu && mount -t tmpfs tmpfs /run/tiu || exit 3
ip link set lo up && ip link add u0 type veth peer name u1 && ip link set u0 up && ip link set u1 up || exit 3
run up sandboxed up u0 --endpoint remote=192.0.2.1:7001
run status "$TIU" status u0 --json
run prom "$TIU" stats --prometheus
run epadd "$TIU" endpoint add u0 remote=192.0.2.2:7002
run eplist sandboxed endpoint list u0
run ls ls -A /sys/fs/bpf/tiu
if [ "$SCEN" = net ]; then
	run child unshare --net sh -c 'ip link add c0 type veth peer name c1 && ip link set c0 up &&
		ip link set c1 up && setpriv --bounding-set "$1" --no-new-privs "$2" up c0 --endpoint remote=192.0.2.1:7001 &&
		"$2" status c0 --json && setpriv --bounding-set "$1" --no-new-privs "$2" down c0 --purge' sh "$CAPS" "$TIU"
fi
run down sandboxed down u0 --purge
run after sh -c 'ip link show u0 | grep -c xdp; tc filter show dev u0 egress; ls -A /sys/fs/bpf/tiu 2>/dev/null'
exit 0
EOF

# scenario NAME: run it; its outputs in $H_WORK/NAME.STEP.{out,rc}.
scenario() {
	local rc
	timeout -k 5 120 unshare --pid --fork --kill-child --mount --net --mount-proc \
		bash "$H_WORK/inner.sh" "$H_WORK" "$1" "$CAPS" "$TIU" >"$H_WORK/$1.log" 2>&1
	rc=$?
	[ $rc = 0 ] || { echo "FAIL: scenario $1 could not be set up (exit $rc): $(tail -3 "$H_WORK/$1.log")"; return 1; }
}
# step SCEN STEP: its exit code 0, else its output
step() {
	[ "$(cat "$H_WORK/$1.$2.rc" 2>/dev/null)" = 0 ] ||
		fail "$2 exited $(cat "$H_WORK/$1.$2.rc" 2>/dev/null): $(head -5 "$H_WORK/$1.$2.out" 2>/dev/null)"
}
out() { cat "$H_WORK/$1.$2.out" 2>/dev/null; }

t_net() {
	scenario net || return
	step net up || return
	echo "sandboxed up: $(out net up)"
	out net status | grep -q '"pin_dir":"/sys/fs/bpf/tiu",' ||
		fail "tiu status from a root shell does not look where the sandboxed tiu pinned: $(out net status | cut -c1-200); pins: $(out net ls | tr '\n' ' ')" || return
	out net status | grep -q '"name":"u0","ifindex":[0-9]*,"up":true' ||
		fail "tiu status from a root shell does not see u0 up: $(out net status | cut -c1-300)" || return
	step net prom || return
	out net prom | grep -q '^tiu_converted_packets_total{interface="u0",direction="encap"} 0$' ||
		fail "stats --prometheus has no u0: $(out net prom | head -3)" || return
	step net epadd || return
	step net eplist || return
	[ "$(out net eplist | tr '\n' ' ')" = "remote=192.0.2.1:7001 remote=192.0.2.2:7002 " ] ||
		fail "endpoint list after a shell's endpoint add: $(out net eplist)" || return
	! out net ls | grep -q '^netns-' || fail "pinned into a namespace directory: $(out net ls | tr '\n' ' ')" || return
	step net down || return
	[ "$(out net after | tr -d '\n')" = 0 ] || fail "left after down --purge: $(out net after)"
}

t_child() {
	[ -f "$H_WORK/net.child.rc" ] || skip_because "the net scenario did not run" || return
	step net child || return
	out net child | grep -q '"pin_dir":"/sys/fs/bpf/tiu/netns-[0-9]*",' ||
		fail "a network namespace of its own did not get netns-COOKIE: $(out net child | grep pin_dir | cut -c1-200)"
}

t_mnt() {
	scenario mnt || return
	step mnt up || fail "the sandboxed tiu up in the host's mount namespace without a bpffs" || return
	out mnt status | grep -q '"pin_dir":"/sys/fs/bpf/tiu","pins":true,' ||
		fail "tiu status after the sandboxed up mounted the bpffs: $(out mnt status | cut -c1-200)" || return
	step mnt down || return
	[ "$(out mnt after | tr -d '\n')" = 0 ] || fail "left after down --purge: $(out mnt after)"
}

# The unit's commands after systemd's specifier expansion: `systemd --test`
# loads the units and dumps them (refused as root: run as nobody).
SYSTEMD=$(command -v systemd || echo /lib/systemd/systemd)
# cmdlines.py NAME DEVICE-UNIT < the unit's dump: each "Command Line:" is
# split as systemd quotes it (shell double quotes); every tiu command is
# `tiu up|down NAME --config /etc/tiu/NAME.conf`, no other command holds
# NAME (a shell script would run it), BindsTo= names DEVICE-UNIT.
cat >"$H_WORK/cmdlines.py" <<'EOF'
import sys
def words(s):  # POSIX shell words: "..." with \\ \" \$ \` escapes, '...', \x
    out, w, i, q, inw = [], "", 0, None, False
    while i < len(s):
        c = s[i]
        if q == "'":
            if c == "'": q = None
            else: w += c
        elif q == '"':
            if c == "\\" and i + 1 < len(s) and s[i + 1] in '$`"\\':
                i += 1; w += s[i]
            elif c == '"': q = None
            else: w += c
        elif c in "'\"": q = c; inw = True
        elif c == "\\" and i + 1 < len(s): i += 1; w += s[i]; inw = True
        elif c in " \t":
            if inw: out.append(w)
            w, inw = "", False
        else: w += c; inw = True
        i += 1
    if inw: out.append(w)
    return out
name, dev = sys.argv[1], sys.argv[2]
conf = "/etc/tiu/%s.conf" % name
lines = [l.strip() for l in sys.stdin.read().splitlines()]
cmds = [words(l[len("Command Line: "):]) for l in lines if l.startswith("Command Line: ")]
binds = [l.split()[1] for l in lines if l.startswith("BindsTo: ")]
errs = []
tiu = [c for c in cmds if c[0].endswith("/tiu")]
if sorted(set(c[1] for c in tiu)) != ["down", "up"]:
    errs.append("tiu commands: %r" % tiu)
errs += ["tiu command %r" % c for c in tiu if c[2:] != [name, "--config", conf]]
errs += ["the name inside another command: %r" % c for c in cmds
         if not c[0].endswith("/tiu") and any(name in a for a in c[1:])]
if dev not in binds:
    errs.append("BindsTo=%s, not %s" % (binds, dev))
if "ConditionPathExists: %s untested" % conf not in lines:
    errs.append("no ConditionPathExists=%s" % conf)
for e in errs:
    print("FAIL: %r: %s" % (name, e))
if not errs:
    print("%r: %d commands, e.g. %r; BindsTo=%s" % (name, len(cmds), tiu[0], dev))
sys.exit(1 if errs else 0)
EOF
t_specifiers() {
	local n e dev dump fails=0
	[ -x "$SYSTEMD" ] || skip_because "systemd is not installed" || return
	command -v systemd-escape >/dev/null || skip_because "systemd-escape is not installed" || return
	mkdir -p "$H_WORK/units" && chmod 755 "$H_WORK/units"
	sed 's|@SBINDIR@|/usr/sbin|g' "$UNIT" >"$H_WORK/units/tiu@.service" && chmod 644 "$H_WORK/units/tiu@.service"
	for n in wg-home eth0.100 "q'x;y" 'd$(id)' 'p"q' 'a\b' 'x%y' 'br-lan_2'; do
		e=$(systemd-escape -- "$n")
		dev=$(systemd-escape --path --suffix=device "/sys/subsystem/net/devices/$n")
		dump=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ SYSTEMD_UNIT_PATH="$H_WORK/units:" \
			"$SYSTEMD" --test --system --unit="tiu@$e.service" --log-target=console 2>/dev/null |
			U="-> Unit tiu@$e.service:" awk 'index($0, ENVIRON["U"]) { p = 1; next } /^\t-> Unit / { p = 0 } p')
		[ -n "$dump" ] || { echo "FAIL: $n: systemd --test did not load tiu@$e.service"; fails=$((fails + 1)); continue; }
		python3 "$H_WORK/cmdlines.py" "$n" "$dev" <<<"$dump" || fails=$((fails + 1))
	done
	[ $fails = 0 ]
}
check "tiu@\$(systemd-escape NAME): tiu gets NAME as one argument, and the unit binds to NAME's device unit" t_specifiers
check "sandboxed (unit's bounding set) tiu up pins where a root shell's status, stats --prometheus and endpoint add find it" t_net
check "sandboxed tiu in a network namespace of its own still pins in netns-COOKIE" t_child
check "sandboxed tiu up without a bpffs mounts one in the host's mount namespace" t_mnt
tap_done
