#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/ops.t - operating tiu (pins elsewhere, deleted namespaces, messages,
# metrics, the systemd unit): the pin directory follows the
# interface, state of deleted namespaces, the command-line conventions and
# every message they promise, Prometheus output, the systemd unit's
# start/stop/restart with a pin-dir in the configuration file.
#
#   ns A (va 10.79.0.1 fd79::1) ---- veth ---- ns B (vb 10.79.0.2 fd79::2)
#   ns C: deleted while tiu is up in it (stale state)
#
# Needs root (skips without). About 15 s.

. "$(dirname "$0")/lib/harness.sh"
need_root
need_tiu
need_cmd python3 ip nsenter

h_init tiuo
h_watchdog 240
h_ns A a && h_ns B b && h_veth "$A" va "$B" vb &&
	h_addr "$A" va 10.79.0.1/24 fd79::1/64 && h_addr "$B" vb 10.79.0.2/24 fd79::2/64 ||
	bail "cannot set up the namespaces"
B4=10.79.0.2
PD=/sys/fs/bpf/tiu-ops-$$          # a --pin-dir elsewhere
h_defer rm -rf "$PD" "$PD-cfg" "$PD-c" "$PD-ns"
IDX_A=$(ip -n "$A" -o link show va | cut -d: -f1)

