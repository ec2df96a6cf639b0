#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cross.t - the static binaries of `make cross`, one per router CPU (run by
# `make test-cross`, which builds them first: minutes, so not in make test).
# For each target:
#   - build/static/TRIPLET/tiu is a statically linked, stripped executable
#     of that CPU (file, readelf: no program interpreter, no dynamic
#     section); its size is reported;
#   - the BPF objects built for it are of the CPU's byte order and their
#     bytes are inside the binary;
#   - it runs on its CPU: `tiu --version`, natively (x86_64, i686) or under
#     qemu's user-mode emulation;
# and:
#   - 32-bit big-endian MIPS: every loader source compiled warning-free,
#     BPF objects big endian (Debian has no libraries to link it with);
#   - the target's own libbpf (tests/cross/open_obj.c, static, run on its
#     CPU) opens the objects built for it, and refuses the other order's;
#   - tests/test_byteorder.c built static for every target, MIPS big endian
#     included, passes on each CPU (emulated): the headers' byte-order rules
#     on big-endian CPUs. (Not the BPF programs on a big-endian kernel: that
#     needs a big-endian machine.)
#   - the 32-bit x86 tiu brings an interface up on this kernel and prints
#     counters past 2^32 right (stats text and --json), then takes it down.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/harness.sh

TARGETS=${CROSS_TARGETS:-"x86_64-linux-gnu i686-linux-gnu aarch64-linux-gnu arm-linux-gnueabihf mipsel-linux-gnu s390x-linux-gnu"}
COMPILE_ONLY=mips-linux-gnu
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)

need_cmd file llvm-readelf perl
h_init tiuc

# cpu TRIPLET: what `file` says of its executables; endian: readelf's word.
cpu() {
	case $1 in
	x86_64-*) echo "ELF 64-bit LSB executable, x86-64" ;;
	i686-*) echo "ELF 32-bit LSB executable, Intel 80386" ;;
	aarch64-*) echo "ELF 64-bit LSB executable, ARM aarch64" ;;
	arm-*) echo "ELF 32-bit LSB executable, ARM, EABI5" ;;
	mipsel-*) echo "ELF 32-bit LSB executable, MIPS" ;;
	mips-*) echo "ELF 32-bit MSB .*MIPS" ;;
	s390x-*) echo "ELF 64-bit MSB executable, IBM S/390" ;;
	esac
}
endian() { case $1 in mips-* | s390x-*) echo big ;; *) echo little ;; esac; }
# emulator TRIPLET: how to run its binaries here ("" natively)
emulator() {
	case $1 in
	x86_64-* | i686-*) echo "" ;;
	aarch64-*) echo qemu-aarch64-static ;;
	arm-*) echo qemu-arm-static ;;
	mipsel-*) echo qemu-mipsel-static ;;
	mips-*) echo qemu-mips-static ;;
	s390x-*) echo qemu-s390x-static ;;
	esac
}

t_static() {
	local t=$1 f=$BUILD/static/$1/tiu desc
	[ -r "$f" ] || fail "$f missing (make cross)" || return
	desc=$(file -b "$f")
	echo "$desc"
	echo "size: $(stat -c %s "$f") bytes (unstripped $(stat -c %s "$f.debug"))"
	grep -Eq "^$(cpu "$t")" <<<"$desc" || fail "not a $(cpu "$t") executable" || return
	grep -q 'statically linked' <<<"$desc" || fail "not statically linked" || return
	grep -q ', stripped' <<<"$desc" || fail "not stripped" || return
	LC_ALL=C llvm-readelf -lW "$f" >"$H_WORK/phdrs" || fail "llvm-readelf -l failed" || return
	grep -q '^ *LOAD ' "$H_WORK/phdrs" || fail "no LOAD segment: not read right" || return
	! grep -q '^ *INTERP ' "$H_WORK/phdrs" || fail "it names a program interpreter" || return
	! grep -q '^ *DYNAMIC ' "$H_WORK/phdrs" || fail "it has a dynamic segment" || return
	echo "program headers: no INTERP, no DYNAMIC"
}

