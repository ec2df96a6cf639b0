#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sysroot.sh DEB_ARCH DIR: the libraries `make static CROSS=TRIPLET` links,
# from Debian's own packages of that architecture (this machine's suite),
# fetched with `apt-get download` through a private apt configuration
# (scripts/private-apt.sh) and unpacked with `dpkg-deb -x` into DIR. Once:
# DIR/.complete names the packages it holds. The C library comes from the
# cross compiler's own package (libc6-dev-DEB_ARCH-cross, make cross-deps).
set -euo pipefail
arch=$1 dir=$(realpath -m "$2")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# libmnl-dev ships no libmnl.a: the static build links loader/static/mnl.c
# instead, but takes the header from the package.
PKGS="libbpf-dev libxdp-dev libelf-dev zlib1g-dev libmnl-dev"
LIBS="libbpf.a libxdp.a libelf.a libz.a"

die() { echo "sysroot: ERROR: $arch: $*" >&2; exit 1; }

[ -e "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$PKGS" ] && exit 0
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || die "/etc/os-release names no Debian suite"
. "$HERE/private-apt.sh"
private_apt_setup "$(dirname "$dir")/apt-$arch" "$suite" "$arch" sysroot || die "$PRIVATE_APT_ERR"
mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$dir.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "sysroot: fetching $PKGS for $arch ($suite) into $dir" >&2
# shellcheck disable=SC2086
(cd "$tmp" && "${APT_GET[@]}" download -q $PKGS >"$tmp/download.log" 2>&1) ||
	die "apt-get download of $PKGS failed ($(grep -m1 '^E:' "$tmp/download.log" || tail -n 1 "$tmp/download.log"))$APT_NOTE: Debian $suite may have no $arch port"
rm -rf "$dir"
mkdir -p "$dir"
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$dir"
done
for lib in $LIBS; do
	ls "$dir"/usr/lib/*/"$lib" >/dev/null 2>&1 || die "$lib is in none of $PKGS"
done
echo "$PKGS" >"$dir/.complete"
