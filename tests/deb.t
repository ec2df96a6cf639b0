#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb.t - packaging: `make install`/`make uninstall` into a staging
# root, and the Debian package of `make deb`: built with debhelper,
# installed with dpkg, brought up as the unit would and by hand, then
# removed (its prerm must take tiu down everywhere: XDP, TC, detour pairs,
# pins, the keepalive link, /run/tiu) and purged without a trace.
# Needs root (dpkg, namespaces). About 60 s (most of it the package build).
#
# The test runs in PID, mount and network namespaces of its own (it
# re-executes itself under unshare): the package's scripts take tiu down on
# every interface they can see, so they must see only this test's: a bpffs
# and a /run (so /run/tiu, /run/netns) of its own hide those of anything
# else on the machine. The files dpkg installs are the machine's.

. "$(dirname "$0")/lib/harness.sh"
need_root
need_cmd dpkg dpkg-deb dpkg-buildpackage dh make unshare setpriv nsenter bpftool
dpkg -s tiu >/dev/null 2>&1 && skip_all "a tiu package is installed on this machine: not replacing it"
if [ -z "${TIU_DEB_WORLD:-}" ]; then
	exec unshare --pid --fork --kill-child --mount --net --mount-proc env TIU_DEB_WORLD=1 bash "$0" "$@"
	bail "cannot run unshare"
fi
while [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ]; do umount -l /sys/fs/bpf || bail "cannot unmount the bpffs here"; done
mount -t bpf bpf /sys/fs/bpf || bail "cannot mount a bpffs of this test's own"
mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/netns /run/lock || bail "cannot mount a /run of this test's own"
ip link set lo up

h_init tiud
h_watchdog 300
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")

t_install_uninstall() {
	local dest=$H_WORK/root f left
	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local BUILD="$BUILD" >"$H_WORK/install.log" 2>&1 ||
		fail "make install: $(tail -3 "$H_WORK/install.log")" || return
	for f in /usr/local/sbin/tiu /usr/local/lib/systemd/system/tiu@.service /etc/tiu/example.conf \
		/usr/local/lib/bpf/tiu_xdp.bpf.o /usr/local/share/doc/tiu/README.md \
		/usr/local/lib/systemd/system/tiu.service /usr/local/lib/systemd/system/tiu-apply@.service \
		/usr/local/lib/udev/rules.d/90-tiu.rules /usr/local/share/man/man8/tiu.8 \
		/usr/local/share/bash-completion/completions/tiu; do
		[ -f "$dest$f" ] || fail "not installed: $f" || return
	done
	grep -q '^ExecStart=/usr/local/sbin/tiu up %I --config /etc/tiu/%I.conf$' \
		"$dest/usr/local/lib/systemd/system/tiu@.service" || fail "the unit ignores PREFIX" || return
	! grep -q '@[A-Z]*@' "$dest"/usr/local/lib/systemd/system/tiu*.service || fail "placeholder left in a unit" || return
	make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr/local BUILD="$BUILD" >/dev/null 2>&1 ||
		fail "make uninstall" || return
	left=$(find "$dest" -type f)
	[ -z "$left" ] || fail "left after uninstall: $left"
}

DEB=
t_build() {
	make -s -C "$ROOT" deb BUILD="$H_WORK/build" >"$H_WORK/deb.log" 2>&1 ||
		fail "make deb: $(tail -5 "$H_WORK/deb.log"; tail -20 "$H_WORK/build/deb/build.log" 2>/dev/null)" || return
	DEB=$H_WORK/build/deb/tiu_${VERSION}_amd64.deb
	[ -f "$DEB" ] || fail "no $DEB" || return
	dpkg-deb -c "$DEB" >"$H_WORK/contents"
	for f in ./usr/sbin/tiu ./usr/lib/systemd/system/tiu@.service ./etc/tiu/example.conf \
		./usr/lib/bpf/tiu_xdp.bpf.o ./usr/lib/systemd/system/tiu.service \
		./usr/lib/systemd/system/tiu-apply@.service ./usr/lib/udev/rules.d/90-tiu.rules \
		./usr/share/man/man8/tiu.8.gz ./usr/share/bash-completion/completions/tiu; do
		grep -q " $f\$" "$H_WORK/contents" || fail "$f not in the package" || return
	done
	dpkg-deb -f "$DEB" Depends | grep -q libxdp || fail "no shlibs dependencies: $(dpkg-deb -f "$DEB" Depends)"
}