ta() { tiu_in "$A" "$@"; }
# the default pin directory and run state of namespace A, as tiu names them
default_pins_a() { ta status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pin_dir"])'; }
run_state_a() { echo "/run/tiu/$(basename "$(default_pins_a)")"; }
# nothing of tiu in A: no detour, no XDP, no tiu filter, no pins or records
clean_a() {
	! ip -n "$A" link show "tiu${IDX_A}d" >/dev/null 2>&1 || fail "detour left" || return
	! ip -n "$A" link show va | grep -q xdp || fail "XDP left" || return
	[ ! -e "$PD" ] || fail "$PD left: $(ls "$PD")" || return
	[ ! -e "$DEF" ] || fail "$DEF left: $(ls "$DEF")" || return
	[ ! -e "$RUN" ] || fail "$RUN left: $(ls "$RUN")" || return
}
DEF=$(default_pins_a) RUN=$(run_state_a)
[ -n "$DEF" ] || bail "tiu status --json gives no pin_dir"

# sa0 in A and sb0 in B: one ifindex in both namespaces (ifindexes are per
# namespace; fresh namespaces give their first devices the same ones)
SAME_IDX=77
ip -n "$A" link add sa0 index $SAME_IDX type veth peer name sa1 && ip -n "$B" link add sb0 index $SAME_IDX type veth peer name sb1 &&
	ip -n "$A" link set sa0 up && ip -n "$A" link set sa1 up && ip -n "$B" link set sb0 up && ip -n "$B" link set sb1 up ||
	bail "cannot create sa0 and sb0 with ifindex $SAME_IDX"
tb() { tiu_in "$B" "$@"; }

# one line on stderr, "tiu: " once at its start
one_error_line() {
	local err=$1
	[ "$(wc -l <"$err")" = 1 ] || fail "not one line: $(cat "$err")" || return
	grep -q '^tiu: ' "$err" || fail "no 'tiu: ' prefix: $(cat "$err")" || return
	! grep -q 'tiu: .*tiu: ' "$err" || fail "prefix twice: $(cat "$err")"
}

# ---------------------------------------------------------------- tests --

# The operator's loop with pins elsewhere (up --pin-dir, then status, stats,
# endpoint, down --purge without --pin-dir), step by step.
t_pin_dir_loop() {
	local out
	ta up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null || fail "up --pin-dir" || return
	h_tiu_track "$A" va "$PD"
	# 1. status finds the interface and names the directory
	out=$(ta status) || fail "status" || return
	grep -q "^va (ifindex $IDX_A)" <<<"$out" || fail "status lists no va: $out" || return
	grep -q "^  pins: $PD\$" <<<"$out" || fail "status does not say va's pins are in $PD: $out" || return
	grep -q "^pins: $PD (ABI" <<<"$out" || fail "status does not list $PD as in use: $out" || return
	ta status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
dirs = [d["dir"] for d in s["pin_dirs"]]
assert sys.argv[1] in dirs, dirs
va = [i for i in s["interfaces"] if i["name"] == "va"][0]
assert va["pins"] == sys.argv[1], va["pins"]' "$PD" || fail "status --json" || return
	# stats and endpoint find it too
	ta stats va --json >/dev/null || fail "stats va without --pin-dir" || return
	[ "$(ta endpoint list va)" = "remote=$B4:7001" ] || fail "endpoint list without --pin-dir" || return
	ta endpoint add va 'local=*:443' || fail "endpoint add without --pin-dir" || return
	# 2. down --purge removes exactly those pins, and says where
	out=$(ta down va --purge) || fail "down --purge: $out" || return
	grep -q "pins in $PD" <<<"$out" || fail "down --purge does not name $PD: $out" || return
	[ ! -e "$PD" ] || fail "pins left in $PD: $(ls "$PD")" || return
	# 3. up again works, 4. down (no purge) clears the map entries, up works again
	ta up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null || fail "second up --pin-dir" || return
	out=$(ta down va) || fail "down: $out" || return
	! grep -q "nothing of tiu" <<<"$out" || fail "down found nothing: $out" || return
	ta up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null || fail "up after down" || return
	[ "$(ta endpoint list va)" = "remote=$B4:7001" ] || fail "old endpoints came back" || return
	ta down va --purge >/dev/null && clean_a
}

# The record survives the loss of /run/tiu: the bpffs keeps a copy.
t_record_without_run_state() {
	ta up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null || fail "up --pin-dir" || return
	[ -L "$DEF/iface-$IDX_A" ] || fail "no record in $DEF" || return
	rm -f "$RUN/$IDX_A.pin-dir"
	ta status va | grep -q "^  pins: $PD\$" || fail "status lost the pins" || return
	ta down va --purge | grep -q "pins in $PD" || fail "down --purge without the run state" || return
	clean_a
}

# up --pin-dir killed after writing the maps: the next up (in any
# directory) names the leftovers there, and down finds them by the record.
t_crash_leftover_elsewhere() {
	local out
	tiu_crash links "$A" up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null 2>&1
	h_tiu_track "$A" va "$PD"
	out=$(ta up va --endpoint remote=$B4:7001 2>&1) && { fail "up over leftovers worked: $out"; return 1; }
	grep -q "found: map entries in $PD" <<<"$out" || fail "leftovers in $PD not named: $out" || return
	out=$(ta down va --purge) || fail "down: $out" || return
	grep -q "pins in $PD" <<<"$out" || fail "down did not find $PD: $out" || return
	ta up va --endpoint remote=$B4:7001 >/dev/null || fail "up after down" || return
	ta down va --purge >/dev/null && clean_a
}

# One --pin-dir given in two namespaces, to interfaces of one ifindex: the
# maps are keyed by ifindex, so the directory serves the namespace that made
# its pins and no other. B's up is refused in one line, and no command in B
# answers with A's slot, endpoints or counters, nor changes them; once A has
# nothing up there, B may take the directory over, and then A is refused.
t_pin_dir_two_namespaces() {
	local pd=$PD-ns err=$H_WORK/err out
	ta up sa0 --endpoint remote=$B4:7001 --pin-dir "$pd" >/dev/null || fail "up sa0 in A" || return
	h_tiu_track "$A" sa0 "$pd"
	h_tiu_track "$B" sb0 "$pd"
	[ "$(readlink "$pd/netns")" = "$(basename "$DEF")" ] || fail "no owner record netns -> $(basename "$DEF") in $pd" || return
	# pins of an older tiu, without that record: B is refused (sa0 is not
	# B's), A's second interface is not (A recorded sa0 there), and records A
	rm "$pd/netns"
	tb up sb0 --endpoint remote=$B4:7009 --pin-dir "$pd" >/dev/null 2>"$err" &&
		{ fail "up sb0 in B over unrecorded pins worked"; return 1; }
	one_error_line "$err" || return
	grep -q "^tiu: $pd: holds pins without the record of their network namespace .* ifindex $SAME_IDX up there that this namespace did not record" "$err" ||
		fail "up in B over unrecorded pins: $(cat "$err")" || return
	ta up va --endpoint remote=$B4:7002 --pin-dir "$pd" >/dev/null || fail "A's second up into unrecorded pins" || return
	[ "$(readlink "$pd/netns")" = "$(basename "$DEF")" ] || fail "A's up did not record A in $pd" || return
	tb up sb0 --endpoint remote=$B4:7009 --pin-dir "$pd" >/dev/null 2>"$err" &&
		{ fail "up sb0 in B with A's --pin-dir worked"; return 1; }
	one_error_line "$err" || return
	grep -q "^tiu: $pd: holds the pins of another network namespace (netns-[0-9]*).*own --pin-dir.*tiu down" "$err" ||
		fail "up in B: $(cat "$err")" || return
	for args in "status sb0" "status sb0 --json" "status" "stats sb0" "stats sb0 --json" "stats" \
		"endpoint list sb0" "endpoint add sb0 remote=$B4:7009" "endpoint del sb0 remote=$B4:7001" \
		"down sb0" "down sb0 --purge"; do
		# shellcheck disable=SC2086 # the words are the command line
		out=$(tb $args --pin-dir "$pd" 2>"$err")
		! grep -q "7001\|sa0\|\"slot\": *0\|slot 0" <<<"$out" || fail "B's $args --pin-dir answers with A's data: $out" || return
		grep -q "holds the pins of another network namespace" "$err" ||
			fail "B's $args --pin-dir: '$(cat "$err")' $out" || return
	done
	# A's interface is untouched by all that
	[ "$(ta endpoint list sa0)" = "remote=$B4:7001" ] || fail "A's endpoints changed" || return
	[ -e "$pd/tiu_links" ] || fail "A's pins removed by B" || return
	ta status sa0 | grep -q "^  pins: $pd\$" || fail "A's status" || return
	# A takes its interfaces down (pins kept): B may take the directory over
	ta down sa0 >/dev/null && ta down va >/dev/null || fail "down sa0, va" || return
	tb up sb0 --endpoint remote=$B4:7009 --pin-dir "$pd" >/dev/null || fail "up sb0 after A's down" || return
	[ "$(tb endpoint list sb0)" = "remote=$B4:7009" ] || fail "B's endpoints" || return
	# ... and A's record of the directory (iface-$SAME_IDX) no longer reads it
	out=$(ta endpoint list sa0 2>"$err") && { fail "A reads B's endpoints: $out"; return 1; }
	! grep -q 7009 <<<"$out" || fail "A reads B's endpoints: $out" || return
	grep -q "holds the pins of another network namespace" "$err" || fail "A's endpoint list: $(cat "$err")" || return
	ta up sa0 --endpoint remote=$B4:7001 --pin-dir "$pd" >/dev/null 2>"$err" && { fail "A's up over B's pins"; return 1; }
	grep -q "holds the pins of another network namespace" "$err" || fail "A's up: $(cat "$err")" || return
	# A's status leaves that directory out, and says so
	out=$(ta status 2>"$err") || fail "A's status: $(cat "$err")" || return
	! grep -q "sb0\|7009\|^pins: $pd" <<<"$out" || fail "A's status reads B's pins: $out" || return
	grep -q "^tiu: warning: $pd (recorded for ifindex [0-9]* .*) serves another network namespace now (netns-[0-9]*): not read" "$err" ||
		fail "A's status does not say it left $pd out: $(cat "$err")" || return
	# A's down drops that record and leaves B's pins alone
	out=$(ta down sa0 2>"$err") || fail "A's down: $(cat "$err")" || return
	grep -q "^tiu: warning: sa0: $pd holds the pins of another network namespace now" "$err" ||
		fail "A's down does not say why it left $pd alone: $(cat "$err")" || return
	[ ! -e "$DEF/iface-$SAME_IDX" ] || fail "A's record of $pd kept" || return
	[ "$(tb endpoint list sb0)" = "remote=$B4:7009" ] || fail "A's down changed B's endpoints" || return
	out=$(ta endpoint list sa0 2>&1) && { fail "A: endpoint list after down: $out"; return 1; }
	grep -q "sa0: not up" <<<"$out" || fail "A: endpoint list after down: $out" || return
	tb down sb0 --purge >/dev/null || fail "down sb0 --purge" || return
	[ ! -e "$pd" ] || fail "$pd left: $(ls "$pd")" || return
	ta down sa0 --purge >/dev/null 2>&1
	ta down va --purge >/dev/null 2>&1
	clean_a
}

# Two interfaces, two directories: status lists both, purge of one keeps the other.
t_two_dirs() {
	local out
	ip -n "$A" link add vx type veth peer name vy && ip -n "$A" link set vx up &&
		ip -n "$A" link set vy up || fail "veth vx/vy" || return
	h_defer ip -n "$A" link del vx
	ta up va --endpoint remote=$B4:7001 --pin-dir "$PD" >/dev/null || fail "up va" || return
	ta up vx --endpoint remote=$B4:7002 >/dev/null || fail "up vx (default pins)" || return
	h_tiu_track "$A" vx
	out=$(ta status)
	[ "$(grep -c '^pins: ' <<<"$out")" = 2 ] || fail "not two pin directories: $out" || return
	grep -q "^pins: $DEF (ABI" <<<"$out" && grep -q "^pins: $PD (ABI" <<<"$out" ||
		fail "status: $out" || return
	grep -q '^vx ' <<<"$out" && grep -q '^va ' <<<"$out" || fail "status lists not both: $out" || return
	[ "$(ta stats --json | python3 -c 'import json,sys; print(sorted(i["name"] for i in json.load(sys.stdin)["interfaces"]))')" = "['va', 'vx']" ] ||
		fail "stats lists not both" || return
	ta down va --purge >/dev/null || fail "down va" || return
	[ ! -e "$PD" ] || fail "$PD left" || return
	[ "$(ta endpoint list vx)" = "remote=$B4:7002" ] || fail "vx lost its endpoints" || return
	ta down vx --purge >/dev/null || fail "down vx" || return
	clean_a
}

# The unit's lines, run as systemd would (start, stop, restart), with a
# pin-dir line in the configuration file.
t_config_restart() {
	local unit=$H_WORK/tiu@.service cfg=$H_WORK/va.conf line out
	printf 'endpoint remote=%s:7001\npin-dir %s-cfg\n' "$B4" "$PD" >"$cfg"
	sed -e "s|@SBINDIR@|$H_WORK|g" -e "s|/etc/tiu/|$H_WORK/|g" "$ROOT/packaging/systemd/tiu@.service" >"$unit"
	unit_run() { # unit_run KEY: run the unit's KEY= lines that run tiu, for va in A
		line=$(sed -n "s/^$1=//p" "$unit" | grep "$H_WORK/tiu" | sed 's/%I/va/g; s/^[-@]*//')
		[ -n "$line" ] || { echo "no $1 in the unit"; return 1; }
		ns_enter "$A" sh -c "$line"
	}
	grep -q -- '^ExecStop=.*--config' "$unit" || fail "ExecStop does not pass the config" || return
	unit_run ExecStartPre >/dev/null 2>&1
	unit_run ExecStart >/dev/null || fail "start" || return
	h_tiu_track "$A" va "$PD-cfg"
	[ -e "$PD-cfg/tiu_links" ] || fail "config's pin-dir not used" || return
	out=$(unit_run ExecStop) || fail "stop: $out" || return
	unit_run ExecStartPre >/dev/null 2>&1
	out=$(unit_run ExecStart 2>&1) || fail "restart: $out" || return
	out=$(unit_run ExecReload 2>&1) || fail "reload: $out" || return
	unit_run ExecStop >/dev/null || fail "stop" || return
	out=$(ta down va --purge --config "$cfg") || fail "down --purge --config: $out" || return
	[ ! -e "$PD-cfg" ] || fail "$PD-cfg left" || return
	clean_a
}

# A namespace deleted while tiu is up: status names its state, down --stale
# removes it and nothing of a live namespace.
t_stale_namespace() {
	local C pins_c run_c out
	h_ns C c || fail "ns C" || return
	ip -n "$C" link add vc type veth peer name vd && ip -n "$C" link set vc up &&
		ip -n "$C" link set vd up || fail "veth vc/vd" || return
	tiu_in "$C" up vc --endpoint remote=$B4:7001 >/dev/null || fail "up in C" || return
	tiu_in "$C" up vd --endpoint remote=$B4:7001 --pin-dir "$PD-c" >/dev/null || fail "up --pin-dir in C" || return
	pins_c=$(tiu_in "$C" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pin_dir"])')
	run_c=/run/tiu/$(basename "$pins_c")
	[ -d "$pins_c" ] && [ -d "$run_c" ] && [ -d "$PD-c" ] || fail "C's state is not there" || return
	h_defer rm -rf "$pins_c" "$run_c"
	ta up va --endpoint remote=$B4:7001 >/dev/null || fail "up in A" || return
	h_tiu_track "$A" va
	ip netns del "$C"
	out=$(ta status) || fail "status" || return
	grep -q "^stale: $pins_c (network namespace" <<<"$out" && grep -q "^stale: $run_c (" <<<"$out" ||
		fail "status does not report C's state: $out" || return
	! grep -q "^stale: $DEF\|^stale: $RUN" <<<"$out" || fail "A's state called stale: $out" || return
	ta status --json | python3 -c '
import json, sys
paths = [s["path"] for s in json.load(sys.stdin)["stale"]]
assert sys.argv[1] in paths and sys.argv[2] in paths, paths' "$pins_c" "$run_c" || fail "status --json stale" || return
	# without CAP_SYS_ADMIN no namespace can be entered: refuse, remove nothing
	out=$(ns_enter "$A" setpriv --bounding-set -all,+bpf,+net_admin --inh-caps -all "$TIU" down --stale 2>&1) &&
		fail "down --stale without CAP_SYS_ADMIN worked: $out" && return 1
	grep -q "^tiu: down --stale: cannot tell which namespaces are gone: .*could not be entered" <<<"$out" ||
		fail "down --stale without CAP_SYS_ADMIN: $out" || return
	[ -d "$pins_c" ] && [ -d "$DEF" ] || fail "removed something without knowing" || return
	# C's --pin-dir still holds C's interfaces: A is refused it, and told the way out
	out=$(ta up sa0 --endpoint remote=$B4:7001 --pin-dir "$PD-c" 2>&1) &&
		{ fail "up over the pins of a deleted namespace worked: $out"; return 1; }
	grep -q "^tiu: $PD-c: holds the pins of network namespace netns-[0-9]*, which no longer exists: run \`tiu down --stale\`" <<<"$out" ||
		fail "up over C's pins: $out" || return
	out=$(ta down --stale) || fail "down --stale: $out" || return
	grep -q "removed $pins_c" <<<"$out" || fail "down --stale: $out" || return
	[ ! -e "$pins_c" ] && [ ! -e "$run_c" ] || fail "C's state left: $(ls "$pins_c" "$run_c" 2>&1)" || return
	[ ! -e "$PD-c/tiu_links" ] || fail "pins of C's --pin-dir left" || return
	ta up sa0 --endpoint remote=$B4:7001 --pin-dir "$PD-c" >/dev/null || fail "up in C's --pin-dir after down --stale" || return
	h_tiu_track "$A" sa0 "$PD-c"
	ta down sa0 --purge >/dev/null || fail "down sa0 --purge" || return
	[ -e "$DEF/tiu_links" ] && [ -d "$RUN" ] || fail "A's state removed" || return
	[ "$(ta endpoint list va)" = "remote=$B4:7001" ] || fail "A no longer works" || return
	ta status | grep -q "^stale: $pins_c" && { fail "still reported"; return 1; }
	ta down va x 2>"$H_WORK/err"; one_error_line "$H_WORK/err" || return
	out=$(ta down --stale va 2>&1) && { fail "down --stale IFACE accepted"; return 1; }
	ta down va --purge >/dev/null && clean_a
}

# Messages: one line, one prefix, a hint; exit codes.
t_messages() {
	local err=$H_WORK/err rc
	expect_error() { # expect_error PATTERN CMD...: fails with one line matching PATTERN
		local pat=$1
		shift
		"$@" >/dev/null 2>"$err" && { echo "succeeded: $*"; return 1; }
		one_error_line "$err" || return
		grep -qE -- "$pat" "$err" || fail "$*: '$(cat "$err")' does not match '$pat'"
	}
	expect_error "which command\\?.*tiu --help" "$TIU" || return
	expect_error "unknown command 'frob'.*tiu --help" "$TIU" frob || return
	expect_error "unknown option '--frob'.*tiu status --help" ta status --frob || return
	expect_error "unknown action 'frob'.*tiu endpoint --help" ta endpoint frob || return
	expect_error "endpoint list: which interface\\?" ta endpoint list || return
	expect_error "endpoint: which action\\?" ta endpoint || return
	expect_error "which interface\\?" ta up || return
	expect_error "option '--pin-dir' needs a value" ta down va --pin-dir || return
	# a bad command line exits 2 (as the help says), any other failure 1
	for args in "" "frob" "status --frob" "endpoint frob" "endpoint list" "endpoint" "up" \
		"down va --pin-dir" "apply --frob" "apply extra" "stats --frob"; do
		# shellcheck disable=SC2086 # the words are the command line
		ta $args >/dev/null 2>&1; rc=$?
		[ $rc = 2 ] || fail "tiu $args: rc $rc, a bad command line exits 2" || return
	done
	# stats of an interface where tiu is not up: an error, exit 1
	ta stats lo >/dev/null 2>"$err"; rc=$?
	[ $rc = 1 ] || fail "stats lo: rc $rc" || return
	one_error_line "$err" && grep -q "lo: not up" "$err" || fail "stats lo: $(cat "$err")" || return
	# nothing up at all
	expect_error "^tiu: nothing is up .*tiu up IFACE" ta stats || return
	expect_error "^tiu: nothing is up" ta stats --watch || return
	# a pin directory outside any bpffs: the advice names a bpffs directory
	expect_error "not on a bpffs: pick a directory under /sys/fs/bpf" ta up va --pin-dir "$H_WORK/pins" || return
	! grep -q "mount -t bpf bpf $H_WORK\$\|mount -t bpf bpf $H_WORK\`" "$err" || fail "advises to mount over $H_WORK" || return
	# --pin-dir and a --config file's pin-dir line: the one given last counts
	printf 'pin-dir %s\nendpoint remote=%s:7001\n' "$H_WORK/pins-conf" "$B4" >"$H_WORK/pin.conf"
	expect_error "^tiu: $H_WORK/pins-cli: not on a bpffs" ta up va --config "$H_WORK/pin.conf" --pin-dir "$H_WORK/pins-cli" || return
	expect_error "^tiu: $H_WORK/pins-conf: not on a bpffs" ta up va --pin-dir "$H_WORK/pins-cli" --config "$H_WORK/pin.conf" || return
	# under ip netns exec, /sys/fs/bpf is no bpffs: the advice names the host's
	in_ns "$A" "$TIU" up va --endpoint remote=$B4:7001 --pin-dir /sys/fs/bpf/tiu-ops-$$-x >/dev/null 2>"$err" &&
		fail "ip netns exec: a --pin-dir under the hidden /sys/fs/bpf worked?" && return 1
	one_error_line "$err" || return
	local host
	host=$(sed -n 's/.*pick a directory under \([^ ]*\) (the host.s bpffs).*/\1/p' "$err")
	[ -n "$host" ] || fail "ip netns exec advice: $(cat "$err")" || return
	# ... and following it works
	in_ns "$A" "$TIU" up va --endpoint remote=$B4:7001 --pin-dir "$host/tiu-ops-$$-x" >/dev/null 2>"$err" ||
		fail "following the advice failed: $(cat "$err")" || return
	h_defer rm -rf "/sys/fs/bpf/tiu-ops-$$-x"
	ta status va | grep -q "^  pins: $host/tiu-ops-$$-x" || fail "status after ip netns exec up" || return
	ta down va --purge >/dev/null || fail "down" || return
	[ ! -e "/sys/fs/bpf/tiu-ops-$$-x" ] || fail "pins left after ip netns exec up" || return
	clean_a
}

# The commands that only read (status, stats, endpoint list) given a
# --pin-dir that does not exist: one line saying so, exit 1, nothing
# created, no advice to create it. Three ways not to exist: a name in a
# bpffs, a name under a missing directory, a name with a dot, which a bpffs
# refuses even to look up (EPERM).
t_read_only_absent_dir() {
	local err=$H_WORK/err bpf=$H_WORK/bpf dir args out rc
	mkdir -p "$bpf" && h_mount -t bpf bpf "$bpf" || fail "cannot mount a bpffs on $bpf" || return
	for dir in "$PD-absent" "$PD-none/sub" "$bpf/tiu.wrong"; do
		for args in "endpoint list va" "endpoint add va remote=$B4:7001" "status" "status va" \
			"stats" "stats va" "stats --prometheus"; do
			# shellcheck disable=SC2086 # the words are the command line
			out=$(ta $args --pin-dir "$dir" 2>"$err"); rc=$?
			[ $rc = 1 ] || fail "$args --pin-dir $dir: rc $rc: $out $(cat "$err")" || return
			one_error_line "$err" || return
			grep -q "^tiu: $dir: no such directory.*creates nothing: give the --pin-dir that \`tiu up\` was given" "$err" ||
				fail "$args --pin-dir $dir: $(cat "$err")" || return
			! grep -q "create the directory\|mkdir\|mount -t bpf" "$err" || fail "$args --pin-dir $dir: $(cat "$err")" || return
			[ ! -e "$dir" ] && [ ! -e "$PD-none" ] || fail "$args --pin-dir $dir created it" || return
		done
	done
	grep -q "a bpffs has no names with a dot" "$err" || fail "the dot not named: $(cat "$err")" || return
	# up says why it cannot make such a directory
	ta up va --pin-dir "$bpf/tiu.wrong" >/dev/null 2>"$err" && { fail "up --pin-dir $bpf/tiu.wrong worked"; return 1; }
	one_error_line "$err" || return
	grep -q "^tiu: $bpf/tiu.wrong: a bpffs refuses every name with a dot in it (Operation not permitted): pick a name without one" "$err" ||
		fail "up --pin-dir $bpf/tiu.wrong: $(cat "$err")" || return
	clean_a
}

# Warning lines (not errors): local port inside ip_local_port_range, up lo,
# decapsulation program gone; none on veth for RSS.
t_warnings() {
	local err=$H_WORK/err range lo hi out
	read -r lo hi < <(in_ns "$A" cat /proc/sys/net/ipv4/ip_local_port_range)
	ta up va --endpoint "local=*:$lo" >/dev/null 2>"$err" || fail "up with a port in the range" || return
	h_tiu_track "$A" va
	[ "$(wc -l <"$err")" = 1 ] && grep -q "^tiu: warning: va: local=\*:$lo: port $lo is inside net.ipv4.ip_local_port_range ($lo-$hi)" "$err" ||
		fail "no range warning: $(cat "$err")" || return
	ta endpoint add va "local=*:$((lo - 1))" 2>"$err" || fail "endpoint add" || return
	[ ! -s "$err" ] || fail "warning for a port outside the range: $(cat "$err")" || return
	ta endpoint add va "local=10.79.0.1:$hi" 2>"$err" || fail "endpoint add" || return
	grep -q "^tiu: warning: va: local=10.79.0.1:$hi: port $hi is inside" "$err" || fail "endpoint add: no warning" || return
	ta endpoint add va "remote=$B4:$hi" 2>"$err" || fail "endpoint add remote" || return
	[ ! -s "$err" ] || fail "warning for a remote endpoint: $(cat "$err")" || return
	# status: clean on veth (no RSS answer), then XDP removed behind tiu's back
	ta status >/dev/null 2>"$err" || fail "status" || return
	[ ! -s "$err" ] || fail "status warns on a healthy veth: $(cat "$err")" || return
	ip -n "$A" link set dev va xdp off 2>/dev/null || ip -n "$A" link set dev va xdpgeneric off
	out=$(ta status 2>"$err") || fail "status" || return
	[ "$(wc -l <"$err")" = 1 ] && grep -q "^tiu: warning: va: no decapsulation program attached" "$err" ||
		fail "no decap warning: $(cat "$err")" || return
	ta status --json 2>/dev/null | python3 -c '
import json, sys
va = json.load(sys.stdin)["interfaces"][0]
assert any("no decapsulation program" in w for w in va["warnings"]), va["warnings"]' || fail "json warnings" || return
	ta down va --purge >/dev/null || fail "down" || return
	# up lo: a warning, and it works
	ta up lo --endpoint remote=$B4:7001 >/dev/null 2>"$err" || fail "up lo" || return
	h_tiu_track "$A" lo
	grep -q "^tiu: warning: lo: the loopback interface" "$err" || fail "no lo warning: $(cat "$err")" || return
	ta down lo --purge >/dev/null && clean_a
}

# -j, --version, --watch without a value, --nonzero, timestamps, sorted list.
t_cli() {
	local out a b
	out=$("$TIU" --version) || fail "--version" || return
	grep -qE "^tiu [0-9][^ ]* \(ABI [0-9]+\)$" <<<"$out" || fail "--version line 1: $out" || return
	grep -qE "^kernel [^ ]+: ip_summed (readable|not readable).*; XDP dispatcher (possible|impossible)" <<<"$out" ||
		fail "--version line 2: $out" || return
	ta up va --endpoint remote=$B4:7001 --endpoint "remote=[fd79::2]:80" --endpoint 'local=*:9' \
		--endpoint local=10.79.0.1:8 --endpoint "remote=$B4:6" >/dev/null 2>&1 || fail "up" || return
	h_tiu_track "$A" va
	out=$(ta endpoint list va | tr '\n' ' ')
	[ "$out" = "local=*:9 local=10.79.0.1:8 remote=$B4:6 remote=$B4:7001 remote=[fd79::2]:80 " ] ||
		fail "endpoint list not sorted: $out" || return
	a=$(ta status -j | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["interfaces"][0]["name"])')
	b=$(tiu_in "$A" -j status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["interfaces"][0]["name"])')
	[ "$a" = va ] && [ "$b" = va ] || fail "-j: '$a' '$b'" || return
	# some traffic: a SYN to the remote endpoint, one to another port
	in_ns "$A" timeout 1 bash -c "echo > /dev/tcp/$B4/7001" 2>/dev/null
	in_ns "$A" timeout 1 bash -c "echo > /dev/tcp/$B4/7009" 2>/dev/null
	ta stats va -j --nonzero | python3 -c '
import json, subprocess, sys
nz = json.load(sys.stdin)["interfaces"][0]["counters"]
assert nz and all(v > 0 for v in nz.values()), nz
full = json.loads(subprocess.run(sys.argv[1:], capture_output=True, check=True).stdout)["interfaces"][0]["counters"]
want = {k: v for k, v in full.items() if v}
assert set(nz) == set(want), (nz, want)' timeout 30 nsenter --net=/run/netns/"$A" "$TIU" stats va -j || fail "--nonzero" || return
	# --watch without a value: every 1 s, each block with a timestamp
	out=$(timeout 2.5 nsenter --net=/run/netns/"$A" "$TIU" stats va --watch --nonzero)
	[ "$(grep -cE '^time: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' <<<"$out")" -ge 2 ] || fail "--watch: $out" || return
	grep -qE '^  enc_pass +[0-9]+ +[0-9.]+/s$' <<<"$out" || fail "--watch rates: $out" || return
	! grep -q "dec_drop_csum0_v6" <<<"$out" || fail "--nonzero printed a zero: $out" || return
	out=$(timeout 1.5 nsenter --net=/run/netns/"$A" "$TIU" stats va --watch 1 -j | head -1)
	python3 -c 'import json,sys; assert "time" in json.loads(sys.argv[1])' "$out" || fail "--watch 1 -j: $out" || return
	ta down va --purge >/dev/null && clean_a
}

# --prometheus, read by a parser of the text exposition format written here:
# one HELP and TYPE per family, before its samples; names, labels, values
# equal to --json's.
t_prometheus() {
	ta up va --endpoint remote=$B4:7001 >/dev/null || fail "up" || return
	h_tiu_track "$A" va
	in_ns "$A" timeout 1 bash -c "echo > /dev/tcp/$B4/7001" 2>/dev/null
	in_ns "$A" timeout 1 bash -c "echo > /dev/tcp/$B4/7009" 2>/dev/null
	ta stats --prometheus >"$H_WORK/prom" || fail "--prometheus" || return
	ta stats -j >"$H_WORK/json" || fail "-j" || return
	python3 - "$H_WORK/prom" "$H_WORK/json" <<'EOF' || fail "prometheus output" || return
import json, re, sys
text = open(sys.argv[1]).read()
counters = {i["name"]: i["counters"] for i in json.load(open(sys.argv[2]))["interfaces"]}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
help_, type_, seen, samples = {}, {}, set(), []
def labels(s):
    out, i = {}, 0
    while i < len(s):
        m = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="').match(s, i)
        assert m, "bad label at %r" % s[i:]
        i, v = m.end(), ""
        while s[i] != '"':
            if s[i] == "\\":
                v += {"n": "\n", "\\": "\\", '"': '"'}[s[i + 1]]; i += 2
            else:
                v += s[i]; i += 1
        out[m.group(1)] = v
        i += 1
        if i < len(s):
            assert s[i] == ",", s; i += 1
    return out
for line in text.splitlines():
    m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
    if m:
        d = help_ if m.group(1) == "HELP" else type_
        assert m.group(2) not in d, "second %s for %s" % (m.group(1), m.group(2))
        assert m.group(2) not in seen, "%s after samples of %s" % (m.group(1), m.group(2))
        d[m.group(2)] = m.group(3)
        continue
    m = re.fullmatch(r"(%s)\{(.*)\} ([0-9]+)" % NAME, line)
    assert m, "not a sample line: %r" % line
    name = m.group(1)
    seen.add(name)
    # tiu apply's two families: a gauge per interface apply brought up, and
    # its changes by action (tests/apply.t checks their values)
    if name == "tiu_interface_up":
        assert type_.get(name) == "gauge" and name in help_, "no HELP/TYPE gauge before %s" % name
        assert set(labels(m.group(2))) == {"interface"} and m.group(3) in ("0", "1"), line
        continue
    if name == "tiu_apply_changes_total":
        assert type_.get(name) == "counter" and name in help_, "no HELP/TYPE counter before %s" % name
        assert set(labels(m.group(2))) == {"action"}, line
        continue
    assert name in help_ and type_.get(name) == "counter", "no HELP/TYPE counter before %s" % name
    assert name.endswith("_total"), name
    samples.append((name, labels(m.group(2)), int(m.group(3))))
assert set(help_) == set(type_) == seen, (help_, type_, seen)
# back to tiu's counter names: DIR_WHAT, with DIR enc/detour/dec (others as they are)
# (the reasons of tiu_passed_packets_total that are not a skip_REASON counter)
passed = {"no_endpoint": "pass", "icmp_short": "icmp_skip_short", "icmp_not_tunnelled": "icmp_pass"}
direction = {"encap": "enc", "detour": "detour", "decap": "dec"}
got = {}
for name, lab, v in samples:
    d = direction.get(lab["direction"], lab["direction"])
    what = {"tiu_converted_packets_total": lambda: "converted",
            "tiu_converted_bytes_total": lambda: "bytes",
            "tiu_passed_packets_total": lambda: passed.get(lab["reason"], "skip_" + lab["reason"]),
            "tiu_dropped_packets_total": lambda: "drop_" + lab["reason"],
            "tiu_events_total": lambda: lab["event"]}[name]()
    key = (lab["interface"], d + "_" + what)
    assert key not in got, "twice: %s" % (key,)
    got[key] = v
want = {(i, c): v for i, cs in counters.items() for c, v in cs.items()}
assert got == want, set(got.items()) ^ set(want.items())
assert any(v for v in want.values()), "all counters zero: the test would prove little"
print("%d samples in %d families agree with --json" % (len(samples), len(help_)))
EOF
	ta down va --purge >/dev/null && clean_a
}

# The unit's capability bounding set and no_new_privs are enough for tiu:
# up, status, stats, down under exactly those (setpriv; systemd's other
# settings need systemd as PID 1).
t_unit_capabilities() {
	local caps out
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$ROOT/packaging/systemd/tiu@.service" | tr 'A-Z' 'a-z' |
		sed 's/cap_/+/g; s/ /,/g')
	[ -n "$caps" ] || fail "no CapabilityBoundingSet in the unit" || return
	grep -q '^NoNewPrivileges=yes' "$ROOT/packaging/systemd/tiu@.service" || fail "no NoNewPrivileges" || return
	limited() { ns_enter "$A" setpriv --no-new-privs --bounding-set "-all,$caps" --inh-caps "-all" "$TIU" "$@"; }
	out=$(limited up va --endpoint remote=$B4:7001 2>&1) || fail "up with $caps: $out" || return
	h_tiu_track "$A" va
	limited status va | grep -q "tc egress: tiu_tc_egress" || fail "status with $caps" || return
	limited stats va >/dev/null || fail "stats with $caps" || return
	grep -q "RPS on" < <(limited status va) || fail "RPS not set on the detour with $caps" || return
	out=$(limited down va --purge 2>&1) || fail "down with $caps: $out" || return
	out=$(ns_enter "$A" setpriv --bounding-set "-all,+bpf" --inh-caps "-all" "$TIU" up va 2>&1) &&
		fail "up worked with CAP_BPF alone: the test proves nothing" && return 1
	clean_a
}

# each test starts from a clean namespace A, also after a failure before it
T() {
	local t0=$SECONDS
	check "$1" "$2"
	echo "# $2: $((SECONDS - t0)) s" >&2
	ta down va --purge >/dev/null 2>&1
	ta down lo --purge >/dev/null 2>&1
	ta down sa0 --purge >/dev/null 2>&1
	tb down sb0 --purge >/dev/null 2>&1
	rm -rf "$PD" "$PD-cfg" "$PD-ns"
}
T "the pin-dir loop: up --pin-dir, status, stats, endpoint, down --purge, up, down, up" t_pin_dir_loop
T "the pin-dir record survives the loss of /run/tiu (bpffs symlink)" t_record_without_run_state
T "up --pin-dir killed midway: the next up names the leftovers in that directory, down finds them" t_crash_leftover_elsewhere
T "two interfaces, two pin directories: status and stats list both" t_two_dirs
T "one --pin-dir in two namespaces, one ifindex: the second is refused, reads nothing of the first" t_pin_dir_two_namespaces
T "the unit's start/stop/restart/reload with a pin-dir in the config file" t_config_restart
T "a namespace deleted while tiu is up: status reports its state, its --pin-dir is refused to others until down --stale removes only it" t_stale_namespace
T "messages: one line, one prefix, a hint; stats IFACE not up exits 1; bpffs advice" t_messages
T "status, stats, endpoint with a --pin-dir that does not exist: one line, exit 1, nothing created" t_read_only_absent_dir
T "warnings: port in ip_local_port_range, up lo, decap program gone; none for RSS on veth" t_warnings
T "-j, --version, --watch default 1 s with timestamps, --nonzero, sorted endpoint list" t_cli
T "--prometheus: format, one HELP/TYPE per family, values equal to --json" t_prometheus
T "the unit's CapabilityBoundingSet and NoNewPrivileges are enough for up/status/stats/down" t_unit_capabilities
tap_done
