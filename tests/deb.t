#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/deb.t - packaging (issue 12): `make install`/`make uninstall` into a
# staging root, and the Debian package of `make deb`: built with debhelper,
# installed with dpkg, `tiu --version` and a `tiu up`/`down` in a network
# namespace from the installed paths, then purged without a trace.
# Needs root (dpkg, namespaces). About 20 s (most of it the package build).

. "$(dirname "$0")/lib/harness.sh"
need_root
need_cmd dpkg dpkg-deb dpkg-buildpackage dh make
dpkg -s tiu >/dev/null 2>&1 && skip_all "a tiu package is installed on this machine: not replacing it"

h_init tiud
h_watchdog 300
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")

t_install_uninstall() {
	local dest=$H_WORK/root f left
	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local BUILD="$BUILD" >"$H_WORK/install.log" 2>&1 ||
		fail "make install: $(tail -3 "$H_WORK/install.log")" || return
	for f in /usr/local/sbin/tiu /usr/local/lib/systemd/system/tiu@.service /etc/tiu/example.conf \
		/usr/local/lib/bpf/tiu_xdp.bpf.o /usr/local/share/doc/tiu/README.md; do
		[ -f "$dest$f" ] || fail "not installed: $f" || return
	done
	grep -q '^ExecStart=/usr/local/sbin/tiu up %I --config /etc/tiu/%I.conf$' \
		"$dest/usr/local/lib/systemd/system/tiu@.service" || fail "the unit ignores PREFIX" || return
	! grep -q '@[A-Z]*@' "$dest/usr/local/lib/systemd/system/tiu@.service" || fail "placeholder left in the unit" || return
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
		./usr/lib/bpf/tiu_xdp.bpf.o; do
		grep -q " $f\$" "$H_WORK/contents" || fail "$f not in the package" || return
	done
	dpkg-deb -f "$DEB" Depends | grep -q libxdp || fail "no shlibs dependencies: $(dpkg-deb -f "$DEB" Depends)"
}

t_install_run_purge() {
	local out f left=
	[ -f "$DEB" ] || skip_because "no package built" || return
	h_defer dpkg --purge tiu
	dpkg -i "$DEB" >"$H_WORK/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -5 "$H_WORK/dpkg.log")" || return
	dpkg -L tiu >"$H_WORK/files"
	out=$(/usr/sbin/tiu --version) || fail "tiu --version" || return
	grep -q "^tiu $VERSION (ABI [0-9]*)" <<<"$out" || fail "--version: $out" || return
	grep -q '^ExecStart=/usr/sbin/tiu up' /lib/systemd/system/tiu@.service ||
		fail "installed unit: $(grep ExecStart /lib/systemd/system/tiu@.service)" || return
	[ -f /etc/tiu/example.conf ] || fail "no /etc/tiu/example.conf" || return
	# up and down in a namespace, from the installed paths
	h_ns NSD n || fail "namespace" || return
	ip -n "$NSD" link add p0 type veth peer name p1 && ip -n "$NSD" link set p0 up &&
		ip -n "$NSD" link set p1 up || fail "veth" || return
	h_defer nsenter --net="/run/netns/$NSD" /usr/sbin/tiu down p0 --purge
	out=$(nsenter --net="/run/netns/$NSD" /usr/sbin/tiu up p0 --endpoint remote=192.0.2.1:7001 2>&1) ||
		fail "installed tiu up: $out" || return
	nsenter --net="/run/netns/$NSD" /usr/sbin/tiu status p0 | grep -q "tc egress: tiu_tc_egress" ||
		fail "installed tiu status" || return
	out=$(nsenter --net="/run/netns/$NSD" /usr/sbin/tiu down p0 --purge) || fail "installed tiu down: $out" || return
	dpkg --purge tiu >"$H_WORK/purge.log" 2>&1 || fail "dpkg --purge: $(tail -3 "$H_WORK/purge.log")" || return
	! dpkg -s tiu >/dev/null 2>&1 || fail "still installed" || return
	while read -r f; do
		[ -f "$f" ] || [ -L "$f" ] && left="$left $f"
		case $f in /etc/tiu|/usr/lib/bpf|/usr/share/doc/tiu) [ -d "$f" ] && left="$left $f" ;; esac
	done <"$H_WORK/files"
	[ -z "$left" ] || fail "left after purge:$left"
}

check "make install (PREFIX=/usr/local) and make uninstall leave exactly their files" t_install_uninstall
check "make deb builds the package with debhelper" t_build
check "the package installs, runs tiu --version and up/down in a netns, purges cleanly" t_install_run_purge
tap_done