t_embedded() {
	local t=$1 o bad=0 want
	want=$(endian "$t")
	for o in tiu_xdp tiu_tc tiu_tc_compat tiu_sockops; do
		o=$BUILD/static/$t/$o.bpf.o
		[ -r "$o" ] || fail "$o missing" || return
		LC_ALL=C llvm-readelf -h "$o" | grep -q "Data:.*$want endian" || { echo "$o: not $want endian"; bad=1; }
		[ "$t" = "$COMPILE_ONLY" ] && continue
		perl -e 'local $/; open(B, "<:raw", $ARGV[0]) or die; my $b = <B>; open(O, "<:raw", $ARGV[1]) or die;
			my $o = <O>; exit(index($b, $o) >= 0 ? 0 : 1)' "$BUILD/static/$t/tiu" "$o" ||
			{ echo "$o: its bytes are not in $BUILD/static/$t/tiu"; bad=1; }
	done
	echo "4 objects, $want endian${2:-}"
	return $bad
}

t_runs() {
	local t=$1 emu out
	emu=$(emulator "$t")
	[ -z "$emu" ] || command -v "$emu" >/dev/null || fail "$emu missing (make cross-deps: qemu-user-static)" || return
	out=$(timeout 60 $emu "$BUILD/static/$t/tiu" --version 2>&1)
	echo "${emu:-native}: $out"
	grep -q "^tiu $VERSION (ABI [0-9]*)$" <<<"$out"
}

for t in $TARGETS; do
	check "$t: a static, stripped $(cpu "$t") executable" t_static "$t"
	check "$t: BPF objects of its byte order ($(endian "$t") endian), embedded in the binary" t_embedded "$t"
	check "$t: runs on its CPU (tiu --version)" t_runs "$t"
done

