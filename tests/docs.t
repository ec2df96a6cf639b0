#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.t - the documentation points at things that exist. Needs no root and
# no build; well under a second.
#
#  - No file outside docs/ points outside the repository for the design
#    (a path to a design file above the repository's root, or a section
#    number instead of a title).
#  - Every `docs/DESIGN.md "Title"` reference names a heading of
#    docs/DESIGN.md, and every #anchor link into it resolves.
#  - Every tiu function that README's "Follow one packet" and docs/DESIGN.md
#    name as `tiu_name()` is defined in the sources.
#  - Where they say "`func()` in `file`", file defines func.
#  - Every repository path docs/DESIGN.md names in backticks exists.

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

t_title_refs() {
	local refs missing="" t
	refs=$(repo_files | grep -vxF tests/docs.t | xargs -d '\n' grep -ohIE 'docs/DESIGN\.md,? "[^"]+"' 2>/dev/null |
	       sed 's/^docs\/DESIGN\.md,\{0,1\} "\(.*\)"$/\1/' | sort -u)
	while IFS= read -r t; do
		[ -n "$t" ] || continue
		headings | grep -qxF "$t" || missing+="$t; "
	done <<<"$refs"
	if [ -z "$missing" ]; then
		ok "every docs/DESIGN.md \"Title\" reference names a heading ($(echo "$refs" | grep -c .) titles)"
	else
		not_ok "references to headings docs/DESIGN.md lacks: $missing"
	fi
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
	if [ -z "$missing" ]; then
		ok "every #anchor into docs/DESIGN.md resolves ($(echo "$links" | grep -c .) anchors)"
	else
		not_ok "anchors without a heading: $missing"
	fi
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
	if [ -z "$missing" ]; then
		ok "$what: every tiu function it names exists ($(echo "$names" | grep -c .) names)"
	else
		not_ok "$what names functions that do not exist: $missing"
	fi
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
	if [ -z "$wrong" ]; then
		ok "$what: every \"func() in file\" holds ($(echo "$pairs" | grep -c .) pairs)"
	else
		not_ok "$what: $wrong"
	fi
}

t_paths() {
	local paths missing="" p
	paths=$(grep -oE '`(headers|xdp|tc|loader|tests|bench|docs)/[A-Za-z0-9_./-]+`' "$DESIGN" |
		tr -d '`' | sort -u)
	while IFS= read -r p; do
		[ -n "$p" ] || continue
		[ -e "$p" ] || missing+="$p "
	done <<<"$paths"
	if [ -z "$missing" ]; then
		ok "every path docs/DESIGN.md names exists ($(echo "$paths" | grep -c .) paths)"
	else
		not_ok "docs/DESIGN.md names paths that do not exist: $missing"
	fi
}

run_test t_no_outside_refs
run_test t_title_refs
run_test t_anchor_links
run_test t_functions "README \"Follow one packet\"" \
	"$(sed -n '/^## Follow one packet/,/^## /p' README.md)"
run_test t_functions "docs/DESIGN.md" "$(cat "$DESIGN")"
run_test t_func_in_file "docs/DESIGN.md" "$(cat "$DESIGN")"
run_test t_func_in_file "README \"Follow one packet\"" \
	"$(sed -n '/^## Follow one packet/,/^## /p' README.md)"
run_test t_paths
tap_done