# The package's manual page renders without a warning (as `man tiu` shows
# it), and lintian, where installed, finds no binary without a manual page.
t_manpage() {
	local out
	[ -n "$DEB" ] || fail "no package (make deb failed)" || return
	dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/man/man8/tiu.8.gz >"$H_WORK/tiu.8.gz" &&
		gzip -dc "$H_WORK/tiu.8.gz" >"$H_WORK/tiu.8" && [ -s "$H_WORK/tiu.8" ] ||
		fail "no usr/share/man/man8/tiu.8.gz in the package" || return
	out=$(groff -ww -man -z "$H_WORK/tiu.8" 2>&1) || fail "groff cannot render the package's tiu.8: $out" || return
	[ -z "$out" ] || fail "groff warns about the package's tiu.8: $out"
}
t_lintian_manpage() {
	local out
	[ -n "$DEB" ] || fail "no package (make deb failed)" || return
	command -v lintian >/dev/null || skip_because "lintian not installed (apt-get install lintian)" || return
	# the tag's name since lintian 2.106 is no-manual-page
	out=$(lintian --tags no-manual-page,binary-without-manpage "$DEB" 2>&1)
	! grep -qE 'no-manual-page|binary-without-manpage' <<<"$out" || fail "lintian: $out"
}

# What tiu has attached or pinned in this world: XDP and TC on IFACE (in
# namespace NS, "" for ours), its detour pair, pinned objects, /run/tiu.
attached() { # NS IFACE DETOUR-NAMES...
	local ns=$1 ifc=$2 d
	shift 2
	local ipn=(ip) tcn=(tc)
	[ -n "$ns" ] && ipn=(ip -n "$ns") tcn=(tc -n "$ns")
	"${ipn[@]}" link show dev "$ifc" | grep -q xdp && echo "$ifc: an XDP program"
	[ -n "$("${tcn[@]}" filter show dev "$ifc" egress 2>/dev/null)" ] && echo "$ifc: a TC egress filter"
	for d in "$@"; do "${ipn[@]}" link show dev "$d" >/dev/null 2>&1 && echo "detour end $d"; done
	return 0
}
# (progs.debug and maps.debug are the kernel's own, in every bpffs)
pinned() { find /sys/fs/bpf -mindepth 1 ! -type d ! -path /sys/fs/bpf/progs.debug ! -path /sys/fs/bpf/maps.debug | sed 's/^/pinned: /'; }

