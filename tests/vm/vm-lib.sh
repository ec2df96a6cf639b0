# vm-lib.sh - what vm-run.sh (the x86 lanes) and arch-run.sh (the lanes of
# other CPUs) do alike: unpack a Debian kernel package, pick the modules a
# guest needs with their dependencies, boot qemu under a timeout while its
# output is shown, and say why a guest gave no exit code.
#
# Sourced, not run. The caller sets VM_PROG (its name in messages), defines
# die (one line, exit 125), and for vm_boot sets QEMU (the command line),
# RUN (the run directory, console.log and qemu.stderr go there) and TIMEOUT.

# kernel_unpack DEB ROOT: the kernel package DEB extracted into the new
# directory ROOT, DEB removed; /lib -> usr/lib where the package has only
# /usr/lib/modules (merged /usr, Debian 13); modules.dep made in ROOT by
# busybox depmod (the package leaves it to its postinst; busybox reads the
# xz-compressed modules of Debian 13 as well).
kernel_unpack() {
	local deb=$1 root=$2
	mkdir "$root"
	dpkg-deb -x "$deb" "$root" || die "cannot extract $deb"
	rm -f "$deb"
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	/bin/busybox depmod -b "$root" "$(ls "$root/lib/modules")" || die "depmod failed for $deb"
}

# module_closure MODDIR DEPFILE MODULE...: MODULE and its dependencies,
# dependencies first, as paths relative to MODDIR, each once. DEPFILE has
# modules.dep's lines ("path: dep-path ..."); a module built into the kernel
# (MODDIR/modules.builtin: virtio_pci on 6.12) needs nothing. A module that
# is neither: "missing NAME" and exit 1.
module_closure() {
	local moddir=$1 depfile=$2
	shift 2
	awk -v want="$*" '
		function name(path) { sub(/.*\//, "", path); sub(/\.ko(\.[a-z]+)?$/, "", path); gsub(/-/, "_", path); return path }
		function add(m,    n, i, d) {
			if (m in done || m in builtin) return
			if (!(m in file)) { print "missing " m; exit 1 }
			done[m] = 1
			n = split(deps[m], d, " ")
			for (i = 1; i <= n; i++) add(name(d[i]))
			print file[m]
		}
		FILENAME ~ /modules\.builtin$/ { builtin[name($1)] = 1; next }
		{ p = $1; sub(/:$/, "", p); m = name(p); file[m] = p; $1 = ""; deps[m] = $0 }
		END { n = split(want, w, " "); for (i = 1; i <= n; i++) add(w[i]) }
	' "$moddir/modules.builtin" "$depfile"
}

# module_unpack MODDIR PATH DEST: the module MODDIR/PATH as DEST, decompressed.
module_unpack() {
	case $2 in
	*.ko) cp "$1/$2" "$3" ;;
	*.ko.xz) /bin/busybox xz -dc "$1/$2" >"$3" ;;
	*) die "cannot unpack module $2" ;;
	esac
}

vm_cleanup() {
	# Never leave a guest behind, whatever happened to us.
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	[ -n "$TPID" ] && kill "$TPID" 2>/dev/null
	return 0
}

# vm_boot SHOW...: runs "${QEMU[@]}" (stdin closed, stderr in
# $RUN/qemu.stderr) for at most $TIMEOUT seconds while the command SHOW,
# in the background, shows what the guest prints; neither outlives this
# script. Sets QRC (qemu's exit status, 124 or 137 when the timeout killed
# it) and WALL (the seconds it ran, one decimal).
vm_boot() {
	local t0
	QPID=
	TPID=
	trap vm_cleanup EXIT
	trap 'exit 130' INT TERM
	printf '%q ' "${QEMU[@]}" >"$RUN/qemu.cmdline"
	t0=$(date +%s.%N)
	timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>"$RUN/qemu.stderr" &
	QPID=$!
	"$@" &
	TPID=$!
	QRC=0
	wait "$QPID" || QRC=$?
	QPID=
	wait "$TPID" 2>/dev/null || true
	TPID=
	WALL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# show_console all|tail: the guest's console (all of it or its last 30
# lines) and qemu's stderr, on stderr.
show_console() {
	echo "----- guest console ($RUN/console.log) -----" >&2
	if [ "$1" = all ]; then cat "$RUN/console.log" >&2; else tail -n 30 "$RUN/console.log" >&2; fi
	[ -s "$RUN/qemu.stderr" ] && { echo "----- qemu stderr -----" >&2; cat "$RUN/qemu.stderr" >&2; }
	echo "-----" >&2
}

# guest_lost: for a guest that reported no exit code: RC 124 (the timeout
# killed it) or 125 (it stopped), a line saying which, and the console's end.
guest_lost() {
	if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
		RC=124
		echo "$VM_PROG: ERROR: guest still running after ${TIMEOUT}s: killed" >&2
	else
		RC=125
		echo "$VM_PROG: ERROR: the guest stopped without reporting an exit code (qemu exit $QRC)" >&2
	fi
	show_console tail
}
