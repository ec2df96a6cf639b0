#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# skel-embed.pl SKEL.h OBJECT.bpf.o > OUT.skel.h
#
# A bpftool skeleton (SKEL.h, generated from the build host's object) with
# the bytes of OBJECT embedded instead of the ones it was made from. For
# a target of the other byte order: bpftool 7.1 (Debian 12) refuses to
# read a foreign-endian object ("elf: endianness mismatch"), but what the
# skeleton declares (map, program and variable names, the .rodata/.bss
# layout from BTF) does not depend on byte order, and the Makefile checks
# that both objects have the same symbols, sections and sizes before it
# calls this. The bytes are written exactly as bpftool writes them, so
# embedding the object a skeleton was made from gives that skeleton back
# byte for byte (tests/cross.t checks it).
use strict;
use warnings;

@ARGV == 2 or die "usage: skel-embed.pl SKEL.h OBJECT.bpf.o\n";
my ($skel, $obj) = @ARGV;

open(my $fh, '<', $skel) or die "skel-embed: $skel: $!\n";
my $text = do { local $/; <$fh> };
close($fh);
open($fh, '<:raw', $obj) or die "skel-embed: $obj: $!\n";
my $bytes = do { local $/; <$fh> };
close($fh);
substr($bytes, 0, 4) eq "\x7fELF" or die "skel-embed: $obj: not an ELF object\n";

# bpftool's hex dump: \0 for a zero byte, \xNN for any other, a backslash
# and a newline where a line would pass 78 characters.
my ($out, $len) = ('', 0);
for my $b (unpack('C*', $bytes)) {
	my $w = $b ? 4 : 2;
	$len += $w;
	if ($len > 78) {
		$out .= "\\\n";
		$len = $w;
	}
	$out .= $b ? sprintf('\\x%02x', $b) : '\\0';
}

my $size = length($bytes);
my $n = ($text =~ s{(static inline const void \*\w+__elf_bytes\(size_t \*sz\)\n\{\n\t\*sz = )\d+(;\n\treturn \(const void \*\)"\\\n).*?(";\n\})}
		     {$1$size$2$out$3}s);
$n == 1 or die "skel-embed: $skel: no __elf_bytes() of the form bpftool 7 writes: cannot embed $obj\n";
print $text;
