#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/hooks.t - the network hooks of packaging/ that run `tiu apply`:
# ifupdown, networkd-dispatcher, NetworkManager's dispatcher, OpenWrt's
# hotplug hook and procd init script. They cannot run here for real (no
# ifupdown events, no netifd, no procd): each runs under busybox sh (the
# shell of OpenWrt, and a strict POSIX one) with the events it gets, a `tiu`
# first in PATH that records its command line and exit status, and for
# OpenWrt test doubles of the few functions the scripts use
# (/lib/functions.sh: config_load, config_get, config_get_bool, and the
# logger applet; /etc/rc.common: procd_open_instance, procd_set_param,
# procd_close_instance, procd_add_reload_trigger). Asserted: the exact tiu
# command line of each event, nothing for the events and devices that must
# not trigger it (lo, tiu's own detour pairs, other NetworkManager actions,
# other hotplug actions, disabled in UCI, no configuration file, no tiu),
# and the hook's exit status. The OpenWrt feed Makefile
# (packaging/openwrt/Makefile) runs under GNU make with stand-ins for
# OpenWrt's rules.mk and package.mk: its install step really installs, into
# a scratch root, compared file by file (and mode) with the sources; its
# compile step refuses a missing static binary. Not root; about 1 s.
. "$(dirname "$0")/lib/harness.sh"

need_cmd busybox
h_init tiuhooks
PK=$ROOT/packaging
W=$H_WORK
LOG=$W/tiu.log
mkdir -p "$W/bin" "$W/root/lib" "$W/root/etc"
CONF=$W/tiu.conf
printf '[interface ppp*]\nendpoint remote=192.0.2.1:7001\n' >"$CONF"

# the recording tiu: "ARGS" per line in LOG; exits with $FAKE_RC
cat >"$W/bin/tiu" <<'EOF'
#!/bin/sh
echo "$*" >>"$FAKE_LOG"
exit "${FAKE_RC:-0}"
EOF
chmod +x "$W/bin/tiu"

# OpenWrt's /lib/functions.sh, as far as the scripts use it: UCI values from
# the file $UCI (shell lines CONFIG_main_enabled=...), logger into LOG.logger
cat >"$W/root/lib/functions.sh" <<'EOF'
config_load() { [ "$1" = tiu ] || return 1; [ -f "$UCI" ] && . "$UCI"; return 0; }
config_get() { eval "$1=\${CONFIG_$2_$3:-\$4}"; }
config_get_bool() {
	local v
	eval "v=\${CONFIG_$2_$3:-\$4}"
	case $v in 1|on|true|yes|enabled) v=1 ;; *) v=0 ;; esac
	eval "$1=\$v"
}
logger() { echo "$*" >>"$FAKE_LOG.logger"; }
EOF
# OpenWrt's /etc/rc.common for a procd script: the calls, one per line, in LOG.procd
cat >"$W/root/etc/rc.common" <<'EOF'
. "$IPKG_INSTROOT/lib/functions.sh"
procd_open_instance() { echo "open_instance $*" >>"$FAKE_LOG.procd"; }
procd_set_param() { echo "set_param $*" >>"$FAKE_LOG.procd"; }
procd_close_instance() { echo "close_instance" >>"$FAKE_LOG.procd"; }
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$FAKE_LOG.procd"; }
EOF

# hook VAR=VALUE... -- SCRIPT ARGS...: run SCRIPT under busybox sh with that
# environment (and the doubles); its status in RC, what tiu got in GOT.
hook() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	rm -f "$LOG" "$LOG.logger" "$LOG.procd"
	env -i PATH="$W/bin:/usr/bin:/bin" FAKE_LOG="$LOG" IPKG_INSTROOT="$W/root" TIU_CONF="$CONF" \
		"${env[@]}" busybox sh "$@" >"$W/out" 2>&1
	RC=$?
	GOT=$(cat "$LOG" 2>/dev/null)
}
# expect DESC WANT: tiu got exactly WANT (one line per run; "" for none), exit 0
expect() {
	result $([ "$RC" = 0 ] && [ "$GOT" = "$2" ]; echo $?) "$1" "exit $RC, tiu got: '$GOT'; $(cat "$W/out")"
}
APPLY="apply --config $CONF"

