#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bpf-layout.sh OBJECT.bpf.o: what a bpftool skeleton of OBJECT depends on,
# one line each: the data sections (.rodata, .data, .bss, .kconfig, .maps,
# license) with their sizes, every variable and map (OBJECT symbols: name,
# section, offset, size) and every program (global FUNC symbols outside
# .text: name and section). Code, relocations and debug sections are left
# out: they differ between byte orders and the skeleton does not name them.
# The Makefile compares this for the build host's object and the target's
# before it embeds the target's bytes in the host's skeleton
# (scripts/skel-embed.pl).
set -eu
obj=$1
LC_ALL=C llvm-readelf -SW "$obj" |
	sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) *[A-Z_]* *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1 \2/p' |
	awk '$1 ~ /^(\.rodata|\.data|\.bss|\.kconfig|\.maps|license)/ { print "section", $1, "size", $2 }'
LC_ALL=C llvm-readelf -sW "$obj" |
	awk -v obj="$obj" 'BEGIN { cmd = "LC_ALL=C llvm-readelf -SW " obj
		while ((cmd | getline l) > 0) if (l ~ /^ *\[ *[0-9]+\]/) {
			sub(/^ *\[ */, "", l); n = l; sub(/\].*/, "", n); sub(/^[0-9]+\] */, "", l)
			split(l, f, " "); sec[n] = f[1] }
		close(cmd) }
	$4 == "OBJECT" { print "object", $8, sec[$7], $2, $3 }
	$4 == "FUNC" && $5 == "GLOBAL" && sec[$7] != ".text" { print "program", $8, sec[$7] }' |
	sort