# The package as the unit uses it, then remove and purge (the maintainer
# scripts). wg-home is brought up as tiu@wg\x2dhome.service would: the
# installed unit's ExecStart with %I expanded, under its capability
# bounding set, with its configuration file and its enable link; p0 by hand
# in a named namespace. No systemd runs here: the scripts must take tiu down
# without it.
t_install_remove_purge() {
	local out f left= caps cmd ka det_a det_b now
	local link='/etc/systemd/system/multi-user.target.wants/tiu@wg\x2dhome.service'
	[ -f "$DEB" ] || skip_because "no package built" || return
	h_defer rmdir /etc/tiu
	h_defer rm -f /etc/tiu/wg-home.conf "$link"
	h_defer dpkg --purge tiu
	dpkg -i "$DEB" >"$H_WORK/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -5 "$H_WORK/dpkg.log")" || return
	dpkg -L tiu >"$H_WORK/files"
	out=$(/usr/sbin/tiu --version) || fail "tiu --version" || return
	grep -q "^tiu $VERSION (ABI [0-9]*)" <<<"$out" || fail "--version: $out" || return
	grep -q '^ExecStart=/usr/sbin/tiu up' /lib/systemd/system/tiu@.service ||
		fail "installed unit: $(grep ExecStart /lib/systemd/system/tiu@.service)" || return
	[ -f /etc/tiu/example.conf ] || fail "no /etc/tiu/example.conf" || return

	ip link add wg-home type veth peer name wg-peer && ip link set wg-home up && ip link set wg-peer up ||
		fail "veth wg-home" || return
	echo 'endpoint remote=192.0.2.1:7001' >/etc/tiu/wg-home.conf
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' /lib/systemd/system/tiu@.service | tr 'A-Z ' 'a-z\n' |
		sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
	cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tiu@.service | sed 's/%I/wg-home/g')
	# shellcheck disable=SC2086 # the unit's command line, split as systemd splits this one
	out=$(setpriv --bounding-set "-all,$caps" --no-new-privs $cmd 2>&1) || fail "the unit's ExecStart ($cmd): $out" || return
	echo "as the unit: $out"
	mkdir -p "${link%/*}" && ln -sf /lib/systemd/system/tiu@.service "$link"
	h_ns NSB b || fail "namespace" || return
	ip -n "$NSB" link add p0 type veth peer name p1 && ip -n "$NSB" link set p0 up && ip -n "$NSB" link set p1 up ||
		fail "veth p0" || return
	out=$(nsenter --net="/run/netns/$NSB" /usr/sbin/tiu up p0 --endpoint 'local=*:7002' 2>&1) || fail "tiu up p0 in $NSB: $out" || return
	out=$(/usr/sbin/tiu status wg-home --json)
	ka=$(sed -n 's/.*"keepalive":{[^}]*"link_id":\([0-9]*\).*/\1/p' <<<"$out")
	det_a=$(sed -n 's/.*"detour":{"name":"\([^"]*\)","ifindex":[0-9]*,"peer":"\([^"]*\)".*/\1 \2/p' <<<"$out")
	det_b=$(nsenter --net="/run/netns/$NSB" /usr/sbin/tiu status p0 --json |
		sed -n 's/.*"detour":{"name":"\([^"]*\)","ifindex":[0-9]*,"peer":"\([^"]*\)".*/\1 \2/p')
	[ -n "$ka" ] && [ "$ka" != 0 ] && [ -n "$det_a" ] && [ -n "$det_b" ] ||
		fail "tiu status: keepalive link '$ka', detours '$det_a' '$det_b': $out" || return
	# shellcheck disable=SC2086
	now=$(attached "" wg-home $det_a; attached "$NSB" p0 $det_b)
	[ "$(grep -c . <<<"$now")" = 8 ] && bpftool link show id "$ka" >/dev/null 2>&1 && [ -n "$(pinned)" ] ||
		fail "before removal, not everything is attached: $now; keepalive link $ka: $(bpftool link show id "$ka" 2>&1)" || return
	echo "up: wg-home (detour $det_a), p0 in $NSB (detour $det_b), keepalive link $ka"

	dpkg -r tiu >"$H_WORK/remove.log" 2>&1 || fail "dpkg -r: $(tail -5 "$H_WORK/remove.log")" || return
	sed 's/^/dpkg -r: /' "$H_WORK/remove.log" | grep 'tiu:'
	[ ! -e /usr/sbin/tiu ] || fail "/usr/sbin/tiu still there after dpkg -r" || return
	# shellcheck disable=SC2086
	left=$(attached "" wg-home $det_a; attached "$NSB" p0 $det_b; pinned
		bpftool link show id "$ka" >/dev/null 2>&1 && echo "the keepalive link $ka"
		[ -e /run/tiu ] && echo "/run/tiu: $(ls -A /run/tiu)")
	[ -z "$left" ] || fail "left after dpkg -r: $(echo $left)" || return

	dpkg --purge tiu >"$H_WORK/purge.log" 2>&1 || fail "dpkg --purge: $(tail -3 "$H_WORK/purge.log")" || return
	! dpkg -s tiu >/dev/null 2>&1 || fail "still installed" || return
	while read -r f; do
		[ -f "$f" ] || [ -L "$f" ] && left="$left $f"
		case $f in /usr/lib/bpf|/usr/share/doc/tiu) [ -d "$f" ] && left="$left $f" ;; esac
	done <"$H_WORK/files"
	[ -L "$link" ] && left="$left $link"
	[ "$(ls -A /etc/tiu)" = wg-home.conf ] || left="$left /etc/tiu: $(ls -A /etc/tiu | paste -sd' ' -)"
	[ -z "$left" ] || fail "left after purge:$left"
}

check "make install (PREFIX=/usr/local) and make uninstall leave exactly their files" t_install_uninstall
check "make deb builds the package with debhelper" t_build
check "the package's manual page tiu.8.gz renders without a warning" t_manpage
check "lintian: no binary without a manual page (no-manual-page)" t_lintian_manpage
check "the package installs; dpkg -r takes tiu down everywhere (unit-style, by hand in a netns), purge leaves nothing of the package" t_install_remove_purge
tap_done