# ---------------------------------------------------------------- ifupdown --
S=$PK/ifupdown/tiu
hook IFACE=ppp0 MODE=start PHASE=post-up -- "$S"
expect "ifupdown: ppp0 up (if-up.d): tiu $APPLY" "$APPLY"
hook IFACE=ppp0 MODE=stop PHASE=post-down -- "$S"
expect "ifupdown: ppp0 down (if-post-down.d): tiu $APPLY" "$APPLY"
hook IFACE=lo MODE=start PHASE=post-up -- "$S"; expect "ifupdown: lo: nothing" ""
hook IFACE=--all MODE=start PHASE=post-up -- "$S"; expect "ifupdown: --all: nothing" ""
hook IFACE=tiu12d MODE=start PHASE=post-up -- "$S"; expect "ifupdown: tiu's detour tiu12d: nothing" ""
hook IFACE=ppp0 TIU_CONF=$W/none.conf -- "$S"; expect "ifupdown: no configuration file: nothing, exit 0" ""
hook IFACE=ppp0 FAKE_RC=1 -- "$S"
result $([ "$RC" = 1 ] && [ "$GOT" = "$APPLY" ]; echo $?) "ifupdown: tiu apply's exit status 1 is the hook's" "exit $RC"
rm "$W/bin/tiu.off" 2>/dev/null; mv "$W/bin/tiu" "$W/bin/tiu.off"
hook IFACE=ppp0 -- "$S"; expect "ifupdown: tiu not installed: nothing, exit 0" ""
mv "$W/bin/tiu.off" "$W/bin/tiu"

# ------------------------------------------------------ networkd-dispatcher --
S=$PK/networkd-dispatcher/tiu
hook IFACE=wwan0 STATE=routable -- "$S"; expect "networkd-dispatcher: wwan0 routable: tiu $APPLY" "$APPLY"
hook IFACE=wwan0 STATE=off -- "$S"; expect "networkd-dispatcher: wwan0 off: tiu $APPLY" "$APPLY"
hook IFACE=tiu3p STATE=routable -- "$S"; expect "networkd-dispatcher: tiu's detour tiu3p: nothing" ""

# ------------------------------------------------- NetworkManager dispatcher --
S=$PK/NetworkManager/90-tiu
hook -- "$S" wwan0 up; expect "NetworkManager: wwan0 up: tiu $APPLY" "$APPLY"
hook -- "$S" ppp0 down; expect "NetworkManager: ppp0 down: tiu $APPLY" "$APPLY"
hook -- "$S" tun0 vpn-up; expect "NetworkManager: tun0 vpn-up: tiu $APPLY" "$APPLY"
hook -- "$S" wwan0 dhcp4-change; expect "NetworkManager: dhcp4-change: nothing" ""
hook -- "$S" "" hostname; expect "NetworkManager: hostname: nothing" ""
hook -- "$S" tiu7d up; expect "NetworkManager: tiu's detour tiu7d up: nothing" ""

# ------------------------------------------------------------------ OpenWrt --
S=$PK/openwrt/tiu.hotplug
printf 'CONFIG_main_enabled=1\nCONFIG_main_config=%s\n' "$CONF" >"$W/uci"
for a in ifup ifdown ifupdate; do
	hook UCI="$W/uci" ACTION=$a INTERFACE=wan DEVICE=pppoe-wan -- "$S"
	if [ "$RC" = 0 ] && [ "$GOT" = "$APPLY" ] &&
	   grep -qxF -e "-t tiu wan (pppoe-wan) $a: tiu $APPLY" "$LOG.logger"; then
		ok "OpenWrt hotplug: $a of wan (pppoe-wan): tiu $APPLY, logged"
	else
		not_ok "OpenWrt hotplug: $a (exit $RC, tiu got '$GOT')"; cat "$W/out" "$LOG.logger" 2>/dev/null | diag
	fi
done
hook UCI="$W/uci" ACTION=ifup-failed INTERFACE=wan DEVICE=pppoe-wan -- "$S"
expect "OpenWrt hotplug: other actions (ifup-failed): nothing" ""
hook ACTION=ifup INTERFACE=wan DEVICE=pppoe-wan -- "$S"
expect "OpenWrt hotplug: no /etc/config/tiu, no /etc/tiu/tiu.conf: nothing" ""
printf 'CONFIG_main_enabled=0\nCONFIG_main_config=%s\n' "$CONF" >"$W/uci-off"
hook UCI="$W/uci-off" ACTION=ifup INTERFACE=wan DEVICE=pppoe-wan -- "$S"
expect "OpenWrt hotplug: disabled in UCI: nothing" ""

S=$PK/openwrt/tiu.init
# the init script as rc.common runs it: sourced after rc.common, then the action
initd() { hook UCI="$1" -- -c '. "$IPKG_INSTROOT/etc/rc.common"; . "$0"; PROG=tiu; '"$2" "$S"; }
initd "$W/uci" start_service
want="open_instance 
set_param command tiu apply --config $CONF
set_param stdout 1
set_param stderr 1
close_instance"
result $([ "$RC" = 0 ] && [ "$(cat "$LOG.procd")" = "$want" ] && [ -z "$GOT" ]; echo $?) \
	"OpenWrt init: start_service: one procd instance running tiu $APPLY" "exit $RC: $(cat "$LOG.procd" "$W/out" 2>&1)"
initd "$W/uci-off" start_service
result $([ "$RC" = 0 ] && [ ! -e "$LOG.procd" ]; echo $?) "OpenWrt init: disabled in UCI: no instance" "exit $RC"
initd "$W/uci" stop_service
expect "OpenWrt init: stop_service: tiu apply --config /dev/null (takes down what apply brought up)" \
	"apply --config /dev/null"
