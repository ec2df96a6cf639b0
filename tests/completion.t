#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# completion.t - the bash completion packaging/bash-completion/tiu, driven
# as bash drives it: the file is sourced, COMP_LINE/COMP_POINT (and
# COMP_WORDS/COMP_CWORD) set as bash sets them for a line typed so far, the
# function called, COMPREPLY compared. Every command of `tiu --help` and
# every option of each `tiu COMMAND --help` usage must be offered, so the
# completion cannot drift from the command. No root; needs build/tiu (make).
# TIU_COMPLETION=FILE checks another file.

# shellcheck disable=SC2086,SC2046 # word lists ($COMMANDS, $opts) split on purpose
. "$(dirname "$0")/lib/harness.sh"
need_tiu
COMPLETION=${TIU_COMPLETION:-$ROOT/packaging/bash-completion/tiu}
[ -f "$COMPLETION" ] || bail "$COMPLETION missing"
h_init tiuc

# complete LINE: the sorted replies (one a line) for LINE typed so far, in a
# fresh bash with the completion sourced and bash's default COMP_WORDBREAKS.
complete_line() {
	TIU_SYSFS_NET=$H_WORK/net bash --norc --noprofile -c '
		compopt() { :; }    # outside a real completion, compopt complains
		source "$1" || exit 3
		COMP_LINE=$2 COMP_POINT=${#2}
		read -r -a COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_WORDBREAKS=$'"'"'"\x27><=;|&(:'"'"'
		_tiu tiu "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 4
		printf "%s\n" "${COMPREPLY[@]}"' bash "$COMPLETION" "$1" | sort
}
# expect LINE WORD...: the replies are exactly these words.
expect() {
	local line=$1 got want
	shift
	got=$(complete_line "$line" | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "'$line<TAB>': got [$got], want [$want]"
}

# Interfaces: a fake /sys/class/net with an Ethernet name, a detour pair
# (never offered) and a name with a dash.
mkdir -p "$H_WORK/net/eth0" "$H_WORK/net/wg-home" "$H_WORK/net/tiu7d" "$H_WORK/net/tiu7p" "$H_WORK/net/lo"

COMMANDS=$("$TIU" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
[ -n "$COMMANDS" ] || bail "tiu --help lists no commands"

t_commands() {
	expect "tiu " $COMMANDS || return
	expect "tiu st" $(grep '^st' <<<"$COMMANDS") || return
	expect "tiu -j " $COMMANDS
}

# The options of `tiu CMD --help`'s usage lines and option table: each is
# offered after "tiu CMD -".
t_options() {
	local c opts got missing=""
	for c in $COMMANDS; do
		opts=$("$TIU" "$c" --help | grep -E '^(usage:| +tiu | +\[|  +-)' |
			grep -oP '(?:^|(?<=[ [|(]))--?[a-z](?:[a-z-]*[a-z])?(?=[] |),]|$)' | sort -u)
		got=$(complete_line "tiu $c -")
		for o in $opts; do
			grep -qxF -- "$o" <<<"$got" || missing+="tiu $c $o; "
		done
	done
	[ -z "$missing" ] || fail "not offered: $missing"
}

t_ifaces() {
	expect "tiu up " eth0 lo wg-home || return
	expect "tiu down w" wg-home || return
	expect "tiu status " eth0 lo wg-home || return
	expect "tiu stats e" eth0 || return
	expect "tiu endpoint list " eth0 lo wg-home || return
	expect "tiu up eth0 " # one interface only
}

t_endpoints() {
	expect "tiu endpoint " add del list || return
	expect "tiu up eth0 --endpoint " local= follow= remote= mark= || return
	expect "tiu endpoint add eth0 r" remote= || return
	expect "tiu endpoint del eth0 remote=192.0.2.1:7001 " local= follow= remote= mark= || return
	expect "tiu endpoint add eth0 f" follow= || return
	# bash replaces what follows the '=': the reply is the rest of the word
	expect "tiu up eth0 --endpoint local=" '*:' || return
	expect "tiu up eth0 --endpoint follow=" '*:' || return
	expect "tiu up eth0 --endpoint remote=192.0.2.1:" # nothing to guess
}

t_values() {
	expect "tiu up eth0 --xdp-mode " auto native skb || return
	expect "tiu up eth0 --decap " tc xdp || return
	expect "tiu up eth0 --mss " || return
	expect "tiu " $COMMANDS
}

check "every command of tiu --help is completed" t_commands
check "every option of each tiu COMMAND --help is completed" t_options
check "interface names, without tiu's detour pairs" t_ifaces
check "endpoint verbs and spec keys, also after '='" t_endpoints
check "values of --xdp-mode and --decap" t_values
tap_done
