#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.t - the documentation points at things that exist. Needs no root; the
# checks of `tiu` commands and options need build/tiu (make), and skip
# without it. The documents: README.md, docs/*.md, tests/README.md,
# loader/README.md (tests/lib/docrefs.py does most of the reading).
#
#  - No file outside docs/ points outside the repository for the design
#    (a path to a design file above the repository's root, or a section
#    number instead of a title).
#  - No comment or document names an issue of a tracker ("issue 3"): the
#    tracker is not in the repository.
#  - Every 'FILE.md "Title"' reference, in any file, names a heading of
#    FILE.md; every #anchor link into docs/DESIGN.md resolves.
#  - Every relative link of a document names a file that exists, and its
#    #anchor a heading there.
#  - Every tiu function that docs/CODE.md and docs/DESIGN.md
#    name as `tiu_name()` is defined in the sources.
#  - Where they say "`func()` in `file`", file defines func.
#  - Every repository path a document names in backticks exists.
#  - Every `make TARGET` a document shows is a target of the Makefile.
#  - Every `tiu COMMAND --option` a document shows is in `tiu --help` and
#    `tiu COMMAND --help`.
#  - tests/README.md lists every test file (tests/*.t, tests/test_*.c).

. "$(dirname "$0")/lib/harness.sh"
cd "$ROOT" || bail "cannot enter $ROOT"

DESIGN=docs/DESIGN.md
[ -f "$DESIGN" ] || bail "$DESIGN missing"

# Files of the repository, as git knows them (a copy without .git: all files).
repo_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files
	else
		find . -type f ! -path './build/*' | sed 's|^\./||'
	fi
}