t_compile_only() {
	local t=$COMPILE_ONLY n=0 f
	[ -r "$BUILD/static/$t/compiled" ] || fail "$BUILD/static/$t/compiled missing (make cross)" || return
	for f in loader/*/*.c loader/static/mnl.c; do
		f=$BUILD/static/$t/$(basename "$f" .c).o
		file -b "$f" | grep -q '^ELF 32-bit MSB relocatable, MIPS' || fail "$f: not a MIPS big-endian object" || return
		n=$((n + 1))
	done
	echo "$n loader objects compiled with -Werror"
	t_embedded "$t" " (compiled, not linked)"
}
check "$COMPILE_ONLY: every loader source compiles warning-free; BPF objects big endian" t_compile_only

t_byteorder() {
	local t=$1 emu bin=$H_WORK/test_byteorder.$1 out
	emu=$(emulator "$t")
	command -v "$t-gcc" >/dev/null || fail "$t-gcc missing (make cross-deps)" || return
	"$t-gcc" -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
		-Iheaders -Itests/lib tests/test_byteorder.c tests/lib/tap.c -o "$bin" || return
	out=$(timeout 60 $emu "$bin" 2>&1)
	local rc=$?
	echo "$out" | grep -v '^ok'
	echo "$(grep -c '^ok' <<<"$out") ok on ${emu:-native}"
	[ $rc = 0 ] && ! grep -q '^not ok' <<<"$out"
}
for t in $TARGETS $COMPILE_ONLY; do
	check "$t: test_byteorder passes on its CPU ($(endian "$t") endian)" t_byteorder "$t"
done

# open_obj.c built for TRIPLET against its libbpf (the sysroot's, or this
# machine's), run on its CPU on the objects built for it: each opens. On the
# other byte order's CPUs, this machine's objects must be refused (what
# libbpf does with an object of the wrong order).
t_open() {
	local t=$1 emu bin=$H_WORK/open_obj.$1 sr arch inc=() lib=() out rc
	emu=$(emulator "$t")
	arch=$(dpkg-architecture -t"$t" -qDEB_HOST_ARCH 2>/dev/null)
	sr=$BUILD/sysroot/$arch
	if [ "$t" != "$(${CC:-cc} -dumpmachine)" ]; then
		[ -r "$sr/.complete" ] || fail "$sr missing (make cross)" || return
		inc=(-isystem "$sr/usr/include")
		lib=(-L"$sr/usr/lib/$(dpkg-architecture -t"$t" -qDEB_HOST_MULTIARCH 2>/dev/null)")
	fi
	"$t-gcc" -static -O2 -Wall -Wextra -Werror "${inc[@]}" tests/cross/open_obj.c -o "$bin" \
		"${lib[@]}" -lbpf -lelf -lz || return
	out=$(timeout 60 $emu "$bin" "$BUILD/static/$t"/*.bpf.o 2>&1)
	rc=$?
	echo "$out"
	[ $rc = 0 ] || return 1
	[ "$(endian "$t")" = big ] || return 0
	out=$(timeout 60 $emu "$bin" "$BUILD/tiu_sockops.bpf.o" 2>&1)
	echo "$out"
	grep -q 'refused' <<<"$out"
}
for t in $TARGETS; do
	check "$t: its libbpf opens the BPF objects built for it$([ "$(endian "$t")" = big ] && echo ", and refuses little-endian ones")" t_open "$t"
done

# The 32-bit x86 tiu on this (64-bit) kernel: up, a counter set past 2^32
# in every CPU's record of the slot, stats, down.
t_counters32() {
	local T32=$BUILD/static/i686-linux-gnu/tiu pd vs val ncpu want got txt
	[ "$(id -u)" = 0 ] || skip_because "needs root (a network namespace, BPF)" || return
	[ -x "$T32" ] || fail "$T32 missing (make cross)" || return
	h_bpffs
	h_ns A c32 && h_veth "$A" va "$A" vb || return 1
	h_tiu_track "$A" va
	nsenter --net="/run/netns/$A" "$T32" up va --endpoint remote=10.9.9.9:7001 || fail "32-bit tiu up failed" || return
	pd=$(nsenter --net="/run/netns/$A" "$T32" status --json | sed -n 's/.*"pin_dir":"\([^"]*\)".*/\1/p')
	[ -n "$pd" ] || fail "no pin directory in tiu status --json" || return
	vs=$(bpftool -j map show pinned "$pd/tiu_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_value"])')
	# enc_converted (the first counter) = 2^32 + 1 on every possible CPU
	val="1 0 0 0 1 0 0 0"
	for _ in $(seq 9 "$vs"); do val+=" 0"; done
	bpftool map update pinned "$pd/tiu_stats" key 0 0 0 0 value $val || fail "bpftool map update" || return
	ncpu=0
	for r in $(tr , ' ' </sys/devices/system/cpu/possible); do
		case $r in *-*) ncpu=$((ncpu + ${r#*-} - ${r%-*} + 1)) ;; *) ncpu=$((ncpu + 1)) ;; esac
	done
	want=$((ncpu * 4294967297))
	got=$(nsenter --net="/run/netns/$A" "$T32" stats va --json | grep -o '"enc_converted":[0-9]*' | cut -d: -f2)
	txt=$(nsenter --net="/run/netns/$A" "$T32" stats va | grep -w enc_converted)
	echo "$ncpu possible CPUs: want $want; --json: $got; text: $txt"
	[ "$got" = "$want" ] && grep -qw "$want" <<<"$txt" || fail "a counter past 2^32 printed wrong" || return
	nsenter --net="/run/netns/$A" "$T32" down va --purge || fail "32-bit tiu down failed" || return
	H_TIU=()
}
check "i686: the 32-bit tiu runs up and down on this kernel and prints a counter past 2^32 right" t_counters32

tap_done
