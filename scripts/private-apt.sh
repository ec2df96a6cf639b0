# SPDX-License-Identifier: GPL-2.0
# scripts/private-apt.sh - apt with a private configuration, sourced (bash)
# by tests/vm/vm-run.sh (kernels of another Debian suite) and
# scripts/sysroot.sh (libraries of another CPU architecture). Its sources
# list, package lists and cache live in a directory of the build tree, on
# the archive mirror the machine's own apt uses: the machine's apt
# configuration, state and dpkg architectures are never changed.
#
#   private_apt_setup DIR SUITE ARCH WHO [MIRROR]
#     ARCH: a Debian architecture (arm64, armhf, ...), or "" for the
#     machine's. WHO prefixes the messages. Sets APT_GET and APT_CACHE
#     (arrays: the commands with the options) and APT_NOTE (why the package
#     lists may be old, or empty). Returns 1 with PRIVATE_APT_ERR set when it
#     cannot work at all. The package lists are refreshed when older than a
#     day; a failed refresh keeps the lists it had, with a warning.

# The archive URL the machine's apt fetches SUITE from, e.g.
# http://deb.debian.org/debian (read from apt, so .list and deb822 sources,
# proxies and local mirrors all count).
private_apt_host_mirror() {
	apt-cache policy 2>/dev/null |
		awk -v s="$1/main" '$3 == s && $2 ~ /^[a-z+]+:/ { print $2; exit }'
}

private_apt_setup() {
	local dir=$1 suite=$2 arch=$3 who=$4 mirror=${5:-} keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local host_suite
	host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$mirror" ] || mirror=$(private_apt_host_mirror "$host_suite")
	if [ -z "$mirror" ]; then
		PRIVATE_APT_ERR="cannot find the Debian archive in the machine's apt sources (no '$host_suite/main' in apt-cache policy): set VM_DEBIAN_MIRROR=URL"
		return 1
	fi
	if [ ! -r "$keyring" ]; then
		PRIVATE_APT_ERR="$keyring missing: apt-get install debian-archive-keyring"
		return 1
	fi
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/empty"
	echo "deb [signed-by=$keyring] $mirror $suite main" >"$dir/sources.list.new"
	if ! cmp -s "$dir/sources.list.new" "$dir/sources.list"; then
		mv "$dir/sources.list.new" "$dir/sources.list"
		rm -f "$dir/updated"
	fi
	rm -f "$dir/sources.list.new"
	local opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/empty"
		-o "Dir::Etc::Preferences=$dir/empty/none" -o "Dir::Etc::PreferencesParts=$dir/empty"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o Acquire::Languages=none -o APT::Sandbox::User=root)
	if [ -n "$arch" ]; then
		# Another architecture's packages only, with an empty dpkg status:
		# nothing installed here is taken for theirs.
		: >"$dir/empty/status"
		opts+=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
			-o "Dir::State::status=$dir/empty/status")
	fi
	APT_GET=(apt-get "${opts[@]}")
	APT_CACHE=(apt-cache "${opts[@]}")
	APT_NOTE=
	[ -n "$(find "$dir/updated" -mmin -1440 2>/dev/null)" ] && return 0
	echo "$who: apt-get update for $suite${arch:+ ($arch)} from $mirror (private lists in $dir)" >&2
	if "${APT_GET[@]}" -q update >"$dir/update.log" 2>&1 && ! grep -q '^[WE]:' "$dir/update.log"; then
		touch "$dir/updated"
	else
		APT_NOTE="; apt-get update of $suite${arch:+ ($arch)} from $mirror failed: $(grep -m1 '^[WE]:' "$dir/update.log" || tail -n 1 "$dir/update.log")"
		if ! ls "$dir/lists/"*_Packages* >/dev/null 2>&1; then
			PRIVATE_APT_ERR="no package lists of $suite${arch:+ ($arch)}$APT_NOTE"
			return 1
		fi
		echo "$who: WARNING: using the package lists of $suite${arch:+ ($arch)} from before$APT_NOTE" >&2
	fi
	return 0
}
