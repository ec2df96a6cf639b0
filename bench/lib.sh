# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# bench/lib.sh - what the bench scripts share. Sourced (bash).

# bench_usage: the calling script's header comment (line 2 to `set -u`,
# without the licence line): what it measures and how it is called; on
# stderr.
bench_usage() { sed -n '2,/^set -u/p' "$0" | sed '/SPDX-License-Identifier/d;s/^# \{0,1\}//;/^set -u/d' >&2; }

# bench_getopts "TABLE" "$@": the script's options, declared once in TABLE,
# words of three kinds:
#   L:VAR    -L ARG sets VAR to ARG
#   L+ARRAY  -L ARG appends ARG to the array ARRAY (an option given again)
#   L=VAR    -L sets VAR to 1 (a flag)
# An option not in TABLE, or one without its argument: getopts' own message,
# the usage (bench_usage) and exit 2.
bench_getopts() {
	local table=$1 spec='' w o OPTIND=1 OPTARG
	shift
	for w in $table; do
		spec+=${w:0:1}
		[ "${w:1:1}" = = ] || spec+=:
	done
	while getopts "$spec" o; do
		for w in $table; do
			[ "${w:0:1}" = "$o" ] || continue
			case ${w:1:1} in
			:) printf -v "${w:2}" '%s' "$OPTARG" ;;
			+) eval "${w:2}+=(\"\$OPTARG\")" ;;
			=) printf -v "${w:2}" 1 ;;
			esac
			continue 2
		done
		bench_usage
		exit 2
	done
}
