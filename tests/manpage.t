#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# manpage.t - the manual page docs/tiu.8 cannot drift from the command: it
# is written by hand, so this test reads `tiu --help` and every
# `tiu COMMAND --help` and requires the page to name each command (as in
# their usage lines, e.g. "tiu endpoint list"), each option (--long and -x)
# and each counter of `tiu stats --help`. groff must render it without a
# warning (`groff -ww -man -z`), as `man -l docs/tiu.8` does. No root;
# needs build/tiu (make) and groff. TIU_MANPAGE=FILE checks another page.

. "$(dirname "$0")/lib/harness.sh"
need_tiu
need_cmd groff
MANPAGE=${TIU_MANPAGE:-$ROOT/docs/tiu.8}
[ -f "$MANPAGE" ] || bail "$MANPAGE missing"
h_init tium

# The page as text: one long line per paragraph (no hyphenation, no line
# breaks inside an option), plain ASCII.
TEXT=$H_WORK/tiu.txt
groff -man -Tascii -rLL=2000n -rHY=0 -P-cbou "$MANPAGE" 2>/dev/null >"$TEXT" ||
	bail "groff cannot render $MANPAGE"

COMMANDS=$("$TIU" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
[ -n "$COMMANDS" ] || bail "tiu --help lists no commands"
helps() { "$TIU" --help; for c in $COMMANDS; do "$TIU" "$c" --help; done; }

t_renders() {
	local warn
	warn=$(groff -ww -man -z "$MANPAGE" 2>&1)
	[ -z "$warn" ] || fail "groff -ww warns: $warn" || return
	if command -v man >/dev/null; then
		warn=$(MANWIDTH=80 man --warnings -l "$MANPAGE" 2>&1 >/dev/null)
		[ -z "$warn" ] || fail "man -l warns: $warn"
	fi
}

# Every "tiu WORD [WORD]" of the usage lines (the command and its verb, as
# "endpoint list"): the page has it, a verb possibly as "add|del".
t_commands() {
	local usage missing="" w1 w2 n=0
	usage=$(helps | sed -n 's/^\(usage:\)\{0,1\} *tiu \([a-z][a-z]*\)\( \([a-z][a-z|]*\)\)\{0,1\}\( .*\)\{0,1\}$/\2 \4/p' | sort -u)
	while read -r w1 w2; do
		[ -n "$w1" ] || continue
		n=$((n + 1))
		grep -qE "tiu $w1( |\$)" "$TEXT" || { missing+="tiu $w1; "; continue; }
		[ -z "$w2" ] && continue
		for v in ${w2//|/ }; do
			grep -qE "tiu $w1 ([a-z]+\\|)*$v([ |]|\$)" "$TEXT" || missing+="tiu $w1 $v; "
		done
	done <<<"$usage"
	for w1 in $COMMANDS; do
		grep -qE "tiu $w1( |\$)" "$TEXT" || missing+="tiu $w1; "
	done
	[ -z "$missing" ] || fail "the page does not name: $missing" || return
	note "$n usage forms, $(wc -w <<<"$COMMANDS") commands"
}

# page_names WHAT ERE WORD...: the page's text has a match of ERE, with "@"
# standing for the WORD, for every WORD; else fail naming the others.
page_names() {
	local what=$1 re=$2 w missing=""
	shift 2
	for w in "$@"; do
		grep -qE "${re//@/$w}" "$TEXT" || missing+="$w "
	done
	[ -z "$missing" ] || fail "the page does not name these $what: $missing" || return
	note "$# $what"
}

t_options() {
	local opts
	# an option stands alone: after a space, [ | ( or a line's start, before
	# a space, ] | ) , or the end (not "--net=" of another program's usage)
	opts=$(helps | grep -oP '(?:^|(?<=[ [|(]))--?[a-z](?:[a-z-]*[a-z])?(?=[] |),]|$)' | sort -u)
	page_names options '(^|[^a-z0-9-])@([^a-z-]|$)' $opts
}

t_counters() {
	local names
	names=$("$TIU" stats --help | sed -n '/^Counters:/,$s/^  \([a-z][a-z0-9_]*\) .*/\1/p')
	[ -n "$names" ] || fail "tiu stats --help lists no counters" || return
	page_names counters '(^|[^a-z0-9_])@([^a-z0-9_]|$)' $names
}

check "groff and man render docs/tiu.8 without a warning" t_renders
check "the page names every command of tiu --help and every usage form" t_commands
check "the page names every option of tiu --help and tiu COMMAND --help" t_options
check "the page names every counter of tiu stats --help" t_counters
tap_done
