#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reconnect-hook.sh TIU CONF EVENTS [STRACE_DIR] - the network hook of
# bench/reconnect.sh: runs `tiu -v apply --config CONF` once for each network
# device that appears in this network namespace, as the udev rule
# (90-tiu.rules -> tiu-apply@.service) and the ifupdown/networkd hooks do.
#
# It stands in for udevd, which does not run on the machines the benchmark
# is meant for (containers, CI, this VM): `ip -ts monitor link` reports each
# RTM_NEWLINK; the first one of an ifindex (the device's creation, what udev
# calls "add"; the devices that exist when it starts are not new) starts apply, with the names 90-tiu.rules skips skipped (lo,
# tiu's detour pairs). Events that come while apply runs wait in the pipe,
# as they would wait for the lock of a second `tiu apply`.
#
# One line per apply on EVENTS:
#   apply ifindex=N name=NAME event=ISO-TIME start=EPOCH end=EPOCH rc=RC
# event: when `ip monitor` received the kernel's RTM_NEWLINK (its -ts
# timestamp, local time); start/end: around the apply command (bash
# $EPOCHREALTIME, the same clock). apply's stderr (its -v timing lines) goes
# to EVENTS.IFINDEX.log. With STRACE_DIR apply runs under
# `strace --seccomp-bpf -f -T -e trace=bpf` into STRACE_DIR/IFINDEX.
set -u
TIU=$1 CONF=$2 EVENTS=$3 STRACE_DIR=${4:-}
declare -A seen
# the devices that exist now are not new (a device going away is reported
# with a last RTM_NEWLINK before its "Deleted" line)
for idx in $(ip -o link show | cut -d: -f1); do seen[$idx]=1; done

ip -ts -o monitor link | while read -r ts idx name _; do
	[ "$idx" = Deleted ] && continue
	idx=${idx%:} name=${name%:}
	name=${name%%@*}
	case $name in lo | tiu[0-9]*[dp]) continue ;; esac
	[ -n "${seen[$idx]:-}" ] && continue
	seen[$idx]=1
	start=$EPOCHREALTIME
	if [ -n "$STRACE_DIR" ]; then
		strace --seccomp-bpf -f -T -e trace=bpf -o "$STRACE_DIR/$idx" \
			"$TIU" -v apply --config "$CONF" >"$EVENTS.$idx.out" 2>"$EVENTS.$idx.log"
	else
		"$TIU" -v apply --config "$CONF" >"$EVENTS.$idx.out" 2>"$EVENTS.$idx.log"
	fi
	rc=$?
	end=$EPOCHREALTIME
	ts=${ts#[}
	echo "apply ifindex=$idx name=$name event=${ts%]} start=$start end=$end rc=$rc" >>"$EVENTS"
done