initd "$W/uci" reload_service; expect "OpenWrt init: reload_service: tiu $APPLY" "$APPLY"
initd "$W/uci" service_triggers
result $([ "$RC" = 0 ] && [ "$(cat "$LOG.procd")" = "reload_trigger tiu" ]; echo $?) \
	"OpenWrt init: reloads when /etc/config/tiu changes" "$(cat "$LOG.procd" 2>&1)"
result $(head -n 1 "$S" | grep -qx '#!/bin/sh /etc/rc.common'; echo $?) "OpenWrt init: runs through /etc/rc.common"

# ------------------------------------------------- OpenWrt feed Makefile --
# Stand-ins for what the Makefile takes from OpenWrt's build system: the
# INSTALL_* commands of rules.mk (as OpenWrt defines them), BuildPackage of
# package.mk (nothing), and a makefile of targets that run its steps.
OW=$W/openwrt
mkdir -p "$OW/include" "$OW/root" "$OW/bin"
cat >"$OW/rules.mk" <<'MK'
INCLUDE_DIR := $(TOPDIR)/include
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
MK
cat >"$OW/include/package.mk" <<'MK'
PKG_BUILD_DIR := $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
BuildPackage =
MK
cat >"$OW/steps.mk" <<'MK'
.PHONY: compile install-pkg meta
compile:
	$(Build/Compile)
install-pkg:
	$(call Package/tiu/install,$(DEST))
meta:
	@echo "$(PKG_NAME) $(PKG_VERSION) $(TIU_TRIPLET)"
MK
printf '#!/bin/sh\n' >"$OW/bin/tiu" && chmod 0755 "$OW/bin/tiu"
owrt() {
	make -s --no-print-directory -C "$PK/openwrt" -f Makefile -f "$OW/steps.mk" \
		TOPDIR="$OW" BUILD_DIR="$OW/build" "$@" 2>&1
}
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
out=$(owrt ARCH=aarch64 meta)
result $([ "$out" = "tiu $VERSION aarch64-linux-gnu" ]; echo $?) \
	"OpenWrt Makefile: PKG_VERSION is the tree's ($VERSION), ARCH aarch64 takes the aarch64-linux-gnu static build" "got: $out"
out=$(owrt ARCH=mipsel meta)
result $([ "$out" = "tiu $VERSION mipsel-linux-gnu" ]; echo $?) "OpenWrt Makefile: ARCH mipsel takes mipsel-linux-gnu" "got: $out"
out=$(owrt ARCH=aarch64 install-pkg TIU_BIN="$OW/bin/tiu" DEST="$OW/root")
want="./etc/config/tiu 600 $PK/openwrt/tiu.config
./etc/hotplug.d/iface/90-tiu 644 $PK/openwrt/tiu.hotplug
./etc/init.d/tiu 755 $PK/openwrt/tiu.init
./usr/sbin/tiu 755 $OW/bin/tiu"
got=$(cd "$OW/root" && find . -type f | sort | while read -r f; do
	src=$(echo "$want" | awk -v f="$f" '$1 == f { print $3 }')
	if [ -n "$src" ] && cmp -s "$f" "$src"; then
		echo "$f $(stat -c %a "$f") $src"
	else
		echo "$f $(stat -c %a "$f") (not its source)"
	fi
done)
result $([ "$got" = "$want" ]; echo $?) \
	"OpenWrt Makefile: Package/tiu/install installs tiu, the init script, the hotplug hook and the UCI file, each its source" \
	"make: $out; installed: $got"
# every file of the directory but the Makefile and the README is installed
missing=
for f in "$PK"/openwrt/*; do
	case ${f##*/} in Makefile | README.md) continue ;; esac
	echo "$want" | grep -q " $f\$" || missing="$missing ${f##*/}"
done
result $([ -z "$missing" ]; echo $?) "OpenWrt Makefile: installs every file of packaging/openwrt/" "not installed:$missing"
out=$(owrt ARCH=aarch64 compile TIU_BIN="$OW/bin/none")
result $([ $? != 0 ] && grep -q "$OW/bin/none missing: run make static CROSS=aarch64-linux-gnu" <<<"$out"; echo $?) \
	"OpenWrt Makefile: Build/Compile fails, saying what to run, without the static binary" "got: $out"
out=$(owrt ARCH=powerpc compile)
result $([ $? != 0 ] && grep -q "ARCH powerpc has no static build" <<<"$out"; echo $?) \
	"OpenWrt Makefile: Build/Compile refuses an ARCH without a static build" "got: $out"
out=$(owrt ARCH=x86_64 compile TIU_BIN="$OW/bin/tiu")
result $? "OpenWrt Makefile: Build/Compile passes with the static binary" "got: $out"
tap_done