# Headings of DESIGN.md, without the hashes.
headings() { sed -n 's/^#\{2,4\} \(.*\)$/\1/p' "$DESIGN"; }
# GitHub-style anchor of a heading: lower case, punctuation dropped, spaces to -.
anchor() { tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'; }

t_no_outside_refs() {
	local hits
	hits=$(repo_files | grep -v '^docs/' | grep -v '^tests/docs\.t$' |
	       xargs -d '\n' grep -nIE 'shared[/]DESIGN|DESIGN\.md (§|[0-9]|section [0-9])' 2>/dev/null)
	if [ -z "$hits" ]; then
		ok "no design reference points outside the repository"
	else
		not_ok "design references point outside the repository"
		echo "$hits" | diag
	fi
}

# The issue tracker is not in the repository: "issue 3" in a comment or a
# document tells a reader nothing. Say what is meant in words.
t_no_tracker_refs() {
	local hits
	hits=$(repo_files | grep -vxF tests/docs.t | xargs -d '\n' grep -nIiE 'issue *#? *[0-9]+' 2>/dev/null)
	if [ -z "$hits" ]; then
		ok "no comment or document points to an issue tracker by number"
	else
		not_ok "references to an issue tracker outside the repository"
		echo "$hits" | diag
	fi
}

# docrefs.py CHECK [ARG]: NAME of the references it checked, one problem a
# line (diagnostics), not ok when there is one.
t_docrefs() {
	local check=$1 what=$2 out n bad
	shift 2
	out=$(python3 "$H_LIB/docrefs.py" "$check" "$@") || { not_ok "docrefs.py $check failed: $out"; return; }
	n=$(sed -n 's/^checked: //p' <<<"$out")
	bad=$(grep -v '^checked: ' <<<"$out")
	if [ -z "$bad" ]; then
		ok "$what ($n checked)"
	else
		not_ok "$what: $(grep -c . <<<"$bad") wrong"
		echo "$bad" | diag
	fi
}

t_tiu_refs() {
	[ -x "$TIU" ] || { skip "every tiu command and option a document shows exists" "$TIU not built (make)"; return; }
	t_docrefs tiu "every tiu command and option a document shows exists" "$TIU"
}

# none_wrong LIST OK_DESC NOT_OK_DESC: ok OK_DESC when LIST (what a check
# found wrong) is empty, else not ok NOT_OK_DESC, which names it.
none_wrong() { if [ -z "$1" ]; then ok "$2"; else not_ok "$3"; fi; }

# tests/README.md says what each test file proves: a new one must be listed.
t_tests_listed() {
	local f missing=""
	[ -f tests/README.md ] || { not_ok "tests/README.md missing"; return; }
	for f in tests/*.t tests/cross/*.t tests/test_*.c; do
		grep -qF "\`$f\`" tests/README.md || missing+="$f "
	done
	none_wrong "$missing" "tests/README.md lists every test file" \
		"tests/README.md does not list: $missing"
}

t_anchor_links() {
	local anchors links missing="" a
	anchors=$(headings | anchor)
	links=$( { repo_files | xargs -d '\n' grep -ohIE 'DESIGN\.md#[a-z0-9_-]+' 2>/dev/null
		   grep -oE '\]\(#[a-z0-9_-]+\)' "$DESIGN"; } | sed 's/.*#//; s/)$//' | sort -u)
	while IFS= read -r a; do
		[ -n "$a" ] || continue
		grep -qxF "$a" <<<"$anchors" || missing+="#$a "
	done <<<"$links"
	none_wrong "$missing" "every #anchor into docs/DESIGN.md resolves ($(echo "$links" | grep -c .) anchors)" \
		"anchors without a heading: $missing"
}

# The `tiu_name()` functions a document names must be defined somewhere in
# headers/, xdp/, tc/, cgroup/, loader/ (a definition: the name followed by "(" at
# the start of a line or after a type).
t_functions() {
	local what=$1 text names missing="" n
	text=$2
	names=$(grep -oE '`(tiu_[a-z0-9_]+|set_rps|with_netns_sysfs)\(\)`' <<<"$text" | tr -d '`()' | sort -u)
	while IFS= read -r n; do
		[ -n "$n" ] || continue
		grep -rqE "(^|[ *])$n\(" headers xdp tc cgroup loader || missing+="$n "
	done <<<"$names"
	none_wrong "$missing" "$what: every tiu function it names exists ($(echo "$names" | grep -c .) names)" \
		"$what names functions that do not exist: $missing"
}

# "`func()` in `path`": func is defined in that file (catches a function that
# moved to another file).
t_func_in_file() {
	local what=$1 text pairs wrong="" fn path
	text=$2
	pairs=$(tr '\n' ' ' <<<"$text" | grep -oE '`[a-z_0-9]+\(\)`( \(`[^`]*`\))? in `[A-Za-z0-9_./-]+\.[ch]`' |
		sed -E 's/^`([a-z_0-9]+)\(\)`.* in `([^`]+)`$/\1 \2/' | sort -u)
	while read -r fn path; do
		[ -n "$fn" ] || continue
		grep -qE "(^|[ *])$fn\(" "$path" 2>/dev/null || wrong+="$fn() not in $path; "
	done <<<"$pairs"
	none_wrong "$wrong" "$what: every \"func() in file\" holds ($(echo "$pairs" | grep -c .) pairs)" \
		"$what: $wrong"
}

run_test t_no_outside_refs
run_test t_no_tracker_refs
run_test t_docrefs titles "every 'FILE.md \"Title\"' reference names a heading"
run_test t_docrefs links "every relative link of a document resolves, with its #anchor"
run_test t_anchor_links
run_test t_functions "docs/CODE.md" "$(cat docs/CODE.md)"
run_test t_functions "docs/DESIGN.md" "$(cat "$DESIGN")"
run_test t_func_in_file "docs/DESIGN.md" "$(cat "$DESIGN")"
run_test t_func_in_file "docs/CODE.md" "$(cat docs/CODE.md)"
run_test t_docrefs paths "every repository path a document names exists"
run_test t_docrefs make "every make target a document shows exists"
run_test t_tiu_refs
run_test t_tests_listed
tap_done
